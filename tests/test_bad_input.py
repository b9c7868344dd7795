"""Bad input, tried on purpose: a clear error, and nothing corrupted."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)

ALL = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]


def _data(estimator_class, n_samples=60):
    if estimator_class in (GaussianRegressor, HeteroscedasticRegressor):
        return make_regression(n_samples, 3, noise=1.0, random_state=0)
    n_classes = 2 if estimator_class is BernoulliClassifier else 3
    return make_classification(
        n_samples,
        3,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )


@pytest.mark.parametrize("estimator_class", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_input_is_rejected(estimator_class, bad):
    X, y = _data(estimator_class)
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        estimator_class().fit(X_bad, y)
    if estimator_class in (GaussianRegressor, HeteroscedasticRegressor):
        y_bad = y.copy()
        y_bad[0] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            estimator_class().fit(X, y_bad)


@pytest.mark.parametrize("estimator_class", ALL, ids=lambda c: c.__name__)
def test_wrong_feature_count_at_predict(estimator_class):
    X, y = _data(estimator_class)
    with pytest.warns(ConvergenceWarning):
        estimator = estimator_class(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        estimator.predict(X[:, :2])


@pytest.mark.parametrize("estimator_class", ALL, ids=lambda c: c.__name__)
def test_negative_or_bad_sample_weights(estimator_class):
    X, y = _data(estimator_class)
    weights = np.ones(len(y))
    weights[4] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        estimator_class().fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="positive sum|non-zero"):
        estimator_class().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="finite"):
        estimator_class().fit(X, y, sample_weight=np.full(len(y), np.nan))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"solver": "newton-cg"}, "solver"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"alpha": -1.0}, "alpha"),
        ({"momentum": 1.0}, "momentum"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_invalid_parameters_name_themselves(params, match):
    X, y = _data(BernoulliClassifier)
    with pytest.raises(ValueError, match=match):
        BernoulliClassifier(**params).fit(X, y)


def test_bernoulli_rejects_three_classes():
    X, y = _data(SoftmaxClassifier)
    with pytest.raises(
        ValueError, match="Only binary classification.*SoftmaxClassifier"
    ):
        BernoulliClassifier().fit(X, y)


@pytest.mark.parametrize("estimator_class", [BernoulliClassifier, SoftmaxClassifier])
def test_classifiers_reject_continuous_target_and_one_class(estimator_class):
    X, _ = _data(estimator_class)
    with pytest.raises(ValueError, match="Unknown label type"):
        estimator_class().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="one class"):
        estimator_class().fit(X, np.zeros(len(X)))


# The fit that follows the error, at a sane step, is not under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator_class", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("solver", ["gd", "sgd", "momentum", "nesterov"])
def test_huge_learning_rate_stops_with_clear_error_and_keeps_the_fitted_model(
    estimator_class, solver
):
    X, y = _data(estimator_class)
    X = 100.0 * X  # badly scaled features make a fixed step diverge sooner
    estimator = estimator_class(solver=solver, warm_start=True, random_state=0)
    estimator.fit(X / 100.0, y)
    before = pickle.dumps(estimator)
    prediction = estimator.predict(X / 100.0)
    estimator.set_params(learning_rate=1e6)
    with pytest.raises(ValueError, match="learning rate"):
        estimator.fit(X, y)
    np.testing.assert_array_equal(estimator.predict(X / 100.0), prediction)
    restored = pickle.loads(before)
    for name, value in vars(restored).items():
        if name.endswith("_") and isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(estimator, name), value)


@pytest.mark.parametrize("estimator_class", ALL, ids=lambda c: c.__name__)
def test_non_convergence_warns(estimator_class):
    X, y = _data(estimator_class)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        estimator_class(max_iter=1).fit(X, y)


def test_empty_and_one_dimensional_input():
    with pytest.raises(ValueError):
        GaussianRegressor().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match="2D"):
        GaussianRegressor().fit(np.arange(5.0), np.arange(5.0))
    with pytest.raises(ValueError, match="n_samples=1"):
        HeteroscedasticRegressor().fit([[1.0, 2.0]], [3.0])


def test_partial_fit_requires_classes_on_first_call():
    X, y = _data(SoftmaxClassifier)
    with pytest.raises(ValueError, match="classes must be passed"):
        SoftmaxClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes_"):
        SoftmaxClassifier().partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_features_whose_squares_overflow_are_named(solver):
    """A step-size estimate from X's squares: beyond float64, a clear error."""
    X, y = _data(GaussianRegressor)
    with pytest.raises(ValueError, match="X has values up to .* whose squares"):
        GaussianRegressor(solver=solver).fit(X * 1e300, y)
