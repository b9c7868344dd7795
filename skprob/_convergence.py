"""The convergence test of a model of your own, in units that do not matter.

The built-in models fit a standardized target and standardized
coefficients, where "the largest component of the gradient is at most tol"
means the same thing on any data. A model of your own fits y unstandardized,
in parameters of any scale (1e-5 next to 1e3 in a single formula): there the
gradient's size says nothing, and a fit may stop with a gradient of 1e-14
far from the optimum, or fail the test with a gradient of 8 at it. The test
here measures instead what is left to gain, in the units of the likelihood.

Conventions
-----------
``information`` is the generalized Gauss-Newton matrix of the objective,
``G = sum_i w_i J_i.T E[H_i] J_i`` (plus the penalty's ``alpha`` on the
penalized parameters), with weights summing to 1: the Fisher information per
row. ``dispersion`` is the factor by which the distribution's NLL exceeds the
true NLL (the normal's least-squares loss is ``sigma^2`` times it; 1 for the
others), so that the decrement is in nats whatever the units of y.
"""

from typing import NamedTuple

import numpy as np

from .models.parametric import full_jacobian

# Beyond this condition number of the information matrix's correlation form,
# a parameter combination is determined to fewer than 4 of double
# precision's 16 digits: the parameters are not identified. Well above the
# correlation forms of NIST's certified nonlinear problems (the largest,
# Bennett5's, is 3e9), and above the 1e10 where Newton's step stops trusting
# a Cholesky factor (:mod:`skprob.solvers`).
SINGULAR_CONDITION = 1e12
# The rounding of the raw outputs, in units of their machine epsilon (as the
# loss rounding of the solvers' line searches in float32), and that of the
# loss with the margin a stopping rule needs to see a decrease through it:
# the decrement a fit can certify is at least their effect. The loss's factor
# was found empirically: variance-reduced SGD on the gallery's Gabor model
# stalls up to 1.1 times the rounding with a factor of 64 (at 2e-14 nats, a
# fold of its search from a local minimum's valley); 128 leaves a margin.
_RAW_ROUNDING_EPS_FACTOR = 16.0
_LOSS_ROUNDING_EPS_FACTOR = 128.0
# A parameter is named as involved in a singular direction when its share of
# that direction is at least this fraction of the largest share.
_INVOLVED_SHARE = 0.3


class InformationTest(NamedTuple):
    """The outcome of :func:`information_test`.

    ``decrement`` is the Newton decrement in nats; ``converged`` whether it
    is within the tolerance; ``unidentified`` the indices of the parameters
    involved in a direction the information matrix does not determine
    (empty when it does); ``condition`` the condition number of its
    correlation form.
    """

    decrement: float
    converged: bool
    unidentified: tuple
    condition: float


def correlation_form(information):
    """``D G D`` with ``D = diag(G)^(-1/2)``: unit diagonal, whatever the units.

    Returns the scaled matrix and D's diagonal; a parameter with no
    information (a zero diagonal) keeps a scale of 0 and a zero row.
    """
    diagonal = np.diag(information).astype(np.float64)
    scale = np.zeros_like(diagonal)
    informed = diagonal > 0.0
    scale[informed] = 1.0 / np.sqrt(diagonal[informed])
    return information * scale[:, None] * scale, scale


def newton_decrement(grad, information, dispersion=1.0):
    r"""The decrease of the objective that a Newton step predicts, in nats.

    .. math:: \delta = \frac{g^\top G^{+} g}{2 \phi},

    with :math:`G^+` the pseudo-inverse of the information, solved on its
    correlation form (directions whose eigenvalue is below
    ``1 / SINGULAR_CONDITION`` of the largest are left out: they are
    :func:`unidentified_parameters`' business) and :math:`\phi` the
    dispersion. It is invariant to the units of each parameter (a change of
    units scales :math:`g` and :math:`G` alike) and, through
    :math:`\phi`, to those of y; at a point :math:`\Delta` from the optimum
    of a quadratic objective it is :math:`\Delta^\top G \Delta / (2\phi)`, so
    that the parameters are within :math:`\sqrt{2 n \delta}` standard errors
    of the optimum for n rows (Boyd and Vandenberghe, 2004, section 9.5.1;
    Bates and Watts' relative offset, 1981, is its square root, scaled).

    Parameters
    ----------
    grad : ndarray of shape (n_params,)
        Gradient of the objective (a weighted mean NLL).
    information : ndarray of shape (n_params, n_params)
        Its generalized Gauss-Newton matrix.
    dispersion : float, default=1.0
        The NLL's factor over the true NLL.

    Returns
    -------
    decrement : float
        Non-negative; inf for a non-finite gradient or information.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob._convergence import newton_decrement
    >>> information = np.array([[4.0, 0.0], [0.0, 1e-8]])
    >>> float(newton_decrement(np.array([2.0, 1e-4]), information))
    1.0
    """
    if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(information))):
        return np.inf
    scaled, scale = correlation_form(information)
    eigenvalues, eigenvectors = np.linalg.eigh(scaled)
    if not eigenvalues[-1] > 0.0:
        return 0.0
    kept = eigenvalues > eigenvalues[-1] / SINGULAR_CONDITION
    coordinates = eigenvectors[:, kept].T @ (grad * scale)
    return float(coordinates @ (coordinates / eigenvalues[kept])) / (2.0 * dispersion)


def unidentified_parameters(information):
    """The parameters involved in a direction the information does not determine.

    A parameter with no information (a zero diagonal: the fit does not
    depend on it), and those with the largest shares of each eigenvector of
    the correlation form whose eigenvalue is below ``1 / SINGULAR_CONDITION``
    of the largest (two parameters that cancel, a scale and an amplitude
    that trade off).

    Returns
    -------
    unidentified : tuple of int
        Indices, in increasing order; empty when the information is regular.
    condition : float
        The correlation form's condition number (inf when singular).

    Examples
    --------
    >>> import numpy as np
    >>> from skprob._convergence import unidentified_parameters
    >>> jacobian = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    >>> unidentified_parameters(jacobian.T @ jacobian)[0]
    (0, 1)
    """
    scaled, scale = correlation_form(information)
    involved = set(np.flatnonzero(scale == 0.0))
    eigenvalues, eigenvectors = np.linalg.eigh(scaled)
    largest = eigenvalues[-1]
    smallest = eigenvalues[0] if not involved else 0.0
    condition = largest / smallest if smallest > 0.0 else np.inf
    if largest > 0.0:
        for index in np.flatnonzero(eigenvalues <= largest / SINGULAR_CONDITION):
            share = np.abs(eigenvectors[:, index]) * (scale > 0.0)
            if share.max() > 0.0:
                involved.update(np.flatnonzero(share >= _INVOLVED_SHARE * share.max()))
    return tuple(sorted(int(j) for j in involved)), float(condition)


def decrement_floor(raw, expected_hessian, weight, dispersion):
    """The least decrement that rounding lets a fit certify, in nats.

    The raw outputs carry a rounding error of about
    ``16 eps |raw|``, which moves the gradient by ``J.T W H delta``; its
    decrement is at most ``sum_i w_i delta_i.T H_i delta_i / (2 phi)``
    whatever the model. Negligible unless the residuals are themselves at
    rounding level (a model that fits its data exactly, as NIST's Lanczos1
    does to 1e-13).
    """
    eps = np.finfo(raw.dtype).eps
    rounding = _RAW_ROUNDING_EPS_FACTOR * eps * np.abs(raw.astype(np.float64))
    per_row = np.einsum("ik,ikl,il->i", rounding, expected_hessian, rounding)
    return float(np.dot(weight, per_row)) / (2.0 * dispersion)


def loss_rounding(raw, grad_raw, nll, weight):
    """The rounding error of the objective: the least decrease a fit can see.

    The raw outputs' rounding, ``16 eps |raw|``, carried to the loss by its
    gradient in them (where ``y - raw`` cancels, it dominates), plus the
    loss's own, ``16 eps |loss|``. A solver that compares losses (a line
    search, a stopping rule) stalls once its steps change the loss by less;
    a decrement below it cannot be certified. ``grad_raw`` and ``nll``
    divided by the dispersion give it in nats.
    """
    eps = _LOSS_ROUNDING_EPS_FACTOR * np.finfo(raw.dtype).eps
    through_raw = np.abs(grad_raw) * np.abs(raw.astype(np.float64))
    return eps * float(np.dot(weight, through_raw.sum(axis=1))) + eps * abs(
        float(np.dot(weight, nll))
    )


def information_test(grad, information, dispersion, tol, floor=0.0):
    """Whether a fit of a model of your own is at an identified optimum.

    Converged when the :func:`newton_decrement` is at most ``max(tol**2 /
    2, floor)`` nats: where the gradient, measured in the metric of the
    information, :math:`\\sqrt{g^\top G^{+} g / \\phi}`, is at most ``tol``.
    That is the built-in models' gradient test on the problem standardized
    in y and in every parameter (their target and features are
    standardized, and their information near the identity), so that ``tol``
    means the same for a model of your own; the parameters are then within
    ``sqrt(n) * tol`` standard errors of the optimum, for n rows.
    ``unidentified`` from :func:`unidentified_parameters`.
    A local optimum of a non-convex model passes: the test certifies a
    point where nothing is left to gain nearby, not the best of them.

    Parameters
    ----------
    grad : ndarray of shape (n_params,)
    information : ndarray of shape (n_params, n_params)
    dispersion : float
    tol : float
        Largest gradient, in the metric of the information, of a converged
        fit.
    floor : float, default=0.0
        The :func:`decrement_floor` at the point.

    Returns
    -------
    result : InformationTest
    """
    decrement = newton_decrement(grad, information, dispersion)
    unidentified, condition = unidentified_parameters(information)
    converged = bool(decrement <= max(0.5 * tol**2, floor))
    return InformationTest(decrement, converged, unidentified, condition)


class InformationCriterion:
    """The test of a model of your own: :func:`information_test` on the full batch.

    Parameters
    ----------
    objective : skprob._training.Objective
        Whose model gives a ``jacobian``.
    X, y, weight : arrays
        The training rows, with weights summing to 1.
    tol : float
        The gradient test's tolerance (see :func:`information_test`).
    """

    def __init__(self, objective, X, y, weight, tol):
        self.objective = objective
        self.data = (X, y, weight)
        self.tol = tol
        self.last = None

    def evaluate(self, params, grad=None):
        """The Newton decrement at ``params``, and whether it passes.

        The gradient and the information are those of the true NLL (the
        distribution's divided by its dispersion, one per output for the
        normal), recomputed from the rows; ``grad`` is unused. The test of
        :func:`information_test` without its search for unidentified
        parameters, which costs a second eigendecomposition at every epoch
        and is asked for once, where the fit ends (:meth:`unidentified`).

        Returns
        -------
        decrement : float
        converged : bool
        """
        grad, information, floor = self._true_nll_parts(params)
        decrement = newton_decrement(grad, information)
        self.last = decrement, bool(decrement <= max(0.5 * self.tol**2, floor))
        return self.last

    def _true_nll_parts(self, params, fix_shift=False):
        """Gradient, information and decrement floor of the objective, in nats.

        With ``fix_shift``, the information of a shift-invariant distribution
        (the softmax) also measures the common shift of the raw outputs,
        which the likelihood leaves free by construction: what remains
        singular is then a fault of the model, not of the distribution.
        """
        X, y, weight = self.data
        objective = self.objective
        distribution = objective.distribution
        raw = objective.model.predict_raw(params, X)
        nll, grad_raw = distribution.nll_gradient(y, raw)
        jacobian = full_jacobian(objective.model, params, X, raw.shape[1])
        dispersion = np.broadcast_to(
            np.asarray(distribution.dispersion(y, raw, weight), np.float64),
            (raw.shape[1],),
        )
        # An exact fit (zero residuals) has no noise to measure against:
        # the floor of rounding decides.
        dispersion = np.maximum(dispersion, np.finfo(np.float64).tiny)
        root = 1.0 / np.sqrt(dispersion)
        hessian_raw = distribution.expected_hessian(y, raw) * root[:, None] * root
        grad_raw = grad_raw / dispersion
        floor = max(
            decrement_floor(raw, hessian_raw, weight, 1.0),
            loss_rounding(raw, grad_raw, nll / float(dispersion.min()), weight),
        )
        if getattr(distribution, "shift_invariant", False):
            # Raw outputs are identified up to a common shift: work with
            # their contrasts to the first, whose information is regular.
            shift = jacobian.mean(axis=1)
            jacobian = jacobian[:, 1:, :] - jacobian[:, :1, :]
            hessian_raw, grad_raw = hessian_raw[:, 1:, 1:], grad_raw[:, 1:]
        grad = np.einsum("i,ik,ikp->p", weight, grad_raw, jacobian)
        weighted = np.einsum(
            "ikl,ilp->ikp", hessian_raw * weight[:, None, None], jacobian
        )
        information = np.tensordot(jacobian, weighted, axes=([0, 1], [0, 1]))
        if fix_shift and getattr(distribution, "shift_invariant", False):
            information += shift.T @ (shift * weight[:, None])
        if self.objective.alpha:  # the penalty, in units of the mean dispersion
            mask = objective.model.penalty_mask
            scale = objective.alpha / float(np.mean(dispersion))
            grad = grad + scale * mask * params
            information[np.diag_indices_from(information)] += scale * mask
        return grad, information, floor

    def __call__(self, evaluation):
        """Whether ``evaluation``, a ``(params, loss, gradient)`` or None, passes."""
        if evaluation is None or not np.all(np.isfinite(evaluation[2])):
            return False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self.evaluate(evaluation[0])[1]

    def shortfall(self, evaluation):
        """Why ``evaluation`` fails the test, to end a ConvergenceWarning."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            decrement = self.evaluate(evaluation[0])[0]
        return (
            f": a Newton step predicts a further decrease of the mean NLL of "
            f"{decrement:.2g} nats, above tol**2 / 2 = "
            f"{0.5 * self.tol**2:.2g} (the fit is not at an optimum: a "
            "parameter may have run off towards an asymptote where the "
            "gradient vanishes)."
        )

    def unidentified(self, params):
        """Indices of the parameters the information does not determine."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            information = self._true_nll_parts(params, fix_shift=True)[1]
        if not np.all(np.isfinite(information)):
            return ()
        return unidentified_parameters(information)[0]
