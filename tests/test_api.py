"""What users do with the estimators: pipelines, searches, uncertainty,
weights, warm starts and chunks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skprob
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "estimator_class", [GaussianRegressor, HeteroscedasticRegressor]
)
def test_return_std_passes_through_pipeline_and_grid_search(estimator_class, diabetes):
    X, y = diabetes
    pipeline = make_pipeline(StandardScaler(), estimator_class(random_state=0))
    search = GridSearchCV(
        pipeline, {f"{pipeline.steps[-1][0]}__alpha": [0.0, 1e-2]}, cv=3
    )
    search.fit(X, y)
    # GridSearchCV.predict forwards no keyword; its best_estimator_ does, and
    # skprob.predict_dist reaches through the search itself.
    for model, fitted in (
        (pipeline.fit(X, y), pipeline),
        (search.best_estimator_, search),
    ):
        mean, std = model.predict(X[:10], return_std=True)
        assert mean.shape == std.shape == (10,) and np.all(std > 0)
        dist = skprob.predict_dist(fitted, X[:10])
        np.testing.assert_allclose(dist.mean(), mean)
        np.testing.assert_allclose(dist.std(), std)


def test_heteroscedastic_regressor_recovers_input_dependent_noise():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(4000, 1))
    sigma = np.exp(0.5 + 1.0 * X[:, 0])
    y = 3.0 * X[:, 0] + 2.0 + sigma * rng.normal(size=4000)
    reg = HeteroscedasticRegressor(solver="gd", random_state=0).fit(X, y)
    np.testing.assert_allclose(reg.coef_[:, 0], [3.0, 1.0], atol=0.1)
    np.testing.assert_allclose(reg.intercept_, [2.0, 0.5], atol=0.1)
    _, std = reg.predict([[-1.0], [1.0]], return_std=True)
    np.testing.assert_allclose(std, np.exp([-0.5, 1.5]), rtol=0.1)


def test_classifier_probabilities_and_decision_function_agree():
    X, y = load_iris(return_X_y=True)
    clf = SoftmaxClassifier(alpha=1e-2, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    dist = clf.predict_dist(X[:5])
    np.testing.assert_allclose(dist.mean(), proba[:5])

    binary = y != 0
    bern = BernoulliClassifier(alpha=1e-2).fit(X[binary], y[binary])
    z = bern.decision_function(X[binary])
    np.testing.assert_allclose(
        bern.predict_proba(X[binary])[:, 1], 1 / (1 + np.exp(-z))
    )
    np.testing.assert_array_equal(bern.classes_, [1, 2])


# Reproducibility is under test, not convergence.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_random_state_gives_bit_identical_fits(diabetes):
    X, y = diabetes
    for solver in ("sgd", "adam"):
        a = HeteroscedasticRegressor(solver=solver, random_state=3).fit(X, y)
        b = HeteroscedasticRegressor(solver=solver, random_state=3).fit(X, y)
        np.testing.assert_array_equal(a.coef_, b.coef_)
        assert a.loss_curve_ == b.loss_curve_


def test_warm_start_continues_from_the_previous_solution(diabetes):
    X, y = diabetes
    with pytest.warns(Warning):
        cold = GaussianRegressor(solver="gd", max_iter=3000, tol=0).fit(X, y)
    warm = GaussianRegressor(solver="gd", warm_start=True, max_iter=20)
    with pytest.warns(Warning):
        warm.fit(X, y)
    first = warm.loss_
    with pytest.warns(Warning):
        warm.fit(X, y)
    assert warm.loss_ < first
    assert warm.loss_ >= cold.loss_ - 1e-12


def test_partial_fit_carries_the_solver_state(diabetes):
    X, y = diabetes
    reg = GaussianRegressor(solver="adam", random_state=0)
    for _ in range(3):
        for chunk in np.array_split(np.arange(len(y)), 4):
            reg.partial_fit(X[chunk], y[chunk])
    assert reg.n_iter_ == 12 and len(reg.loss_curve_) == 12
    assert reg._training.solver_state.n_steps == reg.t_ == 12
    assert reg.score(X, y) > 0.3


def test_early_stopping_keeps_the_best_validation_epoch():
    X, y = make_classification(2000, 10, random_state=0)
    clf = BernoulliClassifier(early_stopping=True, random_state=0, solver="sgd").fit(
        X, y
    )
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_
    assert max(scores) == pytest.approx(-min(-s for s in scores))


@pytest.mark.parametrize(
    "estimator, y",
    [
        # 2 validation rows cannot hold 3 classes (the data).
        (SoftmaxClassifier, np.arange(20) % 3),
        # A class with one row cannot be in both parts.
        (BernoulliClassifier, (np.arange(20) == 7).astype(int)),
    ],
    ids=["3-classes-20-rows", "singleton-class"],
)
def test_early_stopping_on_small_classifier_data(estimator, y):
    X = np.random.default_rng(0).normal(size=(20, 2))
    clf = estimator(early_stopping=True, solver="lbfgs", alpha=0.1, random_state=0)
    clf.fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert np.all(np.isfinite(clf.validation_scores_))


@pytest.mark.parametrize(
    "labels, fraction, expected",
    [
        (np.repeat([0, 1, 2], 10), 0.1, True),
        (np.repeat([0, 1, 2], 10), 0.05, False),  # 2 validation rows
        (np.repeat([0, 1, 2], 10), 0.95, False),  # 1 training row
        (np.r_[np.zeros(29), 1], 0.5, False),  # a class of one row
        (np.repeat([[0, 1], [1, 1]], 5, axis=0), 0.2, True),  # multilabel rows
        (None, 0.1, False),  # a regressor's target
    ],
)
def test_validation_split_is_stratified_where_it_can_be(labels, fraction, expected):
    from skprob._training import _can_stratify

    assert _can_stratify(labels, fraction) is expected
    if expected:  # scikit-learn agrees that the split exists
        train_test_split(labels, test_size=fraction, stratify=labels, random_state=0)


def test_verbose_prints_one_line_per_epoch(capsys, diabetes):
    X, y = diabetes
    reg = GaussianRegressor(verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == reg.n_iter_ and lines[0].startswith("Epoch 1, training loss")
    # Printing changes nothing about the fit.
    quiet = GaussianRegressor().fit(X, y)
    assert reg.n_iter_ == quiet.n_iter_
    np.testing.assert_array_equal(reg.coef_, quiet.coef_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.integers(0, 3), min_size=12, max_size=12).filter(
        lambda w: sum(w) >= 4
    ),
    estimator_class=st.sampled_from(
        [
            GaussianRegressor,
            HeteroscedasticRegressor,
            BernoulliClassifier,
            SoftmaxClassifier,
        ]
    ),
)
def test_integer_weights_equal_repeated_rows(weights, estimator_class):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    if estimator_class in (GaussianRegressor, HeteroscedasticRegressor):
        y = X @ [1.0, -2.0, 0.5] + rng.normal(size=12)
    else:
        y = np.arange(12) % (2 if estimator_class is BernoulliClassifier else 3)
    weights = np.asarray(weights)
    kept = np.repeat(np.arange(12), weights)
    if len(np.unique(y[kept])) < len(np.unique(y)):
        return  # a class dropped out: the two fits do not see the same classes
    # Full-batch gd is the deterministic reference; the heteroscedastic NLL is
    # too badly conditioned for gd's single step once sigma is small (see the
    # solver guide), so that model converges with Newton's method. Adam stops
    # at max_iter short of the optimum, where two fits of the same objective
    # differ by the rounding its path amplified (1.5e-6 seen), not by weights.
    solver = "newton" if estimator_class is HeteroscedasticRegressor else "gd"
    estimator = estimator_class(solver=solver, alpha=0.1, max_iter=300, tol=1e-10)
    weighted = clone(estimator).fit(X, y, sample_weight=weights)
    repeated = clone(estimator).fit(X[kept], y[kept])
    method = "predict_proba" if hasattr(weighted, "predict_proba") else "predict"
    np.testing.assert_allclose(
        getattr(weighted, method)(X), getattr(repeated, method)(X), rtol=1e-6, atol=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@settings(max_examples=20, deadline=None)
@given(
    n_samples=st.integers(2, 40),
    n_features=st.integers(1, 6),
    shift=st.floats(-1e4, 1e4),
    scale=st.floats(1e-3, 1e4),
)
def test_regressor_shapes_and_target_equivariance(n_samples, n_features, shift, scale):
    rng = np.random.default_rng(n_samples)
    X = rng.normal(size=(n_samples, n_features))
    y = X.sum(axis=1) + rng.normal(size=n_samples)
    estimator = HeteroscedasticRegressor(solver="gd", alpha=0.1, max_iter=50, tol=0)
    base = clone(estimator).fit(X, y)
    moved = clone(estimator).fit(X, shift + scale * y)
    mean, std = base.predict(X, return_std=True)
    mean_moved, std_moved = moved.predict(X, return_std=True)
    assert mean.shape == std.shape == (n_samples,)
    np.testing.assert_allclose(
        mean_moved, shift + scale * mean, rtol=1e-6, atol=1e-6 * scale
    )
    np.testing.assert_allclose(std_moved, scale * std, rtol=1e-6)


def test_regressors_repeat_the_shared_signature_with_their_own_defaults():
    """The regressors restate the parameters only to change their defaults.

    _Regressor changes three; HeteroscedasticRegressor one more, the
    activation of a mean-variance network.
    """
    import inspect

    from skprob._base import ProbabilisticEstimator
    from skprob.regression import _Regressor

    shared = inspect.signature(ProbabilisticEstimator.__init__).parameters
    regressor = inspect.signature(_Regressor.__init__).parameters
    assert list(regressor) == list(shared)
    differing = [name for name in shared if shared[name] != regressor[name]]
    assert differing == ["alpha", "early_stopping", "validation_fraction"]
    assert regressor["alpha"].default == 0.0
    assert regressor["early_stopping"].default == "auto"
    assert regressor["validation_fraction"].default == 0.2
    mean_variance = inspect.signature(HeteroscedasticRegressor.__init__).parameters
    assert list(mean_variance) == list(shared)
    differing = [name for name in shared if regressor[name] != mean_variance[name]]
    assert differing == ["activation"]
    assert mean_variance["activation"].default == "tanh"


@pytest.mark.parametrize(
    "estimator_class",
    [
        GaussianRegressor,
        HeteroscedasticRegressor,
        BernoulliClassifier,
        SoftmaxClassifier,
    ],
    ids=lambda c: c.__name__,
)
def test_argument_errors_name_the_public_class(estimator_class):
    name = estimator_class.__name__
    with pytest.raises(TypeError, match=rf"^{name}\.__init__\(\) got an unexpected"):
        estimator_class(learning_rate_init=1e-3)
    with pytest.raises(TypeError, match=rf"^{name}\.__init__\(\) takes 1 positional"):
        estimator_class(0.1)
    # The renamed __init__ is the inherited one: same parameters, defaults.
    alpha = 0.0 if name.endswith("Regressor") else 1e-3
    assert estimator_class().get_params()["alpha"] == alpha
    assert clone(estimator_class(tol=1e-3)).tol == 1e-3


def test_public_submodules_are_attributes_of_the_package_imported_lazily():
    """``import skprob`` then ``skprob.metrics``, as numpy and scipy allow."""
    import subprocess
    import sys

    script = """
import sys, skprob
lazy = ("calibration", "inference", "metrics")
assert not any(f"skprob.{name}" in sys.modules for name in lazy)
for name in ("distributions", "models", "solvers", "exceptions", *lazy):
    assert name in dir(skprob), name
    assert getattr(skprob, name) is sys.modules[f"skprob.{name}"], name
try:
    skprob.no_such_module
except AttributeError as error:
    assert "no_such_module" in str(error)
else:
    raise AssertionError("no AttributeError")
"""
    subprocess.run([sys.executable, "-c", script], check=True)
