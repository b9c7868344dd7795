"""The negative binomial distribution (NB2) of an overdispersed count."""

import math

import numpy as np
from scipy import stats
from scipy.special import betaln, digamma, gammaln

from ._base import Distribution, _held_at_bound, _weighted_mean
from .poisson import _is_count

# The most terms of the expected information's series (see hessian): the
# counts it sums over, enough for means up to about 1e5.
_SERIES_MAX = 1_000_000


def _softplus(x):
    return np.logaddexp(0.0, x)


def _log_rising(y, r):
    """log Gamma(y + r) - log Gamma(r), accurate for a large r.

    The difference of two gammaln of about r log r loses all its digits as
    r = 1 / alpha grows (a nearly Poisson count); betaln's asymptotic
    expansion does not: log Gamma(y + r) - log Gamma(r) = log Gamma(y) -
    log B(r, y) for y > 0, and 0 for y = 0.
    """
    positive = y > 0
    safe = np.where(positive, y, 1.0)
    return np.where(positive, gammaln(safe) - betaln(r, safe), 0.0)


def _digamma_gap(y, r):
    """psi(y + r) - psi(r), accurate for a large r.

    For r above 1e5, the asymptotic expansion of the digamma function to
    1 / r^2 (the next term is below 1e-21 of the first there); the
    difference of two digamma values of about log r would lose its digits.
    """
    large = r > 1e5
    small_r = np.where(large, 1.0, r)
    direct = digamma(y + small_r) - digamma(small_r)
    big_r = np.where(large, r, 1e5)
    shifted = big_r + y
    series = np.log1p(y / big_r) + y / (2.0 * big_r * shifted)
    series += y / (12.0 * big_r * shifted) * (1.0 / big_r + 1.0 / shifted)
    return np.where(large, series, direct)


class NegativeBinomial(Distribution):
    r"""Negative binomial distribution NB2 of a count, mean and dispersion.

    Domain: :math:`y \in \{0, 1, 2, \dots\}` (a non-integer y >= 0 is
    fitted by the same formula, as for :class:`Poisson`). Raw outputs:
    :math:`z_1 = \log \mu` (the mean) and :math:`z_2 = \log \alpha` (the
    dispersion), with
    variance :math:`\mu + \alpha \mu^2` (Cameron and Trivedi's NB2, the
    parametrization of statsmodels' ``NegativeBinomial``). With
    :math:`r = 1/\alpha`, :math:`t = \alpha \mu = e^{z_1 + z_2}` and
    :math:`L = \log(1 + t)` (a log-add-exp, stable for any z), the exact NLL
    is

    .. math::
        \ell = \log\Gamma(r) - \log\Gamma(y + r) + \log y!
               + (r + y) L - y (z_1 + z_2),

    with gradient

    .. math::
        \frac{\partial \ell}{\partial z_1} = \frac{\mu - y}{1 + t}, \qquad
        \frac{\partial \ell}{\partial z_2} = r \bigl[\psi(y + r) - \psi(r)
            - L\bigr] + \frac{\mu - y}{1 + t}.

    :meth:`hessian` is the expected information (the observed one is
    indefinite where a count sits far from its mean): the mean and the
    dispersion are orthogonal, :math:`E[\partial^2 \ell / \partial z_1^2] =
    \mu / (1 + t)`, and

    .. math::
        E\Bigl[\frac{\partial^2 \ell}{\partial z_2^2}\Bigr]
        = r^2 \sum_{j \ge 0} \frac{\Pr(Y > j)}{(r + j)^2}
          - \frac{\mu}{1 + t},

    whose series (the expectation of :math:`\psi'(r) - \psi'(r + y)`) is
    summed until the rest is below 1e-13 of it: its cost grows with the
    spread of the counts (a few hundred terms for means of tens). As
    :math:`\alpha \to 0` it tends to the Poisson.

    The marginal MLE starts from the moments (the mean, and the excess of
    the variance over the mean) and is refined by Fisher scoring; for
    underdispersed counts no MLE exists, and the dispersion goes to its
    floor. ``frozen(raw)`` is ``scipy.stats.nbinom(n=1/alpha,
    p=1/(1 + alpha mu))``; ``mean(raw)`` is mu.

    Parameters
    ----------
    min_alpha : float, default=1e-8
        The floor of the dispersion: for counts no more dispersed than a
        Poisson's the likelihood grows as alpha goes to 0, where the NB2
        becomes the Poisson; at the floor it is the Poisson to about 1e-8.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import NegativeBinomial
    >>> y = np.random.default_rng(0).negative_binomial(2, 0.2, size=2000)
    >>> mu, alpha = np.exp(NegativeBinomial().raw_at_marginal_mle(y, np.ones(2000)))
    >>> bool(np.isclose(mu, y.mean())), round(float(alpha), 2)  # true alpha: 0.5
    (True, 0.53)
    """

    parameter_names = ("mu", "alpha")
    support = "the non-negative counts"
    curvature_from_hessian = True
    hessian_kind = "expected"
    mean_link = "log"
    n_raw = 2

    def __init__(self, min_alpha=1e-8):
        self.min_alpha = min_alpha

    def _raw_bounds(self):
        return [-np.inf, math.log(self.min_alpha)], [np.inf, np.inf]

    def _in_support(self, y):
        return _is_count(y)

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        z_mu, z_alpha = raw[:, 0], raw[:, 1]
        r = np.exp(-z_alpha)
        log_t = z_mu + z_alpha
        log1p_t = _softplus(log_t)
        nll = gammaln(y + 1.0) - _log_rising(y, r)
        nll += (r + y) * log1p_t - y * log_t
        grad = np.empty_like(raw)
        # (mu - y) / (1 + t), as exp(z_mu - L) - y exp(-L): finite for any z.
        grad[:, 0] = np.exp(z_mu - log1p_t) - y * np.exp(-log1p_t)
        grad[:, 1] = r * (_digamma_gap(y, r) - log1p_t) + grad[:, 0]
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        z_mu, z_alpha = raw[:, 0].astype(np.float64), raw[:, 1].astype(np.float64)
        r = np.exp(-z_alpha)
        log1p_t = _softplus(z_mu + z_alpha)
        t_share = np.exp(z_mu + z_alpha - log1p_t)  # t / (1 + t)
        hessian = np.zeros((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = np.exp(z_mu - log1p_t)  # mu / (1 + t)
        gap = self._trigamma_gap(r, 1.0 - t_share)
        hessian[:, 1, 1] = r**2 * gap - hessian[:, 0, 0]
        return np.maximum(_held_at_bound(hessian, free), 0.0)

    def curvature_ratio(self, y, raw, weight):
        """The mean's curvature mu / (1 + t), plus a bound of 1 on the other's.

        The dispersion's expected curvature stays below 0.7 on a grid of
        mu from e^-5 to e^6 and alpha from e^-6 to e^4 (it vanishes with
        alpha); its series is too costly to sum for every batch.
        """
        raw = self._clamp(raw)[0]
        mean_curvature = np.exp(raw[:, 0] - _softplus(raw[:, 0] + raw[:, 1]))
        return float(weight @ mean_curvature) / float(np.sum(weight)) + 1.0

    @staticmethod
    def _trigamma_gap(r, p):
        """E[psi'(r) - psi'(r + Y)] = sum_j P(Y > j) / (r + j)^2, per row.

        The probabilities come from the recursion of the NB's log-pmf,
        log f(j + 1) = log f(j) + log((r + j) / (j + 1)) + log(1 - p),
        a few vector operations per count (scipy's ``nbinom.sf`` costs a
        regularized incomplete beta function per term). A row stops once
        the bound ``P(Y > j) / (r + j)`` on the rest of its series is below
        1e-13 of its sum, or ``P(Y > j)`` below 1e-14, where the rounding of
        ``1 - cdf`` would dominate it.
        """
        log_q = np.log1p(-p)
        log_pmf = r * np.log(p)
        cdf = np.exp(log_pmf)
        total = np.zeros_like(r)
        active = np.ones(r.shape, dtype=bool)
        j = 0
        while active.any() and j < _SERIES_MAX:
            survival = np.maximum(1.0 - cdf, 0.0)
            total += np.where(active, survival / (r + j) ** 2, 0.0)
            # 1 - cdf is exact only to rounding, about 1e-16 times the
            # terms summed: below 1e-14 it is no longer a probability.
            active &= survival > np.maximum(1e-13 * total * (r + j), 1e-14)
            log_pmf += np.log1p((r - 1.0) / (j + 1.0)) + log_q
            cdf += np.exp(log_pmf)
            j += 1
        return total

    def _raw_start(self, y, sample_weight):
        mean = max(_weighted_mean(y, sample_weight), 1e-10)
        variance = _weighted_mean((y - mean) ** 2, sample_weight)
        alpha = max((variance - mean) / mean**2, 1e-3)
        return np.array([np.log(mean), np.log(alpha)])

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"mu": np.exp(raw[:, 0]), "alpha": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        return np.exp(raw[:, 0])

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        r = np.exp(-raw[:, 1])
        p = np.exp(-_softplus(raw[:, 0] + raw[:, 1]))
        return stats.nbinom(r, p)
