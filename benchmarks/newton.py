"""Newton's method against L-BFGS and statsmodels on four real data sets.

Run ``python benchmarks/newton.py`` from the repository's root. For each of
statsmodels' spector (Logit), anes96 (MNLogit, 7 classes), star98 (binomial
counts, fitted by skprob as weighted Bernoulli rows) and longley (OLS), on
standardized features, it prints:

- the iterations to reach statsmodels' optimum to 1e-10 (relative gap of the
  training objective): for skprob, the fewest epochs k after which the loss
  is within 1e-10 (``loss_curve_[k]`` is the loss where epoch k + 1 started;
  the loss after the last epoch, which the curve lacks, is ``loss_``); for
  statsmodels, its own iteration count;
- the time to get there: the median wall time of a skprob fit with
  ``max_iter`` set to those epochs (the same deterministic path, cut where it
  reached the target), and of statsmodels' fit;
- the gap of a fit at default settings (``solver`` apart), where it stops.

L-BFGS is also run with ``tol=1e-12`` and ``max_iter=20000``, so that its
plateau rule does not stop it before it can reach 1e-10. BLAS is pinned to
one thread; the machine may be shared, so times are medians of repeats.
"""

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy.special import log_expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import machine_description, markdown_table, pin_threads  # noqa: E402

from skprob import (  # noqa: E402
    BernoulliClassifier,
    GaussianRegressor,
    SoftmaxClassifier,
)

TARGET = 1e-10
REPEATS = 7


def _standardized(frame):
    return StandardScaler().fit_transform(frame.to_numpy(dtype=float))


def spector():
    data = sm.datasets.spector.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    model = sm.Logit(y, sm.add_constant(X))
    return BernoulliClassifier, X, y, None, model


def anes96():
    data = sm.datasets.anes96.load_pandas()
    columns = ["logpopul", "selfLR", "age", "educ", "income"]
    X, y = _standardized(data.exog[columns]), data.endog.to_numpy().astype(int)
    return SoftmaxClassifier, X, y, None, sm.MNLogit(y, sm.add_constant(X))


def star98():
    data = sm.datasets.star98.load_pandas()
    X, counts = _standardized(data.exog), data.endog.to_numpy()
    model = sm.GLM(counts, sm.add_constant(X), family=sm.families.Binomial())
    rows, y = np.vstack([X, X]), np.repeat([1.0, 0.0], len(X))
    weight = np.concatenate([counts[:, 0], counts[:, 1]])
    return BernoulliClassifier, rows, y, weight, model


def longley():
    data = sm.datasets.longley.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    return GaussianRegressor, X, y, None, sm.OLS(y, sm.add_constant(X))


def statsmodels_fit(model):
    if isinstance(model, sm.OLS):
        return model.fit()
    if isinstance(model, sm.GLM):
        return model.fit(tol=1e-12)
    return model.fit(disp=0, method="newton", tol=1e-12)


def statsmodels_iterations(result):
    if isinstance(result.model, sm.OLS):
        return 1  # a least-squares solve
    if isinstance(result.model, sm.GLM):
        return result.fit_history["iteration"]
    return result.mle_retvals["iterations"]


def optimal_objective(result, y, weight):
    """skprob's training objective at statsmodels' optimum.

    The mean NLL of the rows for the classifiers; for the regressor, the
    least-squares loss of the standardized target, ``SSR / (2 n var(y))``.
    """
    if isinstance(result.model, sm.OLS):
        return result.ssr / (2 * len(y) * np.var(y))
    if isinstance(result.model, sm.GLM):
        counts = result.model.data.endog
        log_odds = result.model.exog @ result.params
        nll = counts[:, 0] @ log_expit(log_odds) + counts[:, 1] @ log_expit(-log_odds)
        return -nll / weight.sum()
    return -result.llf / len(y)


def median_seconds(function):
    times = []
    for _ in range(REPEATS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def losses_after_epochs(fit):
    """The training loss after 0, 1, ..., n_iter_ epochs.

    ``loss_curve_`` holds the loss where each epoch started, not the loss
    after the last one: that is ``loss_``, the loss of the parameters the
    fit returns (a full-batch fit keeps its last).
    """
    return [*fit.loss_curve_, fit.loss_]


def epochs_to_target(losses, optimum):
    gaps = (np.asarray(losses) - optimum) / abs(optimum)
    reached = np.flatnonzero(gaps <= TARGET)
    return int(reached[0]) if len(reached) else None


def skprob_rows(name, estimator_class, X, y, weight, optimum):
    rows = []
    settings = {
        "newton": {"solver": "newton", "alpha": 0.0},
        "lbfgs": {"solver": "lbfgs", "alpha": 0.0},
        "lbfgs, tol=1e-12": {
            "solver": "lbfgs",
            "alpha": 0.0,
            "tol": 1e-12,
            "max_iter": 20_000,
        },
    }
    for label, params in settings.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = estimator_class(**params).fit(X, y, sample_weight=weight)
        gap = (fit.loss_ - optimum) / abs(optimum)
        epochs = epochs_to_target(losses_after_epochs(fit), optimum)
        if epochs is None:
            iterations, seconds = f"not reached ({fit.n_iter_} epochs)", "n/a"
        else:
            budget = dict(params, max_iter=max(epochs, 1))
            seconds = median_seconds(
                lambda budget=budget: estimator_class(**budget).fit(
                    X, y, sample_weight=weight
                )
            )
            iterations, seconds = str(epochs), f"{1e3 * seconds:.1f} ms"
        rows.append([name, f"skprob {label}", iterations, seconds, f"{gap:.1e}"])
    return rows


def main():
    limiter = pin_threads()  # noqa: F841 - kept alive for the whole run
    table = []
    for name, load in [
        ("spector (Logit)", spector),
        ("anes96 (MNLogit)", anes96),
        ("star98 (GLM Binomial)", star98),
        ("longley (OLS)", longley),
    ]:
        estimator_class, X, y, weight, model = load()
        result = statsmodels_fit(model)
        optimum = optimal_objective(result, y, weight)
        table += skprob_rows(name, estimator_class, X, y, weight, optimum)
        seconds = median_seconds(lambda model=model: statsmodels_fit(model))
        iterations = str(statsmodels_iterations(result))
        table.append([name, "statsmodels", iterations, f"{1e3 * seconds:.1f} ms", ""])
    header = [
        "data set",
        "method",
        f"iterations to {TARGET:g}",
        f"time to {TARGET:g}",
        "gap where it stops",
    ]
    print("\n".join(machine_description()))
    print()
    print(markdown_table(header, table))


if __name__ == "__main__":
    main()
