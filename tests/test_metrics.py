"""skprob.metrics against scipy.stats, closed forms, and scikit-learn's CV."""

import copy

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from scipy import integrate, stats
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprob import BernoulliClassifier, GaussianRegressor, SoftmaxClassifier
from skprob.metrics import (
    expected_calibration_error,
    gaussian_crps,
    gaussian_interval,
    gaussian_nll,
    interval_coverage,
    make_calibration_error_scorer,
    make_interval_coverage_scorer,
    make_interval_width_scorer,
    mean_interval_width,
    neg_expected_calibration_error_scorer,
    neg_gaussian_crps_scorer,
    neg_gaussian_nll_scorer,
    top_label_calibration_curve,
)


def _normal_sample(n_samples=50, seed=0):
    rng = np.random.default_rng(seed)
    y_mean = rng.normal(size=n_samples)
    y_std = rng.uniform(0.2, 3.0, size=n_samples)
    y_true = y_mean + y_std * rng.standard_t(df=3, size=n_samples)
    return y_true, y_mean, y_std


# -- regression metrics --------------------------------------------------------


def test_gaussian_nll_is_scipy_logpdf():
    y_true, y_mean, y_std = _normal_sample()
    expected = -stats.norm(y_mean, y_std).logpdf(y_true).mean()
    assert_allclose(gaussian_nll(y_true, y_mean, y_std), expected)


def _crps_by_integration(y, mean, std):
    cdf = stats.norm(mean, std).cdf
    below, _ = integrate.quad(lambda t: cdf(t) ** 2, -np.inf, y)
    above, _ = integrate.quad(lambda t: (cdf(t) - 1.0) ** 2, y, np.inf)
    return below + above


@pytest.mark.parametrize(
    "y, mean, std", [(0.0, 0.0, 1.0), (1.3, -0.4, 0.7), (-8.0, 2.0, 1.5), (5, 5, 1e-3)]
)
def test_gaussian_crps_is_the_integral_of_the_squared_cdf_gap(y, mean, std):
    assert_allclose(
        gaussian_crps([y], [mean], [std]), _crps_by_integration(y, mean, std), rtol=1e-7
    )


def test_gaussian_crps_closed_forms():
    # At y = mu the CRPS is sigma * (sqrt(2) - 1) / sqrt(pi).
    assert_allclose(
        gaussian_crps([2.0], [2.0], [3.0]), 3 * (np.sqrt(2) - 1) / np.sqrt(np.pi)
    )
    # As sigma -> 0 it becomes the absolute error.
    assert_allclose(gaussian_crps([1.0, -2.0], [4.0, 0.0], [1e-9, 1e-9]), 2.5)


def test_gaussian_crps_is_expected_absolute_error_minus_half_spread():
    # CRPS(F, y) = E|X - y| - E|X - X'| / 2 with X, X' ~ F independent.
    rng = np.random.default_rng(0)
    draws = rng.normal(1.0, 2.0, size=(2, 400_000))
    expected = (
        np.mean(np.abs(draws[0] - 0.3)) - np.mean(np.abs(draws[0] - draws[1])) / 2
    )
    assert_allclose(gaussian_crps([0.3], [1.0], [2.0]), expected, atol=5e-3)


@pytest.mark.parametrize("metric", [gaussian_nll, gaussian_crps])
def test_gaussian_scores_weights_are_repetitions(metric):
    y_true, y_mean, y_std = _normal_sample()
    weights = np.arange(50) % 3
    repeated = [np.repeat(a, weights) for a in (y_true, y_mean, y_std)]
    assert_allclose(
        metric(y_true, y_mean, y_std, sample_weight=weights), metric(*repeated)
    )


@pytest.mark.parametrize("metric", [gaussian_nll, gaussian_crps])
def test_gaussian_scores_reject_bad_input(metric):
    with pytest.raises(ValueError, match="y_std must be positive"):
        metric([0.0, 1.0], [0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric([0.0, 1.0], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="y_true"):
        metric([0.0, np.nan], [0.0, 0.0], [1.0, 1.0])


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_gaussian_interval_is_scipy_interval(level):
    _, y_mean, y_std = _normal_sample()
    assert_allclose(
        gaussian_interval(y_mean, y_std, level),
        stats.norm(y_mean, y_std).interval(level),
    )
    lower, upper = gaussian_interval(y_mean, y_std, level)
    width = 2 * stats.norm.ppf(0.5 + level / 2) * y_std.mean()
    assert_allclose(mean_interval_width(lower, upper), width)


@pytest.mark.parametrize("level", [1 - 1e-6, 1 - 1e-12])
def test_gaussian_interval_keeps_its_digits_at_levels_near_1(level):
    """Both ends from the tail (1 - level) / 2, which keeps its digits."""
    tail = (1 - level) / 2
    lower, upper = gaussian_interval([0.0, 10.0], [1.0, 2.0], level)
    # scipy's lower end comes from that tail: the reference.
    scipy_lower = stats.norm.interval(level)[0]
    assert_allclose(lower, [scipy_lower, 10 + 2 * scipy_lower], rtol=1e-14)
    assert_allclose(upper, [-scipy_lower, 10 - 2 * scipy_lower], rtol=1e-14)
    # The normal's tail beyond the bound is the tail asked for.
    assert_allclose(stats.norm.cdf(lower[0]), tail, rtol=1e-12)
    assert_allclose(stats.norm.sf(upper[0]), tail, rtol=1e-12)


def test_gaussian_interval_rejects_level_outside_0_1():
    with pytest.raises(ValueError, match="level must be in"):
        gaussian_interval([0.0], [1.0], level=1.0)


@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_interval_coverage_of_the_true_distribution_is_the_level(level):
    rng = np.random.default_rng(1)
    y_mean, y_std = rng.normal(size=20_000), rng.uniform(0.5, 2, size=20_000)
    y_true = rng.normal(y_mean, y_std)
    coverage = interval_coverage(y_true, *gaussian_interval(y_mean, y_std, level))
    # Binomial standard error, times 5.
    assert abs(coverage - level) < 5 * np.sqrt(level * (1 - level) / 20_000)


def test_interval_coverage_counts_closed_intervals_with_weights():
    y_true = [0.0, 1.0, 2.0, 3.0]
    lower, upper = [0.0, 0.0, 2.5, 3.0], [1.0, 0.5, 3.0, 4.0]
    assert interval_coverage(y_true, lower, upper) == 0.5
    assert interval_coverage(y_true, lower, upper, sample_weight=[3, 0, 1, 0]) == 0.75
    assert mean_interval_width(lower, upper, sample_weight=[1, 1, 0, 0]) == 0.75


# -- expected calibration error ------------------------------------------------


def _ece_by_loops(y_true, y_proba, labels, n_bins):
    bins = [[] for _ in range(n_bins)]
    for i, row in enumerate(y_proba):
        label = y_true[i]
        confidence = row.max()
        index = sum(confidence >= b / n_bins for b in range(1, n_bins))
        bins[index].append((labels[row.argmax()] == label, confidence))
    gaps = [
        len(b) * abs(np.mean([c for c, _ in b]) - np.mean([p for _, p in b]))
        for b in bins
        if b
    ]
    return sum(gaps) / len(y_true)


@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_ece_is_the_binned_confidence_gap(n_bins):
    rng = np.random.default_rng(0)
    y_proba = rng.dirichlet([0.5, 0.5, 0.5], size=300)
    labels = np.array(["a", "b", "c"])
    y_true = labels[rng.integers(0, 3, size=300)]
    assert_allclose(
        expected_calibration_error(y_true, y_proba, n_bins=n_bins),
        _ece_by_loops(y_true, y_proba, labels, n_bins),
    )


def test_ece_hand_computed():
    # Confidences 0.6 (right), 0.9 (wrong), 0.5 (a tie: the first column,
    # right). Bins of width 0.25: [0.5, 0.75) holds two right predictions of
    # mean confidence 0.55, [0.75, 1] one wrong prediction at 0.9.
    y_proba = np.array([[0.4, 0.6], [0.9, 0.1], [0.5, 0.5]])
    accuracy, confidence, weight = top_label_calibration_curve(
        [1, 1, 0], y_proba, n_bins=4
    )
    assert_allclose(accuracy, [1.0, 0.0])
    assert_allclose(confidence, [0.55, 0.9])
    assert_allclose(weight, [2, 1])
    ece = expected_calibration_error([1, 1, 0], y_proba, n_bins=4)
    assert_allclose(ece, (2 * 0.45 + 0.9) / 3)
    # A confidence of exactly 1 falls in the last bin.
    y_proba = [[1.0, 0.0], [0.0, 1.0]]
    assert_allclose(expected_calibration_error([0, 0], y_proba, labels=[0, 1]), 0.5)
    # A confidence on an edge opens the next bin: 0.3 is in [0.3, 0.4).
    y_proba = [[0.3, 0.3, 0.4 - 1e-12, 1e-12], [0.3, 0.3, 0.3, 0.1]]
    _, confidence, weight = top_label_calibration_curve(
        [0, 1], y_proba, labels=[0, 1, 2, 3], n_bins=10
    )
    assert_allclose(confidence, [0.35])
    assert_allclose(weight, [2])


def test_ece_of_a_calibrated_forecaster_is_small():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50_000)
    y_true = (rng.uniform(size=50_000) < p).astype(int)
    assert expected_calibration_error(y_true, p) < 0.01
    # Overconfident: push probabilities to the nearest end.
    sharpened = np.clip(0.5 + 2 * (p - 0.5), 0, 1)
    assert expected_calibration_error(y_true, sharpened) > 0.1


def test_ece_1d_proba_weights_and_labels():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200)
    y_true = np.where(rng.uniform(size=200) < p, "yes", "no")
    ece = expected_calibration_error(y_true, p)
    assert_allclose(
        ece, expected_calibration_error(y_true, np.column_stack([1 - p, p]))
    )
    weights = np.arange(200) % 3
    assert_allclose(
        expected_calibration_error(y_true, p, sample_weight=weights),
        expected_calibration_error(np.repeat(y_true, weights), np.repeat(p, weights)),
    )
    # Swapping the columns and the labels together changes nothing.
    swapped = expected_calibration_error(
        y_true, np.column_stack([p, 1 - p]), labels=["yes", "no"]
    )
    assert_allclose(swapped, ece)


def test_ece_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="pass labels=classifier.classes_"):
        expected_calibration_error([0, 1], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match="labels not in"):
        expected_calibration_error([0, 3], [[0.2, 0.8], [0.1, 0.9]], labels=[0, 1])
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error([0, 1], [0.2, 0.9], n_bins=0)
    with pytest.raises(ValueError, match="y_proba"):
        expected_calibration_error([0, 1], [0.2, np.nan])


# -- scorers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(150, 3)) * [1, 10, 100]
    y = X @ [1.0, 0.2, 0.01] + (1 + np.abs(X[:, 0])) * rng.normal(size=150)
    return X, y


REGRESSION_SCORERS = {
    "nll": (neg_gaussian_nll_scorer, gaussian_nll),
    "crps": (neg_gaussian_crps_scorer, gaussian_crps),
    "coverage": (
        make_interval_coverage_scorer(0.9),
        lambda y, m, s: abs(interval_coverage(y, *gaussian_interval(m, s, 0.9)) - 0.9),
    ),
    "width": (
        make_interval_width_scorer(0.5),
        lambda y, m, s: mean_interval_width(*gaussian_interval(m, s, 0.5)),
    ),
}


@pytest.mark.parametrize("name", REGRESSION_SCORERS)
@pytest.mark.parametrize(
    "model",
    [
        make_pipeline(StandardScaler(), GaussianRegressor(solver="gd")),
        BayesianRidge(),
    ],
    ids=["pipeline", "BayesianRidge"],
)
def test_regression_scorer_is_minus_the_metric(regression_data, model, name):
    X, y = regression_data
    scorer, metric = REGRESSION_SCORERS[name]
    model.fit(X, y)
    assert_allclose(scorer(model, X, y), -metric(y, *model.predict(X, return_std=True)))


def test_regression_scorers_in_grid_search_and_cross_val_score(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), GaussianRegressor(alpha=0.0))
    scoring = {
        "nll": neg_gaussian_nll_scorer,
        "crps": neg_gaussian_crps_scorer,
        "coverage": make_interval_coverage_scorer(0.9),
    }
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        pipe,
        {"gaussianregressor__alpha": [0.0, 10.0]},
        scoring=scoring,
        refit="nll",
        cv=cv,
    ).fit(X, y)
    # The heavy penalty shrinks the mean and inflates sigma: a worse NLL.
    assert search.best_params_ == {"gaussianregressor__alpha": 0.0}
    nll = search.cv_results_["mean_test_nll"]
    assert nll[0] > nll[1] and np.all(nll < 0)
    by_hand = cross_val_score(pipe, X, y, scoring=neg_gaussian_nll_scorer, cv=cv)
    assert_allclose(nll[0], by_hand.mean())
    # Nested cross-validation scores the search object itself.
    nested = cross_validate(search, X, y, scoring=neg_gaussian_crps_scorer, cv=3)
    assert np.all(nested["test_score"] < 0)


def test_regression_scorer_needs_return_std(regression_data):
    X, y = regression_data
    with pytest.raises(TypeError, match="return_std"):
        neg_gaussian_nll_scorer(LinearRegression().fit(X, y), X, y)


def test_calibration_error_scorer_with_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = np.where(X[:, 0] + rng.logistic(size=300) > 0, "spam", "ham")
    clf = BernoulliClassifier(solver="gd").fit(X, y)
    expected = expected_calibration_error(y, clf.predict_proba(X), labels=clf.classes_)
    assert_allclose(neg_expected_calibration_error_scorer(clf, X, y), -expected)
    scores = cross_val_score(clf, X, y, scoring=make_calibration_error_scorer(5), cv=3)
    assert np.all((scores <= 0) & (scores > -0.2))


def test_calibration_error_scorer_in_grid_search():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = np.argmax(X @ [[2, 0, -2], [0, 2, 0]] + rng.gumbel(size=(300, 3)), axis=1)
    search = GridSearchCV(
        SoftmaxClassifier(solver="gd"),
        {"alpha": [0.0, 3.0]},
        scoring=neg_expected_calibration_error_scorer,
        cv=3,
    ).fit(X, y)
    # A strong penalty pulls probabilities toward uniform: underconfident.
    assert search.best_params_ == {"alpha": 0.0}


def test_scorer_repr():
    assert repr(neg_gaussian_nll_scorer) == "neg_gaussian_nll_scorer()"
    assert repr(make_interval_coverage_scorer(0.5)) == (
        "neg_coverage_error_scorer(level=0.5)"
    )


# -- scorers with metadata routing ---------------------------------------------


@pytest.fixture
def metadata_routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture(scope="module")
def weighted_regression_data():
    # The noise grows with x0 and so do the weights: the weighted NLL is
    # clearly worse than the unweighted one.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(240, 2))
    noisy = X[:, 0] > 0.3
    y = X @ [1.5, -1.0] + rng.normal(size=240) * np.where(noisy, 2.5, 0.7)
    weight = np.where(noisy, 4.0, 1.0)
    weight[::17] = 0.0
    return X, y, weight


def _nll_by_hand(y, mean, std, weight):
    nll = np.log(std) + 0.5 * np.log(2 * np.pi) + (y - mean) ** 2 / (2 * std**2)
    return np.sum(weight * nll) / np.sum(weight)


def _requesting(scorer, sample_weight):
    return copy.deepcopy(scorer).set_score_request(sample_weight=sample_weight)


def test_routed_weights_weight_the_nll_scorer(
    weighted_regression_data, metadata_routing
):
    X, y, weight = weighted_regression_data
    cv = KFold(4, shuffle=True, random_state=0)
    model = GaussianRegressor(solver="lbfgs").set_fit_request(sample_weight=True)
    single = cross_validate(
        model,
        X,
        y,
        cv=cv,
        scoring=_requesting(neg_gaussian_nll_scorer, True),
        params={"sample_weight": weight},
    )
    multi = cross_validate(
        model,
        X,
        y,
        cv=cv,
        scoring={
            "weighted": _requesting(neg_gaussian_nll_scorer, True),
            "unweighted": _requesting(neg_gaussian_nll_scorer, False),
        },
        params={"sample_weight": weight},
    )
    by_hand, by_hand_unweighted = [], []
    for train, test in cv.split(X):
        fitted = GaussianRegressor(solver="lbfgs").fit(
            X[train], y[train], sample_weight=weight[train]
        )
        mean, std = fitted.predict(X[test], return_std=True)
        by_hand.append(-_nll_by_hand(y[test], mean, std, weight[test]))
        by_hand_unweighted.append(-_nll_by_hand(y[test], mean, std, np.ones(len(test))))
    # One scorer is called through __call__, several through _score.
    assert_allclose(single["test_score"], by_hand, rtol=1e-12)
    assert_allclose(multi["test_weighted"], by_hand, rtol=1e-12)
    assert_allclose(multi["test_unweighted"], by_hand_unweighted, rtol=1e-12)
    # The weights matter on this data: an unweighted score could not pass.
    assert np.mean(by_hand_unweighted) - np.mean(by_hand) > 0.2


def test_routed_weights_weight_the_calibration_scorer(metadata_routing):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = np.argmax(X @ [[2, 0, -2], [0, 2, 0]] + rng.gumbel(size=(300, 3)), axis=1)
    weight = rng.integers(0, 4, size=300).astype(float)
    cv = KFold(3, shuffle=True, random_state=0)
    model = SoftmaxClassifier(solver="lbfgs").set_fit_request(sample_weight=True)
    scorer = make_calibration_error_scorer(5).set_score_request(sample_weight=True)
    result = cross_validate(
        model, X, y, cv=cv, scoring=scorer, params={"sample_weight": weight}
    )
    expected, unweighted = [], []
    for train, test in cv.split(X):
        fitted = SoftmaxClassifier(solver="lbfgs").fit(
            X[train], y[train], sample_weight=weight[train]
        )
        proba = fitted.predict_proba(X[test])
        expected.append(
            -expected_calibration_error(
                y[test], proba, n_bins=5, sample_weight=weight[test]
            )
        )
        unweighted.append(-expected_calibration_error(y[test], proba, n_bins=5))
    assert_allclose(result["test_score"], expected, rtol=1e-12)
    assert np.max(np.abs(np.subtract(expected, unweighted))) > 1e-3


def test_weights_routed_to_an_unasked_scorer_raise(
    weighted_regression_data, metadata_routing
):
    X, y, weight = weighted_regression_data
    model = GaussianRegressor(solver="lbfgs").set_fit_request(sample_weight=True)
    with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
        cross_validate(
            model,
            X,
            y,
            scoring=copy.deepcopy(neg_gaussian_crps_scorer),
            params={"sample_weight": weight},
        )


@pytest.mark.parametrize(
    "scorer",
    [
        neg_gaussian_nll_scorer,
        make_interval_coverage_scorer(0.8),
        neg_expected_calibration_error_scorer,
    ],
    ids=repr,
)
def test_scorer_requests_only_sample_weight(scorer, metadata_routing):
    # The metric's own arguments (y_mean, level, labels) are not metadata.
    assert scorer.get_metadata_routing().score.requests == {"sample_weight": None}
    requested = _requesting(scorer, True)
    assert requested.get_metadata_routing().score.requests == {"sample_weight": True}
    # The shared scorer is left as it was.
    assert scorer.get_metadata_routing().score.requests == {"sample_weight": None}
