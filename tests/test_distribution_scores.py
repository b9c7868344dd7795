"""nll and crps of any scipy distribution: scipy, closed forms, quadrature."""

import copy

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from scipy import integrate, stats
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skprob
import skprob._crps
from skprob import GaussianRegressor, HeteroscedasticRegressor
from skprob._crps import CLOSED_FORMS, crps_values
from skprob.metrics import (
    crps,
    gaussian_crps,
    gaussian_nll,
    neg_crps_scorer,
    neg_nll_scorer,
    nll,
)

N = 6
RNG = np.random.default_rng(0)

# Every family with a closed form, with varied parameters (loc and scale
# included), and families without one.
DISTRIBUTIONS = {
    "norm": stats.norm(RNG.normal(size=N), RNG.uniform(0.1, 3, N)),
    "logistic": stats.logistic(RNG.normal(size=N), RNG.uniform(0.1, 3, N)),
    "laplace": stats.laplace(RNG.normal(size=N), RNG.uniform(0.1, 3, N)),
    "expon": stats.expon(RNG.normal(size=N), RNG.uniform(0.1, 3, N)),
    "gamma": stats.gamma(
        [0.05, 0.3, 1.0, 2.5, 10.0, 80.0], scale=RNG.uniform(0.1, 3, N)
    ),
    "lognorm": stats.lognorm([0.1, 0.5, 1.0, 1.5, 2.0, 0.8], loc=RNG.normal(size=N)),
    "t": stats.t([1.2, 1.5, 2.0, 4.0, 30.0, 1e4], RNG.normal(size=N), 2.0),
    "beta": stats.beta(
        [0.5, 0.7, 1.0, 2.0, 8.0, 30.0], [0.6, 3.0, 1.0, 5.0, 2.0, 30.0]
    ),
    "poisson": stats.poisson([0.01, 0.5, 2.0, 10.0, 80.0, 700.0]),
    "poisson_loc": stats.poisson(
        [0.5, 2.0, 10.0, 1.0, 3.0, 5.0], loc=[0, 1, -3, 2, 0, 7]
    ),
    "nbinom": stats.nbinom(
        [0.3, 1.0, 2.5, 10.0, 40.0, 5.0], [0.5, 0.1, 0.8, 0.3, 0.6, 0.01]
    ),
    "weibull_min": stats.weibull_min([0.5, 1.0, 1.5, 3.0, 8.0, 2.0], scale=2.0),
    "cauchy": stats.cauchy(RNG.normal(size=N)),
    "t_heavy": stats.t([0.7, 0.9, 1.0, 0.8, 0.75, 1.0]),
    "binom": stats.binom(20, [0.01, 0.2, 0.5, 0.7, 0.95, 0.4]),
    "geom": stats.geom([0.05, 0.2, 0.5, 0.8, 0.95, 0.3]),
}
CLOSED = [name for name, d in DISTRIBUTIONS.items() if type(d.dist) in CLOSED_FORMS]
CLOSED.remove("t_heavy")  # df <= 1: numerical, although t has a closed form


def _observations(dist):
    """Observations across the support and well beyond it, in the tails."""
    levels = np.array([1e-9, 0.01, 0.3, 0.5, 0.8, 0.999, 1 - 1e-9])
    inside = dist.ppf(levels[:, None])
    low, high = dist.ppf(1e-6), dist.isf(1e-6)
    outside = [low - 30 * (high - low) - 1, high + 40 * (high - low) + 1]
    return np.vstack([inside, outside, inside + 0.37])  # 0.37: between counts


def _quadrature(dist, y):
    """CRPS by scipy's adaptive quadrature, on the support and off it."""
    lo, hi = dist.support()
    y_in = min(max(y, lo), hi)
    left = integrate.quad(lambda z: dist.cdf(z) ** 2, lo, y_in, limit=500)[0]
    right = integrate.quad(lambda z: dist.sf(z) ** 2, y_in, hi, limit=500)[0]
    return left + right + max(lo - y, 0) + max(y - hi, 0)


@pytest.mark.parametrize("name", CLOSED)
def test_closed_forms_match_the_numerical_method(name):
    dist = DISTRIBUTIONS[name]
    y = _observations(dist)
    closed = crps_values(dist, y)
    numerical = crps_values(dist, y, numerical=True)
    assert np.all(np.isfinite(closed)) and np.all(closed > 0)
    assert_allclose(closed, numerical, rtol=1e-10)


@pytest.mark.parametrize(
    "name", ["weibull_min", "cauchy", "t_heavy", "gamma", "beta", "lognorm"]
)
def test_numerical_method_matches_adaptive_quadrature(name):
    dist = DISTRIBUTIONS[name]
    y = _observations(dist)[[1, 3, 5, 11]]
    numerical = crps_values(dist, y, numerical=True)
    rows = np.arange(N)
    params = {k: np.broadcast_to(v, (N,)) for k, v in dist.kwds.items()}
    args = [np.broadcast_to(a, (N,)) for a in dist.args]
    for i, j in np.ndindex(y.shape):
        member = dist.dist(
            *[a[j] for a in args], **{k: v[j] for k, v in params.items()}
        )
        # quad is the weaker method here (singular densities of gamma and
        # beta at 0, slow tails of the Cauchy).
        assert_allclose(numerical[i, j], _quadrature(member, y[i, j]), rtol=1e-5)
    assert rows.size


@pytest.mark.parametrize("name", ["binom", "geom"])
def test_discrete_sum_matches_the_integral_of_a_step_function(name):
    dist = DISTRIBUTIONS[name]
    y = _observations(dist)[[1, 3, 5, 10, 12]]
    numerical = crps_values(dist, y)
    for i, j in np.ndindex(y.shape):
        member = dist.dist(*[np.broadcast_to(a, (N,))[j] for a in dist.args])
        # The integrand is constant between the integers and y: exact pieces.
        points = np.union1d(np.arange(-1000, 1000), y[i, j])
        middle = (points[:-1] + points[1:]) / 2
        gap = member.cdf(middle) - (middle >= y[i, j])
        assert_allclose(numerical[i, j], np.sum(gap**2 * np.diff(points)), rtol=1e-12)


def test_bernoulli_crps_is_the_squared_probability_of_the_other_outcome():
    p = np.array([0.1, 0.5, 0.9])
    dist = stats.bernoulli(p)
    assert_allclose(
        crps([1, 1, 1], dist, multioutput="raw_values"), np.mean((1 - p) ** 2)
    )
    assert_allclose(crps_values(dist, np.zeros(3)), p**2)


def test_crps_and_nll_of_normals_are_the_gaussian_metrics(rng):
    y = rng.normal(size=40)
    mean, std = rng.normal(size=40), rng.uniform(0.2, 2.0, 40)
    dist = stats.norm(mean, std)
    assert_allclose(crps(y, dist), gaussian_crps(y, mean, std), rtol=1e-14)
    assert_allclose(nll(y, dist), gaussian_nll(y, mean, std), rtol=1e-14)
    # The numerical method, independently.
    assert_allclose(
        crps_values(dist, y, numerical=True).mean(),
        gaussian_crps(y, mean, std),
        rtol=1e-11,
    )


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_nll_is_minus_scipys_log_density(name):
    dist = DISTRIBUTIONS[name]
    y = _observations(dist)[2:5]  # inside the support
    log_density = dist.logpmf(y) if hasattr(dist.dist, "pmf") else dist.logpdf(y)
    assert_allclose(nll(y.T, _transposed(dist)), -log_density.mean(), rtol=1e-12)


def _transposed(dist):
    """The same distribution with parameters of shape (N, 1): one output."""
    args = [np.reshape(a, (-1, 1)) if np.ndim(a) else a for a in dist.args]
    kwds = {
        k: np.reshape(v, (-1, 1)) if np.ndim(v) else v for k, v in dist.kwds.items()
    }
    return dist.dist(*args, **kwds)


def test_nll_is_infinite_off_the_support():
    assert nll([-1, 2], stats.poisson([1.0, 2.0])) == np.inf
    assert nll([1.5], stats.beta(2.0, 3.0)) == np.inf


@pytest.mark.parametrize("metric", [nll, crps])
@pytest.mark.parametrize("name", ["gamma", "nbinom", "weibull_min"])
def test_integer_weights_are_repetitions(metric, name):
    dist = DISTRIBUTIONS[name]
    y = _observations(dist)[3]
    weight = np.array([0, 1, 3, 2, 1, 4])
    repeated = dist.dist(
        *[np.repeat(np.broadcast_to(a, (N,)), weight) for a in dist.args],
        **{
            k: np.repeat(np.broadcast_to(v, (N,)), weight) for k, v in dist.kwds.items()
        },
    )
    assert_allclose(
        metric(y, dist, sample_weight=weight),
        metric(np.repeat(y, weight), repeated),
        rtol=1e-12,
    )


@pytest.mark.parametrize("metric", [nll, crps])
def test_several_outputs_and_a_reference_forecast(metric, rng):
    y = rng.poisson(3.0, size=(30, 2)).astype(float)
    dist = stats.poisson(np.column_stack([np.full(30, 3.0), np.full(30, 5.0)]))
    per_output = metric(y, dist, multioutput="raw_values")
    assert per_output.shape == (2,)
    assert_allclose(per_output[0], metric(y[:, 0], stats.poisson(3.0)))
    assert_allclose(metric(y, dist), per_output.mean())
    # One distribution (scalar parameters) for every sample.
    assert_allclose(metric(y, stats.poisson([3.0, 5.0])), per_output.mean())


@pytest.mark.parametrize("metric", [nll, crps])
def test_bad_input_is_refused(metric):
    with pytest.raises(TypeError, match="frozen scipy.stats"):
        metric([1.0], [0.0])
    with pytest.raises(ValueError, match=r"shape \(3,\), which does not fit"):
        metric(np.ones(4), stats.norm(np.zeros(3)))
    with pytest.raises(ValueError, match="which does not fit"):
        metric(np.ones((3, 2)), stats.norm(np.zeros(3)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric(np.ones(3), stats.norm(0.0), sample_weight=np.ones(2))


def test_refused_distributions():
    arbitrary = stats.rv_discrete(values=([0.5, 1.5], [0.3, 0.7]))()
    with pytest.raises(TypeError, match="arbitrary points"):
        crps([1.0], arbitrary)


def test_discrete_crps_of_huge_counts_is_summed_in_blocks(monkeypatch):
    # hyp2f1 is not finite for n = 300: the sum takes over, over ~10^4 points,
    # here in blocks of 4096 values.
    monkeypatch.setattr(skprob._crps, "_MAX_TERMS", 4096)
    dist = stats.nbinom([300.0, 2.0], [0.02, 0.5])
    y = np.array([14000.0, 3.0])
    value = crps_values(dist, y)
    assert_allclose(value[1], crps_values(dist, y, numerical=True)[1], rtol=1e-12)
    # CRPS = E|X - y| - E|X - X'| / 2, and E|X - X'| = 2 sum F(k) (1 - F(k)).
    member = stats.nbinom(300.0, 0.02)
    k = np.arange(member.isf(1e-18))
    mean_error = np.sum(member.pmf(k) * np.abs(k - y[0]))
    half_spread = np.sum(member.cdf(k) * member.sf(k))
    assert_allclose(value[0], mean_error - half_spread, rtol=1e-10)


# -- scorers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2))
    y = X @ [1.0, -2.0] + (1 + np.abs(X[:, 0])) * rng.normal(size=120)
    return X, y


@pytest.mark.parametrize(
    "scorer, metric", [(neg_nll_scorer, nll), (neg_crps_scorer, crps)]
)
def test_scorers_are_minus_the_metric_through_wrappers(data, scorer, metric):
    X, y = data
    pipe = make_pipeline(StandardScaler(), HeteroscedasticRegressor()).fit(X, y)
    expected = -metric(y, skprob.predict_dist(pipe, X))
    assert_allclose(scorer(pipe, X, y), expected, rtol=1e-14)
    positive = np.exp(y / 4)
    ttr = TransformedTargetRegressor(pipe, func=np.log, inverse_func=np.exp).fit(
        X, positive
    )
    assert_allclose(
        scorer(ttr, X, positive), -metric(positive, skprob.predict_dist(ttr, X))
    )


def test_scorers_in_a_search_and_with_routed_weights(data):
    X, y = data
    weight = np.where(X[:, 0] > 0, 3.0, 1.0)
    search = GridSearchCV(
        GaussianRegressor(),
        {"alpha": [0.0, 30.0]},
        scoring={"nll": neg_nll_scorer, "crps": neg_crps_scorer},
        refit="nll",
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"alpha": 0.0}
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        model = GaussianRegressor().set_fit_request(sample_weight=True)
        scorers = {
            name: copy.deepcopy(scorer).set_score_request(sample_weight=True)
            for name, scorer in (("nll", neg_nll_scorer), ("crps", neg_crps_scorer))
        }
        result = cross_validate(
            model, X, y, cv=cv, scoring=scorers, params={"sample_weight": weight}
        )
    for fold, (train, test) in enumerate(cv.split(X)):
        fitted = GaussianRegressor().fit(
            X[train], y[train], sample_weight=weight[train]
        )
        dist = fitted.predict_dist(X[test])
        for name, metric in (("nll", nll), ("crps", crps)):
            expected = -metric(y[test], dist, sample_weight=weight[test])
            assert_allclose(result[f"test_{name}"][fold], expected, rtol=1e-12)
            assert abs(expected + metric(y[test], dist)) > 1e-3


def test_scorers_request_only_sample_weight():
    for scorer in (neg_nll_scorer, neg_crps_scorer):
        assert scorer.get_metadata_routing().score.requests == {"sample_weight": None}
    assert repr(neg_crps_scorer) == "neg_crps_scorer()"
