"""NIST's 27 certified nonlinear regression problems, as models of one's own.

The problems of NIST's Statistical Reference Datasets (StRD) for nonlinear
least squares (``benchmarks/nist_strd``: data, two published starting points,
certified values and standard deviations), each formula with its analytic
Jacobian, as :class:`~skprob.models.ParametricModel` objects. The benchmark
``benchmarks/nist.py`` and the tests (``tests/_nist.py``) both read them from
here.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skprob.models import ParametricModel

DATA = Path(__file__).resolve().parent / "nist_strd"


# -- the data ----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One NIST problem: its data, starting points and certified values.

    ``X`` is (n, n_predictors) and ``x`` its first column; ``starts`` holds
    the two published starting points; ``digits`` is the number of
    significant digits of the certified values. The response of Nelson is
    ``log(y)``, as its model reads.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    starts: tuple
    certified: np.ndarray
    certified_sd: np.ndarray
    certified_rss: float
    digits: int

    @property
    def x(self):
        return self.X[:, 0]


def load(name):
    """The problem ``name`` as NIST publishes it, a :class:`Problem`."""
    lines = (DATA / f"{name}.dat").read_text().splitlines()
    parameter_lines = [line for line in lines if re.match(r"\s*b\d+\s*=", line)]
    rows = np.array([_numbers(line.split("=")[1]) for line in parameter_lines])
    mantissas = [
        re.match(r"\s*b\d+\s*=\s*\S+\s+\S+\s+(\S+)", line).group(1)
        for line in parameter_lines
    ]
    rss_line = next(line for line in lines if "Residual Sum of Squares" in line)
    data_start = next(
        i for i, line in enumerate(lines) if re.match(r"Data:\s+y\s", line)
    )
    data = np.array(
        [_numbers(line) for line in lines[data_start + 1 :] if line.strip()]
    )
    return Problem(
        name=name,
        X=data[:, 1:],
        y=np.log(data[:, 0]) if name == "Nelson" else data[:, 0],
        starts=(rows[:, 0], rows[:, 1]),
        certified=rows[:, 2],
        certified_sd=rows[:, 3],
        certified_rss=_numbers(rss_line.split(":")[1])[0],
        digits=min(_significant_digits(m) for m in mantissas),
    )


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


class NistFormula(ParametricModel):
    """The formula of NIST problem ``name``, started at ``start``.

    Without a Jacobian: the fit takes it by finite differences. See
    :class:`NistModel` for the analytic one.

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


class NistModel(NistFormula):
    """The formula of NIST problem ``name`` with its analytic Jacobian."""

    def jacobian(self, params, X):
        columns = FORMULAS[self.name](params, self._x(X))[1]
        return np.column_stack([np.broadcast_to(c, (X.shape[0],)) for c in columns])
