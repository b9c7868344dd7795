"""The scikit-learn API contract: every estimator with every solver.

Nothing is excused, the sample-weight equivalence checks included, but
where a scikit-learn release's check is itself wrong (see
:func:`_faults_of_the_checks`).
"""

import pytest
import sklearn
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.fixes import parse_version

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


SKLEARN_BEFORE_1_7 = parse_version(sklearn.__version__) < parse_version("1.7")


def _faults_of_the_checks(estimator):
    """The checks that a scikit-learn release gets wrong for ``estimator``.

    scikit-learn 1.6 makes a two-class target for a binary-only classifier
    from its first element (``y == y.flat[0]``), separately for the
    shuffled weighted rows and for the repeated ones, so that the two fits
    it compares get different labels; 1.7 takes ``y.min()`` instead.
    """
    if SKLEARN_BEFORE_1_7 and isinstance(estimator, BernoulliClassifier):
        reason = "scikit-learn 1.6 labels the weighted and repeated rows apart"
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


# The checks fit tiny, sometimes degenerate data sets to test the API, not
# the optimum: a fit that says it missed the optimum there is no failure.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_faults_of_the_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_no_predict_proba_on_regressors(estimator):
    if "Regressor" in type(estimator).__name__:
        assert not hasattr(estimator, "predict_proba")
