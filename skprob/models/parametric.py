"""A model of your own, given by a formula and its Jacobian."""

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
    - :meth:`jacobian`, the derivatives of the raw outputs in the parameters:
      ``J[i, k, j] = d raw[i, k] / d params[j]``, of shape
      ``(n_samples, n_outputs, n_params)``, or ``(n_samples, n_params)`` for
      one raw output.

    The backward pass is then the product of ``grad_raw`` with the Jacobian.
    For a model with many parameters, override :meth:`backward` with a
    cheaper vector-Jacobian product instead (and leave :meth:`jacobian`
    out). Every parameter is penalized by ``alpha``; override
    ``penalty_mask`` to spare some. Check a model with :func:`check_model`.

    A model given by a formula is smooth, and usually has few parameters:
    its ``stopping`` is "gradient", so ``solver="auto"`` is "lbfgs" and a fit
    without a ``ConvergenceWarning`` is at a point where the gradient
    vanishes. A non-convex model (the Gabor model of the gallery) may have
    several: which one a fit reaches depends on its start.

    Examples
    --------
    Logistic regression on a nonlinear score, ``z = a + b * exp(c * x)``,
    started away from ``b = 0``, where the gradient in ``c`` vanishes:

    >>> import numpy as np
    >>> from skprob import BernoulliClassifier
    >>> from skprob.models import ParametricModel, check_model
    >>> class ExpScore(ParametricModel):
    ...     n_params = 3
    ...     def init_params(self, raw_intercept, random_state):
    ...         return np.array([raw_intercept[0], 1.0, 1.0])
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
    """

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

    def jacobian(self, params, X):  # pragma: no cover - abstract
        """The Jacobian ``d raw / d params``.

        Of shape (n_samples, n_outputs, n_params), or (n_samples, n_params)
        for one raw output.
        """
        raise NotImplementedError(
            f"{type(self).__name__} implements neither jacobian nor backward."
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


def _two_dimensional(predict_raw):
    """``predict_raw`` returning a float64 array of shape (n_samples, n_outputs)."""

    @functools.wraps(predict_raw)
    def wrapped(self, params, X):
        raw = np.asarray(predict_raw(self, params, X), dtype=np.float64)
        return raw.reshape(X.shape[0], -1) if raw.ndim == 1 else raw

    return wrapped
