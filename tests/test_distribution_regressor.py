"""DistributionRegressor: any distribution, checked against references."""

import pickle
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from _real_data import cpunish, randhie, scotland
from scipy import optimize, stats
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import GammaRegressor, PoissonRegressor, QuantileRegressor
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from skprob import DistributionRegressor
from skprob.distributions import DISTRIBUTIONS, StudentT
from skprob.inference import coef_inference
from skprob.models import ParametricModel

# scikit-learn's checks draw targets on the real line, or from 1 up with
# target_tags.positive_only; no tag asks for targets in (0, 1), so nearly
# every check would fit a Beta to targets outside its domain, which it must
# refuse. The Beta's API is tested below on targets in (0, 1) instead.
CHECKED = [name for name in DISTRIBUTIONS if name != "beta"]

# The weight checks fit 15 rows with 30 features: the Laplace's location
# fits every row exactly and its scale, depending on x too, sits at its
# floor. The optimum is then a whole face of least-absolute-deviation fits,
# not a point, and the weighted and the repeated rows end at different
# points of it, whose predictions the checks compare to 1e-7.
LAPLACE_ALL_KINK = {
    check: "the Laplace NLL is not smooth in the location"
    for check in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


def _expected_failures(estimator):
    if estimator.distribution == "laplace" and estimator.predicts == "all":
        return LAPLACE_ALL_KINK
    return {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [DistributionRegressor(name) for name in CHECKED],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Every parameter from x: the same checks again, in the slow set, where the
# half of the suite's time they would add to the default run is spent once.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [DistributionRegressor(name, predicts="all") for name in CHECKED],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator_predicting_every_parameter(estimator, check):
    check(estimator)


# -- references -----------------------------------------------------------


def _laplace_rows(n_samples, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    scale = np.exp(0.5 * X[:, 0])
    return X, X @ [1.0, -2.0, 0.5] + rng.laplace(size=n_samples) * scale


@pytest.mark.parametrize("n_samples", [50, 300, 3000])
def test_laplace_location_is_least_absolute_deviations_without_a_warning(n_samples):
    # The optimum sits on kinks of the NLL (rows fitted exactly), where the
    # gradient does not vanish; the subgradient test certifies it. The
    # reference is the linear program of scikit-learn's QuantileRegressor.
    X, y = _laplace_rows(n_samples)
    lad = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = DistributionRegressor("laplace", alpha=0.0).fit(X, y)
    np.testing.assert_allclose(reg.coef_, lad.coef_, atol=1e-6)
    np.testing.assert_allclose(reg.intercept_, lad.intercept_, atol=1e-6)


def test_laplace_fit_stopped_short_of_its_kinks_still_warns():
    X, y = _laplace_rows(300)
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        DistributionRegressor("laplace", alpha=0.0, max_iter=5).fit(X, y)


def _coefficients(reg):
    return np.r_[reg.intercept_, reg.coef_]


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_poisson_matches_statsmodels_glm_and_sklearn(solver):
    """cpunish: coefficients and standard errors of the Poisson GLM."""
    data = cpunish()
    reference = data.reference.fit()
    reg = DistributionRegressor("poisson", solver=solver).fit(data.X, data.y)
    np.testing.assert_allclose(_coefficients(reg), reference.params, rtol=1e-6)
    sk = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=10000).fit(data.X, data.y)
    np.testing.assert_allclose(_coefficients(reg), _coefficients(sk), rtol=1e-5)
    inference = coef_inference(reg, data.X, data.y)
    np.testing.assert_allclose(inference.bse, reference.bse, rtol=1e-5)
    exog = reference.model.exog[:5]
    mean, std = inference.predict_mean(data.X[:5], return_std=True)
    np.testing.assert_allclose(std, reference.get_prediction(exog).se_mean, rtol=1e-5)


def test_gamma_log_link_matches_statsmodels_glm_and_sklearn():
    """scotland: the mean's coefficients do not depend on the shape."""
    data = scotland()
    reference = data.reference.fit()
    reg = DistributionRegressor("gamma").fit(data.X, data.y)
    np.testing.assert_allclose(_coefficients(reg), reference.params, rtol=1e-6)
    sk = GammaRegressor(alpha=0.0, tol=1e-12, max_iter=10000).fit(data.X, data.y)
    np.testing.assert_allclose(_coefficients(reg), _coefficients(sk), rtol=1e-5)
    # The shape's MLE, as statsmodels' GLM gives it given the mean.
    mu = reference.fittedvalues.to_numpy()
    shape = optimize.minimize_scalar(
        lambda log_k: (
            -stats.gamma.logpdf(data.y, np.exp(log_k), scale=mu / np.exp(log_k)).sum()
        ),
        bounds=(0.0, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    np.testing.assert_allclose(
        reg.constant_params_["shape"], np.exp(shape.x), rtol=1e-5
    )
    # Standard errors: the GLM's at the dispersion 1 / shape of the MLE (its
    # default is Pearson's estimate instead).
    scaled = data.reference.fit(scale=1.0 / reg.constant_params_["shape"])
    inference = coef_inference(reg, data.X, data.y)
    np.testing.assert_allclose(inference.bse, scaled.bse, rtol=1e-6)


def test_negative_binomial_matches_statsmodels_nb2():
    """randhie: coefficients and dispersion alpha of statsmodels' NB2."""
    data = randhie()
    reference = data.reference.fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    reg = DistributionRegressor("negative_binomial").fit(data.X, data.y)
    np.testing.assert_allclose(_coefficients(reg), reference.params[:-1], atol=1e-6)
    np.testing.assert_allclose(
        reg.constant_params_["alpha"], reference.params.iloc[-1], rtol=1e-6
    )
    # The expected information, where statsmodels' discrete model inverts
    # the observed one: the two agree to a few percent here.
    inference = coef_inference(reg, data.X, data.y)
    np.testing.assert_allclose(inference.bse, reference.bse.iloc[:-1], rtol=0.05)


def _nbinom_fit(y):
    """NB2 by scipy.optimize.minimize on scipy's own log-pmf."""

    def nll(params):
        n, p = np.exp(params[0]), expit(params[1])
        return -stats.nbinom.logpmf(y, n, p).sum()

    result = optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-9})
    return np.exp(result.x[0]), expit(result.x[1])


def _tight(func, x0, args=(), disp=0):
    """scipy's default optimizer of ``fit``, with tighter tolerances."""
    return optimize.fmin(func, x0, args=args, disp=disp, xtol=1e-10, ftol=1e-13)


# Intercept-only fits against scipy's MLE on the same data: the true
# distribution to draw from, and scipy's fit of a sample as a distribution.
INTERCEPT_ONLY = {
    "normal": (stats.norm(1.0, 2.0), lambda y: stats.norm(*stats.norm.fit(y))),
    "poisson": (stats.poisson(3.0), lambda y: stats.poisson(y.mean())),
    "negative_binomial": (
        stats.nbinom(2.0, 0.3),
        lambda y: stats.nbinom(*_nbinom_fit(y)),
    ),
    "gamma": (
        stats.gamma(2.5, scale=3.0),
        lambda y: stats.gamma(*stats.gamma.fit(y, floc=0, optimizer=_tight)),
    ),
    "lognormal": (
        stats.lognorm(0.7, scale=5.0),
        lambda y: stats.lognorm(*stats.lognorm.fit(y, floc=0, optimizer=_tight)),
    ),
    "weibull": (
        stats.weibull_min(1.7, scale=2.0),
        lambda y: stats.weibull_min(
            *stats.weibull_min.fit(y, floc=0, optimizer=_tight)
        ),
    ),
    "exponential": (
        stats.expon(scale=4.0),
        lambda y: stats.expon(*stats.expon.fit(y, floc=0, optimizer=_tight)),
    ),
    "laplace": (
        stats.laplace(1.0, 2.0),
        lambda y: stats.laplace(*stats.laplace.fit(y)),
    ),
    "student_t": (
        stats.t(3.0, 1.0, 2.0),
        lambda y: stats.t(*stats.t.fit(y, fix_df=3.0, optimizer=_tight)),
    ),
    "beta": (
        stats.beta(2.0, 5.0),
        lambda y: stats.beta(*stats.beta.fit(y, floc=0, fscale=1, optimizer=_tight)),
    ),
}


@pytest.mark.parametrize("name", list(INTERCEPT_ONLY))
def test_intercept_only_fit_is_scipy_fit(name):
    truth, scipy_fit = INTERCEPT_ONLY[name]
    y = truth.rvs(size=301, random_state=0)
    X = np.zeros((y.size, 1))
    distribution = StudentT(df=3.0) if name == "student_t" else name
    dist = DistributionRegressor(distribution).fit(X, y).predict_dist(X[:1])
    reference = scipy_fit(y)
    points = np.unique(y)[:: max(1, np.unique(y).size // 20)]
    log_density = "logpmf" if hasattr(reference, "logpmf") else "logpdf"
    np.testing.assert_allclose(
        getattr(dist, log_density)(points),
        getattr(reference, log_density)(points),
        rtol=1e-5,
        atol=1e-6,
    )


# -- every parameter depending on x --------------------------------------

# The scipy distribution of each family from its parameters, by name.
SCIPY = {
    "poisson": lambda p: stats.poisson(p["mu"]),
    "negative_binomial": lambda p: stats.nbinom(
        1 / p["alpha"], 1 / (1 + p["alpha"] * p["mu"])
    ),
    "gamma": lambda p: stats.gamma(p["shape"], scale=p["mu"] / p["shape"]),
    "lognormal": lambda p: stats.lognorm(p["s"], scale=p["median"]),
    "weibull": lambda p: stats.weibull_min(p["shape"], scale=p["scale"]),
    "exponential": lambda p: stats.expon(scale=p["mu"]),
    "laplace": lambda p: stats.laplace(p["loc"], p["scale"]),
    "student_t": lambda p: stats.t(3.0, p["loc"], p["scale"]),
    "beta": lambda p: stats.beta(
        p["mean"] * p["precision"], (1 - p["mean"]) * p["precision"]
    ),
    "normal": lambda p: stats.norm(p["loc"], p["scale"]),
}

# Each parameter's inverse link, from the linear predictor.
INVERSE_LINKS = {
    "poisson": {"mu": np.exp},
    "negative_binomial": {"mu": np.exp, "alpha": np.exp},
    "gamma": {"mu": np.exp, "shape": np.exp},
    "lognormal": {"median": np.exp, "s": np.exp},
    "weibull": {"scale": np.exp, "shape": np.exp},
    "exponential": {"mu": np.exp},
    "laplace": {"loc": lambda z: z, "scale": np.exp},
    "student_t": {"loc": lambda z: z, "scale": np.exp},
    "beta": {"mean": expit, "precision": np.exp},
    "normal": {"loc": lambda z: z, "scale": np.exp},
}


def _sample(name, n_samples=400, seed=0):
    """X of two features and y drawn from the family, all parameters varying."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 2))
    links = INVERSE_LINKS[name]
    truth = np.array([[0.5, 0.3, -0.2], [0.4, -0.3, 0.2]])[: len(links)]
    linear = truth[:, 0] + X @ truth[:, 1:].T
    params = {key: link(linear[:, j]) for j, (key, link) in enumerate(links.items())}
    y = SCIPY[name](params).rvs(random_state=rng)
    if name == "beta":
        y = np.clip(y, 1e-6, 1 - 1e-6)
    return X, y


def _scipy_nll(name, X, y):
    links = INVERSE_LINKS[name]

    def nll(flat):
        coef = flat.reshape(len(links), X.shape[1] + 1)
        linear = coef[:, 0] + X @ coef[:, 1:].T
        params = {
            key: link(linear[:, j]) for j, (key, link) in enumerate(links.items())
        }
        dist = SCIPY[name](params)
        log_density = dist.logpmf if hasattr(dist, "logpmf") else dist.logpdf
        return -log_density(y).sum()

    return nll


@pytest.mark.parametrize(
    "name", ["negative_binomial", "gamma", "weibull", "student_t", "beta"]
)
def test_all_parameters_match_scipy_minimize_on_scipy_nll(name):
    """predicts="all" against BFGS on scipy's own log-density, from zero."""
    X, y = _sample(name)
    distribution = StudentT(df=3.0) if name == "student_t" else name
    reg = DistributionRegressor(distribution, predicts="all", tol=1e-9).fit(X, y)
    n_params = len(INVERSE_LINKS[name])
    start = np.zeros(n_params * 3)
    start[::3] = reg.intercept_ + 0.1  # near the optimum: the NLL is not convex
    result = optimize.minimize(
        _scipy_nll(name, X, y), start, method="BFGS", options={"gtol": 1e-8}
    )
    fitted = np.column_stack([reg.intercept_, reg.coef_]).ravel()
    np.testing.assert_allclose(fitted, result.x, atol=1e-4)
    assert reg.loss_ * y.size <= result.fun + 1e-6 * abs(result.fun)


@pytest.mark.parametrize("name", list(SCIPY))
@pytest.mark.parametrize("predicts", ["location", "all"])
def test_predict_dist_is_scipy_distribution_of_fitted_parameters(name, predicts):
    X, y = _sample(name, n_samples=200)
    distribution = StudentT(df=3.0) if name == "student_t" else name
    reg = DistributionRegressor(distribution, predicts=predicts).fit(X, y)
    links = INVERSE_LINKS[name]
    linear = reg.intercept_ + X @ np.transpose(reg.coef_)
    linear = linear.reshape(len(y), -1)
    params = {}
    for j, (key, link) in enumerate(links.items()):
        if j < linear.shape[1]:
            params[key] = link(linear[:, j])
        else:
            params[key] = np.full(len(y), reg.constant_params_[key])
    reference = SCIPY[name](params)
    dist = reg.predict_dist(X)
    log_density = "logpmf" if hasattr(reference, "logpmf") else "logpdf"
    np.testing.assert_allclose(
        getattr(dist, log_density)(y), getattr(reference, log_density)(y), rtol=1e-9
    )
    mean = reg.predict(X)
    np.testing.assert_allclose(mean, reference.mean(), rtol=1e-9)


# -- the API, beyond scikit-learn's checks ---------------------------------


def test_domain_error_names_distribution_and_values():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"Poisson is a distribution .*: -2"):
        DistributionRegressor("poisson").fit(X, [0, 1, -2, 3])
    with pytest.raises(ValueError, match=r"Beta is .*\(0, 1\).*: 0, 1\.$"):
        DistributionRegressor("beta").fit(X, [0.5, 0.0, 1.0, 0.2])
    reg = DistributionRegressor("gamma").fit(X, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="Gamma is a distribution over the positive"):
        reg.partial_fit(X, [1.0, -1.0, 2.0, 3.0])


def test_beta_api_on_its_domain():
    """What the scikit-learn checks cannot test for the Beta."""
    X, y = _sample("beta", n_samples=300)
    weight = np.random.default_rng(1).integers(0, 3, size=y.size)
    reg = DistributionRegressor("beta", tol=1e-10)
    weighted = clone(reg).fit(X, y, sample_weight=weight)
    repeated = clone(reg).fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6)
    restored = pickle.loads(pickle.dumps(weighted))
    np.testing.assert_array_equal(restored.predict(X), weighted.predict(X))
    assert weighted.constant_params_.keys() == {"precision"}


def test_hyper_parameters_of_the_distribution_are_searchable():
    X, y = _sample("student_t", n_samples=300)
    search = GridSearchCV(
        DistributionRegressor(StudentT()),
        {"distribution__df": [1.0, 3.0, 30.0]},
        scoring=lambda est, X, y: est.predict_dist(X).logpdf(y).mean(),
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"distribution__df": 3.0}


@pytest.mark.parametrize("name", ["poisson", "negative_binomial", "gamma", "beta"])
def test_float32_fit_matches_float64(name):
    X, y = _sample(name)
    reg32 = DistributionRegressor(name).fit(X.astype(np.float32), y)
    reg64 = DistributionRegressor(name).fit(X, y)
    assert reg32.coef_.dtype == np.float32
    np.testing.assert_allclose(reg32.coef_, reg64.coef_, atol=2e-4)
    np.testing.assert_allclose(
        reg32.predict(X.astype(np.float32)), reg64.predict(X), rtol=1e-3
    )


def test_partial_fit_reaches_fit():
    X, y = _sample("negative_binomial", n_samples=600)
    full = DistributionRegressor("negative_binomial").fit(X, y)
    online = DistributionRegressor("negative_binomial", solver="adam", random_state=0)
    for _ in range(60):
        for chunk in np.array_split(np.arange(y.size), 3):
            online.partial_fit(X[chunk], y[chunk])
    np.testing.assert_allclose(online.coef_, full.coef_, atol=0.02)
    np.testing.assert_allclose(
        online.constant_params_["alpha"], full.constant_params_["alpha"], rtol=0.1
    )


def test_network_predicts_location_with_constant_dispersion():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(2000, 1))
    mu = np.exp(1.0 + np.sin(2 * X[:, 0]))
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    # The fit to its end: early stopping, on by default, stops this one
    # within 0.3 of the truth, not 0.25.
    reg = DistributionRegressor(
        "negative_binomial",
        hidden_layer_sizes=(16,),
        early_stopping=False,
        random_state=0,
    ).fit(X, y)
    assert len(reg.coefs_) == 2 and reg.coefs_[-1].shape == (16, 1)
    grid = np.linspace(-1.5, 1.5, 7)[:, None]
    np.testing.assert_allclose(
        np.log(reg.predict(grid)), 1.0 + np.sin(2 * grid[:, 0]), atol=0.25
    )
    assert 0.3 < reg.constant_params_["alpha"] < 0.7


def test_model_of_your_own_predicts_the_location():
    class Exponential(ParametricModel):
        """log mu = a + b exp(c x)."""

        n_params = 3

        def init_params(self, raw_intercept, random_state):
            return np.array([raw_intercept[0], 0.1, 0.1])

        def predict_raw(self, params, X):
            a, b, c = params
            return (a + b * np.exp(c * X[:, 0]))[:, None]

        def jacobian(self, params, X):
            _, b, c = params
            grow = np.exp(c * X[:, 0])
            return np.column_stack([np.ones(len(X)), grow, b * X[:, 0] * grow])

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(3000, 1))
    y = rng.poisson(np.exp(0.5 + 0.8 * np.exp(0.7 * X[:, 0])))
    reg = DistributionRegressor("poisson", model=Exponential()).fit(X, y)
    np.testing.assert_allclose(reg.params_, [0.5, 0.8, 0.7], atol=0.15)
    gamma = DistributionRegressor("gamma", model=Exponential()).fit(X, y + 1.0)
    assert gamma.params_.shape == (3,) and "shape" in gamma.constant_params_


class _LinearFormula(ParametricModel):
    """The linear predictor as a formula of one's own: no hessian, a jacobian."""

    n_params = 4

    def init_params(self, raw_intercept, random_state):
        return np.r_[raw_intercept[0], np.zeros(3)]

    def predict_raw(self, params, X):
        return params[0] + X @ params[1:]

    def jacobian(self, params, X):
        return np.column_stack([np.ones(len(X)), X])


@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs"])
def test_model_of_your_own_with_constants_reaches_statsmodels_nb2(solver):
    """Gauss-Newton (auto, newton) and lbfgs on a formula with a dispersion."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(800, 3))
    mu = np.exp(0.4 + X @ [0.3, -0.2, 0.1])
    y = rng.negative_binomial(1 / 0.6, 1 / (1 + 0.6 * mu))
    reference = sm.NegativeBinomial(y, sm.add_constant(X)).fit(
        method="newton", tol=1e-12, maxiter=100, disp=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = DistributionRegressor(
            "negative_binomial", model=_LinearFormula(), solver=solver
        ).fit(X, y)
    np.testing.assert_allclose(reg.params_, reference.params[:-1], atol=1e-5)
    np.testing.assert_allclose(
        reg.constant_params_["alpha"], reference.params[-1], rtol=1e-4
    )


def test_inference_refuses_what_it_cannot_do():
    X, y = _sample("lognormal")
    reg = DistributionRegressor("lognormal").fit(X, y)
    with pytest.raises(ValueError, match="depends on parameters other than"):
        coef_inference(reg, X, y).predict_mean(X)
    net = DistributionRegressor("poisson", hidden_layer_sizes=(4,), max_iter=5)
    with pytest.warns(Warning):
        net.fit(*_sample("poisson"))
    with pytest.raises(ValueError, match="linear model"):
        coef_inference(net, *_sample("poisson"))


@pytest.mark.dask
def test_dask_fit_matches_in_memory_fit():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X, y = _sample("negative_binomial", n_samples=1500)
    # No dashboard on a fixed port: another cluster on the machine may hold it.
    with distributed.Client(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ):
        lazy_X, lazy_y = da.from_array(X, chunks=500), da.from_array(y, chunks=500)
        for name, target in [("negative_binomial", y), ("gamma", y + 1.0)]:
            memory = DistributionRegressor(name).fit(X, target)
            lazy_target = da.from_array(target, chunks=500)
            cluster = DistributionRegressor(name).fit(lazy_X, lazy_target)
            np.testing.assert_allclose(cluster.coef_, memory.coef_, atol=1e-7)
            np.testing.assert_allclose(
                list(cluster.constant_params_.values()),
                list(memory.constant_params_.values()),
                rtol=1e-6,
            )
        with pytest.raises(ValueError, match="Poisson is a distribution"):
            DistributionRegressor("poisson").fit(lazy_X, -lazy_y)


def _network_raw(reg, X):
    """The raw outputs of a fitted ReLU network on y's scale, from its layers."""
    hidden = X
    for coef, intercept in zip(reg.coefs_[:-1], reg.intercepts_[:-1], strict=True):
        hidden = np.maximum(hidden @ coef + intercept, 0.0)
    return hidden @ reg.coefs_[-1] + reg.intercepts_[-1]


@pytest.mark.parametrize(
    "name", ["laplace", "student_t", "lognormal", "gamma", "weibull", "beta"]
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_network_predicts_no_spread_narrower_than_on_its_training_rows(name):
    """Far from the training rows, the spread stops at its narrowest fitted.

    The scale at the smallest, the shape or precision at the largest the
    network gives a training row; the training rows' predictions are the
    network's own.
    """
    X, y = _sample(name, n_samples=300)
    reg = DistributionRegressor(
        name,
        predicts="all",
        hidden_layer_sizes=(16,),
        activation="relu",
        random_state=0,
    ).fit(X, y)
    distribution, column = reg.distribution_, reg.distribution_.spread_output
    raw = _network_raw(reg, X)
    quantiles = [0.05, 0.5, 0.95]

    def assert_predicts(X_new, raw_new):
        # Far rows may get spreads so wide that their quantiles overflow
        # (to inf, or nan from 0 * inf), in both alike.
        with np.errstate(over="ignore", invalid="ignore"):
            got = reg.predict_dist(X_new).ppf(np.array(quantiles)[:, None])
            want = distribution.frozen(raw_new).ppf(np.array(quantiles)[:, None])
        np.testing.assert_allclose(got, want, rtol=1e-8)

    assert_predicts(X, raw)
    directions = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    X_far = np.concatenate([scale * directions for scale in (-1e3, -40, 40, 1e3)])
    raw_far = _network_raw(reg, X_far)
    spread = distribution._clamp(raw)[0][:, column]
    if distribution._spread_collapses_upward():
        narrowest = spread.max()
        bounded = np.minimum(raw_far[:, column], narrowest)
    else:
        narrowest = spread.min()
        bounded = np.maximum(raw_far[:, column], narrowest)
    assert np.any(bounded != raw_far[:, column])  # some far row is bounded
    raw_far[:, column] = bounded
    assert_predicts(X_far, raw_far)


def test_count_network_beside_fitted_constants_stops_early_by_default():
    """A negative binomial network, predicts="location", on 400 rows of randhie.

    Its dispersion is a fitted constant beside the network. Fitted to the
    end, the network drives the mean of zero-count training rows towards 0
    (the likelihood's supremum there), and held-out rows near them get
    means of 1e-22 or less: an infinite NLL for any visit. Early stopping,
    on for every network by default, stops it before that.
    """
    data = randhie()
    rows = np.random.default_rng(0).choice(len(data.y), 400, replace=False)
    X, y = np.asarray(data.X)[rows], data.y[rows]
    reg = DistributionRegressor(
        "negative_binomial", hidden_layer_sizes=(64, 64), random_state=0
    )
    linear = DistributionRegressor("negative_binomial")
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            reg.fit(X[train], y[train])
        assert reg.validation_scores_ is not None
        nll = -reg.predict_dist(X[test]).logpmf(y[test]).mean()
        linear_nll = (
            -linear.fit(X[train], y[train]).predict_dist(X[test]).logpmf(y[test]).mean()
        )
        assert nll < linear_nll + 0.5
