"""Data-parallel fitting on a Dask cluster: every pass runs where the rows live.

``fit`` on a dask.array or a dask DataFrame persists the rows once on the
workers, as *shards* (a block of X with its targets and weights), and never
gathers them. The training loop of :mod:`skprob._training` runs on the
client, as for NumPy input; only the passes over the rows are distributed:

- validation, the target's standardization (regressors) or class discovery
  (classifiers), the weights' sum and the marginal MLE that the fit starts
  from: a few passes of small summaries;
- the Lipschitz estimate of a linear model: the weighted Gram matrix, summed
  over the shards;
- every loss-and-gradient evaluation of a full-batch solver:
  :class:`ClusterBatchObjective`, the counterpart of
  :class:`~skprob._training.BatchObjective`.

Each pass is a map-reduce: one task per worker thread, which sums over the
shards held by its worker, then a tree of additions on the workers when
there are many partial sums, and one small result to the client. The
parameters travel inside these few tasks (or, when large, are scattered once
to every worker), so an evaluation sends the parameter vector to each worker
once and builds a graph of a few tasks, whatever the number of chunks.

The shards hold the rows as the in-memory fit sees them (float64 X, the
encoded target, the weights divided by their sum), and the reductions add
exactly the terms the in-memory objective adds, so a fit equals the
in-memory fit up to the order of floating-point sums.

Conventions
-----------
A shard is a tuple ``(X_block, y_block, weight_block)`` of NumPy arrays. Raw
shards (before the target is known) hold the original ``y`` and weights;
training shards hold the encoded target and the normalized weights.
"""

import functools
import sys
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import _check_feature_names, _check_n_features

from ._training import BatchObjective, Objective
from .distributions import Bernoulli, Categorical, HeteroscedasticNormal, Normal
from .distributions._base import _constant_totals, _fisher_scoring
from .models import LinearModel, _linalg
from .models._with_constants import WithConstants
from .solvers import batch_size_of

# Partial sums added in one task of the reduction tree: with fewer, the
# client adds them itself. At 100 workers, two levels of additions.
REDUCTION_FAN_IN = 16
# Parameter vectors up to this size travel inside the tasks of an
# evaluation; larger ones are scattered once to every worker first.
MAX_EMBEDDED_PARAMS_BYTES = 2**16

_STOCHASTIC_ERROR = (
    "{name} with solver={solver!r} takes mini-batches, which would bring the "
    "rows to the client one batch at a time. On Dask input, use a full-batch "
    "solver ('lbfgs' or 'gd', or a solver object whose batch_size is None), "
    "which runs data-parallel on the cluster; or stream the blocks through "
    "partial_fit with dask_ml.wrappers.Incremental (see the scaling guide)."
)


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection; never imports Dask itself."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


def lazy_on_dask(method):
    """Make a prediction method lazy on Dask input, block by block.

    On a dask.array (or a dask DataFrame), the method is mapped over the
    row blocks (partitions) and returns a lazy dask.array, as dask-ml's
    ``ParallelPostFit`` does; a method that returns a tuple (``predict(X,
    return_std=True)``) returns a tuple of lazy arrays. Other input goes to
    the method unchanged.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if is_dask_collection(X):
            return _predict_lazily(self, method.__name__, X, args, kwargs)
        return method(self, X, *args, **kwargs)

    return wrapper


def _predict_lazily(estimator, method, X, args, kwargs):
    import dask

    # One row through the method tells the output's shape and dtype, and
    # checks the features (their number, their names) before any block runs.
    probe = _probe_row(X)
    output = getattr(estimator, method)(probe, *args, **kwargs)
    is_tuple = isinstance(output, tuple)
    sample = np.stack(output, axis=-1) if is_tuple else np.asarray(output)
    meta = np.empty((0, *sample.shape[1:]), dtype=sample.dtype)
    # One key in the graph for the estimator, fetched once per worker.
    fitted = dask.delayed(estimator, traverse=False)
    call = functools.partial(_predict_block, method=method, args=args, kwargs=kwargs)
    if hasattr(X, "map_partitions"):
        result = X.map_partitions(call, fitted, meta=meta)
    else:
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D dask.array, got {X.ndim} dimensions.")
        X = X.rechunk({1: -1})
        chunks = (X.chunks[0], *((size,) for size in sample.shape[1:]))
        result = X.map_blocks(
            call,
            fitted,
            chunks=chunks,
            # The feature axis becomes the first output axis, or goes.
            drop_axis=1 if sample.ndim == 1 else None,
            new_axis=list(range(2, sample.ndim)) or None,
            meta=meta,
        )
    if is_tuple:
        return tuple(result[..., i] for i in range(sample.shape[-1]))
    return result


def _probe_row(X):
    if hasattr(X, "map_partitions"):
        import pandas as pd

        return pd.DataFrame(np.zeros((1, len(X.columns))), columns=X.columns)
    return np.zeros((1, X.shape[1]))


def _predict_block(block, estimator, *, method, args, kwargs):
    output = getattr(estimator, method)(block, *args, **kwargs)
    return np.stack(output, axis=-1) if isinstance(output, tuple) else output


# -- fitting ------------------------------------------------------------------


def prepare_fit(estimator, solver, X, y, sample_weight, *, resume):
    """Persist the rows on the cluster; return the training data and target.

    Parameters
    ----------
    estimator : ProbabilisticEstimator
        The estimator being fitted; ``n_features_in_`` and
        ``feature_names_in_`` are set (or checked, when ``resume``).
    solver : Solver
        Must take full batches.
    X : dask.array of shape (n_samples, n_features) or dask DataFrame
    y : dask.array, dask Series or array-like of shape (n_samples,)
    sample_weight : dask.array, dask Series, array-like or None
    resume : bool
        Continue the previous fit: keep its target (standardization or
        classes).

    Returns
    -------
    data : ClusterData
        The training shards: float64 X, encoded target, normalized weights.
    target : dict
        What the estimator's ``_encode_target`` needs.
    """
    client = _client(type(estimator).__name__)
    if resume and estimator._target.get("n_outputs") is not None:
        raise ValueError(
            f"{type(estimator).__name__} was fitted on a 2-D target, and a fit "
            "on Dask input takes a 1-D y: warm_start cannot continue it there. "
            "Continue the fit in memory, or set warm_start=False."
        )
    X, y, sample_weight = _row_aligned_arrays(
        estimator, X, y, sample_weight, reset=not resume
    )
    _check_fit_settings(estimator, solver, X.shape[0])
    raw = ClusterData.persist(client, X, y, sample_weight)
    classifier = is_classifier(estimator)
    summary = raw.map_reduce(_summarize_shard, classifier, combine=_RawSummary.merge)
    summary.check(classifier)
    if hasattr(estimator, "_distribution_spec"):
        # The domain check, on the client: an error raised in a task that
        # encodes the shards would reach the client as another error.
        distribution = estimator._distribution_spec()
        distribution.check_target(
            raw.map_reduce(_values_outside, distribution, combine=_some_values)
        )
    if resume:
        target = estimator._target
    elif classifier:
        target = estimator._init_target(summary.classes, None, None)
    else:
        estimator._check_enough_rows(summary.n_samples, summary.n_positive)
        loc, variance = raw.weighted_moments(summary.weight_sum)
        target = estimator._standardization(loc, variance)
    data = raw.map_shards(
        _encode_shard, type(estimator)._encode_target, target, summary.weight_sum
    )
    return data, target


def _check_fit_settings(estimator, solver, n_samples):
    name = type(estimator).__name__
    if batch_size_of(solver, n_samples) < n_samples:
        raise ValueError(_STOCHASTIC_ERROR.format(name=name, solver=estimator.solver))
    if estimator.early_stopping is True:
        raise ValueError(
            f"{name} does not support early_stopping=True on Dask input: the "
            "validation split would move rows between workers. Hold out a "
            "validation set yourself, or fit without early stopping."
        )


def _client(name):
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        raise RuntimeError(
            f"{name}.fit on Dask input runs on a dask.distributed cluster, and "
            "there is no distributed Client: create one first, e.g. "
            "distributed.Client(distributed.LocalCluster())."
        ) from None


def _row_aligned_arrays(estimator, X, y, sample_weight, reset):
    """X, y and the weights as dask.arrays with the same row chunks."""
    import dask.array as da

    if hasattr(X, "to_dask_array"):  # a dask DataFrame
        # Its empty pandas frame has the columns: sklearn reads their names.
        _check_feature_names(estimator, X._meta, reset=reset)
        X = X.to_dask_array(lengths=True)
    else:
        _check_feature_names(estimator, X, reset=reset)
    if not isinstance(X, da.Array) or not isinstance(X._meta, np.ndarray):
        raise TypeError(
            "Dask input must be a dask.array of NumPy chunks or a dask "
            f"DataFrame; got {type(X).__name__} of {type(X._meta).__name__}."
        )
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D dask.array for X, got {X.ndim}-D.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must be numeric; got dtype {X.dtype}.")
    if np.isnan(X.shape[0]):
        X = X.compute_chunk_sizes()
    _check_n_features(estimator, X, reset=reset)
    X = X.rechunk({1: -1})
    y = _aligned_column(y, X, "y")
    if not is_classifier(estimator) and y.dtype.kind not in "biuf":
        raise ValueError(f"y must be numeric for a regressor; got dtype {y.dtype}.")
    if sample_weight is not None:
        sample_weight = _aligned_column(sample_weight, X, "sample_weight")
        if sample_weight.dtype.kind not in "biuf":
            raise ValueError("sample_weight must be numeric.")
    return X, y, sample_weight


def _aligned_column(values, X, name):
    """A 1-D dask.array of ``values`` with the row chunks of X."""
    import dask.array as da

    if hasattr(values, "to_dask_array"):  # a dask Series or DataFrame
        values = values.to_dask_array(lengths=True)
    elif not isinstance(values, da.Array):
        values = da.from_array(np.asarray(values), chunks=-1)
    if np.isnan(values.shape[0]):
        values = values.compute_chunk_sizes()
    if values.ndim == 2 and values.shape[1] == 1 and name == "y":
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. "
            "Please change the shape of y to (n_samples,), for example "
            "using ravel().",
            DataConversionWarning,
            stacklevel=6,
        )
        values = values.ravel()
    if values.ndim == 2 and name == "y":
        raise ValueError(
            "A fit on Dask input takes a 1-D y; got y of shape "
            f"{values.shape}. Several outputs are fitted in memory: compute X "
            "and y (NumPy arrays) and fit on them, or fit one estimator per "
            "column of y."
        )
    if values.ndim != 1:
        raise ValueError(
            f"{name} should be a 1d array, got an array of shape "
            f"{values.shape} instead."
        )
    if values.shape[0] != X.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {values.shape[0]}]"
        )
    return values.rechunk((X.chunks[0],))


@dataclass
class _RawSummary:
    """What one pass over the raw shards learns: checks, weights, classes."""

    n_samples: int
    finite_X: bool
    finite_y: bool
    valid_weights: bool  # finite and non-negative
    n_positive: int
    weight_sum: float
    classes: np.ndarray  # the distinct targets (classifiers only)

    @staticmethod
    def merge(first, second):
        return _RawSummary(
            first.n_samples + second.n_samples,
            first.finite_X and second.finite_X,
            first.finite_y and second.finite_y,
            first.valid_weights and second.valid_weights,
            first.n_positive + second.n_positive,
            first.weight_sum + second.weight_sum,
            None
            if first.classes is None
            else np.union1d(first.classes, second.classes),
        )

    def check(self, classifier):
        """The errors of the in-memory validation, for the whole data."""
        if not self.finite_X:
            raise ValueError("Input X contains NaN or infinity.")
        if not self.finite_y:
            raise ValueError("Input y contains NaN or infinity.")
        if not self.valid_weights:
            raise ValueError(
                "sample_weight must be finite (no NaN or inf) and non-negative."
            )
        if not self.weight_sum > 0:
            raise ValueError("sample_weight must have a positive sum.")


def _summarize_shard(shard, classifier):
    X, y, weight = shard
    numeric_y = y.dtype.kind in "biuf"
    return _RawSummary(
        n_samples=len(y),
        finite_X=bool(np.isfinite(X).all()),
        finite_y=bool(np.isfinite(y).all()) if numeric_y else True,
        valid_weights=bool(np.isfinite(weight).all() and (weight >= 0).all()),
        n_positive=int(np.count_nonzero(weight)),
        weight_sum=float(weight.sum()),
        classes=np.unique(y) if classifier else None,
    )


def _raw_shard(X, y, weight):
    X = np.ascontiguousarray(X, dtype=np.float64)
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, np.float64)
    return X, np.asarray(y), weight


def _encode_shard(shard, encode_target, target, weight_sum):
    X, y, weight = shard
    # The full-batch weights of the in-memory fit: w_i / sum(w).
    return X, encode_target(y, target), weight * (1.0 / weight_sum)


class ClusterData:
    """Training rows persisted on a Dask cluster, as shards.

    The training loop takes it in place of X (with ``y`` and
    ``sample_weight`` None): :meth:`batch_objective` gives the full-batch
    objective over all the shards.

    Parameters
    ----------
    client : distributed.Client
        The client of the cluster that holds the shards.
    shards : list of distributed.Future
        One future per row block, each a shard ``(X, y, weight)``.
    shape : tuple of int
        ``(n_samples, n_features)`` of all the rows.
    """

    def __init__(self, client, shards, shape):
        self.client = client
        self.shards = shards
        self.shape = shape
        self._groups = _groups_by_thread(client, shards)
        self._scattered = {}  # id(objective) -> (objective, future)

    @classmethod
    def persist(cls, client, X, y, sample_weight):
        """Compute raw shards from row-aligned dask.arrays, on the workers."""
        import dask

        columns = [X.to_delayed().ravel(), y.to_delayed().ravel()]
        if sample_weight is not None:
            columns.append(sample_weight.to_delayed().ravel())
        blocks = [
            dask.delayed(_raw_shard)(*parts, *([None] * (3 - len(parts))))
            for parts in zip(*columns, strict=True)
        ]
        shards = client.compute(blocks)
        _wait_or_raise(client, shards)
        return cls(client, shards, X.shape)

    def map_shards(self, function, *args):
        """A new ClusterData of ``function(shard, *args)`` for each shard.

        Each new shard is computed where its source lies; arrays the function
        passes through unchanged (X) are shared, not copied.
        """
        name = function.__name__.strip("_")
        shards = [self._submit(name, function, shard, *args) for shard in self.shards]
        _wait_or_raise(self.client, shards)
        return ClusterData(self.client, shards, self.shape)

    def map_reduce(self, function, *args, combine=None):
        """Combine ``function(shard, *args)`` over all the shards.

        One task per group of shards (one group per worker thread, holding
        that worker's shards), then a tree of combining tasks while more
        than :data:`REDUCTION_FAN_IN` partial results remain; the client
        combines the last few. ``combine`` defaults to addition, element by
        element for tuples.
        """
        combine = combine or _add
        name = function.__name__.strip("_")
        partials = [
            self._submit(name, _map_group, function, combine, args, *group)
            for group in self._groups
        ]
        fan_in = max(REDUCTION_FAN_IN, 2)
        while len(partials) > REDUCTION_FAN_IN:
            partials = [
                self._submit(
                    "combine", _combine_all, combine, *partials[start : start + fan_in]
                )
                for start in range(0, len(partials), fan_in)
            ]
        return functools.reduce(combine, self.client.gather(partials))

    def _submit(self, name, function, *args):
        # Keys named after what the task computes, for the task stream.
        key = f"skprob-{name}-{uuid.uuid4().hex}"
        return self.client.submit(function, *args, key=key)

    def weighted_moments(self, weight_sum):
        """Weighted mean and variance of y, in two passes as in memory."""
        mean = self.map_reduce(_weighted_sum, None) / weight_sum
        variance = self.map_reduce(_weighted_sum, mean) / weight_sum
        return mean, variance

    def scatter(self, value):
        """A future of ``value`` on every worker."""
        return self.client.scatter(value, broadcast=True, hash=False)

    def shard_objective(self, objective):
        """``objective`` without its penalty, on every worker (once)."""
        cached = self._scattered.get(id(objective))
        if cached is None or cached[0] is not objective:
            # The penalty is added once, on the client, not once per shard.
            unpenalized = Objective(objective.distribution, objective.model, 0.0)
            cached = self._scattered[id(objective)] = (
                objective,
                self.scatter(unpenalized),
            )
        return cached[1]

    def batch_objective(self, objective, lipschitz):
        """The full-batch objective, evaluated on the cluster."""
        return ClusterBatchObjective(self, objective, lipschitz)

    # -- what fit needs besides the objective --------------------------------

    def raw_at_marginal_mle(self, distribution):
        """The distribution's marginal MLE of the encoded target.

        The marginal MLE of these families depends on y only through
        sufficient statistics: the weighted class counts of a categorical
        (or Bernoulli) target, the weighted mean and variance of a normal
        one. They are computed on the cluster; a few weighted rows with the
        same statistics then give the distribution's own estimate.
        """
        if isinstance(distribution, (Bernoulli, Categorical)):
            n_classes = max(distribution.n_raw, 2)
            counts = self.map_reduce(_weighted_class_counts, n_classes)
            return distribution.raw_at_marginal_mle(np.arange(n_classes), counts)
        if isinstance(distribution, (Normal, HeteroscedasticNormal)):
            mean, variance = self.weighted_moments(self.map_reduce(_weight_sum))
            spread = np.sqrt(variance)
            return distribution.raw_at_marginal_mle(
                np.array([mean - spread, mean + spread]), np.ones(2)
            )
        return self._fisher_scoring(distribution)

    def _fisher_scoring(self, distribution):
        """Any distribution's marginal MLE: Fisher scoring over the shards.

        It starts from the marginal MLE of a sample of the rows (the first
        ones, up to :data:`MLE_SAMPLE_ROWS`), and each step sums the NLL,
        gradient and expected Hessian at one constant raw vector over the
        shards, as :meth:`Distribution.raw_at_marginal_mle` does in memory.
        """
        y, weight = self.map_reduce(_target_sample, combine=_first_rows)
        start = distribution.raw_at_marginal_mle(y, weight)
        weight_sum = self.map_reduce(_weight_sum)

        def totals(point, hessian):
            sums = self.map_reduce(_constant_totals_task, distribution, point, hessian)
            return tuple(value / weight_sum for value in sums)

        return _fisher_scoring(totals, start)

    def lipschitz(self, objective):
        """The training loop's Lipschitz estimate, as for NumPy rows.

        For a linear model: the top eigenvalue of the weighted Gram matrix,
        summed over the shards (or, with many features, power iteration
        with one pass over the shards per step). None for models without a
        curvature estimate.
        """
        model = objective.model
        if getattr(model, "curvature", None) is None:
            return None
        floor = 0.0
        if isinstance(model, WithConstants):  # constants have curvature 1
            model, floor = model.model_, 1.0
        if not isinstance(model, LinearModel):
            raise NotImplementedError(
                f"No distributed curvature estimate for {type(model).__name__}."
            )
        # Full batches only (prepare_fit checks): the mini-batch term of
        # LinearModel.curvature is zero.
        if self.shape[1] <= _linalg._MAX_GRAM_FEATURES:
            gram = self.map_reduce(_weighted_gram)
            curvature = _linalg._symmetric_top_eigenvalue(gram)
        else:
            apply_gram = functools.partial(self.map_reduce, _weighted_gram_product)
            curvature = _linalg._top_eigenvalue(apply_gram, self.shape[1] + 1)
        curvature = max(curvature, floor)
        return objective.lipschitz_from_curvature(curvature)

    def narrowest_spread(self, distribution, model, params):
        """:meth:`~skprob.distributions.Distribution.narrowest_spread` over the rows."""
        return self.map_reduce(
            _narrowest_spread,
            distribution,
            model,
            params,
            combine=distribution.narrower,
        )

    def noise_scale(self, distribution, model, params):
        """The normal's MLE of sigma, the root mean squared residual."""
        squares, weight_sum = self.map_reduce(
            _squared_scale_terms, distribution, model, params
        )
        return np.sqrt(squares / weight_sum)


class ClusterBatchObjective:
    """The full-batch objective on a Dask cluster, as a solver sees it.

    The counterpart of :class:`~skprob._training.BatchObjective`, with its
    interface: calling it returns ``(loss, gradient)``, :meth:`loss` the loss
    alone, ``lipschitz`` the estimate at the parameters of the last call.
    Each shard evaluates a ``BatchObjective`` of its rows (without the
    penalty); the loss, the gradient and the weighted curvature ratio are
    sums over rows, added up on the cluster; the penalty is added once, here.
    """

    def __init__(self, data, objective, lipschitz):
        self._data = data
        self._objective = objective
        self._shard_objective = data.shard_objective(objective)
        self._start_lipschitz = lipschitz
        self._lipschitz = lipschitz
        # As BatchObjective's: the training loop's gradient test reads them.
        self.evaluations = []

    def _send(self, params):
        if params.nbytes <= MAX_EMBEDDED_PARAMS_BYTES:
            return params
        return self._data.scatter(params)

    def __call__(self, params):
        with_curvature = self._start_lipschitz is not None
        loss, grad, *curvature = self._data.map_reduce(
            _loss_gradient, self._shard_objective, self._send(params), with_curvature
        )
        if self._objective.alpha:
            penalty, grad_penalty = self._objective.penalty(params)
            loss += penalty
            grad += grad_penalty
        if with_curvature:
            weighted_ratio, weight_sum = curvature
            self._lipschitz = self._start_lipschitz * (weighted_ratio / weight_sum)
        self.evaluations.append((params, loss, grad))
        return loss, grad

    @property
    def lipschitz(self):
        return self._lipschitz

    def loss(self, params):
        loss = self._data.map_reduce(_loss, self._shard_objective, self._send(params))
        return loss + self._objective.penalty(params)[0]

    @property
    def hessian(self):
        if not self._objective.has_hessian:
            return None
        return self._hessian

    def _hessian(self, params):
        hessian = self._data.map_reduce(
            _hessian, self._shard_objective, self._send(params)
        )
        if self._objective.alpha:
            penalty = self._objective.alpha * self._objective._penalty_mask
            hessian[np.diag_indices_from(hessian)] += penalty
        return hessian


def _wait_or_raise(client, futures):
    """Wait for ``futures``; raise the first failure's own exception.

    The wait ends at the first failure, not when every other future has
    finished (or failed in turn, worker restart after worker restart): the
    user sees the error as soon as Dask knows it, the exception raised by
    the task (``FileNotFoundError``, ...) or Dask's ``KilledWorker`` for a
    task that killed its workers. The other futures are then cancelled, so
    that the cluster stops computing a fit that cannot proceed.
    """
    from distributed import as_completed

    for future in as_completed(futures):
        if future.status != "finished":
            try:
                future.result()  # raises the task's exception, with its traceback
            finally:
                client.cancel(futures)
            raise RuntimeError(f"Dask task {future.key} was {future.status}.")


def _groups_by_thread(client, shards):
    """The shards in groups, one group per worker thread that holds some.

    The groups only place the work near the data: a shard that no worker
    holds at this moment (its worker was lost, and the scheduler recomputes
    it elsewhere) joins the smallest group, and its task then waits for it.
    """
    who_has = client.who_has(shards)
    nthreads = client.nthreads()
    by_worker = defaultdict(list)
    homeless = []
    for shard in shards:
        holders = who_has.get(shard.key) or ()
        # A lost worker's address can outlive it in who_has for a moment.
        holders = [address for address in holders if address in nthreads]
        if holders:
            by_worker[holders[0]].append(shard)
        else:
            homeless.append(shard)
    groups = []
    for address, local in by_worker.items():
        n_groups = min(nthreads.get(address, 1), len(local))
        groups.extend(local[start::n_groups] for start in range(n_groups))
    if not groups and homeless:
        groups.append([])
    for shard in homeless:
        min(groups, key=len).append(shard)
    return groups


# -- tasks: what runs on the workers -----------------------------------------


def _map_group(function, combine, args, *shards):
    # A diverging fit overflows; the training loop reports it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return functools.reduce(combine, (function(shard, *args) for shard in shards))


def _combine_all(combine, *partials):
    return functools.reduce(combine, partials)


def _add(first, second):
    if isinstance(first, tuple):
        return tuple(_add(a, b) for a, b in zip(first, second, strict=True))
    return first + second


def _loss_gradient(shard, objective, params, with_curvature):
    X, y, weight = shard
    batch = BatchObjective(objective, X, y, weight, 1.0 if with_curvature else None)
    loss, grad = batch(params)
    if not with_curvature:
        return loss, grad
    # The curvature ratio is a weighted mean over rows: shards combine by
    # their weights (a shard of zero weight has none to give).
    weight_sum = weight.sum()
    ratio_term = batch.lipschitz * weight_sum if weight_sum > 0 else 0.0
    return loss, grad, ratio_term, weight_sum


def _loss(shard, objective, params):
    return objective.loss(params, *shard)


def _hessian(shard, objective, params):
    return objective.hessian(params, *shard)


def _weighted_sum(shard, center):
    """``sum(w * y)``, or ``sum(w * (y - center) ** 2)`` given a center."""
    _, y, weight = shard
    values = y if center is None else (y - center) ** 2
    return float(weight @ values)


def _weight_sum(shard):
    return float(shard[2].sum())


MLE_SAMPLE_ROWS = 10_000
"""Rows of the sample whose marginal MLE starts a distributed one."""


def _values_outside(shard, distribution):
    """Distinct targets of a shard outside the distribution's domain, a few."""
    y = shard[1]
    return np.unique(y[~distribution._in_support(y)])[:100]


def _some_values(first, second):
    return np.unique(np.concatenate([first, second]))[:100]


def _target_sample(shard):
    _, y, weight = shard
    return y[:MLE_SAMPLE_ROWS], weight[:MLE_SAMPLE_ROWS]


def _first_rows(first, second):
    """The first MLE_SAMPLE_ROWS rows of weighted targets, of two samples."""
    y = np.concatenate([first[0], second[0]])[:MLE_SAMPLE_ROWS]
    weight = np.concatenate([first[1], second[1]])[:MLE_SAMPLE_ROWS]
    return y, weight


def _constant_totals_task(shard, distribution, point, hessian):
    _, y, weight = shard
    return _constant_totals(distribution, y, weight, point, hessian)


def _weighted_class_counts(shard, n_classes):
    _, codes, weight = shard
    return np.bincount(codes.astype(np.intp), weights=weight, minlength=n_classes)


def _weighted_gram(shard):
    X, _, weight = shard
    return _linalg._weighted_gram(X, weight)


def _weighted_gram_product(shard, vector):
    X, _, weight = shard
    return _linalg._weighted_gram_product(X, weight, vector)


def _narrowest_spread(shard, distribution, model, params):
    X, _, weight = shard
    return distribution.narrowest_spread(model.predict_raw(params, X), weight)


def _squared_scale_terms(shard, distribution, model, params):
    X, y, weight = shard
    weight_sum = weight.sum()
    if not weight_sum > 0:
        return 0.0, 0.0
    raw = model.predict_raw(params, X)
    return distribution.scale_mle(y, raw, weight) ** 2 * weight_sum, weight_sum
