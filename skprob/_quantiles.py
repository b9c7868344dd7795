"""Intervals and quantiles read off any predicted distribution.

Every regressor predicts a frozen ``scipy.stats`` distribution per row
(``predict_dist``); its central intervals and quantiles follow from its
quantile function alone, whatever the distribution, continuous or discrete.
:class:`QuantileMixin` gives the regressors ``predict_interval`` and
``predict_quantiles``; the functions :func:`predict_interval` and
:func:`predict_quantiles` do the same through a ``Pipeline``, a search or a
``TransformedTargetRegressor`` (as :func:`skprob.predict_dist` does).

Conventions
-----------
The names and the order of the values are those of skpro's and sktime's
``predict_interval(X, coverage)`` and ``predict_quantiles(X, alpha)``; the
containers are scikit-learn's, a NumPy array unless pandas output is asked
for. The axes of the array, in order:

- rows: ``n_samples``;
- outputs: ``n_outputs``, only for a 2-D target (as ``predict`` has it);
- coverages (intervals) or alphas (quantiles): only when a list is given, not
  a single number;
- intervals only: 2, the lower then the upper bound.

So an interval of one coverage of a 1-D target is of shape (n_samples, 2),
of a list of coverages (n_samples, n_coverages, 2), and of a 2-D target
(n_samples, n_outputs, n_coverages, 2); quantiles of a list of alphas are of
shape (n_samples, n_alphas), or (n_samples, n_outputs, n_alphas). Reshaped to
(n_samples, -1), the columns are in skpro's order: (output, coverage,
lower/upper) and (output, alpha).

Under ``sklearn.set_config(transform_output="pandas")`` (or in a
``sklearn.config_context`` of it), both return a ``pandas.DataFrame`` of those
columns, with skpro's column ``MultiIndex`` (output, coverage, "lower" or
"upper") and (output, alpha), the output being the target's column number (0
for a 1-D target), and the row index of X when X is a DataFrame. That is the
switch a scikit-learn user sets to have pandas out of estimators; a
DataFrame X alone does not change the container, as it does not for
``predict``.
"""

import numpy as np
from sklearn import get_config

from . import _dask

__all__ = ["QuantileMixin", "predict_interval", "predict_quantiles"]


def _check_probabilities(values, name, closed):
    """Probabilities as a 1-D float array, and whether one number was given.

    ``closed`` says whether 0 and 1 are allowed: they are for a quantile's
    level, not for an interval's coverage.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    bounds = "[0, 1]" if closed else "(0, 1)"
    if array is None or array.ndim > 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a number in {bounds} or a list of such numbers; "
            f"got {values!r}."
        )
    inside = (0 <= array) & (array <= 1) if closed else (0 < array) & (array < 1)
    if not np.all(inside):
        raise ValueError(
            f"{name} must be in {bounds}; got {values!r}."
            + ("" if closed else " A coverage of 1 would be the whole support.")
        )
    return np.atleast_1d(array), array.ndim == 0


def _batch_shape(dist):
    """The shape of the rows (and outputs) of a frozen scipy distribution."""
    if not (hasattr(dist, "ppf") and hasattr(dist, "isf")):
        raise TypeError(
            f"A {type(dist).__name__} has no quantile function (ppf, isf): "
            "its outcomes have no order, so it has no intervals or quantiles."
        )
    try:
        parameters = [*dist.args, *dist.kwds.values()]
    except AttributeError:
        raise TypeError(
            "Intervals and quantiles need a frozen scipy.stats distribution "
            f"(with ppf and isf); got {type(dist).__name__}."
        ) from None
    return np.broadcast_shapes(*(np.shape(value) for value in parameters))


def _quantile_values(dist, alpha):
    """Quantiles of ``dist`` at each of ``alpha``, on a last axis.

    The upper half is the inverse survival function at ``1 - alpha``
    (computed exactly for alpha >= 1/2): scipy's ``isf`` keeps its relative
    precision in the upper tail, where ``ppf`` near 1 rounds. For a discrete
    distribution the two are the same quantile, the least k with
    ``F(k) >= alpha``. Levels 0 and 1 give the ends of the support (scipy's
    discrete ``ppf(0)`` is one below it).
    """
    batch = _batch_shape(dist)
    levels = alpha.reshape((-1,) + (1,) * len(batch))
    values = np.empty(np.broadcast_shapes(levels.shape, batch))
    upper = alpha > 0.5
    values[~upper] = dist.ppf(levels[~upper])
    values[upper] = dist.isf(1.0 - levels[upper])
    lowest, highest = dist.support()
    values[alpha == 0] = lowest
    values[alpha == 1] = highest
    return np.moveaxis(values, 0, -1)


def _interval_values(dist, coverage):
    """Equal-tailed intervals ``[ppf((1 - c) / 2), isf((1 - c) / 2)]``.

    ``(1 - c) / 2`` is the exact tail mass of the float c; ``ppf((1 + c) /
    2)``, which scipy's ``interval`` computes for the upper end, rounds the
    level first and loses the upper tail's precision as c nears 1.
    """
    tail = (1.0 - coverage) / 2.0
    batch = _batch_shape(dist)
    tail = tail.reshape((-1,) + (1,) * len(batch))
    bounds = np.stack([dist.ppf(tail), dist.isf(tail)], axis=-1)
    return np.moveaxis(bounds, 0, -2)


def _as_output(values, X, labels, scalar):
    """The values as an array, or as skpro's DataFrame under pandas output.

    ``values`` has the rows first, the outputs next for a 2-D target, then
    one axis per level of ``labels``, the last levels of the columns: the
    coverages (or alphas) and, for intervals, "lower" and "upper". With one
    number for the coverage (alpha), the array drops its axis.
    """
    if get_config().get("transform_output") != "pandas":
        return values.squeeze(axis=-len(labels)) if scalar else values
    import pandas as pd

    n_outputs = values.shape[1] if values.ndim == 2 + len(labels) else 1
    columns = pd.MultiIndex.from_product([range(n_outputs), *labels])
    index = X.index if isinstance(X, pd.DataFrame) else None
    return pd.DataFrame(values.reshape(len(values), -1), index=index, columns=columns)


def _interval_output(dist, X, coverage):
    bounds = _interval_values(dist, coverage[0])
    return _as_output(
        bounds, X, [coverage[0].tolist(), ["lower", "upper"]], coverage[1]
    )


def _quantile_output(dist, X, alpha):
    values = _quantile_values(dist, alpha[0])
    return _as_output(values, X, [alpha[0].tolist()], alpha[1])


_INTERVAL_DOC = """Equal-tailed interval: the ``(1 - c) / 2`` and
        ``(1 + c) / 2`` quantiles of the predicted distribution, for each
        coverage c. For a continuous distribution it holds y with
        probability c; for a discrete one (counts), whose quantile at level
        a is the least k with ``F(k) >= a``, both bounds are support points
        and the closed interval holds y with probability at least c
        (``F(upper) - F(lower - 1) >= c``)."""


class QuantileMixin:
    """``predict_interval`` and ``predict_quantiles`` from ``predict_dist``.

    For any estimator whose ``predict_dist(X)`` returns a frozen
    ``scipy.stats`` distribution with a quantile function (``ppf``, ``isf``).
    The shapes follow the Conventions of this module: rows, then outputs
    (for a 2-D target), then coverages or alphas (for a list), then lower
    and upper (for intervals).
    """

    def predict_interval(self, X, coverage=0.9):
        """Predict central intervals of y that hold it with a given probability.

        The names and the order of the values are skpro's and sktime's; the
        container is a NumPy array, or a ``pandas.DataFrame`` under
        ``sklearn.set_config(transform_output="pandas")`` (see Returns).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. A dask.array gives a lazy dask.array, computed block
            by block.
        coverage : float or list of float, default=0.9
            Probability that the interval holds y, in (0, 1); a list gives
            one interval per coverage.

        Returns
        -------
        interval : ndarray or pandas.DataFrame
            %(interval)s

            The array is of shape (n_samples, 2) for one coverage of a 1-D
            target: the lower bounds, then the upper ones. A list of
            coverages adds an axis before the last, (n_samples,
            n_coverages, 2); a 2-D target has its outputs on the second
            axis, (n_samples, n_outputs, 2) or (n_samples, n_outputs,
            n_coverages, 2). Under pandas output, a DataFrame of
            ``n_samples`` rows (indexed as X when X is a DataFrame) whose
            columns are skpro's ``MultiIndex`` (output, coverage, "lower" or
            "upper"), the output being the target's column number (0 for a
            1-D target).

        See Also
        --------
        predict_quantiles : quantiles at any levels.
        skprob.predict_interval : the same through a Pipeline or a search.

        Examples
        --------
        >>> import numpy as np
        >>> from skprob import GaussianRegressor
        >>> X = np.arange(10.0).reshape(-1, 1)
        >>> y = 2 * X[:, 0] + np.tile([-1.0, 1.0], 5)
        >>> reg = GaussianRegressor().fit(X, y)
        >>> np.round(reg.predict_interval(X[:2], coverage=0.9), 2)
        array([[-1.89,  1.35],
               [ 0.17,  3.41]])
        >>> reg.predict_interval(X[:2], coverage=[0.5, 0.9]).shape
        (2, 2, 2)
        """
        coverage = _check_probabilities(coverage, "coverage", closed=False)
        if _dask.is_dask_collection(X):
            return self._lazy_interval(X, coverage)
        return _interval_output(self.predict_dist(X), X, coverage)

    def predict_quantiles(self, X, alpha=(0.05, 0.5, 0.95)):
        """Predict quantiles of y at given levels.

        The names and the order of the values are skpro's and sktime's; the
        container is a NumPy array, or a ``pandas.DataFrame`` under
        ``sklearn.set_config(transform_output="pandas")`` (see Returns).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. A dask.array gives a lazy dask.array, computed block
            by block.
        alpha : float or list of float, default=(0.05, 0.5, 0.95)
            Levels of the quantiles, in [0, 1]. The quantile at level a is
            the least value q with ``F(q) >= a`` (for a continuous
            distribution, ``F(q) = a``); 0 and 1 give the ends of the
            support.

        Returns
        -------
        quantiles : ndarray or pandas.DataFrame
            Of shape (n_samples,) for one level and a 1-D target, or
            (n_samples, n_alphas) for a list of levels; a 2-D target has its
            outputs on the second axis, (n_samples, n_outputs) or
            (n_samples, n_outputs, n_alphas). Under pandas output, a
            DataFrame of ``n_samples`` rows (indexed as X when X is a
            DataFrame) whose columns are skpro's ``MultiIndex`` (output,
            alpha).

        See Also
        --------
        predict_interval : central intervals.
        skprob.predict_quantiles : the same through a Pipeline or a search.

        Examples
        --------
        >>> import numpy as np
        >>> from skprob import GaussianRegressor
        >>> X = np.arange(10.0).reshape(-1, 1)
        >>> y = 2 * X[:, 0] + np.tile([-1.0, 1.0], 5)
        >>> reg = GaussianRegressor().fit(X, y)
        >>> np.round(reg.predict_quantiles(X[:2]), 2)
        array([[-1.89, -0.27,  1.35],
               [ 0.17,  1.79,  3.41]])
        """
        alpha = _check_probabilities(alpha, "alpha", closed=True)
        if _dask.is_dask_collection(X):
            return self._lazy_quantiles(X, alpha)
        return _quantile_output(self.predict_dist(X), X, alpha)

    # The lazy paths compute arrays, whatever the output configuration, on
    # the workers as in the probe row that tells their shape.
    @_dask.lazy_on_dask
    def _lazy_interval(self, X, coverage):
        return _interval_values(self.predict_dist(X), coverage[0]).squeeze(
            axis=-2 if coverage[1] else ()
        )

    @_dask.lazy_on_dask
    def _lazy_quantiles(self, X, alpha):
        values = _quantile_values(self.predict_dist(X), alpha[0])
        return values.squeeze(axis=-1 if alpha[1] else ())


QuantileMixin.predict_interval.__doc__ = QuantileMixin.predict_interval.__doc__.replace(
    "%(interval)s", _INTERVAL_DOC
)


def predict_interval(estimator, X, coverage=0.9):
    """Predicted central intervals from a fitted regressor, or one wrapped.

    :func:`skprob.predict_dist` through a ``Pipeline``, a search or a
    ``TransformedTargetRegressor``, then the intervals of
    :meth:`GaussianRegressor.predict_interval
    <skprob.GaussianRegressor.predict_interval>`, of the same shapes.

    Parameters
    ----------
    estimator : fitted estimator
        Anything :func:`skprob.predict_dist` takes.
    X : array-like of shape (n_samples, n_features)
        Input data.
    coverage : float or list of float, default=0.9
        Probability that the interval holds y, in (0, 1).

    Returns
    -------
    interval : ndarray or pandas.DataFrame
        %(interval)s
        Shapes and columns as for ``predict_interval``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> import skprob
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 1))
    >>> y = np.exp(1 + X[:, 0] + 0.5 * rng.normal(size=2000))
    >>> model = TransformedTargetRegressor(
    ...     skprob.GaussianRegressor(), func=np.log, inverse_func=np.exp
    ... ).fit(X, y)
    >>> lower, upper = skprob.predict_interval(model, [[0.0]], coverage=0.9)[0]
    >>> round(float(lower), 2), round(float(upper), 2)  # true: (1.19, 6.19)
    (1.2, 6.16)
    """
    from ._base import predict_dist

    coverage = _check_probabilities(coverage, "coverage", closed=False)
    return _interval_output(predict_dist(estimator, X), X, coverage)


predict_interval.__doc__ = predict_interval.__doc__.replace(
    "%(interval)s", _INTERVAL_DOC
)


def predict_quantiles(estimator, X, alpha=(0.05, 0.5, 0.95)):
    """Predicted quantiles from a fitted regressor, or one wrapped.

    :func:`skprob.predict_dist` through a ``Pipeline``, a search or a
    ``TransformedTargetRegressor``, then the quantiles of
    :meth:`GaussianRegressor.predict_quantiles
    <skprob.GaussianRegressor.predict_quantiles>`, of the same shapes.

    Parameters
    ----------
    estimator : fitted estimator
        Anything :func:`skprob.predict_dist` takes.
    X : array-like of shape (n_samples, n_features)
        Input data.
    alpha : float or list of float, default=(0.05, 0.5, 0.95)
        Levels of the quantiles, in [0, 1].

    Returns
    -------
    quantiles : ndarray or pandas.DataFrame
        Shapes and columns as for ``predict_quantiles``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skprob
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), skprob.GaussianRegressor())
    >>> skprob.predict_quantiles(model.fit(X, y), X[:3], alpha=[0.1, 0.9]).shape
    (3, 2)
    """
    from ._base import predict_dist

    alpha = _check_probabilities(alpha, "alpha", closed=True)
    return _quantile_output(predict_dist(estimator, X), X, alpha)
