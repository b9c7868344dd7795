"""The convergence test: when a fit is at the optimum of its objective.

Every regime asks the one test that :func:`convergence_test` builds, on an
evaluation ``(params, loss, gradient)`` of the full-batch objective; this is
the one place to give a model another test.
"""

import numpy as np
import scipy.optimize
import scipy.sparse

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


# Rows within this many scales of a kink count as on it (KINK_WIDTH_EPS_FACTOR
# times machine epsilon where that is wider, for float32): a row's NLL there
# is within this fraction of a scale's worth of its value on the kink. Far
# below the spacing of the residuals of real data, and above the residuals
# at which L-BFGS settles onto a vertex of a least-absolute-deviations fit
# (about 1e-8 on scikit-learn's diabetes).
KINK_WIDTH = 1e-6
KINK_WIDTH_EPS_FACTOR = 1e2

# Most rows on kinks that the subgradient test takes; with more, the test
# is the gradient test alone.
MAX_KINK_ROWS = 1000


class SubgradientTest(GradientTest):
    """The gradient test, or, at kinks of the NLL, the subgradient test.

    Where the NLL is not differentiable (the Laplace's, at rows its location
    fits exactly; :meth:`~skprob.distributions.Distribution.kinks`), the
    optimum is a point where some subgradient vanishes rather than the
    gradient. A fit passes when the gradient test does, or when the
    subgradient closest to zero, the gradient plus the weighted Jacobians of
    the rows on kinks times any point of their intervals (a bounded least
    squares problem), has no component above tol.

    Parameters
    ----------
    tol, dtype
        As :class:`GradientTest`'s.
    objective : Objective
        Its distribution tells the kinks, its model carries them to the
        parameters.
    X, y, weight
        The rows of the fit, ``weight`` normalized to sum to 1.
    """

    def __init__(self, tol, dtype, objective, X, y, weight):
        super().__init__(tol, dtype)
        self.objective = objective
        self.X, self.y, self.weight = X, y, weight
        self.width = max(KINK_WIDTH, KINK_WIDTH_EPS_FACTOR * np.finfo(self.dtype).eps)

    def __call__(self, evaluation):
        if super().__call__(evaluation):
            return True
        if evaluation is None:
            return False
        return not np.abs(self.least_subgradient(evaluation)).max() > self.tol

    def least_subgradient(self, evaluation):
        """The subgradient at ``evaluation`` nearest zero, or its gradient."""
        params, _, grad = evaluation
        model, distribution = self.objective.model, self.objective.distribution
        raw = model.forward(params, self.X)[0]
        kinks = distribution.kinks(self.y, raw, self.width)
        if kinks is None or not 0 < len(kinks[0]) <= MAX_KINK_ROWS:
            return grad
        rows, lower, upper = kinks
        kinked = lower < upper  # (row, raw output) pairs with an interval
        columns = []
        for row, output in zip(*np.nonzero(kinked), strict=True):
            cache = model.forward(params, self.X[rows[row] : rows[row] + 1])[1]
            unit = np.zeros((1, lower.shape[1]), dtype=params.dtype)
            unit[0, output] = self.weight[rows[row]]
            columns.append(model.backward(params, cache, unit))
        jacobian = np.column_stack(columns).astype(np.float64)
        lower, upper = lower[kinked], upper[kinked]
        reach = np.abs(jacobian) @ np.maximum(-lower, upper)
        if np.any(np.abs(grad) - reach > self.tol):  # no shift can pass: skip
            return grad
        shift = scipy.optimize.lsq_linear(
            jacobian, -np.asarray(grad, dtype=np.float64), (lower, upper), "bvls"
        ).x
        return grad + jacobian @ shift

    def shortfall(self, evaluation):
        least = np.abs(self.least_subgradient(evaluation)).max()
        if least == np.abs(evaluation[2]).max():
            return super().shortfall(evaluation)
        return (
            f": the largest component of the subgradient nearest zero (the "
            f"NLL has kinks at the rows fitted exactly) is {least:.2g}, above "
            f"tol={self.tol:g}."
        )


def convergence_test(objective, tol, dtype, data=None):
    """The convergence test of a fit of ``objective`` computed in ``dtype``.

    Returns a callable that takes a full-batch evaluation
    ``(params, loss, gradient)`` (or None, which fails) and tells whether
    the fit has converged there, with a ``shortfall(evaluation)`` that says
    why not and ``unidentified(params)``, the parameters the data do not
    determine. Every regime and the driver's last check ask it.

    The gradient test, for the built-in models, whose target and features
    are standardized (the subgradient test where the NLL has kinks, as the
    Laplace's); for a model of your own that gives its Jacobian, fitted
    on rows at hand (``data``, ``(X, y, sample_weight)``), the information
    test of :mod:`skprob._convergence`, which the units of y and of the
    parameters do not change.
    """
    from .._convergence import InformationCriterion
    from .._data import tested_on_information

    if data is None or data[1] is None:
        return GradientTest(tol, dtype)
    X, y, sample_weight = data
    weight = sample_weight / sample_weight.sum()
    if tested_on_information(objective.model):
        return InformationCriterion(objective, X, y, weight, gradient_tol(tol, dtype))
    if _has_kinks(objective.distribution) and _in_memory(X):
        return SubgradientTest(tol, dtype, objective, X, y, weight)
    return GradientTest(tol, dtype)


def _has_kinks(distribution):
    from ..distributions import Distribution

    return type(distribution).kinks is not Distribution.kinks


def _in_memory(X):
    return isinstance(X, np.ndarray) or scipy.sparse.issparse(X)
