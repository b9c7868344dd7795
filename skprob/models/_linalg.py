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
    pass over X, in BLAS-3) and its eigenvalue computed exactly; otherwise
    power iteration makes two passes over X per step.
    """
    n_features = X.shape[1]
    if n_features <= _MAX_GRAM_FEATURES and not hasattr(X, "multiply"):
        return _symmetric_top_eigenvalue(_weighted_gram(X, weight))
    apply_gram = functools.partial(_weighted_gram_product, X, weight)
    return _top_eigenvalue(apply_gram, n_features + 1, n_iter)


def _symmetric_top_eigenvalue(matrix):
    """Largest eigenvalue of a small symmetric matrix, from LAPACK.

    Exact to rounding, where power iteration stops short of it (from below:
    a curvature estimate too small, a step too long) when the two largest
    eigenvalues are close. Infinite where the matrix has overflowed (the
    caller names the features).
    """
    if not np.all(np.isfinite(matrix)):
        return np.inf
    return float(np.linalg.eigvalsh(matrix)[-1])


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

    Both symmetries are used: block ``(k, m)`` equals block ``(m, k)``, and
    each block, a Gram matrix of ``xa`` weighted by ``weights[:, k, m]``, is
    symmetric. Only the ``K (K + 1) / 2`` blocks with ``k <= m`` are summed,
    by :func:`_paired_grams` where they are many and the features few (the
    softmax's), else by :func:`_product_grams`; a single block of
    nonnegative weights (a convex NLL of one raw output) by
    :func:`_root_weighted_gram`; sparse X in sparse products.
    """
    n_features = X.shape[1]
    n_outputs = weights.shape[1]
    upper = np.triu_indices(n_outputs)
    # One row of weights per block, (n_blocks, n_samples), for the products.
    block_weights = np.ascontiguousarray(weights.transpose(1, 2, 0)[upper])
    if sp.issparse(X):
        grams = _sparse_grams(X, block_weights)
    elif len(block_weights) == 1 and not np.any(block_weights < 0.0):
        grams = _root_weighted_gram(X, block_weights[0])[None]
    elif _pairing_pays(n_features, len(upper[0])):
        grams = _paired_grams(X, block_weights)
    else:
        grams = _product_grams(X, block_weights)
    blocks = np.empty((n_outputs, n_outputs) + grams.shape[1:])
    blocks[upper] = grams
    blocks[upper[::-1]] = grams
    return np.ascontiguousarray(blocks.transpose(2, 0, 3, 1))


def _pairing_pays(n_features, n_blocks):
    """Whether :func:`_paired_grams` beats :func:`_product_grams`.

    Pairing halves the flops (one product per pair of columns, not per
    ordered pair) but first writes the pairs of every row, and its matrix
    product has only ``n_blocks`` columns: it pays for many blocks of few
    features. Measured with BLAS on one thread (20 000 rows), it takes
    0.13-0.66 of the time where the blocks number at least a third of the
    columns of ``xa`` (0.34 for 50 features and 10 classes, 55 blocks), and
    up to 2 times more where they are fewer (100 features, 10 blocks).
    """
    n_columns = n_features + 1
    n_pairs = n_columns * (n_columns + 1) // 2
    return 3 * n_blocks >= n_columns and n_pairs <= _MAX_PAIRS


# Beyond this many pairs (180 features), a chunk of rows whose pairs stay
# in cache is too short for an efficient matrix product.
_MAX_PAIRS = 1 << 14


def _product_grams(X, block_weights):
    """The weighted Gram matrices of ``xa``, one per row of ``block_weights``.

    Returns an array of shape ``(n_blocks, n_features + 1, n_features + 1)``.
    Dense X is taken a chunk of rows at a time, each chunk in one matrix
    product with its weighted copies, with chunks small enough that their
    weighted copy stays small.
    """
    n_samples, n_features = X.shape
    n_blocks = block_weights.shape[0]
    grams = np.zeros((n_blocks, n_features + 1, n_features + 1))
    chunk_rows = _GRAM_CHUNK_ELEMENTS // max(n_features * n_blocks, 1)
    chunk_rows = int(np.clip(chunk_rows, 1, _GRAM_CHUNK_ROWS))
    for start in range(0, n_samples, chunk_rows):
        rows = slice(start, start + chunk_rows)
        chunk = np.ascontiguousarray(X[rows])  # row-wise products read rows
        chunk_weights = block_weights[:, rows].T
        # Column (l, t) of the product is x_il * weights[i, t].
        weighted = chunk[:, :, None] * chunk_weights[:, None, :]
        product = chunk.T @ weighted.reshape(len(chunk), -1)
        grams[:, :-1, :-1] += product.reshape(
            n_features, n_features, n_blocks
        ).transpose(2, 0, 1)
        grams[:, :-1, -1] += (chunk.T @ chunk_weights).T
    grams[:, -1, :-1] = grams[:, :-1, -1]
    grams[:, -1, -1] = block_weights.sum(axis=1)
    return grams


def _root_weighted_gram(X, weight):
    """``[X, 1].T @ diag(weight) @ [X, 1]`` for nonnegative ``weight``.

    The product of the rows scaled by ``sqrt(weight)`` with themselves, a
    chunk at a time: NumPy hands ``Z.T @ Z`` to BLAS's symmetric rank-k
    update, which computes one triangle, half the flops of
    :func:`_product_grams` (0.066 against 0.089 s on 200 000 x 50, BLAS on
    one thread).
    """
    n_samples, n_features = X.shape
    dtype = np.result_type(X.dtype, weight.dtype)
    gram = np.zeros((n_features + 1, n_features + 1))
    chunk_rows = max(min(_GRAM_CHUNK_ROWS, n_samples), 1)
    scaled = np.empty((chunk_rows, n_features + 1), dtype=dtype)
    root = np.sqrt(weight)
    for start in range(0, n_samples, chunk_rows):
        chunk_root = root[start : start + chunk_rows]
        chunk = scaled[: len(chunk_root)]
        np.multiply(
            X[start : start + len(chunk)], chunk_root[:, None], out=chunk[:, :-1]
        )
        chunk[:, -1] = chunk_root
        gram += chunk.T @ chunk
    return gram


def _paired_grams(X, block_weights):
    """:func:`_product_grams` in half the flops, from the products of column pairs.

    Entry ``(j, l)`` of Gram matrix ``t`` is ``sum_i xa_ij xa_il w_it``: the
    products ``xa_ij xa_il`` of each pair ``j <= l`` are written once per
    chunk of rows, and one matrix product with the chunk's weights sums
    every pair of every block.
    """
    n_samples, n_features = X.shape
    n_columns = n_features + 1
    rows, columns = np.triu_indices(n_columns)
    # The pairs (j, l >= j) of column j are rows starts[j]:starts[j + 1].
    starts = np.concatenate([[0], np.cumsum(np.arange(n_columns, 0, -1))])
    dtype = np.result_type(X.dtype, block_weights.dtype)
    chunk_rows = max(min(_PAIRS_CHUNK_ELEMENTS // len(rows), n_samples), 1)
    transposed = np.empty((n_columns, chunk_rows), dtype=dtype)
    transposed[-1] = 1.0
    pairs = np.empty((len(rows), chunk_rows), dtype=dtype)
    sums = np.zeros((block_weights.shape[0], len(rows)))
    for start in range(0, n_samples, chunk_rows):
        chunk_weights = block_weights[:, start : start + chunk_rows]
        n_rows = chunk_weights.shape[1]
        transposed[:-1, :n_rows] = X[start : start + n_rows].T
        for j in range(n_columns):
            np.multiply(
                transposed[j:, :n_rows],
                transposed[j, :n_rows],
                out=pairs[starts[j] : starts[j + 1], :n_rows],
            )
        # In this order OpenBLAS is 1.5 times faster than pairs @ weights.T.
        sums += chunk_weights @ pairs[:, :n_rows].T
    grams = np.empty((len(sums), n_columns, n_columns))
    grams[:, rows, columns] = sums
    grams[:, columns, rows] = sums
    return grams


# Elements of the weighted copy of a chunk of X (n_rows x n_features x blocks):
# 8 MB, small next to a cache-friendly matrix product's gain.
_GRAM_CHUNK_ELEMENTS = 1 << 20
# Elements of a chunk's column pairs: 4 MB, which stay in cache for the
# product that reads them.
_PAIRS_CHUNK_ELEMENTS = 1 << 19


def _sparse_grams(X, block_weights):
    n_blocks = block_weights.shape[0]
    n_features = X.shape[1]
    grams = np.empty((n_blocks, n_features + 1, n_features + 1))
    for t in range(n_blocks):
        weighted = sp.diags(block_weights[t]) @ X
        grams[t, :-1, :-1] = (X.T @ weighted).toarray()
        grams[t, :-1, -1] = grams[t, -1, :-1] = np.asarray(weighted.sum(axis=0)).ravel()
    grams[:, -1, -1] = block_weights.sum(axis=1)
    return grams
