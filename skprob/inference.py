"""Statistical inference on the coefficients of a fitted model.

A skprob estimator computes the maximum-likelihood estimate (MLE) of its
coefficients; this module says how certain they are, as statsmodels does:
the covariance of the estimate, from the observed information (the Hessian
of the negative log-likelihood at the MLE) or from a sandwich that stays
valid when the distribution is wrong; then standard errors, Wald confidence
intervals, z-values and p-values, a summary table, and the standard error of
the predicted mean.

Conventions
-----------
- The coefficients are reported per output (equation), intercept first,
  then the features in the order of X: ``coef`` and every other array are
  flat, output after output, as ``statsmodels``' ``params`` of a model with a
  constant column first (for MNLogit, flattened column after column).
- Sample weights are frequency weights: an integer weight counts a row that
  many times, as in the fit. The covariance is that of a data set with
  ``sum(sample_weight)`` observations; scaling all the weights by c divides
  it by c.
- The estimates are those of the estimator as fitted, on the original
  scale of the target for the regressors (their fits standardize it: the
  covariance is mapped back).

The parametrizations, estimator by estimator:

- :class:`~skprob.BernoulliClassifier`: the log-odds of ``classes_[1]``, as
  statsmodels' ``Logit`` and ``GLM(family=Binomial())``.
- :class:`~skprob.SoftmaxClassifier`: it has K raw outputs, but adding a
  constant to all of them changes nothing, so the likelihood does not
  identify them and its Hessian is singular. What it identifies, and what is
  reported, are the K - 1 contrasts with the first class, ``coef_[k] -
  coef_[0]`` and ``intercept_[k] - intercept_[0]`` for k = 1..K-1: the
  log-odds of ``classes_[k]`` against ``classes_[0]``, as statsmodels'
  ``MNLogit`` reports them.
- :class:`~skprob.GaussianRegressor`: the coefficients of the mean. Their
  covariance at the MLE of sigma, ``sigma_**2``, the mean squared residual
  ``SSR / n``, not statsmodels' ``OLS`` default ``SSR / (n - p)`` with p the
  number of coefficients: multiply our standard errors by
  ``sqrt(n / (n - p))`` to get statsmodels' (equal to its
  ``cov_params(scale=ssr / nobs)``). sigma's estimate is uncorrelated with
  the coefficients' at the MLE (the information is block-diagonal), so
  estimating it changes nothing here.
- :class:`~skprob.HeteroscedasticRegressor`: two outputs, the mean and the
  log of sigma.

A model of your own (:class:`~skprob.models.ParametricModel`): its
parameters ``params_``, named ``params[0]``, ``params[1]``, ... (or by the
model's ``param_names``, when it has them). The information is ``J^T H J``,
with ``J`` the model's Jacobian (its ``jacobian`` method, analytic or by
finite differences) and ``H`` the distribution's second derivatives of each
row's NLL in the raw outputs: the observed information of a model linear in
its parameters, and for any other the Gauss-Newton (linearization)
information, which leaves out the curvature of the raw outputs in the
parameters, weighted by the residuals, as NIST's certified standard
deviations and statsmodels' ``NonLinearLS`` do. For a
:class:`~skprob.GaussianRegressor` the covariance is then
``sigma_**2 (J^T J)^-1`` with ``sigma_**2 = SSR / n``, the same convention as
for the linear model; NIST and statsmodels scale by ``SSR / (n - p)``, p the
number of parameters: multiply our standard errors by ``sqrt(n / (n - p))``
for theirs.

An estimator fitted with a penalty (``alpha > 0``) is refused: the penalized
estimate is biased towards zero, and Wald intervals around it do not cover
the true coefficients at their nominal rate. Refit with ``alpha=0``.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy import stats
from scipy.special import expit, softmax
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._base import ProbabilisticEstimator
from ._data import validate_sample_weight as _validate_sample_weight
from .distributions import Bernoulli, Categorical, HeteroscedasticNormal, Normal
from .models import MLP, LinearModel, ParametricModel
from .models._with_constants import WithConstants

__all__ = ["CoefInference", "coef_inference"]

COV_TYPES = ("nonrobust", "HC0")
# A fit is taken as at the MLE of the data given when the Newton step that
# remains is below this fraction of every standard error.
_MAX_STEP_IN_STANDARD_ERRORS = 0.01
# The observed information is treated as singular below this reciprocal
# condition number of its unit-diagonal scaling: its inverse would have no
# correct digit left.
_MIN_RCOND = 1e-12


def coef_inference(estimator, X, y, *, sample_weight=None, cov_type="nonrobust"):
    """Standard errors, confidence intervals and Wald tests of the coefficients.

    The covariance of the maximum-likelihood estimate is the inverse of the
    observed information ``I``, the Hessian of the negative log-likelihood
    (NLL) summed over the training data at the estimate (``cov_type=
    "nonrobust"``), or the sandwich ``I^-1 J I^-1``, with ``J`` the sum of the
    outer products of each row's gradient of the NLL (``cov_type="HC0"``,
    White's heteroscedasticity-consistent estimator, statsmodels'
    ``cov_type="HC0"``), which stays valid when the distribution is wrong,
    as long as the mean is right. See the module docstring for the
    parametrizations and the weights.

    Parameters
    ----------
    estimator : fitted skprob estimator, or Pipeline ending in one
        A linear model (no ``hidden_layer_sizes``) or a
        :class:`~skprob.models.ParametricModel` fitted without penalty
        (``alpha=0``), at the optimum: ``solver="newton"`` reaches a linear
        model's to rounding in a few iterations. In a ``Pipeline``, X goes
        through the earlier steps first, and the coefficients are those of
        the last step, named after the features the earlier steps output
        (their ``get_feature_names_out``); the result's ``predict_mean`` then
        takes X as the last step sees it, ``pipeline[:-1].transform(X)``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data the estimator was fitted on.
    y : array-like of shape (n_samples,)
        The training targets.
    sample_weight : array-like of shape (n_samples,), default=None
        The training sample weights, read as frequency weights.
    cov_type : {"nonrobust", "HC0"}, default="nonrobust"
        The observed information, or the sandwich.

    Returns
    -------
    result : CoefInference
        Coefficients, covariance, standard errors, intervals and tests.

    Raises
    ------
    ValueError
        For a network, a penalized fit, or an observed information that is
        singular (collinear features, or classes that the features separate:
        the likelihood then has no finite maximum).

    Warns
    -----
    ConvergenceWarning
        When the coefficients are more than 0.01 standard errors from the MLE
        of the data given: the estimator stopped short of the optimum, or was
        fitted on other data.

    Examples
    --------
    >>> import statsmodels.api as sm
    >>> from skprob import BernoulliClassifier
    >>> from skprob.inference import coef_inference
    >>> data = sm.datasets.spector.load_pandas()
    >>> clf = BernoulliClassifier(solver="newton", alpha=0.0)
    >>> clf = clf.fit(data.exog, data.endog)
    >>> result = coef_inference(clf, data.exog, data.endog)
    >>> print(result.summary())
    Coefficients: log-odds of classes_[1] = 1.0
    Observations: 32    Covariance: nonrobust (observed information)
    =============================================================================
                      coef    std err          z      P>|z|     [0.025     0.975]
    -----------------------------------------------------------------------------
    intercept     -13.0213     4.9313    -2.6405     0.0083   -22.6866    -3.3561
    GPA             2.8261     1.2629     2.2377     0.0252     0.3508     5.3014
    TUCE            0.0952     0.1416     0.6722     0.5014    -0.1823     0.3726
    PSI             2.3787     1.0646     2.2344     0.0255     0.2922     4.4652
    =============================================================================

    The same numbers as ``sm.Logit(data.endog, sm.add_constant(data.exog))
    .fit().summary()``.
    """
    if hasattr(estimator, "steps"):
        return _coef_inference_of_pipeline(
            estimator, X, y, sample_weight=sample_weight, cov_type=cov_type
        )
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}; got {cov_type!r}.")
    _check_estimator(estimator)
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=False,
        accept_sparse=("csr", "csc"),
        dtype=np.float64,
        y_numeric=not is_classifier(estimator),
    )
    sample_weight = _validate_sample_weight(sample_weight, X)
    y = estimator._encode_target(y, estimator._target)
    # The distribution of the fit, on the standardized target of a regressor.
    distribution = estimator._make_distribution(estimator._target)
    # In float64, also for a float32 fit: the information matrix is inverted.
    model, params = estimator._model, estimator._training.params.astype(np.float64)
    if isinstance(model, WithConstants):
        return _inference_with_constants(
            estimator, distribution, params, X, y, sample_weight, cov_type
        )
    if isinstance(model, ParametricModel):
        return _parametric_inference(
            estimator, distribution, params, X, y, sample_weight, cov_type
        )
    parts = _information_parts(distribution, model, params, X, y, sample_weight)
    layout = _Layout(estimator, distribution)
    information = layout.select(parts.hessian) / parts.dispersion
    inverse = _inverse_information(information)
    _check_at_optimum(inverse, layout.select(parts.gradient) / parts.dispersion)
    if cov_type == "nonrobust":
        cov = inverse
    else:
        outer_scores = layout.select(parts.outer_scores) / parts.dispersion**2
        cov = inverse @ outer_scores @ inverse
    factor = layout.factor()
    return CoefInference(
        coef=layout.coefficients(params),
        cov=cov * factor[:, None] * factor,
        terms=layout.terms,
        outputs=layout.outputs,
        cov_type=cov_type,
        n_obs=float(sample_weight.sum()),
        description=layout.description,
        mean_link=layout.mean_link,
        n_features_in=estimator.n_features_in_,
    )


def _coef_inference_of_pipeline(pipeline, X, y, **kwargs):
    """:func:`coef_inference` of a Pipeline's last step, on X transformed.

    A linear model's coefficients are named after the features the earlier
    steps output, when the last step was not fitted on named columns itself
    (the earlier steps output arrays unless ``set_output(transform="pandas")``);
    a parametric model's keep their own names.
    """
    check_is_fitted(pipeline)
    *transforms, (_, final) = pipeline.steps
    for _, step in transforms:
        if step is not None and step != "passthrough":
            X = step.transform(X)
    result = coef_inference(final, X, y, **kwargs)
    linear = type(getattr(final, "_model", None)) is LinearModel
    if linear and transforms and getattr(final, "feature_names_in_", None) is None:
        try:
            names = pipeline[:-1].get_feature_names_out()
        except AttributeError:  # a step that does not name its outputs
            names = None
        if names is not None and len(names) == final.n_features_in_:
            result.terms = ["intercept", *map(str, names)]
    return result


def _check_estimator(estimator):
    if not isinstance(estimator, ProbabilisticEstimator):
        raise TypeError(
            f"coef_inference takes a skprob estimator; got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    model = estimator._model
    if isinstance(model, WithConstants) and type(model.model_) is not LinearModel:
        raise ValueError(
            "coef_inference with predicts='location' needs the built-in linear "
            f"model for the location: this estimator has {model.model_!r}. "
            "With predicts='all', a ParametricModel gives every parameter."
        )
    if type(model) is not LinearModel and not isinstance(
        model, (ParametricModel, WithConstants)
    ):
        network = isinstance(estimator._model, MLP)
        raise ValueError(
            "coef_inference needs the built-in linear model or a "
            f"ParametricModel: this estimator has {estimator._model!r}."
            + (
                " A network's weights the likelihood does not identify "
                "(permuting the units gives the same fit)."
                if network
                else ""
            )
        )
    n_outputs = estimator._target.get("n_outputs")
    if n_outputs is not None:
        raise ValueError(
            "coef_inference takes an estimator fitted on a 1-D target; this one "
            f"was fitted on y of {n_outputs} column(s). The outputs are "
            "independent, so a linear model's coefficients for one output are "
            "those of a fit on that column alone: fit one estimator per column "
            "(e.g. on y[:, j]) and call coef_inference on each."
        )
    if estimator.alpha != 0:
        raise ValueError(
            f"coef_inference needs the unpenalized MLE, but alpha={estimator.alpha!r}"
            ": a penalized estimate is biased towards zero, and Wald intervals "
            "around it do not cover the true coefficients at their nominal "
            "rate. Refit with alpha=0."
        )


@dataclass
class _InformationParts:
    """Sums over the weighted rows, in the model's flat parameters."""

    hessian: np.ndarray  # of the NLL as the distribution computes it
    gradient: np.ndarray
    outer_scores: np.ndarray  # sum_i w_i s_i s_i^T, s_i a row's gradient
    dispersion: float  # the NLL is nll / dispersion (see Distribution)


def _information_parts(distribution, model, params, X, y, sample_weight):
    raw, cache = model.forward(params, X)
    _, grad_raw = distribution.nll_gradient(y, raw)
    hessian_raw = distribution.hessian(y, raw)
    weights = sample_weight[:, None, None]
    outer_raw = weights * grad_raw[:, :, None] * grad_raw[:, None, :]
    return _InformationParts(
        hessian=model.hessian(params, X, weights * hessian_raw),
        gradient=model.backward(params, cache, grad_raw * sample_weight[:, None]),
        outer_scores=model.hessian(params, X, outer_raw),
        dispersion=distribution.dispersion(y, raw, sample_weight),
    )


def _parametric_inference(
    estimator, distribution, params, X, y, sample_weight, cov_type
):
    """:func:`coef_inference` for a :class:`~skprob.models.ParametricModel`.

    The parameters are reported as they are, from the information
    ``J^T H J`` (see the module docstring).
    """
    model = estimator._model
    parts = _parametric_information_parts(
        distribution, model, params, X, y, sample_weight
    )
    inverse = _inverse_information(parts.hessian / parts.dispersion)
    _check_at_optimum(
        inverse,
        parts.gradient / parts.dispersion,
        advice="Fit with a smaller tol to reach it.",
        stacklevel=4,
    )
    if cov_type == "nonrobust":
        cov = inverse
    else:
        cov = inverse @ (parts.outer_scores / parts.dispersion**2) @ inverse
    names = getattr(model, "param_names", None)
    _, description, mean_link = _describe(estimator, distribution)
    return CoefInference(
        coef=params,
        cov=cov,
        terms=[f"params[{j}]" for j in range(len(params))]
        if names is None
        else [str(name) for name in names],
        outputs=None,
        cov_type=cov_type,
        n_obs=float(sample_weight.sum()),
        description=f"parameters of {model!r}, " + description,
        mean_link=mean_link,
        n_features_in=estimator.n_features_in_,
        model=model,
    )


def _inference_with_constants(
    estimator, distribution, params, X, y, sample_weight, cov_type
):
    """:func:`coef_inference` for a location model with constant parameters.

    The information is that of every parameter, the constants included, so
    that the location's covariance, a block of its inverse, accounts for
    their estimation; the location's coefficients are reported, intercept
    first (as statsmodels' count models report the mean's, with alpha
    apart).
    """
    model = estimator._model
    parts = _information_parts(distribution, model, params, X, y, sample_weight)
    inverse = _inverse_information(parts.hessian / parts.dispersion)
    _check_at_optimum(inverse, parts.gradient / parts.dispersion, stacklevel=4)
    if cov_type == "nonrobust":
        cov = inverse
    else:
        cov = inverse @ (parts.outer_scores / parts.dispersion**2) @ inverse
    n_features = model.n_features_in_
    index = np.array([n_features, *range(n_features)])  # intercept first
    shift, factor = _target_affine(estimator, distribution)
    coef = params[index] * factor[0]
    coef[0] += shift[0]
    _, description, mean_link = _describe(estimator, distribution)
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = [f"x{j}" for j in range(n_features)]
    return CoefInference(
        coef=coef,
        cov=cov[np.ix_(index, index)] * factor[0] ** 2,
        terms=["intercept", *map(str, names)],
        outputs=None,
        cov_type=cov_type,
        n_obs=float(sample_weight.sum()),
        description=description,
        mean_link=mean_link,
        n_features_in=estimator.n_features_in_,
    )


def _parametric_information_parts(distribution, model, params, X, y, sample_weight):
    """:class:`_InformationParts` from the model's Jacobian ``J``: ``J^T H J``."""
    raw = model.predict_raw(params, X)
    jacobian = _jacobian(model, params, X)
    _, grad_raw = distribution.nll_gradient(y, raw)
    weights = sample_weight[:, None, None]
    hessian_raw = weights * distribution.hessian(y, raw)
    outer_raw = weights * grad_raw[:, :, None] * grad_raw[:, None, :]

    def sandwich(middle):
        return np.einsum("ikp,ikl,ilq->pq", jacobian, middle, jacobian)

    return _InformationParts(
        hessian=sandwich(hessian_raw),
        gradient=np.einsum("ik,ikp->p", grad_raw * sample_weight[:, None], jacobian),
        outer_scores=sandwich(outer_raw),
        dispersion=distribution.dispersion(y, raw, sample_weight),
    )


def _jacobian(model, params, X):
    """The model's Jacobian as (n_samples, n_outputs, n_params), float64."""
    jacobian = np.asarray(model.jacobian(params, X), dtype=np.float64)
    if jacobian.ndim == 2:
        jacobian = jacobian[:, None, :]
    return jacobian


class _Layout:
    """Which of the model's parameters are reported, how, and under what name.

    The model's flat vector holds ``theta`` of shape ``(n_features + 1,
    n_raw)``, coefficients above the intercept row (see
    :class:`~skprob.models.LinearModel`). The reported coefficients are one
    output after the other, intercept first; for a shift-invariant
    distribution (the softmax), outputs 1..K-1 relative to output 0, whose
    parameters are then held at zero: the NLL as a function of the others
    has the corresponding rows and columns of the Hessian as its Hessian.
    """

    def __init__(self, estimator, distribution):
        n_features, n_raw = estimator._model.n_features_in_, distribution.n_raw
        self.n_raw = n_raw
        self.relative = distribution.shift_invariant
        reported = range(1, n_raw) if self.relative else range(n_raw)
        rows = [n_features, *range(n_features)]  # the intercept first
        self.index = np.array([row * n_raw + k for k in reported for row in rows])
        self.outputs_kept = list(reported)
        self.n_terms = n_features + 1
        self.shift, self.scale = _target_affine(estimator, distribution)
        names = getattr(estimator, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(n_features)]
        self.terms = ["intercept", *map(str, names)]
        self.outputs, self.description, self.mean_link = _describe(
            estimator, distribution
        )

    def select(self, matrix):
        """The reported entries of a flat vector, or rows and columns."""
        if matrix.ndim == 1:
            return matrix[self.index]
        return matrix[np.ix_(self.index, self.index)]

    def coefficients(self, params):
        theta = params.reshape(self.n_terms, self.n_raw)
        theta = np.roll(theta, 1, axis=0)  # the intercept row first
        if self.relative:
            theta = theta - theta[:, :1]
        theta = theta * self.scale
        theta[0] += self.shift
        return theta[:, self.outputs_kept].T.ravel()

    def factor(self):
        """Each reported coefficient's factor from the fitted scale."""
        return np.repeat(self.scale[self.outputs_kept], self.n_terms)


def _target_affine(estimator, distribution):
    """``(shift, factor)`` per raw output from the fit's scale to the target's."""
    if hasattr(estimator, "_affine"):  # a regressor, fitted on a standardized y
        return estimator._affine(np.float64)
    return np.zeros(distribution.n_raw), np.ones(distribution.n_raw)


def _describe(estimator, distribution):
    """Output names, a line for the summary, and the link of the mean."""
    if isinstance(distribution, Categorical):
        classes = estimator.classes_
        return (
            [str(label) for label in classes[1:]],
            f"log-odds of each class against classes_[0] = {classes[0]}",
            "softmax",
        )
    if isinstance(distribution, Bernoulli):
        classes = estimator.classes_
        return None, f"log-odds of classes_[1] = {classes[1]}", "logistic"
    if hasattr(estimator, "distribution_"):  # DistributionRegressor
        return _describe_distribution(estimator, distribution)
    if isinstance(distribution, HeteroscedasticNormal):
        return ["mean", "log_sigma"], "mean and log standard deviation", "identity"
    if isinstance(distribution, Normal):
        return None, "mean, with sigma at its MLE sqrt(SSR / n)", "identity"
    raise ValueError(f"No inference for {type(distribution).__name__}.")


def _describe_distribution(estimator, distribution):
    """:func:`_describe` for a DistributionRegressor, from the protocol."""
    name, names = type(distribution).__name__, distribution.parameter_names
    if isinstance(estimator._model, WithConstants):
        constants = ", ".join(names[1:])
        return (
            None,
            f"raw output of {names[0]} of the {name} (see its links), with "
            f"{constants} fitted as constants (their estimation included)",
            distribution.mean_link,
        )
    return (
        list(names),
        f"raw outputs of {', '.join(names)} of the {name} (see its links)",
        distribution.mean_link,
    )


def _inverse_information(information):
    """The inverse of the observed information, by Cholesky, or an error."""
    scale = 1.0 / np.sqrt(np.abs(np.diag(information)))
    scaled = information * scale[:, None] * scale
    try:
        if not np.all(np.isfinite(scaled)):
            raise np.linalg.LinAlgError
        factor = scipy.linalg.cho_factor(scaled)
        one_norm = np.abs(scaled).sum(axis=0).max()
        rcond, _ = scipy.linalg.lapack.dpocon(factor[0], one_norm, uplo="U")
        if not rcond > _MIN_RCOND:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        raise ValueError(
            "The observed information is singular or not positive definite: the "
            "likelihood does not determine the coefficients. Collinear (or "
            "constant) features, or classes that the features separate "
            "perfectly (the MLE is then infinite), are the usual causes."
        ) from None
    inverse = scipy.linalg.cho_solve(factor, np.eye(len(scaled)))
    return inverse * scale[:, None] * scale


def _check_at_optimum(
    inverse,
    gradient,
    advice="Fit with solver='newton' to reach the optimum.",
    stacklevel=3,
):
    """Warn when the Newton step left is not small against the errors."""
    step = inverse @ gradient
    distance = np.max(np.abs(step) / np.sqrt(np.diag(inverse)))
    if distance > _MAX_STEP_IN_STANDARD_ERRORS:
        warnings.warn(
            f"The coefficients are {distance:.2g} standard errors from the "
            "maximum-likelihood estimate of the data given: the fit stopped "
            f"short of the optimum, or X and y are not its training data. {advice}",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


class CoefInference:
    """Inference on the coefficients of a linear model, as statsmodels gives it.

    Returned by :func:`coef_inference`; read its docstring, and the module's,
    for what the numbers are. All arrays follow one order: output after
    output, the intercept first, then the features.

    Parameters
    ----------
    coef : ndarray of shape (n_coef,)
        The estimates.
    cov : ndarray of shape (n_coef, n_coef)
        Their covariance.
    terms : list of str
        "intercept", then the feature names.
    outputs : list of str or None
        The name of each output, or None for a single output.
    cov_type : str
        "nonrobust" or "HC0".
    n_obs : float
        Number of observations: the sum of the sample weights.
    description : str
        What the coefficients are coefficients of.
    mean_link : {"identity", "logistic", "softmax"}
        How the mean of y follows from the linear predictors.
    n_features_in : int
        Number of features of X.
    model : ParametricModel or None, default=None
        The fitted model of your own whose parameters ``coef`` are, for
        :meth:`predict_mean`; None for a linear model, whose linear
        predictors are ``X @ coef``.

    Attributes
    ----------
    coef, cov, terms, outputs, cov_type, n_obs, description : as above

    bse : ndarray of shape (n_coef,)
        Standard errors, the square roots of the diagonal of ``cov``.

    zvalues : ndarray of shape (n_coef,)
        Wald statistics ``coef / bse``.

    pvalues : ndarray of shape (n_coef,)
        Two-sided p-values of the Wald tests that a coefficient is zero,
        from the standard normal distribution.
    """

    def __init__(
        self,
        coef,
        cov,
        terms,
        outputs,
        cov_type,
        n_obs,
        description,
        mean_link,
        n_features_in,
        model=None,
    ):
        self.coef = coef
        self.cov = cov
        self.terms = terms
        self.outputs = outputs
        self.cov_type = cov_type
        self.n_obs = n_obs
        self.description = description
        self.mean_link = mean_link
        self.n_features_in = n_features_in
        self.model = model

    @property
    def bse(self):
        return np.sqrt(np.diag(self.cov))

    @property
    def zvalues(self):
        return self.coef / self.bse

    @property
    def pvalues(self):
        return 2.0 * stats.norm.sf(np.abs(self.zvalues))

    def conf_int(self, alpha=0.05):
        """Wald confidence intervals ``coef -+ z_{1 - alpha/2} bse``.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level.

        Returns
        -------
        intervals : ndarray of shape (n_coef, 2)
            Lower and upper bounds.
        """
        half_width = stats.norm.isf(alpha / 2.0) * self.bse
        return np.column_stack([self.coef - half_width, self.coef + half_width])

    def summary_frame(self, alpha=0.05):
        """The summary table as a pandas DataFrame, one row per coefficient.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the intervals.

        Returns
        -------
        frame : pandas.DataFrame
            Columns "coef", "std err", "z", "P>|z|" and the interval's
            bounds, named as in statsmodels' summary; indexed by term, and
            by output first when there are several.
        """
        import pandas as pd

        lower, upper = self._interval_labels(alpha)
        intervals = self.conf_int(alpha)
        columns = {
            "coef": self.coef,
            "std err": self.bse,
            "z": self.zvalues,
            "P>|z|": self.pvalues,
            lower: intervals[:, 0],
            upper: intervals[:, 1],
        }
        if self.outputs is None:
            index = pd.Index(self.terms, name="term")
        else:
            index = pd.MultiIndex.from_product(
                [self.outputs, self.terms], names=["output", "term"]
            )
        return pd.DataFrame(columns, index=index)

    @staticmethod
    def _interval_labels(alpha):
        return f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"

    def summary(self, alpha=0.05):
        """The summary table as text, in the layout of statsmodels' summary.

        Parameters
        ----------
        alpha : float, default=0.05
            One minus the confidence level of the intervals.

        Returns
        -------
        text : str
        """
        lower, upper = self._interval_labels(alpha)
        header = ["coef", "std err", "z", "P>|z|", lower, upper]
        rows = np.column_stack(
            [self.coef, self.bse, self.zvalues, self.pvalues, self.conf_int(alpha)]
        )
        width = max(len(term) for term in self.terms) + 2
        line = "=" * (width + 11 * len(header))
        information = "observed" if self.model is None else "Gauss-Newton"
        covariance = {
            "nonrobust": f"nonrobust ({information} information)",
            "HC0": "HC0 (sandwich)",
        }[self.cov_type]
        lines = [
            f"Coefficients: {self.description}",
            f"Observations: {self.n_obs:g}    Covariance: {covariance}",
            line,
            " " * width + "".join(f"{name:>11}" for name in header),
        ]
        for number, output in enumerate(self.outputs or [None]):
            lines.append("-" * len(line))
            if output is not None:
                lines.append(f"output {output}")
            block = rows[number * len(self.terms) : (number + 1) * len(self.terms)]
            for term, values in zip(self.terms, block, strict=True):
                cells = "".join(f"{_format_number(value):>11}" for value in values)
                lines.append(f"{term:<{width}}{cells}")
        lines.append(line)
        return "\n".join(lines)

    def __repr__(self):
        return f"<CoefInference: {len(self.coef)} coefficients, {self.cov_type}>"

    def predict_mean(self, X, return_std=False):
        """The predicted mean of y, and its standard error by the delta method.

        The standard error measures how well the data determine the mean at
        x: the uncertainty of the fit, which shrinks as the training data
        grow (statsmodels' ``get_prediction(X).se_mean``, or ``.se`` for
        discrete models). It is not the spread of y around that mean, the
        noise, which ``predict(X, return_std=True)`` and ``predict_dist``
        return and which does not shrink. For an interval that should hold
        a new observation y of a regressor, combine the two:
        ``sqrt(std**2 + sigma**2)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            Also return the standard error of each mean.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted mean: the mean of y for regressors, the
            probability of ``classes_[1]`` for
            :class:`~skprob.BernoulliClassifier`, the probabilities of the
            classes for :class:`~skprob.SoftmaxClassifier`.
        std : ndarray of the shape of ``mean``
            Standard error of each mean, only when ``return_std`` is True:
            ``sqrt(grad^T cov grad)`` with ``grad`` the gradient of the mean
            in the coefficients.
        """
        X = check_array(X, accept_sparse=("csr", "csc"), dtype=np.float64)
        if X.shape[1] != self.n_features_in:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model has {self.n_features_in}."
            )
        if self.model is not None:
            linear, linear_cov = _model_predictors(
                self.model, self.coef, self.cov, X, self.mean_link == "softmax"
            )
            linear_cov = linear_cov if return_std else None
        else:
            linear, linear_cov = self._linear_predictors(X, return_std)
        if self.mean_link is None:
            raise ValueError(
                "The mean of this distribution depends on parameters other than "
                "the coefficients' raw output (a log-normal's and a Weibull's "
                "on their shape): predict_mean gives no mean here. Use the "
                "raw outputs' standard errors, or the estimator's predict."
            )
        mean, jacobian = _MEAN_LINKS[self.mean_link](linear)
        if not return_std:
            return mean
        variance = np.einsum("imo,iop,imp->im", jacobian, linear_cov, jacobian)
        return mean, np.sqrt(variance).reshape(mean.shape)

    def _linear_predictors(self, X, return_std):
        """``X @ coef`` per output, and their covariances when asked."""
        n_outputs = len(self.outputs or [None])
        coef = self.coef.reshape(n_outputs, -1)
        linear = X @ coef[:, 1:].T + coef[:, 0]
        if not return_std:
            return linear, None
        cov = self.cov.reshape(n_outputs, len(self.terms), n_outputs, len(self.terms))
        linear_cov = np.empty((X.shape[0], n_outputs, n_outputs))
        for first in range(n_outputs):
            for second in range(n_outputs):
                linear_cov[:, first, second] = _quadratic_forms(
                    X, cov[first, :, second, :]
                )
        return linear, linear_cov


def _model_predictors(model, params, cov, X, contrasts):
    """A model of your own's raw outputs and their covariances, ``J cov J^T``.

    With ``contrasts`` (a softmax), the raw outputs are given as contrasts
    with the first, which is what the softmax link takes.
    """
    if sp.issparse(X):
        X = X.toarray()
    raw = model.predict_raw(params, X)
    jacobian = _jacobian(model, params, X)
    if contrasts:
        raw, jacobian = raw[:, 1:] - raw[:, :1], jacobian[:, 1:] - jacobian[:, :1]
    return raw, np.einsum("ikp,pq,ilq->ikl", jacobian, cov, jacobian)


def _quadratic_forms(X, matrix):
    """``xa_i^T matrix xa_i`` for every row, with ``xa_i = [1, x_i]``."""
    corner, first_column, first_row = matrix[0, 0], matrix[1:, 0], matrix[0, 1:]
    inner = X @ matrix[1:, 1:]
    if sp.issparse(X):
        rows = np.asarray(X.multiply(inner).sum(axis=1)).ravel()
    else:
        rows = np.einsum("ij,ij->i", X, inner)
    return corner + X @ (first_column + first_row) + rows


# Each link returns the mean, of shape (n_samples,) or (n_samples, n_means),
# and its Jacobian in the linear predictors, (n_samples, n_means, n_outputs).


def _identity_mean(linear):
    """The mean is the first linear predictor (the other is log sigma)."""
    jacobian = np.zeros((linear.shape[0], 1, linear.shape[1]))
    jacobian[:, 0, 0] = 1.0
    return linear[:, 0], jacobian


def _log_mean(linear):
    """The mean is the exp of the first linear predictor (a log link)."""
    mean = np.exp(linear[:, 0])
    jacobian = np.zeros((linear.shape[0], 1, linear.shape[1]))
    jacobian[:, 0, 0] = mean
    return mean, jacobian


def _logistic_mean(linear):
    probability = expit(linear[:, 0])
    slope = probability * expit(-linear[:, 0])
    return probability, slope[:, None, None]


def _softmax_mean(contrasts):
    """Class probabilities from the contrasts with class 0, and their slopes."""
    n_samples, n_contrasts = contrasts.shape
    proba = softmax(np.column_stack([np.zeros(n_samples), contrasts]), axis=1)
    # d proba_k / d contrast_m = proba_k ([k = m + 1] - proba_{m+1})
    jacobian = -proba[:, :, None] * proba[:, None, 1:]
    jacobian[:, 1:, :] += proba[:, 1:, None] * np.eye(n_contrasts)
    return proba, jacobian


_MEAN_LINKS = {
    "identity": _identity_mean,
    "log": _log_mean,
    "logistic": _logistic_mean,
    "softmax": _softmax_mean,
}


def _format_number(value):
    if value == 0 or 1e-4 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.3e}"
