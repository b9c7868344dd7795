"""The stopping rule: plateau detection over a monitored loss.

It is one of the two tests a regime asks after an epoch (the other is the
convergence test, :mod:`skprob._training.convergence`): whether the step is
too long for what is left to gain ("decay"), or whether smaller steps find
nothing more ("stop").
"""

from dataclasses import dataclass

import numpy as np

# Each plateau of a stochastic solver divides the step by this factor (as
# scikit-learn's MLP "adaptive" schedule does); training ends once the step
# has fallen below MIN_LR_SCALE of its start.
LR_DECAY = 5.0
MIN_LR_SCALE = 1e-3
# A plateau of a monitored loss (a mini-batch loss, a validation NLL, a
# network's) is one without an improvement of this many times tol: tol bounds
# the gradient, and a loss changes by far less than its gradient near the
# optimum; with the default tol, the least improvement is 1e-6.
PLATEAU_TOL_FACTOR = 10.0
# Early stopping counts no plateau before the held-out NLL first falls
# FIRST_IMPROVEMENT nats per row below its start, for up to PATIENCE_STEPS
# solver steps: a network's first steps can raise it before they lower it
# (Adam's first steps have their full length in every weight), and on a few
# hundred rows an epoch is a step, so that the plain rule ends such a fit
# before it has begun to learn. benchmarks/patience.py measures both
# choices. On scikit-learn's 200-row check data, with a tenth held out and
# gains counted from 1e-6, 42 of 480 network fits ended below R^2 0.5
# without patience, 9 with patience that any improvement ends (a first dip
# of 3e-5 nats, then a rise), 3 with these values (fits that learned, then
# stopped where their 20 held-out rows said). With the regressors' fifth
# and HELD_OUT_TOL, 15 without patience and none with either. The first
# improvement of 0.01 came by step 31 in 99% of the early-stopped stages
# there (step 7 on the five small data sets of benchmarks/small_data.py),
# and past step 100 in one of 716.
PATIENCE_STEPS = 100
FIRST_IMPROVEMENT = 0.01
# The least improvement of a held-out NLL, in nats per row, that counts:
# scikit-learn's MLP counts its tol, 1e-4, on its validation score. A smaller
# one is far below the noise of a held-out mean over tens or thousands of
# rows, and kept small-data fits running to max_iter for gains of 1e-5 nats
# per epoch (benchmarks/small_data.py).
HELD_OUT_TOL = 1e-4


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
    start : float, default=inf
        The monitored value where training starts, for ``patience``.
    patience : int, default=0
        Epochs that count as no plateau until a value first improves on
        ``start`` by ``first_improvement``: the rule's slow start. Past
        them, or past that improvement, every epoch counts.
    first_improvement : float, default=0.0
        The improvement on ``start`` that ends the patience.
    memory : int, default=1
        With ``count_rises``, a rise is a value above the largest of the
        previous ``memory`` epochs': a nonmonotone line search (that of
        :class:`~skprob.solvers.GD`) lets the loss rise up to that, by
        design, and only a rise beyond it is an overshoot.
    """

    tol: float
    n_iter_no_change: int
    min_lr_scale: float = MIN_LR_SCALE
    count_rises: bool = False
    start: float = np.inf
    patience: int = 0
    first_improvement: float = 0.0
    memory: int = 1
    best: float = np.inf
    recent: tuple = ()
    n_rises: int = 0
    n_bad_epochs: int = 0
    is_best: bool = False
    n_decays: int = 0
    improved_since_decay: bool = False
    n_epochs: int = 0
    left_start: bool = False

    def update(self, monitored, lr_scale):
        """Record one epoch: "continue", "decay" or "stop"."""
        improved = monitored < self.best - self.tol
        self.is_best = monitored < self.best
        if self.is_best:
            self.best = monitored
        self.improved_since_decay |= improved
        self.n_epochs += 1
        self.left_start |= monitored < self.start - self.first_improvement
        waiting = not self.left_start and self.n_epochs <= self.patience
        self.n_bad_epochs = 0 if improved or waiting else self.n_bad_epochs + 1
        if self.count_rises:
            self.n_rises += bool(self.recent) and monitored > max(self.recent)
            self.recent = (*self.recent, monitored)[-self.memory :]
        if max(self.n_bad_epochs, self.n_rises) < self.n_iter_no_change:
            return "continue"
        self.n_bad_epochs = self.n_rises = 0
        decay_was_useless = self.n_decays > 0 and not self.improved_since_decay
        if decay_was_useless or lr_scale / LR_DECAY < self.min_lr_scale:
            return "stop"
        self.n_decays += 1
        self.improved_since_decay = False
        return "decay"


def exact_loss_rule(n_iter_no_change, memory=1):
    """The stopping rule for exact losses.

    No tolerance, no floor on the step, and rises (beyond the largest of
    the last ``memory`` values) count: see :class:`StoppingRule`.
    """
    return StoppingRule(
        0.0, n_iter_no_change, min_lr_scale=0.0, count_rises=True, memory=memory
    )


def plateau_rule(tol, n_iter_no_change):
    """The stopping rule of noisy or held-out losses: least gain ``10 * tol``."""
    return StoppingRule(PLATEAU_TOL_FACTOR * tol, n_iter_no_change)


def held_out_rule(tol, n_iter_no_change, start, steps_per_epoch):
    """The plateau rule of early stopping, patient with a slow start.

    ``start`` is the held-out NLL where the fit starts; the rule counts no
    plateau before the NLL first improves on it, for up to
    :data:`PATIENCE_STEPS` steps of the solver (``steps_per_epoch`` of them
    an epoch), so that on small data, where an epoch is a step or two, the
    first steps that raise the held-out NLL do not end the fit before it has
    begun to learn. An epoch of more than :data:`PATIENCE_STEPS` steps
    leaves the rule as :func:`plateau_rule`'s. An improvement counts from
    :data:`HELD_OUT_TOL`.
    """
    patience = -(-PATIENCE_STEPS // steps_per_epoch)
    least_gain = max(PLATEAU_TOL_FACTOR * tol, HELD_OUT_TOL)
    return StoppingRule(
        least_gain,
        n_iter_no_change,
        start=start,
        patience=patience,
        first_improvement=max(FIRST_IMPROVEMENT, least_gain),
    )
