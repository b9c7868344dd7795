"""Models of one's own on NIST's 27 certified nonlinear regression problems.

Run ``python benchmarks/nist.py`` from the repository's root (``--markdown``
prints the table of ``docs/nist_benchmarks.md``). Each problem of NIST's
Statistical Reference Datasets (StRD) for nonlinear least squares
(``benchmarks/nist_strd``, with certified values and two published starting
points) is written as a :class:`~skprob.models.ParametricModel` with its
analytic Jacobian, and fitted from each start by
``GaussianRegressor(model=..., alpha=0.0)`` at its defaults, and by
``scipy.optimize.curve_fit`` (MINPACK's Levenberg-Marquardt, with the same
Jacobian) from the same start: 54 fits each.

For each fit it reports the log relative error (LRE) of McCullough's
methodology for assessing statistical software (McCullough, 1999, "Assessing
the reliability of statistical software", The American Statistician 53):
the least over the parameters of ``-log10(|estimate - certified| /
|certified|)``, the number of correct significant digits, capped at the
digits of the certified values (11) and floored at 0; and whether skprob
warned (a ``ConvergenceWarning``) or refused the model. A fit "reaches the
certified values" at an LRE of 4 or more.
"""

import argparse
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import machine_description, markdown_table, pin_threads  # noqa: E402

from skprob import GaussianRegressor  # noqa: E402
from skprob.models import ParametricModel  # noqa: E402

DATA = Path(__file__).resolve().parent / "nist_strd"
DIGITS_REACHED = 4.0


# -- the data ----------------------------------------------------------------


def load(name):
    """One NIST problem: its data, starting points and certified values.

    Returns a dict with ``X`` (n, n_predictors), ``y``, ``starts`` (two
    arrays), ``certified`` and ``certified_sd`` (arrays), ``certified_rss``
    and ``digits`` (the significant digits of the certified values). The
    response of Nelson is ``log(y)``, as its model reads.
    """
    lines = (DATA / f"{name}.dat").read_text().splitlines()
    rows = [
        _numbers(line.split("=")[1]) for line in lines if re.match(r"\s*b\d+\s*=", line)
    ]
    starts = np.array([[row[0], row[1]] for row in rows]).T
    certified = np.array([row[2] for row in rows])
    mantissas = [
        re.match(r"\s*b\d+\s*=\s*\S+\s+\S+\s+(\S+)", line).group(1)
        for line in lines
        if re.match(r"\s*b\d+\s*=", line)
    ]
    rss_line = next(line for line in lines if "Residual Sum of Squares" in line)
    rss_line = rss_line.split(":")[1]
    data_start = next(
        i for i, line in enumerate(lines) if re.match(r"Data:\s+y\s", line)
    )
    data = np.array(
        [_numbers(line) for line in lines[data_start + 1 :] if line.strip()]
    )
    y = np.log(data[:, 0]) if name == "Nelson" else data[:, 0]
    return {
        "X": data[:, 1:],
        "y": y,
        "starts": list(starts),
        "certified": certified,
        "certified_sd": np.array([row[3] for row in rows]),
        "certified_rss": _numbers(rss_line)[0],
        "digits": min(_significant_digits(m) for m in mantissas),
    }


def _numbers(line):
    return [
        float(token)
        for token in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?", line)
    ]


def _significant_digits(text):
    mantissa = text.lower().split("e")[0].lstrip("-+").replace(".", "").lstrip("0")
    return len(mantissa)


def log_relative_error(estimate, certified, digits):
    """McCullough's LRE: the correct significant digits of the worst parameter."""
    estimate = np.asarray(estimate, dtype=float)
    if not np.all(np.isfinite(estimate)):
        return 0.0
    with np.errstate(divide="ignore"):
        relative = np.abs(estimate - certified) / np.abs(certified)
        lre = -np.log10(relative)
    return float(np.clip(lre.min(), 0.0, digits))


# -- the models: each formula with its Jacobian ------------------------------


def _exp_rise(b, x):  # Misra1a, BoxBOD
    e = np.exp(-b[1] * x)
    return b[0] * (1 - e), [1 - e, b[0] * x * e]


def _chwirut(b, x):
    e, d = np.exp(-b[0] * x), b[1] + b[2] * x
    return e / d, [-x * e / d, -e / d**2, -x * e / d**2]


def _exponentials(b, x):  # Lanczos1-3: a sum of three decays
    value, columns = 0.0, []
    for amplitude, rate in zip(b[::2], b[1::2], strict=True):
        e = np.exp(-rate * x)
        value = value + amplitude * e
        columns += [e, -amplitude * x * e]
    return value, columns


def _gauss(b, x):  # Gauss1-3: a decay and two Gaussian peaks
    e = np.exp(-b[1] * x)
    value, columns = b[0] * e, [e, -b[0] * x * e]
    for height, center, width in (b[2:5], b[5:8]):
        g = np.exp(-((x - center) ** 2) / width**2)
        value = value + height * g
        columns += [
            g,
            height * g * 2 * (x - center) / width**2,
            height * g * 2 * (x - center) ** 2 / width**3,
        ]
    return value, columns


def _misra1b(b, x):
    base = 1 + b[1] * x / 2
    return b[0] * (1 - base**-2), [1 - base**-2, b[0] * x * base**-3]


def _misra1c(b, x):
    base = 1 + 2 * b[1] * x
    return b[0] * (1 - base**-0.5), [1 - base**-0.5, b[0] * x * base**-1.5]


def _misra1d(b, x):
    base = 1 + b[1] * x
    return b[0] * b[1] * x / base, [b[1] * x / base, b[0] * x / base**2]


def _rational(n_numerator):
    """``(b1 + b2 x + ...) / (1 + b x + ...)``: Kirby2, Hahn1, Thurber."""

    def formula(b, x):
        numerator = sum(b[k] * x**k for k in range(n_numerator))
        denominator = 1 + sum(
            b[n_numerator + k] * x ** (k + 1) for k in range(len(b) - n_numerator)
        )
        value = numerator / denominator
        columns = [x**k / denominator for k in range(n_numerator)]
        columns += [
            -value * x ** (k + 1) / denominator for k in range(len(b) - n_numerator)
        ]
        return value, columns

    return formula


def _nelson(b, x):
    e = np.exp(-b[2] * x[:, 1])
    x1 = x[:, 0]
    return b[0] - b[1] * x1 * e, [np.ones_like(x1), -x1 * e, b[1] * x1 * x[:, 1] * e]


def _mgh17(b, x):
    e4, e5 = np.exp(-x * b[3]), np.exp(-x * b[4])
    value = b[0] + b[1] * e4 + b[2] * e5
    return value, [np.ones_like(x), e4, e5, -b[1] * x * e4, -b[2] * x * e5]


def _roszman1(b, x):
    shifted = x - b[3]
    ratio = b[2] / shifted
    slope = 1 / (np.pi * (1 + ratio**2))
    value = b[0] - b[1] * x - np.arctan(ratio) / np.pi
    return value, [np.ones_like(x), -x, -slope / shifted, -slope * ratio / shifted]


def _enso(b, x):
    annual = 2 * np.pi * x / 12
    value = b[0] + b[1] * np.cos(annual) + b[2] * np.sin(annual)
    columns = [np.ones_like(x), np.cos(annual), np.sin(annual)]
    for period, cos_amp, sin_amp in (b[3:6], b[6:9]):
        w = 2 * np.pi * x / period
        value = value + cos_amp * np.cos(w) + sin_amp * np.sin(w)
        d_period = (-cos_amp * np.sin(w) + sin_amp * np.cos(w)) * (-w / period)
        columns += [d_period, np.cos(w), np.sin(w)]
    return value, columns


def _mgh09(b, x):
    numerator, denominator = x**2 + x * b[1], x**2 + x * b[2] + b[3]
    value = b[0] * numerator / denominator
    return value, [
        numerator / denominator,
        b[0] * x / denominator,
        -value * x / denominator,
        -value / denominator,
    ]


def _rat42(b, x):
    e = np.exp(b[1] - b[2] * x)
    return b[0] / (1 + e), [
        1 / (1 + e),
        -b[0] * e / (1 + e) ** 2,
        b[0] * x * e / (1 + e) ** 2,
    ]


def _mgh10(b, x):
    e = np.exp(b[1] / (x + b[2]))
    return b[0] * e, [e, b[0] * e / (x + b[2]), -b[0] * e * b[1] / (x + b[2]) ** 2]


def _eckerle4(b, x):
    u = (x - b[2]) / b[1]
    g = np.exp(-0.5 * u**2)
    value = b[0] / b[1] * g
    return value, [g / b[1], value * (u**2 - 1) / b[1], value * u / b[1]]


def _rat43(b, x):
    e = np.exp(b[1] - b[2] * x)
    log_base = np.log1p(e)
    value = b[0] * np.exp(-log_base / b[3])
    share = e / (1 + e)
    return value, [
        value / b[0],
        -value * share / b[3],
        value * x * share / b[3],
        value * log_base / b[3] ** 2,
    ]


def _bennett5(b, x):
    log_base = np.log(b[1] + x)
    value = b[0] * np.exp(-log_base / b[2])
    return value, [
        value / b[0],
        -value / (b[2] * (b[1] + x)),
        value * log_base / b[2] ** 2,
    ]


def _danwood(b, x):
    power = x ** b[1]
    return b[0] * power, [power, b[0] * power * np.log(x)]


FORMULAS = {
    "Misra1a": _exp_rise,
    "Chwirut2": _chwirut,
    "Chwirut1": _chwirut,
    "Lanczos3": _exponentials,
    "Gauss1": _gauss,
    "Gauss2": _gauss,
    "DanWood": _danwood,
    "Misra1b": _misra1b,
    "Kirby2": _rational(3),
    "Hahn1": _rational(4),
    "Nelson": _nelson,
    "MGH17": _mgh17,
    "Lanczos1": _exponentials,
    "Lanczos2": _exponentials,
    "Gauss3": _gauss,
    "Misra1c": _misra1c,
    "Misra1d": _misra1d,
    "Roszman1": _roszman1,
    "ENSO": _enso,
    "MGH09": _mgh09,
    "Thurber": _rational(4),
    "BoxBOD": _exp_rise,
    "Rat42": _rat42,
    "MGH10": _mgh10,
    "Eckerle4": _eckerle4,
    "Rat43": _rat43,
    "Bennett5": _bennett5,
}
"""The 27 problems, in NIST's order of difficulty (lower, average, higher)."""


class NistModel(ParametricModel):
    """The formula of NIST problem ``name``, started at ``start``.

    Parameters
    ----------
    name : str
        A key of :data:`FORMULAS`.
    start : tuple of float
        The starting parameters.
    """

    def __init__(self, name="Misra1a", start=(500.0, 1e-4)):
        self.name = name
        self.start = start

    @property
    def n_params(self):
        return len(self.start)

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, dtype=float)

    def _x(self, X):
        return X if self.name == "Nelson" else X[:, 0]

    def predict_raw(self, params, X):
        return FORMULAS[self.name](params, self._x(X))[0]

    def jacobian(self, params, X):
        x = self._x(X)
        columns = FORMULAS[self.name](params, x)[1]
        return np.column_stack([np.broadcast_to(c, (X.shape[0],)) for c in columns])


# -- the fits ----------------------------------------------------------------


def fit_skprob(problem, name, start, **params):
    """LRE of ``GaussianRegressor(model=..., alpha=0.0)``, and what it said.

    Returns ``(lre, outcome, seconds)``; ``outcome`` is "" (no warning),
    "warned" or "refused".
    """
    model = NistModel(name, tuple(float(value) for value in start))
    estimator = GaussianRegressor(model=model, alpha=0.0, **params)
    start_time = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(problem["X"], problem["y"])
        except ValueError as error:
            return 0.0, f"refused: {str(error)[:60]}", time.perf_counter() - start_time
    seconds = time.perf_counter() - start_time
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    lre = log_relative_error(estimator.params_, problem["certified"], problem["digits"])
    return lre, "warned" if warned else "", seconds


def fit_curve_fit(problem, name, start):
    """LRE of ``scipy.optimize.curve_fit`` from ``start``, with the Jacobian."""
    formula = FORMULAS[name]
    x = problem["X"] if name == "Nelson" else problem["X"][:, 0]

    def f(x, *b):
        return formula(np.array(b), x)[0]

    def jac(x, *b):
        columns = formula(np.array(b), x)[1]
        return np.column_stack(
            [np.broadcast_to(c, (len(problem["y"]),)) for c in columns]
        )

    start_time = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimate = curve_fit(f, x, problem["y"], p0=start, jac=jac)[0]
        except (RuntimeError, ValueError):
            return 0.0, time.perf_counter() - start_time
    seconds = time.perf_counter() - start_time
    return log_relative_error(
        estimate, problem["certified"], problem["digits"]
    ), seconds


def run(names=FORMULAS):
    """Rows: problem, start, skprob's LRE, outcome and seconds, curve_fit's."""
    rows = []
    for name in names:
        problem = load(name)
        for index, start in enumerate(problem["starts"], start=1):
            lre, outcome, seconds = fit_skprob(problem, name, start)
            scipy_lre, scipy_seconds = fit_curve_fit(problem, name, start)
            rows.append((name, index, lre, outcome, seconds, scipy_lre, scipy_seconds))
    return rows


def summary(rows):
    reached = sum(row[2] >= DIGITS_REACHED for row in rows)
    scipy_reached = sum(row[5] >= DIGITS_REACHED for row in rows)
    silent_misses = sum(row[2] < DIGITS_REACHED and not row[3] for row in rows)
    refused = sum(row[3].startswith("refused") for row in rows)
    return (
        f"{DIGITS_REACHED:g} correct digits: skprob {reached}/{len(rows)}, "
        f"curve_fit {scipy_reached}/{len(rows)}; skprob fits short of them "
        f"without a warning: {silent_misses}; refused: {refused}."
    )


PAGE_INTRO = """\
# NIST StRD nonlinear regression: skprob against curve_fit

Generated by `python benchmarks/nist.py --markdown` on {date}. Each of the 27
nonlinear least-squares problems of NIST's Statistical Reference Datasets is
fitted from each of its two published starting points (54 fits), by
`GaussianRegressor(model=NistModel(name, start), alpha=0.0)` at its defaults
(`solver="auto"`, which is Newton's method with the Gauss-Newton matrix,
damped as Levenberg-Marquardt's, for a model of your own) and by
`scipy.optimize.curve_fit` (MINPACK's Levenberg-Marquardt) from the same
start, both with the analytic Jacobian that `benchmarks/nist.py` writes for
each formula. The LRE (log relative error, McCullough 1999) is the number of
correct significant digits of the worst parameter against NIST's certified
values, capped at their 11 digits; "warned" is whether skprob's fit raised a
`ConvergenceWarning`. Times are single fits on a shared machine: indicative
only.

## Machine

{machine}

## Digits reached, per problem and start

"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("names", nargs="*", default=list(FORMULAS))
    args = parser.parse_args()
    pin_threads()
    rows = run(args.names)
    header = ["problem", "start", "skprob LRE", "skprob warned", "skprob s"]
    table = markdown_table(
        [*header, "curve_fit LRE", "curve_fit s"],
        [
            [name, str(index), f"{lre:.1f}", outcome or "no", f"{seconds:.3f}"]
            + [f"{scipy_lre:.1f}", f"{scipy_seconds:.3f}"]
            for name, index, lre, outcome, seconds, scipy_lre, scipy_seconds in rows
        ],
    )
    if args.markdown:
        date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        machine = "\n".join(machine_description())
        print(PAGE_INTRO.format(date=date, machine=machine))
    print(table)
    print()
    print(("## Summary\n\n" if args.markdown else "") + summary(rows))


if __name__ == "__main__":
    main()
