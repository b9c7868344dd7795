"""The distributions of a positive target: what they share."""

import math

import numpy as np

from ._base import Distribution


def _is_positive(y):
    y = np.asarray(y)
    with np.errstate(invalid="ignore"):
        return np.isfinite(y) & (y > 0)


def _weighted_log_moments(y, sample_weight):
    """Weighted mean and standard deviation of log y."""
    log_y = np.log(y)
    mean = np.average(log_y, weights=sample_weight)
    return mean, np.sqrt(np.average((log_y - mean) ** 2, weights=sample_weight))


class Positive(Distribution):
    """A distribution of a positive target, with the expected information."""

    support = "the positive reals"
    curvature_from_hessian = True
    hessian_kind = "expected"

    def _in_support(self, y):
        return _is_positive(y)


class ShapeCapped(Positive):
    """A positive distribution with raw outputs ``(location, log shape)``.

    The shape is capped at ``self.max_shape``: the likelihood has no maximum
    where the location fits rows exactly, the shape growing without end.
    """

    n_raw = 2
    spread_output = 1

    def _raw_bounds(self):
        return [-np.inf, -np.inf], [np.inf, math.log(self.max_shape)]
