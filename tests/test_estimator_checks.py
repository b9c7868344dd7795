"""The scikit-learn API contract: every estimator with every solver.

Nothing is excused: no ``expected_failed_checks``, the sample-weight
equivalence checks included.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob.solvers import SOLVERS

ESTIMATORS = [
    estimator(solver=solver)
    for estimator in (
        GaussianRegressor,
        HeteroscedasticRegressor,
        BernoulliClassifier,
        SoftmaxClassifier,
    )
    for solver in SOLVERS
]


# The checks fit tiny, sometimes degenerate data sets to test the API, not
# the optimum: a fit that says it missed the optimum there is no failure.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_no_predict_proba_on_regressors(estimator):
    if "Regressor" in type(estimator).__name__:
        assert not hasattr(estimator, "predict_proba")
