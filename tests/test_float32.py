"""float32 end to end: a fit on float32 X computes, keeps and returns float32.

As scikit-learn's MLP and Ridge do, float32 X gives float32 parameters,
solver state and outputs; float64 and integer X give float64. The loss is
summed in float64 whatever the precision, and the gradient test of a float32
fit takes a tol no smaller than float32 can certify (``gradient_tol``).
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _problems import make_data
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob._training import (
    Objective,
    full_batch_objective,
    gradient_tol,
)
from skprob.distributions import Bernoulli, Categorical, HeteroscedasticNormal
from skprob.models import MLP, LinearModel, ParametricModel
from skprob.solvers import SOLVERS, make_solver

ESTIMATORS = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]
ALL_SOLVERS = list(SOLVERS)


def _data(estimator_class, n_samples=600, seed=0):
    X, y = make_data(estimator_class, n_samples, seed)
    return X, y


def _outputs(estimator, X):
    """Every array a user reads off a fitted estimator, by name."""
    outputs = {}
    for name in ("coef_", "intercept_", "sigma_"):
        if hasattr(estimator, name):
            outputs[name] = getattr(estimator, name)
    for name in ("coefs_", "intercepts_"):
        for layer, array in enumerate(getattr(estimator, name, [])):
            outputs[f"{name}[{layer}]"] = array
    if is_classifier(estimator):
        outputs["predict_proba"] = estimator.predict_proba(X)
        outputs["predict_log_proba"] = estimator.predict_log_proba(X)
        outputs["decision_function"] = estimator.decision_function(X)
        dist = estimator.predict_dist(X)
        # A OneHotCategorical's p, or scipy.stats.bernoulli(p)'s.
        outputs["predict_dist"] = dist.p if hasattr(dist, "p") else dist.args[0]
    else:
        mean, std = estimator.predict(X, return_std=True)
        outputs["predict"] = estimator.predict(X)
        outputs["predict mean"], outputs["predict std"] = mean, std
        dist = estimator.predict_dist(X)
        outputs["predict_dist loc"] = dist.kwds["loc"]
        outputs["predict_dist scale"] = dist.kwds["scale"]
    return outputs


def _dtype(value):
    return np.asarray(value).dtype


@pytest.mark.parametrize("hidden", [(), (4,)], ids=["linear", "mlp"])
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
    ],
    ids=["float32", "float64", "int64"],
)
def test_outputs_have_the_precision_of_X(estimator_class, hidden, dtype, expected):
    X, y = _data(estimator_class, 200)
    X = (10 * X).astype(dtype)
    estimator = estimator_class(hidden_layer_sizes=hidden, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    assert estimator._training.params.dtype == expected
    for name, value in _outputs(estimator, X[:20]).items():
        assert _dtype(value) == expected, name
    if estimator_class is GaussianRegressor and not hidden:
        # Scalars: Python floats after a float64 fit, as before.
        scalar_type = np.float32 if expected == np.float32 else float
        assert type(estimator.intercept_) is scalar_type
        assert type(estimator.sigma_) is scalar_type


# Short fits: their convergence is not under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_predictions_take_the_precision_of_X_and_the_parameters(estimator_class):
    """As scikit-learn's MLP: float32 outputs only when both are float32."""
    X, y = _data(estimator_class, 200)
    fit32 = estimator_class(max_iter=30).fit(X.astype(np.float32), y)
    fit64 = estimator_class(max_iter=30).fit(X, y)
    method = "predict_proba" if is_classifier(fit32) else "predict"
    assert getattr(fit32, method)(X).dtype == np.float64
    assert getattr(fit64, method)(X.astype(np.float32)).dtype == np.float64


def _largest_gradient_in_float64(estimator, X, y):
    """The largest gradient component of a fit's objective, in float64."""
    distribution = estimator._make_distribution(estimator._target)
    objective = Objective(distribution, estimator._model, estimator.alpha)
    codes = estimator._encode_target(y, estimator._target)
    full = full_batch_objective(objective, X, codes, np.ones(len(y)))
    return np.abs(full(estimator._training.params.astype(np.float64))[1]).max()


def _fit_recording_warnings(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    return [str(w.message) for w in caught if w.category is ConvergenceWarning]


@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_float32_fit_keeps_the_contract_and_agrees_with_float64(
    estimator_class, solver
):
    """A float32 fit is at the optimum up to float32's tol, or says it is not.

    Without a warning, its largest gradient component is at most
    ``gradient_tol`` (1.2e-5) in float32, and in float64 at the same
    parameters within rounding of that; its parameters are then within
    about that over the smallest curvature (above 0.05 here, standardized
    features) of the float64 fit's, so that predictions of unit scale agree
    to 1e-3, four times the bound. A first-order solver may stall above the
    floor, where float32's rounding hides its progress: it then warns, and
    names the floor.
    """
    X, y = _data(estimator_class, 2000)
    fit64 = estimator_class(solver=solver, random_state=0)
    fit32 = clone(fit64)
    warned64 = _fit_recording_warnings(fit64, X, y)
    warned32 = _fit_recording_warnings(fit32, X.astype(np.float32), y)
    assert fit32.coef_.dtype == np.float32
    floor = gradient_tol(fit32.tol, np.float32)
    gradient = _largest_gradient_in_float64(fit32, X, y)
    if warned32:
        assert "floor of tol in float32" in warned32[0]
        assert gradient > floor
        return
    assert gradient < 2 * floor
    if warned64:
        return
    if is_classifier(fit64):
        np.testing.assert_allclose(
            fit32.predict_proba(X), fit64.predict_proba(X), atol=1e-3
        )
    else:
        scale = np.std(y)
        for got, expected in zip(
            fit32.predict(X, return_std=True),
            fit64.predict(X, return_std=True),
            strict=True,
        ):
            np.testing.assert_allclose(got / scale, expected / scale, atol=1e-3)


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_default_float32_fit_converges_without_warning(estimator_class):
    """The default solver (L-BFGS for a linear model) reaches float32's tol."""
    X, y = _data(estimator_class, 2000, seed=1)
    estimator = estimator_class()
    assert not _fit_recording_warnings(estimator, X.astype(np.float32), y)
    assert estimator.coef_.dtype == np.float32


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_network_starts_where_its_float64_twin_starts(estimator_class):
    """A network's fit is chaotic; its start, drawn in float64, is shared."""
    X, y = _data(estimator_class, 300)
    losses = {}
    for dtype in (np.float64, np.float32):
        estimator = estimator_class(
            hidden_layer_sizes=(8,), solver="gd", max_iter=1, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X.astype(dtype), y)
        assert estimator.coefs_[0].dtype == dtype
        losses[dtype] = estimator.loss_curve_[0]
    assert losses[np.float32] == pytest.approx(losses[np.float64], rel=1e-6)


OBJECTIVES = {
    "bernoulli-linear": (Bernoulli(), LinearModel().build(20, 1), "binary"),
    "categorical-mlp": (Categorical(4), MLP((16,), "tanh").build(20, 4), "classes"),
    "heteroscedastic-mlp": (HeteroscedasticNormal(), MLP((16,)).build(20, 2), "real"),
}


@pytest.mark.parametrize("name", OBJECTIVES)
def test_float32_objective_sums_its_loss_in_float64(name):
    """Over many rows a float32 accumulator drifts; the float64 sum does not.

    The per-sample NLLs are rounded in float32 (relative error 6e-8 each),
    so the mean of 200 000 of them is exact to about that relative error;
    a sum accumulated in float32 would be off by far more.
    """
    distribution, model, target = OBJECTIVES[name]
    rng = np.random.default_rng(0)
    n_samples = 200_000
    X = rng.normal(size=(n_samples, 20))
    y = {
        "binary": rng.integers(0, 2, n_samples),
        "classes": rng.integers(0, 4, n_samples),
        "real": rng.normal(size=n_samples),
    }[target].astype(np.float64)
    params = model.init_params(np.zeros(distribution.n_raw), np.random.RandomState(0))
    params += 0.05 * rng.normal(size=params.shape)
    weight = np.full(n_samples, 1.0 / n_samples)
    results = {}
    for dtype in (np.float64, np.float32):
        objective = Objective(distribution, model, alpha=1e-3)
        results[dtype] = objective.loss_gradient(
            params.astype(dtype), X.astype(dtype), y.astype(dtype), weight
        )
    loss32, grad32, _ = results[np.float32]
    loss64, grad64, _ = results[np.float64]
    assert isinstance(loss32, float)
    assert grad32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    np.testing.assert_allclose(grad32, grad64, atol=1e-5 * np.abs(grad64).max())


def test_gradient_tol_is_floored_in_float32_only():
    assert gradient_tol(1e-7, np.float64) == 1e-7
    assert gradient_tol(0.0, np.float64) == 0.0
    floor = gradient_tol(1e-7, np.float32)
    assert floor == pytest.approx(100 * np.finfo(np.float32).eps)
    assert gradient_tol(1e-3, np.float32) == 1e-3


def test_float32_warning_names_the_floor_of_tol():
    X, y = _data(SoftmaxClassifier, 300)
    estimator = SoftmaxClassifier(solver="gd", max_iter=2)
    with pytest.warns(ConvergenceWarning, match="floor of tol in float32"):
        estimator.fit(X.astype(np.float32), y)


class _Quadratic:
    """``0.5 * ||A params - b||^2`` in the precision of the parameters.

    Its Lipschitz estimate is a NumPy float64, as the training loop's is.
    """

    lipschitz = np.float64(200.0)
    hessian = None

    def __init__(self, dtype):
        rng = np.random.default_rng(0)
        self.A = rng.normal(size=(30, 6)).astype(dtype)
        self.b = rng.normal(size=30).astype(dtype)
        self.evaluations = []

    def __call__(self, params):
        residual = self.A @ params - self.b
        return float(0.5 * residual @ residual), self.A.T @ residual

    def loss(self, params):
        return self(params)[0]


@pytest.mark.parametrize("name", [s for s in ALL_SOLVERS if s != "newton"])
def test_solver_keeps_float32_parameters_and_state(name):
    solver = make_solver(name, learning_rate="auto", batch_size="auto")
    params = np.zeros(6, dtype=np.float32)
    loss_grad = _Quadratic(np.float32)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(5):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
        assert params.dtype == np.float32
        for value in state:
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
            if isinstance(value, tuple):  # L-BFGS's pairs, GD's recent losses
                arrays = [item for item in value if isinstance(item, np.ndarray)]
                assert all(array.dtype == np.float32 for array in arrays)


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_partial_fit_and_warm_start_keep_the_first_fits_precision(estimator_class):
    """As scikit-learn's MLP: parameters keep the dtype of the first fit."""
    X, y = _data(estimator_class, 300)
    classes = {"classes": np.unique(y)} if is_classifier(estimator_class()) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = estimator_class(max_iter=20).fit(X.astype(np.float32), y)
        estimator.partial_fit(X, y)
        assert estimator._training.params.dtype == np.float32
        estimator.set_params(warm_start=True).fit(X, y)
        assert estimator.coef_.dtype == np.float32
        fresh = estimator_class().partial_fit(X.astype(np.float32), y, **classes)
        assert fresh.coef_.dtype == np.float32
        fresh.partial_fit(X, y)
        assert fresh.coef_.dtype == np.float32
        as_float64 = estimator_class(warm_start=True, max_iter=20).fit(X, y)
        as_float64.fit(X.astype(np.float32), y)
        assert as_float64.coef_.dtype == np.float64
        # A fit from scratch takes the precision of its own X.
        estimator.set_params(warm_start=False).fit(X, y)
        assert estimator.coef_.dtype == np.float64


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_sparse_float32_X_fits_as_dense_float32(estimator_class):
    X, y = _data(estimator_class, 300)
    X[np.abs(X) < 0.5] = 0.0
    X32 = X.astype(np.float32)
    dense = estimator_class(solver="lbfgs").fit(X32, y)
    sparse = estimator_class(solver="lbfgs").fit(sp.csr_matrix(X32), y)
    assert sparse.coef_.dtype == np.float32
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-3, atol=1e-3)
    method = "predict_proba" if is_classifier(dense) else "predict"
    prediction = getattr(sparse, method)(sp.csr_matrix(X32))
    assert prediction.dtype == np.float32


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_float32_fit_round_trips_through_pickle_and_skops(estimator_class):
    sio = pytest.importorskip("skops.io")
    X, y = _data(estimator_class, 300)
    X = X.astype(np.float32)
    estimator = estimator_class(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    for loaded in (
        pickle.loads(pickle.dumps(estimator)),
        sio.loads(sio.dumps(estimator), trusted=untrusted),
    ):
        expected, got = _outputs(estimator, X), _outputs(loaded, X)
        for name, value in expected.items():
            assert _dtype(got[name]) == np.float32, name
            np.testing.assert_array_equal(got[name], value, err_msg=name)
        loaded.partial_fit(X, y)
        assert loaded._training.params.dtype == np.float32
    assert clone(estimator).get_params() == estimator.get_params()


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_coef_inference_on_a_float32_fit_computes_in_float64(estimator_class):
    """The information matrix is inverted in float64, at the float32 optimum."""
    from skprob.inference import coef_inference

    X, y = _data(estimator_class, 500)
    results = {}
    for dtype in (np.float64, np.float32):
        estimator = estimator_class(solver="newton", alpha=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            estimator.fit(X.astype(dtype), y)
            results[dtype] = coef_inference(estimator, X.astype(dtype), y)
    std_errors = {dtype: np.sqrt(np.diag(r.cov)) for dtype, r in results.items()}
    np.testing.assert_allclose(std_errors[np.float32], std_errors[np.float64], 1e-4)
    np.testing.assert_allclose(
        results[np.float32].coef, results[np.float64].coef, atol=1e-4
    )


class _ExpScore(ParametricModel):
    """``z = a + b * exp(c * x)``, a model of the user's own (float64 only)."""

    n_params = 3

    def init_params(self, raw_intercept, random_state):
        return np.array([raw_intercept[0], 1.0, 1.0])

    def predict_raw(self, params, X):
        a, b, c = params
        return a + b * np.exp(c * X[:, 0])

    def jacobian(self, params, X):
        a, b, c = params
        grow = np.exp(c * X[:, 0])
        return np.column_stack([np.ones(len(X)), grow, b * X[:, 0] * grow])


def test_a_model_of_the_user_s_own_computes_in_float64():
    """Its protocol's arrays are float64: float32 X is upcast, on purpose."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 2.0, size=(500, 1))
    y = (rng.uniform(size=500) < 1 / (1 + np.exp(2.0 - np.exp(X[:, 0])))).astype(int)
    fit32 = BernoulliClassifier(model=_ExpScore(), alpha=0.0)
    fit32.fit(X.astype(np.float32), y)
    upcast = BernoulliClassifier(model=_ExpScore(), alpha=0.0)
    upcast.fit(X.astype(np.float32).astype(np.float64), y)
    assert fit32.params_.dtype == np.float64
    assert fit32.predict_proba(X.astype(np.float32)).dtype == np.float64
    np.testing.assert_array_equal(fit32.params_, upcast.params_)


def test_several_outputs_keep_float32():
    """Per-output scales and floors are float64: they must not upcast a fit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)).astype(np.float32)
    Y = (X @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(300, 2))).astype(
        np.float32
    )
    # L-BFGS on the joint heteroscedastic likelihood of two outputs stalls
    # above float32's gradient floor (and says so); Newton reaches it.
    for estimator in (GaussianRegressor(), HeteroscedasticRegressor(solver="newton")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fitted = estimator.fit(X, Y)
        mean, std = fitted.predict(X[:3], return_std=True)
        assert mean.dtype == std.dtype == fitted.coef_.dtype == np.float32
        assert fitted._training.params.dtype == np.float32
        dist = fitted.predict_dist(X[:3])
        assert {value.dtype for value in dist.kwds.values()} == {np.dtype(np.float32)}
    labels = (Y > 0).astype(int)
    clf = BernoulliClassifier().fit(X, labels)
    assert clf.predict_proba(X[:3]).dtype == clf.coef_.dtype == np.float32


@pytest.mark.parametrize("hidden", [(), (4,)], ids=["linear", "mlp"])
@pytest.mark.parametrize(
    "estimator_class", [GaussianRegressor, HeteroscedasticRegressor]
)
@pytest.mark.parametrize("scale", [1e300, 1e40, 1e-40, 1e-300])
def test_a_target_beyond_float32_keeps_its_scale_in_float64(
    estimator_class, hidden, scale
):
    """Fitted on the standardized target in float32, returned in float64."""
    X, y = make_data(estimator_class, 200)
    kwargs = {"hidden_layer_sizes": hidden, "random_state": 0, "max_iter": 300}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unit = estimator_class(**kwargs).fit(X.astype(np.float32), y)
        # No overflow in a cast, anywhere.
        warnings.simplefilter("error", RuntimeWarning)
        scaled = estimator_class(**kwargs).fit(X.astype(np.float32), y * scale)
        mean, std = scaled.predict(X[:5].astype(np.float32), return_std=True)
        dist = scaled.predict_dist(X[:5].astype(np.float32))
    assert scaled._training.params.dtype == np.float32
    assert mean.dtype == std.dtype == np.float64
    unit_mean, unit_std = unit.predict(X[:5].astype(np.float32), return_std=True)
    # The same float32 fit, up to the scale: y * scale standardizes to the
    # same target as y, but for the rounding of the standardization.
    np.testing.assert_allclose(mean / scale, unit_mean, rtol=1e-4)
    np.testing.assert_allclose(std / scale, unit_std, rtol=1e-4)
    # (Not dist.std(): scipy squares the scale, which overflows at 1e300.)
    np.testing.assert_allclose(dist.kwds["scale"] / scale, unit_std, rtol=1e-4)
    assert np.isfinite(dist.logpdf(y[:5] * scale)).all()


def test_a_target_within_float32_keeps_float32():
    X, y = make_data(GaussianRegressor, 200)
    X32 = X.astype(np.float32)
    fitted = GaussianRegressor().fit(X32, y * 1e15)
    assert fitted.coef_.dtype == fitted.predict(X32[:3]).dtype == np.float32
