"""Helpers shared by the location-scale distributions of a real target."""

import numpy as np


def _weighted_median(y, sample_weight):
    order = np.argsort(y, kind="stable")
    cumulative = np.cumsum(sample_weight[order])
    return float(y[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _is_finite(y):
    return np.isfinite(np.asarray(y, dtype=np.float64))


def _location_scale_affine(loc, scale):
    """Raw outputs (location, log scale) for y from those for (y - loc) / scale."""
    return np.array([loc, np.log(scale)]), np.array([scale, 1.0])
