"""Step 0 of a fit: the training data, in memory or on a Dask cluster.

:func:`prepare_data` validates X, y and the sample weights, chooses the
precision of the fit, sets up (or, continuing a fit, checks) the target and
encodes it; rows on a Dask cluster are persisted there instead. Either way
the fit gets one :class:`FitData`, whose methods answer what the start of a
fit asks of its rows wherever they live.
"""

from dataclasses import dataclass

import numpy as np
from sklearn import get_config
from sklearn.base import is_classifier
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _dask
from .models import MLP, Concatenate, LinearModel
from .models._with_constants import WithConstants
from .solvers import batch_size_of

FLOAT_DTYPES = (np.float64, np.float32)
"""The precisions a fit computes in: float32 X stays float32, the rest float64."""

_DASK_PARTIAL_FIT_ERROR = (
    "partial_fit takes in-memory chunks, not Dask collections. To stream the "
    "blocks of a dask.array through partial_fit where they live, wrap the "
    "estimator in dask_ml.wrappers.Incremental; or use fit with a full-batch "
    "solver ('lbfgs' or 'gd'), which runs data-parallel on the cluster."
)


@dataclass
class FitData:
    """The training rows of one fit, with the target they were encoded for.

    Attributes
    ----------
    X : {ndarray, sparse matrix} or skprob._dask.ClusterData
        The rows; on a cluster, the persisted shards, which hold the encoded
        target and the weights too (``y`` and ``sample_weight`` are then None).
    y : ndarray or None
        The encoded target, in the precision of X.
    sample_weight : ndarray of float64 or None
        The validated weights.
    target : dict
        What the estimator's ``_encode_target`` needs (standardization,
        classes, number of outputs).
    solver : Solver or None
        The solver, when preparing the data needed it (on a cluster).
    """

    X: object
    y: object
    sample_weight: object
    target: dict
    solver: object = None

    @property
    def on_cluster(self):
        return isinstance(self.X, _dask.ClusterData)

    @property
    def arrays(self):
        """``(X, y, sample_weight)``, as the training reads them."""
        return self.X, self.y, self.sample_weight

    @property
    def dtype(self):
        """The precision of the fit: that of X, float64 for rows on a cluster.

        The Dask path computes in float64 whatever the dtype of X (see
        :mod:`skprob._dask`).
        """
        return np.dtype(np.float64) if self.on_cluster else self.X.dtype

    def raw_at_marginal_mle(self, distribution):
        """The raw outputs at the marginal MLE of the encoded target."""
        if self.on_cluster:
            return self.X.raw_at_marginal_mle(distribution)
        return distribution.raw_at_marginal_mle(self.y, self.sample_weight)

    def lipschitz(self, objective, solver):
        """The start estimate of the gradient's Lipschitz constant, or None."""
        if self.on_cluster:
            return self.X.lipschitz(objective)
        batch_size = batch_size_of(solver, self.X.shape[0])
        return objective.lipschitz(self.X, self.sample_weight, batch_size)


def prepare_data(estimator, X, y, sample_weight, *, resume, incremental, classes):
    """The :class:`FitData` of a fit of ``estimator``, in memory or on a cluster.

    ``resume`` continues the previous fit (warm start, ``partial_fit``),
    whose target and precision it keeps; ``classes`` are those
    ``partial_fit`` was given.
    """
    check_no_array_api_input(X=X, y=y, sample_weight=sample_weight)
    if not _dask.is_dask_collection(X):
        return _prepare_in_memory(estimator, X, y, sample_weight, resume, classes)
    if incremental:
        raise TypeError(_DASK_PARTIAL_FIT_ERROR)
    # Its warnings point at the user's call of fit, one call further up.
    solver = estimator._make_solver(stacklevel=6)
    # X becomes the rows persisted on the cluster, holding the encoded
    # target and the weights: y and sample_weight are None.
    X, target = _dask.prepare_fit(estimator, solver, X, y, sample_weight, resume=resume)
    return FitData(X, None, None, target, solver)


def _prepare_in_memory(estimator, X, y, sample_weight, resume, classes):
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=not resume,
        accept_sparse=estimator._accept_sparse(),
        # A fit computes in the precision of X, float32 or float64
        # (anything else becomes float64), as scikit-learn's MLP does; a
        # continued fit keeps the precision of its parameters.
        dtype=(
            estimator._training.params.dtype
            if resume
            else precisions(estimator._model_spec())
        ),
        y_numeric=not is_classifier(estimator),
        multi_output=True,
    )
    y = estimator._check_target_shape(y)
    sample_weight = validate_sample_weight(sample_weight, X)
    if resume:
        target = estimator._target
        check_same_outputs(y, target)
    else:
        target = estimator._init_target(y, sample_weight, classes)
        target["n_outputs"] = n_outputs(y)
    y_encoded = estimator._encode_target(y, target).astype(X.dtype, copy=False)
    return FitData(X, y_encoded, sample_weight, target)


def precisions(model):
    """The dtypes X may keep for ``model``: float32 too for the built-in ones.

    A model of the user's own computes in float64 (its protocol's arrays
    are float64), whatever the dtype of X.
    """
    return FLOAT_DTYPES if is_builtin(model) else np.float64


def is_builtin(model):
    """Whether ``model`` is a built-in one, LinearModel or MLP (not a subclass).

    The estimators standardize the target, compute in float32 and read
    ``coef_`` or ``coefs_`` only for these; a model of the user's own is
    checked where its fit starts. A DistributionRegressor's built-in model
    of the location, with its constants, counts as built-in.
    """
    if isinstance(model, WithConstants):
        return is_builtin(model.model)
    return type(model) in (LinearModel, MLP)


def tested_on_information(model):
    """Whether ``model`` is one of the user's own that gives its Jacobian.

    Its fit is then judged by the information test of
    :mod:`skprob._convergence` rather than by the size of its gradient, and
    ``solver="auto"`` may fit it by Newton. A
    :class:`~skprob.models.Concatenate` not yet built answers for its models.
    """
    if is_builtin(model) or hasattr(model, "hessian"):
        return False
    if isinstance(model, Concatenate) and not hasattr(model, "models_"):
        return all(
            isinstance(part, LinearModel) or tested_on_information(part)
            for _, part in model.models
        )
    return hasattr(model, "jacobian")


def check_no_array_api_input(**arrays):
    """Refuse array API input clearly: skprob computes with NumPy only.

    Under ``array_api_dispatch=True`` scikit-learn's validation keeps such
    arrays in their own library, where NumPy code fails with raw TypeErrors.
    """
    if not get_config().get("array_api_dispatch", False):
        return
    for name, array in arrays.items():
        library = _array_api_library(array)
        if library is not None:
            raise ValueError(
                "skprob does not support array API inputs yet: "
                f"{name} is an array of {library}, and "
                "sklearn.set_config(array_api_dispatch=True) is set. Pass NumPy "
                "arrays (np.asarray(X), or X.cpu().numpy() for a torch tensor), "
                "or set array_api_dispatch=False, under which the input is "
                "converted to NumPy."
            )


def _array_api_library(array):
    """The library of an array API array other than NumPy's, or None."""
    if array is None or isinstance(array, (np.ndarray, np.generic)):
        return None
    library = type(array).__module__.partition(".")[0]
    # torch tensors need not have __array_namespace__: array-api-compat,
    # which scikit-learn dispatches through, wraps them.
    if hasattr(array, "__array_namespace__") or library == "torch":
        return library
    return None


def n_outputs(y):
    """The number of columns of a 2-D target, None for a 1-D one."""
    return None if y.ndim == 1 else y.shape[1]


def _describe_outputs(n_outputs):
    if n_outputs is None:
        return "a 1-D target"
    return f"a 2-D target of {n_outputs} column{'s' if n_outputs > 1 else ''}"


def check_same_outputs(y, target):
    """Refuse to continue a fit on a target with other outputs."""
    fitted = target.get("n_outputs")
    if n_outputs(y) != fitted:
        raise ValueError(
            f"y has {_describe_outputs(n_outputs(y))}, but the model was "
            f"fitted on {_describe_outputs(fitted)}; warm_start and "
            "partial_fit continue the same model. Set warm_start=False "
            "(or call fit) to fit the new target."
        )


def validate_sample_weight(sample_weight, X):
    """The sample weights as float64, checked: finite, non-negative, positive sum."""
    if sample_weight is not None:
        weights = np.asarray(sample_weight)
        if weights.ndim == 1 and np.issubdtype(weights.dtype, np.number):
            if not np.all(np.isfinite(weights)):
                raise ValueError("sample_weight must be finite (no NaN or inf).")
            if np.any(weights < 0):
                raise ValueError("sample_weight must be non-negative.")
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sample_weight
