"""Predicted distributions through scikit-learn's TransformedTargetRegressor.

A ``TransformedTargetRegressor`` fits its regressor on ``t = func(y)`` and
predicts ``inverse_func`` of the regressor's prediction. A skprob regressor
inside it predicts ``t ~ Normal(mu, sigma^2)``, so the predicted distribution
of ``y`` is that of ``inverse_func(t)``. It has a closed form for the
transformers whose inverse is known exactly:

- an affine inverse ``y = shift + factor * t`` (``StandardScaler``,
  ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``, no transformer at
  all): ``Normal(shift + factor * mu, (|factor| sigma)^2)``;
- ``func=np.log, inverse_func=np.exp``: ``y = exp(t)`` is lognormal,
  ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``;
- ``func=np.log1p, inverse_func=np.expm1``: ``y = exp(t) - 1``, the same
  lognormal shifted by -1 (``loc=-1``).

Only these exact classes and functions are recognized: a subclass, a
function of the user's, or keyword arguments could compute anything, and an
inverse that is only affine on the points one tries is not affine.
"""

import numpy as np
from scipy import stats
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)

_AFFINE_TRANSFORMERS = "StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler"


def inverse_transformed(dist, transformer):
    """The distribution of ``transformer.inverse_transform(t)`` for ``t ~ dist``.

    Parameters
    ----------
    dist : frozen ``scipy.stats.norm``
        The predicted distribution of the transformed target, one per row.
    transformer : fitted transformer
        A ``TransformedTargetRegressor``'s ``transformer_``.

    Returns
    -------
    dist : frozen ``scipy.stats.norm`` or ``scipy.stats.lognorm``

    Raises
    ------
    ValueError
        For a transformer whose inverse is not known exactly, or a predicted
        distribution that is not normal.
    """
    mean, std = _normal_parameters(dist)
    n_columns = 1 if mean.ndim == 1 else mean.shape[1]
    if getattr(transformer, "n_features_in_", n_columns) != n_columns:
        raise ValueError(
            f"skprob.predict_dist maps a transformed target of {n_columns} "
            "column(s), the regressor's outputs; the transformer was fitted on "
            f"{transformer.n_features_in_}."
        )
    affine_factor = _affine_factor(transformer)
    if affine_factor is not None:
        # The mean through inverse_transform itself, so that it is what
        # TransformedTargetRegressor.predict returns, bit for bit. A scaler's
        # factor is one per column (per output of a 2-D target).
        if mean.ndim == 1:
            loc = transformer.inverse_transform(mean.reshape(-1, 1))[:, 0]
            affine_factor = np.ravel(affine_factor)[0]
        else:
            loc = transformer.inverse_transform(mean)
        return stats.norm(loc=loc, scale=np.abs(affine_factor) * std)
    shift = _exponential_shift(transformer)
    if shift is not None:
        return stats.lognorm(s=std, loc=shift, scale=np.exp(mean))
    raise ValueError(
        "skprob.predict_dist cannot map the predicted distribution through "
        f"{transformer!r} exactly. It maps the affine {_AFFINE_TRANSFORMERS} "
        "(a normal), func=np.log with inverse_func=np.exp and np.log1p with "
        "np.expm1 (a lognormal), and no transformer. For the distribution of "
        "the transformed target, call skprob.predict_dist on the fitted "
        "regressor_."
    )


def _normal_parameters(dist):
    if getattr(getattr(dist, "dist", None), "name", None) != "norm" or dist.args:
        raise ValueError(
            "skprob.predict_dist maps a normal predictive distribution through "
            "a target transformer; the regressor of this "
            f"TransformedTargetRegressor predicts {dist!r}."
        )
    mean = np.asarray(dist.kwds.get("loc", 0.0), dtype=np.float64)
    std = np.asarray(dist.kwds.get("scale", 1.0), dtype=np.float64)
    return np.broadcast_arrays(mean, std)


def _affine_factor(transformer):
    """``factor`` of an inverse ``y = shift + factor * t``, or None.

    One per column for a scaler, fitted on one column per output.
    """
    kind = type(transformer)
    if kind is StandardScaler:
        return transformer.scale_ if transformer.with_std else 1.0
    if kind is MinMaxScaler:
        # inverse_transform computes (t - min_) / scale_.
        return 1.0 / transformer.scale_
    if kind is MaxAbsScaler:
        return transformer.scale_
    if kind is RobustScaler:
        return transformer.scale_ if transformer.with_scaling else 1.0
    if _is_function_transformer(transformer, None, None):  # the identity
        return 1.0
    return None


def _exponential_shift(transformer):
    """``shift`` of an inverse ``y = exp(t) + shift``, or None."""
    if _is_function_transformer(transformer, np.log, np.exp):
        return 0.0
    if _is_function_transformer(transformer, np.log1p, np.expm1):
        return -1.0
    return None


def _is_function_transformer(transformer, func, inverse_func):
    return (
        type(transformer) is FunctionTransformer
        and transformer.func is func
        and transformer.inverse_func is inverse_func
        and not transformer.kw_args
        and not transformer.inv_kw_args
    )
