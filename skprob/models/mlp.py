"""The multilayer perceptron and its activations."""

import numbers

import numpy as np
from scipy.special import expit
from sklearn.utils import check_random_state

from ._base import Model
from ._linalg import _column_sums, _transposed_product


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


# The most activation values a block of rows of MLP.predict_raw holds in a
# layer: 2**16 float64 values, 512 KiB, within a core's L2 cache (1024 rows
# of a layer of 64 units).
PREDICT_BLOCK_VALUES = 2**16


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
        as the linear model does (a heuristic initialization); the
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
        """Raw outputs only, for prediction: the forward pass, block by block.

        Each block of rows keeps its widest activations within
        :data:`PREDICT_BLOCK_VALUES` values, so that they stay in the
        processor's cache: all rows at once write every layer out to memory
        and read it back, about twice as slow on 100 000 rows.
        """
        widest = max(fan_out for _, _, fan_out in self._layout)
        block = max(1, PREDICT_BLOCK_VALUES // widest)
        if X.shape[0] <= block:  # no rows (a Dask block's meta) included
            return self.forward(params, X)[0]
        raw = None
        for start in range(0, X.shape[0], block):
            rows = slice(start, start + block)
            raw_rows = self.forward(params, X[rows])[0]
            if raw is None:
                raw = np.empty((X.shape[0], raw_rows.shape[1]), raw_rows.dtype)
            raw[rows] = raw_rows
        return raw

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
