"""coef_inference for a model of one's own, against NIST and statsmodels.

NIST's certified standard deviations of the StRD problems are those of the
linearization, ``sqrt(diag(s^2 (J^T J)^-1))`` with ``s^2 = RSS / (n - p)``;
:func:`~skprob.inference.coef_inference` scales by ``RSS / n`` (the MLE of
sigma, as for the linear model), so its standard errors times
``sqrt(n / (n - p))`` are NIST's. The fits start at the certified values
and run to a tight ``tol``: they are at the certified optimum to about 10
digits, so the comparison is of the inference, not of the solver.
"""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from _nist import FORMULAS, load, model
from scipy.optimize import least_squares
from sklearn.exceptions import ConvergenceWarning
from statsmodels.tools.numdiff import approx_fprime_cs

from skprob import BernoulliClassifier, GaussianRegressor
from skprob.inference import coef_inference
from skprob.models import ParametricModel

PROBLEMS = [
    "Misra1a",
    "Thurber",
    "MGH09",
    "Chwirut2",
    "BoxBOD",
    "Bennett5",
    "Eckerle4",
    "DanWood",
]


def _fit_at_certified(problem, jacobian=True, sample_weight=None, start=None):
    start = problem.certified if start is None else start
    with warnings.catch_warnings():
        # tol=1e-12 is below what some of the fits can certify; they are at
        # the optimum nonetheless, which coef_inference checks.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianRegressor(
            model=model(problem, start, jacobian), alpha=0.0, tol=1e-12
        ).fit(problem.x[:, None], problem.y, sample_weight=sample_weight)


def _inference(reg, problem, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # at the optimum
        return coef_inference(reg, problem.x[:, None], problem.y, **kwargs)


@pytest.mark.parametrize("jacobian", [True, False], ids=["analytic", "differences"])
@pytest.mark.parametrize("name", PROBLEMS)
def test_standard_errors_are_nists_certified_ones(name, jacobian):
    problem = load(name)
    reg = _fit_at_certified(problem, jacobian)
    result = _inference(reg, problem)
    n, p = len(problem.y), len(problem.certified)
    np.testing.assert_allclose(result.coef, problem.certified, rtol=1e-7)
    # Certified to 11 digits; ours from a Jacobian exact to rounding, or by
    # central differences (1e-7 relative at worst, Eckerle4's).
    np.testing.assert_allclose(
        result.bse * np.sqrt(n / (n - p)), problem.certified_sd, rtol=1e-5
    )


def _linearized_ols(problem, params, sample_weight=None):
    """statsmodels' (W)LS of the model linearized at ``params``.

    Its Jacobian is statsmodels' complex-step one, independent of ours; at
    the optimum its estimate is ``params`` again.
    """

    def predict(b):
        return FORMULAS[problem.name](b, problem.x.astype(complex))[0]

    jacobian = approx_fprime_cs(params, predict).real
    pseudo = problem.y - predict(params).real + jacobian @ params
    weights = np.ones(len(pseudo)) if sample_weight is None else sample_weight
    return sm.WLS(pseudo, jacobian, weights=weights), jacobian


@pytest.mark.parametrize("name", ["Misra1a", "Thurber", "Chwirut2", "DanWood"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_covariance_is_statsmodels_on_the_linearized_model(name, cov_type):
    problem = load(name)
    reg = _fit_at_certified(problem)
    result = _inference(reg, problem, cov_type=cov_type)
    ols, _ = _linearized_ols(problem, reg.params_)
    fitted = ols.fit(cov_type=cov_type)
    np.testing.assert_allclose(fitted.params, reg.params_, rtol=1e-6)
    n = len(problem.y)
    # statsmodels scales by SSR / (n - p) for nonrobust, not at all for HC0.
    scale = fitted.ssr / n if cov_type == "nonrobust" else 1.0
    reference = (
        fitted.cov_params(scale=scale)
        if cov_type == "nonrobust"
        else (fitted.cov_params())
    )
    np.testing.assert_allclose(result.cov, reference, rtol=1e-6)
    assert result.terms == [f"params[{j}]" for j in range(len(reg.params_))]


def test_frequency_weights_are_repeated_rows():
    problem = load("Misra1a")
    weights = np.tile([1.0, 2.0, 3.0], 5)[: len(problem.y)]
    # Started at the weighted optimum, which SciPy finds to rounding.
    optimum = least_squares(
        lambda b: np.sqrt(weights) * (FORMULAS["Misra1a"](b, problem.x)[0] - problem.y),
        problem.certified,
        x_scale="jac",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    ).x
    reg = _fit_at_certified(problem, sample_weight=weights, start=optimum)
    weighted = _inference(reg, problem, sample_weight=weights)
    repeat = np.repeat(np.arange(len(problem.y)), weights.astype(int))
    repeated = coef_inference(reg, problem.x[repeat, None], problem.y[repeat])
    np.testing.assert_allclose(weighted.cov, repeated.cov, rtol=1e-10)
    ols, _ = _linearized_ols(problem, reg.params_, weights)
    fitted = ols.fit()
    np.testing.assert_allclose(
        weighted.cov, fitted.cov_params(scale=fitted.ssr / weights.sum()), rtol=1e-6
    )


def test_standard_error_of_the_predicted_mean_is_statsmodels():
    problem = load("Misra1a")
    reg = _fit_at_certified(problem)
    result = _inference(reg, problem)
    x_new = np.array([[100.0], [500.0], [900.0]])
    mean, std = result.predict_mean(x_new, return_std=True)
    np.testing.assert_allclose(mean, reg.predict(x_new), rtol=1e-12)
    ols, _ = _linearized_ols(problem, reg.params_)
    fitted = ols.fit()
    # statsmodels' se_mean at the new rows of the linearized model, at our scale.
    exog = approx_fprime_cs(
        reg.params_, lambda b: FORMULAS["Misra1a"](b, x_new[:, 0].astype(complex))[0]
    ).real
    se_mean = fitted.get_prediction(exog).se_mean
    n, p = len(problem.y), len(reg.params_)
    np.testing.assert_allclose(std, se_mean * np.sqrt((n - p) / n), rtol=1e-6)


class Score(ParametricModel):
    """Log-odds ``a + b exp(c x)``."""

    n_params = 3
    param_names = ("a", "b", "c")

    def init_params(self, raw_intercept, random_state):
        # Log-odds of the marginal's order, as in ParametricModel's example.
        return np.array([raw_intercept[0], 0.5, 1.0])

    def predict_raw(self, params, X):
        return params[0] + params[1] * np.exp(params[2] * X[:, 0])


def test_a_classifier_of_ones_own_has_statsmodels_logit_errors():
    # At the MLE of the nonlinear model, the GLM of the model linearized
    # there (exog J, offset z - J params) has the same estimate, and its
    # covariance is (J^T W J)^-1, the information coef_inference inverts.
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 2.0, size=(2000, 1))
    score = -2.0 + 0.5 * np.exp(1.2 * X[:, 0])
    y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-score))).astype(int)
    clf = BernoulliClassifier(model=Score(), alpha=0.0, tol=1e-10).fit(X, y)
    result = coef_inference(clf, X, y)
    assert result.terms == ["a", "b", "c"]
    params = clf.params_

    def predict(b):
        return b[0] + b[1] * np.exp(b[2] * X[:, 0].astype(complex))

    jacobian = approx_fprime_cs(params, predict).real
    offset = predict(params).real - jacobian @ params
    glm = sm.GLM(y, jacobian, family=sm.families.Binomial(), offset=offset).fit(
        tol=1e-12
    )
    np.testing.assert_allclose(glm.params, params, rtol=1e-5)
    np.testing.assert_allclose(result.bse, glm.bse, rtol=1e-5)
    proba, std = result.predict_mean(X[:5], return_std=True)
    np.testing.assert_allclose(proba, clf.predict_proba(X[:5])[:, 1], rtol=1e-12)
    assert np.all(std > 0)


def test_a_fit_short_of_the_optimum_is_flagged():
    problem = load("Misra1a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = GaussianRegressor(
            model=model(problem, problem.starts[0]), alpha=0.0, max_iter=1
        ).fit(problem.x[:, None], problem.y)
    with pytest.warns(ConvergenceWarning, match="standard errors from the max.*tol"):
        coef_inference(reg, problem.x[:, None], problem.y)
