"""What a fit tells its user: the warnings of a fit and the advice they give.

A fit that is not at the optimum of its objective warns once
(:func:`warn_convergence`): where the likelihood has no maximum (separated
classes, a spread collapsed on training rows), with the cause and what gives
the problem a finite optimum, since no solver can reach one that does not
exist; otherwise with a ``ConvergenceWarning`` whose advice fits the solver
that ran, the model and the way the fit stopped, and never names a solver
that fails for the same reason. Flat solver settings that a solver object
makes moot warn too (:func:`warn_ignored_flat_settings`).
"""

import inspect
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from .exceptions import PerfectSeparationWarning, ScaleCollapseWarning
from .models import MLP, LinearModel
from .solvers import FLAT_HYPER_PARAMETERS, LBFGS, Newton, SolverParameterWarning


def warn_ignored_flat_settings(estimator, stacklevel):
    """Warn of flat solver settings that a solver object makes moot."""
    defaults = inspect.signature(type(estimator).__init__).parameters
    ignored = {
        name: getattr(estimator, name)
        for name in FLAT_HYPER_PARAMETERS
        if getattr(estimator, name) != defaults[name].default
    }
    if not ignored:
        return
    settings = ", ".join(f"{name}={value!r}" for name, value in ignored.items())
    verb, pronoun = ("is", "it") if len(ignored) == 1 else ("are", "them")
    message = (
        f"{type(estimator).__name__}({settings}) {verb} ignored: "
        f"solver={estimator.solver!r} is a solver object, which uses its own "
        "hyper-parameters."
    )
    solver_params = (
        estimator.solver.get_params() if hasattr(estimator.solver, "get_params") else {}
    )
    settable = {k: v for k, v in ignored.items() if k in solver_params}
    if settable:
        suggestion = clone(estimator.solver).set_params(**settable)
        message += f" Set {pronoun} on the solver instead: solver={suggestion!r}."
    unknown = [name for name in ignored if name not in settable]
    if unknown:
        message += f" {type(estimator.solver).__name__} takes no {', '.join(unknown)}."
    # Points at the user's call of fit or partial_fit.
    warnings.warn(message, SolverParameterWarning, stacklevel=stacklevel)


def warn_convergence(
    estimator, problem, objective, training, settings, X, y, sample_weight
):
    """Warn, once, when the fit is not at the optimum of its objective.

    A likelihood with no maximum (separated classes, a spread at its bound
    on training rows) is named as such: no solver is a remedy for it, so
    its warning replaces the ConvergenceWarning. ``problem`` is the
    training's account of a fit that did not converge, or None.
    """
    # Rows on a Dask cluster are not at hand: no such check there.
    if y is not None:
        fitted = sample_weight > 0
        raw = objective.model.predict_raw(training.params, X)[fitted]
        warning = _unbounded_likelihood(
            estimator, objective.distribution, raw, y[fitted], settings
        )
        if warning is not None:
            warnings.warn(warning, stacklevel=5)
            return
    if problem is not None:
        model = objective.model
        advice = convergence_advice(estimator._solver_name(model), model, problem)
        warnings.warn(f"{problem} {advice}", ConvergenceWarning, stacklevel=5)


def _unbounded_likelihood(estimator, distribution, raw, y, settings):
    """The warning of a fit whose likelihood has no maximum, or None."""
    unpenalized = estimator.alpha == 0 and not settings.early_stopping
    if unpenalized and distribution.separates(y, raw):
        return PerfectSeparationWarning(
            "The model separates the training classes perfectly: the "
            "unpenalized maximum-likelihood estimate does not exist "
            "(the coefficients grow without bound and the "
            "probabilities round to 0 and 1). Set alpha > 0."
        )
    n_at_bound = int(np.count_nonzero(distribution.at_scale_floor(raw)))
    if not n_at_bound:
        return None
    name, bound = _spread_bound(distribution)
    *first, last = scale_collapse_remedies(estimator, settings.early_stopping)
    remedies = f"{', '.join(first)}, or {last}"
    return ScaleCollapseWarning(
        f"The predicted {name} sits at its {bound} on {n_at_bound} of "
        f"{len(raw)} training rows: the model fits them (nearly) exactly, "
        "and the likelihood grows without bound as the spread shrinks "
        "there, so the maximum-likelihood estimate does not exist and no "
        "solver converges to it; predictions near those rows are "
        f"overconfident. {remedies[0].upper()}{remedies[1:]}."
    )


def _spread_bound(distribution):
    """The collapsed parameter's name, and whether its bound is a floor or a ceiling.

    A scale collapses at its floor; a shape (a Gamma's, a Weibull's) or a
    precision (a Beta's) at its ceiling.
    """
    column = distribution.spread_output
    if column is None:  # a floor of its own: HeteroscedasticNormal's sigma
        return "scale", "floor"
    lower = distribution._raw_bounds()[0][column]
    return distribution.parameter_names[column], (
        "floor" if np.isfinite(lower) else "ceiling"
    )


def scale_collapse_remedies(estimator, early_stopping):
    """What gives a fit whose spread collapsed a finite optimum.

    The estimator's ``_shared_scale_remedy`` names, where it has one, the
    model whose spread does not depend on x.
    """
    remedies = [
        "standardize the features (StandardScaler) and set a penalty "
        "(alpha=0.1, or more)",
        "use fewer features",
    ]
    if not early_stopping:
        remedies.append("set early_stopping=True")
    shared = getattr(estimator, "_shared_scale_remedy", None)
    return remedies if shared is None else [*remedies, shared]


def convergence_advice(solver, model, problem=""):
    """What to try when a fit of ``model`` by ``solver`` did not converge.

    Advice that fits the solver that ran, the model and the stop: never the
    solver that ran.
    """
    ran = solver if isinstance(solver, str) else None
    if isinstance(solver, LBFGS):
        ran = "lbfgs"
    elif isinstance(solver, Newton):
        ran = "newton"
    if type(model) is LinearModel:
        if ran == "lbfgs":
            return (
                'Increase max_iter, loosen tol, or use solver="newton", which '
                "takes a handful of iterations to the optimum of a linear "
                "model of up to a few hundred parameters, however "
                "ill-conditioned."
            )
        if ran == "newton":
            return "Increase max_iter, or loosen tol."
        return (
            'Increase max_iter, loosen tol, or use solver="lbfgs", which '
            "reaches the optimum of a linear model in the fewest passes."
        )
    if type(model) is MLP:
        return "Increase max_iter, or loosen tol."
    return _own_model_advice(ran, model, problem)


def _own_model_advice(ran, model, problem):
    """:func:`convergence_advice` for a model of the user's own."""
    check = "check the model's derivatives with skprob.models.check_model"
    if "information matrix is singular" in problem:
        return (
            "Start the fit elsewhere (the model's init_params), fix or "
            "reparametrize the parameters named, or add a penalty "
            f"(alpha > 0); and {check}."
        )
    if not hasattr(model, "jacobian"):
        if ran == "lbfgs":
            return f"Increase max_iter; and {check}."
        return f'Increase max_iter, or use solver="lbfgs"; and {check}.'
    if ran == "newton":
        return (
            "Increase max_iter, or start the fit closer to the optimum "
            f"(the model's init_params); and {check}."
        )
    return (
        'Use solver="newton" (Gauss-Newton, damped as Levenberg-Marquardt\'s, '
        "invariant to the scale of each parameter), or increase max_iter; "
        f"and {check}."
    )
