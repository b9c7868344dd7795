"""The distribution protocol's base class and the helpers it shares."""

import numpy as np
from sklearn.base import BaseEstimator


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


def _held_at_bound(hessian, free):
    """``hessian`` without the terms of raw outputs held at a bound, in place.

    ``free`` is :meth:`Distribution._clamp`'s mask (None where every raw
    output is free): a raw output held at its bound does not move the NLL,
    so its rows and columns of each sample's block are zero.
    """
    if free is not None:
        hessian *= free[:, :, None] * free[:, None, :]
    return hessian


def _bound_margin(dtype):
    """How near its bound a raw spread output counts as at it, in log units.

    A raw output that the fit pressed onto its bound comes back from the
    model's forward pass, and from the standardized target's affine map,
    within a few roundings of it: 1e-9 in float64 (a spread within a
    relative 1e-9 of its bound), 1e-4 in float32.
    """
    return 1e-9 if np.dtype(dtype) == np.float64 else 1e-4


class Distribution(BaseEstimator):
    """Base class of the distributions, mapping raw outputs to an NLL.

    A scikit-learn parameter object: its hyper-parameters (a Student-t's
    degrees of freedom) are set in ``__init__`` and reachable as
    ``distribution__<name>`` from an estimator. Subclasses define ``n_raw``,
    ``curvature``, :meth:`nll_gradient`, :meth:`hessian` and :meth:`frozen`,
    and usually :meth:`raw_at_marginal_mle` (the default runs Fisher scoring
    from :meth:`_raw_start`), :meth:`mean` and :meth:`_in_support`; see
    :mod:`skprob.distributions` for the protocol.

    Attributes
    ----------
    n_raw : int
        Number of raw outputs per sample the model has to predict.
    n_outputs : int or None
        Number of columns of a 2-D target, or None for a 1-D target.
    parameter_names : tuple of str
        The names of the parameters the raw outputs carry, one per raw
        output of a 1-D target, the location first.
    support : str
        The target's domain, in words, for error messages.
    hessian_kind : {"observed", "expected"}
        Whether :meth:`hessian` returns the second derivatives of the NLL
        ("observed") or their expectation under the distribution at ``raw``
        (the Fisher information, "expected", positive semi-definite where the
        observed one can be indefinite).
    mean_link : {"identity", "log", "logistic", "softmax"} or None
        How the mean of y follows from the first raw output alone (for the
        standard errors of predicted means), or None where it depends on
        the other parameters too (a log-normal's, a Weibull's).
    curvature : float
        An upper bound on the second derivative of the NLL with respect to the
        raw outputs, near the start of training. Step-size heuristics multiply
        it with the model's own curvature to estimate a Lipschitz constant.
    shift_invariant : bool
        True when adding one constant to all raw outputs of a sample leaves
        its NLL unchanged (a softmax), so that the raw outputs are identified
        only relative to one of them; False here.
    spread_output : int or None
        The raw output whose bound (:meth:`_raw_bounds`) is a collapsed
        spread: a scale at its floor, a shape or precision at its ceiling,
        where the likelihood grows without bound (:meth:`at_scale_floor`).
        None here, and for a bound that is no collapse (the negative
        binomial's floor of its dispersion is the Poisson).
    """

    n_raw = 1
    n_outputs = None
    parameter_names = ("loc",)
    support = "the real line"
    hessian_kind = "observed"
    mean_link = "identity"
    curvature = 1.0
    curvature_from_hessian = False
    shift_invariant = False
    spread_output = None

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

    def expected_hessian(self, y, raw):
        """The expected value of :meth:`hessian` over y drawn at ``raw``.

        The Fisher information of the raw outputs, positive semi-definite,
        of shape ``(n_samples, n_raw, n_raw)``: the per-row weight of the
        generalized Gauss-Newton matrix with which ``solver="newton"`` fits
        a model given by its Jacobian (Fisher scoring). Here
        :meth:`hessian` itself: the expectation already where
        ``hessian_kind`` is "expected", and its own expectation wherever it
        does not depend on y (the normal's, the Bernoulli's, the
        categorical's, the Poisson's); a distribution whose :meth:`hessian`
        is observed and can be indefinite (the heteroscedastic normal's)
        overrides it.
        """
        return self.hessian(y, raw)

    def dispersion(self, y, raw, sample_weight):
        """The factor by which :meth:`nll` exceeds the true NLL.

        :meth:`nll` is the negative log-likelihood up to an additive constant
        and this positive factor, at the maximum-likelihood estimate of any
        parameter that the raw outputs do not carry. 1.0 here: the NLL is
        exact. Standard errors divide :meth:`hessian` by it to get the
        observed information.
        """
        return 1.0

    def raw_at_marginal_mle(self, y, sample_weight):
        """Raw outputs of the best constant model: the marginal MLE of y.

        The model's intercepts start there. This default runs Fisher scoring
        (Newton's method with :meth:`hessian`) on the weighted mean NLL of
        one constant raw vector, from :meth:`_raw_start`, halving steps that
        do not lower it.

        Parameters
        ----------
        y : ndarray of shape (n_samples,)
            Observed targets.
        sample_weight : ndarray of shape (n_samples,)
            Non-negative weights, not all zero.

        Returns
        -------
        raw : ndarray of shape (n_raw,)
        """
        start = self._raw_start(y, sample_weight)
        return _fisher_scoring(_local_totals(self, y, sample_weight), start)

    def _raw_start(self, y, sample_weight):  # pragma: no cover - abstract
        """A rough constant raw vector (from moments) to refine by scoring."""
        raise NotImplementedError

    def parameters(self, raw):
        """The distribution's parameters at ``raw``, through the links.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        parameters : dict of str to ndarray of shape (n_samples,)
            One entry per name of :attr:`parameter_names`, in order.
        """
        raise NotImplementedError(f"{type(self).__name__} names no parameters.")

    def mean(self, raw):
        """The mean of y under the distribution at ``raw``: what ``predict`` returns.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self.frozen(raw).mean()

    def _raw_bounds(self):
        """Bounds ``(lower, upper)`` on the raw outputs, each of shape (n_raw,).

        None, the default, for none. A distribution whose likelihood is
        unbounded where the location fits some rows exactly (a scale going
        to 0, a shape or precision to infinity) bounds that raw output, as
        :class:`HeteroscedasticNormal` floors its scale: beyond the bound the
        raw output is replaced by the bound and its gradient is zero.
        """
        return None

    def _clamp(self, raw):
        """``raw`` within :meth:`_raw_bounds`, and the mask of free entries."""
        bounds = self._raw_bounds()
        if bounds is None:
            return raw, None
        lower, upper = (np.asarray(bound, dtype=raw.dtype) for bound in bounds)
        free = (raw > lower) & (raw < upper)
        if free.all():
            return raw, None
        return np.clip(raw, lower, upper), free

    def _in_support(self, y):
        """Boolean mask of the targets inside the domain; all of them here."""
        return np.ones(np.shape(y), dtype=bool)

    def check_target(self, y):
        """Raise a ValueError naming the targets outside the domain.

        Parameters
        ----------
        y : ndarray
            Observed targets.

        Raises
        ------
        ValueError
            Naming the distribution, its domain and the offending values.
        """
        y = np.asarray(y)
        outside = ~self._in_support(y)
        if np.any(outside):
            values = np.unique(y[outside])
            shown = ", ".join(f"{value:g}" for value in values[:5])
            more = f" (and {values.size - 5} more)" if values.size > 5 else ""
            raise ValueError(
                f"{type(self).__name__} is a distribution over {self.support}; "
                f"y has {int(outside.sum())} value(s) outside it: {shown}{more}."
            )

    def curvature_ratio(self, y, raw, weight):
        """Curvature at ``raw`` relative to :attr:`curvature`.

        Step-size heuristics scale with it. With ``curvature_from_hessian``
        (the distributions whose curvature grows without bound, as a
        Poisson's :math:`e^z`), the weighted mean trace of :meth:`hessian`
        (a bound on its largest eigenvalue) over :attr:`curvature`; 1.0 for
        the others, whose curvature :attr:`curvature` bounds everywhere.
        """
        if not self.curvature_from_hessian:
            return 1.0
        trace = np.trace(self.hessian(y, raw), axis1=1, axis2=2)
        return float(weight @ trace) / (float(np.sum(weight)) * self.curvature)

    def kinks(self, y, raw, width):
        """Rows where the NLL is not differentiable in ``raw``, within ``width``.

        A distribution whose NLL has a kink (the Laplace's, at ``y = mu``)
        has, there, an interval of subgradients rather than one gradient,
        and its optimum typically sits on kinks: its gradient does not
        vanish, and the convergence test asks instead whether some
        subgradient does (:class:`~skprob._training.convergence.SubgradientTest`).
        None for a smooth NLL.

        Parameters
        ----------
        y : ndarray of shape (n_samples,)
            Observed targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.
        width : float
            Rows this close to a kink, in the distribution's own units (the
            Laplace's: residuals in units of its scale), count as on it.

        Returns
        -------
        kinks : tuple (rows, lower, upper) or None
            ``rows``, the indices of the rows at a kink; ``lower`` and
            ``upper``, of shape ``(len(rows), n_raw)``, how far below and
            above the gradient that :meth:`nll_gradient` gives there each
            subgradient of the row's NLL reaches (0 along raw outputs in
            which it is smooth).
        """
        return None

    def separates(self, y, raw):
        """Whether ``raw`` ranks every observed class first, strictly.

        Then the likelihood has no maximum: scaling ``raw`` up raises it
        without end. Never for a continuous target.
        """
        return False

    def _spread_collapses_upward(self):
        """Whether the spread output collapses upwards (a shape or precision)."""
        lower = self._raw_bounds()[0][self.spread_output]
        return not np.isfinite(lower)

    def narrowest_spread(self, raw, sample_weight):
        """The spread output nearest its collapse, over the rows of positive weight.

        The smallest log scale, or the largest log shape or precision, that
        the model gives a row: where :meth:`bound_spread` stops a model that
        extrapolates to a narrower distribution on new rows. None for a
        distribution without a spread output (:attr:`spread_output`), or
        without a row of positive weight.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs on the training rows.
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        narrowest : float, ndarray or None
        """
        if self.spread_output is None or not np.any(sample_weight > 0):
            return None
        column = self._clamp(raw[sample_weight > 0])[0][:, self.spread_output]
        if self._spread_collapses_upward():
            return float(column.max())
        return float(column.min())

    def narrower(self, first, second):
        """The narrower of two :meth:`narrowest_spread` results, either None."""
        if first is None or second is None:
            return second if first is None else first
        if self._spread_collapses_upward():
            return np.maximum(first, second)
        return np.minimum(first, second)

    def bound_spread(self, raw, narrowest):
        """``raw`` with no spread narrower than ``narrowest``, a new array."""
        raw = raw.copy()
        column = raw[:, self.spread_output]
        narrowest = column.dtype.type(narrowest)
        if self._spread_collapses_upward():
            np.minimum(column, narrowest, out=column)
        else:
            np.maximum(column, narrowest, out=column)
        return raw

    def at_scale_floor(self, raw):
        """Which rows have a fitted spread at its bound, for some output.

        A distribution whose spread the model predicts (a mean-variance
        model) bounds it, since its likelihood is unbounded wherever the
        model can fit rows exactly: there a scale shrinks towards 0 (a
        shape or a precision grows without end) and the NLL runs to minus
        infinity. Rows at the bound are the mark of such a fit, which has
        no maximum-likelihood estimate. Here, the rows whose raw output
        :attr:`spread_output` is at its bound in :meth:`_raw_bounds`; none
        for a distribution without one.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        at_floor : ndarray of bool, shape (n_samples,)
        """
        if self.spread_output is None:
            return np.zeros(raw.shape[0], dtype=bool)
        column = self.spread_output
        lower, upper = (
            np.asarray(bound, dtype=raw.dtype)[column] for bound in self._raw_bounds()
        )
        margin = _bound_margin(raw.dtype)
        return (raw[:, column] <= lower + margin) | (raw[:, column] >= upper - margin)

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


def _fisher_scoring(totals, raw, max_iter=100):
    """The MLE of one constant raw vector, by Newton steps with step halving.

    ``totals(point, hessian)`` returns the weighted mean NLL of the rows at
    the constant raw vector ``point``, its gradient and, when ``hessian``,
    its (expected) Hessian; computed in memory (:func:`_local_totals`) or
    on a cluster. With an expected Hessian this is Fisher scoring: its
    blocks are positive definite wherever the distribution is identified,
    so every direction goes down. Stops when a step no longer lowers the
    NLL beyond rounding.
    """
    raw = np.array(raw, dtype=np.float64)
    loss, grad = totals(raw, hessian=False)
    for _ in range(max_iter):
        hessian = totals(raw, hessian=True)[2]
        try:
            direction = -np.linalg.solve(hessian, grad)
        except np.linalg.LinAlgError:
            direction = -grad
        step = 1.0
        while step > 1e-10:
            trial = raw + step * direction
            trial_loss, trial_grad = totals(trial, hessian=False)
            if np.isfinite(trial_loss) and trial_loss <= loss:
                break
            step /= 2.0
        else:
            break
        converged = loss - trial_loss <= 1e-15 * (1.0 + abs(loss))
        raw, loss, grad = trial, trial_loss, trial_grad
        if converged:
            break
    return raw


def _constant_totals(distribution, y, sample_weight, point, hessian):
    """Weighted sums of the NLL, gradient (and Hessian) at a constant raw."""
    raw = np.tile(point, (y.shape[0], 1))
    weight = np.asarray(sample_weight, dtype=np.float64)
    nll, grad = distribution.nll_gradient(y, raw)
    sums = (float(weight @ nll), weight @ grad)
    if hessian:
        sums += (np.einsum("i,ijk->jk", weight, distribution.hessian(y, raw)),)
    return sums


def _local_totals(distribution, y, sample_weight):
    """:func:`_fisher_scoring`'s ``totals`` for rows in memory."""
    y = np.asarray(y, dtype=np.float64)
    weight_sum = float(np.sum(sample_weight))

    def totals(point, hessian):
        sums = _constant_totals(distribution, y, sample_weight, point, hessian)
        return tuple(value / weight_sum for value in sums)

    return totals
