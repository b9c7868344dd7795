"""Dask: data-parallel fit, lazy predictions, Incremental, the joblib backend.

These tests need the ``dask`` extra (``pip install ".[dask]"``) and skip
without it. They start a ``distributed.LocalCluster`` of two worker processes
(one thread each) on the loopback interface, and check that fits on Dask
collections equal the in-memory fits, and that the other distributed paths
reach their quality. Select them with ``-m dask``.
"""

import warnings

import numpy as np
import pytest
from _faults import blocks_of, within
from _problems import held_out_nll, make_data
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import skprob
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.solvers import LBFGS

NEEDS_EXTRA = "needs the 'dask' extra: pip install '.[dask]'"
da = pytest.importorskip("dask.array", reason=f"dask {NEEDS_EXTRA}")
distributed = pytest.importorskip("distributed", reason=f"distributed {NEEDS_EXTRA}")
dask_ml_wrappers = pytest.importorskip(
    "dask_ml.wrappers", reason=f"dask-ml {NEEDS_EXTRA}"
)
joblib = pytest.importorskip("joblib")
sizeof = pytest.importorskip("dask.sizeof").sizeof

pytestmark = [
    pytest.mark.dask,
    # The scheduler's HTTP server (health and metrics routes, even without a
    # dashboard) takes port 8787 on 127.0.0.1, or another one when a second
    # cluster on the machine holds it: noise about the machine, not skprob.
    pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning"),
]

ESTIMATORS = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]


@pytest.fixture(scope="module")
def client():
    """A client of two worker processes on 127.0.0.1, one thread each."""
    cluster = distributed.LocalCluster(
        # joblib runs a search sequentially, in this process, when the Dask
        # backend has a single thread in all: two are needed to exercise it.
        n_workers=2,
        threads_per_worker=1,
        # Worker processes: tasks, data and results are serialized and sent
        # over tcp as they would be between machines.
        processes=True,
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


# Stochastic fits on small data: their convergence is not under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
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


# -- fit on Dask collections: data-parallel, equal to the in-memory fit ------


def relative_difference(fitted, reference):
    """Largest relative difference of the fitted parameters, norm by norm."""
    names = ("coef_", "intercept_", "coefs_", "intercepts_", "sigma_")
    differences = []
    for name in names:
        if hasattr(reference, name):
            got, want = (
                np.concatenate([np.ravel(a) for a in _as_list(getattr(model, name))])
                for model in (fitted, reference)
            )
            differences.append(np.linalg.norm(got - want) / np.linalg.norm(want))
    return max(differences)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def weighted_problem(estimator_class, n_samples=3000, seed=0):
    """Data, non-integer weights with a whole block of zeros, dask copies.

    The blocks have unequal sizes (the last is shorter) and there are more
    of them than worker threads.
    """
    X, y = make_data(estimator_class, n_samples, seed=seed)
    weights = np.random.default_rng(seed + 1).uniform(0.0, 3.0, size=n_samples)
    weights[700:1400] = 0.0
    chunks = 700
    dask_data = (
        da.from_array(X, chunks=(chunks, -1)),
        da.from_array(y, chunks=chunks),
        da.from_array(weights, chunks=chunks),
    )
    return (X, y, weights), dask_data


def fit_both(estimator, numpy_data, dask_data):
    """The same estimator fitted on NumPy and on Dask input."""
    X, y, weights = numpy_data
    in_memory = clone(estimator).fit(X, y, sample_weight=weights)
    X_dask, y_dask, weights_dask = dask_data
    on_cluster = clone(estimator).fit(X_dask, y_dask, sample_weight=weights_dask)
    return on_cluster, in_memory


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "settings",
    [
        # L-BFGS to its optimum (tol small enough that both fits get there).
        {"solver": LBFGS(gtol=1e-12), "tol": 1e-11},
        # Newton's method: the Hessian is summed over the shards too.
        {"solver": "newton", "alpha": 1e-2},
        # Gradient descent with the Lipschitz estimate (and, for the
        # heteroscedastic normal, the curvature ratio), a fixed number of
        # steps: equal to rounding along the whole path, not only at the end.
        {"solver": "gd", "max_iter": 40},
        # A network (and the heteroscedastic regressor's warm-up phase), with
        # gd's line search on the loss alone. A fixed number of steps: on a
        # network's non-convex loss, long runs amplify rounding, and two
        # in-memory fits that differ only in the order of their sums end
        # apart as well (see LBFGS). Without early stopping, which a Dask
        # fit does not support (and "auto" turns on for a network in memory).
        {
            "solver": "gd",
            "hidden_layer_sizes": (8,),
            "alpha": 1e-2,
            "max_iter": 30,
            "early_stopping": False,
        },
    ],
    ids=["lbfgs", "newton", "gd", "mlp"],
)
def test_fit_on_dask_array_equals_in_memory_fit(client, estimator_class, settings):
    numpy_data, dask_data = weighted_problem(estimator_class)
    estimator = estimator_class(random_state=0, **settings)
    with warnings.catch_warnings():
        # gd's fixed number of steps stops short of the optimum, on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_cluster, in_memory = fit_both(estimator, numpy_data, dask_data)

    assert relative_difference(on_cluster, in_memory) < 1e-6
    assert on_cluster.loss_ == pytest.approx(in_memory.loss_, rel=1e-9)
    assert on_cluster.n_features_in_ == 5
    if is_classifier(estimator):
        np.testing.assert_array_equal(on_cluster.classes_, in_memory.classes_)


def test_mean_variance_network_floors_sigma_on_the_cluster_as_in_memory(client):
    """The smallest sigma of the rows of positive weight, summed up shard by shard."""
    numpy_data, dask_data = weighted_problem(HeteroscedasticRegressor)
    estimator = HeteroscedasticRegressor(
        solver="gd",
        hidden_layer_sizes=(8,),
        activation="relu",
        max_iter=30,
        early_stopping=False,  # as on the cluster, where it is off
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_cluster, in_memory = fit_both(estimator, numpy_data, dask_data)
    X, _, weights = numpy_data
    floor = in_memory.predict(X[weights > 0], return_std=True)[1].min()
    X_far = 1e3 * np.vstack([np.eye(X.shape[1]), -np.eye(X.shape[1])])
    std_far = on_cluster.predict(X_far, return_std=True)[1]
    assert std_far.min() == pytest.approx(floor, rel=1e-6)
    np.testing.assert_allclose(
        std_far, in_memory.predict(X_far, return_std=True)[1], rtol=1e-6
    )


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_fit_on_float32_dask_array_computes_in_float64(client, estimator_class):
    """The shards are float64 whatever X's dtype: a deliberate upcast."""
    numpy_data, dask_data = weighted_problem(estimator_class)
    X_dask, y_dask, weights_dask = dask_data
    estimator = estimator_class(solver=LBFGS(gtol=1e-12), tol=1e-11, random_state=0)
    on_cluster = clone(estimator).fit(
        X_dask.astype(np.float32), y_dask, sample_weight=weights_dask
    )
    X, y, weights = numpy_data
    in_memory = clone(estimator).fit(
        X.astype(np.float32).astype(np.float64), y, sample_weight=weights
    )
    assert on_cluster.coef_.dtype == np.float64
    assert relative_difference(on_cluster, in_memory) < 1e-6


# dask converts the string labels to an object array, and says so.
@pytest.mark.filterwarnings("ignore:Dask currently has limited support:UserWarning")
def test_fit_on_dask_dataframe_equals_in_memory_fit(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = make_data(SoftmaxClassifier, 2000)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["label"] = labels
    dask_frame = dd.from_pandas(frame, npartitions=3)
    features = list(frame.columns[:5])
    # Both fits end where the gradient is below tol: tight enough for their
    # coefficients to agree to 1e-6.
    estimator = SoftmaxClassifier(solver=LBFGS(gtol=1e-12), tol=1e-11, random_state=0)

    on_cluster = clone(estimator).fit(dask_frame[features], dask_frame["label"])
    in_memory = clone(estimator).fit(frame[features], frame["label"])

    assert relative_difference(on_cluster, in_memory) < 1e-6
    np.testing.assert_array_equal(on_cluster.feature_names_in_, features)
    np.testing.assert_array_equal(on_cluster.classes_, in_memory.classes_)
    # Partitions keep their column names: no feature-name warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = on_cluster.predict_proba(dask_frame[features])
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(
        proba.compute(), in_memory.predict_proba(frame[features])
    )


class SizeOfGathered:
    """Wraps Client.gather, recording the size of everything gathered."""

    def __init__(self, gather):
        self.gather = gather
        self.sizes = []

    def __call__(self, *args, **kwargs):
        result = self.gather(*args, **kwargs)
        self.sizes.append(sizeof(result))
        return result


def test_fit_never_gathers_the_rows(client, monkeypatch):
    X, y = make_data(BernoulliClassifier, 40_000)
    X_dask = da.from_array(X, chunks=(5000, -1)).persist()
    y_dask = da.from_array(y, chunks=5000).persist()

    def refuse(*args, **kwargs):
        raise AssertionError("the rows were brought to the client")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    spy = SizeOfGathered(client.gather)
    monkeypatch.setattr(client, "gather", spy)
    model = BernoulliClassifier(solver="lbfgs", random_state=0).fit(X_dask, y_dask)

    # What came back: summaries, gradients and the like, never a block.
    assert spy.sizes and max(spy.sizes) < X.nbytes / 100
    monkeypatch.undo()
    in_memory = BernoulliClassifier(solver="lbfgs", random_state=0).fit(X, y)
    assert relative_difference(model, in_memory) < 1e-6


class CountingLBFGS(LBFGS):
    """L-BFGS that counts the evaluations of the objective it asks for."""

    def step(self, params, loss_grad, state, lr_scale):
        def counted(point):
            self.n_evaluations_ += 1
            return loss_grad(point)

        counted.loss = loss_grad.loss
        counted.lipschitz = loss_grad.lipschitz
        return super().step(params, counted, state, lr_scale)


def test_evaluation_is_one_task_per_worker_thread(client):
    X, y = make_data(GaussianRegressor, 6000)
    X_dask = da.from_array(X, chunks=(500, -1))  # 12 blocks on 2 threads
    y_dask = da.from_array(y, chunks=500)
    solver = CountingLBFGS()
    solver.n_evaluations_ = 0
    with distributed.get_task_stream(client) as task_stream:
        GaussianRegressor(solver=solver, random_state=0).fit(X_dask, y_dask)

    evaluations = [
        task for task in task_stream.data if "-loss_gradient-" in str(task["key"])
    ]
    n_threads = sum(client.nthreads().values())
    assert solver.n_evaluations_ > 0
    assert len(evaluations) == n_threads * solver.n_evaluations_


def test_large_parameters_are_scattered_and_partial_sums_reduced_on_workers(
    client, monkeypatch
):
    numpy_data, dask_data = weighted_problem(HeteroscedasticRegressor)
    estimator = HeteroscedasticRegressor(
        solver="lbfgs",
        hidden_layer_sizes=(8,),
        alpha=1e-2,
        max_iter=15,
        early_stopping=False,  # as on the cluster, where it is off
        random_state=0,
    )
    monkeypatch.setattr(skprob._dask, "MAX_EMBEDDED_PARAMS_BYTES", 0)
    monkeypatch.setattr(skprob._dask, "REDUCTION_FAN_IN", 1)
    with distributed.get_task_stream(client) as task_stream:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            on_cluster, in_memory = fit_both(estimator, numpy_data, dask_data)

    assert "-combine-" in " ".join(str(task["key"]) for task in task_stream.data)
    assert relative_difference(on_cluster, in_memory) < 1e-6


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_predictions_on_dask_input_are_lazy_dask_arrays(client, estimator_class):
    X, y = make_data(estimator_class, 1000)
    model = estimator_class(solver="lbfgs", random_state=0).fit(X, y)
    X_dask = da.from_array(X, chunks=(300, -1))
    methods = (
        ["predict", "predict_proba", "predict_log_proba", "decision_function"]
        if is_classifier(model)
        else ["predict"]
    )
    for method in methods:
        lazy = getattr(model, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X))
    if not is_classifier(model):
        mean, std = model.predict(X_dask, return_std=True)
        assert isinstance(mean, da.Array) and isinstance(std, da.Array)
        expected_mean, expected_std = model.predict(X, return_std=True)
        np.testing.assert_allclose(mean.compute(), expected_mean)
        np.testing.assert_allclose(std.compute(), expected_std)
    with pytest.raises(TypeError, match="lazy dask.arrays"):
        model.predict_dist(X_dask)
    with pytest.raises(ValueError, match="features"):
        model.predict(X_dask[:, :3])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_solver_on_dask_input_points_to_the_ways(client, solver):
    X, y = make_data(BernoulliClassifier, 600)
    X_dask, y_dask = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    with pytest.raises(ValueError, match="full-batch solver.*Incremental"):
        BernoulliClassifier(solver=solver).fit(X_dask, y_dask)
    with pytest.raises(TypeError, match="Incremental"):
        BernoulliClassifier(solver=solver).partial_fit(X_dask, y_dask, classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        BernoulliClassifier(solver="lbfgs", early_stopping=True).fit(X_dask, y_dask)


def test_invalid_dask_input_fails_as_in_memory(client):
    X, y = make_data(GaussianRegressor, 600)
    X_dask, y_dask = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    regressor = GaussianRegressor(solver="lbfgs")
    X_nan = X.copy()
    X_nan[450, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        regressor.fit(da.from_array(X_nan, chunks=(200, -1)), y_dask)
    with pytest.raises(ValueError, match="non-negative"):
        regressor.fit(X_dask, y_dask, sample_weight=np.full(600, -1.0))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        regressor.fit(X_dask, y_dask[:500])
    with pytest.raises(ValueError, match="2 samples of positive weight"):
        regressor.fit(X_dask, y_dask, sample_weight=np.eye(600)[0])
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxClassifier(solver="lbfgs").fit(X_dask, y_dask + 0.5)
    with pytest.raises(ValueError, match="at least 2 classes"):
        BernoulliClassifier(solver="lbfgs").fit(X_dask, da.zeros(600, chunks=200))


# A worker killed for its memory, a worker lost as the data finished
# loading: tests/test_dask_faults.py (slow).
def test_a_block_that_raises_gives_its_own_exception(client):
    # Defined here, so that the workers receive the function by value.
    def read_block(i):
        if i == 1:
            raise FileNotFoundError("part-0001.npy")
        return np.random.default_rng(i).normal(size=(1000, 3))

    X, y = blocks_of(read_block)
    with pytest.raises(FileNotFoundError, match="part-0001.npy"):
        within(60, BernoulliClassifier().fit, X, y)
    # The cluster is still usable: the remaining tasks were cancelled.
    X_good, y_good = blocks_of(lambda i: np.ones((1000, 3)) * (i - 1))
    assert within(60, X_good.sum().compute) == 0.0


def test_fit_on_dask_input_needs_a_distributed_client(client, monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    X, y = make_data(GaussianRegressor, 100)
    with pytest.raises(RuntimeError, match="distributed Client"):
        GaussianRegressor(solver="lbfgs").fit(da.from_array(X), da.from_array(y))


def test_several_outputs_are_fitted_in_memory_and_predicted_lazily(client):
    X, y = make_data(GaussianRegressor, 600)
    Y = np.column_stack([y, 10 * y + X[:, 0]])
    X_dask = da.from_array(X, chunks=(200, -1))
    with pytest.raises(ValueError, match="takes a 1-D y.*fitted in memory"):
        GaussianRegressor(solver="lbfgs").fit(X_dask, da.from_array(Y, chunks=200))
    for model in (
        GaussianRegressor(solver="lbfgs").fit(X, Y),
        HeteroscedasticRegressor(solver="lbfgs").fit(X, Y),
    ):
        mean, std = model.predict(X_dask, return_std=True)
        expected_mean, expected_std = model.predict(X, return_std=True)
        assert isinstance(mean, da.Array) and mean.shape == (600, 2)
        np.testing.assert_allclose(mean.compute(), expected_mean)
        np.testing.assert_allclose(std.compute(), expected_std)
    warm = GaussianRegressor(solver="lbfgs", warm_start=True).fit(X, Y)
    with pytest.raises(ValueError, match="fitted on a 2-D target"):
        warm.fit(X_dask, da.from_array(y, chunks=200))
    labels = (Y > np.median(Y, axis=0)).astype(int)
    clf = BernoulliClassifier(solver="lbfgs").fit(X, labels)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy = getattr(clf, method)(X_dask)
        np.testing.assert_allclose(lazy.compute(), getattr(clf, method)(X))
