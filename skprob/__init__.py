"""skprob: probabilistic scikit-learn estimators fitted by maximum likelihood.

Each estimator follows one recipe: choose a distribution Pr(y | theta)
(:mod:`skprob.distributions`), let a model f[x, phi] predict its parameters
(:mod:`skprob.models`), and minimize the negative log-likelihood with a
gradient-based solver (:mod:`skprob.solvers`).
"""

from ._base import predict_dist
from ._quantiles import predict_interval, predict_quantiles
from .classification import BernoulliClassifier, SoftmaxClassifier
from .regression import GaussianRegressor, HeteroscedasticRegressor

__all__ = [
    "BernoulliClassifier",
    "GaussianRegressor",
    "HeteroscedasticRegressor",
    "SoftmaxClassifier",
    "predict_dist",
    "predict_interval",
    "predict_quantiles",
]

__version__ = "0.1.0"
