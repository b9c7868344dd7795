"""Student's t distribution of a real target with heavy tails."""

import math

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ._base import _held_at_bound
from ._location_scale import LocationScale, _weighted_median


class StudentT(LocationScale):
    r"""Student's t distribution of a real target, with fixed degrees of freedom.

    Domain: :math:`y \in \mathbb{R}`. Raw outputs: :math:`z_1 = \mu` (the
    location) and :math:`z_2 = \log \sigma` (the scale); the degrees of
    freedom :math:`\nu` are a hyper-parameter (``df``, searchable as
    ``distribution__df``): with :math:`\nu` free the likelihood is often
    flat or maximal at a boundary on small samples. With :math:`r = (y -
    z_1) e^{-z_2}`, the exact NLL and its gradient are

    .. math::
        \ell = \log\Gamma(\tfrac{\nu}{2}) - \log\Gamma(\tfrac{\nu + 1}{2})
               + \tfrac12 \log(\nu \pi) + z_2
               + \tfrac{\nu + 1}{2} \log\bigl(1 + r^2 / \nu\bigr),

    .. math::
        \frac{\partial \ell}{\partial z_1}
            = -\frac{(\nu + 1)\, r}{\nu + r^2}\, e^{-z_2}, \qquad
        \frac{\partial \ell}{\partial z_2} = 1 - \frac{(\nu + 1)\, r^2}{\nu + r^2}.

    An outlier's gradient fades as :math:`1/r`: the fit is robust. The
    observed Hessian is indefinite for outliers, so :meth:`hessian` is the
    expected information, ``diag((nu + 1) / (nu + 3) * exp(-2 z_2), 2 nu /
    (nu + 3))``. The marginal MLE is found by Fisher scoring from the
    weighted median and the median absolute deviation. ``frozen(raw)`` is
    ``scipy.stats.t(df=nu, loc=mu, scale=sigma)``; ``mean(raw)`` is mu (the
    mean exists for :math:`\nu > 1`; ``frozen(raw).mean()`` is nan below).

    Parameters
    ----------
    df : float, default=3.0
        The degrees of freedom :math:`\nu > 0`; large values approach the
        normal.
    min_scale : float, default=1e-3
        The floor of the scale sigma, in the units of y, as
        :class:`Laplace`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from skprob.distributions import StudentT
    >>> y = stats.t(df=3.0, loc=1.0, scale=2.0).rvs(size=500, random_state=0)
    >>> loc, log_scale = StudentT(df=3.0).raw_at_marginal_mle(y, np.ones(500))
    >>> _, loc_scipy, scale_scipy = stats.t.fit(y, fix_df=3.0)
    >>> bool(np.allclose([loc, np.exp(log_scale)], [loc_scipy, scale_scipy], rtol=1e-4))
    True
    """

    def __init__(self, df=3.0, min_scale=1e-3):
        self.df = df
        self.min_scale = min_scale

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        df = float(self.df)
        inv_scale = np.exp(-raw[:, 1])
        r = (y - raw[:, 0]) * inv_scale
        constant = (
            gammaln(df / 2) - gammaln((df + 1) / 2) + 0.5 * math.log(df * math.pi)
        )
        nll = constant + raw[:, 1] + 0.5 * (df + 1) * np.log1p(r**2 / df)
        weight = (df + 1) / (df + r**2)
        grad = np.empty_like(raw)
        grad[:, 0] = -weight * r * inv_scale
        grad[:, 1] = 1.0 - weight * r**2
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        df = float(self.df)
        hessian = np.zeros((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = (
            (df + 1) / (df + 3) * np.exp(-2.0 * raw[:, 1].astype(np.float64))
        )
        hessian[:, 1, 1] = 2 * df / (df + 3)
        return _held_at_bound(hessian, free)

    def _raw_start(self, y, sample_weight):
        median = _weighted_median(y, sample_weight)
        spread = _weighted_median(np.abs(y - median), sample_weight)
        return np.array([median, np.log(max(spread, 1e-300))])

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        return stats.t(df=self.df, loc=raw[:, 0], scale=np.exp(raw[:, 1]))
