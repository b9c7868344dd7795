"""What a new user meets first: default settings on the classic data sets.

Each estimator at its defaults, in a pipeline with StandardScaler, must fit
without any warning, and predict about as well as scikit-learn's own
default: a held-out log loss within 5% of ``LogisticRegression()``'s, an R^2
within 1% of ``LinearRegression()``'s. Also here: fits on raw data and
extreme targets, and stochastic fits with heavy-tailed sample weights,
which must reach the optimum of the repeated rows.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.exceptions import PerfectSeparationWarning, ScaleCollapseWarning

CLASSIFICATION = {
    "iris": (load_iris, SoftmaxClassifier),
    "wine": (load_wine, SoftmaxClassifier),
    "breast_cancer": (load_breast_cancer, BernoulliClassifier),
    "digits": (load_digits, SoftmaxClassifier),
}


def _cross_val(model, X, y, scoring, cv, quiet=True):
    with warnings.catch_warnings():
        # Ours: no warning of any kind. scikit-learn 1.6's LogisticRegression
        # passes SciPy options that newer SciPy deprecates: not ours to judge.
        warnings.simplefilter("error" if quiet else "ignore")
        return -cross_val_score(model, X, y, scoring=scoring, cv=cv).mean()


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_default_classifiers_are_quiet_and_as_good_as_logistic_regression(name):
    loader, estimator_class = CLASSIFICATION[name]
    X, y = loader(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = _cross_val(
        make_pipeline(StandardScaler(), estimator_class()), X, y, "neg_log_loss", cv
    )
    reference = _cross_val(
        make_pipeline(StandardScaler(), LogisticRegression()),
        X,
        y,
        "neg_log_loss",
        cv,
        quiet=False,
    )
    assert ours <= 1.05 * reference


@pytest.mark.parametrize(
    "estimator_class", [GaussianRegressor, HeteroscedasticRegressor]
)
def test_default_regressors_are_quiet_and_as_good_as_linear_regression(
    estimator_class,
):
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(5, shuffle=True, random_state=0)
    ours = -_cross_val(
        make_pipeline(StandardScaler(), estimator_class()), X, y, "r2", cv
    )
    reference = -_cross_val(
        make_pipeline(StandardScaler(), LinearRegression()), X, y, "r2", cv, False
    )
    assert ours >= reference - 0.01 * abs(reference)


def test_separable_classes_without_penalty_say_so():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    setosa_or_not = (y == 0).astype(int)  # setosa is linearly separable
    with pytest.warns(PerfectSeparationWarning, match="alpha > 0"):
        BernoulliClassifier(alpha=0).fit(X, setosa_or_not)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BernoulliClassifier().fit(X, setosa_or_not)  # the default penalty


# max_iter L-BFGS epochs on a condition number of about 1e28.
@pytest.mark.slow
@pytest.mark.parametrize(
    "estimator_class",
    [
        GaussianRegressor,
        HeteroscedasticRegressor,
        BernoulliClassifier,
        SoftmaxClassifier,
    ],
)
def test_raw_features_of_mixed_scales_give_a_finite_default_fit(estimator_class):
    rng = np.random.default_rng(0)
    scales = np.logspace(-6, 8, 6)
    X = rng.normal(size=(300, 6)) * scales
    signal = X @ (1.0 / scales)
    if estimator_class in (GaussianRegressor, HeteroscedasticRegressor):
        y = signal + rng.normal(size=300)
    elif estimator_class is BernoulliClassifier:
        y = (signal > 0).astype(int)
    else:
        y = np.digitize(signal, [-1.0, 1.0])
    with warnings.catch_warnings():
        # Condition number ~1e28: reaching tol may take more than max_iter,
        # and the fit may say so; it must not fail.
        warnings.simplefilter("ignore")
        estimator = estimator_class().fit(X, y)
    assert np.all(np.isfinite(estimator.coef_))
    assert estimator.score(X, y) > (
        0.0 if estimator_class is not BernoulliClassifier else 0.5
    )


@pytest.mark.parametrize(
    "estimator_class", [GaussianRegressor, HeteroscedasticRegressor]
)
@pytest.mark.parametrize(
    "target",
    [np.full(50, 3.0), np.zeros(50), "1e200", "1e-200"],
    ids=["constant", "zeros", "1e200", "1e-200"],
)
def test_extreme_targets_give_finite_predictions(estimator_class, target):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    if isinstance(target, str):
        target = float(target) * (X[:, 0] + rng.normal(size=50))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mean, std = estimator_class().fit(X, target).predict(X, return_std=True)
    # A constant target has no maximum-likelihood sigma(x): it says so.
    collapses = estimator_class is HeteroscedasticRegressor and np.ptp(target) == 0
    expected = [ScaleCollapseWarning] if collapses else []
    assert [record.category for record in caught] == expected
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert np.all(std > 0)
    if np.ptp(target) > 0:
        # Equivariant: the scale of the target is the scale of the fit.
        unit = estimator_class().fit(X, target / np.max(np.abs(target)))
        np.testing.assert_allclose(
            mean / np.max(np.abs(target)), unit.predict(X), rtol=1e-6, atol=1e-6
        )


@pytest.mark.parametrize(
    "estimator_class", [GaussianRegressor, HeteroscedasticRegressor]
)
def test_text_target_for_a_regressor_is_a_clear_error(estimator_class):
    X = np.arange(6.0).reshape(-1, 1)
    with pytest.raises(ValueError, match="needs a numeric target"):
        estimator_class().fit(X, np.array(["a", "b"] * 3))


@pytest.mark.parametrize("solver", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("estimator_class", [GaussianRegressor, BernoulliClassifier])
def test_stochastic_fits_with_heavy_tailed_weights_reach_the_repeated_rows_optimum(
    estimator_class, solver
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 5))
    # Integer weights from 1 to 10^4, a Pareto tail.
    weight = np.minimum(np.floor(rng.pareto(0.7, size=1000) + 1), 1e4).astype(int)
    z = X @ [1.0, -0.5, 0.25, 0.0, 0.8]
    if estimator_class is GaussianRegressor:
        y = 3 * z + rng.normal(size=1000)
    else:
        y = (z + rng.logistic(size=1000) > 0).astype(int)
    repeated = estimator_class(solver="lbfgs").fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    for seed in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = estimator_class(solver=solver, random_state=seed)
            ours.fit(X, y, sample_weight=weight)
        # Same objective on the same target scale: compare the losses.
        assert ours.loss_ == pytest.approx(repeated.loss_, rel=1e-4)
