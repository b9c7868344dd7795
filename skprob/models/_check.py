"""Checks of a model against the protocol and finite differences."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

_EPS = np.finfo(np.float64).eps
# Relative steps of the central differences, largest first: around
# eps^(1/3), which balances truncation (h^2) against rounding (eps / h) for
# a function whose derivatives are on the scale of the function in units of
# each parameter's size, and down to 1/1000 of it for one whose higher
# derivatives are larger.
_STEPS = np.cbrt(_EPS) * np.array([10.0, 1.0, 0.1, 0.01, 1e-3])
# Rounding of one value of sum(grad_raw * raw), in units of
# eps * sum|grad_raw * raw|: the model's own arithmetic (a difference of
# terms larger than the result loses more) and the sum over the rows.
_ROUNDING = 100.0
# Multiplies the estimated error bound of a difference before comparing: the
# bound estimates the error, it does not guarantee it.
_SAFETY = 10.0
# The fit-time check's allowance for the relative error of a derivative: a
# Jacobian with a wrong entry, sign or factor is wrong by far more.
_FIT_RTOL = 1e-5
# Up to this many parameters, a fit-time check that fails looks for the
# parameter to blame, one difference each.
_MAX_LOCATED = 100


def check_model(model, X, n_outputs=1, *, random_state=0, rtol=1e-5):
    """Check a model against the protocol, and its gradient numerically.

    Builds a clone of ``model`` for ``X`` and ``n_outputs`` raw outputs,
    and checks, at its start and at a point nearby: the shapes and the
    finiteness of ``init_params``, ``penalty_mask``, ``forward``,
    ``predict_raw`` and ``backward``; that ``predict_raw`` equals
    ``forward``'s raw outputs; and ``backward`` against central finite
    differences of ``sum(grad_raw * raw)`` for a random ``grad_raw``, along
    every coordinate (along 20 random directions for more than 20
    parameters). ``hessian``, when the model has it, is checked against
    finite differences of ``backward``. A model whose gradient comes from
    finite differences itself (a :class:`ParametricModel` without a
    ``jacobian``) has its protocol checked, but not its gradient.

    The steps are relative to each parameter's size ``|p_j|`` (1 for a
    parameter at 0): a step h moves ``p_j`` by ``h * |p_j|``, so parameters
    of 1e-5 and of 1e3 side by side are both stepped by a small fraction of
    themselves. Central differences at steps h and h/2, from
    ``10 * eps^(1/3)`` down, give a Richardson-extrapolated derivative and
    an estimate of its error, ``|D(h) - D(h/2)| / 3`` for the truncation
    plus ``100 * eps * sum|grad_raw * raw| / h`` for the rounding; the step
    with the smallest estimate is kept. A derivative fails when it differs
    from the difference by more than 10 times that estimate plus ``rtol``
    times its size: the tolerance follows from the step's error, so that a
    correct model passes at any scale of its parameters and a wrong entry,
    sign or factor in its Jacobian does not.

    Parameters
    ----------
    model : Model
        The model to check, unbuilt (it is cloned).
    X : array-like of shape (n_samples, n_features)
        Input data; a few rows suffice.
    n_outputs : int, default=1
        Raw outputs per row to build the model for: 1 for a
        GaussianRegressor or a BernoulliClassifier, 2 for a
        HeteroscedasticRegressor, K for a SoftmaxClassifier of K classes.
    random_state : int, RandomState instance or None, default=0
        Seeds the start, the nearby point and ``grad_raw``.
    rtol : float, default=1e-5
        Relative error of a derivative accepted beyond the estimated error
        of the finite difference.

    Raises
    ------
    AssertionError
        Naming the model and what failed, with the largest discrepancy.
    """
    X = np.asarray(X, dtype=np.float64)
    rng = check_random_state(random_state)
    name = repr(model)
    built = clone(model).build(X.shape[1], n_outputs)
    params = _checked_params(built, name, rng)
    # Nearby in each parameter's own units, as the steps are.
    nearby = params + 0.1 * _relative_scales(params) * rng.standard_normal(params.shape)
    for point in (params, nearby):
        raw, cache = check_model_outputs(
            built, point, X, n_outputs, error=AssertionError
        )
        predicted = np.asarray(built.predict_raw(point, X))
        if not np.allclose(predicted.reshape(raw.shape), raw, rtol=1e-12, atol=0.0):
            raise AssertionError(f"{name}: predict_raw differs from forward's raw.")
        grad_raw = rng.standard_normal(raw.shape)
        grad = built.backward(point, cache, grad_raw)
        _check_vector(grad, built.n_params, f"{name}.backward", AssertionError)
        if not getattr(built, "_gradient_by_differences", False):
            _check_gradient(built, name, point, X, grad_raw, grad, rng, rtol)
        if hasattr(built, "hessian"):
            _check_hessian(built, name, point, X, rng, rtol)


def check_model_outputs(model, params, X, n_outputs, error=ValueError, outputs_doc=""):
    """Forward pass with the protocol's shapes checked; ``(raw, cache)``.

    The estimators call it at the start of a fit with a model of the user's
    own, so that a wrong output width or a non-finite output is reported,
    naming the model, before any solver sees it.
    """
    raw, cache = model.forward(params, X)
    expected = (X.shape[0], n_outputs)
    if np.shape(raw) != expected:
        raise error(
            f"{model!r} returned raw outputs of shape {np.shape(raw)}; the "
            f"estimator needs {expected}: {n_outputs} per row. {outputs_doc}".rstrip()
        )
    if not np.all(np.isfinite(raw)):
        rows = np.flatnonzero(~np.all(np.isfinite(raw), axis=1))
        raise error(
            f"{model!r} returned non-finite raw outputs (NaN or inf) for "
            f"{len(rows)} of {X.shape[0]} rows, the first at row {rows[0]}."
        )
    return raw, cache


def check_model_start(model, params, X, n_outputs, grad_raw, outputs_doc=""):
    """The estimators' check of a model of the user's own, where a fit starts.

    The shapes and finiteness of the start, the raw outputs and the
    gradient, and the gradient against a central difference along one
    (seeded) random direction, in steps relative to each parameter (see
    :func:`check_model`); only when that fails, along each parameter, to
    name the one that is wrong. A model whose gradient already comes from
    finite differences (a :class:`~skprob.models.ParametricModel` without a
    ``jacobian``) has nothing to check there. Raises a ``ValueError`` that
    names the model. ``grad_raw(raw)`` gives the gradient of the loss in the
    raw outputs; ``outputs_doc`` says what the raw outputs are, for a wrong
    width.
    """
    name = repr(model)
    _check_vector(params, model.n_params, f"{name}.init_params")
    raw, cache = check_model_outputs(
        model, params, X, n_outputs, ValueError, outputs_doc
    )
    weights = grad_raw(raw)
    grad = model.backward(params, cache, weights)
    _check_vector(grad, model.n_params, f"{name}.backward")
    if getattr(model, "_gradient_by_differences", False):
        return
    params = np.asarray(params, dtype=np.float64)
    function = _weighted_sum(model, X, weights)
    magnitude = float(np.sum(np.abs(weights * raw)))
    direction = np.random.RandomState(0).standard_normal(model.n_params)
    try:
        check = _DirectionalCheck(function, params, grad, magnitude, _FIT_RTOL)
        if not check.agrees(direction):
            if model.n_params <= _MAX_LOCATED:
                for coordinate in np.eye(model.n_params):
                    check.compare(coordinate, f"{name}.backward")
            check.compare(direction, f"{name}.backward")
    except AssertionError as error:
        raise ValueError(
            f"{error} Check the model with skprob.models.check_model."
        ) from None


def _checked_params(model, name, rng):
    params = model.init_params(np.zeros(model.n_outputs_), rng)
    _check_vector(params, model.n_params, f"{name}.init_params", AssertionError)
    _check_vector(
        model.penalty_mask, model.n_params, f"{name}.penalty_mask", AssertionError
    )
    return np.asarray(params, dtype=np.float64)


def _check_vector(vector, n_params, what, error=ValueError):
    """A finite 1-D array of length ``n_params``, or ``error``."""
    if np.shape(vector) != (n_params,):
        raise error(
            f"{what} returned an array of shape {np.shape(vector)}; expected "
            f"({n_params},), one value per parameter (n_params={n_params})."
        )
    if not np.all(np.isfinite(vector)):
        raise error(f"{what} returned non-finite values (NaN or inf).")


def _check_gradient(model, name, params, X, grad_raw, grad, rng, rtol):
    """``backward`` against central differences of ``sum(grad_raw * raw)``."""
    magnitude = float(np.sum(np.abs(grad_raw * model.forward(params, X)[0])))
    check = _DirectionalCheck(
        _weighted_sum(model, X, grad_raw), params, grad, magnitude, rtol
    )
    for direction in _directions(model.n_params, rng):
        check.compare(direction, f"{name}.backward")


def _weighted_sum(model, X, weights):
    """``params -> sum(weights * raw(params))``, whose gradient ``backward`` gives."""

    def function(point):
        return float(np.sum(weights * model.forward(point, X)[0]))

    return function


def _check_hessian(model, name, params, X, rng, rtol):
    """``hessian`` against central differences of the gradient."""
    n_samples, n_outputs = X.shape[0], model.n_outputs_
    blocks = rng.standard_normal((n_samples, n_outputs, n_outputs))
    hessian_raw = blocks @ blocks.transpose(0, 2, 1)  # symmetric, per row
    hessian = model.hessian(params, X, hessian_raw)
    for direction in _directions(model.n_params, rng):
        # The Hessian of 1/2 sum_i d_i^T H_i d_i with d_i = raw_i(params) for
        # a linear model; models with curvature of their own add it.
        def gradient(point):
            raw, cache = model.forward(point, X)
            return model.backward(
                point, cache, np.einsum("ijk,ik->ij", hessian_raw, raw)
            )

        step = 1e-6
        numerical = (
            gradient(params + step * direction) - gradient(params - step * direction)
        ) / (2 * step)
        analytic = hessian @ direction
        scale = np.abs(numerical).max() + np.abs(analytic).max() + 1e-12
        if np.abs(numerical - analytic).max() > 100 * rtol * scale:
            raise AssertionError(f"{name}.hessian disagrees with finite differences.")


def _directions(n_params, rng, max_coordinates=20):
    if n_params <= max_coordinates:
        return np.eye(n_params)
    directions = rng.standard_normal((max_coordinates, n_params))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _relative_scales(params):
    """Each parameter's own size, the unit of its steps; 1 for a parameter at 0."""
    scales = np.abs(np.asarray(params, dtype=np.float64))
    return np.where(scales > 0, scales, 1.0)


def _central_difference(function, params, direction, magnitude):
    """Derivative of ``function`` along ``direction``, and a bound on its error.

    ``direction`` is in units of each parameter's size, so that a parameter
    of 1e-4 beside one of 500 moves by the same fraction of itself. At each
    step h of ``_STEPS``, largest first, the central differences at h and
    h/2 give the Richardson extrapolation ``D(h/2) + (D(h/2) - D(h)) / 3``
    and a bound on its error: ``|D(h) - D(h/2)| / 3``, the truncation error
    of ``D(h/2)`` (the h^2 term that the extrapolation removes), plus the
    rounding of the function values, ``_ROUNDING * eps * magnitude / h``.
    The step with the smallest bound is kept (truncation shrinks and
    rounding grows as the step shrinks, so the search stops once the bound
    grows). Returns ``(nan, inf)`` where no step gives finite values.
    """
    best, best_bound = np.nan, np.inf
    for step in _STEPS:
        values = [function(params + t * step * direction) for t in (1, -1, 0.5, -0.5)]
        wide = (values[0] - values[1]) / (2.0 * step)
        narrow = (values[2] - values[3]) / step
        bound = abs(wide - narrow) / 3.0 + _ROUNDING * _EPS * magnitude / step
        if not np.isfinite(bound):
            continue
        if bound >= best_bound:
            break
        best, best_bound = narrow + (narrow - wide) / 3.0, bound
    return best, best_bound


class _DirectionalCheck:
    """A gradient against central differences, direction by direction.

    ``function(params)`` is ``sum(grad_raw * raw)`` and ``grad`` the
    gradient that ``backward`` gave for it; ``magnitude``, ``sum|grad_raw *
    raw|``, sets the rounding error of ``function``. A derivative passes when
    it differs from the difference by at most ``_SAFETY`` times the
    difference's error bound plus ``rtol`` times the larger of the two.
    """

    def __init__(self, function, params, grad, magnitude, rtol):
        self.function, self.params, self.grad = function, params, grad
        self.magnitude, self.rtol = magnitude, rtol
        self.scales = _relative_scales(params)

    def _derivatives(self, direction):
        """Analytic, numerical and the error bound, per unit of ``direction``."""
        scaled = direction * self.scales
        numerical, bound = _central_difference(
            self.function, self.params, scaled, self.magnitude
        )
        # Back to the parameter's units along one coordinate, for the message.
        unit = self.scales[np.argmax(direction)] if _is_coordinate(direction) else 1.0
        return self.grad @ scaled / unit, numerical / unit, bound / unit

    def agrees(self, direction):
        analytic, numerical, bound = self._derivatives(direction)
        error = abs(analytic - numerical)
        return not error > _SAFETY * bound + self.rtol * max(
            abs(analytic), abs(numerical)
        )

    def compare(self, direction, what):
        """Raise an ``AssertionError`` naming the parameter when they disagree."""
        if self.agrees(direction):
            return
        analytic, numerical, _ = self._derivatives(direction)
        along = (
            f"parameter {int(np.argmax(direction))}"
            if _is_coordinate(direction)
            else "a random direction"
        )
        error = abs(numerical - analytic)
        raise AssertionError(
            f"{what} disagrees with finite differences along {along}: "
            f"{analytic:.6g} against {numerical:.6g} (relative error "
            f"{error / max(abs(numerical), abs(analytic), 1e-300):.2g})."
        )


def _is_coordinate(direction):
    return np.count_nonzero(direction) == 1 and np.max(direction) == 1.0
