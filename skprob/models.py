"""Step 2 of the recipe: the model f[x, phi] that predicts raw outputs.

A model owns the layout of its parameters phi in one flat vector, so
that a solver update is a handful of vector operations. It computes the raw
outputs (:meth:`forward`) and back-propagates a gradient with respect to the
raw outputs into a gradient with respect to phi (:meth:`backward`).

Conventions
-----------
- ``params`` is a 1-D array of length ``n_params``, float64 (float32 for a fit
  on float32 X: gradients and raw outputs then take its dtype).
- ``forward(params, X)`` returns ``(raw, cache)``: ``raw`` of shape
  ``(n_samples, n_outputs)`` and whatever :meth:`backward` needs.
- ``backward(params, cache, grad_raw)`` returns the gradient of
  ``sum(grad_raw * raw)`` with respect to ``params``: the caller folds the
  sample weights and the 1 / n of a mean into ``grad_raw``.
- ``penalty_mask`` is 1.0 for the weights the L2 penalty applies to and 0.0
  for the intercepts, which are never penalized.
- ``hessian(params, X, hessian_raw)``, offered by models that can give it
  (the linear model), returns the Hessian of ``sum_i l_i(raw_i)`` with
  respect to ``params``, of shape ``(n_params, n_params)``, given the second
  derivatives ``hessian_raw`` of shape ``(n_samples, n_outputs, n_outputs)``
  of the per-sample losses ``l_i`` in their raw outputs (weights folded in,
  as for ``backward``).
"""

import functools

import numpy as np
import scipy.sparse as sp
from scipy.special import expit


class LinearModel:
    """Linear model: ``raw = X @ coef + intercept``.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_outputs : int
        Number of raw outputs per sample.

    Notes
    -----
    The flat parameter vector holds ``coef`` of shape
    ``(n_features, n_outputs)`` in C order, followed by ``intercept`` of shape
    ``(n_outputs,)``. :meth:`unpack` returns views into it.
    """

    def __init__(self, n_features, n_outputs):
        self.n_features = n_features
        self.n_outputs = n_outputs

    @property
    def n_params(self):
        return (self.n_features + 1) * self.n_outputs

    @property
    def penalty_mask(self):
        mask = np.ones(self.n_params)
        mask[self.n_features * self.n_outputs :] = 0.0
        return mask

    def unpack(self, params):
        """Views ``(coef, intercept)`` into the flat parameter vector."""
        split = self.n_features * self.n_outputs
        coef = params[:split].reshape(self.n_features, self.n_outputs)
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

    def predict_raw(self, params, X):
        """Raw outputs only, for prediction."""
        return self.forward(params, X)[0]

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


class MLP:
    """Multilayer perceptron: hidden layers, then a linear output layer.

    ``h_0 = X``, ``h_l = activation(h_{l-1} @ coefs[l-1] + intercepts[l-1])``
    for each hidden layer, and ``raw = h_L @ coefs[L] + intercepts[L]``. The
    output layer is linear: the distribution's link maps its raw outputs to
    the distribution's parameters, so a heteroscedastic normal gets a
    mean-variance network (one trunk, a mean head and a log-scale head).

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_outputs : int
        Number of raw outputs per sample.
    hidden_layer_sizes : tuple of int
        Number of units of each hidden layer; at least one layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden units.

    Notes
    -----
    The flat parameter vector holds, layer after layer, ``coef`` of shape
    ``(fan_in, fan_out)`` in C order followed by ``intercept`` of shape
    ``(fan_out,)``: with no hidden layer it would be the layout of
    :class:`LinearModel`. :meth:`unpack` returns views into it.

    The model has no ``curvature`` method: the curvature of a network's loss
    changes as it trains, so the training loop has no Lipschitz estimate and
    "auto" step sizes come from a line search ("gd", "sgd", "momentum",
    "nesterov") or, for "adam", its fixed default.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models import MLP
    >>> model = MLP(n_features=3, n_outputs=2, hidden_layer_sizes=(4,))
    >>> params = model.init_params(np.array([0.5, -1.0]), np.random.RandomState(0))
    >>> raw, cache = model.forward(params, np.ones((5, 3)))
    >>> raw[0]
    array([ 0.5, -1. ])
    >>> [coef.shape for coef in model.unpack(params)[0]]
    [(3, 4), (4, 2)]
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes, activation="relu"):
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.activation = activation
        sizes = (n_features, *self.hidden_layer_sizes, n_outputs)
        # (start, fan_in, fan_out) of each layer's block in the flat vector.
        self._layout, start = [], 0
        for layer in range(len(sizes) - 1):
            fan_in, fan_out = sizes[layer], sizes[layer + 1]
            self._layout.append((start, fan_in, fan_out))
            start += (fan_in + 1) * fan_out

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
