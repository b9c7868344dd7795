"""Helpers shared by the distributions of a positive target."""

import numpy as np


def _is_positive(y):
    y = np.asarray(y)
    with np.errstate(invalid="ignore"):
        return np.isfinite(y) & (y > 0)


def _weighted_log_moments(y, sample_weight):
    """Weighted mean and standard deviation of log y."""
    log_y = np.log(y)
    mean = np.average(log_y, weights=sample_weight)
    return mean, np.sqrt(np.average((log_y - mean) ** 2, weights=sample_weight))
