"""Training: the objective, the regimes that run epochs of it, and the driver.

The objective ties step 1 (distribution) and step 2 (model) together
(:mod:`~skprob._training.objective`); the regimes
(:mod:`~skprob._training.regimes`) feed its mini-batches to step 3 (the
solver), one epoch at a time, and judge each epoch with the stopping rule
(:mod:`~skprob._training.stopping`) and the convergence test
(:mod:`~skprob._training.convergence`); the driver
(:mod:`~skprob._training.driver`) runs them in turn. The estimators only
call :func:`~skprob._training.driver.fit` and
:func:`~skprob._training.driver.partial_fit_epoch`.
"""

from .convergence import FLOAT32_TOL_EPS_FACTOR, convergence_test, gradient_tol
from .driver import TrainingSettings, fit, partial_fit_epoch, train
from .epoch import TrainingState, mini_batches, run_epoch
from .objective import (
    BatchObjective,
    Objective,
    VarianceReducedBatch,
    full_batch_objective,
    weighted_sum,
)
from .regimes import PLAIN_EPOCHS, WarmUp, _can_stratify
from .stopping import LR_DECAY, MIN_LR_SCALE, PLATEAU_TOL_FACTOR, StoppingRule

__all__ = [
    "FLOAT32_TOL_EPS_FACTOR",
    "LR_DECAY",
    "MIN_LR_SCALE",
    "PLAIN_EPOCHS",
    "PLATEAU_TOL_FACTOR",
    "BatchObjective",
    "Objective",
    "StoppingRule",
    "TrainingSettings",
    "TrainingState",
    "VarianceReducedBatch",
    "WarmUp",
    "_can_stratify",
    "convergence_test",
    "fit",
    "full_batch_objective",
    "gradient_tol",
    "mini_batches",
    "partial_fit_epoch",
    "run_epoch",
    "train",
    "weighted_sum",
]
