"""The log-normal distribution of a positive target."""

import math

import numpy as np
from scipy import stats

from ._base import _held_at_bound
from ._positive import Positive, _weighted_log_moments


class LogNormal(Positive):
    r"""Log-normal distribution of a positive target.

    Domain: :math:`y > 0`; :math:`\log y` is normal with mean :math:`m` and
    standard deviation :math:`s`. Raw outputs: :math:`z_1 = m` (the log of
    the median, the location) and :math:`z_2 = \log s`. With
    :math:`u = (\log y - z_1) e^{-z_2}`, the exact NLL is the normal's of
    :math:`\log y` plus the Jacobian :math:`\log y`:

    .. math::
        \ell = \log y + z_2 + \tfrac12 \log 2\pi + \tfrac12 u^2, \qquad
        \frac{\partial \ell}{\partial z_1} = -u e^{-z_2}, \qquad
        \frac{\partial \ell}{\partial z_2} = 1 - u^2.

    :meth:`hessian` is the expected information, ``diag(exp(-2 z_2), 2)``
    (the observed one, as :class:`HeteroscedasticNormal`'s, is indefinite
    where the location misses). The marginal MLE is the weighted mean and
    standard deviation of :math:`\log y`, in closed form.

    ``frozen(raw)`` is ``scipy.stats.lognorm(s=s, scale=exp(m))``, and
    ``mean(raw)`` is :math:`e^{m + s^2/2}`: the mean, not the median
    :math:`e^m`, which the model predicts. Fitting a normal to :math:`\log y`
    (``TransformedTargetRegressor(func=np.log)``) gives the same location,
    and its predictions are the median.

    Parameters
    ----------
    min_s : float, default=1e-3
        The floor of s (about the coefficient of variation of y, for a small
        s): without one, the likelihood has no maximum where the location
        fits some rows exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import LogNormal
    >>> y = np.exp(np.array([0.0, 1.0, 2.0]))
    >>> np.round(LogNormal().raw_at_marginal_mle(y, np.ones(3)), 4)
    array([ 1.    , -0.2027])
    """

    parameter_names = ("median", "s")
    mean_link = None
    n_raw = 2
    spread_output = 1

    def __init__(self, min_s=1e-3):
        self.min_s = min_s

    def _raw_bounds(self):
        return [-np.inf, math.log(self.min_s)], [np.inf, np.inf]

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        log_y = np.log(y)
        inv_s = np.exp(-raw[:, 1])
        u = (log_y - raw[:, 0]) * inv_s
        nll = log_y + raw[:, 1] + 0.5 * math.log(2 * math.pi) + 0.5 * u**2
        grad = np.empty_like(raw)
        grad[:, 0] = -u * inv_s
        grad[:, 1] = 1.0 - u**2
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        hessian = np.zeros((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = np.exp(-2.0 * raw[:, 1].astype(np.float64))
        hessian[:, 1, 1] = 2.0
        return _held_at_bound(hessian, free)

    def raw_at_marginal_mle(self, y, sample_weight):
        mean, std = _weighted_log_moments(y, sample_weight)
        return np.array([mean, np.log(max(std, 1e-10))])

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"median": np.exp(raw[:, 0]), "s": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        # inf where s is so large that the mean exceeds the floats: so it is.
        with np.errstate(over="ignore"):
            return np.exp(raw[:, 0] + 0.5 * np.exp(2.0 * raw[:, 1]))

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        return stats.lognorm(s=np.exp(raw[:, 1]), scale=np.exp(raw[:, 0]))
