"""Dask: Incremental over a chunked dask.array, and the joblib Dask backend.

These tests need the ``dask`` extra (``pip install ".[dask]"``) and skip
without it. They start a two-worker ``distributed.LocalCluster`` on the
loopback interface, and check that the distributed fits reach the quality of
the in-memory ones. Select them with ``-m dask``.
"""

import numpy as np
import pytest
from _problems import held_out_nll, make_data
from sklearn.base import is_classifier
from sklearn.model_selection import GridSearchCV

import skprob
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)

NEEDS_EXTRA = "needs the 'dask' extra: pip install '.[dask]'"
da = pytest.importorskip("dask.array", reason=f"dask {NEEDS_EXTRA}")
distributed = pytest.importorskip("distributed", reason=f"distributed {NEEDS_EXTRA}")
dask_ml_wrappers = pytest.importorskip(
    "dask_ml.wrappers", reason=f"dask-ml {NEEDS_EXTRA}"
)
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.dask

ESTIMATORS = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]


@pytest.fixture(scope="module")
def client():
    """A client of a two-worker cluster on 127.0.0.1, one thread each."""
    cluster = distributed.LocalCluster(
        # joblib runs a search sequentially, in this process, when the Dask
        # backend has a single thread in all: two are needed to exercise it.
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        # tcp rather than in-process comms: tasks and results are serialized
        # as they would be between machines.
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def task_prefixes(task_stream):
    """Names of the tasks that ran, without their tokens."""
    keys = [task["key"] for task in task_stream.data]
    names = [key[0] if isinstance(key, tuple) else key for key in keys]
    return {name.rsplit("-", 1)[0] for name in names}


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_incremental_on_dask_array_reaches_in_memory_quality(client, estimator_class):
    X, y = make_data(estimator_class, 8000)
    X_train, y_train, X_test, y_test = X[:6000], y[:6000], X[6000:], y[6000:]
    X_chunked = da.from_array(X_train, chunks=(1000, -1))
    y_chunked = da.from_array(y_train, chunks=1000)
    kwargs = {"classes": np.unique(y)} if is_classifier(estimator_class()) else {}

    # A RandomState, not an int: Incremental re-seeds an int at every call,
    # which would visit the blocks in the same order every epoch.
    incremental = dask_ml_wrappers.Incremental(
        estimator_class(random_state=0), random_state=np.random.RandomState(0)
    )
    with distributed.get_task_stream(client) as task_stream:
        incremental.fit(X_chunked, y_chunked, **kwargs)
        for _ in range(9):
            incremental.partial_fit(X_chunked, y_chunked, **kwargs)
    in_memory = estimator_class(random_state=0).fit(X_train, y_train)

    # Ten epochs of one partial_fit task per block ran on the cluster.
    assert incremental.estimator_.n_iter_ == 10 * 6
    assert "fit" in task_prefixes(task_stream)
    distributed_nll = held_out_nll(incremental.estimator_, X_test, y_test)
    assert distributed_nll == pytest.approx(
        held_out_nll(in_memory, X_test, y_test), rel=0.01
    )
    # Predictions on a dask.array come back block by block, lazily.
    X_test_chunked = da.from_array(X_test, chunks=(500, -1))
    np.testing.assert_allclose(
        incremental.predict(X_test_chunked).compute(),
        incremental.estimator_.predict(X_test),
    )


def neg_nll(estimator, X, y):
    """Scorer: mean log-likelihood of y under the predicted distributions."""
    dist = skprob.predict_dist(estimator, X)
    if is_classifier(estimator):
        rows = np.searchsorted(estimator.classes_, y)
        return np.mean(np.log(estimator.predict_proba(X)[np.arange(len(y)), rows]))
    return np.mean(dist.logpdf(y))


@pytest.mark.parametrize(
    "estimator_class",
    [HeteroscedasticRegressor, SoftmaxClassifier],
    ids=lambda c: c.__name__,
)
def test_grid_search_under_joblib_dask_backend_matches_default(client, estimator_class):
    X, y = make_data(estimator_class, 1200)
    search = GridSearchCV(
        estimator_class(tol=1e-3, n_iter_no_change=3, random_state=0),
        {"alpha": [0.0, 1e-2, 1e-1], "solver": ["sgd", "adam"]},
        scoring=neg_nll,
        cv=3,
        n_jobs=-1,
    )
    # The reference runs in this process: joblib's default backend would
    # spend longer starting worker processes than fitting.
    default = GridSearchCV(**{**search.get_params(deep=False), "n_jobs": None})
    default.fit(X, y)
    with distributed.get_task_stream(client) as task_stream:
        with joblib.parallel_backend("dask"):
            search.fit(X, y)

    assert any(
        name.startswith("batch_of__fit_and_score")
        for name in task_prefixes(task_stream)
    )
    assert search.best_params_ == default.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(
            search.cv_results_[key], default.cv_results_[key], rtol=1e-12
        )
    np.testing.assert_allclose(
        search.best_estimator_.coef_, default.best_estimator_.coef_, rtol=1e-12
    )
