"""predict_interval and predict_quantiles: scipy's quantiles, skpro's shapes."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skprob
from skprob import GaussianRegressor, HeteroscedasticRegressor
from skprob._quantiles import QuantileMixin


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -2.0] + (1 + np.abs(X[:, 0])) * rng.normal(size=60)
    Y = np.column_stack([y, 3 * y + rng.normal(size=60)])
    return X, y, Y


class _Fixed(QuantileMixin):
    """A stand-in regressor whose predict_dist is a given scipy distribution."""

    def __init__(self, dist):
        self.dist = dist

    def predict_dist(self, X):
        return self.dist


@pytest.mark.parametrize("estimator", [GaussianRegressor, HeteroscedasticRegressor])
@pytest.mark.parametrize("target", ["1-D", "2-D"])
def test_interval_and_quantiles_are_scipys(data, estimator, target):
    X, y, Y = data
    y = y if target == "1-D" else Y
    reg = estimator(solver="lbfgs").fit(X, y)
    dist = reg.predict_dist(X)
    outputs = () if target == "1-D" else (2,)
    interval = reg.predict_interval(X, coverage=0.8)
    assert interval.shape == (60, *outputs, 2)
    assert_allclose(interval[..., 0], dist.interval(0.8)[0], rtol=1e-14)
    assert_allclose(interval[..., 1], dist.interval(0.8)[1], rtol=1e-14)
    several = reg.predict_interval(X, coverage=[0.5, 0.8])
    assert several.shape == (60, *outputs, 2, 2)
    assert_array_equal(several[..., 1, :], interval)
    quantiles = reg.predict_quantiles(X, alpha=[0.1, 0.5, 0.7])
    assert quantiles.shape == (60, *outputs, 3)
    for j, level in enumerate([0.1, 0.5, 0.7]):
        assert_allclose(quantiles[..., j], dist.ppf(level), rtol=1e-13)
    assert reg.predict_quantiles(X, alpha=0.5).shape == (60, *outputs)
    assert_allclose(reg.predict_quantiles(X, alpha=0.5), reg.predict(X), rtol=1e-12)
    assert reg.predict_quantiles(X).shape == (60, *outputs, 3)  # 0.05, 0.5, 0.95


@pytest.mark.parametrize("target", ["1-D", "2-D"])
def test_pandas_output_has_skpros_columns(data, target):
    X, y, Y = data
    y = y if target == "1-D" else Y
    reg = HeteroscedasticRegressor(solver="lbfgs").fit(X, y)
    frame = pd.DataFrame(X, index=np.arange(100, 160))
    array = reg.predict_interval(frame, coverage=[0.5, 0.9])
    quantiles = reg.predict_quantiles(frame, alpha=[0.1, 0.9])
    # A DataFrame alone does not change the container, as for predict.
    assert isinstance(array, np.ndarray)
    with sklearn.config_context(transform_output="pandas"):
        interval = reg.predict_interval(frame, coverage=[0.5, 0.9])
        quantile_frame = reg.predict_quantiles(frame, alpha=[0.1, 0.9])
        unindexed = reg.predict_interval(X, coverage=0.9)
    outputs = [0] if target == "1-D" else [0, 1]
    assert interval.columns.tolist() == [
        (output, coverage, side)
        for output in outputs
        for coverage in (0.5, 0.9)
        for side in ("lower", "upper")
    ]
    assert quantile_frame.columns.tolist() == [
        (output, level) for output in outputs for level in (0.1, 0.9)
    ]
    assert_array_equal(interval.index, frame.index)
    assert_array_equal(interval.to_numpy(), array.reshape(60, -1))
    assert_array_equal(quantile_frame.to_numpy(), quantiles.reshape(60, -1))
    assert_array_equal(unindexed.index, np.arange(60))
    assert unindexed.columns.tolist() == [
        (output, 0.9, side) for output in outputs for side in ("lower", "upper")
    ]


@pytest.mark.parametrize(
    "dist",
    [
        stats.poisson([0.05, 0.8, 3.0, 40.0, 900.0]),
        stats.nbinom([0.5, 2.0, 5.0, 1.0, 30.0], [0.3, 0.5, 0.05, 0.9, 0.2]),
        stats.binom(12, [0.1, 0.5, 0.9, 0.99, 0.3]),
        stats.bernoulli([0.02, 0.3, 0.5, 0.7, 0.97]),
    ],
    ids=["poisson", "nbinom", "binom", "bernoulli"],
)
@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.9, 0.99])
def test_discrete_interval_is_equal_tailed_and_covers_at_least(dist, coverage):
    lower, upper = _Fixed(dist).predict_interval(None, coverage=coverage).T
    # Support points, as scipy's interval has them.
    assert_array_equal(lower, dist.interval(coverage)[0])
    assert_array_equal(lower, np.round(lower))
    assert_array_equal(upper, np.round(upper))
    # Each bound is the least support point past its tail mass (1 - c) / 2 ...
    tail = (1 - coverage) / 2
    assert np.all(dist.cdf(lower) >= tail) and np.all(dist.cdf(lower - 1) < tail)
    assert np.all(dist.sf(upper) <= tail) and np.all(dist.sf(upper - 1) > tail)
    # ... so the closed interval holds y with probability at least c.
    assert np.all(dist.cdf(upper) - dist.cdf(lower - 1) >= coverage)


def test_quantiles_of_levels_0_and_1_are_the_ends_of_the_support():
    dist = stats.poisson([0.5, 4.0])
    quantiles = _Fixed(dist).predict_quantiles(None, alpha=[0.0, 0.5, 1.0])
    assert_array_equal(quantiles, [[0.0, 0.0, np.inf], [0.0, 4.0, np.inf]])
    gamma = _Fixed(stats.gamma(2.0, loc=1.0)).predict_quantiles(None, alpha=[0, 1])
    assert_array_equal(gamma, [1.0, np.inf])


def test_upper_bound_keeps_its_precision_near_coverage_1():
    # For the standard normal the interval is symmetric; scipy's interval
    # computes ppf((1 + c) / 2), which rounds the level near 1.
    coverage = 1 - 1e-12
    lower, upper = _Fixed(stats.norm([0.0])).predict_interval(None, coverage)[0]
    assert_allclose(upper, -lower, rtol=1e-15)
    assert abs(stats.norm.interval(coverage)[1] + lower) > 1e-7


@pytest.mark.parametrize("coverage", [0, 1, 1.5, -0.1, np.nan, [0.5, 1.0], [], "a"])
def test_coverage_outside_0_1_is_refused(data, coverage):
    X, y, _ = data
    reg = GaussianRegressor().fit(X, y)
    with pytest.raises(ValueError, match=r"coverage must be .*\(0, 1\)"):
        reg.predict_interval(X, coverage=coverage)
    with pytest.raises(ValueError, match=r"coverage must be .*\(0, 1\)"):
        skprob.predict_interval(reg, X, coverage=coverage)


@pytest.mark.parametrize("alpha", [-0.1, 1.1, np.nan, [[0.5]], [0.2, 2.0]])
def test_alpha_outside_0_1_is_refused(data, alpha):
    X, y, _ = data
    reg = GaussianRegressor().fit(X, y)
    with pytest.raises(ValueError, match=r"alpha must be .*\[0, 1\]"):
        reg.predict_quantiles(X, alpha=alpha)


def test_a_distribution_without_quantiles_is_refused():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.repeat(["a", "b", "c"], 10)
    clf = skprob.SoftmaxClassifier().fit(X, y)
    with pytest.raises(TypeError, match="no quantile function"):
        skprob.predict_interval(clf, X)


def test_functions_work_through_pipelines_searches_and_transformed_targets(data):
    X, y, _ = data
    pipe = make_pipeline(StandardScaler(), GaussianRegressor()).fit(X, y)
    reg = pipe[-1]
    Xs = pipe[0].transform(X)
    assert_array_equal(
        skprob.predict_interval(pipe, X, [0.5, 0.9]),
        reg.predict_interval(Xs, [0.5, 0.9]),
    )
    assert_array_equal(skprob.predict_quantiles(pipe, X), reg.predict_quantiles(Xs))
    search = GridSearchCV(pipe, {"gaussianregressor__alpha": [0.0, 1.0]}, cv=3)
    search.fit(X, y)
    best = search.best_estimator_
    assert_array_equal(
        skprob.predict_interval(search, X), skprob.predict_interval(best, X)
    )
    positive = np.exp(y / 4)
    ttr = TransformedTargetRegressor(
        GaussianRegressor(), func=np.log, inverse_func=np.exp
    ).fit(X, positive)
    interval = skprob.predict_interval(ttr, X, coverage=0.9)
    assert_allclose(
        interval, np.exp(ttr.regressor_.predict_interval(X, 0.9)), rtol=1e-12
    )
    named = pd.DataFrame(X, columns=["a", "b"], index=X[:, 0])
    with sklearn.config_context(transform_output="pandas"):
        frame = skprob.predict_quantiles(pipe.fit(named, y), named)
    assert_array_equal(frame.index, X[:, 0])


def test_dask_input_gives_lazy_arrays(data):
    da = pytest.importorskip("dask.array")
    X, _, Y = data
    reg = HeteroscedasticRegressor(solver="lbfgs").fit(X, Y)
    X_dask = da.from_array(X, chunks=(25, -1))
    for method, argument in [
        ("predict_interval", 0.9),
        ("predict_interval", [0.5, 0.9]),
        ("predict_quantiles", 0.3),
        ("predict_quantiles", [0.1, 0.9]),
    ]:
        # The pandas switch applies to in-memory output only.
        with sklearn.config_context(transform_output="pandas"):
            lazy = getattr(reg, method)(X_dask, argument)
        assert isinstance(lazy, da.Array)
        with sklearn.config_context(transform_output="default"):
            expected = getattr(reg, method)(X, argument)
        assert_array_equal(lazy.compute(scheduler="synchronous"), expected)
