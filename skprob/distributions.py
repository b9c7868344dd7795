"""Step 1 of the recipe: the distribution Pr(y | theta) over the outputs.

A distribution here works "with respect to the raw outputs" ``raw = f[x, phi]``
of the model, as scikit-learn's losses do: it maps raw outputs to the
distribution's parameters theta through a link, and returns the per-sample
negative log-likelihood (NLL) and its gradient with respect to ``raw``.
Positive parameters live on an unconstrained scale (the log of a scale), so a
solver can move raw outputs freely.

Conventions
-----------
- ``raw`` is always 2-D, of shape ``(n_samples, n_raw)``; ``n_raw`` is the
  number of raw outputs the model must produce (1 for a mean or a logit, 2 for
  a mean and a log-scale, K for K class scores).
- ``y`` is 1-D: float targets for the normal distributions, 0/1 for the
  Bernoulli, integer class codes 0..K-1 for the categorical.
- Multiple outputs: built with ``n_outputs=k``, the normal and Bernoulli
  distributions take a 2-D ``y`` of shape ``(n_samples, k)``, k independent
  outputs (the seed's "multiple outputs"), whose NLLs add up to a row's.
  Their raw outputs are laid out parameter-major: ``raw[:, j * k + o]`` is
  parameter j of output o (``n_raw`` is k times the parameters of one
  output), so the Hessian of a row is block-structured, with no term
  between two outputs. ``n_outputs=None``, the default, is the 1-D target.
  The categorical takes a 1-D target only.
- ``nll`` is per sample, of shape ``(n_samples,)``; weighting and averaging
  are the training objective's business, not the distribution's.
- ``gradient`` has the shape of ``raw``: ``gradient[i, j]`` is
  ``d nll[i] / d raw[i, j]``.
- ``hessian`` is of shape ``(n_samples, n_raw, n_raw)``: ``hessian[i, j, k]``
  is ``d^2 nll[i] / d raw[i, j] d raw[i, k]``, a symmetric block per sample
  (a 1 x 1 block, a scalar, for one raw output). A sample's NLL depends on
  its own raw outputs only, so there are no blocks between samples.
"""

import math

import numpy as np
from scipy import stats
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.utils import check_random_state


def _weighted_mean(values, sample_weight):
    return np.average(values, axis=0, weights=sample_weight)


def _sum_over_outputs(values):
    """A row's NLL from its outputs' of shape (n_samples, k): they add up."""
    return values[:, 0] if values.shape[1] == 1 else values.sum(axis=1)


def _diagonal_blocks(values, n_raw):
    """Per-row Hessian blocks of shape (n, n_raw, n_raw) with a given diagonal."""
    hessian = np.zeros((values.shape[0], n_raw, n_raw))
    diagonal = np.arange(n_raw)
    hessian[:, diagonal, diagonal] = values
    return hessian


class Distribution:
    """Base class of the distributions, mapping raw outputs to an NLL.

    Subclasses define ``n_raw``, ``curvature``, :meth:`nll_gradient`,
    :meth:`raw_at_marginal_mle` and :meth:`frozen`, and, for Newton's method
    and the standard errors of :mod:`skprob.inference`, :meth:`hessian`.

    Attributes
    ----------
    n_raw : int
        Number of raw outputs per sample the model has to predict.
    n_outputs : int or None
        Number of columns of a 2-D target, or None for a 1-D target.
    curvature : float
        An upper bound on the second derivative of the NLL with respect to the
        raw outputs, near the start of training. Step-size heuristics multiply
        it with the model's own curvature to estimate a Lipschitz constant.
    shift_invariant : bool
        True when adding one constant to all raw outputs of a sample leaves
        its NLL unchanged (a softmax), so that the raw outputs are identified
        only relative to one of them; False here.
    """

    n_raw = 1
    n_outputs = None
    curvature = 1.0
    shift_invariant = False

    @property
    def _k(self):
        """The number of outputs, 1 for a 1-D target."""
        return 1 if self.n_outputs is None else self.n_outputs

    def _columns(self, y):
        """The target as a 2-D array of shape (n_samples, k)."""
        return y[:, None] if self.n_outputs is None else y

    def nll(self, y, raw):
        """Per-sample negative log-likelihood.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Observed targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            Summed over the outputs of a 2-D target.
        """
        return self.nll_gradient(y, raw)[0]

    def nll_gradient(self, y, raw):  # pragma: no cover - abstract
        """Per-sample NLL and its gradient with respect to ``raw``."""
        raise NotImplementedError

    def hessian(self, y, raw):  # pragma: no cover - abstract
        """Per-sample second derivatives of the NLL with respect to ``raw``.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Observed targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        hessian : ndarray of shape (n_samples, n_raw, n_raw)
            One symmetric block per sample; zero between two outputs.
        """
        raise NotImplementedError(f"{type(self).__name__} gives no Hessian.")

    def dispersion(self, y, raw, sample_weight):
        """The factor by which :meth:`nll` exceeds the true NLL.

        :meth:`nll` is the negative log-likelihood up to an additive constant
        and this positive factor, at the maximum-likelihood estimate of any
        parameter that the raw outputs do not carry. 1.0 here: the NLL is
        exact. Standard errors divide :meth:`hessian` by it to get the
        observed information.
        """
        return 1.0

    def raw_at_marginal_mle(self, y, sample_weight):  # pragma: no cover
        """Raw outputs of the best constant model: the marginal MLE of y."""
        raise NotImplementedError

    def curvature_ratio(self, y, raw, weight):
        """Curvature at ``raw`` relative to :attr:`curvature`.

        1.0 for the distributions whose curvature is bounded by
        :attr:`curvature` everywhere; step-size heuristics scale with it.
        """
        return 1.0

    def separates(self, y, raw):
        """Whether ``raw`` ranks every observed class first, strictly.

        Then the likelihood has no maximum: scaling ``raw`` up raises it
        without end. Never for a continuous target.
        """
        return False

    def frozen(self, raw):  # pragma: no cover - abstract
        """The predicted distributions as a frozen ``scipy.stats`` object."""
        raise NotImplementedError

    def target_affine(self, loc, scale):
        """Map raw outputs for ``(y - loc) / scale`` to raw outputs for ``y``.

        Returns ``(shift, factor)``, each of shape ``(n_raw,)``, such that the
        raw outputs on the original scale are ``shift + factor * raw``.
        ``loc`` and ``scale`` are floats, or arrays of shape ``(n_outputs,)``
        (one per output) for a 2-D target. Only location-scale families
        support a standardized target.
        """
        raise NotImplementedError(f"{type(self).__name__} has no target scale.")


class Normal(Distribution):
    r"""Normal distribution with a mean per sample and one shared scale.

    Domain: :math:`y \in \mathbb{R}`. Link: identity, :math:`\mu = z`. The
    scale :math:`\sigma` is not predicted by the model: it is shared by all
    samples and has a closed-form MLE once the mean is fitted
    (:meth:`scale_mle`). For a fixed :math:`\sigma` the NLL is, up to
    constants and the factor :math:`1/\sigma^2`, the least-squares loss

    .. math:: \ell(y, z) = \tfrac12 (y - z)^2, \qquad
              \partial \ell / \partial z = z - y,

    which is what :meth:`nll_gradient` returns (the seed's derivation of least
    squares from the normal), with :math:`\partial^2 \ell / \partial z^2 = 1`
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

    def __init__(self, min_scale=1e-3, fit_scale=True, n_outputs=None):
        self.min_scale = min_scale
        self.fit_scale = fit_scale
        self.n_outputs = n_outputs

    @property
    def n_raw(self):
        return 2 * self._k

    @property
    def _log_floor(self):
        if np.ndim(self.min_scale) == 0:
            return math.log(self.min_scale)
        return np.log(self.min_scale)

    def _log_scale(self, raw):
        """The floored log-scales, of shape (n_samples, k), in raw's precision."""
        floor = self._log_floor
        if np.ndim(floor):  # one floor per output, float64: keep float32 raw
            floor = floor.astype(raw.dtype, copy=False)
        return np.maximum(raw[:, self._k :], floor)

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
        k = self._k
        residual = raw[:, :k] - self._columns(y)
        log_scale = self._log_scale(raw)
        inv_var = np.exp(-2.0 * log_scale)
        gradient = np.empty_like(raw)
        mean_gradient = np.multiply(residual, inv_var, out=gradient[:, :k])
        scaled_sq = residual * mean_gradient
        nll = log_scale
        nll += 0.5 * scaled_sq
        if self.fit_scale:
            np.subtract(1.0, scaled_sq, out=gradient[:, k:])
            gradient[:, k:] *= raw[:, k:] > self._log_floor
        else:
            gradient[:, k:] = 0.0
        return _sum_over_outputs(nll), gradient

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

    def raw_at_marginal_mle(self, y, sample_weight):
        mean = _weighted_mean(y, sample_weight)
        variance = _weighted_mean((y - mean) ** 2, sample_weight)
        if self.n_outputs is None:
            return np.array([mean, 0.5 * np.log(max(variance, self.min_scale**2))])
        log_scale = 0.5 * np.log(np.maximum(variance, np.square(self.min_scale)))
        return np.concatenate([mean, log_scale])

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


class Bernoulli(Distribution):
    r"""Bernoulli distribution for a binary target.

    Domain: :math:`y \in \{0, 1\}`. Link: :math:`\lambda = \mathrm{sig}(z)`,
    the probability of class 1. The NLL is the binary cross-entropy, computed
    with log-sigmoids so that it never takes the log of a rounded zero:

    .. math::
        \ell = -y \log \mathrm{sig}(z) - (1 - y) \log \mathrm{sig}(-z),
        \qquad \partial \ell / \partial z = \mathrm{sig}(z) - y,
        \qquad \partial^2 \ell / \partial z^2
            = \mathrm{sig}(z)\, \mathrm{sig}(-z).

    With ``n_outputs=k``, k independent Bernoullis, a multilabel target: y
    is an indicator matrix of shape ``(n_samples, k)``, the raw outputs are
    the k log-odds, and a row's NLL is the sum of the k cross-entropies.

    Parameters
    ----------
    n_outputs : int, default=None
        Number of labels of a multilabel target; None for a 1-D target.
    """

    curvature = 0.25

    def __init__(self, n_outputs=None):
        self.n_outputs = n_outputs

    @property
    def n_raw(self):
        return self._k

    def nll_gradient(self, y, raw):
        # For y in {0, 1} one of the two terms is an exact zero, so with
        # s = 2y - 1 the NLL is -log sig(s z) = log(1 + exp(-s z)), one
        # (stable) log-sum-exp. Its gradient sig(z) - y is -s sig(-s z):
        # computed so, it keeps its precision where sig(z) rounds to y
        # (1 - sig(z) would cancel).
        # Both come from one exp: with m the negative margin and
        # e = exp(-|m|) in (0, 1], log(1 + exp(m)) = max(m, 0) + log1p(e),
        # and sig(m) is 1 / (1 + e) for m >= 0, e / (1 + e) otherwise: no
        # overflow, no cancellation. np.logaddexp and expit take as long in
        # float32 as in float64 (4 to 7 ms on 200 000 rows); these loops take
        # a third less in float64 and two thirds less in float32, for about
        # 1.5 us more per call on a mini-batch of 200 rows (7 against 5.5).
        neg_sign = 1.0 - 2.0 * self._columns(y)
        neg_margin = neg_sign * raw
        shrink = np.exp(-np.abs(neg_margin))
        nll = np.maximum(neg_margin, 0.0)
        nll += np.log1p(shrink)
        gradient = np.where(neg_margin >= 0.0, neg_sign, neg_sign * shrink)
        gradient /= 1.0 + shrink
        return _sum_over_outputs(nll), gradient

    def separates(self, y, raw):
        """Whether ``raw`` separates the classes of one output, or more.

        One separated output is enough: its log-odds then grow without end.
        """
        margin = (2.0 * self._columns(y) - 1.0) * raw
        return bool(np.any(np.all(margin > 0.0, axis=0)))

    def hessian(self, y, raw):
        # sig(z) sig(-z), not p (1 - p): it keeps its precision where p
        # rounds to 0 or 1.
        return _diagonal_blocks(expit(raw) * expit(-raw), self._k)

    def raw_at_marginal_mle(self, y, sample_weight):
        p = np.clip(_weighted_mean(y, sample_weight), 1e-12, 1 - 1e-12)
        return np.atleast_1d(np.log(p) - np.log1p(-p))

    def proba(self, raw):
        """Class probabilities, of shape (n_samples, 2): 1 - lambda, lambda.

        For a multilabel target, the probability of each label instead,
        lambda, of shape (n_samples, n_outputs), as scikit-learn's
        MLPClassifier gives them.
        """
        if self.n_outputs is not None:
            return expit(raw)
        # expit(-z), not 1 - expit(z), which rounds to 0 once z > 37 and
        # would disagree with log_proba.
        z = raw[:, 0]
        return np.column_stack([expit(-z), expit(z)])

    def log_proba(self, raw):
        """Log of :meth:`proba`, computed stably."""
        if self.n_outputs is not None:
            return log_expit(raw)
        z = raw[:, 0]
        return np.column_stack([log_expit(-z), log_expit(z)])

    def frozen(self, raw):
        if self.n_outputs is not None:
            return stats.bernoulli(expit(raw))
        return stats.bernoulli(expit(raw[:, 0]))


class Categorical(Distribution):
    r"""Categorical distribution over K classes.

    Domain: :math:`y \in \{0, \dots, K-1\}`. Link:
    :math:`\lambda = \mathrm{softmax}(z)` over K raw outputs (a true
    multinomial model, not one-vs-rest). The NLL is the multiclass
    cross-entropy, computed with log-sum-exp:

    .. math::
        \ell = \log \sum_k e^{z_k} - z_y, \qquad
        \partial \ell / \partial z_k = \mathrm{softmax}_k(z) - [y = k],

    and with :math:`\lambda = \mathrm{softmax}(z)` the second derivatives are
    :math:`\partial^2 \ell / \partial z_j \partial z_k
    = \lambda_j [j = k] - \lambda_j \lambda_k`, a block that does not depend
    on y. Adding a constant to every :math:`z_k` leaves :math:`\ell`
    unchanged, so each block maps the vector of ones to zero: the raw outputs
    are identified only up to a common shift (:attr:`shift_invariant`).

    Parameters
    ----------
    n_classes : int
        Number of classes K.
    """

    # The Hessian of log-sum-exp has eigenvalues at most 1/2.
    curvature = 0.5
    shift_invariant = True

    def __init__(self, n_classes):
        self.n_classes = n_classes

    @property
    def n_raw(self):
        return self.n_classes

    def nll_gradient(self, y, raw):
        n_samples, n_classes = raw.shape
        # Flat positions of the observed classes in the (n_samples, K) arrays.
        observed = np.arange(0, n_samples * n_classes, n_classes)
        observed += y.astype(np.intp, copy=False)
        # One exp of shifted scores serves both the log-sum-exp and the
        # softmax (scipy's logsumexp spends ~100 us per call on input checks,
        # several times the arithmetic of a mini-batch). Shifted by the
        # observed class's score, the observed term is exactly 1 and the NLL
        # is log1p of the other classes' sum, summed apart: it and the
        # gradient -others / (1 + others) keep their precision where the
        # observed probability rounds to 1 (1 - p would cancel). Picking one
        # score per row is also far cheaper than NumPy's row maximum over a
        # few classes. A score far above the observed one overflows; only then
        # are the rows shifted by their maximum instead.
        shifted = raw - raw.ravel()[observed][:, None]
        with np.errstate(over="ignore"):
            gradient = np.exp(shifted)
        gradient.ravel()[observed] = 0.0
        others = gradient @ np.ones(n_classes, dtype=raw.dtype)
        if math.isfinite(others.max()):
            nll = np.log1p(others)
            sum_exp = others + 1.0
        else:
            shifted = raw - raw.max(axis=1, keepdims=True)
            gradient = np.exp(shifted)
            observed_exp = gradient.ravel()[observed]
            gradient.ravel()[observed] = 0.0
            others = gradient.sum(axis=1)
            sum_exp = others + observed_exp
            nll = np.log(sum_exp) - shifted.ravel()[observed]
        gradient /= sum_exp[:, None]
        gradient.ravel()[observed] = -others / sum_exp
        return nll, gradient

    def separates(self, y, raw):
        observed = raw[np.arange(len(y)), y.astype(np.intp)]
        others = raw.copy()
        others[np.arange(len(y)), y.astype(np.intp)] = -np.inf
        return bool(np.all(observed > others.max(axis=1)))

    def hessian(self, y, raw):
        n_samples, n_classes = raw.shape
        exp_shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
        # 1 - lambda_k is the sum of the other classes' shares, summed as
        # such: for the largest class, where lambda_k may round to 1, apart
        # from it (1 - lambda_k would cancel); for the others, whose
        # complement is at least the largest share, as the total minus theirs.
        largest = exp_shifted.argmax(axis=1)
        rows = np.arange(n_samples)
        exp_shifted[rows, largest] = 0.0
        others_of_largest = exp_shifted.sum(axis=1)
        total = others_of_largest + 1.0
        complement = total[:, None] - exp_shifted
        complement[rows, largest] = others_of_largest
        exp_shifted[rows, largest] = 1.0
        proba = exp_shifted / total[:, None]
        hessian = -proba[:, :, None] * proba[:, None, :]
        diagonal = np.arange(n_classes)
        hessian[:, diagonal, diagonal] = proba * (complement / total[:, None])
        return hessian

    def raw_at_marginal_mle(self, y, sample_weight):
        counts = np.bincount(
            y.astype(np.intp), weights=sample_weight, minlength=self.n_classes
        )
        log_freq = np.log(np.maximum(counts / counts.sum(), 1e-12))
        return log_freq - log_freq.mean()

    def proba(self, raw):
        """Class probabilities, of shape (n_samples, K)."""
        return softmax(raw, axis=1)

    def log_proba(self, raw):
        """Log of :meth:`proba`, computed with log-sum-exp."""
        return raw - logsumexp(raw, axis=1, keepdims=True)

    def frozen(self, raw):
        return OneHotCategorical(self.proba(raw))


class OneHotCategorical:
    r"""Frozen categorical distributions over one-hot outcomes, one per row.

    What :meth:`SoftmaxClassifier.predict_dist
    <skprob.SoftmaxClassifier.predict_dist>` returns. It is
    ``scipy.stats.multinomial(1, p)`` (the same outcomes, one-hot vectors of
    length K, and the same methods, computed by scipy), made to work with one
    distribution per row: scipy's own ``rvs`` fails for a 2-D ``p``, and
    scipy gives no ``var`` or ``std``.

    There is no ``cdf``, ``ppf`` or ``interval``: the classes have no order,
    so a categorical distribution has no quantiles. The counterpart of an
    interval is a set of classes; the probabilities in :meth:`mean` give it.

    Parameters
    ----------
    p : array-like of shape (n_samples, n_classes)
        Class probabilities of each row, in the order of the classifier's
        ``classes_``; each row sums to 1.

    Attributes
    ----------
    p : ndarray of shape (n_samples, n_classes)
        The class probabilities.
    n : int
        Number of trials, always 1 (as in ``scipy.stats.multinomial``).

    See Also
    --------
    scipy.stats.multinomial : the distribution for one row.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import OneHotCategorical
    >>> dist = OneHotCategorical([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]])
    >>> dist.mean()
    array([[0.2 , 0.8 , 0.  ],
           [0.5 , 0.25, 0.25]])
    >>> y_codes = np.array([1, 0])  # indices into classes_
    >>> np.round(dist.logpmf(np.eye(3)[y_codes]), 4)
    array([-0.2231, -0.6931])
    >>> dist.rvs(random_state=0).shape
    (2, 3)
    """

    n = 1

    def __init__(self, p):
        p = np.asarray(p)
        # float32 probabilities (a float32 fit's) stay float32; scipy gets
        # them in float64, renormalized: it wants rows that sum to 1 within
        # float64's rounding.
        self.p = p if p.dtype == np.float32 else p.astype(np.float64)
        scipy_p = self.p
        if self.p.dtype == np.float32:
            scipy_p = self.p.astype(np.float64)
            scipy_p /= scipy_p.sum(axis=-1, keepdims=True)
        self._scipy = stats.multinomial(1, scipy_p)

    def mean(self):
        """Expected one-hot vector: the class probabilities, (n_samples, K)."""
        return self.p.copy()

    def var(self):
        """Variance of each class indicator, ``p * (1 - p)``, (n_samples, K)."""
        return self.p * (1.0 - self.p)

    def std(self):
        """Standard deviation of each class indicator, (n_samples, K)."""
        return np.sqrt(self.var())

    def cov(self):
        """Covariance of the one-hot vector, of shape (n_samples, K, K)."""
        return self._scipy.cov()

    def pmf(self, x):
        """Probability of one-hot outcomes ``x`` of shape (n_samples, K)."""
        return self._scipy.pmf(x)

    def logpmf(self, x):
        """Log-probability of one-hot outcomes ``x`` of shape (n_samples, K)."""
        return self._scipy.logpmf(x)

    def entropy(self):
        """Entropy of each row's distribution, in nats, (n_samples,)."""
        return self._scipy.entropy()

    def rvs(self, size=None, random_state=None):
        """Draw one-hot outcomes, one per row (and per draw).

        Parameters
        ----------
        size : int or tuple of int, default=None
            Number (shape) of draws of the whole batch of rows.
        random_state : None, int, RandomState or Generator, default=None
            Source of randomness; an int makes the draws reproducible.

        Returns
        -------
        x : ndarray of shape (\\*size, n_samples, n_classes)
            One-hot outcomes, integers.
        """
        shape = () if size is None else tuple(np.atleast_1d(size))
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)
        uniform = random_state.random(shape + (self.p.shape[0], 1))
        # Inverse-CDF draw: the first class whose cumulative probability
        # exceeds the uniform; min() guards against rows summing to 1 - eps.
        codes = (uniform >= np.cumsum(self.p, axis=1)).sum(axis=-1)
        codes = np.minimum(codes, self.p.shape[1] - 1)
        return np.eye(self.p.shape[1], dtype=np.int64)[codes]
