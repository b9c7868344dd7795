"""The Laplace distribution of a real target with heavy-ish tails."""

import math

import numpy as np
from scipy import stats

from ._base import _held_at_bound
from ._location_scale import LocationScale, _weighted_median


class Laplace(LocationScale):
    r"""Laplace distribution of a real target: least absolute deviations.

    Domain: :math:`y \in \mathbb{R}`. Raw outputs: :math:`z_1 = \mu` (the
    location, the median) and :math:`z_2 = \log b` (the scale). The exact
    NLL and its gradient (where :math:`y \ne z_1`) are

    .. math::
        \ell = \log 2 + z_2 + |y - z_1| e^{-z_2}, \qquad
        \frac{\partial \ell}{\partial z_1} = -\mathrm{sign}(y - z_1) e^{-z_2},
        \qquad
        \frac{\partial \ell}{\partial z_2} = 1 - |y - z_1| e^{-z_2}.

    For a fixed scale the location's MLE is that of least absolute
    deviations, a weighted median. The NLL is not differentiable where
    :math:`y = z_1`, and its observed second derivative in :math:`z_1` is 0
    elsewhere, so :meth:`hessian` is the expected information,
    ``diag(exp(-2 z_2), 1)``. A fit of the location is then a non-smooth
    problem: its optimum sits where rows are fitted exactly, on kinks,
    where the gradient does not vanish. :meth:`kinks` names those rows, and
    the convergence test asks whether some subgradient vanishes there;
    first-order solvers settle near the optimum rather than on it. The
    marginal MLE is in closed form: the weighted median, and the weighted
    mean absolute deviation from it, as ``scipy.stats.laplace.fit`` gives
    them. ``frozen(raw)`` is ``scipy.stats.laplace(loc=mu, scale=b)``;
    ``mean(raw)`` is mu.

    Parameters
    ----------
    min_scale : float, default=1e-3
        The floor of the scale b, in the units of y: without one, the
        likelihood has no maximum where the location fits some rows exactly
        (b goes to 0). By name in :class:`~skprob.DistributionRegressor`,
        the floor is this fraction of the standard deviation of y.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import Laplace
    >>> raw = Laplace().raw_at_marginal_mle(np.array([0.0, 1.0, 5.0]), np.ones(3))
    >>> raw[0], float(np.exp(raw[1]))
    (np.float64(1.0), 1.6666666666666667)
    """

    def __init__(self, min_scale=1e-3):
        self.min_scale = min_scale

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        inv_scale = np.exp(-raw[:, 1])
        residual = y - raw[:, 0]
        scaled = np.abs(residual) * inv_scale
        nll = math.log(2.0) + raw[:, 1] + scaled
        grad = np.empty_like(raw)
        grad[:, 0] = -np.sign(residual) * inv_scale
        grad[:, 1] = 1.0 - scaled
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        hessian = np.zeros((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = np.exp(-2.0 * raw[:, 1].astype(np.float64))
        hessian[:, 1, 1] = 1.0
        return _held_at_bound(hessian, free)

    def kinks(self, y, raw, width):
        """Rows within ``width`` scales of their location: ``|y - mu| <= width b``.

        There the NLL's subgradients in mu span ``[-1/b, 1/b]``; its
        derivative in log b is smooth.
        """
        raw, free = self._clamp(raw)
        inv_scale = np.exp(-raw[:, 1])
        residual = y - raw[:, 0]
        rows = np.flatnonzero(np.abs(residual) * inv_scale <= width)
        if free is not None:
            rows = rows[free[rows, 0] > 0]
        gradient = -np.sign(residual[rows]) * inv_scale[rows]
        lower = np.zeros((len(rows), 2))
        upper = np.zeros((len(rows), 2))
        lower[:, 0] = -inv_scale[rows] - gradient
        upper[:, 0] = inv_scale[rows] - gradient
        return rows, lower, upper

    def raw_at_marginal_mle(self, y, sample_weight):
        median = _weighted_median(y, sample_weight)
        deviation = np.average(np.abs(y - median), weights=sample_weight)
        return np.array([median, np.log(max(deviation, 1e-300))])

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        return stats.laplace(loc=raw[:, 0], scale=np.exp(raw[:, 1]))
