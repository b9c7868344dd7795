"""Figure 4: W3, held-out NLL and fit time of heteroscedastic regressors.

skprob's HeteroscedasticRegressor (linear, and with hidden layers once the MLP
exists) against NGBoost's NGBRegressor with a Normal distribution, and the
NLL of the true model, all on the same 80/20 split. NLLs are per sample,
constants included (natural log). skprob's fits keep the regressors'
defaults (no penalty, ``alpha=0``; ``tol=1e-7``), and each fit is timed to
its own stop; the linear model is fitted with ``solver="auto"`` (the
default: L-BFGS for a linear model, Adam for a network), ``"adam"``,
``"gd"``, ``"lbfgs"`` and ``"newton"``. The last column names the warnings of the fit
(a ConvergenceWarning's reason). NGBoost's own default is 500 trees at
learning_rate=0.01; its depth-3 trees take most of a second each on 80 000
rows here, so the suite fits 100 trees at 0.05 (the same total shrinkage),
once, to stay within its time budget. The hidden-layer fits are likewise
capped at 200 epochs and timed once.
"""

from functools import partial

import numpy as np
from _harness import (
    NO_MLP,
    fmt_seconds,
    has_hidden_layers,
    timed_warnings,
    w3_scale,
)
from scipy import stats
from sklearn.model_selection import train_test_split

from skprob import HeteroscedasticRegressor


def run(workload, repeats, ngboost_settings, log):
    """Rows of figure 4 and the raw results."""
    split = train_test_split(
        workload.X, workload.X_raw, workload.y, test_size=0.2, random_state=0
    )
    X_train, X_test, _, X_raw_test, y_train, y_test = split
    true_scale = w3_scale(X_raw_test)
    true_mean = X_raw_test @ np.linspace(-1.0, 1.0, X_raw_test.shape[1])
    true_nll = -stats.norm.logpdf(y_test, true_mean, true_scale).mean()
    rows = [["true model", "-", f"{true_nll:.4f}", "0", "-"]]
    results = {"true": true_nll}
    for name, (make, n_fits) in _skprob_candidates(repeats).items():
        log(f"  W3: {name}")
        if make is None:
            rows.append([name, NO_MLP, NO_MLP, NO_MLP, NO_MLP])
            continue
        fits = [
            timed_warnings(lambda make=make: make().fit(X_train, y_train))
            for _ in range(n_fits)
        ]
        seconds = float(np.median([fit[0] for fit in fits]))
        _, fitted, caught = fits[-1]
        nll = -fitted.predict_dist(X_test).logpdf(y_test).mean()
        rows.append(_row(name, seconds, nll, true_nll, caught))
        results[name] = (seconds, nll)
    log("  W3: NGBoost")
    rows.append(
        _ngboost_row(
            X_train, y_train, X_test, y_test, ngboost_settings, true_nll, results
        )
    )
    return rows, results


# Hidden-layer fits are capped and timed once, to keep the suite's budget.
HIDDEN_MAX_ITER = 200


def _skprob_candidates(repeats):
    """``{name: (make_estimator or None, number of timed fits)}``."""
    hidden_ok = has_hidden_layers(HeteroscedasticRegressor)
    candidates = {}
    for solver in ("auto", "adam", "gd", "lbfgs", "newton"):
        name = f"skprob HeteroscedasticRegressor, linear, {solver}"
        candidates[name] = (
            partial(HeteroscedasticRegressor, solver=solver, random_state=0),
            repeats,
        )
    for layers in ((64,), (64, 64)):
        name = (
            f"skprob HeteroscedasticRegressor, hidden {layers}, auto (adam), "
            f"max_iter={HIDDEN_MAX_ITER} (1 run)"
        )
        make = partial(
            HeteroscedasticRegressor,
            hidden_layer_sizes=layers,
            max_iter=HIDDEN_MAX_ITER,
            random_state=0,
        )
        candidates[name] = (make if hidden_ok else None, 1)
    return candidates


def _ngboost_row(X_train, y_train, X_test, y_test, settings, true_nll, results):
    name = (
        f"NGBoost NGBRegressor (Normal, {settings['n_estimators']} trees, "
        f"learning_rate={settings['learning_rate']})"
    )
    try:
        from ngboost import NGBRegressor
        from ngboost.distns import Normal
    except ImportError as error:
        return [name, f"n/a ({error})", "n/a", "n/a", "n/a"]
    estimator = NGBRegressor(Dist=Normal, verbose=False, random_state=0, **settings)
    seconds, fitted, caught = timed_warnings(lambda: estimator.fit(X_train, y_train))
    nll = -fitted.pred_dist(X_test).logpdf(y_test).mean()
    results[name] = (seconds, nll)
    return _row(name + " (1 run)", seconds, nll, true_nll, caught)


def _row(name, seconds, nll, true_nll, caught):
    return [
        name,
        fmt_seconds(seconds),
        f"{nll:.4f}",
        f"{nll - true_nll:+.4f}",
        caught,
    ]


HEADER = ["model", "fit time", "held-out NLL", "NLL - true NLL", "warnings"]
