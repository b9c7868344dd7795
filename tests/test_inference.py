"""Standard errors, intervals and tests of the coefficients, against statsmodels.

On four real data sets that ship with statsmodels, the inference on a
Newton fit must equal statsmodels' to 1e-6 (relative): Logit, MNLogit, a
binomial GLM of counts (as weighted Bernoulli rows) and OLS, this one on the
MLE scale (sigma^2 = SSR / n, where statsmodels' OLS divides by n - p).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from _real_data import DATA_SETS, reference_fit
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.inference import coef_inference

RTOL = 1e-6
ESTIMATORS = {
    "spector-Logit": BernoulliClassifier,
    "anes96-MNLogit": SoftmaxClassifier,
    "star98-GLM-Binomial": BernoulliClassifier,
    "longley-OLS": GaussianRegressor,
}
# The unpenalized MLE, whatever the default penalty, reached by Newton: tol=1e-10
# whichever stopping rule the loop applies.
NEWTON = {"solver": "newton", "alpha": 0.0, "tol": 1e-10}


def _fit(name):
    data = DATA_SETS[name]()
    estimator = ESTIMATORS[name](**NEWTON)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator.fit(data.X, data.y, sample_weight=data.sample_weight)
    return data, estimator


def _statsmodels_results(name, data, cov_type):
    """statsmodels' results for the same likelihood and covariance."""
    if name == "longley-OLS":
        ols = reference_fit(data)
        if cov_type == "HC0":
            return data.reference.fit(cov_type="HC0", use_t=False)
        # The MLE scale, SSR / n: a Gaussian GLM with that scale fixed.
        glm = sm.GLM(data.y, data.reference.exog, family=sm.families.Gaussian())
        return glm.fit(scale=ols.ssr / ols.nobs)
    if name == "star98-GLM-Binomial" and cov_type == "HC0":
        # The sandwich of the weighted rows, each trial an observation: the
        # GLM of the rows with frequency weights (that of the grouped counts
        # differs, since it takes each district as one observation).
        rows = sm.GLM(
            data.y,
            sm.add_constant(data.X),
            family=sm.families.Binomial(),
            freq_weights=data.sample_weight,
        )
        return rows.fit(tol=1e-12, cov_type="HC0")
    return reference_fit(data, cov_type=cov_type)


def _flat(values):
    """statsmodels' arrays in our order: MNLogit's columns one after another."""
    return np.asarray(values).ravel(order="F")


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_inference_equals_statsmodels(name, cov_type):
    data, estimator = _fit(name)
    ours = coef_inference(
        estimator, data.X, data.y, sample_weight=data.sample_weight, cov_type=cov_type
    )
    reference = _statsmodels_results(name, data, cov_type)
    np.testing.assert_allclose(ours.coef, _flat(reference.params), rtol=RTOL)
    np.testing.assert_allclose(ours.bse, _flat(reference.bse), rtol=RTOL)
    np.testing.assert_allclose(ours.zvalues, _flat(reference.tvalues), rtol=RTOL)
    np.testing.assert_allclose(ours.pvalues, _flat(reference.pvalues), rtol=RTOL)
    intervals = np.asarray(reference.conf_int(alpha=0.1))
    if name == "anes96-MNLogit":  # stacked per class, as ours
        intervals = intervals.reshape(-1, 2)
    np.testing.assert_allclose(ours.conf_int(alpha=0.1), intervals, rtol=RTOL)
    _assert_same_covariance(ours.cov, np.asarray(reference.cov_params()))


def _assert_same_covariance(cov, expected):
    """Equal to RTOL on the scale of the standard errors (the correlations)."""
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    np.testing.assert_allclose(cov / scale, expected / scale, rtol=0, atol=RTOL)


def test_ols_standard_errors_are_statsmodels_times_the_mle_scale():
    data, estimator = _fit("longley-OLS")
    ours = coef_inference(estimator, data.X, data.y)
    ols = reference_fit(data)
    n, p = ols.nobs, len(ols.params)
    np.testing.assert_allclose(ours.bse, ols.bse * np.sqrt((n - p) / n), rtol=RTOL)
    assert estimator.sigma_**2 == pytest.approx(ols.ssr / n, rel=1e-10)


@pytest.mark.parametrize("alpha", [0.05, 1e-6, 1e-12])
def test_confidence_intervals_keep_their_tail_at_extreme_levels(alpha):
    # The half width is the upper alpha/2 quantile; from ppf(1 - alpha/2) it
    # would lose the tail to the rounding of 1 - alpha/2 (2e-6 at 1e-12).
    data, estimator = _fit("longley-OLS")
    ours = coef_inference(estimator, data.X, data.y)
    lower, upper = ours.conf_int(alpha=alpha).T
    np.testing.assert_allclose(upper - ours.coef, ours.coef - lower, rtol=1e-12)
    tail = stats.norm.sf((upper - ours.coef) / ours.bse)
    np.testing.assert_allclose(tail, alpha / 2, rtol=1e-9)


@pytest.mark.parametrize("name", ["spector-Logit", "star98-GLM-Binomial"])
def test_standard_error_of_the_mean_equals_statsmodels(name):
    data, estimator = _fit(name)
    ours = coef_inference(estimator, data.X, data.y, sample_weight=data.sample_weight)
    X_new = data.X.iloc[:7]
    mean, std = ours.predict_mean(X_new, return_std=True)
    exog = np.column_stack([np.ones(len(X_new)), X_new])
    prediction = reference_fit(data).get_prediction(exog=exog)
    np.testing.assert_allclose(mean, prediction.predicted, rtol=RTOL)
    np.testing.assert_allclose(std, prediction.se, rtol=RTOL)
    np.testing.assert_allclose(mean, estimator.predict_proba(X_new)[:, 1], rtol=1e-10)


def test_standard_error_of_the_regression_mean_equals_statsmodels():
    data, estimator = _fit("longley-OLS")
    ours = coef_inference(estimator, data.X, data.y)
    mean, std = ours.predict_mean(data.X, return_std=True)
    glm = _statsmodels_results("longley-OLS", data, "nonrobust")
    prediction = glm.get_prediction(exog=data.reference.exog)
    np.testing.assert_allclose(mean, prediction.predicted, rtol=RTOL)
    np.testing.assert_allclose(std, prediction.se, rtol=RTOL)
    # The noise is another matter: predict's std is sigma, the same everywhere.
    assert np.all(estimator.predict(data.X, return_std=True)[1] == estimator.sigma_)
    assert np.all(std < estimator.sigma_)


def test_standard_error_of_class_probabilities_is_the_delta_method():
    # statsmodels' MNLogit has no get_prediction: differentiate its own
    # predicted probabilities in its own parameters, numerically.
    data, estimator = _fit("anes96-MNLogit")
    ours = coef_inference(estimator, data.X, data.y)
    X_new = data.X.iloc[:5]
    proba, std = ours.predict_mean(X_new, return_std=True)
    reference = reference_fit(data)
    shape = reference.params.shape
    exog = np.column_stack([np.ones(len(X_new)), X_new])

    def predicted(flat_params):
        params = flat_params.reshape(shape, order="F")
        return reference.model.predict(params, exog=exog).ravel()

    jacobian = approx_fprime(_flat(reference.params), predicted, centered=True)
    variance = np.einsum("ij,jk,ik->i", jacobian, reference.cov_params(), jacobian)
    np.testing.assert_allclose(proba, estimator.predict_proba(X_new), rtol=1e-10)
    np.testing.assert_allclose(std.ravel(), np.sqrt(variance), rtol=1e-5)


def test_heteroscedastic_inference_is_the_inverse_hessian_of_the_likelihood():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = 3.0 + X @ [1.0, -2.0] + np.exp(0.2 + 0.5 * X[:, 0]) * rng.normal(size=400)
    estimator = HeteroscedasticRegressor(**NEWTON).fit(X, y)
    ours = coef_inference(estimator, X, y)
    Xa = np.column_stack([np.ones(len(y)), X])

    def log_likelihood(coef):  # mean's coefficients, then log sigma's
        mean, log_sigma = Xa @ coef[:3], Xa @ coef[3:]
        return stats.norm(mean, np.exp(log_sigma)).logpdf(y).sum()

    hessian = approx_hess3(ours.coef, log_likelihood)
    np.testing.assert_allclose(ours.cov, np.linalg.inv(-hessian), rtol=1e-4)
    expected = np.r_[estimator.intercept_[0], estimator.coef_[0]]
    np.testing.assert_allclose(ours.coef[:3], expected)
    assert ours.summary_frame().index.get_level_values("output")[-1] == "log_sigma"


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_integer_weights_are_repeated_rows(cov_type):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.logistic(size=60) > 0).astype(int)
    weights = rng.integers(0, 4, size=60)
    weighted = BernoulliClassifier(**NEWTON).fit(X, y, sample_weight=weights)
    ours = coef_inference(weighted, X, y, sample_weight=weights, cov_type=cov_type)
    X_rep, y_rep = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    repeated = BernoulliClassifier(**NEWTON).fit(X_rep, y_rep)
    expected = coef_inference(repeated, X_rep, y_rep, cov_type=cov_type)
    _assert_same_covariance(ours.cov, expected.cov)
    assert ours.n_obs == weights.sum()


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
def test_sparse_input_gives_the_dense_result(cov_type):
    data = DATA_SETS["anes96-MNLogit"]()
    X = data.X.to_numpy(copy=True)
    X[np.abs(X) < 0.5] = 0.0
    estimator = SoftmaxClassifier(**NEWTON).fit(X, data.y)
    dense = coef_inference(estimator, X, data.y, cov_type=cov_type)
    sparse = coef_inference(estimator, sp.csr_matrix(X), data.y, cov_type=cov_type)
    _assert_same_covariance(sparse.cov, dense.cov)
    mean, std = dense.predict_mean(X[:4], return_std=True)
    sparse_mean, sparse_std = sparse.predict_mean(sp.csr_matrix(X[:4]), True)
    np.testing.assert_allclose(sparse_mean, mean, rtol=1e-10)
    np.testing.assert_allclose(sparse_std, std, rtol=1e-8)


def test_two_class_softmax_reports_the_logit():
    # Against class 0, the softmax's one contrast is the Bernoulli's log-odds.
    data = DATA_SETS["spector-Logit"]()
    softmax = SoftmaxClassifier(**NEWTON).fit(data.X, data.y)
    logit = BernoulliClassifier(**NEWTON).fit(data.X, data.y)
    ours = coef_inference(softmax, data.X, data.y)
    expected = coef_inference(logit, data.X, data.y)
    np.testing.assert_allclose(ours.coef, expected.coef, rtol=1e-8)
    _assert_same_covariance(ours.cov, expected.cov)
    assert ours.outputs == ["1.0"] and expected.outputs is None


def test_summary_uses_feature_names_and_reference_class():
    data, estimator = _fit("anes96-MNLogit")
    result = coef_inference(estimator, data.X, data.y)
    frame = result.summary_frame()
    assert list(frame.columns) == ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
    assert frame.index.names == ["output", "term"]
    assert list(frame.loc["1"].index) == ["intercept", *data.X.columns]
    assert list(frame.index.levels[0]) == [str(k) for k in range(1, 7)]
    np.testing.assert_allclose(frame["coef"], result.coef)
    text = result.summary()
    assert "against classes_[0] = 0" in text and "selfLR" in text
    row = frame.loc[("6", "selfLR")]
    assert f"{row['coef']:.4f}" in text and f"{row['0.975]']:.4f}" in text
    unnamed = SoftmaxClassifier(**NEWTON).fit(data.X.to_numpy(), data.y)
    terms = coef_inference(unnamed, data.X.to_numpy(), data.y).terms
    assert terms == ["intercept", "x0", "x1", "x2", "x3", "x4"]


def test_a_pipeline_is_its_last_step_on_transformed_X():
    data = DATA_SETS["spector-Logit"]()
    pipeline = make_pipeline(
        StandardScaler(), "passthrough", BernoulliClassifier(**NEWTON)
    ).fit(data.X, data.y)
    result = coef_inference(pipeline, data.X, data.y, cov_type="HC0")
    final = pipeline[-1]
    X_scaled = pipeline[:-1].transform(data.X)
    expected = coef_inference(final, X_scaled, data.y, cov_type="HC0")
    np.testing.assert_array_equal(result.coef, expected.coef)
    np.testing.assert_array_equal(result.cov, expected.cov)
    # The scaler passes the column names through; the classifier saw none.
    assert not hasattr(final, "feature_names_in_")
    assert result.terms == ["intercept", *data.X.columns]
    np.testing.assert_allclose(
        result.predict_mean(X_scaled), final.predict_proba(X_scaled)[:, 1]
    )
    # The same test statistics as the unscaled fit's (the scaling moves
    # each coefficient and its standard error alike), but the intercept's.
    unscaled = coef_inference(
        BernoulliClassifier(**NEWTON).fit(data.X, data.y),
        data.X,
        data.y,
        cov_type="HC0",
    )
    np.testing.assert_allclose(result.zvalues[1:], unscaled.zvalues[1:], rtol=1e-6)
    with pytest.raises(TypeError, match="takes a skprob estimator"):
        coef_inference(
            make_pipeline(StandardScaler(), LogisticRegression()).fit(data.X, data.y),
            data.X,
            data.y,
        )


def test_a_penalized_fit_is_refused():
    data = DATA_SETS["spector-Logit"]()
    estimator = BernoulliClassifier(solver="newton", alpha=1e-3).fit(data.X, data.y)
    with pytest.raises(ValueError, match="alpha=0"):
        coef_inference(estimator, data.X, data.y)


def test_a_network_is_refused():
    data = DATA_SETS["spector-Logit"]()
    estimator = BernoulliClassifier(hidden_layer_sizes=(3,), max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(data.X, data.y)
    with pytest.raises(ValueError, match="linear model"):
        coef_inference(estimator, data.X, data.y)


def test_collinear_features_are_refused():
    data = DATA_SETS["longley-OLS"]()
    X = data.X.assign(copy=data.X.iloc[:, 0])
    estimator = GaussianRegressor(**NEWTON).fit(X, data.y)
    with pytest.raises(ValueError, match="singular"):
        coef_inference(estimator, X, data.y)


def test_a_fit_short_of_the_optimum_warns():
    data = DATA_SETS["longley-OLS"]()
    estimator = GaussianRegressor(solver="gd", alpha=0.0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(data.X, data.y)
    with pytest.warns(ConvergenceWarning, match="standard errors from"):
        coef_inference(estimator, data.X, data.y)
    converged = GaussianRegressor(**NEWTON).fit(data.X, data.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coef_inference(converged, data.X, data.y)


def test_bad_cov_type_and_unfitted_estimator():
    data = DATA_SETS["spector-Logit"]()
    with pytest.raises(ValueError, match="cov_type"):
        coef_inference(BernoulliClassifier(), data.X, data.y, cov_type="HC3")
    with pytest.raises(Exception, match="not fitted"):
        coef_inference(BernoulliClassifier(), data.X, data.y)
    assert isinstance(
        coef_inference(_fit("spector-Logit")[1], data.X, data.y).summary_frame(),
        pd.DataFrame,
    )
