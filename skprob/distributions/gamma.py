"""The Gamma distribution of a positive target."""

import numpy as np
from scipy import stats
from scipy.special import digamma, gammaln, polygamma

from ._base import _held_at_bound, _weighted_mean
from ._positive import ShapeCapped, _weighted_log_moments


class Gamma(ShapeCapped):
    r"""Gamma distribution of a positive target, mean and shape.

    Domain: :math:`y > 0`. Raw outputs: :math:`z_1 = \log \mu` (the mean,
    the log link of scikit-learn's ``GammaRegressor`` and of statsmodels'
    GLM with a log link) and :math:`z_2 = \log k` (the shape; the GLM
    dispersion is :math:`1/k`, the coefficient of variation
    :math:`1/\sqrt{k}`). The exact NLL and its gradient are

    .. math::
        \ell = \log\Gamma(k) - k \log k + k z_1 - (k - 1) \log y
               + k y e^{-z_1},

    .. math::
        \frac{\partial \ell}{\partial z_1} = k (1 - y e^{-z_1}), \qquad
        \frac{\partial \ell}{\partial z_2} = k \bigl[\psi(k) - \log k - 1
            + z_1 - \log y + y e^{-z_1}\bigr].

    :meth:`hessian` is the expected information, in closed form: the mean
    and the shape are orthogonal, :math:`E[\partial^2 \ell / \partial
    z_1^2] = k` (the observed :math:`k y e^{-z_1}`), and
    :math:`E[\partial^2 \ell / \partial z_2^2] = k (k \psi'(k) - 1) > 0`.
    For a fixed shape, the mean's MLE is the GLM's, whatever k: the shape
    only scales the NLL.

    The marginal MLE is the weighted mean for :math:`\mu`, and for k Fisher
    scoring from the moments of log y, as ``scipy.stats.gamma.fit(y,
    floc=0)`` solves :math:`\log k - \psi(k) = \log \bar y -
    \overline{\log y}`. ``frozen(raw)`` is ``scipy.stats.gamma(a=k,
    scale=mu / k)``; ``mean(raw)`` is mu.

    Parameters
    ----------
    max_shape : float, default=1e6
        The ceiling of the shape k, a coefficient of variation of 1e-3 at
        the default: without one, the likelihood has no maximum where the
        mean fits every row exactly (k goes to infinity).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from skprob.distributions import Gamma
    >>> y = stats.gamma(a=3.0, scale=2.0).rvs(size=500, random_state=0)
    >>> mu, k = np.exp(Gamma().raw_at_marginal_mle(y, np.ones(500)))
    >>> k_scipy, _, scale_scipy = stats.gamma.fit(y, floc=0)
    >>> bool(np.allclose([k, mu], [k_scipy, k_scipy * scale_scipy], rtol=1e-4))
    True
    """

    parameter_names = ("mu", "shape")
    mean_link = "log"

    def __init__(self, max_shape=1e6):
        self.max_shape = max_shape

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        z_mu, z_shape = raw[:, 0], raw[:, 1]
        shape = np.exp(z_shape)
        log_y = np.log(y)
        ratio = y * np.exp(-z_mu)
        nll = gammaln(shape) - shape * z_shape + shape * z_mu
        nll += ratio * shape - (shape - 1.0) * log_y
        grad = np.empty_like(raw)
        grad[:, 0] = shape * (1.0 - ratio)
        grad[:, 1] = shape * (digamma(shape) - z_shape - 1.0 + z_mu - log_y + ratio)
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        shape = np.exp(raw[:, 1].astype(np.float64))
        hessian = np.zeros((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = shape
        # k psi'(k) - 1 = 1/(2k) + ... cancels for a large k: polygamma keeps
        # it positive to rounding, and the floor keeps rounding from a sign.
        hessian[:, 1, 1] = shape * np.maximum(shape * polygamma(1, shape) - 1.0, 0.0)
        return _held_at_bound(hessian, free)

    def _raw_start(self, y, sample_weight):
        mean = _weighted_mean(y, sample_weight)
        gap = max(np.log(mean) - _weighted_log_moments(y, sample_weight)[0], 1e-12)
        # Minka's approximation to the root of log k - psi(k) = gap.
        shape = (3.0 - gap + np.sqrt((gap - 3.0) ** 2 + 24.0 * gap)) / (12.0 * gap)
        return np.array([np.log(mean), np.log(shape)])

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"mu": np.exp(raw[:, 0]), "shape": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        return np.exp(raw[:, 0])

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        shape = np.exp(raw[:, 1])
        return stats.gamma(a=shape, scale=np.exp(raw[:, 0]) / shape)
