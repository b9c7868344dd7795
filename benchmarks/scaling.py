"""Figure 5: fit time against the number of rows and of features; peak memory.

Fits run a fixed amount of work, so time should grow linearly in n:
``max_iter`` epochs with ``tol=0`` (a gradient test no fit passes) and more
patience than epochs (no plateau rule), then the one full-batch gradient
with which a fit that ``max_iter`` ended checks where it is. gd runs 10
full-batch epochs; adam runs 2 epochs of ``fit``, a plain one and a
variance-reduced one (a full-batch snapshot and two mini-batch gradients per
step), as a linear model's fit runs them. The table gives seconds per
million rows and the slope of log(time) against log(n), which is 1 for
linear growth. Below about 100 000 rows X fits in the CPU caches and each
row costs less, so the slope over all n overstates the growth; the slope
over the three largest n is the one that is judged.

Peak memory is the largest amount traced by ``tracemalloc`` (NumPy reports
its buffers to it) during one fit, relative to the size of X: fitting must not
copy X more than once, so the ratio must stay below 1 (plus small change).
"""

import tracemalloc
from functools import partial

import numpy as np
from _harness import fmt_seconds, median_fit_seconds, w1
from sklearn.datasets import make_classification

from skprob import BernoulliClassifier

EPOCHS = {"gd": 10, "adam": 2}


def _estimator(solver):
    return BernoulliClassifier(
        solver=solver,
        max_iter=EPOCHS[solver],
        tol=0.0,
        n_iter_no_change=EPOCHS[solver] + 1,
        random_state=0,
    )


def _data(n_samples, n_features):
    X, y = make_classification(
        n_samples, n_features, n_informative=min(20, n_features // 2), random_state=0
    )
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def run_rows(sizes, repeats, log):
    """Time against n at 50 features, for gd and adam."""
    rows, seconds = [], {solver: [] for solver in EPOCHS}
    for n_samples in sizes:
        log(f"  scaling: n={n_samples}")
        X, y = _data(n_samples, 50)
        for solver in EPOCHS:
            seconds[solver].append(
                median_fit_seconds(partial(_estimator, solver), X, y, repeats)
            )
        rows.append(
            [f"{n_samples:,}", "50"]
            + [fmt_seconds(seconds[s][-1]) for s in EPOCHS]
            + [f"{seconds[s][-1] / n_samples * 1e6:.3g} s" for s in EPOCHS]
        )
    overall = {s: _slope(sizes, seconds[s]) for s in EPOCHS}
    # Small X fits in the CPU caches and runs faster per row; growth in n is
    # judged where X no longer does.
    large = {s: _slope(sizes[-3:], seconds[s][-3:]) for s in EPOCHS}
    for label, slopes in (("all n", overall), (f"n >= {sizes[-3]:,}", large)):
        rows.append(
            [f"slope of log(time) vs log(n), {label}", "-"]
            + [f"{slopes[s]:.2f}" for s in EPOCHS]
            + ["-", "-"]
        )
    return rows, {"sizes": list(sizes), "seconds": seconds, "slopes": large}


def _slope(sizes, seconds):
    return np.polyfit(np.log(sizes), np.log(seconds), 1)[0]


def run_features(n_samples, feature_counts, repeats, log):
    """Time against the number of features at fixed n."""
    rows = []
    for n_features in feature_counts:
        log(f"  scaling: d={n_features}")
        X, y = _data(n_samples, n_features)
        times = [
            median_fit_seconds(partial(_estimator, s), X, y, repeats) for s in EPOCHS
        ]
        rows.append(
            [f"{n_samples:,}", str(n_features)]
            + [fmt_seconds(t) for t in times]
            + [f"{t / n_samples * 1e6:.3g} s" for t in times]
        )
    return rows


SCALING_HEADER = [
    "n rows",
    "features",
    f"gd, {EPOCHS['gd']} epochs",
    f"adam, {EPOCHS['adam']} epochs (plain, variance-reduced)",
    "gd per 1M rows",
    "adam per 1M rows",
]


def peak_memory(n_samples, log):
    """Peak traced memory of a fit over the size of X, on W1's rows."""
    workload = w1(n_samples)
    rows, ratios = [], {}
    for solver in EPOCHS:
        log(f"  memory: {solver}")
        estimator = _estimator(solver)
        tracemalloc.start()
        estimator.fit(workload.X, workload.y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ratios[solver] = peak / workload.X.nbytes
        rows.append(
            [
                f"W1 ({n_samples:,} x 50)",
                solver,
                f"{workload.X.nbytes / 2**20:.1f} MiB",
                f"{peak / 2**20:.1f} MiB",
                f"{ratios[solver]:.2f}",
            ]
        )
    return rows, ratios


MEMORY_HEADER = [
    "data",
    "solver",
    "size of X",
    "peak during fit",
    "peak / size of X (<= 1)",
]
