"""The normal distribution whose scale depends on x."""

import math

import numpy as np
from scipy import stats

from ._base import Distribution, _bound_margin, _sum_over_outputs, _weighted_mean


class HeteroscedasticNormal(Distribution):
    r"""Normal distribution whose mean and scale both depend on the input.

    Domain: :math:`y \in \mathbb{R}`. Links: :math:`\mu = z_1` (identity) and
    :math:`\sigma = \max(e^{z_2}, \sigma_{\min})` (log link, so the scale
    lives on an unconstrained scale, floored). The NLL, up to the constant
    :math:`\tfrac12 \log 2\pi`, and its gradient above the floor are

    .. math::
        \ell = z_2 + \tfrac12 (y - z_1)^2 e^{-2 z_2}, \qquad
        \frac{\partial \ell}{\partial z_1} = (z_1 - y)\, e^{-2 z_2}, \qquad
        \frac{\partial \ell}{\partial z_2} = 1 - (y - z_1)^2 e^{-2 z_2};

    below the floor :math:`z_2` is replaced by :math:`\log \sigma_{\min}`
    and its gradient is zero. The second derivatives (:meth:`hessian`) are

    .. math::
        \frac{\partial^2 \ell}{\partial z_1^2} = e^{-2 z_2}, \qquad
        \frac{\partial^2 \ell}{\partial z_1 \partial z_2}
            = 2 (y - z_1)\, e^{-2 z_2}, \qquad
        \frac{\partial^2 \ell}{\partial z_2^2} = 2 (y - z_1)^2 e^{-2 z_2},

    a block whose determinant :math:`-2 (y - z_1)^2 e^{-4 z_2}` is negative
    wherever the mean misses: a sample's NLL is not convex in
    :math:`(z_1, z_2)`, though their sum is near the optimum, where
    :math:`(y - z_1)^2 e^{-2 z_2}` averages 1.

    The floor exists because without it the likelihood is unbounded whenever
    the mean can fit some points exactly (more features than samples,
    repeated inputs): :math:`\sigma \to 0` sends the NLL to
    :math:`-\infty`, and no maximum-likelihood estimate exists. PyTorch's
    ``GaussianNLLLoss`` clamps the variance for the same reason.

    With ``n_outputs=k``, k independent normals, each with a mean and a
    scale of its own: the raw outputs are the k means, then the k
    log-scales, and a row's NLL is the sum of the k outputs' NLLs.

    :meth:`hessian` is the observed Hessian (``hessian_kind =
    "observed"``), indefinite per row as said above; the standard errors of
    :mod:`skprob.inference` use it, the observed information, as statsmodels
    does for a normal with a modelled variance.

    Parameters
    ----------
    min_scale : float or ndarray of shape (n_outputs,), default=1e-3
        The floor :math:`\sigma_{\min}`, in the units of y (one per output,
        or one for all). The regressors fit a standardized target, where the
        default is a thousandth of the target's standard deviation.
    fit_scale : bool, default=True
        When False, the gradient with respect to :math:`z_2` is zero: the
        scale stays where the model puts it and only the mean is fitted (by
        least squares weighted by :math:`e^{-2 z_2}`), the warm-up of a
        mean-variance network.
    n_outputs : int, default=None
        Number of columns of a 2-D target; None for a 1-D target.
    """

    # d2l/dz1^2 = 1/sigma^2 and d2l/dz2^2 = 2 r^2 / sigma^2: they add up to
    # about 3 at the marginal MLE of a standardized target, and grow as sigma
    # shrinks, hence curvature_ratio.
    curvature = 3.0
    parameter_names = ("loc", "scale")

    def __init__(self, min_scale=1e-3, fit_scale=True, n_outputs=None):
        self.min_scale = min_scale
        self.fit_scale = fit_scale
        self.n_outputs = n_outputs

    @property
    def n_raw(self):
        return 2 * self._k

    @property
    def _log_floor(self):
        # The isinstance test first: it is quicker than np.ndim, on every batch.
        if isinstance(self.min_scale, float | int) or np.ndim(self.min_scale) == 0:
            return math.log(self.min_scale)
        return np.log(self.min_scale)

    def _floor_for(self, raw):
        """The log floor, per output as an array in raw's precision."""
        floor = self._log_floor
        if np.ndim(floor):  # one floor per output, float64: keep float32 raw
            floor = floor.astype(raw.dtype, copy=False)
        return floor

    def _log_scale(self, raw):
        """The floored log-scales, of shape (n_samples, k), in raw's precision."""
        return np.maximum(raw[:, self._k :], self._floor_for(raw))

    def _halves(self, values):
        """The mean and the log-scale parts of raw outputs (or of their gradient).

        Columns ``[:k]`` and ``[k:]``; for a 1-D target, 1-D views of the two
        columns, which NumPy operates on faster than on columns of width one
        (this runs on every mini-batch).
        """
        if self.n_outputs is None:
            return values[:, 0], values[:, 1]
        return values[:, : self._k], values[:, self._k :]

    def curvature_ratio(self, y, raw, weight):
        """Weighted mean of a row's Hessian trace ``(1 + 2 r^2) / sigma^2``, over 3.

        For several outputs, the largest of the outputs' ratios: with no
        curvature between outputs, the largest block bounds the Hessian.
        """
        inv_var = np.exp(-2.0 * self._log_scale(raw))
        local = (1.0 + 2.0 * (self._columns(y) - raw[:, : self._k]) ** 2) * inv_var
        if self.n_outputs is None:
            return float(weight @ local[:, 0]) / (weight.sum() * self.curvature)
        return float(np.max(weight @ local)) / (weight.sum() * self.curvature)

    def nll_gradient(self, y, raw):
        # Written to take few vector operations: this runs on every batch.
        mean, raw_log_scale = self._halves(raw)
        floor = self._floor_for(raw)
        log_scale = np.maximum(raw_log_scale, floor)
        residual = mean - y
        inv_var = np.exp(-2.0 * log_scale)
        gradient = np.empty_like(raw)
        mean_gradient, scale_gradient = self._halves(gradient)
        np.multiply(residual, inv_var, out=mean_gradient)
        scaled_sq = residual * mean_gradient
        nll = log_scale
        nll += 0.5 * scaled_sq
        if self.fit_scale:
            np.subtract(1.0, scaled_sq, out=scale_gradient)
            scale_gradient *= raw_log_scale > floor
        else:
            scale_gradient[...] = 0.0
        return (nll if nll.ndim == 1 else _sum_over_outputs(nll)), gradient

    def hessian(self, y, raw):
        """Second derivatives; those in z_2 are zero below the floor or unfitted."""
        k = self._k
        residual = self._columns(y) - raw[:, :k]
        inv_var = np.exp(-2.0 * self._log_scale(raw))
        hessian = np.zeros((raw.shape[0], 2 * k, 2 * k))
        mean, log_scale = np.arange(k), np.arange(k, 2 * k)
        hessian[:, mean, mean] = inv_var
        if self.fit_scale:
            free = raw[:, k:] > self._log_floor
            cross = 2.0 * residual * inv_var * free
            hessian[:, mean, log_scale] = hessian[:, log_scale, mean] = cross
            hessian[:, log_scale, log_scale] = 2.0 * residual**2 * inv_var * free
        return hessian

    def at_scale_floor(self, raw):
        """Rows whose scale, for some output, is at :math:`\\sigma_{\\min}`."""
        floor = self._log_floor
        if np.ndim(floor):
            floor = floor.astype(raw.dtype, copy=False)
        return np.any(raw[:, self._k :] <= floor + _bound_margin(raw.dtype), axis=1)

    def narrowest_spread(self, raw, sample_weight):
        """The smallest floored log :math:`\\sigma` of the rows of positive weight.

        One per output, of shape (k,); None without a row of positive
        weight.
        """
        if not np.any(sample_weight > 0):
            return None
        return self._log_scale(raw[sample_weight > 0]).min(axis=0)

    def _spread_collapses_upward(self):
        return False  # sigma collapses towards its floor

    def bound_spread(self, raw, narrowest):
        raw = raw.copy()
        narrowest = np.asarray(narrowest, dtype=raw.dtype)
        np.maximum(raw[:, self._k :], narrowest, out=raw[:, self._k :])
        return raw

    def expected_hessian(self, y, raw):
        """The Fisher information: ``diag(1 / sigma^2, 2)`` above the floor.

        The expectation of :meth:`hessian` over y, where the residual
        averages 0 and its square sigma^2: positive definite everywhere,
        where the observed block is indefinite wherever the mean misses.
        """
        k = self._k
        inv_var = np.exp(-2.0 * self._log_scale(raw))
        hessian = np.zeros((raw.shape[0], 2 * k, 2 * k))
        mean, log_scale = np.arange(k), np.arange(k, 2 * k)
        hessian[:, mean, mean] = inv_var
        if self.fit_scale:
            hessian[:, log_scale, log_scale] = 2.0 * (raw[:, k:] > self._log_floor)
        return hessian

    def _in_support(self, y):
        return np.isfinite(y)

    def raw_at_marginal_mle(self, y, sample_weight):
        mean = _weighted_mean(y, sample_weight)
        variance = _weighted_mean((y - mean) ** 2, sample_weight)
        if self.n_outputs is None:
            return np.array([mean, 0.5 * np.log(max(variance, self.min_scale**2))])
        log_scale = 0.5 * np.log(np.maximum(variance, np.square(self.min_scale)))
        return np.concatenate([mean, log_scale])

    def parameters(self, raw):
        k = self._k
        loc, scale = raw[:, :k], np.exp(self._log_scale(raw))
        if self.n_outputs is None:
            return {"loc": loc[:, 0], "scale": scale[:, 0]}
        return {"loc": loc, "scale": scale}

    def frozen(self, raw):
        scale = np.exp(self._log_scale(raw))
        if self.n_outputs is None:
            return stats.norm(loc=raw[:, 0], scale=scale[:, 0])
        return stats.norm(loc=raw[:, : self._k], scale=scale)

    def target_affine(self, loc, scale):
        if self.n_outputs is None:
            return np.array([loc, np.log(scale)]), np.array([scale, 1.0])
        shape = (self.n_outputs,)
        loc = np.broadcast_to(loc, shape).astype(np.float64)
        scale = np.broadcast_to(scale, shape).astype(np.float64)
        return np.concatenate([loc, np.log(scale)]), np.concatenate(
            [scale, np.ones(shape)]
        )
