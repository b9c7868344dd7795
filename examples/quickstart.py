"""Quickstart: the skprob estimators with every solver.

Fits each estimator with each named solver on data sets that ship with
scikit-learn, and prints, on a held-out quarter of the data, the mean negative
log-likelihood (NLL, nats per sample), the accuracy or R^2, and the
uncertainty the model reports (mean predicted standard deviation for the
regressors, mean probability of the predicted class for the classifiers),
and whether the fit reached the optimum of its objective: "yes", or the
ConvergenceWarning's reason ("max_iter" or "stalled"). Every fit uses the
estimator's default penalty: none for the regressors (``alpha=0``, the
maximum-likelihood estimate), a small L2 penalty for the classifiers
(``alpha=1e-3``); "auto", the default solver, is L-BFGS for these linear
models. The last estimator fits the diabetes target, a positive disease
score, with a Gamma distribution whose mean follows the linear model through
a log link and whose shape is a fitted constant. First-order solvers may
need more epochs than ``max_iter`` on ill-conditioned data, and say so.

Run it with ``python examples/quickstart.py``.
"""

import time
import warnings
from functools import partial

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skprob
from skprob import (
    BernoulliClassifier,
    DistributionRegressor,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.solvers import SOLVERS

TASKS = [
    ("GaussianRegressor", GaussianRegressor, load_diabetes),
    ("HeteroscedasticRegressor", HeteroscedasticRegressor, load_diabetes),
    ("BernoulliClassifier", BernoulliClassifier, load_breast_cancer),
    ("SoftmaxClassifier", SoftmaxClassifier, load_wine),
    ("DistributionRegressor", partial(DistributionRegressor, "gamma"), load_diabetes),
]


def evaluate(model, X_test, y_test):
    """Held-out NLL, score and reported uncertainty of a fitted pipeline."""
    dist = skprob.predict_dist(model, X_test)
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X_test)
        classes = model.classes_
        nll = -np.mean(
            np.log(proba[np.arange(len(y_test)), np.searchsorted(classes, y_test)])
        )
        uncertainty = f"p(max) {proba.max(axis=1).mean():.3f}"
    else:
        nll = -np.mean(dist.logpdf(y_test))
        uncertainty = f"std {np.mean(dist.std()):8.2f}"
    return nll, model.score(X_test, y_test), uncertainty


def main():
    header = (
        f"{'estimator':<25} {'solver':<9} {'epochs':>6} {'optimum':<9}"
        f"{'NLL':>8} {'score':>7}  {'uncertainty':<15} {'time':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, estimator, load in TASKS:
        X, y = load(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        for solver in ["auto", *SOLVERS]:
            model = make_pipeline(
                StandardScaler(), estimator(solver=solver, random_state=0)
            )
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")  # convergence is in the table
                model.fit(X_train, y_train)
            elapsed = time.perf_counter() - start
            optimum = "yes"
            for warning in caught:
                optimum = "stalled" if "stalled" in str(warning.message) else "max_iter"
            nll, score, uncertainty = evaluate(model, X_test, y_test)
            kind = "acc" if hasattr(model, "predict_proba") else "R2"
            print(
                f"{name:<25} {solver:<9} {model[-1].n_iter_:>6} {optimum:<9}"
                f"{nll:>8.4f} {score:>7.4f}  {uncertainty:<15} {elapsed:>5.2f}s"
                f"  ({kind})"
            )
        print()


if __name__ == "__main__":
    main()
