"""The Poisson distribution of a count."""

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ._base import Distribution, _weighted_mean


def _is_count(y):
    """Finite non-negative numbers: counts, or rates fitted as counts.

    Not only whole numbers: the NLL, with ``gammaln(y + 1)`` for log y!, is
    defined for any y >= 0 and its minimizer is the same quasi-likelihood
    estimate as scikit-learn's PoissonRegressor and statsmodels' GLM give
    for a non-integer y (a rate, an average count). ``frozen(raw)`` is a
    distribution over the integers all the same.
    """
    y = np.asarray(y)
    with np.errstate(invalid="ignore"):
        return np.isfinite(y) & (y >= 0)


class Poisson(Distribution):
    r"""Poisson distribution of a count, with a log link.

    Domain: :math:`y \in \{0, 1, 2, \dots\}` (a non-integer y >= 0 is
    fitted by the same formula, a quasi-likelihood, as scikit-learn's
    ``PoissonRegressor`` does; ``predict_dist`` is over the integers).
    Link: :math:`\mu = e^{z}` (the canonical link). The NLL, exact, and its
    derivatives are

    .. math::
        \ell = e^{z} - y z + \log y!, \qquad
        \frac{\partial \ell}{\partial z} = e^{z} - y, \qquad
        \frac{\partial^2 \ell}{\partial z^2} = e^{z},

    so the observed Hessian is the expected one, positive: the NLL is convex
    in z. :math:`\log y!` is ``gammaln(y + 1)``. The marginal MLE is
    :math:`z = \log \bar y`, the log of the weighted mean count (floored at
    a tiny positive count when every y is 0, where no MLE exists). The
    variance equals the mean: for overdispersed counts use
    :class:`NegativeBinomial`.

    ``frozen(raw)`` is ``scipy.stats.poisson(mu)``; ``mean(raw)`` is mu.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import Poisson
    >>> dist = Poisson()
    >>> raw = dist.raw_at_marginal_mle(np.array([0, 1, 2, 5]), np.ones(4))
    >>> float(np.exp(raw[0]))
    2.0
    >>> dist.check_target(np.array([1, -1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Poisson is a distribution ...; y has 1 value(s) outside it: -1.
    """

    parameter_names = ("mu",)
    support = "the non-negative counts"
    curvature_from_hessian = True
    hessian_kind = "observed"
    mean_link = "log"

    def __init__(self):
        pass

    def _in_support(self, y):
        return _is_count(y)

    def nll_gradient(self, y, raw):
        z = raw[:, 0]
        mu = np.exp(z)
        nll = mu - y * z + gammaln(y + 1.0)
        return nll.astype(raw.dtype, copy=False), (mu - y)[:, None].astype(
            raw.dtype, copy=False
        )

    def hessian(self, y, raw):
        return np.exp(raw)[:, :, None]

    def raw_at_marginal_mle(self, y, sample_weight):
        return np.array([np.log(max(_weighted_mean(y, sample_weight), 1e-10))])

    def parameters(self, raw):
        return {"mu": np.exp(raw[:, 0])}

    def mean(self, raw):
        return np.exp(raw[:, 0])

    def frozen(self, raw):
        return stats.poisson(np.exp(raw[:, 0]))
