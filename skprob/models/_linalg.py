"""Linear algebra the built-in models share: products over rows, Gram matrices."""

import functools

import numpy as np
import scipy.sparse as sp


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
