"""The normal distribution with one scale shared by all rows."""

import numpy as np
from scipy import stats

from ._base import Distribution, _diagonal_blocks, _sum_over_outputs, _weighted_mean


class Normal(Distribution):
    r"""Normal distribution with a mean per sample and one shared scale.

    Domain: :math:`y \in \mathbb{R}`. Link: identity, :math:`\mu = z`. The
    scale :math:`\sigma` is not predicted by the model: it is shared by all
    samples and has a closed-form MLE once the mean is fitted
    (:meth:`scale_mle`). For a fixed :math:`\sigma` the NLL is, up to
    constants and the factor :math:`1/\sigma^2`, the least-squares loss

    .. math:: \ell(y, z) = \tfrac12 (y - z)^2, \qquad
              \partial \ell / \partial z = z - y,

    which is what :meth:`nll_gradient` returns (least squares derived from the
    normal, as in S. J. D. Prince, *Understanding Deep Learning*, MIT Press,
    2023, chapter 5), with :math:`\partial^2 \ell / \partial z^2 = 1`
    (:meth:`hessian`). The true NLL is :math:`\ell / \sigma^2` up to
    constants: :meth:`dispersion` is :math:`\hat\sigma^2`, the MLE of
    :math:`\sigma^2` given the means.

    With ``n_outputs=k``, k independent normals, each with a scale of its
    own; the loss is the sum of their least-squares losses, and the raw
    outputs are the k means.

    Parameters
    ----------
    scale : float or ndarray of shape (n_outputs,), default=1.0
        The shared standard deviation used by :meth:`frozen`, one per output
        for a 2-D target.
    n_outputs : int, default=None
        Number of columns of a 2-D target; None for a 1-D target.
    """

    curvature = 1.0

    def __init__(self, scale=1.0, n_outputs=None):
        self.scale = scale
        self.n_outputs = n_outputs

    @property
    def n_raw(self):
        return self._k

    def nll_gradient(self, y, raw):
        residual = raw - self._columns(y)
        return _sum_over_outputs(0.5 * residual**2), residual

    def hessian(self, y, raw):
        return _diagonal_blocks(np.ones(raw.shape), self._k)

    def scale_mle(self, y, raw, sample_weight):
        """Closed-form MLE of sigma given the fitted means, one per output."""
        if self.n_outputs is None:
            return np.sqrt(_weighted_mean((y - raw[:, 0]) ** 2, sample_weight))
        return np.sqrt(_weighted_mean((y - raw) ** 2, sample_weight))

    def dispersion(self, y, raw, sample_weight):
        """The MLE of sigma^2: the least-squares loss is sigma^2 times the NLL."""
        return self.scale_mle(y, raw, sample_weight) ** 2

    def raw_at_marginal_mle(self, y, sample_weight):
        return np.atleast_1d(_weighted_mean(y, sample_weight))

    def parameters(self, raw):
        return {"loc": raw[:, 0] if self.n_outputs is None else raw}

    def frozen(self, raw):
        if self.n_outputs is None:
            return stats.norm(loc=raw[:, 0], scale=np.full(raw.shape[0], self.scale))
        return stats.norm(loc=raw, scale=np.broadcast_to(self.scale, raw.shape).copy())

    def target_affine(self, loc, scale):
        if self.n_outputs is None:
            return np.array([loc]), np.array([scale])
        shape = (self.n_outputs,)
        return (
            np.broadcast_to(loc, shape).astype(np.float64),
            np.broadcast_to(scale, shape).astype(np.float64),
        )
