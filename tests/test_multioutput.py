"""Multiple outputs: y of shape (n, k), k independent outputs whose NLLs add.

The "multiple outputs" of Prince, Understanding Deep Learning (2023),
chapter 5: the outputs are independent, so the loss is
the sum of their negative log-likelihoods. For a linear model each output
has parameters of its own, so a fit on k outputs is k fits on one output;
a network shares its hidden layers between the outputs' heads.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler

import skprob
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.calibration import CalibratedRegressor
from skprob.distributions import Bernoulli, HeteroscedasticNormal, Normal
from skprob.inference import coef_inference
from skprob.metrics import (
    expected_calibration_error,
    gaussian_crps,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
    neg_gaussian_nll_scorer,
)
from skprob.models import ParametricModel

RNG = np.random.default_rng(0)
REGRESSORS = {
    "gaussian": GaussianRegressor,
    "heteroscedastic": HeteroscedasticRegressor,
}


def _regression(n_samples=200, n_outputs=3, seed=0):
    """Outputs of very different scales and noise levels."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    coef = rng.normal(size=(n_outputs, 3))
    scale = 10.0 ** np.arange(n_outputs)
    noise = (0.2 + np.arange(n_outputs)) * (1 + np.abs(X[:, :1]))
    Y = (X @ coef.T + 5.0) * scale + noise * scale * rng.normal(size=noise.shape)
    return X, Y


def _multilabel(n_samples=300, n_labels=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    logits = X @ rng.normal(size=(3, n_labels)) + rng.normal(size=n_labels)
    Y = (logits + rng.logistic(size=logits.shape) > 0).astype(int)
    return X, Y


# -- step 1: the distributions -------------------------------------------------


def _one_output(dist, o):
    """The 1-D distribution of output ``o`` of a multi-output one."""
    if isinstance(dist, Normal):
        return Normal()
    if isinstance(dist, HeteroscedasticNormal):
        return HeteroscedasticNormal(min_scale=np.ravel(dist.min_scale)[o])
    return Bernoulli()


def _columns_of(raw, n_params, k, o):
    """Output o's raw outputs, parameter-major: raw[:, j * k + o]."""
    return raw[:, [j * k + o for j in range(n_params)]]


K = 3
N = 11
MULTI_CASES = [
    ("normal", Normal(n_outputs=K), RNG.normal(size=(N, K)), 1),
    (
        "heteroscedastic",
        # One floor per output, the second one active on some rows.
        HeteroscedasticNormal(min_scale=np.array([1e-3, 0.8, 1e-3]), n_outputs=K),
        RNG.normal(size=(N, K)),
        2,
    ),
    ("bernoulli", Bernoulli(n_outputs=K), RNG.integers(0, 2, (N, K)) * 1.0, 1),
]
MULTI_IDS = [case[0] for case in MULTI_CASES]


@pytest.mark.parametrize("name, dist, y, n_params", MULTI_CASES, ids=MULTI_IDS)
def test_a_rows_nll_is_the_sum_of_its_outputs(name, dist, y, n_params, rng):
    raw = rng.normal(scale=1.5, size=(N, n_params * K))
    assert dist.n_raw == n_params * K
    nll, gradient = dist.nll_gradient(y, raw)
    hessian = dist.hessian(y, raw)
    assert nll.shape == (N,) and gradient.shape == raw.shape
    assert hessian.shape == (N, n_params * K, n_params * K)
    expected_nll = np.zeros(N)
    expected_hessian = np.zeros_like(hessian)
    for o in range(K):
        one = _one_output(dist, o)
        index = [j * K + o for j in range(n_params)]
        nll_o, gradient_o = one.nll_gradient(y[:, o], raw[:, index])
        expected_nll += nll_o
        assert_allclose(gradient[:, index], gradient_o, rtol=1e-15)
        expected_hessian[np.ix_(range(N), index, index)] = one.hessian(
            y[:, o], raw[:, index]
        )
    assert_allclose(nll, expected_nll, rtol=1e-14)
    # Blocks within an output only: no curvature between two outputs.
    assert_allclose(hessian, expected_hessian, rtol=1e-15)


@pytest.mark.parametrize("name, dist, y, n_params", MULTI_CASES, ids=MULTI_IDS)
def test_starting_point_and_frozen_distribution_per_output(
    name, dist, y, n_params, rng
):
    weight = rng.uniform(size=N)
    start = dist.raw_at_marginal_mle(y, weight)
    raw = rng.normal(size=(N, n_params * K))
    frozen = dist.frozen(raw)
    assert frozen.mean().shape == (N, K)
    for o in range(K):
        one = _one_output(dist, o)
        assert_allclose(
            _columns_of(start[None, :], n_params, K, o)[0],
            one.raw_at_marginal_mle(y[:, o], weight),
            rtol=1e-14,
        )
        one_frozen = one.frozen(_columns_of(raw, n_params, K, o))
        assert_allclose(frozen.mean()[:, o], one_frozen.mean(), rtol=1e-14)
        assert_allclose(frozen.std()[:, o], one_frozen.std(), rtol=1e-14)


def test_normal_scale_and_target_map_per_output(rng):
    y, raw = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    weight = rng.uniform(size=N)
    sigma = Normal(n_outputs=K).scale_mle(y, raw, weight)
    expected = [Normal().scale_mle(y[:, o], raw[:, [o]], weight) for o in range(K)]
    assert_allclose(sigma, expected, rtol=1e-14)
    loc, scale = np.array([1.0, -2.0, 3.0]), np.array([2.0, 0.5, 4.0])
    shift, factor = HeteroscedasticNormal(n_outputs=K).target_affine(loc, scale)
    assert_array_equal(shift, np.r_[loc, np.log(scale)])
    assert_array_equal(factor, np.r_[scale, np.ones(K)])
    assert_array_equal(Normal(n_outputs=K).target_affine(loc, scale)[1], scale)


def test_curvature_ratio_is_that_of_the_most_curved_output(rng):
    dist = HeteroscedasticNormal(n_outputs=2)
    y = rng.normal(size=(N, 2))
    raw = np.column_stack([y[:, 0], y[:, 1], np.zeros(N), np.full(N, -1.0)])
    weight = np.full(N, 1.0 / N)
    expected = max(
        HeteroscedasticNormal().curvature_ratio(y[:, o], raw[:, [o, 2 + o]], weight)
        for o in range(2)
    )
    assert dist.curvature_ratio(y, raw, weight) == pytest.approx(expected)
    assert expected > 1.0  # the second output, sigma = exp(-1), dominates


def test_one_separated_output_means_no_maximum_likelihood():
    y = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    raw = np.array([[-1.0, 0.5], [2.0, -0.5], [0.1, 0.3]])
    assert Bernoulli(n_outputs=2).separates(y, raw)  # the first output
    raw[1, 0] = -2.0
    assert not Bernoulli(n_outputs=2).separates(y, raw)


# -- the estimators: shapes -----------------------------------------------------


def _fit_quietly(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


@settings(max_examples=8, deadline=None)
@given(n_outputs=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_regressor_shapes_for_k_outputs(n_outputs, seed):
    X, Y = _regression(60, n_outputs, seed)
    n_samples, n_features = X.shape
    reg = GaussianRegressor().fit(X, Y)
    assert reg.coef_.shape == (n_outputs, n_features)
    assert reg.intercept_.shape == reg.sigma_.shape == (n_outputs,)
    het = _fit_quietly(HeteroscedasticRegressor(), X, Y)
    assert het.coef_.shape == (2, n_outputs, n_features)
    assert het.intercept_.shape == (2, n_outputs)
    for estimator in (reg, het):
        mean, std = estimator.predict(X, return_std=True)
        assert mean.shape == std.shape == (n_samples, n_outputs)
        assert_array_equal(estimator.predict(X), mean)
        dist = estimator.predict_dist(X)
        assert dist.mean().shape == dist.logpdf(Y).shape == (n_samples, n_outputs)
        assert_allclose(dist.std(), std)
    assert_allclose(reg.predict(X, return_std=True)[1], np.tile(reg.sigma_, (60, 1)))


@settings(max_examples=8, deadline=None)
@given(n_labels=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_multilabel_shapes_for_k_labels(n_labels, seed):
    X, Y = _multilabel(80, n_labels, seed)
    clf = _fit_quietly(BernoulliClassifier(), X, Y)
    assert_array_equal(clf.classes_, np.arange(n_labels))
    assert clf.coef_.shape == (n_labels, X.shape[1])
    assert clf.intercept_.shape == (n_labels,)
    proba = clf.predict_proba(X)
    assert proba.shape == clf.predict(X).shape == (80, n_labels)
    # As scikit-learn's MLPClassifier on a multilabel target.
    assert not hasattr(clf, "decision_function")
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.predict(X).dtype.kind == "i"
    assert clf.predict_dist(X).mean().shape == (80, n_labels)


def test_a_one_dimensional_target_gives_the_outputs_it_always_gave():
    X, Y = _regression(100, 1)
    y = Y[:, 0]
    reg = GaussianRegressor().fit(X, y)
    assert reg.coef_.shape == (3,) and isinstance(reg.sigma_, float)
    assert isinstance(reg.intercept_, float)
    assert reg.predict(X).shape == (100,)
    het = HeteroscedasticRegressor().fit(X, y)
    assert het.coef_.shape == (2, 3) and het.intercept_.shape == (2,)


def test_a_column_target_stays_a_column_for_regressors():
    # As scikit-learn's LinearRegression and Ridge: predictions (n, 1).
    X, Y = _regression(100, 1)
    for estimator in (GaussianRegressor(), HeteroscedasticRegressor()):
        column = clone(estimator).fit(X, Y)
        flat = clone(estimator).fit(X, Y[:, 0])
        mean, std = column.predict(X, return_std=True)
        assert mean.shape == std.shape == (100, 1)
        flat_mean, flat_std = flat.predict(X, return_std=True)
        assert_allclose(mean[:, 0], flat_mean, rtol=1e-7)
        assert_allclose(std[:, 0], flat_std, rtol=1e-6)
    assert GaussianRegressor().fit(X, Y).coef_.shape == (1, 3)


@pytest.mark.parametrize("Classifier", [BernoulliClassifier, SoftmaxClassifier])
def test_a_column_of_labels_is_flattened_with_a_warning(Classifier):
    X, Y = _multilabel(100, 1)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf = Classifier().fit(X, Y)
    assert clf.predict(X).shape == (100,)
    assert_array_equal(clf.classes_, [0, 1])


# -- a linear model's fit on k outputs is k fits on one -------------------------


def _separate_fits(estimator, X, Y, **kwargs):
    return [clone(estimator).fit(X, Y[:, o], **kwargs) for o in range(Y.shape[1])]


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gaussian_multi_output_fit_equals_separate_fits(solver, weighted, rng):
    X, Y = _regression()
    kwargs = {"sample_weight": rng.uniform(0, 3, len(X))} if weighted else {}
    tol = 1e-10 if solver == "newton" else 1e-7
    estimator = GaussianRegressor(solver=solver, alpha=1e-3, tol=tol)
    joint = estimator.fit(X, Y, **kwargs)
    separate = _separate_fits(estimator, X, Y, **kwargs)
    # Newton's fits end at the optimum to rounding; L-BFGS's within its tol.
    rtol = 1e-10 if solver == "newton" else 1e-5
    scale = np.abs(Y).max(axis=0)
    assert_allclose(
        joint.coef_ / scale[:, None],
        [fit.coef_ for fit in separate] / scale[:, None],
        rtol=rtol,
        atol=rtol,
    )
    assert_allclose(
        joint.intercept_ / scale,
        [fit.intercept_ for fit in separate] / scale,
        rtol=rtol,
    )
    assert_allclose(joint.sigma_, [fit.sigma_ for fit in separate], rtol=rtol)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_heteroscedastic_multi_output_fit_equals_separate_fits(solver):
    X, Y = _regression(400)
    tol, rtol = (1e-9, 1e-8) if solver == "newton" else (1e-7, 1e-4)
    estimator = HeteroscedasticRegressor(solver=solver, tol=tol)
    joint = estimator.fit(X, Y)
    separate = _separate_fits(estimator, X, Y)
    for o, fit in enumerate(separate):
        scale = np.array([[np.abs(Y[:, o]).max()], [1.0]])
        assert_allclose(
            joint.coef_[:, o] / scale, fit.coef_ / scale, rtol=rtol, atol=rtol
        )
        assert_allclose(
            joint.intercept_[:, o] / scale[:, 0],
            fit.intercept_ / scale[:, 0],
            rtol=rtol,
            atol=rtol,
        )
    mean, std = joint.predict(X, return_std=True)
    for o, fit in enumerate(separate):
        fit_mean, fit_std = fit.predict(X, return_std=True)
        assert_allclose(std[:, o], fit_std, rtol=rtol)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_multilabel_fit_equals_one_fit_per_label(solver, alpha):
    X, Y = _multilabel()
    tol = 1e-10 if solver == "newton" else 1e-7
    estimator = BernoulliClassifier(solver=solver, alpha=alpha, tol=tol)
    joint = estimator.fit(X, Y)
    separate = _separate_fits(estimator, X, Y)
    rtol = 1e-10 if solver == "newton" else 1e-5
    coef = np.vstack([fit.coef_ for fit in separate])
    assert_allclose(joint.coef_, coef, rtol=rtol, atol=rtol)
    proba = np.column_stack([fit.predict_proba(X)[:, 1] for fit in separate])
    assert_allclose(joint.predict_proba(X), proba, rtol=rtol, atol=rtol)


# -- properties -----------------------------------------------------------------


@settings(max_examples=6, deadline=None)
@given(
    n_outputs=st.integers(2, 4),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["gaussian", "heteroscedastic", "bernoulli"]),
)
def test_permuting_the_outputs_permutes_every_result(n_outputs, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "bernoulli":
        X, Y = _multilabel(120, n_outputs, seed)
        estimator = BernoulliClassifier(solver="newton")
    else:
        X, Y = _regression(120, n_outputs, seed)
        Estimator = (
            GaussianRegressor if kind == "gaussian" else HeteroscedasticRegressor
        )
        estimator = Estimator(solver="newton", tol=1e-9)
    order = rng.permutation(n_outputs)
    fit = _fit_quietly(clone(estimator), X, Y)
    permuted = _fit_quietly(clone(estimator), X, Y[:, order])
    if kind == "bernoulli":
        assert_allclose(permuted.predict_proba(X), fit.predict_proba(X)[:, order])
        assert_array_equal(permuted.predict(X), fit.predict(X)[:, order])
    else:
        mean, std = fit.predict(X, return_std=True)
        permuted_mean, permuted_std = permuted.predict(X, return_std=True)
        scale = np.abs(Y).max(axis=0)[order]
        assert_allclose(permuted_mean / scale, mean[:, order] / scale, atol=1e-7)
        assert_allclose(permuted_std / scale, std[:, order] / scale, atol=1e-7)


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["gaussian", "heteroscedastic", "bernoulli"]),
)
def test_integer_weights_repeat_rows(seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "bernoulli":
        X, Y = _multilabel(60, 3, seed)
        estimator = BernoulliClassifier(solver="newton")
    else:
        X, Y = _regression(60, 3, seed)
        Estimator = (
            GaussianRegressor if kind == "gaussian" else HeteroscedasticRegressor
        )
        estimator = Estimator(solver="newton", tol=1e-9)
    weight = rng.integers(0, 4, len(X))
    weight[:2] = 1  # some rows of positive weight, whatever the draw
    weighted = _fit_quietly(clone(estimator), X, Y, sample_weight=weight)
    rows = np.repeat(np.arange(len(X)), weight)
    repeated = _fit_quietly(clone(estimator), X[rows], Y[rows])
    if kind == "bernoulli":
        assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7)
    else:
        scale = np.abs(Y).max(axis=0)
        for got, expected in zip(
            weighted.predict(X, return_std=True),
            repeated.predict(X, return_std=True),
            strict=True,
        ):
            assert_allclose(got / scale, expected / scale, atol=1e-7)


# -- networks share their hidden layers ------------------------------------------


def _sin_cos(n_samples, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n_samples, 1))
    Y = np.column_stack([np.sin(x[:, 0]), np.cos(x[:, 0])])
    return x, Y + 0.1 * rng.normal(size=Y.shape), Y


def test_a_network_fits_two_targets_through_shared_hidden_layers():
    x, Y, _ = _sin_cos(1000, 0)
    net = GaussianRegressor(hidden_layer_sizes=(32, 32), random_state=0).fit(x, Y)
    # One trunk, two heads: the last layer maps 32 hidden units to 2 outputs.
    assert [coef.shape for coef in net.coefs_] == [(1, 32), (32, 32), (32, 2)]
    x_test, _, truth = _sin_cos(500, 1)
    rmse = np.sqrt(np.mean((net.predict(x_test) - truth) ** 2, axis=0))
    # The noise is 0.1: a good fit's error on the noise-free truth is well
    # below it, and sigma_ close to it.
    assert np.all(rmse < 0.05), rmse
    assert_allclose(net.sigma_, [0.1, 0.1], rtol=0.15)


def test_a_mean_variance_network_with_two_targets():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(2000, 1))
    noise = np.column_stack([0.05 + 0.1 * np.abs(x[:, 0]), np.full(2000, 0.2)])
    Y = np.column_stack([np.sin(x[:, 0]), np.cos(x[:, 0])]) + noise * rng.normal(
        size=noise.shape
    )
    net = HeteroscedasticRegressor(
        hidden_layer_sizes=(32, 32), early_stopping=True, random_state=0
    ).fit(x, Y)
    # Four heads on one trunk: two means, then two log standard deviations.
    assert net.coefs_[-1].shape == (32, 4)
    _, std = net.predict(np.array([[-2.5], [0.0], [2.5]]), return_std=True)
    assert_allclose(std[:, 0], [0.3, 0.05, 0.3], atol=0.06)
    assert_allclose(std[:, 1], [0.2, 0.2, 0.2], atol=0.05)


# -- the rest of the API ----------------------------------------------------------


def test_softmax_refuses_a_two_dimensional_target_and_says_what_fits_it():
    X, Y = _multilabel(50, 3)
    with pytest.raises(ValueError, match="BernoulliClassifier") as error:
        SoftmaxClassifier().fit(X, Y)
    assert "MultiOutputClassifier(SoftmaxClassifier())" in str(error.value)
    with pytest.raises(ValueError, match="MultiOutputClassifier"):
        SoftmaxClassifier().partial_fit(X, Y, classes=[0, 1])


@pytest.mark.parametrize(
    "Y", [[[0, 2], [1, 0], [2, 1]], [["a", "b"], ["b", "a"], ["a", "a"]]]
)
def test_bernoulli_refuses_a_two_dimensional_target_other_than_0_and_1(Y):
    with pytest.raises(ValueError, match="multilabel indicator matrix of 0s and 1s"):
        BernoulliClassifier().fit(np.eye(3), Y)


def test_continuing_a_fit_needs_the_same_outputs():
    X, Y = _regression(100, 2)
    reg = GaussianRegressor(warm_start=True).fit(X, Y)
    with pytest.raises(ValueError, match="2-D target of 2 columns"):
        reg.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="fitted on a 2-D target of 2 columns"):
        reg.partial_fit(X, np.column_stack([Y, Y[:, :1]]))
    clf = BernoulliClassifier().fit(*_multilabel(100, 3))
    with pytest.raises(ValueError, match="1-D target"):
        clf.partial_fit(X, Y[:, 0] > 0)


def test_partial_fit_and_warm_start_on_two_dimensional_targets():
    X, Y = _regression(600, 2)
    reg = GaussianRegressor(random_state=0)
    for _ in range(20):
        for chunk in np.array_split(np.arange(600), 3):
            reg.partial_fit(X[chunk], Y[chunk])
    full = GaussianRegressor().fit(X, Y)
    assert_allclose(reg.coef_, full.coef_, rtol=0.02, atol=0.02 * np.abs(Y).max())
    X, Y = _multilabel(600, 3)
    clf = BernoulliClassifier(random_state=0)
    # Passes over the same chunks converge linearly from the third on (see
    # skprob._training.passes): 0.03 from fit's probabilities after 20
    # passes over these three chunks, 0.005 after 30, 5e-4 after 40.
    for epoch in range(20):
        for chunk in np.array_split(np.arange(600), 3):
            classes = range(3) if epoch == 0 else None
            clf.partial_fit(X[chunk], Y[chunk], classes=classes)
    full = BernoulliClassifier().fit(X, Y)
    assert_allclose(clf.predict_proba(X), full.predict_proba(X), atol=0.05)
    with pytest.raises(ValueError, match="column indices"):
        BernoulliClassifier().partial_fit(X, Y, classes=[0, 1])
    # A warm start at the optimum stays there.
    warm = clone(full).set_params(warm_start=True).fit(X, Y)
    warm.fit(X, Y)
    assert_allclose(warm.coef_, full.coef_, rtol=1e-6)


@pytest.mark.parametrize(
    "estimator, data",
    [
        (GaussianRegressor(hidden_layer_sizes=(8,)), _regression),
        (HeteroscedasticRegressor(hidden_layer_sizes=(8,)), _regression),
        (BernoulliClassifier(hidden_layer_sizes=(8,)), _multilabel),
    ],
    ids=["gaussian", "heteroscedastic", "bernoulli"],
)
def test_early_stopping_on_two_dimensional_targets(estimator, data):
    # A multilabel target is split without stratification, as
    # scikit-learn's MLPClassifier splits it.
    X, Y = data(300)
    fit = _fit_quietly(
        clone(estimator).set_params(early_stopping=True, random_state=0), X, Y
    )
    assert len(fit.validation_scores_) == fit.n_iter_
    assert fit.predict(X).shape == Y.shape


def test_metrics_average_over_outputs_as_scikit_learn(rng):
    X, Y = _regression(200, 3)
    reg = GaussianRegressor().fit(X, Y)
    mean, std = reg.predict(X, return_std=True)
    weight = rng.uniform(size=200)
    for metric in (gaussian_nll, gaussian_crps):
        per_output = [
            metric(Y[:, o], mean[:, o], std[:, o], sample_weight=weight)
            for o in range(3)
        ]
        raw = metric(Y, mean, std, sample_weight=weight, multioutput="raw_values")
        assert_allclose(raw, per_output, rtol=1e-14)
        assert metric(Y, mean, std, sample_weight=weight) == pytest.approx(
            np.mean(per_output), rel=1e-14
        )
        assert metric(Y, mean, std, multioutput=[1, 0, 0]) == pytest.approx(
            metric(Y[:, 0], mean[:, 0], std[:, 0])
        )
    lower, upper = mean - std, mean + std
    assert interval_coverage(Y, lower, upper, multioutput="raw_values").shape == (3,)
    assert mean_interval_width(lower, upper) == pytest.approx(2 * np.mean(reg.sigma_))
    # A sum of independent outputs' NLLs: the joint NLL of a row.
    joint = -reg.predict_dist(X).logpdf(Y).sum(axis=1).mean()
    assert gaussian_nll(Y, mean, std) * 3 == pytest.approx(joint)
    scores = cross_val_score(GaussianRegressor(), X, Y, scoring=neg_gaussian_nll_scorer)
    assert np.all(np.isfinite(scores))
    with pytest.raises(ValueError, match="same number of outputs"):
        gaussian_nll(Y, mean[:, :2], std[:, :2])


def test_top_label_calibration_error_refuses_a_multilabel_target():
    X, Y = _multilabel(100)
    clf = BernoulliClassifier().fit(X, Y)
    with pytest.raises(ValueError, match=r"y_true\[:, j\], y_proba\[:, j\]"):
        expected_calibration_error(Y, clf.predict_proba(X))


def test_calibrated_regressor_has_one_factor_per_output():
    X, Y = _regression(200, 2)
    joint = CalibratedRegressor(GaussianRegressor()).fit(X, Y)
    separate = [CalibratedRegressor(GaussianRegressor()).fit(X, y) for y in Y.T]
    assert_allclose(joint.scale_, [fit.scale_ for fit in separate], rtol=1e-6)
    mean, std = joint.predict(X, return_std=True)
    assert std.shape == (200, 2)
    assert_allclose(std, joint.scale_ * joint.estimator_.predict(X, return_std=True)[1])


def test_coef_inference_refuses_a_multi_output_fit():
    X, Y = _regression(100, 2)
    reg = GaussianRegressor(solver="newton").fit(X, Y)
    with pytest.raises(ValueError, match="fit one estimator per column"):
        coef_inference(reg, X, Y)


def test_predict_dist_through_a_transformed_target_regressor():
    X, Y = _regression(200, 2)
    model = TransformedTargetRegressor(
        GaussianRegressor(), transformer=StandardScaler()
    )
    model.fit(X, Y)
    dist = skprob.predict_dist(model, X)
    assert_allclose(dist.mean(), model.predict(X))
    # The scaler's factor per output, on the regressor's sigma per output.
    expected_std = model.transformer_.scale_ * model.regressor_.sigma_
    assert_allclose(dist.std(), np.tile(expected_std, (200, 1)))
    assert_allclose(expected_std, GaussianRegressor().fit(X, Y).sigma_, rtol=1e-6)


class _LinesModel(ParametricModel):
    """raw[:, o] = a_o + b_o x: one line per output, k outputs."""

    @property
    def n_params(self):
        return 2 * self.n_outputs_

    def init_params(self, raw_intercept, random_state):
        return np.r_[raw_intercept, np.zeros(self.n_outputs_)]

    def predict_raw(self, params, X):
        intercept, slope = params.reshape(2, -1)
        return intercept + X[:, :1] * slope

    def jacobian(self, params, X):
        k = self.n_outputs_
        jacobian = np.zeros((len(X), k, 2 * k))
        outputs = np.arange(k)
        jacobian[:, outputs, outputs] = 1.0
        jacobian[:, outputs, k + outputs] = X[:, :1]
        return jacobian


def test_a_model_of_the_users_own_predicts_every_output():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 1))
    Y = np.column_stack([1.0 + 2.0 * X[:, 0], -100.0 * X[:, 0]])
    Y += [0.1, 10.0] * rng.normal(size=Y.shape)
    ours = GaussianRegressor(model=_LinesModel()).fit(X, Y)
    linear = GaussianRegressor().fit(X, Y)
    assert ours.params_.shape == (4,)
    assert_allclose(ours.predict(X), linear.predict(X), rtol=1e-6)
    assert_allclose(ours.sigma_, linear.sigma_, rtol=1e-6)


def test_n_outputs_follows_the_target_as_in_scikit_learns_mlp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    Y = X @ rng.normal(size=(2, 3))
    assert GaussianRegressor().fit(X, Y).n_outputs_ == 3
    assert GaussianRegressor().fit(X, Y[:, :1]).n_outputs_ == 1
    assert GaussianRegressor().fit(X, Y[:, 0]).n_outputs_ == 1
    labels = (Y > 0).astype(int)
    assert BernoulliClassifier().fit(X, labels).n_outputs_ == 3
    assert BernoulliClassifier().fit(X, labels[:, 0]).n_outputs_ == 1
