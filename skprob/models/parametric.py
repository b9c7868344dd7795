"""A model of your own, given by a formula and, optionally, its Jacobian.

Without a ``jacobian``, a :class:`ParametricModel` takes the derivatives of
its raw outputs from finite differences of ``predict_raw``, with a step per
parameter relative to its size, as MINPACK's ``lmdif`` (behind
:func:`scipy.optimize.curve_fit`) and :func:`scipy.optimize.least_squares`
(``jac="2-point"`` or ``"3-point"``) do:

- ``finite_differences = "3-point"`` (the default): central differences,
  ``h_j = eps^(1/3) * |p_j|``; 2 * n_params passes over the data per
  Jacobian (so per gradient, besides the forward pass the loss needs),
  and a relative error of about ``eps^(2/3)``, 1e-11, times the size of the
  third derivative in units of each parameter (truncation and rounding
  balanced).
- ``finite_differences = "2-point"``: forward differences,
  ``h_j = sqrt(eps) * |p_j|``; n_params + 1 passes, and a relative error of
  about ``sqrt(eps)``, 1e-8, times the second derivative's size.

A parameter at exactly 0 is stepped by ``h`` itself, as in MINPACK. An
analytic ``jacobian`` costs no extra pass and is exact to rounding: give
one for a model with many parameters or expensive rows.
"""

import functools

import numpy as np

from ._base import Model


class ParametricModel(Model):
    """Base class of a model given by a formula f[x, phi] and its derivatives.

    Subclass it and implement:

    - ``n_params``, the number of parameters (an attribute, or a property
      that may read ``self.n_features_in_`` and ``self.n_outputs_``);
    - :meth:`init_params`, the start of the fit;
    - :meth:`predict_raw`, f[x, phi] itself: an array of shape
      ``(n_samples, n_outputs)``, or ``(n_samples,)`` for one raw output;
    - optionally :meth:`jacobian`, the derivatives of the raw outputs in the
      parameters: ``J[i, k, j] = d raw[i, k] / d params[j]``, of shape
      ``(n_samples, n_outputs, n_params)``, or ``(n_samples, n_params)`` for
      one raw output. Without it, the Jacobian comes from finite
      differences of :meth:`predict_raw`, one or two passes over the data
      per parameter (see ``finite_differences``, and the module
      :mod:`skprob.models.parametric` for the cost and the accuracy).

    :meth:`jacobian` is the one way the model's derivatives are read: the
    backward pass is the product of ``grad_raw`` with it, and the solvers
    and :func:`~skprob.inference.coef_inference` that need the Jacobian
    itself call it. For a model with many parameters, override
    :meth:`backward` with a cheaper vector-Jacobian product instead. Every
    parameter is penalized by ``alpha``; override ``penalty_mask`` to spare
    some. Check a model with :func:`check_model`.

    A model given by a formula is smooth, and usually has few parameters:
    its ``stopping`` is "gradient", so ``solver="auto"`` is "newton" (the
    Gauss-Newton matrix from the Jacobian, damped as Levenberg-Marquardt's)
    and a fit without a ``ConvergenceWarning`` is at a point where the
    gradient vanishes and the parameters are identified, judged by a test
    that the units of y and of the parameters do not change. A non-convex
    model (the Gabor model of the gallery) may have several: which one a
    fit reaches depends on its start.

    Attributes
    ----------
    finite_differences : {"3-point", "2-point"}
        Class attribute: the finite differences that :meth:`jacobian` takes
        when the subclass does not implement it. "3-point" (central,
        ``2 * n_params`` passes, error about 1e-11 relative) by default;
        "2-point" (forward, ``n_params + 1`` passes, about 1e-8).

    Examples
    --------
    Logistic regression on a nonlinear score, ``z = a + b * exp(c * x)``,
    started away from ``b = 0``, where the gradient in ``c`` vanishes, with
    log-odds of the marginal's order (from ``b = 1``, scores up to
    ``e^2`` above it, a Newton step overshoots into the valley of ``c < 0``,
    whose best fit lies at ``c -> 0``, where the fit ends with a warning):

    >>> import numpy as np
    >>> from skprob import BernoulliClassifier
    >>> from skprob.models import ParametricModel, check_model
    >>> class ExpScore(ParametricModel):
    ...     n_params = 3
    ...     def init_params(self, raw_intercept, random_state):
    ...         return np.array([raw_intercept[0], 0.5, 1.0])
    ...     def predict_raw(self, params, X):
    ...         a, b, c = params
    ...         return a + b * np.exp(c * X[:, 0])
    ...     def jacobian(self, params, X):
    ...         a, b, c = params
    ...         grow = np.exp(c * X[:, 0])
    ...         return np.column_stack([np.ones(len(X)), grow, b * X[:, 0] * grow])
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0.0, 2.0, size=(2000, 1))
    >>> score = -2.0 + 0.5 * np.exp(1.2 * X[:, 0])
    >>> y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-score))).astype(int)
    >>> check_model(ExpScore(), X)
    >>> clf = BernoulliClassifier(model=ExpScore(), alpha=0.0).fit(X, y)
    >>> clf.params_.round(2)
    array([-1.52,  0.21,  1.67])

    The same model without its Jacobian fits to the same parameters, to the
    precision of the finite differences:

    >>> class ExpScoreByDifferences(ParametricModel):
    ...     n_params = 3
    ...     init_params = ExpScore.init_params
    ...     predict_raw = ExpScore.predict_raw
    >>> by_differences = BernoulliClassifier(
    ...     model=ExpScoreByDifferences(), alpha=0.0
    ... ).fit(X, y)
    >>> bool(np.allclose(by_differences.params_, clf.params_, rtol=1e-5))
    True
    """

    finite_differences = "3-point"

    def __init_subclass__(cls, **kwargs):
        # A subclass's predict_raw may return one raw output as a 1-D array;
        # the protocol's is 2-D (as scikit-learn's set_output wraps
        # ``transform``, the subclass's method is wrapped once, here).
        super().__init_subclass__(**kwargs)
        if "predict_raw" in vars(cls):
            cls.predict_raw = _two_dimensional(vars(cls)["predict_raw"])

    def forward(self, params, X):
        return self.predict_raw(params, X), X

    def backward(self, params, cache, grad_raw):
        jacobian = full_jacobian(self, params, cache, grad_raw.shape[1])
        return np.einsum("ik,ikj->j", grad_raw, jacobian)

    def init_params(self, raw_intercept, random_state):  # pragma: no cover
        """The starting parameters, of shape ``(n_params,)``.

        Parameters
        ----------
        raw_intercept : ndarray of shape (n_outputs,)
            Raw outputs of the best constant model (the marginal MLE of y),
            for a model that can start there.
        random_state : RandomState
            For a random start; seeded by the estimator's ``random_state``.
        """
        raise NotImplementedError

    def predict_raw(self, params, X):  # pragma: no cover - abstract
        """f[x, phi]: raw outputs of shape (n_samples, n_outputs) or (n_samples,)."""
        raise NotImplementedError

    def jacobian(self, params, X):
        """The Jacobian ``d raw / d params``; by finite differences unless given.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Where to take the derivatives.
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        jacobian : ndarray of shape (n_samples, n_outputs, n_params)
            ``d raw[i, k] / d params[j]``. A subclass's may also be of shape
            (n_samples, n_params) for one raw output.
        """
        return difference_jacobian(self.predict_raw, params, X, self.finite_differences)

    @property
    def _gradient_by_differences(self):
        """Whether the gradient is this class's finite differences: no check."""
        cls = type(self)
        return (
            cls.jacobian is ParametricModel.jacobian
            and cls.backward is ParametricModel.backward
        )


def full_jacobian(model, params, X, n_outputs):
    """``model.jacobian``, checked, of shape (n_samples, n_outputs, n_params).

    One raw output may also come as a 2-D ``(n_samples, n_params)`` array.
    """
    jacobian = np.asarray(model.jacobian(params, X), dtype=np.float64)
    expected = (X.shape[0], n_outputs, model.n_params)
    accepted = [expected, expected[::2]] if n_outputs == 1 else [expected]
    if jacobian.shape not in accepted:
        raise ValueError(
            f"{model!r}.jacobian returned an array of shape "
            f"{jacobian.shape}; expected (n_samples, n_outputs, n_params) = "
            f"{expected}, or {expected[::2]} for one raw output."
        )
    return jacobian.reshape(expected)


# Relative steps as scipy.optimize's approx_derivative takes them: they
# balance truncation and rounding for each scheme.
_RELATIVE_STEPS = {
    "2-point": np.sqrt(np.finfo(np.float64).eps),
    "3-point": np.cbrt(np.finfo(np.float64).eps),
}


def difference_jacobian(predict_raw, params, X, scheme="3-point"):
    """The Jacobian of ``predict_raw`` by finite differences, step per parameter.

    Parameters
    ----------
    predict_raw : callable
        ``predict_raw(params, X)``, raw outputs of shape
        (n_samples, n_outputs).
    params : ndarray of shape (n_params,)
        Where to take the derivatives.
    X : array-like of shape (n_samples, n_features)
        Input data.
    scheme : {"3-point", "2-point"}, default="3-point"
        Central differences with steps ``eps^(1/3) * |p_j|`` (2 passes per
        parameter), or forward differences with steps ``sqrt(eps) * |p_j|``
        (1 pass per parameter, and one at ``params``); a parameter at 0 is
        stepped by ``eps^(1/3)`` or ``sqrt(eps)``.

    Returns
    -------
    jacobian : ndarray of shape (n_samples, n_outputs, n_params)

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models.parametric import difference_jacobian
    >>> def rise(params, X):
    ...     return params[0] * (1 - np.exp(-params[1] * X))
    >>> X = np.array([[100.0], [700.0]])
    >>> jacobian = difference_jacobian(rise, np.array([240.0, 5.5e-4]), X)
    >>> exact = [1 - np.exp(-5.5e-4 * X), 240.0 * X * np.exp(-5.5e-4 * X)]
    >>> bool(np.allclose(jacobian, np.stack(exact, axis=-1), rtol=1e-9))
    True
    """
    if scheme not in _RELATIVE_STEPS:
        raise ValueError(
            f"finite_differences must be '3-point' or '2-point'; got {scheme!r}."
        )
    params = np.asarray(params, dtype=np.float64)
    steps = _RELATIVE_STEPS[scheme] * np.where(params != 0, np.abs(params), 1.0)
    central = scheme == "3-point"
    base = None if central else _raw(predict_raw, params, X)
    columns = []
    for j, step in enumerate(steps):
        upper, lower = params.copy(), params.copy()
        upper[j] += step
        if central:
            lower[j] -= step
        # The step as the floating-point parameters took it.
        width = upper[j] - lower[j]
        below = _raw(predict_raw, lower, X) if central else base
        columns.append((_raw(predict_raw, upper, X) - below) / width)
    return np.stack(columns, axis=-1)


def _raw(predict_raw, params, X):
    raw = np.asarray(predict_raw(params, X), dtype=np.float64)
    return raw.reshape(raw.shape[0], -1)


def _two_dimensional(predict_raw):
    """``predict_raw`` returning a float64 array of shape (n_samples, n_outputs)."""

    @functools.wraps(predict_raw)
    def wrapped(self, params, X):
        raw = np.asarray(predict_raw(self, params, X), dtype=np.float64)
        return raw.reshape(X.shape[0], -1) if raw.ndim == 1 else raw

    return wrapped
