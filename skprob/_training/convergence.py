"""The convergence test: when a fit is at the optimum of its objective.

Every regime asks the one test that :func:`convergence_test` builds, on an
evaluation ``(params, loss, gradient)`` of the full-batch objective; this is
the one place to give a model another test.
"""

import numpy as np

# The least tol the gradient test of a float32 fit takes, in units of
# float32's machine epsilon: see gradient_tol.
FLOAT32_TOL_EPS_FACTOR = 1e2


def gradient_tol(tol, dtype):
    """The gradient test's tolerance for a fit computed in ``dtype``.

    ``tol`` in float64. A float32 fit cannot certify a gradient below its
    rounding: its loss, though summed in float64, is a sum of terms rounded
    in float32, so that a descent stalls once its steps change the loss by
    less than that rounding, and its parameters move in steps of float32's
    resolution. There ``tol`` is floored at ``FLOAT32_TOL_EPS_FACTOR * eps``
    (eps = 1.2e-7, float32's machine epsilon): 1.2e-5, above the gradients
    at which float32 fits of the default solver stall on standardized data,
    and small enough that the objective is within about 1e-6 of its float64
    optimum. The plateau rule's least improvement, a change of a loss summed
    in float64, keeps ``10 * tol``.
    """
    if np.dtype(dtype) == np.float64:
        return tol
    return max(tol, FLOAT32_TOL_EPS_FACTOR * float(np.finfo(dtype).eps))


class GradientTest:
    """The gradient test: converged where no gradient component exceeds tol.

    Parameters
    ----------
    tol : float
        The estimator's ``tol``.
    dtype : dtype
        The precision of the fit, which floors ``tol`` (:func:`gradient_tol`).
    """

    def __init__(self, tol, dtype):
        self.requested_tol = tol
        self.tol = gradient_tol(tol, dtype)
        self.dtype = np.dtype(dtype)

    def __call__(self, evaluation):
        """Whether ``evaluation``, a ``(params, loss, gradient)`` or None, passes."""
        return evaluation is not None and not np.abs(evaluation[2]).max() > self.tol

    def unidentified(self, params):
        """None to name: the built-in models are identified, or penalized."""
        return ()

    def shortfall(self, evaluation):
        """Why ``evaluation`` fails the test, to end a ConvergenceWarning."""
        floor = (
            f" (the floor of tol in {self.dtype})"
            if self.tol > self.requested_tol
            else ""
        )
        return (
            f": the largest component of the gradient is "
            f"{np.abs(evaluation[2]).max():.2g}, above tol={self.tol:g}{floor}."
        )


def convergence_test(objective, tol, dtype, data=None):
    """The convergence test of a fit of ``objective`` computed in ``dtype``.

    Returns a callable that takes a full-batch evaluation
    ``(params, loss, gradient)`` (or None, which fails) and tells whether
    the fit has converged there, with a ``shortfall(evaluation)`` that says
    why not and ``unidentified(params)``, the parameters the data do not
    determine. Every regime and the driver's last check ask it.

    The gradient test, for the built-in models, whose target and features
    are standardized; for a model of your own that gives its Jacobian, fitted
    on rows at hand (``data``, ``(X, y, sample_weight)``), the information
    test of :mod:`skprob._convergence`, which the units of y and of the
    parameters do not change.
    """
    from .._convergence import InformationCriterion
    from .._data import tested_on_information

    if data is None or data[1] is None or not tested_on_information(objective.model):
        return GradientTest(tol, dtype)
    X, y, sample_weight = data
    weight = sample_weight / sample_weight.sum()
    return InformationCriterion(objective, X, y, weight, gradient_tol(tol, dtype))
