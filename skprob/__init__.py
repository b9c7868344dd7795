"""skprob: probabilistic scikit-learn estimators fitted by maximum likelihood.

Each estimator follows one recipe: choose a distribution Pr(y | theta)
(:mod:`skprob.distributions`), let a model f[x, phi] predict its parameters
(:mod:`skprob.models`), and minimize the negative log-likelihood with a
gradient-based solver (:mod:`skprob.solvers`).

The public submodules (``skprob.metrics``, ``skprob.inference``, ...) are
attributes of the package: those that ``import skprob`` does not need are
imported on first access, which keeps the import fast.
"""

import importlib

from ._base import predict_dist
from ._quantiles import predict_interval, predict_quantiles
from .classification import BernoulliClassifier, SoftmaxClassifier
from .distribution_regression import DistributionRegressor
from .regression import GaussianRegressor, HeteroscedasticRegressor

__all__ = [
    "BernoulliClassifier",
    "DistributionRegressor",
    "GaussianRegressor",
    "HeteroscedasticRegressor",
    "SoftmaxClassifier",
    "predict_dist",
    "predict_interval",
    "predict_quantiles",
]

__version__ = "0.1.0"

# Imported on first access (PEP 562); distributions, models, solvers and
# exceptions are loaded with the estimators.
_LAZY_SUBMODULES = ("calibration", "inference", "metrics")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY_SUBMODULES})
