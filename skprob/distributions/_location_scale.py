"""The location-scale distributions of a real target: what they share."""

import math

import numpy as np

from ._base import Distribution


def _weighted_median(y, sample_weight):
    order = np.argsort(y, kind="stable")
    cumulative = np.cumsum(sample_weight[order])
    return float(y[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _is_finite(y):
    return np.isfinite(np.asarray(y, dtype=np.float64))


class LocationScale(Distribution):
    """A distribution of a real target with raw outputs ``(mu, log scale)``.

    The scale is floored at ``self.min_scale`` (in the units of y): the
    likelihood has no maximum where the location fits rows exactly. The
    subclasses give the NLL, its derivatives and ``frozen``.
    """

    parameter_names = ("loc", "scale")
    support = "the real line"
    curvature_from_hessian = True
    hessian_kind = "expected"
    n_raw = 2
    spread_output = 1

    def _raw_bounds(self):
        return [-np.inf, math.log(self.min_scale)], [np.inf, np.inf]

    def _in_support(self, y):
        return _is_finite(y)

    def parameters(self, raw):
        raw = self._clamp(raw)[0]
        return {"loc": raw[:, 0].copy(), "scale": np.exp(raw[:, 1])}

    def mean(self, raw):
        raw = self._clamp(raw)[0]
        return raw[:, 0].copy()

    def target_affine(self, loc, scale):
        """Raw outputs (location, log scale) for y from those for (y - loc) / scale."""
        return np.array([loc, np.log(scale)]), np.array([scale, 1.0])
