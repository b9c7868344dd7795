"""Classifiers: a Bernoulli or categorical distribution over the classes."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import ProbabilisticEstimator
from ._dask import lazy_on_dask
from ._docstrings import fill_doc
from .distributions import Bernoulli, Categorical


class _Classifier(ClassifierMixin, ProbabilisticEstimator):
    """Shared by the classifiers: class encoding and probability outputs."""

    _min_classes, _max_classes = 2, None

    def _check_target_shape(self, y):
        y = super()._check_target_shape(y)
        if y.ndim == 2 and y.shape[1] == 1:
            # A column of labels, flattened with a warning, as scikit-learn's
            # classifiers do.
            return column_or_1d(y, warn=True)
        return y

    def _init_target(self, y, sample_weight, classes):
        check_classification_targets(y)
        # partial_fit's classes name every class, seen in this chunk or not.
        source = "y" if classes is None else "classes"
        if classes is not None and np.ndim(classes) != 1:
            raise ValueError(f"classes must be 1-dimensional; got {classes!r}.")
        classes = np.unique(y if classes is None else np.asarray(classes))
        name = type(self).__name__
        if len(classes) < self._min_classes:
            found = "one class" if len(classes) == 1 else "no class"
            raise ValueError(
                f"{name} needs at least 2 classes, but {source} contains "
                f"{found}: {classes.tolist()!r}."
            )
        if self._max_classes and len(classes) > self._max_classes:
            raise ValueError(
                f"Only binary classification is supported by {name}, but "
                f"{source} has {len(classes)} classes; use SoftmaxClassifier for "
                "a multiclass target."
            )
        return {"classes": classes}

    @staticmethod
    def _encode_target(y, target):
        check_classification_targets(y)
        classes = target["classes"]
        codes = np.searchsorted(classes, y)
        codes = np.minimum(codes, len(classes) - 1)
        unseen = classes[codes] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains labels not in classes_ {classes!r}: "
                f"{np.unique(np.asarray(y)[unseen])!r}."
            )
        return codes.astype(np.float64)

    def _set_coefficients(self, coef, intercept):
        self.coef_, self.intercept_ = coef, intercept

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        self.classes_ = self._target["classes"]
        super()._set_fitted_attributes(training, X, y, sample_weight)

    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimizing the cross-entropy (the NLL).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels; for :class:`BernoulliClassifier`, also a multilabel
            indicator matrix of 0s and 1s (see :ref:`multiple_outputs`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight is the same as repeating
            the row that many times, a zero weight the same as dropping it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    @fill_doc
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the solver over a chunk of data.

        The first call initializes the model; later calls (and calls after
        ``fit``) continue from the previous parameters and solver state.
        Repeated over the chunks of a data set, it trains on the whole data
        without holding it in memory; for a linear model, passes over the
        same chunks converge to the optimum ``fit`` reaches (see the Notes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels; for :class:`BernoulliClassifier`, also a multilabel
            indicator matrix of 0s and 1s, of the shape of the first call's.
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call, as in scikit-learn,
            since one chunk need not contain every class. A multilabel
            indicator matrix names its labels by its columns: ``classes``
            may then be left out, or be ``range(n_labels)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        %(partial_fit_notes)s

        Examples
        --------
        >>> import numpy as np
        >>> from skprob import SoftmaxClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(3000, 2))
        >>> y = np.argmax(X @ [[2.0, -2.0, 0.0], [0.0, 2.0, -2.0]]
        ...               + rng.gumbel(size=(3000, 3)), axis=1)
        >>> clf = SoftmaxClassifier(random_state=0)
        >>> for epoch in range(10):
        ...     for chunk in np.array_split(np.arange(3000), 3):
        ...         clf = clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        >>> clf.n_iter_, clf.classes_.tolist(), bool(clf.score(X, y) > 0.7)
        (30, [0, 1, 2], True)
        """
        self._validate_params()
        self._check_partial_fit_classes(classes, y)
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_partial_fit_classes(self, classes, y):
        """``classes`` is required on the first call, optional but fixed later.

        A multilabel indicator matrix names its labels by its columns: there
        ``classes`` may be left out.
        """
        if not hasattr(self, "_training"):
            multilabel = np.ndim(y) == 2 and np.shape(y)[1] > 1
            if classes is None and not multilabel:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            return
        if classes is not None:
            classes = np.asarray(classes)
            if classes.ndim != 1 or not np.array_equal(
                np.unique(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call "
                    f"to partial_fit (or fit): {self.classes_!r}."
                )

    @lazy_on_dask
    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, columns in the order of ``classes_``. For a
            :class:`BernoulliClassifier` fitted on a multilabel indicator
            matrix, the probability of each label, (n_samples, n_labels), as
            in scikit-learn's MLPClassifier.
        """
        raw = self._raw_output(X)
        return self._distribution.proba(raw)

    @lazy_on_dask
    def predict_log_proba(self, X):
        """Log of the probability of each class, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``; for a
            multilabel :class:`BernoulliClassifier`, the log of each label's
            probability, (n_samples, n_labels).
        """
        raw = self._raw_output(X)
        return self._distribution.log_proba(raw)

    @lazy_on_dask
    def predict(self, X):
        """The most likely class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted class labels; for a multilabel
            :class:`BernoulliClassifier`, an indicator matrix of ints, 1
            where a label is more likely present than not.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]


def _not_multilabel(estimator):
    """Whether the estimator is unfitted, or fitted on a 1-D target."""
    target = getattr(estimator, "_target", None)
    return target is None or target.get("n_outputs") is None


@fill_doc
class BernoulliClassifier(_Classifier):
    """Binary classifier with a Bernoulli likelihood (logistic regression).

    Pr(y = 1 | x) = sig(f[x, phi]); the NLL is the binary cross-entropy. For
    two classes only: it raises a clear error for more, for which
    :class:`SoftmaxClassifier` is the model.

    A multilabel indicator matrix y of shape (n_samples, k), of 0s and 1s,
    gets k independent Bernoullis, whose cross-entropies add up (see
    :ref:`multiple_outputs`): ``predict_proba`` and ``predict`` then give
    (n_samples, k), as scikit-learn's MLPClassifier does, and, as it, the
    fitted estimator has no ``decision_function``.

    Parameters
    ----------
    %(solver_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (2,) or (n_labels,)
        The two class labels; the second is the positive class. For a
        multilabel target, the labels' column indices ``0..n_labels-1``, as
        in scikit-learn.

    coef_ : ndarray of shape (1, n_features) or (n_labels, n_features)
        Weights of the log-odds of the positive class (of each label),
        without hidden layers.

    intercept_ : ndarray of shape (1,) or (n_labels,)
        Intercept of the log-odds (of each label), without hidden layers.

    %(fitted_attributes)s

    See Also
    --------
    SoftmaxClassifier : any number of classes.
    sklearn.linear_model.LogisticRegression : the same model, fitted by
        second-order solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprob import BernoulliClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), BernoulliClassifier(alpha=1e-3))
    >>> clf.fit(X, y).score(X, y) > 0.97
    True
    >>> clf.predict_proba(X[:1]).round(3)
    array([[1., 0.]])
    """

    _max_classes = 2
    _RAW_OUTPUTS = (
        "A BernoulliClassifier's model gives 1 raw output per row: the "
        "log-odds of classes_[1] (of each label, for a multilabel target)."
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags

    def _check_target_shape(self, y):
        y = super()._check_target_shape(y)
        if y.ndim == 2:
            _check_indicator_matrix(y)
        return y

    def _init_target(self, y, sample_weight, classes):
        if y.ndim == 1:
            return super()._init_target(y, sample_weight, classes)
        labels = np.arange(y.shape[1])
        if classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), labels
        ):
            raise ValueError(
                f"classes={classes!r} does not name the {len(labels)} columns of "
                "the multilabel indicator matrix y: its labels are its column "
                "indices, 0 to n_labels - 1. Leave classes out, or pass "
                f"range({len(labels)})."
            )
        return {"classes": labels}

    @staticmethod
    def _encode_target(y, target):
        if target.get("n_outputs") is None:
            return _Classifier._encode_target(y, target)
        return np.asarray(y, dtype=np.float64)

    def _make_distribution(self, target):
        return Bernoulli(n_outputs=target.get("n_outputs"))

    @property
    def _multilabel(self):
        check_is_fitted(self)
        return self._target.get("n_outputs") is not None

    @lazy_on_dask
    def predict(self, X):
        if not self._multilabel:
            return super().predict(X)
        return (self._raw_output(X) > 0.0).astype(int)

    predict.__doc__ = _Classifier.predict.__doc__

    @available_if(_not_multilabel)
    @lazy_on_dask
    def decision_function(self, X):
        """The raw output z = f[x, phi]: the log-odds of the positive class.

        Not available after a fit on a multilabel indicator matrix, as
        scikit-learn's MLPClassifier has none: ``predict_proba`` then gives
        each label's probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_odds : ndarray of shape (n_samples,)
            Positive values favour ``classes_[1]``.
        """
        return self._raw_output(X)[:, 0]


@fill_doc
class SoftmaxClassifier(_Classifier):
    """Multiclass classifier with a categorical likelihood (softmax).

    Pr(y = k | x) = softmax_k(f[x, phi]) over K raw outputs; the NLL is the
    multiclass cross-entropy. A true multinomial model, not one-vs-rest.

    Parameters
    ----------
    %(solver_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    coef_ : ndarray of shape (n_classes, n_features)
        Weights of each class's score, without hidden layers.

    intercept_ : ndarray of shape (n_classes,)
        Intercepts of the class scores, without hidden layers.

    %(fitted_attributes)s

    See Also
    --------
    BernoulliClassifier : two classes, one output.
    sklearn.linear_model.LogisticRegression : the same model, fitted by
        second-order solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprob import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> softmax = SoftmaxClassifier(alpha=1e-2)
    >>> clf = make_pipeline(StandardScaler(), softmax)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).round(2)
    array([[0.98, 0.02, 0.  ]])

    A neural network with one hidden layer of 64 units:

    >>> net = SoftmaxClassifier(
    ...     hidden_layer_sizes=(64,), solver="lbfgs", random_state=0
    ... )
    >>> net.fit(X, y).score(X, y) > 0.95
    True
    >>> [coef.shape for coef in net.coefs_]
    [(4, 64), (64, 3)]
    """

    _RAW_OUTPUTS = (
        "A SoftmaxClassifier's model gives one raw output per class: its score."
    )

    def _check_target_shape(self, y):
        y = super()._check_target_shape(y)
        if y.ndim == 2:
            raise ValueError(
                "SoftmaxClassifier takes a 1-D y of class labels; got y of "
                f"shape {y.shape}. For a multilabel indicator matrix (0s and "
                "1s, one column per label) use BernoulliClassifier, which fits "
                "independent Bernoullis; for several multiclass targets, one "
                "per column, use sklearn.multioutput.MultiOutputClassifier("
                "SoftmaxClassifier())."
            )
        return y

    def _make_distribution(self, target):
        return Categorical(len(target["classes"]))

    @lazy_on_dask
    def decision_function(self, X):
        """The raw outputs z = f[x, phi]: one score per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Class scores; with two classes, as in scikit-learn, the 1-D
            log-odds ``z_1 - z_0`` of ``classes_[1]``.
        """
        raw = self._raw_output(X)
        if raw.shape[1] == 2:
            return raw[:, 1] - raw[:, 0]
        return raw


def _check_indicator_matrix(y):
    """Refuse a 2-D target that is not a multilabel indicator matrix."""
    if type_of_target(y) == "multilabel-indicator":
        values = np.unique(y)
        if np.all((values == 0) | (values == 1)):
            return
    else:
        values = np.unique(np.asarray(y, dtype=object).ravel().astype(str))
    shown = ", ".join(str(value) for value in values[:5])
    raise ValueError(
        "BernoulliClassifier takes a 2-D y only as a multilabel indicator "
        f"matrix of 0s and 1s, one column per label; y of shape {y.shape} "
        f"holds {shown}{', ...' if len(values) > 5 else ''}. For several "
        "multiclass targets, one per column, use "
        "sklearn.multioutput.MultiOutputClassifier(SoftmaxClassifier())."
    )
