"""One epoch: a pass of the solver over the mini-batches of the data.

Also the checks that watch an epoch (divergence) and its report.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..solvers import batch_size_of
from .objective import BatchObjective, VarianceReducedBatch

# An epoch loss this many times (|best| + 1) above the best is a divergence.
EXPLOSION_FACTOR = 1e4


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
    # partial_fit's averaging (see PartialFitEpoch): params then hold the
    # average of the solver's iterates, iterate the solver's own, and
    # n_averaged the number of iterates averaged.
    iterate: np.ndarray = None
    n_averaged: int = 0
    # partial_fit's passes over repeated chunks (skprob._training.passes).
    passes: object = None
    # A network's narrowest predicted spread on a training row (a raw
    # output, see Distribution.narrowest_spread), over the partial_fit calls
    # so far: no prediction is narrower.
    narrowest_spread: object = None


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
        The anchor of a variance-reduced epoch (:class:`VarianceReducedBatch`),
        which ends at the mean of its iterates (see there), unless an
        ``averager`` takes them.
    certificate : tuple (params, loss, gradient), optional
        A full-batch evaluation from the previous epoch, reused when the
        solver's step did not move.
    averager : Averager, optional
        Takes the parameters of each step (``partial_fit``'s averaging).

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
    # A variance-reduced epoch's iterates, summed in float64 for their mean;
    # with an averager (partial_fit's), the mean runs over the averager's span.
    ends_at_mean = snapshot is not None and averager is None
    iterate_sum = np.zeros(params.shape) if ends_at_mean else None
    start_t = training.t
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
                raise_diverged(solver)
            epoch_loss += loss * n_rows
            training.t += 1
            if iterate_sum is not None:
                iterate_sum += params
            if averager is not None:
                averager.add(params)
    if iterate_sum is not None:
        params = (iterate_sum / (training.t - start_t)).astype(params.dtype)
    if not np.all(np.isfinite(params)):
        raise_diverged(solver)
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


class Averager:
    """A running average of iterates: Shamir and Zhang's, or a uniform one.

    The polynomial-decay average (eta = 3),
    ``avg_k = avg_{k-1} + 4 / (k + 3) * (theta_k - avg_{k-1})``, whose
    weights grow about as ``k**3``; or, ``uniform``, the mean,
    ``avg_k = avg_{k-1} + (theta_k - avg_{k-1}) / k``. Takes over the average
    that ``training`` holds from earlier calls (in ``params``, when
    ``iterate`` holds the solver's own; ``n_averaged`` counts its iterates,
    0 to start afresh), and starts the solver at its iterate.
    """

    def __init__(self, training, uniform=False):
        self.average, self.count = None, 0
        self.uniform = uniform
        if training.iterate is not None:
            self.average, self.count = training.params.copy(), training.n_averaged
            training.params = training.iterate

    def add(self, params):
        self.count += 1
        if self.average is None or self.count == 1:
            self.average = params.copy()
            return
        weight = 1.0 / self.count if self.uniform else 4.0 / (self.count + 3)
        self.average += weight * (params - self.average)

    def hand_over(self, training):
        """Leave the average in ``training.params``, the iterate aside."""
        training.iterate = training.params
        training.params, training.n_averaged = self.average, self.count


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


def raise_diverged(solver):
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


def check_explosion(training, solver):
    """Raise on an epoch loss far above the best so far.

    Such a loss is a divergence on its way to inf: caught early, before a
    return to the best parameters could hide it behind the initial ones.
    """
    loss, best_so_far = training.loss_curve[-1], min(training.loss_curve)
    if training.n_iter > 1 and loss > best_so_far + EXPLOSION_FACTOR * (
        abs(best_so_far) + 1.0
    ):
        raise_diverged(solver)


def check_worse_than_start(full, solver, training, start_params, first_epoch, kept):
    """Raise when the parameters the fit keeps are far worse than its start.

    ``training.best_loss``, the loss of the epoch whose parameters ``kept``
    are, is read first: an epoch's loss is taken where its steps started,
    a step before ``kept`` on the full batch. Above the bound, the loss at
    ``kept`` itself decides, so that an epoch whose step recovered from a
    jolt (as early stopping may keep: its held-out NLL is that of the
    step's end) is no divergence.
    """
    if len(training.loss_curve) == first_epoch or np.isnan(training.best_loss):
        return
    start_loss = full.loss(start_params)
    bound = start_loss + abs(start_loss) + 1.0
    if training.best_loss > bound and not full.loss(kept) <= bound:
        raise_diverged(solver)


def report_epoch(training, validation_nll, start_time):
    """Print one line for an epoch (``verbose``)."""
    line = f"Epoch {training.n_iter}, training loss = {training.loss_curve[-1]:.6f}"
    if validation_nll is not None:
        line += f", validation NLL = {validation_nll:.6f}"
    line += f", step scale = {training.lr_scale:g}"
    line += f", elapsed = {time.perf_counter() - start_time:.2f}s"
    print(line)
