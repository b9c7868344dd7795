"""Checks of a model against the protocol and finite differences."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state


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
    finite differences of ``backward``.

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
        Largest accepted relative error of a derivative.

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
    nearby = params + 0.1 * (1.0 + np.abs(params)) * rng.standard_normal(params.shape)
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
    (seeded) random direction. Raises a ``ValueError`` that names the model.
    ``grad_raw(raw)`` gives the gradient of the loss in the raw outputs;
    ``outputs_doc`` says what the raw outputs are, for a wrong width.
    """
    name = repr(model)
    _check_vector(params, model.n_params, f"{name}.init_params")
    raw, cache = check_model_outputs(
        model, params, X, n_outputs, ValueError, outputs_doc
    )
    weights = grad_raw(raw)
    grad = model.backward(params, cache, weights)
    _check_vector(grad, model.n_params, f"{name}.backward")
    direction = np.random.RandomState(0).standard_normal(model.n_params)
    direction /= np.linalg.norm(direction)

    def loss(point):
        return float(np.sum(weights * model.forward(point, X)[0]))

    floor = 1e-6 * float(np.sum(np.abs(weights * raw)))
    try:
        _compare(
            _central_difference(loss, params, direction),
            grad @ direction,
            f"{name}.backward",
            direction,
            rtol=1e-3,
            floor=floor,
        )
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

    def scalar(point):
        return float(np.sum(grad_raw * model.forward(point, X)[0]))

    # Rounding of the sum itself: the floor below which differences are noise.
    floor = 1e-7 * float(np.sum(np.abs(grad_raw * model.forward(params, X)[0])))
    for direction in _directions(model.n_params, rng):
        numerical = _central_difference(scalar, params, direction)
        _compare(
            numerical, grad @ direction, f"{name}.backward", direction, rtol, floor
        )


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


def _central_difference(function, params, direction):
    step = np.cbrt(np.finfo(np.float64).eps) * (1.0 + np.abs(params @ direction))
    return (
        function(params + step * direction) - function(params - step * direction)
    ) / (2 * step)


def _compare(numerical, analytic, what, direction, rtol, floor):
    error = abs(numerical - analytic)
    if error > rtol * max(abs(numerical), abs(analytic)) + floor:
        along = (
            f"parameter {int(np.argmax(direction))}"
            if np.count_nonzero(direction) == 1
            else "a random direction"
        )
        raise AssertionError(
            f"{what} disagrees with finite differences along {along}: "
            f"{analytic:.6g} against {numerical:.6g} (relative error "
            f"{error / max(abs(numerical), abs(analytic), 1e-300):.2g})."
        )
