"""The training objective and the one training loop.

The objective ties step 1 (distribution) and step 2 (model) together: the
weighted mean NLL plus an L2 penalty, with its gradient. The loop feeds
mini-batches of it to step 3 (the solver), watches the loss, lowers the step
size on plateaus, stops early and reports; the estimators only call it.

Conventions
-----------
The objective over n rows with sample weights w is

    sum_i w_i * nll_i / sum_i w_i + alpha / 2 * ||weights||^2,

intercepts not penalized, on the scale of the model as the solver fits it.
The regressors fit a standardized target ``(y - mean) / std``, so their
weights are those of the standardized problem: on the scale of ``coef_``,
GaussianRegressor's objective is proportional to that of
``Ridge(alpha=alpha * sum(w))`` (the same minimum), and
HeteroscedasticRegressor's penalty is
``alpha / 2 * (||coef_[0]||^2 / std^2 + ||coef_[1]||^2)``; the user guide's
"The objective skprob minimizes" derives both.

A mini-batch B stands for the objective with weights
``w_i / (mean(w) * |B|)``: an unbiased estimate whose batch losses, weighted by
``|B| / n``, add up to exactly the full objective over one epoch.

A fit computes in the precision of its parameters, float32 for float32 X:
gradients, raw outputs and the solver's state are float32, but the weights
stay float64 and the loss is summed in float64 (:func:`weighted_sum`); the
gradient test's ``tol`` is floored at what float32 can certify
(:func:`gradient_tol`).
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from .solvers import batch_size_of

# Each plateau of a stochastic solver divides the step by this factor (as
# scikit-learn's MLP "adaptive" schedule does); training ends once the step
# has fallen below MIN_LR_SCALE of its start.
LR_DECAY = 5.0
MIN_LR_SCALE = 1e-3
# A stochastic fit turns to variance-reduced epochs at its first plateau, or
# after this many plain epochs: past the first fast descent, a plain epoch
# mostly rattles at its noise floor.
PLAIN_EPOCHS = 1
# A plateau of a monitored loss (a mini-batch loss, a validation NLL, a
# network's) is one without an improvement of this many times tol: tol bounds
# the gradient, and a loss changes by far less than its gradient near the
# optimum; with the default tol, the least improvement is 1e-6.
PLATEAU_TOL_FACTOR = 10.0
# An epoch loss this many times (|best| + 1) above the best is a divergence.
EXPLOSION_FACTOR = 1e4
# The least tol the gradient test of a float32 fit takes, in units of
# float32's machine epsilon: see gradient_tol.
FLOAT32_TOL_EPS_FACTOR = 1e2


def gradient_tol(tol, dtype):
    """The gradient test's tolerance for a fit computed in ``dtype``.

    ``tol`` in float64. A float32 fit cannot certify a gradient below its
    rounding: its loss, though summed in float64, is a sum of terms rounded
    in float32, so that a descent stalls once its steps change the loss by
    less than that rounding, and its parameters move in steps of float32's
    resolution. There ``tol`` is floored at ``FLOAT32_TOL_EPS_FACTOR * eps``
    (eps = 1.2e-7, float32's machine epsilon): 1.2e-5, above the gradients
    at which float32 fits of the default solver stall on standardized data,
    and small enough that the objective is within about 1e-6 of its float64
    optimum. The plateau rule's least improvement, a change of a loss summed
    in float64, keeps ``10 * tol``.
    """
    if np.dtype(dtype) == np.float64:
        return tol
    return max(tol, FLOAT32_TOL_EPS_FACTOR * float(np.finfo(dtype).eps))


class Objective:
    """Weighted mean NLL of ``distribution`` composed with ``model``, plus L2.

    Parameters
    ----------
    distribution : skprob.distributions.Distribution
        Maps raw outputs to the per-sample NLL and its gradient.
    model : skprob.models.Model
        Maps parameters and X to raw outputs, and back-propagates.
    alpha : float
        Strength of the L2 penalty ``alpha / 2 * ||weights||^2``.
    """

    def __init__(self, distribution, model, alpha):
        self.distribution = distribution
        self.model = model
        self.alpha = alpha
        self._penalty_mask = model.penalty_mask

    def penalty(self, params):
        """The L2 penalty and its gradient."""
        if self._penalty_mask.dtype != params.dtype:  # a float32 fit
            self._penalty_mask = self._penalty_mask.astype(params.dtype)
        weights = params * self._penalty_mask
        return 0.5 * self.alpha * float(weights @ weights), self.alpha * weights

    def loss_gradient(self, params, X, y, weight):
        """Objective, gradient and the raw outputs at ``params``.

        ``weight`` is already normalized, and float64: the loss is summed in
        float64 whatever the precision of the fit (see :func:`weighted_sum`).
        The raw outputs let a caller ask the distribution for its curvature
        there, only when it needs it.
        """
        raw, cache = self.model.forward(params, X)
        nll, grad_raw = self.distribution.nll_gradient(y, raw)
        grad_raw *= weight.astype(grad_raw.dtype, copy=False)[:, None]
        grad = self.model.backward(params, cache, grad_raw)
        loss = weighted_sum(weight, nll)
        if self.alpha:  # the penalty costs several vector operations per step
            penalty, grad_penalty = self.penalty(params)
            loss += penalty
            grad += grad_penalty
        return loss, grad, raw

    @property
    def has_hessian(self):
        """Whether the model gives a Hessian (a linear model does)."""
        return hasattr(self.model, "hessian")

    def hessian(self, params, X, y, weight):
        """Hessian of the objective, with ``weight`` already normalized."""
        raw = self.model.predict_raw(params, X)
        # In the precision of the fit, as its data: the model sums the rows'
        # blocks in matrix products of chunks of rows, and the chunks into
        # a float64 Hessian, which Newton's method solves in float64.
        hessian_raw = self.distribution.hessian(y, raw).astype(raw.dtype, copy=False)
        hessian_raw *= weight[:, None, None]
        hessian = self.model.hessian(params, X, hessian_raw)
        if self.alpha:
            hessian[np.diag_indices_from(hessian)] += self.alpha * self._penalty_mask
        return hessian

    def loss(self, params, X, y, weight):
        """Objective alone, with ``weight`` already normalized."""
        raw = self.model.predict_raw(params, X)
        nll = self.distribution.nll(y, raw)
        return weighted_sum(weight, nll) + self.penalty(params)[0]

    def mean_nll(self, params, X, y, sample_weight):
        """Weighted mean NLL without the penalty, e.g. on validation data."""
        raw = self.model.predict_raw(params, X)
        return np.average(self.distribution.nll(y, raw), weights=sample_weight)

    @property
    def seeks_optimum(self):
        """Whether the fit runs to the gradient test, or to a plateau.

        The model's ``stopping`` says (see :mod:`skprob.models`): "gradient"
        for a linear model or a smooth parametric one, "plateau" for a
        network.
        """
        return getattr(self.model, "stopping", "gradient") == "gradient"

    def lipschitz(self, X, sample_weight, batch_size):
        """Estimate of the gradient's Lipschitz constant on one batch.

        None when the model offers no curvature estimate.
        """
        curvature = getattr(self.model, "curvature", None)
        if curvature is None:
            return None
        return self.lipschitz_from_curvature(curvature(X, sample_weight, batch_size))

    def lipschitz_from_curvature(self, model_curvature):
        """The Lipschitz estimate, given the model's curvature on the batch."""
        return self.distribution.curvature * model_curvature + self.alpha


def weighted_sum(weight, values):
    """``weight @ values`` summed in float64, as a Python float.

    A float32 fit computes the per-sample NLLs in float32, each rounded at
    float32's relative precision (6e-8); a float32 accumulator would add an
    error of its own that grows with the number of rows. scikit-learn's
    losses sum in float64 too.
    """
    return float(np.dot(weight, values.astype(np.float64, copy=False)))


class BatchObjective:
    """The objective on one mini-batch, as a solver sees it.

    Calling it returns ``(loss, gradient)`` at given parameters; :meth:`loss`
    returns the loss alone; ``lipschitz`` is the Lipschitz estimate at the
    parameters of the last call (the start estimate scaled by the
    distribution's change of curvature), or None; ``hessian`` is a function
    that returns the Hessian at given parameters, or None when the model
    gives none (a neural network).
    """

    def __init__(self, objective, X, y, weight, lipschitz):
        self._objective = objective
        self._data = (X, y, weight)
        self._start_lipschitz = lipschitz
        self._last_raw = None
        self._lipschitz = lipschitz
        # (params, loss, gradient) of every call: the training loop reads
        # the gradient test off them, without a pass of its own.
        self.evaluations = []

    def __call__(self, params):
        loss, grad, self._last_raw = self._objective.loss_gradient(params, *self._data)
        self._lipschitz = None  # stale: recomputed on the next read
        self.evaluations.append((params, loss, grad))
        return loss, grad

    @property
    def lipschitz(self):
        # Computed on demand, once per call: solvers that never read it (Adam)
        # skip the distribution's curvature pass over the batch.
        if self._lipschitz is None and self._start_lipschitz is not None:
            _, y, weight = self._data
            ratio = self._objective.distribution.curvature_ratio(
                y, self._last_raw, weight
            )
            self._lipschitz = self._start_lipschitz * ratio
        return self._lipschitz

    def loss(self, params):
        return self._objective.loss(params, *self._data)

    @property
    def hessian(self):
        if not self._objective.has_hessian:
            return None
        return self._hessian

    def _hessian(self, params):
        return self._objective.hessian(params, *self._data)


class VarianceReducedBatch:
    r"""A mini-batch objective whose noise vanishes at the optimum (SVRG).

    With an anchor :math:`\tilde\theta` where the full objective
    :math:`F` and its gradient are known, the batch objective :math:`L_B`
    becomes

    .. math::
        \psi_B(\theta) = L_B(\theta) - L_B(\tilde\theta) + F(\tilde\theta)
        + (\nabla F(\tilde\theta) - \nabla L_B(\tilde\theta))^\top
        (\theta - \tilde\theta),

    an unbiased estimate of :math:`F(\theta)` over the batches, as
    :math:`L_B` is, whose gradient
    :math:`\nabla L_B(\theta) - \nabla L_B(\tilde\theta) + \nabla F(\tilde\theta)`
    differs from the full gradient by an error that shrinks to zero as
    :math:`\theta` and the anchor approach the optimum (Johnson and Zhang,
    2013). A stochastic solver then converges to the exact optimum instead
    of rattling around it at the noise floor of its step size. It costs one
    more gradient of the batch per step, at the anchor, and one full-batch
    pass per epoch. The solver sees the same protocol as for a plain batch.

    Each variance-reduced epoch ends at the mean of its iterates, the
    anchor of the next (Johnson and Zhang's analysis takes a random iterate
    of the epoch, whose expectation is this mean; their experiments take
    the last). A solver whose steps keep their length as the gradient
    vanishes, as Adam's normalized steps do, circles the optimum at about
    that length, and the mean of the circle is much nearer the optimum than
    any point of it. On the benchmarks' W1 and W2 (``alpha=0``, the other
    settings at their defaults), Adam's fits to the gradient test went from
    36 and 24 epochs to 5 and 7; SGD's from 9 and 8 to 4 and 10, momentum's
    from 9 and 7 to 5 and 10, Nesterov's from 8 and 7 to 5 and 10.
    """

    def __init__(self, batch, anchor, anchor_loss, anchor_gradient):
        self._batch = batch
        self._anchor = anchor
        batch_loss, batch_gradient = batch(anchor)
        self._loss_shift = anchor_loss - batch_loss
        self._gradient_shift = anchor_gradient - batch_gradient
        batch.evaluations.clear()

    def _linear_term(self, params):
        return self._loss_shift + self._gradient_shift @ (params - self._anchor)

    def __call__(self, params):
        loss, grad = self._batch(params)
        return loss + self._linear_term(params), grad + self._gradient_shift

    def loss(self, params):
        return self._batch.loss(params) + self._linear_term(params)

    @property
    def lipschitz(self):
        return self._batch.lipschitz

    @property
    def evaluations(self):
        return self._batch.evaluations


@dataclass
class TrainingState:
    """Everything a fit carries from one epoch (or partial_fit) to the next."""

    params: np.ndarray
    solver_state: object
    lipschitz: object = None
    lr_scale: float = 1.0
    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    best_loss: float = np.nan
    # The shuffling stream continues across partial_fit calls: re-seeding it
    # from an int random_state at every call would give every chunk of the
    # same size the same batch order.
    rng: object = None
    # partial_fit's plateau detection, carried from call to call.
    stopping: object = None
    # partial_fit's averaging (see partial_fit_epoch): params then hold the
    # average of the solver's iterates, iterate the solver's own, and
    # n_averaged the number of iterates averaged.
    iterate: np.ndarray = None
    n_averaged: int = 0


@dataclass
class StoppingRule:
    """Plateau detection over a monitored loss, one value per epoch.

    After ``n_iter_no_change`` epochs without an improvement of at least
    ``tol`` on the best value, :meth:`update` answers "decay": the step is
    too long for what is left to gain, be it the noise floor of a stochastic
    solver or the overshoot of a momentum solver. It answers "stop" (training
    has converged) at a plateau that follows a decay which brought no
    improvement, since smaller steps then have nothing left to find (the fit
    has converged, or stalled), or whose step is already below
    ``min_lr_scale`` of the start.

    Parameters
    ----------
    tol : float
        Least decrease of the best value that counts as an improvement.
    n_iter_no_change : int
        Epochs without improvement that make a plateau.
    min_lr_scale : float, default=MIN_LR_SCALE
        Smallest step scale a decay may reach; 0 for no floor.
    count_rises : bool, default=False
        Also answer "decay" after ``n_iter_no_change`` epochs whose value
        rose above the previous epoch's, since the last decay. For exact
        (full-batch) losses: a descent method (gradient descent with a step
        of 1/L, a line search) never rises, while a solver that oscillates
        about the optimum (Adam, momentum, too long a step) rises again and
        again, yet may reach a new best often enough never to plateau.
    """

    tol: float
    n_iter_no_change: int
    min_lr_scale: float = MIN_LR_SCALE
    count_rises: bool = False
    best: float = np.inf
    previous: float = np.inf
    n_rises: int = 0
    n_bad_epochs: int = 0
    is_best: bool = False
    n_decays: int = 0
    improved_since_decay: bool = False

    def update(self, monitored, lr_scale):
        """Record one epoch: "continue", "decay" or "stop"."""
        improved = monitored < self.best - self.tol
        self.is_best = monitored < self.best
        if self.is_best:
            self.best = monitored
        self.improved_since_decay |= improved
        self.n_bad_epochs = 0 if improved else self.n_bad_epochs + 1
        if self.count_rises:
            self.n_rises += monitored > self.previous
            self.previous = monitored
        if max(self.n_bad_epochs, self.n_rises) < self.n_iter_no_change:
            return "continue"
        self.n_bad_epochs = self.n_rises = 0
        decay_was_useless = self.n_decays > 0 and not self.improved_since_decay
        if decay_was_useless or lr_scale / LR_DECAY < self.min_lr_scale:
            return "stop"
        self.n_decays += 1
        self.improved_since_decay = False
        return "decay"


def run_epoch(
    objective,
    solver,
    training,
    X,
    y,
    sample_weight,
    rng,
    shuffle,
    snapshot=None,
    certificate=None,
    averager=None,
):
    """One pass of the solver over the data; updates ``training`` in place.

    Parameters
    ----------
    snapshot : tuple (params, loss, gradient), optional
        The anchor of a variance-reduced epoch (:class:`VarianceReducedBatch`).
    certificate : tuple (params, loss, gradient), optional
        A full-batch evaluation from the previous epoch, reused when the
        solver's step did not move.
    averager : _Averager, optional
        Takes the parameters of each step (see :func:`partial_fit_epoch`).

    Returns
    -------
    epoch_loss : float
        The objective averaged over the epoch's mini-batches, each at the
        parameters its step started from.
    certificate : tuple (params, loss, gradient) or None
        For a full batch, an evaluation of the objective and its gradient
        that the step made at the parameters it returned, else at those it
        started from (a gradient the gradient test reads at no cost); None
        for mini-batches.
    """
    n_samples = X.shape[0]
    batch_size = batch_size_of(solver, n_samples)
    order, sample_weight = _epoch_rows(
        sample_weight, n_samples, batch_size, rng, shuffle
    )
    params, state, epoch_loss = training.params, training.solver_state, 0.0
    start_t = training.t
    # A variance-reduced epoch ends at the mean of its iterates, summed in
    # float64 (see VarianceReducedBatch).
    iterate_sum = None if snapshot is None else np.zeros(params.shape)
    # A diverging fit overflows; the finiteness checks report it with its cause.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for batch, n_rows in epoch_batches(
            objective, X, y, sample_weight, batch_size, order, training.lipschitz
        ):
            if snapshot is not None:
                batch = VarianceReducedBatch(batch, *snapshot)
            start = params
            params, loss, state = solver.step(params, batch, state, training.lr_scale)
            if params.dtype != start.dtype:  # a user's solver that upcast
                params = params.astype(start.dtype)
            if not math.isfinite(loss):
                _raise_diverged(solver)
            epoch_loss += loss * n_rows
            training.t += 1
            if iterate_sum is not None:
                iterate_sum += params
            if averager is not None:
                averager.add(params)
    if iterate_sum is not None:
        params = (iterate_sum / (training.t - start_t)).astype(params.dtype)
    if not np.all(np.isfinite(params)):
        _raise_diverged(solver)
    epoch_loss /= n_samples
    training.params, training.solver_state = params, state
    training.n_iter += 1
    training.loss_curve.append(epoch_loss)
    if batch_size < n_samples:
        return epoch_loss, None
    evaluations = [*batch.evaluations, certificate or (None, None, None)]
    certificate = _evaluation_at(evaluations, params, start)
    if certificate is None:  # the step evaluated elsewhere (a look-ahead)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            certificate = (params, *batch(params))
    return epoch_loss, certificate


class _Averager:
    """Polynomial-decay average of iterates (see partial_fit_epoch).

    Takes over the average that ``training`` holds from earlier calls
    (``params``, when ``iterate`` holds the solver's own), and starts the
    solver at its iterate.
    """

    def __init__(self, training):
        self.average, self.count = None, 0
        if training.iterate is not None:
            self.average, self.count = training.params.copy(), training.n_averaged
            training.params = training.iterate

    def add(self, params):
        self.count += 1
        if self.average is None:
            self.average = params.copy()
            return
        self.average += 4.0 / (self.count + 3) * (params - self.average)


def _evaluation_at(evaluations, *candidates):
    """The first of ``evaluations`` made at the first candidate that has one."""
    for params in candidates:
        for evaluation in evaluations:
            if evaluation[0] is params:
                return evaluation
    return None


# Rows are drawn in proportion to their weights once the largest weight is
# this many times the mean: with rows taken in turn, such a row would weigh
# that much more in its mini-batch, and make the steps that much noisier.
WEIGHTED_SAMPLING_SKEW = 2.0


def _epoch_rows(sample_weight, n_samples, batch_size, rng, shuffle):
    """The order of an epoch's rows, and the sample weights that go with it.

    Mini-batch epochs shuffle the rows, or, with skewed weights, draw
    ``n_samples`` rows with replacement, each with probability proportional
    to its weight, and weigh the drawn rows equally: every step then sees an
    unbiased estimate of the weighted objective, without the variance that
    a few heavy rows would give it.
    """
    if batch_size >= n_samples or not shuffle:
        return None, sample_weight
    if sample_weight.max() > WEIGHTED_SAMPLING_SKEW * sample_weight.mean():
        order = rng.choice(n_samples, n_samples, p=sample_weight / sample_weight.sum())
        return order, np.ones(n_samples)
    return rng.permutation(n_samples), sample_weight


def epoch_batches(objective, X, y, sample_weight, batch_size, order, lipschitz):
    """Yield ``(batch_objective, n_rows)`` for each step of one epoch.

    Training data that evaluates the objective where its rows live (rows on
    a Dask cluster: :class:`skprob._dask.ClusterData`, with ``y`` and
    ``sample_weight`` None) gives one full-batch objective of its own, with
    the interface of :class:`BatchObjective`.
    """
    cluster_batch = getattr(X, "batch_objective", None)
    if cluster_batch is not None:
        yield cluster_batch(objective, lipschitz), X.shape[0]
        return
    for X_batch, y_batch, weight in mini_batches(
        X, y, sample_weight, batch_size, order
    ):
        yield (
            BatchObjective(objective, X_batch, y_batch, weight, lipschitz),
            len(weight),
        )


def mini_batches(X, y, sample_weight, batch_size, order=None):
    """Yield ``(X_batch, y_batch, weight)`` for each mini-batch of one epoch.

    ``weight`` is normalized to ``w_i / (mean(w) * |B|)`` (see the module
    docstring). With an ``order``, the batches take the rows in that order:
    y and the weights are permuted once per epoch, and each batch of dense X
    is gathered into one reused buffer, so a batch is valid for one step
    only. A gather of scattered rows is bound by memory latency; the buffer
    saves the allocation and page faults of a new batch array every step.
    Without an ``order``, batches are views of consecutive rows.
    """
    n_samples = X.shape[0]
    weight = sample_weight * (1.0 / (sample_weight.mean() * batch_size))
    if order is not None:
        y, weight = y[order], weight[order]
        gather_rows = _row_gatherer(X, batch_size)
    for start in range(0, n_samples, batch_size):
        rows = slice(start, start + batch_size)
        batch_weight = weight[rows]
        if len(batch_weight) < batch_size:  # the last, shorter batch
            batch_weight = batch_weight * (batch_size / len(batch_weight))
        X_batch = X[rows] if order is None else gather_rows(order[rows])
        yield X_batch, y[rows], batch_weight


def _row_gatherer(X, batch_size):
    """A function that returns the rows ``indices`` of X, for one step."""
    if hasattr(X, "tocsr"):  # sparse: row indexing makes a new matrix
        return X.__getitem__
    buffer = np.empty((batch_size, X.shape[1]), dtype=X.dtype)

    def gather_rows(indices):
        # mode="clip" skips the bounds check (and the extra buffering it
        # implies); the indices come from a permutation, so are in range.
        return np.take(X, indices, axis=0, out=buffer[: len(indices)], mode="clip")

    return gather_rows


def partial_fit_epoch(
    objective,
    solver,
    training,
    X,
    y,
    sample_weight,
    *,
    tol,
    n_iter_no_change,
    shuffle,
    verbose,
):
    """One epoch over one chunk, for ``partial_fit``; reported as in fit_loop.

    The stopping rule of :func:`fit_loop` runs over the calls' losses (as
    scikit-learn's MLP does over its ``partial_fit`` calls): its step decay
    lets a stochastic solver settle, but it never stops a call.

    For a model whose optimum the loop seeks (a linear model, a parametric
    one), a stochastic solver's iterates are averaged over the calls, and the
    average is what the estimator predicts with; the solver carries on from
    its own iterate. A stochastic step of constant length ends in a cloud of
    iterates about the optimum, whose average is nearer it than its points
    (Polyak and Juditsky, 1992). The average is Shamir and Zhang's (2013)
    polynomial-decay average with eta = 3, ``avg_k = avg_{k-1} + 4 / (k + 3)
    * (theta_k - avg_{k-1})``, whose weights grow about as ``k**3``: it
    forgets the far-off early iterates, without a burn-in to choose, and
    follows a fit still on its way (a uniform average lags behind it; with
    eta = 1, a heteroscedastic fit of the tests ended 1.3% above fit's
    held-out NLL after 60 calls).
    """
    start_time = time.perf_counter()
    if training.stopping is None:
        training.stopping = StoppingRule(PLATEAU_TOL_FACTOR * tol, n_iter_no_change)
    averager = None
    if objective.seeks_optimum and batch_size_of(solver, X.shape[0]) < X.shape[0]:
        averager = _Averager(training)
    loss, _ = run_epoch(
        objective,
        solver,
        training,
        X,
        y,
        sample_weight,
        training.rng,
        shuffle,
        averager=averager,
    )
    if averager is not None:
        training.iterate = training.params
        training.params, training.n_averaged = averager.average, averager.count
    # Chunks differ, so the best parameters of one are no place to return to
    # on another: a plateau only lowers the step.
    if training.stopping.update(loss, training.lr_scale) == "decay":
        training.lr_scale /= LR_DECAY
    if verbose:
        _report_epoch(training, None, start_time)
    return training


def _raise_diverged(solver):
    """The one error of a fit that diverged, whatever gave it away."""
    learning_rate = getattr(solver, "learning_rate", None)
    if learning_rate is None:
        advice = "Standardize the features (e.g. with StandardScaler)."
    elif learning_rate == "auto":
        advice = (
            "The automatic learning rate is too large for this data: "
            "standardize the features (e.g. with StandardScaler), set a "
            'smaller learning_rate, or use solver="lbfgs", which needs none.'
        )
    else:
        advice = (
            f"The learning rate ({learning_rate!r}) is likely too large for "
            "this data: lower it, standardize the features, or use "
            "learning_rate='auto'."
        )
    raise ValueError(
        "The optimization diverged: the training loss exploded, is no longer "
        f"finite, or ended far above that of the starting point. {advice} "
        "The estimator was left unchanged."
    )


def fit_loop(
    objective,
    solver,
    training,
    X,
    y,
    sample_weight,
    *,
    max_iter,
    tol,
    n_iter_no_change,
    early_stopping,
    validation_fraction,
    stratify,
    shuffle,
    random_state,
    verbose,
):
    """Train until the convergence test, the stopping rule or ``max_iter``.

    The convergence test is on the gradient of the training objective: a
    fit has converged where its largest component is at most ``tol``. A
    full-batch fit takes it at every epoch, from a gradient its solver
    computed anyway. A stochastic fit of a linear model runs one plain
    epoch (:data:`PLAIN_EPOCHS`), then variance-reduced ones
    (:class:`VarianceReducedBatch`),
    each starting from a snapshot whose full-batch loss and gradient it
    computes: the test, and a gradient noise that vanishes at the optimum.
    A network, whose non-convex loss has no optimum to certify, has
    converged when the plateau rule ends its fit, as scikit-learn's MLP has;
    the gradient test still ends it sooner.
    Under ``early_stopping`` the monitored loss is the NLL of a held-out
    (stratified, for classifiers) fraction of the data, the fit keeps its
    best validation epoch, and there is no gradient test: it stops before
    the optimum on purpose.

    The stopping rule (:class:`StoppingRule`) watches the monitored loss:
    at each plateau it divides the step by :data:`LR_DECAY` (a full-batch
    fit that overshot goes back to its best parameters, so that the
    velocity of the overshoot is not carried into the smaller steps), and it
    ends a fit whose smaller steps find nothing more: that fit has stalled.

    Returns
    -------
    training : TrainingState
        The final state, holding the parameters to keep: those the gradient
        test accepted, else the best epoch's (the best validation epoch's
        under early stopping, a stochastic fit's last before its
        variance-reduced phase).
    problem : str or None
        None when the fit converged (or, under early stopping, stopped by
        its rule); otherwise why it did not, for a ConvergenceWarning.
    """
    rng = check_random_state(random_state)
    grad_tol = gradient_tol(tol, training.params.dtype)
    if early_stopping:
        X, X_val, y, y_val, sample_weight, weight_val = train_test_split(
            X,
            y,
            sample_weight,
            test_size=validation_fraction,
            random_state=rng,
            stratify=stratify if _can_stratify(stratify, validation_fraction) else None,
        )
    full_batch = batch_size_of(solver, X.shape[0]) >= X.shape[0]
    # Variance reduction serves models whose optimum the loop can reach
    # exactly: those whose ``stopping`` is "gradient" (linear models, smooth
    # parametric ones). A network, whose non-convex (and with ReLU,
    # non-smooth) loss has no optimum to certify, has converged, as
    # scikit-learn's MLP has, when its plateau rule (a least improvement of
    # 10 * tol) ends the fit; so has early stopping.
    seeks_optimum = objective.seeks_optimum
    variance_reducible = seeks_optimum and not (early_stopping or full_batch)
    plateau_converges = early_stopping or not seeks_optimum
    # A full-batch loss and a snapshot's are exact: any decrease is progress,
    # however small, and only a fit whose smaller steps find none has
    # stalled. Mini-batch losses are noisy averages, compared with tol.
    rule = (
        _exact_loss_rule(n_iter_no_change)
        if full_batch and seeks_optimum and not early_stopping
        else StoppingRule(PLATEAU_TOL_FACTOR * tol, n_iter_no_change)
    )
    full = full_batch_objective(objective, X, y, sample_weight)
    best_params = start_params = training.params
    first_epoch = len(training.loss_curve)
    start_time = time.perf_counter()
    snapshot = None  # (params, loss, gradient) of the variance-reduced phase
    certificate = None  # (params, loss, gradient) of the last full batch
    problem = f"The solver did not converge within max_iter={max_iter} epochs"
    for _ in range(max_iter):
        if snapshot is not None:
            snapshot = _snapshot(full, training.params)
            if _converged(snapshot, grad_tol):
                best_params, problem = snapshot[0], None
                training.best_loss = snapshot[1]
                break
        loss, certificate = run_epoch(
            objective,
            solver,
            training,
            X,
            y,
            sample_weight,
            rng,
            shuffle,
            snapshot=snapshot,
            certificate=certificate,
        )
        if snapshot is not None:
            # Reported, as a full batch's, at the epoch's start, exactly.
            loss = training.loss_curve[-1] = snapshot[1]
        _check_explosion(training, solver)
        monitored = loss
        if early_stopping:
            monitored = objective.mean_nll(training.params, X_val, y_val, weight_val)
            training.validation_scores.append(-monitored)
        if verbose:
            _report_epoch(training, monitored if early_stopping else None, start_time)
        if full_batch and not early_stopping and _converged(certificate, grad_tol):
            best_params, problem = certificate[0], None
            training.best_loss = certificate[1]
            break
        action = rule.update(monitored, training.lr_scale)
        # The parameters to keep: the best validation epoch's under early
        # stopping, the best full-batch epoch's (an overshoot can follow it),
        # and a stochastic fit's last ones, since its epoch losses are noisy
        # averages over moving parameters.
        if rule.is_best or (variance_reducible and snapshot is None):
            best_params = training.params if snapshot is None else snapshot[0]
            training.best_loss = loss
        plain_phase_over = action != "continue" or (
            training.n_iter - first_epoch >= PLAIN_EPOCHS
        )
        if variance_reducible and snapshot is None and plain_phase_over:
            # From here on, epochs start from a full-batch snapshot and
            # reduce the variance of their steps.
            snapshot = (None, np.nan, None)
            rule = _exact_loss_rule(n_iter_no_change)
            continue
        if action == "continue":
            continue
        if action == "stop":
            problem = None
            if not plateau_converges:
                problem = "The fit stalled: smaller steps no longer lower the loss"
            break
        training.lr_scale /= LR_DECAY
        if (full_batch or snapshot is not None) and monitored > rule.best:
            # An exact loss (a full batch's, a snapshot's) above its best is
            # an overshoot: go back to the best point (keeping the solver's
            # state: restarting Adam's moments re-excites it). Adam's steps
            # keep their length as the variance-reduced gradients vanish,
            # so near the optimum it wanders off, and only a shorter step
            # from the best point gets closer.
            training.params = best_params
    _check_worse_than_start(full, solver, training, start_params, first_epoch)
    training.params = best_params
    if problem is not None and not early_stopping:
        # A fit the rule or max_iter ended may still pass the test where it
        # ends; one more pass tells.
        final = _snapshot(full, best_params)
        if _converged(final, grad_tol):
            return training, None
        problem += (
            f": the largest component of the gradient is "
            f"{np.abs(final[2]).max():.2g}, above tol={grad_tol:g}"
            + (
                f" (the floor of tol in {training.params.dtype})."
                if grad_tol > tol
                else "."
            )
        )
    elif problem is not None:
        problem += "."
    return training, problem


def _exact_loss_rule(n_iter_no_change):
    """The stopping rule for exact losses.

    No tolerance, no floor on the step, and rises count: see
    :class:`StoppingRule`.
    """
    return StoppingRule(0.0, n_iter_no_change, min_lr_scale=0.0, count_rises=True)


def full_batch_objective(objective, X, y, sample_weight):
    """The objective over all the rows, as a batch objective.

    Rows on a Dask cluster (:class:`skprob._dask.ClusterData`, with ``y``
    and ``sample_weight`` None) evaluate it where they live.
    """
    cluster_batch = getattr(X, "batch_objective", None)
    if cluster_batch is not None:
        return cluster_batch(objective, None)
    return BatchObjective(objective, X, y, sample_weight / sample_weight.sum(), None)


def _snapshot(full, params):
    """Full-batch ``(params, loss, gradient)``: a variance-reduced epoch's anchor."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, gradient = full(params)
    return params, loss, gradient


def _converged(certificate, tol):
    """Whether a ``(params, loss, gradient)`` passes the gradient test."""
    return certificate is not None and not np.abs(certificate[2]).max() > tol


def _check_explosion(training, solver):
    """Raise on an epoch loss far above the best so far.

    Such a loss is a divergence on its way to inf: caught early, before a
    return to the best parameters could hide it behind the initial ones.
    """
    loss, best_so_far = training.loss_curve[-1], min(training.loss_curve)
    if training.n_iter > 1 and loss > best_so_far + EXPLOSION_FACTOR * (
        abs(best_so_far) + 1.0
    ):
        _raise_diverged(solver)


def _check_worse_than_start(full, solver, training, start_params, first_epoch):
    """Raise when the fit's best epoch is far worse than its start."""
    if len(training.loss_curve) == first_epoch or np.isnan(training.best_loss):
        return
    start_loss = full.loss(start_params)
    if training.best_loss > start_loss + abs(start_loss) + 1.0:
        _raise_diverged(solver)


def _can_stratify(labels, validation_fraction):
    """Whether a validation split stratified on ``labels`` exists.

    scikit-learn's stratified split needs two rows of every class and room
    for a row of each class in both parts. Small data may have neither;
    the split is then a plain random one, as scikit-learn's MLPClassifier
    makes for more than two classes.
    """
    if labels is None:
        return False
    n_samples = len(labels)
    n_validation = math.ceil(validation_fraction * n_samples)
    counts = np.unique(labels, axis=0, return_counts=True)[1]
    room = min(n_validation, n_samples - n_validation)
    return bool(counts.min() >= 2 and room >= len(counts))


def _report_epoch(training, validation_nll, start_time):
    line = f"Epoch {training.n_iter}, training loss = {training.loss_curve[-1]:.6f}"
    if validation_nll is not None:
        line += f", validation NLL = {validation_nll:.6f}"
    line += f", step scale = {training.lr_scale:g}"
    line += f", elapsed = {time.perf_counter() - start_time:.2f}s"
    print(line)
