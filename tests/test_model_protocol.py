"""The public model protocol: model objects, models of one's own, checks.

The estimators take ``model=`` as they take ``solver=``: these tests check
that model objects behave as scikit-learn parameter objects, that a model
written with :class:`~skprob.models.ParametricModel` fits to the optimum that
SciPy reaches on the same objective, and that bad models get clear errors
naming them.
"""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import curve_fit, minimize
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob._base import AUTO_NEWTON_PARAMS
from skprob.inference import coef_inference
from skprob.metrics import neg_gaussian_nll_scorer
from skprob.models import (
    MLP,
    Concatenate,
    LinearModel,
    ParametricModel,
    check_model,
)


class Gabor(ParametricModel):
    """Prince's Gabor model, f = sin(p) exp(-p^2 / 32), p = phi0 + 0.06 phi1 x.

    S. J. D. Prince, Understanding Deep Learning (MIT Press, 2023), chapter 6.
    """

    n_params = 2

    def __init__(self, start=(0.0, 10.0)):
        self.start = start

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, dtype=float)

    def predict_raw(self, params, X):
        return gabor(X[:, 0], *params)

    def jacobian(self, params, X):
        phase = params[0] + 0.06 * params[1] * X[:, 0]
        envelope = np.exp(-(phase**2) / 32.0)
        d_phase = envelope * (np.cos(phase) - phase / 16.0 * np.sin(phase))
        return np.column_stack([d_phase, 0.06 * X[:, 0] * d_phase])


def gabor(x, phi0, phi1):
    phase = phi0 + 0.06 * phi1 * x
    return np.sin(phase) * np.exp(-(phase**2) / 32.0)


class Affine(ParametricModel):
    """The linear model written by hand, for any number of raw outputs."""

    def __init__(self, penalize_intercept=False):
        self.penalize_intercept = penalize_intercept

    @property
    def n_params(self):
        return (self.n_features_in_ + 1) * self.n_outputs_

    @property
    def penalty_mask(self):
        mask = np.ones((self.n_features_in_ + 1, self.n_outputs_))
        mask[-1] = float(self.penalize_intercept)
        return mask.ravel()

    def init_params(self, raw_intercept, random_state):
        params = np.zeros((self.n_features_in_ + 1, self.n_outputs_))
        params[-1] = raw_intercept
        return params.ravel()

    def predict_raw(self, params, X):
        theta = params.reshape(self.n_features_in_ + 1, self.n_outputs_)
        return X @ theta[:-1] + theta[-1]

    def jacobian(self, params, X):
        n_samples, k = X.shape[0], self.n_outputs_
        augmented = np.column_stack([X, np.ones(n_samples)])
        jacobian = np.zeros((n_samples, k, self.n_features_in_ + 1, k))
        for output in range(k):
            jacobian[:, output, :, output] = augmented
        return jacobian.reshape(n_samples, k, -1)


@pytest.fixture(scope="module")
def gabor_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-15.0, 15.0, size=60)
    y = gabor(x, 0.0, 12.0) + rng.normal(scale=0.1, size=x.size)
    return x[:, None], y


def _relative_gap(params, reference):
    return np.linalg.norm(params - reference) / np.linalg.norm(reference)


# -- model objects are scikit-learn parameter objects -------------------------


def test_models_clone_and_expose_nested_parameters():
    model = Concatenate([("mean", MLP((8,), "tanh")), ("log_scale", LinearModel())])
    params = model.get_params()
    assert params["mean__hidden_layer_sizes"] == (8,)
    assert params["mean__activation"] == "tanh"
    model.set_params(mean__hidden_layer_sizes=(3, 2))
    assert model.models[0][1].hidden_layer_sizes == (3, 2)
    copy = clone(model)
    assert copy.models[0][1] is not model.models[0][1]
    assert copy.get_params()["mean__hidden_layer_sizes"] == (3, 2)


def test_estimator_fits_a_clone_and_never_builds_the_given_model():
    X, y = np.random.default_rng(0).normal(size=(50, 3)), np.arange(50.0)
    model = MLP((4,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 5 epochs
        GaussianRegressor(model=model, max_iter=5).fit(X, y)
    assert not hasattr(model, "n_features_in_")


@pytest.mark.parametrize(
    "model, n_outputs",
    [
        (LinearModel(), 1),
        (LinearModel(), 3),
        (MLP((5,), "tanh"), 2),
        (MLP((4, 3), "logistic"), 1),
        (Concatenate([("a", MLP((3,), "tanh")), ("b", LinearModel())]), 4),
        (Gabor(), 1),
        (Affine(), 3),
    ],
)
def test_check_model_passes_correct_models(model, n_outputs):
    X = np.random.default_rng(1).normal(size=(7, 1 if isinstance(model, Gabor) else 3))
    check_model(model, X, n_outputs)


@settings(max_examples=20, deadline=None)
@given(
    n_features=st.integers(1, 4),
    n_outputs=st.integers(1, 3),
    n_hidden=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_check_model_passes_built_in_models_of_any_shape(
    n_features, n_outputs, n_hidden, seed
):
    X = np.random.default_rng(seed).normal(size=(5, n_features))
    check_model(LinearModel(), X, n_outputs, random_state=seed)
    check_model(MLP((n_hidden,), "tanh"), X, n_outputs, random_state=seed)


# -- bad models are caught, and named ------------------------------------------


class WrongJacobian(Gabor):
    def jacobian(self, params, X):
        return 1.01 * super().jacobian(params, X)


class WrongJacobianShape(Gabor):
    def jacobian(self, params, X):
        return super().jacobian(params, X)[:, :1]


class TwoOutputs(Gabor):
    def predict_raw(self, params, X):
        return np.column_stack([gabor(X[:, 0], *params)] * 2)


class NonFinite(Gabor):
    def predict_raw(self, params, X):
        return np.where(X[:, 0] > 0.0, params[0], np.nan)


class WrongGradientLength(Gabor):
    def backward(self, params, cache, grad_raw):
        return np.zeros(3)


class WrongStart(Gabor):
    def init_params(self, raw_intercept, random_state):
        return np.zeros(3)


def test_check_model_catches_a_wrong_gradient(gabor_data):
    X, _ = gabor_data
    with pytest.raises(AssertionError, match=r"WrongJacobian\(\)\.backward disagrees"):
        check_model(WrongJacobian(), X[:10])


@pytest.mark.parametrize(
    "model, message",
    [
        (
            WrongJacobianShape(),
            r"WrongJacobianShape\(\)\.jacobian returned .* \(10, 1\)",
        ),
        (TwoOutputs(), r"TwoOutputs\(\) returned raw outputs of shape \(10, 2\)"),
        (NonFinite(), r"NonFinite\(\) returned non-finite raw outputs"),
        (WrongGradientLength(), r"\.backward returned an array of shape \(3,\)"),
        (WrongStart(), r"WrongStart\(\)\.init_params returned an array of shape"),
    ],
)
def test_check_model_names_the_model_and_the_fault(gabor_data, model, message):
    X, _ = gabor_data
    with pytest.raises((AssertionError, ValueError), match=message):
        check_model(model, X[:10])


@pytest.mark.parametrize(
    "estimator, message",
    [
        (
            GaussianRegressor(model=TwoOutputs()),
            r"TwoOutputs\(\) returned raw outputs of shape \(60, 2\); the "
            r"estimator needs \(60, 1\).*1 raw output per target: the mean",
        ),
        (
            HeteroscedasticRegressor(model=Gabor()),
            r"Gabor\(\) returned raw outputs of shape \(60, 1\).*\(60, 2\).*"
            r"Concatenate",
        ),
        (GaussianRegressor(model=NonFinite()), r"NonFinite\(\) returned non-finite"),
        (
            GaussianRegressor(model=WrongGradientLength()),
            r"WrongGradientLength\(\)\.backward returned an array of shape \(3,\)",
        ),
        (
            GaussianRegressor(model=WrongStart()),
            r"WrongStart\(\)\.init_params returned an array of shape \(3,\)",
        ),
        (
            GaussianRegressor(model=WrongJacobian()),
            r"WrongJacobian\(\)\.backward disagrees with finite differences.*"
            r"check_model",
        ),
        (
            GaussianRegressor(model=WrongJacobianShape()),
            r"WrongJacobianShape\(\)\.jacobian returned an array of shape",
        ),
    ],
)
def test_fit_refuses_bad_models_by_name_and_keeps_the_estimator(
    gabor_data, estimator, message
):
    X, y = gabor_data
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, y)
    good = Gabor()
    if isinstance(estimator, HeteroscedasticRegressor):
        good = Concatenate([("mean", good), ("log_scale", LinearModel())])
    fitted = clone(estimator).set_params(model=good).fit(X, y)
    before = fitted.params_.copy()
    with pytest.raises(ValueError, match=message):
        fitted.set_params(model=estimator.model).fit(X, y)
    np.testing.assert_array_equal(fitted.params_, before)


def test_model_and_hidden_layer_sizes_conflict_is_an_error():
    X, y = np.ones((10, 2)), np.arange(10.0)
    with pytest.raises(ValueError, match="replaces hidden_layer_sizes and activation"):
        GaussianRegressor(model=MLP((3,)), hidden_layer_sizes=(5,)).fit(X, y)


def test_newton_refuses_a_network_and_inference_a_model_of_ones_own(gabor_data):
    X, y = gabor_data
    with pytest.raises(ValueError, match="solver='newton' needs the Hessian"):
        GaussianRegressor(model=MLP((3,)), solver="newton").fit(X, y)
    model = Concatenate([("mean", Gabor()), ("log_scale", LinearModel())])
    reg = HeteroscedasticRegressor(model=model).fit(X, y)
    with pytest.raises(ValueError, match=r"linear model or a ParametricModel.*Conc"):
        coef_inference(reg, X, y)


# -- models of one's own fit to the optimum ------------------------------------


def test_gabor_reaches_the_optimum_of_curve_fit(gabor_data):
    X, y = gabor_data
    reference = curve_fit(
        gabor, X[:, 0], y, p0=(0.0, 10.0), xtol=1e-15, ftol=1e-15, gtol=1e-15
    )[0]
    for solver, tol in [("auto", 1e-7), ("gd", 1e-9), ("sgd", 1e-9)]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reg = GaussianRegressor(
                model=Gabor(), solver=solver, tol=tol, random_state=0
            ).fit(X, y)
        assert _relative_gap(reg.params_, reference) < 1e-6, solver
    assert reg.sigma_ == pytest.approx(
        np.sqrt(np.mean((gabor(X[:, 0], *reference) - y) ** 2)), rel=1e-6
    )
    mean, std = reg.predict(X[:3], return_std=True)
    np.testing.assert_allclose(mean, gabor(X[:3, 0], *reference), rtol=1e-5)
    np.testing.assert_allclose(std, reg.sigma_)


def test_auto_solver_follows_the_models_stopping():
    assert GaussianRegressor(model=Gabor())._solver_name() == "newton"
    assert GaussianRegressor(model=MLP())._solver_name() == "adam"
    mixed = Concatenate([("mean", MLP()), ("log_scale", LinearModel())])
    assert HeteroscedasticRegressor(model=mixed)._solver_name() == "adam"
    formula = Concatenate([("mean", Gabor()), ("log_scale", LinearModel())])
    assert HeteroscedasticRegressor(model=formula)._solver_name() == "newton"
    # Past AUTO_NEWTON_PARAMS parameters, a model of one's own gets L-BFGS.
    large = Affine().build(n_features=AUTO_NEWTON_PARAMS, n_outputs=1)
    assert GaussianRegressor(model=Affine())._solver_name(large) == "lbfgs"


def test_custom_mean_in_a_heteroscedastic_regressor_matches_scipy():
    rng = np.random.default_rng(1)
    x = rng.uniform(-15.0, 15.0, size=400)
    y = gabor(x, 0.0, 12.0) + np.exp(-3.0 + 0.08 * x) * rng.normal(size=x.size)
    model = Concatenate([("mean", Gabor((0.0, 11.0))), ("log_scale", LinearModel())])
    reg = HeteroscedasticRegressor(model=model).fit(x[:, None], y)

    def nll(params):
        mean = gabor(x, *params[:2])
        log_scale = params[2] * x + params[3]
        return np.mean(log_scale + 0.5 * (y - mean) ** 2 * np.exp(-2 * log_scale))

    start = np.array([0.0, 11.0, 0.0, np.log(y.std())])
    reference = minimize(nll, start, method="BFGS", options={"gtol": 1e-10}).x
    assert _relative_gap(reg.params_, reference) < 1e-5
    _, std = reg.predict(np.array([[-10.0], [10.0]]), return_std=True)
    np.testing.assert_allclose(
        std, np.exp(reference[2] * np.array([-10.0, 10.0]) + reference[3]), rtol=1e-5
    )


def test_a_model_of_ones_own_fits_y_unstandardized():
    """The hand-written linear model equals LinearRegression on any scale."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 3))
    y = 1e4 * (X @ [1.0, -2.0, 0.5]) + 3e5 + 1e3 * rng.normal(size=80)
    reg = GaussianRegressor(model=Affine(), tol=1e-6).fit(X, y)
    ols = LinearRegression().fit(X, y)
    np.testing.assert_allclose(reg.params_[:-1], ols.coef_, rtol=1e-8)
    np.testing.assert_allclose(reg.params_[-1], ols.intercept_, rtol=1e-8)


@pytest.mark.parametrize("solver", ["auto", "sgd"])
def test_custom_classifier_model_equals_the_built_in_one(solver):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = np.argmax(
        X @ [[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]] + rng.gumbel(size=(300, 3)), 1
    )
    kwargs = dict(alpha=1e-2, solver=solver, random_state=0)
    custom = SoftmaxClassifier(model=Affine(), **kwargs).fit(X, y)
    built_in = SoftmaxClassifier(**kwargs).fit(X, y)
    np.testing.assert_allclose(
        custom.predict_proba(X), built_in.predict_proba(X), rtol=1e-5, atol=1e-8
    )
    binary = y == 1
    custom = BernoulliClassifier(model=Affine(), **kwargs).fit(X, binary)
    built_in = BernoulliClassifier(**kwargs).fit(X, binary)
    np.testing.assert_allclose(
        custom.predict_proba(X), built_in.predict_proba(X), rtol=1e-5, atol=1e-8
    )


def test_grid_search_over_the_models_own_parameter(gabor_data):
    """Starts in the wrong valley lose to the one in the global minimum's."""
    X, y = gabor_data
    search = GridSearchCV(
        GaussianRegressor(model=Gabor()),
        {"model__start": [(0.0, 4.0), (0.0, 10.0), (0.0, 20.0)]},
        scoring=neg_gaussian_nll_scorer,
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"model__start": (0.0, 10.0)}
    assert search.best_estimator_.params_[1] == pytest.approx(12.16, abs=0.01)


def test_grid_search_over_a_built_in_models_parameters():
    rng = np.random.default_rng(4)
    X = rng.uniform(-3, 3, size=(200, 1))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=200)
    search = GridSearchCV(
        # Fitted to the end: on 133 rows, one full-batch Adam step per
        # epoch, early stopping's 14 held-out rows end the tanh network's
        # fit at their first plateau (R^2 0.64 to 0.74 on the other folds),
        # while Adam still oscillates on its way to the sine (0.90 to 0.98).
        GaussianRegressor(
            model=MLP((1,)), max_iter=300, early_stopping=False, random_state=0
        ),
        {"model__hidden_layer_sizes": [(1,), (32,)], "model__activation": ["tanh"]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits of the 1-unit network
        search.fit(X, y)
    assert search.best_params_["model__hidden_layer_sizes"] == (32,)
    assert [c.shape for c in search.best_estimator_.coefs_] == [(1, 32), (32, 1)]


# -- the rest of the API with model objects ------------------------------------


def test_warm_start_and_partial_fit_continue_the_same_model_only(gabor_data):
    X, y = gabor_data
    reg = GaussianRegressor(model=Gabor(), warm_start=True).fit(X, y)
    first = reg.params_.copy()
    reg.fit(X, y)
    np.testing.assert_allclose(reg.params_, first, rtol=1e-6)
    assert reg.n_iter_ <= 2
    with pytest.raises(ValueError, match="The model changed since the last fit"):
        reg.set_params(model=Affine()).fit(X, y)
    net = GaussianRegressor(model=MLP((3,)), random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="The model changed"):
        net.set_params(model=MLP((3,), "tanh")).partial_fit(X, y)
    online = GaussianRegressor(model=Gabor(), random_state=0)
    for _ in range(3):
        online.partial_fit(X, y)
    assert online.n_iter_ == 3 and online.params_.shape == (2,)


def test_fitted_attributes_follow_the_model(gabor_data):
    X, y = gabor_data
    reg = GaussianRegressor().fit(X, y)
    assert hasattr(reg, "coef_") and not hasattr(reg, "params_")
    reg.set_params(model=Gabor()).fit(X, y)
    assert hasattr(reg, "params_") and not hasattr(reg, "coef_")
    reg.set_params(model=MLP((2,))).fit(X, y)
    assert hasattr(reg, "coefs_") and not hasattr(reg, "params_")


def test_estimators_with_model_objects_survive_pickle(gabor_data):
    X, y = gabor_data
    model = Concatenate([("mean", Gabor()), ("log_scale", LinearModel())])
    reg = HeteroscedasticRegressor(model=model).fit(X, y)
    loaded = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.get_params()["model__mean__start"] == (0.0, 10.0)


def test_skops_trusts_only_the_estimator_for_built_in_models():
    sio = pytest.importorskip("skops.io")
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40.0)
    model = Concatenate([("mean", MLP((3,))), ("log_scale", LinearModel())])
    reg = HeteroscedasticRegressor(model=model, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    dumped = sio.dumps(reg)
    assert sio.get_untrusted_types(data=dumped) == [
        "skprob.regression.HeteroscedasticRegressor"
    ]
    loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


# -- the scikit-learn contract holds with model objects ------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        GaussianRegressor(model=Affine()),
        HeteroscedasticRegressor(
            model=Concatenate([("mean", Affine()), ("log_scale", LinearModel())])
        ),
        BernoulliClassifier(model=Affine()),
        SoftmaxClassifier(model=Affine(), solver="sgd"),
    ]
)
def test_sklearn_compatible_with_model_objects(estimator, check):
    check(estimator)
