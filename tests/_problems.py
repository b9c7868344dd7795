"""Data and scores shared by the tests that compare chunked and whole fits."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import log_loss

from skprob import BernoulliClassifier, GaussianRegressor, HeteroscedasticRegressor

COEF = np.array([1.0, -0.5, 0.25, 0.0, 0.8])


def make_data(estimator_class, n_samples, seed=0):
    """A linear problem with the noise of each estimator's distribution."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, len(COEF)))
    z = X @ COEF
    if estimator_class is GaussianRegressor:
        return X, 3 * z + 10 + rng.normal(size=n_samples)
    if estimator_class is HeteroscedasticRegressor:
        return X, 3 * z + 10 + np.exp(0.5 * X[:, 1]) * rng.normal(size=n_samples)
    if estimator_class is BernoulliClassifier:
        return X, (z + rng.logistic(size=n_samples) > 0).astype(int)
    weights = np.array(
        [[1.0, -1, 0], [0, 1, -1], [0.5, 0, -0.5], [0, 0, 0], [0.3, 0.3, -0.6]]
    )
    return X, np.argmax(X @ weights + rng.gumbel(size=(n_samples, 3)), axis=1)


def held_out_nll(estimator, X, y):
    """Mean negative log-likelihood of held-out data under the fitted model."""
    if is_classifier(estimator):
        return log_loss(y, estimator.predict_proba(X), labels=estimator.classes_)
    return -np.mean(estimator.predict_dist(X).logpdf(y))
