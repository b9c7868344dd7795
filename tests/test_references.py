"""The convergence contract, against references nobody here wrote.

statsmodels' Newton fits and scikit-learn's solvers reach the optimum of
the objective on the same data. The contract (see the user guide): a fit
that returns without a ConvergenceWarning is within 1e-5 (relative) of the
optimal objective value, whatever the solver; ``lbfgs`` and the default
solver reach 1e-8 and do not warn. A first-order solver may warn on an
ill-conditioned problem; it may not stop short in silence.
"""

import functools
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from _real_data import DATA_SETS, reference_fit
from scipy.optimize import minimize
from scipy.special import log_expit
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_linnerud,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob._training import Objective
from skprob.solvers import SOLVERS

CONTRACT = 1e-5
EXACT = 1e-8
ALL_SOLVERS = ["auto", *SOLVERS]


def _standardized(X):
    return StandardScaler().fit_transform(np.asarray(X, dtype=float))


def _class_nll(estimator, X, y, sample_weight=None):
    log_proba = estimator.predict_log_proba(X)
    observed = log_proba[np.arange(len(y)), np.searchsorted(estimator.classes_, y)]
    return -np.average(observed, weights=sample_weight)


def _fit(estimator, X, y, sample_weight=None):
    """Fit, and say whether the fit warned that it missed the optimum."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y, sample_weight=sample_weight)
    other = [w for w in caught if not issubclass(w.category, ConvergenceWarning)]
    assert not other, [str(w.message) for w in other]
    return estimator, len(caught) > 0


def _fit_converged(estimator, X, y, sample_weight=None):
    """Fit, and require that the fit reached the optimum."""
    estimator, warned = _fit(estimator, X, y, sample_weight)
    assert not warned
    return estimator


def _check_contract(solver, ours, optimum, warned):
    """A fit is at the optimum, or it warned; auto, lbfgs and newton never warn."""
    gap = (ours - optimum) / abs(optimum)
    assert gap > -1e-9, "better than the optimum: the reference is wrong"
    if solver in ("auto", "lbfgs", "newton"):
        assert not warned
        assert gap <= EXACT
    elif not warned:
        assert gap <= CONTRACT
    return gap


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_logit_matches_statsmodels(solver):
    data = sm.datasets.spector.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    ours, warned = _fit(
        BernoulliClassifier(solver=solver, alpha=0, random_state=0), X, y
    )
    _check_contract(solver, _class_nll(ours, X, y), -reference.llf / len(y), warned)
    if solver in ("auto", "lbfgs"):
        np.testing.assert_allclose(ours.coef_[0], reference.params[1:], rtol=1e-5)
        np.testing.assert_allclose(ours.intercept_[0], reference.params[0], rtol=1e-5)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_multinomial_logit_matches_statsmodels(solver):
    data = sm.datasets.anes96.load_pandas()
    columns = ["logpopul", "selfLR", "age", "educ", "income"]
    X, y = _standardized(data.exog[columns]), data.endog.to_numpy().astype(int)
    reference = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton")
    ours, warned = _fit(SoftmaxClassifier(solver=solver, alpha=0, random_state=0), X, y)
    _check_contract(solver, _class_nll(ours, X, y), -reference.llf / len(y), warned)
    if solver in ("auto", "lbfgs"):
        # statsmodels fixes class 0's scores at zero; compare contrasts.
        contrasts = ours.coef_[1:] - ours.coef_[0]
        np.testing.assert_allclose(contrasts, reference.params[1:].T, atol=1e-5)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_binomial_counts_as_weighted_rows_match_statsmodels_glm(solver):
    # Each school's pass and fail counts become two weighted Bernoulli rows:
    # weights in the hundreds, and a likelihood sharper than the rows'.
    data = sm.datasets.star98.load_pandas()
    X = _standardized(data.exog)
    successes, failures = data.endog["NABOVE"], data.endog["NBELOW"]
    reference = sm.GLM(
        np.column_stack([successes, failures]),
        sm.add_constant(X),
        family=sm.families.Binomial(),
    ).fit(tol=1e-12)
    X_rows = np.vstack([X, X])
    y_rows = np.r_[np.ones(len(X)), np.zeros(len(X))]
    weight = np.r_[successes, failures].astype(float)
    ours, warned = _fit(
        BernoulliClassifier(solver=solver, alpha=0, random_state=0),
        X_rows,
        y_rows,
        sample_weight=weight,
    )
    # The GLM's log-likelihood has the binomial coefficients; compare NLLs
    # of the Bernoulli rows at the GLM's parameters instead.
    logit = sm.add_constant(X) @ reference.params
    optimum = np.average(
        np.r_[np.logaddexp(0, -logit), np.logaddexp(0, logit)], weights=weight
    )
    _check_contract(solver, _class_nll(ours, X_rows, y_rows, weight), optimum, warned)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_gaussian_regression_matches_ols(solver):
    X, y = load_diabetes(return_X_y=True)
    X = _standardized(X)
    reference = sm.OLS(y, sm.add_constant(X)).fit()
    ours, warned = _fit(GaussianRegressor(solver=solver, alpha=0, random_state=0), X, y)
    # The objective on the standardized target, whose optimum is OLS's.
    residual_variance = np.mean((y - ours.predict(X)) ** 2) / np.var(y)
    optimum = reference.ssr / len(y) / np.var(y)
    _check_contract(solver, residual_variance, optimum, warned)
    if solver in ("auto", "lbfgs"):
        expected_sigma = np.sqrt(reference.ssr / len(y))
        assert ours.sigma_ == pytest.approx(expected_sigma, rel=1e-8)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_ill_conditioned_regression_matches_ols(solver):
    # Longley's economic series are nearly collinear: the Hessian's condition
    # number is about 1e4 after standardizing, 1e9 before.
    data = sm.datasets.longley.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    reference = sm.OLS(y, sm.add_constant(X)).fit()
    ours, warned = _fit(GaussianRegressor(solver=solver, alpha=0, random_state=0), X, y)
    residual_variance = np.mean((y - ours.predict(X)) ** 2) / np.var(y)
    optimum = reference.ssr / len(y) / np.var(y)
    _check_contract(solver, residual_variance, optimum, warned)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_penalized_logistic_regression_matches_scikit_learn(solver):
    X, y = load_breast_cancer(return_X_y=True)
    X, alpha = _standardized(X), 1e-2
    reference = LogisticRegression(C=1 / (len(y) * alpha), tol=1e-12, max_iter=10_000)
    reference.fit(X, y)
    ours, warned = _fit(
        BernoulliClassifier(solver=solver, alpha=alpha, random_state=0), X, y
    )

    def objective(estimator):
        return _class_nll(estimator, X, y) + alpha / 2 * np.sum(estimator.coef_**2)

    _check_contract(solver, objective(ours), objective(reference), warned)


@functools.cache
def _digits_reference(alpha):
    X, y = load_digits(return_X_y=True)
    X = _standardized(X)
    reference = LogisticRegression(C=1 / (len(y) * alpha), tol=1e-10, max_iter=10_000)
    return X, y, reference.fit(X, y)


# The first-order solvers take their max_iter epochs here (ten classes, 64
# features): the slow set.
@pytest.mark.parametrize(
    "solver",
    [
        s if s in ("auto", "lbfgs") else pytest.param(s, marks=pytest.mark.slow)
        for s in ALL_SOLVERS
    ],
)
def test_default_penalty_on_digits_matches_scikit_learn(solver):
    ours = SoftmaxClassifier(solver=solver, random_state=0)
    X, y, reference = _digits_reference(ours.alpha)
    ours, warned = _fit(ours, X, y)

    def objective(estimator):
        penalty = ours.alpha / 2 * np.sum(estimator.coef_**2)
        return _class_nll(estimator, X, y) + penalty

    _check_contract(solver, objective(ours), objective(reference), warned)


def test_raw_targets_in_the_thousands_fit_with_defaults():
    X, y = load_diabetes(return_X_y=True)
    X = _standardized(X)
    y_large = 1000.0 * y + 50_000.0
    ours = _fit_converged(GaussianRegressor(), X, y_large)
    small = _fit_converged(GaussianRegressor(), X, y)
    assert ours.score(X, y_large) == pytest.approx(small.score(X, y), abs=1e-9)
    assert ours.sigma_ == pytest.approx(1000.0 * small.sigma_, rel=1e-8)


# -- the penalty of the regressors, as the user guide states it ---------------


def _heteroscedastic_data(n_samples=300, seed=0):
    """A target in large units, so that its scale s_y is far from 1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    noise = np.exp(0.3 * X[:, 0]) * rng.normal(size=n_samples)
    y = 10.0 * (X @ [1.0, -0.5, 0.2]) + 5.0 + 10.0 * noise
    return X, y, rng.uniform(0.5, 2.0, n_samples)


def _target_scale(y, sample_weight):
    mean = np.average(y, weights=sample_weight)
    return np.sqrt(np.average((y - mean) ** 2, weights=sample_weight))


def test_penalized_gaussian_regression_is_ridge():
    # The user guide: coef_ and intercept_ are Ridge(alpha=alpha * sum(w)).
    X, y, sample_weight = _heteroscedastic_data()
    alpha = 0.05
    ours = _fit_converged(
        GaussianRegressor(solver="lbfgs", alpha=alpha), X, y, sample_weight
    )
    reference = Ridge(alpha=alpha * sample_weight.sum(), solver="cholesky")
    reference.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6)
    assert ours.intercept_ == pytest.approx(reference.intercept_, rel=1e-6)
    unweighted = _fit_converged(GaussianRegressor(solver="lbfgs", alpha=alpha), X, y)
    reference = Ridge(alpha=alpha * len(y), solver="cholesky").fit(X, y)
    np.testing.assert_allclose(unweighted.coef_, reference.coef_, rtol=1e-6)


def _heteroscedastic_objective(X, y, sample_weight, alpha, mean_penalty_scale):
    """The user guide's objective for HeteroscedasticRegressor, and its gradient.

    Parameters, on the original scale: coef_[0], intercept_[0], coef_[1],
    intercept_[1]. The mean's weights are penalized divided by
    ``mean_penalty_scale`` (s_y, as documented; 1 for a plain penalty).
    """
    n_features = X.shape[1]
    weight = sample_weight / sample_weight.sum()

    def objective(params):
        coef_mean, coef_scale = params[:n_features], params[n_features + 1 : -1]
        mean = X @ coef_mean + params[n_features]
        log_scale = X @ coef_scale + params[-1]
        inv_var = np.exp(-2.0 * log_scale)
        residual = y - mean
        nll = log_scale + 0.5 * residual**2 * inv_var
        grad_mean = -weight * residual * inv_var
        grad_log_scale = weight * (1.0 - residual**2 * inv_var)
        penalty = coef_mean @ coef_mean / mean_penalty_scale**2
        penalty += coef_scale @ coef_scale
        gradient = np.concatenate(
            [
                X.T @ grad_mean + alpha * coef_mean / mean_penalty_scale**2,
                [grad_mean.sum()],
                X.T @ grad_log_scale + alpha * coef_scale,
                [grad_log_scale.sum()],
            ]
        )
        return weight @ nll + alpha / 2 * penalty, gradient

    return objective


def test_heteroscedastic_penalty_is_that_of_the_standardized_target():
    X, y, sample_weight = _heteroscedastic_data()
    alpha = 0.05
    ours = HeteroscedasticRegressor(solver="lbfgs", alpha=alpha)
    ours = _fit_converged(ours, X, y, sample_weight)
    fitted = np.concatenate(
        [ours.coef_[0], ours.intercept_[:1], ours.coef_[1], ours.intercept_[1:]]
    )
    s_y = _target_scale(y, sample_weight)
    start = np.zeros_like(fitted)
    start[X.shape[1]], start[-1] = np.mean(y), np.log(np.std(y))

    def optimum(mean_penalty_scale):
        objective = _heteroscedastic_objective(
            X, y, sample_weight, alpha, mean_penalty_scale
        )
        result = minimize(
            objective, start, jac=True, method="BFGS", options={"gtol": 1e-10}
        )
        return result.x

    np.testing.assert_allclose(fitted, optimum(s_y), rtol=1e-5, atol=1e-6)
    # The plain penalty alpha / 2 * ||coef_||^2 has another optimum here.
    assert np.max(np.abs(fitted - optimum(1.0))) > 1.0


def test_heteroscedastic_fit_does_not_depend_on_the_unit_of_y():
    X, y, _ = _heteroscedastic_data()
    metres = _fit_converged(HeteroscedasticRegressor(solver="lbfgs", alpha=0.05), X, y)
    millimetres = HeteroscedasticRegressor(solver="lbfgs", alpha=0.05)
    millimetres = _fit_converged(millimetres, X, 1000.0 * y)
    np.testing.assert_allclose(millimetres.coef_[0], 1000.0 * metres.coef_[0])
    np.testing.assert_allclose(millimetres.coef_[1], metres.coef_[1], atol=1e-7)
    expected = metres.intercept_ * [1000.0, 1.0] + [0.0, np.log(1000.0)]
    np.testing.assert_allclose(millimetres.intercept_, expected)


# -- Newton's method on real data, against statsmodels ----------------------

NEWTON_ESTIMATORS = {
    "spector-Logit": BernoulliClassifier,
    "anes96-MNLogit": SoftmaxClassifier,
    "star98-GLM-Binomial": BernoulliClassifier,
    "longley-OLS": GaussianRegressor,
}


def _mean_nll(estimator, X, y, sample_weight):
    if hasattr(estimator, "predict_log_proba"):
        codes = np.searchsorted(estimator.classes_, y)
        log_proba = estimator.predict_log_proba(X)[np.arange(len(y)), codes]
        return -np.average(log_proba, weights=sample_weight)
    return -np.average(estimator.predict_dist(X).logpdf(y), weights=sample_weight)


def _reference_nll(data, reference):
    """The mean NLL of the rows at statsmodels' optimum."""
    if data.sample_weight is None:
        return -reference.llf / len(data.y)
    # The GLM's likelihood of the counts has binomial coefficients that the
    # weighted Bernoulli rows do not: evaluate the rows' NLL at its optimum.
    log_odds = reference.model.exog @ reference.params
    counts = reference.model.data.endog
    nll = -(counts[:, 0] @ log_expit(log_odds) + counts[:, 1] @ log_expit(-log_odds))
    return nll / counts.sum()


def _params(estimator):
    """Our coefficients in statsmodels' layout: constant first, K-1 columns."""
    if isinstance(estimator, SoftmaxClassifier):
        contrasts = estimator.coef_[1:] - estimator.coef_[0]  # class 0 at zero
        intercepts = estimator.intercept_[1:] - estimator.intercept_[0]
        return np.vstack([intercepts, contrasts.T])
    return np.r_[np.ravel(estimator.intercept_), np.ravel(estimator.coef_)]


@pytest.mark.parametrize("name", NEWTON_ESTIMATORS)
def test_newton_reaches_statsmodels_optimum_in_few_iterations(name, monkeypatch):
    data = DATA_SETS[name]()
    reference = reference_fit(data)
    n_hessians = []
    hessian = Objective.hessian

    def counted_hessian(self, *args):
        n_hessians.append(1)
        return hessian(self, *args)

    monkeypatch.setattr(Objective, "hessian", counted_hessian)
    # To Newton's own gtol: its quadratic convergence makes the last digits
    # cost one or two more iterations.
    estimator = NEWTON_ESTIMATORS[name](solver="newton", alpha=0.0, tol=1e-10)
    ours = _fit_converged(estimator, data.X, data.y, data.sample_weight)
    # One Hessian per Newton iteration; statsmodels needs 7, 7, 5 and 1.
    assert 1 <= len(n_hessians) <= 15
    expected = _reference_nll(data, reference)
    nll = _mean_nll(ours, data.X, data.y, data.sample_weight)
    assert nll == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(_params(ours), reference.params, rtol=1e-6, atol=1e-9)


# -- multiple outputs: one reference fit per output ---------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["OLS", "WLS"])
@pytest.mark.parametrize("solver", ["auto", "newton"])
def test_multi_output_regression_matches_statsmodels_per_output(solver, weighted):
    # Linnerud: 20 men, 3 exercises, 3 physiological targets (weight, waist,
    # pulse) of different scales.
    X, Y = load_linnerud(return_X_y=True)
    X = _standardized(X)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(X)) if weighted else None
    ours = _fit_converged(GaussianRegressor(solver=solver), X, Y, weight)
    assert ours.coef_.shape == (3, 3) and ours.sigma_.shape == (3,)
    # Newton's method ends at the optimum to rounding; L-BFGS where the
    # gradient test passes, with coefficients within about 1e-6.
    rtol = 1e-9 if solver == "newton" else 1e-5
    for o in range(Y.shape[1]):
        exog = sm.add_constant(X)
        reference = (
            sm.WLS(Y[:, o], exog, weights=weight).fit()
            if weighted
            else sm.OLS(Y[:, o], exog).fit()
        )
        scale = Y[:, o].std()
        np.testing.assert_allclose(
            ours.coef_[o], reference.params[1:], rtol=rtol, atol=rtol * scale
        )
        np.testing.assert_allclose(ours.intercept_[o], reference.params[0], rtol=rtol)
        # The MLE of sigma: the root of the (weighted) mean squared residual.
        residual = Y[:, o] - reference.fittedvalues
        sigma = np.sqrt(np.average(residual**2, weights=weight))
        if not weighted:
            np.testing.assert_allclose(sigma, np.sqrt(reference.ssr / reference.nobs))
        np.testing.assert_allclose(ours.sigma_[o], sigma, rtol=rtol)


@pytest.mark.parametrize("solver", ["auto", "newton"])
def test_multilabel_matches_one_logistic_regression_per_label(solver):
    X, Y = make_multilabel_classification(
        n_samples=300, n_features=5, n_classes=4, random_state=0
    )
    X = _standardized(X)
    alpha = 1e-2
    ours = _fit_converged(BernoulliClassifier(solver=solver, alpha=alpha), X, Y)
    proba = ours.predict_proba(X)
    rtol = 1e-7 if solver == "newton" else 1e-5
    for o in range(Y.shape[1]):
        # skprob's mean NLL + alpha / 2 ||w||^2 is LogisticRegression's
        # objective divided by C n_samples.
        # Newton-Cholesky: its fit ends at the optimum to rounding.
        reference = LogisticRegression(
            C=1 / (len(X) * alpha), solver="newton-cholesky", tol=1e-12
        ).fit(X, Y[:, o])
        np.testing.assert_allclose(
            proba[:, o], reference.predict_proba(X)[:, 1], rtol=rtol, atol=1e-12
        )
        np.testing.assert_allclose(
            ours.coef_[o], reference.coef_[0], rtol=rtol, atol=rtol
        )
