"""The training driver: the regimes in turn, until a verdict ends the fit.

:func:`fit` trains a warm-up, if any, then the NLL; :func:`train` is the
loop over the regimes of one objective (:mod:`skprob._training.regimes`),
read top to bottom like scikit-learn's Newton solver's ``solve``: set up,
run an epoch, judge it, hand over or stop, keep the result.
"""

from dataclasses import dataclass

from .epoch import check_worse_than_start
from .regimes import (
    CONTINUE,
    HAND_OVER,
    STALLED,
    PartialFitEpoch,
    TrainingRun,
    first_regime,
)


@dataclass(frozen=True)
class TrainingSettings:
    """The estimator's parameters that the training reads."""

    max_iter: int
    tol: float
    n_iter_no_change: int
    early_stopping: bool
    validation_fraction: float
    shuffle: bool
    verbose: int


def fit(objective, solver, training, data, settings, *, warm_up=None, stratify=None):
    """Train ``objective`` from ``training``, after ``warm_up`` if given.

    ``data`` is ``(X, y, sample_weight)``; ``warm_up`` a
    :class:`~skprob._training.regimes.WarmUp`; ``stratify`` the labels a
    held-out split is stratified on. Returns the final
    :class:`~skprob._training.epoch.TrainingState` and the problem of
    :func:`train`. ``max_iter`` bounds the epochs of the whole fit, as
    scikit-learn's ``n_iter_`` counts them: the warm-up's and the NLL's
    together, the NLL keeping at least one (a fit of one epoch has none to
    warm up with).
    """
    # A warm-up and the NLL share one seed: the same validation split.
    seed, epochs = training.rng, settings.max_iter
    if warm_up is not None and epochs > 1:
        seed = training.rng.randint(2**31 - 1)
        warm_up.start(settings.verbose)
        run = TrainingRun.start(
            warm_up.objective, solver, training, data, settings, seed, stratify
        )
        first_epoch = training.n_iter
        # Its convergence is not the fit's.
        training, _ = train(run, training, epochs - 1)
        epochs -= training.n_iter - first_epoch
        training = warm_up.hand_over(training, solver, settings.verbose)
    run = TrainingRun.start(objective, solver, training, data, settings, seed, stratify)
    return train(run, training, epochs)


def train(run, training, epochs=None):
    """Run the regimes until one converges or stalls, or for ``epochs`` epochs.

    ``epochs`` is what remains of ``max_iter`` (all of it by default).

    Returns
    -------
    training : TrainingState
        The final state, holding the parameters to keep: those the
        convergence test accepted, else those of the regime that ended
        (:meth:`~skprob._training.regimes.Regime.params_to_keep`).
    problem : str or None
        None when the fit converged (or, under early stopping, stopped by
        its rule); otherwise why it did not, for a ConvergenceWarning.
    """
    start_params, first_epoch = training.params, len(training.loss_curve)
    max_iter = run.settings.max_iter
    problem = f"The solver did not converge within max_iter={max_iter} epochs"
    regime = first_regime(run, training)
    for _ in range(max_iter if epochs is None else epochs):
        regime.run_epoch(training)
        verdict = regime.verdict(training)
        if verdict == HAND_OVER:
            regime = regime.next_regime()
        elif verdict != CONTINUE:
            problem = None
            if verdict == STALLED:
                problem = "The fit stalled: smaller steps no longer lower the loss"
            break
    kept = regime.params_to_keep()
    check_worse_than_start(
        run.full, run.solver, training, start_params, first_epoch, kept
    )
    training.params = kept
    return training, _final_problem(run, training, problem)


def _final_problem(run, training, problem):
    """The problem to warn of, after one more convergence test where the fit ends.

    A fit the rule or ``max_iter`` ended may still pass the test there;
    under early stopping, which stops before the optimum on purpose, there
    is no test. A fit that passes may still end where the information is
    singular (a model of your own): that is no identified optimum either.
    """
    if run.validation is not None:
        return None if problem is None else problem + "."
    if problem is not None:
        final = run.snapshot(training.params)
        if not run.test(final):
            return problem + run.test.shortfall(final)
    return _unidentified_problem(run.test.unidentified(training.params))


def _unidentified_problem(unidentified):
    """A ConvergenceWarning's text for a stop where parameters are not identified."""
    if not unidentified:
        return None
    names = ", ".join(f"params_[{j}]" for j in unidentified)
    return (
        "The fit ended where the information matrix is singular: the data do "
        f"not determine {names} (a parameter ran off to where the model no "
        "longer depends on it, or parameters cancel), so the fit is not at an "
        "identified optimum."
    )


def partial_fit_epoch(objective, solver, training, data, settings):
    """One epoch over one chunk, for ``partial_fit``, on ``training``'s stream."""
    run = TrainingRun(objective, solver, *data, settings, training.rng, None, None)
    regime = PartialFitEpoch(run, training)
    regime.run_epoch(training)
    regime.verdict(training)
    return training
