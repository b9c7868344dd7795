"""First contact: each estimator at its defaults on the classic data sets.

Every skprob estimator at its default settings, in a pipeline with
StandardScaler, against scikit-learn's default in the same pipeline
(``LogisticRegression()`` for the classifiers, ``LinearRegression()`` for the
regressors), with 5-fold cross-validation on the same folds. For each: the
warnings the fits raised, the held-out log loss (or R^2 for the regressors)
and its ratio to scikit-learn's, and the ratio of the mean fit times. BLAS
is pinned to one thread.

Usage, from the repository root::

    python benchmarks/first_contact.py
"""

import os
import sys
import warnings
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skprob import (  # noqa: E402
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)

RUNS = [
    ("iris", load_iris, SoftmaxClassifier, LogisticRegression, "neg_log_loss"),
    ("wine", load_wine, SoftmaxClassifier, LogisticRegression, "neg_log_loss"),
    (
        "breast cancer",
        load_breast_cancer,
        BernoulliClassifier,
        LogisticRegression,
        "neg_log_loss",
    ),
    ("digits", load_digits, SoftmaxClassifier, LogisticRegression, "neg_log_loss"),
    ("diabetes", load_diabetes, GaussianRegressor, LinearRegression, "r2"),
    ("diabetes", load_diabetes, HeteroscedasticRegressor, LinearRegression, "r2"),
]


def _cross_validate(estimator, X, y, scoring, cv):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cross_validate(
            make_pipeline(StandardScaler(), estimator), X, y, scoring=scoring, cv=cv
        )
    return -result["test_score"].mean(), result["fit_time"].mean(), caught


def main():
    header = (
        f"{'data':<14} {'estimator':<25} {'warnings':>8} {'score':>8} "
        f"{'reference':>9} {'ratio':>6} {'time ratio':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, load, ours, reference, scoring in RUNS:
        X, y = load(return_X_y=True)
        if scoring == "r2":
            cv = KFold(5, shuffle=True, random_state=0)
        else:
            cv = StratifiedKFold(5, shuffle=True, random_state=0)
        with threadpool_limits(1):
            # A first pass warms the caches; the second is timed.
            _cross_validate(ours(), X, y, scoring, cv)
            score, time, caught = _cross_validate(ours(), X, y, scoring, cv)
            ref_score, ref_time, _ = _cross_validate(reference(), X, y, scoring, cv)
        if scoring == "r2":
            score, ref_score = -score, -ref_score
        print(
            f"{name:<14} {ours.__name__:<25} {len(caught):>8} {score:>8.4f} "
            f"{ref_score:>9.4f} {score / ref_score:>6.3f} {time / ref_time:>10.2f}"
        )
    print(
        "\nscore: held-out log loss (classifiers, lower is better) or R^2 "
        "(regressors), 5-fold mean."
    )


if __name__ == "__main__":
    main()
