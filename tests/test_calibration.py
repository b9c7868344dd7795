"""CalibratedRegressor: variance scaling on held-out folds."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import skprob
from skprob import GaussianRegressor, HeteroscedasticRegressor
from skprob.calibration import CalibratedRegressor
from skprob.metrics import (
    gaussian_interval,
    gaussian_nll,
    interval_coverage,
    neg_gaussian_nll_scorer,
)


@parametrize_with_checks([CalibratedRegressor(GaussianRegressor())])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _overfitting_data(n_train, n_test=5000, n_features=20, seed=0):
    """Few rows for many features: training residuals understate the noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_train + n_test, n_features))
    y = X[:, 0] - 2 * X[:, 1] + rng.normal(size=n_train + n_test)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _coverage(model, X, y, level=0.9):
    return interval_coverage(y, *gaussian_interval(*model.predict(X, return_std=True)))


def test_recalibration_restores_held_out_coverage():
    # sigma_ is the training RMS residual, about sqrt(130 / 150) of the
    # noise, and test errors are larger still: the nominal 90% intervals
    # cover about 80% of new data. Averaged over five draws of the data.
    base_coverage, coverage, base_nll, nll = [], [], [], []
    for seed in range(5):
        X, y, X_test, y_test = _overfitting_data(n_train=150, seed=seed)
        base = GaussianRegressor().fit(X, y)
        calibrated = CalibratedRegressor(GaussianRegressor()).fit(X, y)
        assert calibrated.scale_ > 1.1
        base_coverage.append(_coverage(base, X_test, y_test))
        coverage.append(_coverage(calibrated, X_test, y_test))
        base_nll.append(gaussian_nll(y_test, *base.predict(X_test, return_std=True)))
        nll.append(gaussian_nll(y_test, *calibrated.predict(X_test, return_std=True)))
        # The mean is the base estimator's, fitted on all the data.
        assert_allclose(calibrated.predict(X_test), base.predict(X_test))
    assert np.mean(base_coverage) < 0.83
    assert abs(np.mean(coverage) - 0.9) < 0.02
    assert np.all(np.array(nll) < base_nll)


def test_scale_is_the_mle_on_out_of_fold_residuals():
    X, y, _, _ = _overfitting_data(n_train=80)
    cv = KFold(4, shuffle=True, random_state=0)
    calibrated = CalibratedRegressor(BayesianRidge(), cv=cv).fit(X, y)
    z = np.empty_like(y)
    for train, test in cv.split(X):
        mean, std = BayesianRidge().fit(X[train], y[train]).predict(X[test], True)
        z[test] = (y[test] - mean) / std
    assert_allclose(calibrated.scale_, np.sqrt(np.mean(z**2)))

    def held_out_nll(scale):
        return gaussian_nll(z, np.zeros_like(z), np.full_like(z, scale))

    best = minimize_scalar(held_out_nll, bounds=(0.1, 10), method="bounded")
    assert_allclose(best.x, calibrated.scale_, rtol=1e-4)


# Heteroscedastic fits on more features than the folds can pin down end at
# the sigma floor's kink, and say so; recalibration is under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_dist_is_the_recalibrated_normal():
    X, y, X_test, _ = _overfitting_data(n_train=60, n_test=10)
    model = make_pipeline(
        StandardScaler(), CalibratedRegressor(HeteroscedasticRegressor())
    ).fit(X, y)
    dist = skprob.predict_dist(model, X_test)
    y_mean, y_std = model.predict(X_test, return_std=True)
    calibrated = model[-1]
    assert_allclose(dist.mean(), y_mean)
    assert_allclose(dist.std(), y_std)
    base_std = calibrated.estimator_.predict(model[0].transform(X_test), True)[1]
    assert_allclose(y_std, calibrated.scale_ * base_std)


def test_frozen_estimator_is_only_recalibrated():
    X, y, X_cal, y_cal = _overfitting_data(n_train=60, n_test=200)
    fitted = GaussianRegressor().fit(X, y)
    calibrated = CalibratedRegressor(FrozenEstimator(fitted)).fit(X_cal, y_cal)
    mean, std = fitted.predict(X_cal, return_std=True)
    assert_allclose(calibrated.scale_, np.sqrt(np.mean(((y_cal - mean) / std) ** 2)))
    assert_allclose(calibrated.predict(X_cal), mean)


def test_sample_weight_reaches_the_folds_and_the_factor():
    X, y, _, _ = _overfitting_data(n_train=60, n_features=3)
    weights = np.arange(60) % 3
    # Rows of zero weight carry no information: they leave everything as is.
    cv = [(np.arange(0, 60, 2), np.arange(1, 60, 2))]
    base = GaussianRegressor(tol=1e-10)
    weighted = CalibratedRegressor(base, cv=cv).fit(X, y, weights)
    kept = weights > 0
    position = np.cumsum(kept) - 1
    cv_kept = [
        (position[train[kept[train]]], position[test[kept[test]]]) for train, test in cv
    ]
    reference = CalibratedRegressor(base, cv=cv_kept).fit(
        X[kept], y[kept], weights[kept]
    )
    assert_allclose(weighted.scale_, reference.scale_, rtol=1e-6)
    assert_allclose(weighted.predict(X), reference.predict(X), rtol=1e-6)
    with pytest.warns(UserWarning, match="used only to estimate the std factor"):
        CalibratedRegressor(make_pipeline(StandardScaler(), BayesianRidge())).fit(
            X, y, weights
        )


def test_estimator_without_return_std_is_refused():
    X, y, _, _ = _overfitting_data(n_train=30)
    with pytest.raises(TypeError, match="LinearRegression's does not"):
        CalibratedRegressor(LinearRegression()).fit(X, y)


# Heteroscedastic fits on more features than the folds can pin down end at
# the sigma floor's kink, and say so; recalibration is under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tuned_for_held_out_nll_in_grid_search():
    X, y, _, _ = _overfitting_data(n_train=60)
    search = GridSearchCV(
        CalibratedRegressor(GaussianRegressor(), cv=3),
        {"estimator__alpha": [0.0, 0.3]},
        scoring=neg_gaussian_nll_scorer,
        cv=3,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert isinstance(skprob.predict_dist(search, X).std(), np.ndarray)


def test_feature_names_follow_the_last_fit():
    pd = pytest.importorskip("pandas")
    X, y, _, _ = _overfitting_data(n_train=60, n_features=3)
    calibrated = CalibratedRegressor(BayesianRidge(), cv=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    assert list(calibrated.fit(frame, y).feature_names_in_) == ["a", "b", "c"]
    assert not hasattr(calibrated.fit(X, y), "feature_names_in_")


def test_default_estimator_is_a_gaussian_regressor():
    X, y, _, _ = _overfitting_data(n_train=60)
    calibrated = clone(CalibratedRegressor(cv=2)).fit(X, y)
    assert isinstance(calibrated.estimator_, GaussianRegressor)
    assert calibrated.n_features_in_ == 20
