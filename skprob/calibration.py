"""Recalibration of a regressor's predicted standard deviation.

scikit-learn's ``CalibratedClassifierCV`` recalibrates a classifier's
probabilities; nothing does the same for a regressor's uncertainty.
:class:`CalibratedRegressor` rescales the predicted standard deviation of
any regressor with ``predict(X, return_std=True)`` by a factor estimated on
held-out folds, so that its predictive intervals cover as often as they
claim.
"""

import warnings
from numbers import Integral

import numpy as np
from scipy import sparse, stats
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing, get_tags, indexable
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
)

from .regression import GaussianRegressor


class CalibratedRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    r"""Regressor whose predicted standard deviation is rescaled on held-out data.

    A model fitted by maximum likelihood is often overconfident on new data
    (its training residuals are smaller than its test residuals), and a
    model with the wrong noise structure (one sigma for noise that varies
    with x) is wrong about its spread. Variance scaling fixes the overall
    level: it keeps the predicted mean :math:`\mu(x)` and replaces the
    predicted standard deviation :math:`\sigma(x)` by
    :math:`s\,\sigma(x)`, with :math:`s` the maximum-likelihood factor on
    out-of-fold predictions,

    .. math:: s^2 = \frac{\sum_i w_i\, z_i^2}{\sum_i w_i}, \qquad
              z_i = \frac{y_i - \mu_{-k(i)}(x_i)}{\sigma_{-k(i)}(x_i)},

    where :math:`\mu_{-k}, \sigma_{-k}` come from a clone of ``estimator``
    fitted without fold :math:`k`. (It minimizes the Gaussian NLL of the
    held-out residuals over :math:`s`.) The estimator used for prediction
    is then fitted on all the data, as ``CalibratedClassifierCV`` does with
    ``ensemble=False``. One factor cannot fix a sigma that has the wrong
    shape in x: it makes the intervals right on average, not everywhere. A
    target of several outputs, y of shape (n_samples, k), gets one factor
    per output, each the MLE on its own column's residuals.

    Read more in :doc:`/uncertainty`.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The regressor to recalibrate; its ``predict`` must accept
        ``return_std=True``: skprob's regressors, a ``Pipeline`` ending in
        one, ``BayesianRidge``, ``GaussianProcessRegressor``. It is cloned.
        None means :class:`~skprob.GaussianRegressor`. A
        ``sklearn.frozen.FrozenEstimator`` (scikit-learn >= 1.6) wraps an
        already fitted regressor, which is then only recalibrated on the
        data given to ``fit``.

    method : {"variance"}, default="variance"
        How the standard deviation is recalibrated: "variance" multiplies
        it by one factor (variance scaling).

    cv : int, cross-validation generator or iterable, default=None
        How the held-out predictions are made: None for 5-fold
        cross-validation, an int for that many folds (``KFold``, not
        shuffled), a splitter, or an iterable of (train, test) index arrays.

    n_jobs : int, default=None
        Number of folds fitted in parallel; None means 1 unless in a
        ``joblib.parallel_backend`` context, -1 means all processors.

    Attributes
    ----------
    estimator_ : estimator instance
        The clone of ``estimator`` fitted on all the data.

    scale_ : float or ndarray of shape (n_outputs,)
        The factor :math:`s` applied to the predicted standard deviation;
        above 1, the estimator was overconfident. One per output for a 2-D
        target.

    n_features_in_ : int
        Number of features seen during fit, when ``estimator_`` has it.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``estimator_`` has them.

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : the same idea for a
        classifier's probabilities.
    skprob.metrics.interval_coverage : check the result on held-out data.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob import GaussianRegressor
    >>> from skprob.calibration import CalibratedRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 10))  # few rows, many features: overfits
    >>> y = X[:, 0] + rng.normal(size=40)
    >>> reg = CalibratedRegressor(GaussianRegressor()).fit(X, y)
    >>> round(reg.scale_, 2)
    1.42
    >>> mean, std = reg.predict(X[:2], return_std=True)
    >>> bool(np.allclose(std, reg.scale_ * reg.estimator_.sigma_))
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "method": [StrOptions({"variance"})],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator=None, *, method="variance", cv=None, n_jobs=None):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.n_jobs = n_jobs

    def _base_estimator(self):
        return GaussianRegressor() if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base_tags = get_tags(self._base_estimator())
        tags.input_tags.sparse = base_tags.input_tags.sparse
        tags.target_tags.multi_output = base_tags.target_tags.multi_output
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the estimator on all data and the std factor on held-out folds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, passed on to the estimator as it is (sparse
            formats other than CSR and CSC are converted to CSR).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values; a 2-D target needs an estimator that takes one.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows, in the estimator's fits (if it accepts
            them) and in the estimate of the factor.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        if sparse.issparse(X) and X.format not in ("csr", "csc"):
            X = X.tocsr()  # the formats that support row indexing
        X, y = indexable(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        estimator = self._base_estimator()
        fit_params = _fit_params(estimator, sample_weight)
        self.estimator_ = clone(estimator).fit(X, y, **fit_params)
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
            elif hasattr(self, attribute):  # left over from an earlier fit
                delattr(self, attribute)
        self.scale_ = self._fit_scale(estimator, X, y, sample_weight, fit_params)
        return self

    def _fit_scale(self, estimator, X, y, sample_weight, fit_params):
        """The MLE of the std factor on out-of-fold standardized residuals."""
        splits = list(check_cv(self.cv, y, classifier=False).split(X, y))
        folds = Parallel(n_jobs=self.n_jobs)(
            delayed(_held_out_z)(clone(estimator), X, y, train, test, fit_params)
            for train, test in splits
        )
        z = np.concatenate(folds)
        test_rows = np.concatenate([test for _, test in splits])
        weight = np.ones(len(z)) if sample_weight is None else sample_weight[test_rows]
        if not weight.sum() > 0:
            raise ValueError("The held-out folds have no sample of positive weight.")
        scale = np.sqrt(np.average(z**2, axis=0, weights=weight))
        return float(scale) if z.ndim == 1 else scale

    def predict(self, X, return_std=False):
        """Predict the mean of y, and optionally its recalibrated std.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            Also return the standard deviation, multiplied by ``scale_``.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted means, those of ``estimator_``.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Recalibrated standard deviations, only when ``return_std`` is
            True.
        """
        check_is_fitted(self)
        if sparse.issparse(X) and X.format not in ("csr", "csc"):
            X = X.tocsr()
        if not return_std:
            return self.estimator_.predict(X)
        y_mean, y_std = self.estimator_.predict(X, return_std=True)
        return y_mean, self.scale_ * np.asarray(y_std)

    def predict_dist(self, X):
        """The recalibrated normal predictive distribution of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        dist : scipy.stats frozen distribution
            ``scipy.stats.norm(loc=y_mean, scale=y_std)`` from
            ``predict(X, return_std=True)``.
        """
        y_mean, y_std = self.predict(X, return_std=True)
        return stats.norm(loc=y_mean, scale=y_std)


def _fit_params(estimator, sample_weight):
    if sample_weight is None:
        return {}
    if has_fit_parameter(estimator, "sample_weight"):
        return {"sample_weight": sample_weight}
    # As CalibratedClassifierCV: e.g. a Pipeline, without metadata routing.
    warnings.warn(
        f"{type(estimator).__name__} does not accept sample_weight in fit; the "
        "weights are used only to estimate the std factor.",
        UserWarning,
        stacklevel=3,
    )
    return {}


def _held_out_z(estimator, X, y, train, test, fit_params):
    """Standardized residuals of ``test`` under a fit on ``train``."""
    train_params = {key: value[train] for key, value in fit_params.items()}
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **train_params)
    try:
        y_mean, y_std = estimator.predict(_safe_indexing(X, test), return_std=True)
    except TypeError as error:
        if "return_std" not in str(error):
            raise
        raise TypeError(
            "CalibratedRegressor needs an estimator whose predict accepts "
            f"return_std=True; {type(estimator).__name__}'s does not."
        ) from error
    y_mean = np.asarray(y_mean)
    # A column of y may come back flattened (or a flat y as a column).
    y_test = np.asarray(_safe_indexing(y, test), dtype=np.float64)
    residual = y_test.reshape(y_mean.shape) - y_mean
    y_std = np.asarray(y_std, dtype=np.float64)
    # A zero std is right only where the residual is zero too; elsewhere the
    # model is infinitely overconfident, and the factor says so.
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(residual == 0, 0.0, residual / y_std)
    return z
