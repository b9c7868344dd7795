"""Step 2 of the recipe: the model f[x, phi] that predicts raw outputs.

A model maps the input x and its parameters phi, held in one flat float64
vector (float32 for the built-in models on float32 X: see the user guide's
float32 section), to the raw outputs that the distribution (step 1) links to
its parameters: a mean, a log standard deviation, a log-odds, class scores.
Every estimator takes a model object as ``model=``, as it takes a solver
object as ``solver=``; without one it builds :class:`LinearModel` or, with
``hidden_layer_sizes``, :class:`MLP`.

The model protocol
------------------
A model is a scikit-learn style parameter object (subclass :class:`Model`,
which is a :class:`~sklearn.base.BaseEstimator`, so ``clone``,
``get_params`` and ``GridSearchCV(..., {"model__hidden_layer_sizes": ...})``
work). Its hyper-parameters are set in ``__init__``; the shapes of the data
come later, from the estimator's ``fit``, which builds a clone:

``build(n_features, n_outputs) -> self``
    Fix the input width and the number of raw outputs per row (which the
    distribution decides: 1 for a mean or a log-odds, 2 for a mean and a log
    standard deviation, K for K class scores), and whatever layout follows
    from them. :class:`Model`'s stores them as ``n_features_in_`` and
    ``n_outputs_``.

``n_params`` : int
    Length of the flat parameter vector, once built.

``penalty_mask`` : ndarray of shape (n_params,)
    1.0 for the parameters the estimator's L2 penalty ``alpha`` applies to,
    0.0 for those it spares (the intercepts of the built-in models).

``init_params(raw_intercept, random_state) -> params``
    The starting parameters, a new float64 array of shape ``(n_params,)``.
    ``raw_intercept``, of shape ``(n_outputs,)``, holds the raw outputs of
    the best constant model (the marginal maximum-likelihood estimate of
    y): the built-in models start there, as the seed recommends.

``forward(params, X) -> (raw, cache)``
    The raw outputs, of shape ``(n_samples, n_outputs)``, and whatever
    ``backward`` needs (the forward pass).

``backward(params, cache, grad_raw) -> grad``
    The gradient of ``sum(grad_raw * raw)`` with respect to ``params``, of
    shape ``(n_params,)`` (the backward pass): ``grad_raw`` is the gradient
    of the loss with respect to the raw outputs, with the sample weights
    and the 1/n of a mean already folded in.

``predict_raw(params, X) -> raw``
    The raw outputs alone, for prediction; :class:`Model`'s calls
    ``forward``.

``stopping`` : {"gradient", "plateau"}
    How the training loop decides that a fit has converged. "gradient"
    (:class:`Model`'s default, and :class:`LinearModel`'s): at the optimum of
    a smooth objective, where the largest component of its gradient is at
    most ``tol``; stochastic solvers then run variance-reduced epochs, which
    reach it. "plateau" (:class:`MLP`'s): where the loss stops improving, as
    scikit-learn's MLP stops, for a non-convex (and, with ReLU, non-smooth)
    network whose optimum no test can certify. ``solver="auto"`` is
    "lbfgs" for the first and "adam" for the second.

``sparse_input`` : bool
    Whether ``forward`` takes a SciPy sparse X (the built-in models do);
    False in :class:`Model`. The estimators accept sparse input, and say
    so in their tags, only for a model that takes it.

A model whose raw outputs are linear in its parameters may also offer
``hessian(params, X, hessian_raw)``, the Hessian of the loss given the
second derivatives of each row's loss in its raw outputs (exact only for
such a model; :class:`LinearModel` does, and ``solver="newton"`` and
:mod:`skprob.inference` need it), and ``curvature(X, sample_weight,
batch_size)``, a bound on the curvature of the raw outputs in the
parameters, from which the training loop estimates step sizes (without it,
the first-order solvers search for their steps).

A model of your own
-------------------
:class:`ParametricModel` writes most of the protocol for a model given by a
formula: implement ``n_params``, ``init_params``, ``predict_raw`` and
``jacobian``, the derivatives of the raw outputs in the parameters.
:func:`check_model` tests a model against the protocol and its gradient
against finite differences, as ``check_estimator`` tests an estimator.
Used as it is, a model of your own fits the target as it is: the regressors
standardize y only for the built-in models, whose linear output layer
absorbs the standardization exactly; the raw outputs of your model are the
mean (and log standard deviation) of y itself.

Examples
--------
A straight line through the origin, y = phi * x, in a few lines:

>>> import numpy as np
>>> from skprob import GaussianRegressor
>>> from skprob.models import ParametricModel, check_model
>>> class Slope(ParametricModel):
...     n_params = 1
...     def init_params(self, raw_intercept, random_state):
...         return np.zeros(1)
...     def predict_raw(self, params, X):
...         return params[0] * X[:, 0]
...     def jacobian(self, params, X):
...         return X[:, :1]
>>> X = np.array([[1.0], [2.0], [3.0]])
>>> check_model(Slope(), X)
>>> reg = GaussianRegressor(model=Slope()).fit(X, [2.1, 3.9, 6.0])
>>> reg.params_.round(3)
array([1.993])
"""

import functools
import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state


class Model(BaseEstimator):
    """Base class of the models; see the module docstring for the protocol.

    Subclasses set their hyper-parameters in ``__init__`` (stored unchanged,
    as in every scikit-learn estimator) and implement ``n_params``,
    :meth:`init_params`, :meth:`forward` and :meth:`backward`; :meth:`build`
    may add a layout that depends on the shapes.

    Attributes
    ----------
    n_features_in_ : int
        Input width, set by :meth:`build`.
    n_outputs_ : int
        Raw outputs per row, set by :meth:`build`.
    """

    stopping = "gradient"
    sparse_input = False

    def build(self, n_features, n_outputs):
        """Fix the shapes of the data the model will see.

        Parameters
        ----------
        n_features : int
            Number of input features.
        n_outputs : int
            Number of raw outputs per row.

        Returns
        -------
        self : Model
            The model, built.
        """
        self.n_features_in_ = int(n_features)
        self.n_outputs_ = int(n_outputs)
        return self

    @property
    def penalty_mask(self):
        """Every parameter penalized: ones of shape ``(n_params,)``."""
        return np.ones(self.n_params)

    def init_params(self, raw_intercept, random_state):  # pragma: no cover
        """The starting parameters, of shape ``(n_params,)``."""
        raise NotImplementedError

    def forward(self, params, X):  # pragma: no cover - abstract
        """Raw outputs of shape ``(n_samples, n_outputs)``, and a cache."""
        raise NotImplementedError

    def backward(self, params, cache, grad_raw):  # pragma: no cover
        """Gradient of ``sum(grad_raw * raw)`` in ``params``."""
        raise NotImplementedError

    def predict_raw(self, params, X):
        """Raw outputs only, for prediction."""
        return self.forward(params, X)[0]


class LinearModel(Model):
    """Linear model: ``raw = X @ coef + intercept``.

    The estimators' model without ``hidden_layer_sizes``. Its loss is convex
    for every distribution of skprob's, and it gives the Hessian and a
    curvature estimate.

    Attributes
    ----------
    n_features_in_ : int
        Input width, set by :meth:`build`.
    n_outputs_ : int
        Raw outputs per row, set by :meth:`build`.

    Notes
    -----
    The flat parameter vector holds ``coef`` of shape
    ``(n_features, n_outputs)`` in C order, followed by ``intercept`` of shape
    ``(n_outputs,)``. :meth:`unpack` returns views into it.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models import LinearModel
    >>> model = LinearModel().build(n_features=3, n_outputs=2)
    >>> model.n_params
    8
    >>> params = model.init_params(np.array([0.5, -1.0]), None)
    >>> model.predict_raw(params, np.ones((1, 3)))
    array([[ 0.5, -1. ]])
    """

    sparse_input = True

    @property
    def n_params(self):
        return (self.n_features_in_ + 1) * self.n_outputs_

    @property
    def penalty_mask(self):
        mask = np.ones(self.n_params)
        mask[self.n_features_in_ * self.n_outputs_ :] = 0.0
        return mask

    def unpack(self, params):
        """Views ``(coef, intercept)`` into the flat parameter vector."""
        split = self.n_features_in_ * self.n_outputs_
        coef = params[:split].reshape(self.n_features_in_, self.n_outputs_)
        return coef, params[split:]

    def init_params(self, raw_intercept, random_state):
        """Zero weights and the given intercept (the marginal MLE).

        A linear model of a convex NLL needs no symmetry breaking, so the
        start is the best constant model: the seed's heuristic initialization.
        """
        params = np.zeros(self.n_params)
        self.unpack(params)[1][:] = raw_intercept
        return params

    def forward(self, params, X):
        coef, intercept = self.unpack(params)
        raw = X @ coef
        raw += intercept
        return raw, X

    def backward(self, params, cache, grad_raw):
        X = cache
        grad = np.empty(self.n_params, dtype=params.dtype)
        grad_coef, grad_intercept = self.unpack(grad)
        _transposed_product(X, grad_raw, out=grad_coef)
        _column_sums(grad_raw, out=grad_intercept)
        return grad

    def hessian(self, params, X, hessian_raw):
        """Hessian of ``sum_i l_i(raw_i)`` in ``params``, given each row's.

        With ``xa_i = [x_i, 1]`` and ``raw_i = theta.T @ xa_i``, where
        ``theta`` of shape ``(n_features + 1, n_outputs)`` holds ``coef`` above
        ``intercept`` (the flat layout, see the class Notes), the Hessian is
        ``sum_i kron(outer(xa_i, xa_i), hessian_raw[i])``: exact, since raw
        outputs are linear in the parameters. Dense X is accumulated a chunk of
        rows at a time in matrix products; sparse X in sparse products.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Unused: the Hessian of a linear model depends on the parameters
            only through ``hessian_raw``.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Input data.
        hessian_raw : ndarray of shape (n_samples, n_outputs, n_outputs)
            Second derivatives of each row's loss in its raw outputs, weights
            folded in.

        Returns
        -------
        hessian : ndarray of shape (n_params, n_params)
        """
        blocks = _weighted_gram_blocks(X, hessian_raw)
        return blocks.reshape(self.n_params, self.n_params)

    def curvature(self, X, sample_weight, batch_size):
        """Estimate the largest curvature of ``raw`` in ``params`` for a batch.

        For a linear model the Hessian of a weighted mean loss is
        ``Xa.T @ diag(w * l'') @ Xa`` with ``Xa = [X, 1]``. Its largest
        eigenvalue over a mini-batch of ``b`` of ``n`` rows is bounded,
        loosely, by that of the full weighted Gram matrix plus
        ``max_i ||xa_i||^2 * (1/b - 1/n)``: exactly the full-batch value when
        ``b = n``, and about the per-sample bound that scikit-learn's SAG uses
        when ``b = 1``. Only the weighted Gram matrix enters for a full batch,
        so integer weights and repeated rows give the same estimate.

        Returns
        -------
        curvature : float
        """
        weight = sample_weight / sample_weight.sum()
        sq_norms = _row_sq_norms(X) + 1.0
        max_sq_norm = sq_norms[sample_weight > 0].max()
        batch_noise = max(1.0 / batch_size - 1.0 / X.shape[0], 0.0)
        return _gram_top_eigenvalue(X, weight) + max_sq_norm * batch_noise


def _transposed_product(X, delta, out):
    """``X.T @ delta`` written into ``out``, for dense or sparse X.

    OpenBLAS is fastest with ``np.dot(X.T, delta, out=out)`` on a mini-batch
    and with ``(delta.T @ X).T`` over many rows (W2's full batch: 6.6 against
    11.7 ms).
    """
    if hasattr(X, "multiply"):
        out[:] = X.T @ delta
    elif X.shape[0] > _MANY_ROWS:
        out[:] = (delta.T @ X).T
    else:
        np.dot(X.T, delta, out=out)
    return out


_MANY_ROWS = 4096


def _column_sums(delta, out):
    """Column sums of ``delta`` written into ``out``.

    A product with a vector of ones runs in BLAS: on a mini-batch of a hidden
    layer, several times faster than ``delta.sum(axis=0)``.
    """
    return np.dot(_ones(delta.shape[0], delta.dtype), delta, out=out)


@functools.lru_cache(maxsize=8)
def _ones(length, dtype=np.float64):
    """A read-only vector of ones, shared by the steps of a fit."""
    ones = np.ones(length, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _row_sq_norms(X):
    if hasattr(X, "multiply"):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def _gram_top_eigenvalue(X, weight, n_iter=20):
    """Largest eigenvalue of ``[X, 1].T @ diag(weight) @ [X, 1]``.

    For dense X with few features the small Gram matrix is formed once (one
    pass over X, in BLAS-3) and iterated on; otherwise every iteration makes
    two passes over X.
    """
    n_features = X.shape[1]
    if n_features <= _MAX_GRAM_FEATURES and not hasattr(X, "multiply"):
        apply_gram = _weighted_gram(X, weight).__matmul__
    else:
        apply_gram = functools.partial(_weighted_gram_product, X, weight)
    return _top_eigenvalue(apply_gram, n_features + 1, n_iter)


def _top_eigenvalue(apply_matrix, size, n_iter=20):
    """Largest eigenvalue of a symmetric positive semi-definite matrix.

    Power iteration from a fixed start, so that the estimate (and every step
    size derived from it) is deterministic. ``apply_matrix(vector)`` returns
    the product of the matrix with a vector of length ``size``.
    """
    vector = np.ones(size) / np.sqrt(size)
    eigenvalue = 0.0
    for _ in range(n_iter):
        image = apply_matrix(vector)
        eigenvalue = np.linalg.norm(image)
        if eigenvalue == 0.0:
            break
        vector = image / eigenvalue
    return eigenvalue


def _weighted_gram_product(X, weight, vector):
    """``[X, 1].T @ diag(weight) @ [X, 1] @ vector``, in two passes over X."""
    # In the precision of X: a float64 vector would make NumPy copy float32 X.
    projected = X @ vector[:-1].astype(X.dtype, copy=False) + vector[-1]
    projected *= weight
    return np.append(X.T @ projected, projected.sum())


def _relu(hidden):
    return np.maximum(hidden, 0.0, out=hidden)


def _tanh(hidden):
    return np.tanh(hidden, out=hidden)


def _logistic(hidden):
    return expit(hidden, out=hidden)


def _identity(hidden):
    return hidden


# Back-propagation through an activation multiplies the gradient ``delta``
# with respect to its output (a new array, modified in place) by the
# derivative, written in terms of the output, so that the forward pass caches
# one array per layer, as scikit-learn's MLP does.
def _relu_backprop(delta, out):
    return np.multiply(delta, out > 0.0, out=delta)


def _tanh_backprop(delta, out):
    delta *= 1.0 - out**2
    return delta


def _logistic_backprop(delta, out):
    delta *= out * (1.0 - out)
    return delta


def _identity_backprop(delta, out):
    return delta


ACTIVATIONS = {
    "relu": (_relu, _relu_backprop),
    "tanh": (_tanh, _tanh_backprop),
    "logistic": (_logistic, _logistic_backprop),
    "identity": (_identity, _identity_backprop),
}
"""Registry of the hidden-layer activations: (function, back-propagation)."""


class MLP(Model):
    """Multilayer perceptron: hidden layers, then a linear output layer.

    ``h_0 = X``, ``h_l = activation(h_{l-1} @ coefs[l-1] + intercepts[l-1])``
    for each hidden layer, and ``raw = h_L @ coefs[L] + intercepts[L]``. The
    output layer is linear: the distribution's link maps its raw outputs to
    the distribution's parameters, so a heteroscedastic normal gets a
    mean-variance network (one trunk, a mean head and a log-scale head), and
    several targets share the hidden layers (one head per target). The
    estimators build it from ``hidden_layer_sizes`` and ``activation``; as
    ``model=MLP(...)`` its hyper-parameters are searchable as
    ``model__hidden_layer_sizes``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Number of units of each hidden layer; at least one layer (without
        one, the model is :class:`LinearModel`).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden units.

    Attributes
    ----------
    n_features_in_ : int
        Input width, set by :meth:`build`.
    n_outputs_ : int
        Raw outputs per row, set by :meth:`build`.

    Notes
    -----
    The flat parameter vector holds, layer after layer, ``coef`` of shape
    ``(fan_in, fan_out)`` in C order followed by ``intercept`` of shape
    ``(fan_out,)``: with no hidden layer it would be the layout of
    :class:`LinearModel`. :meth:`unpack` returns views into it.

    The model has no ``curvature`` method: the curvature of a network's loss
    changes as it trains, so the training loop has no Lipschitz estimate and
    "auto" step sizes come from a line search ("gd", "sgd", "momentum",
    "nesterov") or, for "adam", its fixed default. Its ``stopping`` is
    "plateau" (see the model protocol).

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models import MLP
    >>> model = MLP(hidden_layer_sizes=(4,)).build(n_features=3, n_outputs=2)
    >>> params = model.init_params(np.array([0.5, -1.0]), np.random.RandomState(0))
    >>> raw, cache = model.forward(params, np.ones((5, 3)))
    >>> raw[0]
    array([ 0.5, -1. ])
    >>> [coef.shape for coef in model.unpack(params)[0]]
    [(3, 4), (4, 2)]
    """

    stopping = "plateau"
    sparse_input = True

    def __init__(self, hidden_layer_sizes=(100,), activation="relu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation

    def build(self, n_features, n_outputs):
        super().build(n_features, n_outputs)
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if not sizes:
            raise ValueError(
                "MLP needs at least one hidden layer; got hidden_layer_sizes="
                f"{self.hidden_layer_sizes!r}. Without one, use LinearModel()."
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}; got "
                f"{self.activation!r}."
            )
        sizes = (self.n_features_in_, *sizes, self.n_outputs_)
        # (start, fan_in, fan_out) of each layer's block in the flat vector.
        self._layout, start = [], 0
        for layer in range(len(sizes) - 1):
            fan_in, fan_out = sizes[layer], sizes[layer + 1]
            self._layout.append((start, fan_in, fan_out))
            start += (fan_in + 1) * fan_out
        return self

    @property
    def n_params(self):
        start, fan_in, fan_out = self._layout[-1]
        return start + (fan_in + 1) * fan_out

    @property
    def penalty_mask(self):
        mask = np.ones(self.n_params)
        for intercept in self.unpack(mask)[1]:
            intercept[:] = 0.0
        return mask

    def unpack(self, params):
        """Views ``(coefs, intercepts)``, lists with one array per layer."""
        coefs, intercepts = [], []
        for start, fan_in, fan_out in self._layout:
            split = start + fan_in * fan_out
            coefs.append(params[start:split].reshape(fan_in, fan_out))
            intercepts.append(params[split : split + fan_out])
        return coefs, intercepts

    def init_params(self, raw_intercept, random_state):
        """Random hidden weights, a zero output layer at the marginal MLE.

        Hidden weights are drawn uniformly with the variance that keeps the
        signal's scale through the layers: He's ``6 / fan_in`` for "relu",
        which zeroes half its inputs, Glorot's ``6 / (fan_in + fan_out)`` for
        "tanh" and "identity", and 16 times that for "logistic", whose slope
        at 0 is 1/4 (Glorot and Bengio, 2010; He et al., 2015). Hidden
        intercepts start at zero. The output layer starts at zero weights and
        the given intercept, so the network starts at the best constant model
        as the linear model does (the seed's heuristic initialization); the
        random hidden layers break the symmetry, and the first gradient step
        gives the output weights their signal.
        """
        random_state = check_random_state(random_state)
        params = np.zeros(self.n_params)
        coefs, intercepts = self.unpack(params)
        for coef in coefs[:-1]:
            bound = np.sqrt(self._init_variance_factor(*coef.shape))
            coef[:] = random_state.uniform(-bound, bound, size=coef.shape)
        intercepts[-1][:] = raw_intercept
        return params

    def _init_variance_factor(self, fan_in, fan_out):
        if self.activation == "relu":
            return 6.0 / fan_in
        glorot = 6.0 / (fan_in + fan_out)
        return 16.0 * glorot if self.activation == "logistic" else glorot

    def forward(self, params, X):
        coefs, intercepts = self.unpack(params)
        activate = ACTIVATIONS[self.activation][0]
        activations = [X]
        for layer in range(len(coefs) - 1):
            # Sparse X times a dense matrix is a dense ndarray.
            hidden = activations[-1] @ coefs[layer]
            hidden += intercepts[layer]
            activations.append(activate(hidden))
        raw = activations[-1] @ coefs[-1]
        raw += intercepts[-1]
        return raw, activations

    def predict_raw(self, params, X):
        """Raw outputs only, for prediction."""
        return self.forward(params, X)[0]

    def backward(self, params, cache, grad_raw):
        """Back-propagate ``grad_raw`` through the layers, last to first."""
        activations = cache
        coefs = self.unpack(params)[0]
        backprop_activation = ACTIVATIONS[self.activation][1]
        grad = np.empty(self.n_params, dtype=params.dtype)
        grad_coefs, grad_intercepts = self.unpack(grad)
        delta = grad_raw
        for layer in range(len(coefs) - 1, -1, -1):
            inputs = activations[layer]
            _transposed_product(inputs, delta, out=grad_coefs[layer])
            _column_sums(delta, out=grad_intercepts[layer])
            if layer > 0:
                # np.dot, not @: matmul takes a slow path for the product with
                # a transposed single-output layer (measured 16 us against 4).
                delta = backprop_activation(np.dot(delta, coefs[layer].T), inputs)
        return grad


def check_hidden_layer_sizes(hidden_layer_sizes):
    """The hidden layer sizes as a tuple of positive ints (``()`` for none)."""
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes, dtype=object)).ravel()
    if not all(isinstance(size, numbers.Integral) and size >= 1 for size in sizes):
        raise ValueError(
            "hidden_layer_sizes must contain positive integers only, got "
            f"{hidden_layer_sizes!r}."
        )
    return tuple(int(size) for size in sizes)


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
        X = cache
        jacobian = np.asarray(self.jacobian(params, X), dtype=np.float64)
        expected = (X.shape[0], grad_raw.shape[1], self.n_params)
        # One raw output may also come as a 2-D (n_samples, n_params) array.
        accepted = [expected, expected[::2]] if expected[1] == 1 else [expected]
        if jacobian.shape not in accepted:
            raise ValueError(
                f"{self!r}.jacobian returned an array of shape "
                f"{jacobian.shape}; expected (n_samples, n_outputs, n_params) = "
                f"{expected}, or {expected[::2]} for one raw output."
            )
        if jacobian.ndim == 2:
            return grad_raw[:, 0] @ jacobian
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


def _two_dimensional(predict_raw):
    """``predict_raw`` returning a float64 array of shape (n_samples, n_outputs)."""

    @functools.wraps(predict_raw)
    def wrapped(self, params, X):
        raw = np.asarray(predict_raw(self, params, X), dtype=np.float64)
        return raw.reshape(X.shape[0], -1) if raw.ndim == 1 else raw

    return wrapped


class Concatenate(Model):
    """Several models side by side: their raw outputs, concatenated.

    Each model gives an equal share of the raw outputs, in order. For a
    :class:`~skprob.HeteroscedasticRegressor`, whose raw outputs are the mean
    and the log standard deviation, ``Concatenate([("mean", Gabor()),
    ("log_scale", LinearModel())])`` fits a model of your own for the mean
    and a linear one for the noise level (for k targets, the first model
    gives the k means and the second the k log standard deviations).

    Parameters
    ----------
    models : list of (str, Model) tuples
        The named models, in the order of their raw outputs. Their
        hyper-parameters are searchable as ``model__<name>__<parameter>``.

    Attributes
    ----------
    n_features_in_ : int
        Input width, set by :meth:`build`.
    n_outputs_ : int
        Raw outputs per row, set by :meth:`build`.
    models_ : list of Model
        The built models, in order.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models import MLP, Concatenate, LinearModel
    >>> model = Concatenate([("mean", MLP((8,))), ("log_scale", LinearModel())])
    >>> model = model.build(n_features=3, n_outputs=2)
    >>> params = model.init_params(np.array([0.0, -1.0]), 0)
    >>> model.predict_raw(params, np.ones((1, 3)))
    array([[ 0., -1.]])
    >>> sorted(model.get_params())[:3]
    ['log_scale', 'mean', 'mean__activation']
    """

    def __init__(self, models):
        self.models = models

    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        if deep:
            for name, model in self.models:
                params[name] = model
                for key, value in model.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    @property
    def sparse_input(self):
        """Whether every model takes sparse X."""
        return all(getattr(model, "sparse_input", False) for _, model in self.models)

    @property
    def stopping(self):
        """ "plateau" when any model's is, else "gradient"."""
        stoppings = {getattr(model, "stopping", "gradient") for _, model in self.models}
        return "plateau" if "plateau" in stoppings else "gradient"

    def build(self, n_features, n_outputs):
        super().build(n_features, n_outputs)
        n_models = len(self.models)
        if n_models == 0 or n_outputs % n_models:
            raise ValueError(
                f"Concatenate splits the {n_outputs} raw outputs equally among "
                f"its models; got {n_models} models."
            )
        share = n_outputs // n_models
        self.models_ = [
            clone(model).build(n_features, share) for _, model in self.models
        ]
        sizes = [model.n_params for model in self.models_]
        self._param_splits = np.cumsum(sizes)[:-1]
        self._output_splits = np.arange(share, n_outputs, share)
        return self

    @property
    def n_params(self):
        return sum(model.n_params for model in self.models_)

    @property
    def penalty_mask(self):
        return np.concatenate([model.penalty_mask for model in self.models_])

    def _split(self, params):
        return np.split(params, self._param_splits)

    def init_params(self, raw_intercept, random_state):
        random_state = check_random_state(random_state)
        intercepts = np.split(np.asarray(raw_intercept), self._output_splits)
        return np.concatenate(
            [
                model.init_params(intercept, random_state)
                for model, intercept in zip(self.models_, intercepts, strict=True)
            ]
        )

    def forward(self, params, X):
        outputs = [
            model.forward(part, X)
            for model, part in zip(self.models_, self._split(params), strict=True)
        ]
        raw = np.hstack([raw for raw, _ in outputs])
        return raw, [cache for _, cache in outputs]

    def predict_raw(self, params, X):
        return np.hstack(
            [
                model.predict_raw(part, X)
                for model, part in zip(self.models_, self._split(params), strict=True)
            ]
        )

    def backward(self, params, cache, grad_raw):
        grad_parts = np.split(grad_raw, self._output_splits, axis=1)
        return np.concatenate(
            [
                model.backward(part, model_cache, np.ascontiguousarray(grad_part))
                for model, part, model_cache, grad_part in zip(
                    self.models_, self._split(params), cache, grad_parts, strict=True
                )
            ]
        )


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


# Forming the Gram matrix costs n * d^2 flops in matrix products against the
# 40 * n * d memory-bound ones of 20 power iterations on X: cheaper up to a few
# hundred features (measured 6x faster on 200 000 x 50, same estimate to 1e-14).
_MAX_GRAM_FEATURES = 256
_GRAM_CHUNK_ROWS = 4096


def _weighted_gram(X, weight):
    """``[X, 1].T @ diag(weight) @ [X, 1]``."""
    n_columns = X.shape[1] + 1
    blocks = _weighted_gram_blocks(X, weight[:, None, None])
    return blocks.reshape(n_columns, n_columns)


def _weighted_gram_blocks(X, weights):
    """``sum_i kron(outer(xa_i, xa_i), weights[i])`` with ``xa_i = [x_i, 1]``.

    Returns an array of shape ``(n_features + 1, K, n_features + 1, K)`` for
    ``weights`` of shape ``(n_samples, K, K)``, each ``weights[i]``
    symmetric: entry ``[j, k, l, m]`` is ``sum_i xa_ij xa_il weights[i, k, m]``.
    Dense X is taken a chunk of rows at a time, each chunk in one matrix
    product, with chunks small enough that their weighted copy stays small.
    """
    n_samples, n_features = X.shape
    n_outputs = weights.shape[1]
    blocks = np.zeros((n_features + 1, n_outputs, n_features + 1, n_outputs))
    if sp.issparse(X):
        _add_sparse_gram_blocks(blocks, X, weights)
    else:
        chunk_rows = _GRAM_CHUNK_ELEMENTS // max(n_features * n_outputs**2, 1)
        chunk_rows = int(np.clip(chunk_rows, 1, _GRAM_CHUNK_ROWS))
        for start in range(0, n_samples, chunk_rows):
            rows = slice(start, start + chunk_rows)
            chunk = np.ascontiguousarray(X[rows])  # row-wise products read rows
            _add_dense_gram_blocks(blocks, chunk, weights[rows])
    # The intercept column of xa is 1: its blocks are weighted column sums.
    column_sums = blocks[:-1, :, -1, :]
    blocks[-1, :, :-1, :] = column_sums.transpose(1, 0, 2)
    blocks[-1, :, -1, :] = weights.sum(axis=0)
    return blocks


# Elements of the weighted copy of a chunk of X (n_rows x n_features x K^2):
# 8 MB, small next to a cache-friendly matrix product's gain.
_GRAM_CHUNK_ELEMENTS = 1 << 20


def _add_dense_gram_blocks(blocks, X, weights):
    n_samples, n_features = X.shape
    n_outputs = weights.shape[1]
    flat_weights = weights.reshape(n_samples, -1)
    # Column (l, k, m) of the product is x_il * weights[i, k, m].
    weighted = (X[:, :, None] * flat_weights[:, None, :]).reshape(n_samples, -1)
    product = (X.T @ weighted).reshape(n_features, n_features, n_outputs, n_outputs)
    blocks[:-1, :, :-1, :] += product.transpose(0, 2, 1, 3)
    column_sums = (X.T @ flat_weights).reshape(n_features, n_outputs, n_outputs)
    blocks[:-1, :, -1, :] += column_sums


def _add_sparse_gram_blocks(blocks, X, weights):
    n_outputs = weights.shape[1]
    for k in range(n_outputs):
        for m in range(k, n_outputs):
            weighted = sp.diags(weights[:, k, m]) @ X
            gram = (X.T @ weighted).toarray()
            column_sums = np.asarray(weighted.sum(axis=0)).ravel()
            for first, second in {(k, m), (m, k)}:
                blocks[:-1, first, :-1, second] = gram
                blocks[:-1, first, -1, second] = column_sums
