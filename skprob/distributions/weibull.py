"""The Weibull and exponential distributions of a positive target."""

import math

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ._base import _held_at_bound, _weighted_mean
from ._positive import Positive, ShapeCapped, _weighted_log_moments

_EULER = 0.5772156649015329


class Weibull(ShapeCapped):
    r"""Weibull distribution of a positive target (durations), scale and shape.

    Domain: :math:`y > 0`. Raw outputs: :math:`z_1 = \log \lambda` (the
    scale, the location of :math:`\log y`) and :math:`z_2 = \log k` (the
    shape). With :math:`u = \log y - z_1` and :math:`w = (y/\lambda)^k =
    e^{k u}`, the exact NLL and its gradient are

    .. math::
        \ell = \log y - z_2 - k u + w, \qquad
        \frac{\partial \ell}{\partial z_1} = k (1 - w), \qquad
        \frac{\partial \ell}{\partial z_2} = -1 + k u (w - 1).

    :meth:`hessian` is the expected information, the same for every row up
    to the scale (w is a standard exponential under the model, and
    :math:`E[w \log w] = 1 - \gamma`, :math:`E[w \log^2 w] = \pi^2/6 - 1 +
    (1 - \gamma)^2`):

    .. math::
        I = \begin{pmatrix} k^2 & -k (1 - \gamma) \\
                            -k (1 - \gamma) & \pi^2/6 + (1 - \gamma)^2
            \end{pmatrix},

    positive definite (its determinant is :math:`k^2 \pi^2 / 6`). The
    marginal MLE is found by Fisher scoring from the moments of
    :math:`\log y` (a Gumbel of standard deviation :math:`\pi / (k
    \sqrt 6)`), the fit of ``scipy.stats.weibull_min.fit(y, floc=0)``.
    ``frozen(raw)`` is ``scipy.stats.weibull_min(c=k, scale=lambda)``;
    ``mean(raw)`` is :math:`\lambda \Gamma(1 + 1/k)`.

    Parameters
    ----------
    max_shape : float, default=1e3
        The ceiling of the shape k (a coefficient of variation of about
        1.3e-3 at the default): without one, the likelihood has no maximum
        where the scale fits every row exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from skprob.distributions import Weibull
    >>> y = stats.weibull_min(c=1.5, scale=2.0).rvs(size=400, random_state=0)
    >>> scale, k = np.exp(Weibull().raw_at_marginal_mle(y, np.ones(400)))
    >>> k_scipy, _, scale_scipy = stats.weibull_min.fit(y, floc=0)
    >>> bool(np.allclose([k, scale], [k_scipy, scale_scipy], rtol=1e-4))
    True
    """

    parameter_names = ("scale", "shape")
    mean_link = None

    def __init__(self, max_shape=1e3):
        self.max_shape = max_shape

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        log_y = np.log(y)
        shape = np.exp(raw[:, 1])
        scaled = shape * (log_y - raw[:, 0])  # k u = log w
        w = np.exp(scaled)
        nll = log_y - raw[:, 1] - scaled + w
        grad = np.empty_like(raw)
        grad[:, 0] = shape * (1.0 - w)
        grad[:, 1] = scaled * (w - 1.0) - 1.0
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        shape = np.exp(raw[:, 1].astype(np.float64))
        hessian = np.empty((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = shape**2
        hessian[:, 0, 1] = hessian[:, 1, 0] = -shape * (1.0 - _EULER)
        hessian[:, 1, 1] = math.pi**2 / 6.0 + (1.0 - _EULER) ** 2
        return _held_at_bound(hessian, free)

    def _raw_start(self, y, sample_weight):
        mean, std = _weighted_log_moments(y, sample_weight)
        shape = math.pi / (math.sqrt(6.0) * max(std, 1e-10))
        # E[log y] = log(lambda) - gamma / k for a Weibull.
        return np.array([mean + _EULER / shape, np.log(shape)])

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"scale": np.exp(raw[:, 0]), "shape": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        return np.exp(raw[:, 0] + gammaln(1.0 + np.exp(-raw[:, 1])))

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        return stats.weibull_min(c=np.exp(raw[:, 1]), scale=np.exp(raw[:, 0]))


class Exponential(Positive):
    r"""Exponential distribution of a positive target: a Weibull with k = 1.

    Domain: :math:`y > 0`. Link: :math:`z = \log \mu`, the log of the mean
    (and scale). The exact NLL and its derivatives are

    .. math::
        \ell = z + y e^{-z}, \qquad
        \frac{\partial \ell}{\partial z} = 1 - y e^{-z}, \qquad
        E\Bigl[\frac{\partial^2 \ell}{\partial z^2}\Bigr] = 1,

    :meth:`hessian` being the expected information (the observed one is
    :math:`y e^{-z}`), constant: Newton's method is then least squares of
    the working residual. The NLL is the Gamma's with its shape fixed at 1,
    and convex in z. The marginal MLE is the log of the weighted mean.
    ``frozen(raw)`` is ``scipy.stats.expon(scale=mu)``; ``mean(raw)`` is mu.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import Exponential
    >>> raw = np.log([[2.0]])
    >>> Exponential().nll(np.array([1.0]), raw).round(4)
    array([1.1931])
    """

    parameter_names = ("mu",)
    mean_link = "log"

    def __init__(self):
        pass

    def nll_gradient(self, y, raw):
        ratio = y * np.exp(-raw[:, 0])
        nll = raw[:, 0] + ratio
        return nll.astype(raw.dtype, copy=False), (1.0 - ratio)[:, None].astype(
            raw.dtype, copy=False
        )

    def hessian(self, y, raw):
        return np.ones((raw.shape[0], 1, 1))

    def raw_at_marginal_mle(self, y, sample_weight):
        return np.array([np.log(_weighted_mean(y, sample_weight))])

    def parameters(self, raw):
        return {"mu": np.exp(raw[:, 0])}

    def mean(self, raw):
        return np.exp(raw[:, 0])

    def frozen(self, raw):
        return stats.expon(scale=np.exp(raw[:, 0]))
