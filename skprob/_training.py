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
"""

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from .solvers import batch_size_of

# Each plateau of a stochastic solver divides the step by this factor (as
# scikit-learn's MLP "adaptive" schedule does); training ends once the step
# has fallen below MIN_LR_SCALE of its start.
LR_DECAY = 5.0
MIN_LR_SCALE = 1e-3
# An epoch loss this many times (|best| + 1) above the best is a divergence.
EXPLOSION_FACTOR = 1e4


class Objective:
    """Weighted mean NLL of ``distribution`` composed with ``model``, plus L2.

    Parameters
    ----------
    distribution : skprob.distributions.Distribution
        Maps raw outputs to the per-sample NLL and its gradient.
    model : skprob.models.LinearModel or compatible
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
        weights = params * self._penalty_mask
        return 0.5 * self.alpha * (weights @ weights), self.alpha * weights

    def loss_gradient(self, params, X, y, weight):
        """Objective, gradient and the raw outputs at ``params``.

        ``weight`` is already normalized. The raw outputs let a caller ask
        the distribution for its curvature there, only when it needs it.
        """
        raw, cache = self.model.forward(params, X)
        nll, grad_raw = self.distribution.nll_gradient(y, raw)
        grad_raw *= weight[:, None]
        grad = self.model.backward(params, cache, grad_raw)
        loss = weight @ nll
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
        hessian_raw = self.distribution.hessian(y, raw)
        hessian_raw *= weight[:, None, None]
        hessian = self.model.hessian(params, X, hessian_raw)
        if self.alpha:
            hessian[np.diag_indices_from(hessian)] += self.alpha * self._penalty_mask
        return hessian

    def loss(self, params, X, y, weight):
        """Objective alone, with ``weight`` already normalized."""
        raw = self.model.predict_raw(params, X)
        return weight @ self.distribution.nll(y, raw) + self.penalty(params)[0]

    def mean_nll(self, params, X, y, sample_weight):
        """Weighted mean NLL without the penalty, e.g. on validation data."""
        raw = self.model.predict_raw(params, X)
        return np.average(self.distribution.nll(y, raw), weights=sample_weight)

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

    def __call__(self, params):
        loss, grad, self._last_raw = self._objective.loss_gradient(params, *self._data)
        self._lipschitz = None  # stale: recomputed on the next read
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


@dataclass
class StoppingRule:
    """Plateau detection over a monitored loss, one value per epoch.

    After ``n_iter_no_change`` epochs without an improvement of at least
    ``tol`` on the best value, :meth:`update` answers "decay": the step is
    too long for what is left to gain, be it the noise floor of a stochastic
    solver or the overshoot of a momentum solver. It answers "stop" (training
    has converged) at a plateau that follows a decay which brought no
    improvement, since smaller steps then have nothing left to find, or whose
    step is already below :data:`MIN_LR_SCALE` of the start.
    """

    tol: float
    n_iter_no_change: int
    best: float = np.inf
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
        if self.n_bad_epochs < self.n_iter_no_change:
            return "continue"
        self.n_bad_epochs = 0
        decay_was_useless = self.n_decays > 0 and not self.improved_since_decay
        if decay_was_useless or lr_scale / LR_DECAY < MIN_LR_SCALE:
            return "stop"
        self.n_decays += 1
        self.improved_since_decay = False
        return "decay"


def run_epoch(objective, solver, training, X, y, sample_weight, rng, shuffle):
    """One pass of the solver over the data; updates ``training`` in place.

    Returns
    -------
    epoch_loss : float
        The objective averaged over the epoch's mini-batches, each at the
        parameters its step started from.
    """
    n_samples = X.shape[0]
    batch_size = batch_size_of(solver, n_samples)
    order = rng.permutation(n_samples) if shuffle and batch_size < n_samples else None
    params, state, epoch_loss = training.params, training.solver_state, 0.0
    # A diverging fit overflows; the finiteness checks report it with its cause.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for batch, n_rows in epoch_batches(
            objective, X, y, sample_weight, batch_size, order, training.lipschitz
        ):
            params, loss, state = solver.step(params, batch, state, training.lr_scale)
            if not math.isfinite(loss):
                _raise_diverged(solver)
            epoch_loss += loss * n_rows
            training.t += 1
    if not np.all(np.isfinite(params)):
        _raise_diverged(solver)
    epoch_loss /= n_samples
    training.params, training.solver_state = params, state
    training.n_iter += 1
    training.loss_curve.append(epoch_loss)
    return epoch_loss


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
    """
    start_time = time.perf_counter()
    if training.stopping is None:
        training.stopping = StoppingRule(tol, n_iter_no_change)
    loss = run_epoch(
        objective, solver, training, X, y, sample_weight, training.rng, shuffle
    )
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
    raise ValueError(
        "The optimization diverged: the training loss exploded, is no longer "
        "finite, or ended far above that of the starting point. "
        f"The learning rate ({learning_rate!r}) is likely too large for "
        "this data; lower it, standardize the features, or use "
        "learning_rate='auto'. The estimator was left unchanged."
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
    """Train until the stopping rule or ``max_iter`` epochs end it.

    The monitored loss is the training objective, or with
    ``early_stopping`` the NLL of a held-out (stratified, for classifiers)
    fraction of the data. At each plateau the step is divided by
    :data:`LR_DECAY`; a full-batch fit that overshot goes back to its best
    parameters, so that the velocity of the overshoot is not carried into the
    smaller steps.

    Returns
    -------
    training : TrainingState
        The final state, holding the parameters to keep: the best epoch's for
        a full batch, the last for mini-batches, the best validation epoch's
        under early stopping.
    converged : bool
        False when ``max_iter`` epochs ended the fit.
    """
    rng = check_random_state(random_state)
    if early_stopping:
        X, X_val, y, y_val, sample_weight, weight_val = train_test_split(
            X,
            y,
            sample_weight,
            test_size=validation_fraction,
            random_state=rng,
            stratify=stratify if _can_stratify(stratify, validation_fraction) else None,
        )
    rule = StoppingRule(tol, n_iter_no_change)
    full_batch = batch_size_of(solver, X.shape[0]) >= X.shape[0]
    best_params = start_params = training.params
    first_epoch = len(training.loss_curve)
    start_time = time.perf_counter()
    converged = False
    for _ in range(max_iter):
        loss = run_epoch(objective, solver, training, X, y, sample_weight, rng, shuffle)
        # A loss far above the best so far is a divergence on its way to inf:
        # caught early, before a return to the best parameters could hide it
        # behind the initial ones.
        best_so_far = min(training.loss_curve)
        if training.n_iter > 1 and loss > best_so_far + EXPLOSION_FACTOR * (
            abs(best_so_far) + 1.0
        ):
            _raise_diverged(solver)
        monitored = loss
        if early_stopping:
            monitored = objective.mean_nll(training.params, X_val, y_val, weight_val)
            training.validation_scores.append(-monitored)
        action = rule.update(monitored, training.lr_scale)
        # The parameters to keep: the best validation epoch's under early
        # stopping, the best full-batch epoch's (an overshoot can follow it),
        # and a stochastic fit's last ones, since its epoch losses are noisy
        # averages over moving parameters.
        if rule.is_best or not (early_stopping or full_batch):
            best_params, training.best_loss = training.params, loss
        if verbose:
            _report_epoch(training, monitored if early_stopping else None, start_time)
        if action == "stop":
            converged = True
            break
        if action == "decay":
            training.lr_scale /= LR_DECAY
            if full_batch and monitored > rule.best + tol:
                # A full-batch loss above its best is an overshoot: go back
                # to the best point (keeping the solver's state: restarting
                # Adam's moments re-excites it). A mini-batch epoch's loss is
                # a noisy average, and its best epoch no better a point.
                training.params = best_params
    # A fit whose best epoch is far worse than its start went astray. A
    # full-batch epoch reports the loss where it started: the first, the start's.
    if full_batch:
        start_loss = training.loss_curve[first_epoch]
    else:
        weight = sample_weight / sample_weight.sum()
        start_loss = objective.loss(start_params, X, y, weight)
    if training.best_loss > start_loss + abs(start_loss) + 1.0:
        _raise_diverged(solver)
    if not converged:
        warnings.warn(
            f"The solver did not converge within max_iter={max_iter} epochs: "
            "increase max_iter, or loosen tol.",
            ConvergenceWarning,
            stacklevel=4,
        )
    training.params = best_params
    return training, converged


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
