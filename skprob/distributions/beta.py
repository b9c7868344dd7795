"""The Beta distribution of a target in (0, 1): rates and proportions."""

import math

import numpy as np
from scipy import stats
from scipy.special import digamma, expit, gammaln, polygamma

from ._base import Distribution, _held_at_bound, _weighted_mean


class Beta(Distribution):
    r"""Beta distribution of a target in (0, 1), mean and precision.

    Domain: :math:`0 < y < 1` (a y of exactly 0 or 1 has no density: squeeze
    it in first). Raw outputs: :math:`z_1 = \mathrm{logit}\, m` (the mean)
    and :math:`z_2 = \log \phi` (the precision), the parametrization of
    Ferrari and Cribari-Neto's beta regression: :math:`a = m \phi`,
    :math:`b = (1 - m) \phi`, variance :math:`m (1 - m) / (1 + \phi)`. The
    exact NLL and its gradient are

    .. math::
        \ell = \log\Gamma(a) + \log\Gamma(b) - \log\Gamma(\phi)
               - (a - 1) \log y - (b - 1) \log(1 - y),

    .. math::
        \frac{\partial \ell}{\partial z_1} = \phi\, m (1 - m)
            \bigl[\psi(a) - \psi(b) - \log y + \log(1 - y)\bigr],

    .. math::
        \frac{\partial \ell}{\partial z_2} = a [\psi(a) - \log y]
            + b [\psi(b) - \log(1 - y)] - \phi\, \psi(\phi).

    In :math:`(a, b)` the Hessian does not depend on y,
    :math:`H_{ab} = \begin{pmatrix} \psi'(a) - \psi'(\phi) & -\psi'(\phi)
    \\ -\psi'(\phi) & \psi'(b) - \psi'(\phi) \end{pmatrix}`, positive
    definite; :meth:`hessian` is the expected information :math:`J^\top
    H_{ab} J`, with :math:`J = \partial (a, b) / \partial (z_1, z_2) =
    \begin{pmatrix} \phi m (1 - m) & a \\ -\phi m (1 - m) & b
    \end{pmatrix}`. The marginal MLE is found by Fisher scoring from the
    method of moments, the fit of ``scipy.stats.beta.fit(y, floc=0,
    fscale=1)``. ``frozen(raw)`` is ``scipy.stats.beta(a, b)``;
    ``mean(raw)`` is m.

    Parameters
    ----------
    max_precision : float, default=1e6
        The ceiling of the precision phi: without one, the likelihood has no
        maximum where the mean fits every row exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import Beta
    >>> Beta().check_target(np.array([0.2, 1.0, 0.5, 0.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Beta is a distribution over the open interval (0, 1); ...: 0, 1.
    """

    parameter_names = ("mean", "precision")
    support = "the open interval (0, 1)"
    curvature_from_hessian = True
    hessian_kind = "expected"
    mean_link = "logistic"
    n_raw = 2
    spread_output = 1

    def __init__(self, max_precision=1e6):
        self.max_precision = max_precision

    def _raw_bounds(self):
        return [-np.inf, -np.inf], [np.inf, math.log(self.max_precision)]

    def _in_support(self, y):
        y = np.asarray(y)
        with np.errstate(invalid="ignore"):
            return (y > 0) & (y < 1)

    @staticmethod
    def _shapes(raw):
        precision = np.exp(raw[:, 1])
        # expit(-z) for 1 - m: no cancellation where m rounds to 1.
        return expit(raw[:, 0]) * precision, expit(-raw[:, 0]) * precision, precision

    def nll_gradient(self, y, raw):
        raw, free = self._clamp(raw)
        a, b, precision = self._shapes(raw)
        log_y, log_1my = np.log(y), np.log1p(-y)
        nll = gammaln(a) + gammaln(b) - gammaln(precision)
        nll -= (a - 1.0) * log_y + (b - 1.0) * log_1my
        psi_a, psi_b = digamma(a), digamma(b)
        grad = np.empty_like(raw)
        grad[:, 0] = a * b / precision * (psi_a - psi_b - log_y + log_1my)
        grad[:, 1] = a * (psi_a - log_y) + b * (psi_b - log_1my)
        grad[:, 1] -= precision * digamma(precision)
        if free is not None:
            grad *= free
        return nll.astype(raw.dtype, copy=False), grad

    def hessian(self, y, raw):
        raw, free = self._clamp(raw)
        a, b, precision = self._shapes(raw.astype(np.float64))
        tri_a, tri_b, tri_sum = (
            polygamma(1, a),
            polygamma(1, b),
            polygamma(1, precision),
        )
        slope = a * b / precision  # phi m (1 - m) = da/dz1 = -db/dz1
        # J^T H_ab J, with J = [[slope, a], [-slope, b]] and
        # H_ab = [[tri_a - tri_sum, -tri_sum], [-tri_sum, tri_b - tri_sum]].
        hessian = np.empty((raw.shape[0], 2, 2))
        hessian[:, 0, 0] = slope**2 * (tri_a + tri_b)
        hessian[:, 0, 1] = hessian[:, 1, 0] = slope * (a * tri_a - b * tri_b)
        hessian[:, 1, 1] = a**2 * tri_a + b**2 * tri_b - precision**2 * tri_sum
        return _held_at_bound(hessian, free)

    def _raw_start(self, y, sample_weight):
        mean = _weighted_mean(y, sample_weight)
        variance = max(_weighted_mean((y - mean) ** 2, sample_weight), 1e-12)
        precision = max(mean * (1.0 - mean) / variance - 1.0, 1e-3)
        return np.array([np.log(mean) - np.log1p(-mean), np.log(precision)])

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"mean": expit(raw[:, 0]), "precision": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        return expit(raw[:, 0])

    def frozen(self, raw):
        raw = self._clamp(raw)[0]
        a, b, _ = self._shapes(raw)
        return stats.beta(a, b)
