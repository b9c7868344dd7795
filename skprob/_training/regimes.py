"""The training regimes: each a small object that runs epochs and judges them.

A regime has the same three methods:

- ``run_epoch(training)`` runs one epoch of the solver, updating the
  :class:`~skprob._training.epoch.TrainingState` in place;
- ``verdict(training)`` judges it: :data:`CONVERGED` (the convergence test
  passed, or a plateau ended a fit that stops there), :data:`STALLED`
  (smaller steps no longer lower the loss), :data:`HAND_OVER` (the next
  regime, :meth:`Regime.next_regime`, takes over) or :data:`CONTINUE`;
  on a plateau it divides the step by
  :data:`~skprob._training.stopping.LR_DECAY`;
- ``params_to_keep()`` gives the parameters the fit returns if it ends here.

Which regime a fit starts in (:func:`first_regime`):

- :class:`FullBatch`: a full-batch fit of a model that seeks its optimum;
  it stops on the gradient test, which every epoch's step evaluated anyway;
- :class:`PlainStochastic`: the first, plain epoch of a mini-batch fit of
  such a model; it hands over to
- :class:`VarianceReduced`: epochs anchored at a full-batch snapshot,
  which is where the gradient test is taken;
- :class:`PlateauStopped`: a network, whose non-convex loss has no optimum
  to certify, converged when the plateau rule ends it (as scikit-learn's
  MLP is); the gradient test still ends a full-batch fit sooner;
- :class:`EarlyStopping`: the plateau rule on a held-out NLL, no gradient
  test; the fit keeps its best validation epoch.

Two more stand outside a fit's sequence: :class:`WarmUp`, the stage that
fits a heteroscedastic model's warm-up objective before the NLL, and
:class:`PartialFitEpoch`, the one epoch of a ``partial_fit`` call.
"""

import math
import time
from dataclasses import replace
from functools import cached_property

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ..solvers import batch_size_of
from . import epoch, passes
from .convergence import convergence_test
from .epoch import check_explosion, report_epoch
from .objective import full_batch_objective
from .stopping import LR_DECAY, exact_loss_rule, held_out_rule, plateau_rule

# A stochastic fit turns to variance-reduced epochs at its first plateau, or
# after this many plain epochs: past the first fast descent, a plain epoch
# mostly rattles at its noise floor.
PLAIN_EPOCHS = 1

CONVERGED = "converged"
STALLED = "stalled"
CONTINUE = "continue"
HAND_OVER = "hand over"


class TrainingRun:
    """What the regimes of one training share: the objective, solver and data.

    Parameters
    ----------
    objective : Objective
        The objective to minimize.
    solver : Solver
        The solver.
    X, y, sample_weight : arrays
        The training rows (rows on a Dask cluster: ``y`` and
        ``sample_weight`` None); under early stopping, split into the rows
        to train on and ``validation``.
    settings : TrainingSettings
        The estimator's training parameters.
    rng : RandomState
        The stream that split the rows, and shuffles every epoch.
    dtype : dtype
        The precision of the fit, which sets the convergence test's floor.
    validation : tuple (X, y, sample_weight) or None
        The held-out rows of early stopping.
    """

    def __init__(
        self, objective, solver, X, y, sample_weight, settings, rng, dtype, validation
    ):
        self.objective, self.solver, self.settings = objective, solver, settings
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.rng, self.validation = rng, validation
        self.test = convergence_test(
            objective, settings.tol, dtype, (X, y, sample_weight)
        )
        self.full_batch = batch_size_of(solver, X.shape[0]) >= X.shape[0]
        self.start_time = time.perf_counter()

    @classmethod
    def start(cls, objective, solver, training, data, settings, seed, stratify=None):
        """A run of ``fit`` on ``data``, ``(X, y, sample_weight)``.

        Its random stream comes from ``seed``; under early stopping it first
        splits off the held-out rows, stratified on ``stratify`` where it
        can be (:func:`_can_stratify`).
        """
        X, y, sample_weight = data
        rng = check_random_state(seed)
        validation = None
        if settings.early_stopping:
            X, X_val, y, y_val, sample_weight, weight_val = train_test_split(
                X,
                y,
                sample_weight,
                test_size=settings.validation_fraction,
                random_state=rng,
                stratify=(
                    stratify
                    if _can_stratify(stratify, settings.validation_fraction)
                    else None
                ),
            )
            validation = (X_val, y_val, weight_val)
        dtype = training.params.dtype
        return cls(
            objective, solver, X, y, sample_weight, settings, rng, dtype, validation
        )

    @cached_property
    def full(self):
        """The full-batch objective over the training rows."""
        return full_batch_objective(self.objective, self.X, self.y, self.sample_weight)

    def epoch(self, training, snapshot=None, certificate=None, averager=None):
        """One epoch of the solver: its loss, and a full batch's certificate."""
        return epoch.run_epoch(
            self.objective,
            self.solver,
            training,
            self.X,
            self.y,
            self.sample_weight,
            self.rng,
            self.settings.shuffle,
            snapshot=snapshot,
            certificate=certificate,
            averager=averager,
        )

    def snapshot(self, params):
        """Full-batch ``(params, loss, gradient)``, e.g. a variance-reduced anchor."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, gradient = self.full(params)
        return params, loss, gradient

    def monitored(self, training, loss):
        """The loss the stopping rule watches: the held-out NLL, if any."""
        if self.validation is None:
            return loss
        nll = self.objective.mean_nll(training.params, *self.validation)
        training.validation_scores.append(-nll)
        return nll

    def report(self, training, monitored):
        """Print the epoch's line, under ``verbose``."""
        if self.settings.verbose:
            validation_nll = None if self.validation is None else monitored
            report_epoch(training, validation_nll, self.start_time)


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


class Regime:
    """A regime whose epochs a stopping rule judges; the base of the others.

    After each epoch the convergence test reads the full-batch certificate
    of a full-batch step (a mini-batch epoch gives none); then the stopping
    rule watches the monitored loss, and each plateau divides the step by
    :data:`LR_DECAY`. A full-batch fit that overshot (an exact loss above
    its best) goes back to its best parameters, so that the velocity of the
    overshoot is not carried into the smaller steps. A plateau that smaller
    steps did not cure ends the regime with :attr:`stop_verdict`.
    """

    stop_verdict = CONVERGED
    tests_gradient = True

    def __init__(self, run, rule, best_params):
        self.run, self.rule, self.best_params = run, rule, best_params
        self.loss = self.monitored = self.certificate = None

    @property
    def returns_to_best(self):
        """Whether the monitored loss is exact, so that a rise is an overshoot."""
        return self.run.full_batch

    def run_epoch(self, training):
        self.loss, self.certificate = self.run.epoch(training, None, self.certificate)
        self._watch(training)

    def _watch(self, training):
        """Check the epoch for divergence, read the monitored loss, report."""
        check_explosion(training, self.run.solver)
        self.monitored = self.run.monitored(training, self.loss)
        self.run.report(training, self.monitored)

    def verdict(self, training):
        if self.tests_gradient and self.run.test(self.certificate):
            self._keep(training, *self.certificate[:2])
            return CONVERGED
        action = self.rule.update(self.monitored, training.lr_scale)
        self._keep_if_best(training)
        return self._act(action, training)

    def _keep(self, training, params, loss):
        self.best_params, training.best_loss = params, loss

    def _keep_if_best(self, training):
        """Keep the epoch's parameters, if its monitored loss is the best."""
        if self.rule.is_best:
            self._keep(training, training.params, self.loss)

    def _act(self, action, training):
        """Follow the stopping rule's answer: continue, stop, or decay."""
        if action == "continue":
            return CONTINUE
        if action == "stop":
            return self.stop_verdict
        training.lr_scale /= LR_DECAY
        if self.returns_to_best and self.monitored > self.rule.best:
            # Back to the best point, keeping the solver's state: restarting
            # Adam's moments re-excites it. Adam's steps keep their length as
            # variance-reduced gradients vanish, so near the optimum it
            # wanders off, and only a shorter step from the best point gets
            # closer.
            training.params = self.best_params
        return CONTINUE

    def params_to_keep(self):
        """The best epoch's parameters (those the convergence test accepted)."""
        return self.best_params


class FullBatch(Regime):
    """Full-batch epochs of a model that seeks its optimum.

    Every epoch takes the gradient test from an evaluation its step made
    anyway. A full-batch loss is exact: any decrease is progress, however
    small (:func:`~skprob._training.stopping.exact_loss_rule`), and a fit
    whose smaller steps find none has stalled. A rise counts as an
    overshoot only beyond what the solver's nonmonotone line search allows
    (its ``nonmonotone_memory``, see :mod:`skprob.solvers`).
    """

    stop_verdict = STALLED

    def __init__(self, run, best_params):
        memory = getattr(run.solver, "nonmonotone_memory", 1)
        rule = exact_loss_rule(run.settings.n_iter_no_change, memory)
        super().__init__(run, rule, best_params)

    def _keep_if_best(self, training):
        """Keep the best point evaluated where a step ended, with its loss.

        The monitored loss is that of the point the step started from. A
        step that evaluated where it ended (a line search's) gives that
        point's exact loss; where the loss may rise from one step to the
        next (a nonmonotone step), the end of the best epoch may lie above
        its start, so the best point kept is the best so evaluated.
        """
        params, loss = self.certificate[:2]
        if params is not training.params:  # evaluated at the start only
            super()._keep_if_best(training)
        elif loss < training.best_loss or np.isnan(training.best_loss):
            self._keep(training, params, loss)


class PlateauStopped(Regime):
    """A network's epochs, which have converged when the plateau rule ends them.

    A network's non-convex (with ReLU, non-smooth) loss has no optimum to
    certify; like scikit-learn's MLP, its fit converged at a plateau of
    least improvement ``10 * tol`` that a smaller step did not cure. The
    gradient test still ends a full-batch fit sooner.
    """

    def __init__(self, run, best_params):
        settings = run.settings
        super().__init__(
            run, plateau_rule(settings.tol, settings.n_iter_no_change), best_params
        )


class EarlyStopping(Regime):
    """Epochs judged on the NLL of held-out rows; no gradient test.

    The fit stops before the optimum on purpose, and keeps its best
    validation epoch. Its plateau rule is patient with a slow start
    (:func:`~skprob._training.stopping.held_out_rule`): on small data, a
    network's first steps may raise the held-out NLL before they lower it.
    """

    tests_gradient = False

    def __init__(self, run, best_params):
        settings = run.settings
        start = run.objective.mean_nll(best_params, *run.validation)
        n_rows = run.X.shape[0]
        steps_per_epoch = -(-n_rows // batch_size_of(run.solver, n_rows))
        rule = held_out_rule(
            settings.tol, settings.n_iter_no_change, start, steps_per_epoch
        )
        super().__init__(run, rule, best_params)


class PlainStochastic(Regime):
    """The plain mini-batch epochs that start a fit seeking its optimum.

    :data:`PLAIN_EPOCHS` of them (or fewer, at a plateau), for the first
    fast descent; then :class:`VarianceReduced` takes over. Their losses are
    noisy averages over moving parameters, so the last epoch's are kept.
    """

    def __init__(self, run, best_params, first_epoch):
        settings = run.settings
        super().__init__(
            run, plateau_rule(settings.tol, settings.n_iter_no_change), best_params
        )
        self.first_epoch = first_epoch

    def verdict(self, training):
        action = self.rule.update(self.monitored, training.lr_scale)
        self._keep(training, training.params, self.loss)
        if action != "continue" or training.n_iter - self.first_epoch >= PLAIN_EPOCHS:
            return HAND_OVER
        return CONTINUE

    def next_regime(self):
        return VarianceReduced(self.run, self.best_params)


class VarianceReduced(Regime):
    """Mini-batch epochs anchored at a full-batch snapshot (SVRG).

    Each epoch starts with a full-batch pass at its parameters: the gradient
    test, taken there, and the anchor of
    :class:`~skprob._training.objective.VarianceReducedBatch`, whose
    gradient noise vanishes at the optimum. The epoch's loss is reported as
    the snapshot's, exact; so the stopping rule is that of exact losses.
    """

    stop_verdict = STALLED
    returns_to_best = True

    def __init__(self, run, best_params):
        super().__init__(
            run, exact_loss_rule(run.settings.n_iter_no_change), best_params
        )
        self.snapshot, self.converged = None, False

    def run_epoch(self, training):
        self.snapshot = self.run.snapshot(training.params)
        self.converged = self.run.test(self.snapshot)
        if self.converged:  # no epoch to run
            return
        self.run.epoch(training, self.snapshot)
        # Reported, as a full batch's, at the epoch's start, exactly.
        self.loss = training.loss_curve[-1] = self.snapshot[1]
        self._watch(training)

    def verdict(self, training):
        if self.converged:
            self._keep(training, *self.snapshot[:2])
            return CONVERGED
        action = self.rule.update(self.monitored, training.lr_scale)
        if self.rule.is_best:
            self._keep(training, self.snapshot[0], self.loss)
        return self._act(action, training)


def first_regime(run, training):
    """The regime a fit starts in (see the module docstring)."""
    if run.validation is not None:
        return EarlyStopping(run, training.params)
    if not run.objective.seeks_optimum:
        return PlateauStopped(run, training.params)
    if run.full_batch:
        return FullBatch(run, training.params)
    return PlainStochastic(run, training.params, len(training.loss_curve))


class PartialFitEpoch(Regime):
    """The one epoch of a ``partial_fit`` call, over its chunk.

    The plateau rule runs over the calls' losses (as scikit-learn's MLP does
    over its ``partial_fit`` calls), carried in ``training.stopping``: its
    step decay lets a stochastic solver settle, but it never ends a call.
    Chunks differ, so the best parameters of one are no place to return to
    on another: a plateau only lowers the step. The verdict is always
    :data:`CONTINUE`; the fit keeps the last parameters.

    For a model whose optimum the fit seeks (a linear model, a parametric
    one), a stochastic solver's iterates are averaged over the calls
    (:class:`~skprob._training.epoch.Averager`), and the estimator predicts
    with the average, while the solver carries on from its own iterate. A
    stochastic step of constant length ends in a cloud of iterates about
    the optimum, whose average is nearer it than its points (Polyak and
    Juditsky, 1992). Shamir and Zhang's (2013) polynomial-decay average
    forgets the far-off early iterates without a burn-in to choose; with
    eta = 3 it follows a fit still on its way, which a uniform average lags
    behind (with eta = 1 a heteroscedastic fit of the tests ended 1.3%
    above ``fit``'s held-out NLL after 60 calls, with eta = 3 within 1%).

    Passes over the same chunks then reach the optimum itself: from the
    third, the steps are variance-reduced, anchored at the start of the
    previous pass, the estimator predicts with the mean of the pass's
    iterates, and the anchors' exact losses, not the plateau rule, decide
    when the step is divided (:mod:`~skprob._training.passes`).
    """

    def __init__(self, run, training):
        settings = run.settings
        if training.stopping is None:
            training.stopping = plateau_rule(settings.tol, settings.n_iter_no_change)
        super().__init__(run, training.stopping, None)
        self.passes = None
        if run.objective.seeks_optimum and not run.full_batch:
            if training.passes is None:
                training.passes = passes.Passes()
            self.passes = training.passes

    def run_epoch(self, training):
        if self.passes is None:
            self.loss, _ = self.run.epoch(training)
            return
        run = self.run
        key = passes.fingerprint(run.X, run.y, run.sample_weight)
        self.passes.begin_chunk(key, training)
        anchor = self.passes.anchor
        averager = epoch.Averager(training, uniform=anchor is not None)
        self.loss, _ = run.epoch(training, snapshot=anchor, averager=averager)
        averager.hand_over(training)
        if self.passes.sums:
            self.passes.add(run.full, float(run.sample_weight.sum()))

    def verdict(self, training):
        # Past the first anchor, the anchors' exact losses are judged instead.
        plain = self.passes is None or self.passes.anchor is None
        if plain and self.rule.update(self.loss, training.lr_scale) == "decay":
            training.lr_scale /= LR_DECAY
        self.run.report(training, None)  # with the step the next call takes
        self.best_params = training.params
        return CONTINUE


class WarmUp:
    """The warm-up of a heteroscedastic fit: a stage before the NLL's regimes.

    A fit of another objective (see the Notes of HeteroscedasticRegressor)
    that only gives the NLL a start: the driver trains it with the regimes
    above, ignores its convergence, and then :meth:`hand_over` starts the
    NLL afresh from where it ended.
    """

    def __init__(self, objective):
        self.objective = objective

    def start(self, verbose):
        if verbose:
            print("Warm-up (see the Notes of the estimator's docstring)")

    def hand_over(self, training, solver, verbose):
        """The state the NLL starts from: the warm-up's parameters, a new solver."""
        if verbose:
            print("Warm-up done: fitting the negative log-likelihood")
        return replace(
            training,
            solver_state=solver.init(training.params, training.lipschitz),
            lr_scale=1.0,
        )
