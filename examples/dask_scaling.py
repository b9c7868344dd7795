"""Scaling out with Dask: ``Incremental`` on a dask.array, and a Dask grid search.

Needs the ``dask`` extra (``pip install ".[dask]"``). Starts a local Dask
cluster on 127.0.0.1 and

1. trains a :class:`~skprob.SoftmaxClassifier` through
   ``dask_ml.wrappers.Incremental`` on a chunked dask.array, one
   ``partial_fit`` task per block, for several epochs, and compares its time
   and held-out NLL (nats per sample) with a fit on the same data in memory;
2. runs ``GridSearchCV`` under ``joblib.parallel_backend("dask")`` and checks
   that it finds what the same search finds in this process.

Run it with ``python examples/dask_scaling.py``; ``--rows``, ``--chunk-rows``
and ``--epochs`` change the sizes.
"""

import argparse
import time

import dask.array as da
import joblib
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skprob import SoftmaxClassifier

N_FEATURES = 10
N_CLASSES = 3
WEIGHTS = 0.4 * np.random.default_rng(42).normal(size=(N_FEATURES, N_CLASSES))


def make_rows(n_rows, rng):
    """Rows of a linear 3-class problem with Gumbel noise (a softmax model)."""
    X = rng.normal(size=(n_rows, N_FEATURES))
    y = np.argmax(X @ WEIGHTS + rng.gumbel(size=(n_rows, N_CLASSES)), axis=1)
    return X, y


def make_dask_rows(n_rows, chunk_rows, seed=0):
    """The same problem as a lazy dask.array: each block is made where it runs."""
    state = da.random.RandomState(seed)
    X = state.normal(size=(n_rows, N_FEATURES), chunks=(chunk_rows, N_FEATURES))
    noise = state.gumbel(size=(n_rows, N_CLASSES), chunks=(chunk_rows, N_CLASSES))
    y = da.argmax(X @ WEIGHTS + noise, axis=1)
    return X, y


def incremental_figures(n_rows, chunk_rows, n_epochs):
    """Time and held-out NLL of Incremental against an in-memory fit."""
    X_test, y_test = make_rows(20_000, np.random.default_rng(1))
    X, y = make_dask_rows(n_rows, chunk_rows)
    X, y = X.persist(), y.persist()
    classes = np.arange(N_CLASSES)
    # A RandomState, not an int: Incremental re-seeds an int at every call,
    # which would visit the blocks in the same order every epoch.
    model = Incremental(
        SoftmaxClassifier(random_state=0), random_state=np.random.RandomState(0)
    )
    start = time.perf_counter()
    model.fit(X, y, classes=classes)
    for _ in range(n_epochs - 1):
        model.partial_fit(X, y, classes=classes)
    dask_time = time.perf_counter() - start

    X_local, y_local = X.compute(), y.compute()
    start = time.perf_counter()
    in_memory = SoftmaxClassifier(random_state=0).fit(X_local, y_local)
    in_memory_time = time.perf_counter() - start
    return {
        "rows": n_rows,
        "chunks": X.numblocks[0],
        "epochs": n_epochs,
        "dask_time": dask_time,
        "dask_nll": log_loss(y_test, model.predict_proba(X_test)),
        "in_memory_epochs": in_memory.n_iter_,
        "in_memory_time": in_memory_time,
        "in_memory_nll": log_loss(y_test, in_memory.predict_proba(X_test)),
    }


def search_figures(n_rows=5_000):
    """A grid search on the cluster and in this process: time, best, agreement."""
    X, y = make_rows(n_rows, np.random.default_rng(2))
    search = GridSearchCV(
        SoftmaxClassifier(tol=1e-4, random_state=0),
        {"alpha": [0.0, 1e-3, 1e-2, 1e-1], "solver": ["sgd", "adam"]},
        scoring="neg_log_loss",
        cv=3,
    )
    start = time.perf_counter()
    local = GridSearchCV(**search.get_params(deep=False)).fit(X, y)
    local_time = time.perf_counter() - start
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        search.set_params(n_jobs=-1).fit(X, y)
    dask_time = time.perf_counter() - start
    same = np.array_equal(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    return {
        "fits": 3 * len(search.cv_results_["params"]),
        "local_time": local_time,
        "dask_time": dask_time,
        "best_params": search.best_params_,
        "best_nll": -search.best_score_,
        "same_results": same,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        f = incremental_figures(args.rows, args.chunk_rows, args.epochs)
        print(f"{f['rows']} rows in {f['chunks']} dask.array chunks")
        print(
            f"Incremental: {f['epochs']} epochs, {f['dask_time']:.1f} s, "
            f"held-out NLL {f['dask_nll']:.4f}"
        )
        print(
            f"in memory:   fit, {f['in_memory_epochs']} epochs, "
            f"{f['in_memory_time']:.1f} s, held-out NLL {f['in_memory_nll']:.4f}"
        )
        excess = f["dask_nll"] / f["in_memory_nll"] - 1
        print(f"Incremental NLL relative to in-memory: {excess:+.2%}")

        s = search_figures()
        print(
            f"GridSearchCV, {s['fits']} fits: {s['local_time']:.1f} s in this "
            f"process, {s['dask_time']:.1f} s on {args.workers} Dask workers; "
            f"best {s['best_params']} (NLL {s['best_nll']:.4f}); "
            f"identical cv_results_: {s['same_results']}"
        )


if __name__ == "__main__":
    main()
