r"""The CRPS of a frozen scipy.stats distribution, row by row.

.. math:: \mathrm{CRPS}(F, y) = \int (F(z) - 1\{z \ge y\})^2 \, dz

in closed form for the families that have one (the references are in
:func:`skprob.metrics.crps`), and by a stated numerical method otherwise:

- continuous: the quantile form :math:`2 \int_0^1 (1\{y < Q(u)\} - u)(Q(u) -
  y)\,du` (Laio and Tamea, 2007), by 8-point Gauss-Legendre on each of the
  segments between the levels :math:`2^{-j}`, j = 1..53, and their mirrors
  :math:`1 - 2^{-j}` (read through ``isf``, which keeps the upper tail's
  precision), split at :math:`F(y)` where the integrand has its kink. The
  geometric segments follow the power laws of a quantile function at the
  ends of the support; the levels below :math:`2^{-53}` and above
  :math:`1 - 2^{-53}` are left out.
- discrete on the integers (shifted by ``loc``): the exact sum over the
  support points k, where F is constant on [k, k + 1), from the
  :math:`10^{-16}` quantile to the :math:`10^{-16}` upper quantile; beyond
  them F or 1 - F is below :math:`10^{-16}`, and the stretch between them and
  an observation further out counts in full.
"""

import numpy as np
from scipy import special, stats

_MAX_TERMS = 1 << 22  # values per block of rows: bounds the memory
_TAIL = 1e-16  # the tail mass a discrete sum leaves out
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)
_LEVELS = 0.5 ** np.arange(53, 0, -1)  # 2^-53 .. 1/2


def parameters(dist):
    """The shape parameters, loc and scale of a frozen scipy distribution."""
    generator = dist.dist
    names = generator.shapes.split(", ") if generator.shapes else []
    names += ["loc"] if isinstance(generator, stats.rv_discrete) else ["loc", "scale"]
    positional = dict(zip(names[: len(dist.args)], dist.args, strict=True))
    values = {"loc": 0.0, "scale": 1.0, **positional, **dist.kwds}
    return {name: values[name] for name in names}


def _rows(dist, values, rows):
    """The frozen distribution of the same family at ``rows`` of its parameters."""
    return dist.dist(**{name: value[rows] for name, value in values.items()})


# -- closed forms, on the standardized y ----------------------------------------


def _normal(x):
    return x * (2 * special.ndtr(x) - 1) + 2 * stats.norm.pdf(x) - 1 / np.sqrt(np.pi)


def _logistic(x):
    # 2 log F(x) = -2 softplus(-x): exact in both tails.
    return x + 2 * np.logaddexp(0, -x) - 1


def _laplace(x):
    return np.abs(x) + np.exp(-np.abs(x)) - 0.75


def _exponential(x):
    return np.where(x < 0, 0.5 - x, x + 2 * np.exp(-np.maximum(x, 0)) - 1.5)


def _gamma(x, a):
    positive = np.maximum(x, 0)  # F is 0 below the support
    return (
        x * (2 * special.gammainc(a, positive) - 1)
        - a * (2 * special.gammainc(a + 1, positive) - 1)
        - np.exp(-special.betaln(0.5, a))
    )


def _lognormal(x, s):
    with np.errstate(divide="ignore"):
        w = np.log(np.maximum(x, 0)) / s
    half = special.ndtr(w - s) - special.ndtr(-s / np.sqrt(2))
    return x * (2 * special.ndtr(w) - 1) - 2 * np.exp(s**2 / 2) * half


def _student(x, df):
    spread = np.exp(
        np.log(2 * np.sqrt(df))
        + special.betaln(0.5, df - 0.5)
        - 2 * special.betaln(0.5, df / 2)
        - np.log(df - 1)
    )
    density = stats.t.pdf(x, df)
    return (
        x * (2 * special.stdtr(df, x) - 1)
        + 2 * density * (df + x**2) / (df - 1)
        - spread
    )


def _beta(x, a, b):
    mean = a / (a + b)
    spread = 2 * np.exp(special.betaln(2 * a, 2 * b) - 2 * special.betaln(a, b)) / a
    return x * (2 * stats.beta.cdf(x, a, b) - 1) + mean * (
        1 - 2 * stats.beta.cdf(x, a + 1, b) - spread
    )


def _poisson(k, mu):
    below = np.floor(k)
    return (
        (k - mu) * (2 * stats.poisson.cdf(k, mu) - 1)
        + 2 * mu * stats.poisson.pmf(below, mu)
        - mu * (special.i0e(2 * mu) + special.i1e(2 * mu))
    )


def _hypergeometric(n, p):
    return special.hyp2f1(n + 1, 0.5, 2, -4 * (1 - p) / p**2)


def _negative_binomial(k, n, p):
    spread = _hypergeometric(n, p)
    return k * (2 * stats.nbinom.cdf(k, n, p) - 1) - (1 - p) * n / p**2 * (
        p * (2 * stats.nbinom.cdf(k - 1, n + 1, p) - 1) + spread
    )


# generator: (CRPS of the standard member, whether it applies to the shapes)
CLOSED_FORMS = {
    type(stats.norm): (_normal, None),
    type(stats.logistic): (_logistic, None),
    type(stats.laplace): (_laplace, None),
    type(stats.expon): (_exponential, None),
    type(stats.gamma): (_gamma, None),
    type(stats.lognorm): (_lognormal, None),
    # The mean of a Student-t exists for df > 1 only; the CRPS, finite for
    # df > 1/2, is then computed numerically.
    type(stats.t): (_student, lambda df: df > 1),
    type(stats.beta): (_beta, None),
    type(stats.poisson): (_poisson, None),
    # scipy's hyp2f1 returns nan for large n (n > 100 or so, fewer for p
    # near 0); it is accurate wherever it is finite.
    type(stats.nbinom): (
        _negative_binomial,
        lambda n, p: np.isfinite(_hypergeometric(n, p)),
    ),
}


def _closed_form(formula, y, values):
    shapes = [value for name, value in values.items() if name not in ("loc", "scale")]
    scale = values.get("scale", 1.0)
    return scale * formula((y - values["loc"]) / scale, *shapes)


# -- numerical ------------------------------------------------------------------


def _half_integral(dist, y, kink, upper):
    """The quantile form's integral over the levels u in (0, 1/2], or [1/2, 1).

    ``upper`` integrates over v = 1 - u in (0, 1/2], with Q(u) = isf(v).
    ``kink`` is the level of y (u, or v in the upper half), a breakpoint.
    """
    levels = np.broadcast_to(_LEVELS[:, None], (len(_LEVELS), len(y)))
    kink = np.clip(kink, _LEVELS[0], 0.5)
    points = np.sort(np.vstack([levels, kink]), axis=0)
    start, length = points[:-1], np.diff(points, axis=0)
    level = start[:, None] + length[:, None] * ((_NODES + 1) / 2)[:, None]
    quantile = dist.isf(level) if upper else dist.ppf(level)
    # The pinball loss of Q at u: (1 - u)(Q - y) above y, u (y - Q) below.
    u, one_minus_u = (1 - level, level) if upper else (level, 1 - level)
    pinball = np.where(y < quantile, one_minus_u * (quantile - y), u * (y - quantile))
    return np.einsum("smr,m,sr->r", pinball, _WEIGHTS / 2, length)


def _numerical_continuous(dist, y):
    below, above = dist.cdf(y), dist.sf(y)
    lower = _half_integral(dist, y, np.where(below <= 0.5, below, 0.5), False)
    upper = _half_integral(dist, y, np.where(above < 0.5, above, 0.5), True)
    return 2 * (lower + upper)


def _support_range(dist, shift):
    """The first and last support points, as offsets from ``shift``, to sum."""
    first = np.maximum(dist.ppf(_TAIL), dist.support()[0]) - shift
    last = dist.isf(_TAIL) - shift
    if not np.all(np.isfinite(last)):
        raise ValueError(
            f"The {dist.dist.name} distribution has an infinite 1e-16 upper "
            "quantile: its CRPS cannot be summed."
        )
    return first, last


def _numerical_discrete(dist, y, shift, first, last):
    """The sum over the support points k, where F is constant on [k, k + 1)."""
    k = np.clip(y - shift, first, last)
    width = (last - first).astype(np.int64)
    row = np.repeat(np.arange(len(y)), width)
    offset = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    point = first[row] + offset
    values = {name: np.broadcast_to(v, y.shape) for name, v in parameters(dist).items()}
    member = _rows(dist, values, row)
    below = np.clip(k[row] - point, 0, 1)  # the part of [k, k + 1) below y
    point = point + shift[row]
    terms = below * member.cdf(point) ** 2 + (1 - below) * member.sf(point) ** 2
    # Beyond the range, F is 0 below y (or 1 above it) to 1e-16.
    outside = np.maximum(first - (y - shift), 0) + np.maximum(y - shift - last, 0)
    return np.bincount(row, terms, minlength=len(y)) + outside


def _numerical(dist, values, y, rows):
    """The numerical CRPS at ``rows``, in blocks of at most ``_MAX_TERMS`` values."""
    result = np.empty(len(rows))
    if isinstance(dist.dist, stats.rv_discrete):
        member = _rows(dist, values, rows)
        shift = np.broadcast_to(values["loc"][rows], rows.shape)
        first, last = _support_range(member, shift)
        cost = np.maximum(last - first, 1)
    else:
        cost = np.full(len(rows), 2.0 * len(_LEVELS) * len(_NODES))
    block = np.floor(np.cumsum(cost) / _MAX_TERMS)
    for index in np.unique(block):
        part = np.flatnonzero(block == index)
        member = _rows(dist, values, rows[part])
        if isinstance(dist.dist, stats.rv_discrete):
            result[part] = _numerical_discrete(
                member, y[rows[part]], shift[part], first[part], last[part]
            )
        else:
            result[part] = _numerical_continuous(member, y[rows[part]])
    return result


def crps_values(dist, y, numerical=False):
    """The CRPS of each element of y (of the batch shape) under ``dist``.

    ``numerical`` skips the closed forms (to check them).
    """
    generator = dist.dist
    if hasattr(generator, "xk"):
        raise TypeError(
            "crps sums a discrete distribution over the integers; a "
            "distribution on arbitrary points (scipy.stats.rv_discrete with "
            "values=) is not supported."
        )
    shape = y.shape
    values = {
        name: np.broadcast_to(value, shape).ravel()
        for name, value in parameters(dist).items()
    }
    y = y.ravel()
    formula, applies = CLOSED_FORMS.get(type(generator), (None, None))
    closed = np.zeros(len(y), dtype=bool)
    if formula is not None and not numerical:
        shapes = [v for name, v in values.items() if name not in ("loc", "scale")]
        closed = np.ones(len(y), dtype=bool) if applies is None else applies(*shapes)
    result = np.empty(len(y))
    if closed.any():
        result[closed] = _closed_form(
            formula, y[closed], {name: v[closed] for name, v in values.items()}
        )
    rows = np.flatnonzero(~closed)
    if len(rows):
        result[rows] = _numerical(dist, values, y, rows)
    return result.reshape(shape)
