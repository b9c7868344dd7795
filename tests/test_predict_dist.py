"""predict_dist: the frozen distributions agree with scipy.stats and closed forms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import erf
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

import skprob
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.distributions import OneHotCategorical

Z_95 = 1.6448536269514722  # Phi^{-1}(0.95): the 90% central interval


def _regression_data(n_samples=120):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    noise = np.exp(0.5 * X[:, 0]) * rng.normal(size=n_samples)
    return X, 3.0 + X @ [1.0, -2.0] + noise


def _classification_data(n_classes):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    scores = X @ rng.normal(size=(2, n_classes)) + rng.gumbel(size=(150, n_classes))
    return X, np.array(["ant", "bee", "cat", "dog"])[scores.argmax(axis=1)]


@pytest.fixture(scope="module", params=[GaussianRegressor, HeteroscedasticRegressor])
def fitted_regressor(request):
    X, y = _regression_data()
    return request.param(solver="gd", max_iter=300).fit(X, y), X, y


def test_regressor_dist_is_the_normal_of_predict(fitted_regressor):
    reg, X, y = fitted_regressor
    dist = reg.predict_dist(X)
    mean, std = reg.predict(X, return_std=True)
    assert dist.dist.name == "norm"
    assert_allclose(dist.mean(), mean)
    assert_allclose(dist.std(), std)
    assert np.all(std > 0) and std.shape == (X.shape[0],)
    lower, upper = dist.interval(0.9)
    assert_allclose(lower, mean - Z_95 * std)
    assert_allclose(upper, mean + Z_95 * std)


def test_regressor_dist_densities_and_quantiles(fitted_regressor):
    reg, X, y = fitted_regressor
    dist = reg.predict_dist(X)
    mean, std = reg.predict(X, return_std=True)
    z = (y - mean) / std
    assert_allclose(dist.logpdf(y), -0.5 * z**2 - np.log(std) - 0.5 * np.log(2 * np.pi))
    assert_allclose(dist.cdf(y), 0.5 * (1 + erf(z / np.sqrt(2))))
    assert_allclose(dist.ppf(dist.cdf(y)), y, rtol=1e-8, atol=1e-8)
    assert_allclose(dist.ppf(0.95), mean + Z_95 * std)


def test_regressor_dist_rvs_is_reproducible(fitted_regressor):
    reg, X, _ = fitted_regressor
    dist = reg.predict_dist(X)
    draws = dist.rvs(size=(2000, X.shape[0]), random_state=0)
    assert_array_equal(draws, dist.rvs(size=(2000, X.shape[0]), random_state=0))
    mean, std = reg.predict(X, return_std=True)
    # 2000 draws per row: the sample mean is within 5 standard errors.
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * std / np.sqrt(2000))
    assert_allclose(draws.std(axis=0), std, rtol=0.1)


def test_bernoulli_dist_is_over_class_codes():
    X, y = _classification_data(2)
    clf = BernoulliClassifier(solver="gd", max_iter=300).fit(X, y)
    dist = clf.predict_dist(X)
    proba = clf.predict_proba(X)
    p = proba[:, 1]
    codes = np.searchsorted(clf.classes_, y)
    assert dist.dist.name == "bernoulli"
    assert_allclose(dist.mean(), p)
    assert_allclose(dist.std(), np.sqrt(p * (1 - p)))
    assert_allclose(dist.logpmf(codes), clf.predict_log_proba(X)[np.arange(150), codes])
    assert_allclose(dist.cdf(np.zeros(150)), proba[:, 0])
    assert_array_equal(dist.ppf(0.5), (p > 0.5).astype(float))
    assert_array_equal(clf.classes_[dist.ppf(0.5).astype(int)], clf.predict(X))
    lower, upper = dist.interval(0.9)
    assert_array_equal(lower, (proba[:, 0] < 0.05).astype(float))
    assert_array_equal(upper, (proba[:, 1] >= 0.05).astype(float))
    draws = dist.rvs(size=(4000, 150), random_state=0)
    assert_array_equal(draws, dist.rvs(size=(4000, 150), random_state=0))
    assert np.all(np.abs(draws.mean(axis=0) - p) < 5 * np.sqrt(0.25 / 4000))


@pytest.mark.parametrize("n_classes", [2, 4])
def test_softmax_dist_is_multinomial_one_per_row(n_classes):
    X, y = _classification_data(n_classes)
    clf = SoftmaxClassifier(solver="gd", max_iter=300).fit(X, y)
    dist = clf.predict_dist(X)
    proba = clf.predict_proba(X)
    one_hot = (y[:, None] == clf.classes_).astype(int)
    assert isinstance(dist, OneHotCategorical)
    assert_allclose(dist.mean(), proba)
    assert_allclose(dist.std(), np.sqrt(proba * (1 - proba)))
    assert_allclose(dist.logpmf(one_hot), np.sum(clf.predict_log_proba(X) * one_hot, 1))
    assert_allclose(dist.pmf(one_hot), np.sum(proba * one_hot, axis=1))
    for row in (0, 77):
        reference = stats.multinomial(1, proba[row])
        assert_allclose(dist.cov()[row], reference.cov())
        assert_allclose(dist.entropy()[row], reference.entropy())
        assert_allclose(dist.entropy()[row], stats.entropy(proba[row]))
        assert_allclose(dist.logpmf(one_hot)[row], reference.logpmf(one_hot[row]))
    # The variances are the diagonal of the covariance.
    assert_allclose(dist.var(), np.diagonal(dist.cov(), axis1=1, axis2=2))
    for method in ("cdf", "ppf", "interval"):
        assert not hasattr(dist, method)


def test_one_hot_categorical_rvs():
    p = np.array([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0], [0.5, 0.25, 0.25]])
    dist = OneHotCategorical(p)
    one = dist.rvs(random_state=0)
    assert one.shape == (3, 3)
    assert_array_equal(one.sum(axis=1), 1)
    draws = dist.rvs(size=20000, random_state=np.random.default_rng(0))
    assert draws.shape == (20000, 3, 3)
    assert_array_equal(draws.sum(axis=-1), 1)
    # Zero-probability classes are never drawn; frequencies match p.
    assert_array_equal(draws[:, p == 0], 0)
    assert np.all(np.abs(draws.mean(axis=0) - p) < 5 * np.sqrt(0.25 / 20000))
    assert_array_equal(dist.rvs(size=(4, 2), random_state=3).shape, (4, 2, 3, 3))
    assert_array_equal(dist.rvs(size=50, random_state=3), dist.rvs(50, random_state=3))
    expected = [stats.multinomial(1, p[i]).logpmf(one[i]) for i in range(3)]
    assert_allclose(dist.logpmf(one), expected)


@pytest.mark.parametrize(
    "estimator",
    [
        GaussianRegressor(solver="gd", max_iter=200),
        SoftmaxClassifier(solver="gd", max_iter=200),
    ],
    ids=["regressor", "classifier"],
)
def test_predict_dist_through_pipeline_and_search(estimator):
    is_regressor = isinstance(estimator, GaussianRegressor)
    X, y = _regression_data() if is_regressor else _classification_data(3)
    X = X * 100.0
    pipe = make_pipeline(StandardScaler(), estimator).fit(X, y)
    direct = pipe[-1].predict_dist(pipe[0].transform(X))
    via_pipe = skprob.predict_dist(pipe, X)
    assert_allclose(via_pipe.mean(), direct.mean())
    search = GridSearchCV(pipe, {f"{pipe.steps[-1][0]}__alpha": [0.0, 0.1]}, cv=3)
    search.fit(X, y)
    via_search = skprob.predict_dist(search, X)
    best = search.best_estimator_
    assert_allclose(
        via_search.mean(), best[-1].predict_dist(best[0].transform(X)).mean()
    )
    if is_regressor:
        assert_allclose(via_search.std(), best.predict(X, return_std=True)[1])
    else:
        assert_allclose(via_search.mean(), search.predict_proba(X))


def test_predict_dist_names_what_has_none():
    X, y = _regression_data()
    with pytest.raises(TypeError, match="LinearRegression has no predict_dist"):
        skprob.predict_dist(LinearRegression().fit(X, y), X)


# -- through TransformedTargetRegressor ------------------------------------------


def _positive_target_data(n_samples=150):
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    log_y = (
        1.0 + X @ [0.8, -0.5] + np.exp(0.4 * X[:, 0]) * 0.3 * rng.normal(size=n_samples)
    )
    return X, np.exp(log_y)


def _fitted_ttr(**kwargs):
    X, y = _positive_target_data()
    regressor = HeteroscedasticRegressor(solver="lbfgs")
    return TransformedTargetRegressor(regressor, **kwargs).fit(X, y), X, y


class _OwnScaler(StandardScaler):
    """A subclass could invert any way it likes: not recognized."""


@pytest.mark.parametrize(
    "transformer",
    [
        None,
        StandardScaler(),
        StandardScaler(with_mean=False),
        MinMaxScaler(feature_range=(-3.0, 5.0)),
        MaxAbsScaler(),
        RobustScaler(),
        RobustScaler(with_centering=False),
    ],
    ids=repr,
)
def test_affine_target_transformer_gives_a_normal(transformer):
    ttr, X, y = _fitted_ttr(transformer=transformer)
    dist = skprob.predict_dist(ttr, X)
    inner = ttr.regressor_.predict_dist(X)
    assert dist.dist.name == "norm"
    assert_array_equal(dist.mean(), ttr.predict(X))
    # The slope of the inverse, from two of its values.
    inverse = ttr.transformer_.inverse_transform
    slope = (inverse([[1.0]]) - inverse([[0.0]]))[0, 0]
    assert_allclose(dist.std(), abs(slope) * inner.std(), rtol=1e-12)
    # The change of variables y = shift + slope * t.
    t = ttr.transformer_.transform(y.reshape(-1, 1))[:, 0]
    assert_allclose(dist.logpdf(y), inner.logpdf(t) - np.log(abs(slope)), rtol=1e-10)


@pytest.mark.parametrize(
    "func, inverse_func, shift",
    [(np.log, np.exp, 0.0), (np.log1p, np.expm1, -1.0)],
    ids=["log", "log1p"],
)
def test_log_target_gives_a_lognormal(func, inverse_func, shift):
    ttr, X, y = _fitted_ttr(func=func, inverse_func=inverse_func)
    dist = skprob.predict_dist(ttr, X)
    mu, sigma = ttr.regressor_.predict(X, return_std=True)
    assert dist.dist.name == "lognorm"
    # y = exp(t) + shift with t ~ Normal(mu, sigma^2):
    assert_allclose(dist.cdf(y), stats.norm(mu, sigma).cdf(func(y)), rtol=1e-10)
    assert_allclose(
        dist.logpdf(y),
        stats.norm(mu, sigma).logpdf(func(y)) - np.log(y - shift),
        rtol=1e-10,
    )
    assert_allclose(dist.mean(), np.exp(mu + sigma**2 / 2) + shift, rtol=1e-12)
    assert_allclose(dist.median(), ttr.predict(X), rtol=1e-12)
    lower, upper = dist.interval(0.9)
    assert_allclose(lower, inverse_func(mu - Z_95 * sigma), rtol=1e-10)
    assert_allclose(upper, inverse_func(mu + Z_95 * sigma), rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"transformer": QuantileTransformer(n_quantiles=50)},
        {"transformer": PowerTransformer()},
        {"transformer": _OwnScaler()},
        {"func": np.sqrt, "inverse_func": np.square},
        # Affine, but nothing short of reading its code could tell.
        {"func": lambda y: 2 * y, "inverse_func": lambda t: t / 2},
    ],
    ids=["quantile", "power", "subclass", "sqrt", "lambda"],
)
def test_other_target_transformers_raise(kwargs):
    ttr, X, _ = _fitted_ttr(**kwargs)
    with pytest.raises(ValueError, match="cannot map the predicted distribution"):
        skprob.predict_dist(ttr, X)


def test_log_with_keyword_arguments_is_mapped_only_without_any():
    log = FunctionTransformer(np.log, np.exp, kw_args={}, inv_kw_args={})
    ttr, X, _ = _fitted_ttr(transformer=log)
    assert skprob.predict_dist(ttr, X).dist.name == "lognorm"
    where = {"where": True}
    log = FunctionTransformer(np.log, np.exp, kw_args=where, inv_kw_args=where)
    ttr, X, _ = _fitted_ttr(transformer=log)
    with pytest.raises(ValueError, match="cannot map"):
        skprob.predict_dist(ttr, X)


def test_transformed_target_through_search_and_errors():
    X, y = _positive_target_data()
    ttr = TransformedTargetRegressor(
        GaussianRegressor(solver="lbfgs"), func=np.log, inverse_func=np.exp
    )
    with pytest.raises(NotFittedError):
        skprob.predict_dist(ttr, X)
    search = GridSearchCV(ttr, {"regressor__alpha": [0.0, 1.0]}, cv=3).fit(X, y)
    assert_allclose(
        skprob.predict_dist(search, X).median(), search.predict(X), rtol=1e-12
    )
    plain = TransformedTargetRegressor(LinearRegression()).fit(X, y)
    with pytest.raises(TypeError, match="LinearRegression has no predict_dist"):
        skprob.predict_dist(plain, X)
    # What the documentation says: TransformedTargetRegressor hands
    # return_std to the regressor, then cannot map the (mean, std) it gets.
    with pytest.raises(AttributeError):
        search.best_estimator_.predict(X, return_std=True)
