"""The linear model: ``raw = X @ coef + intercept``."""

import numpy as np

from ._base import Model
from ._linalg import (
    _column_sums,
    _gram_top_eigenvalue,
    _row_sq_norms,
    _transposed_product,
    _weighted_gram_blocks,
)


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
        start is the best constant model, a heuristic initialization.
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

    def jacobian(self, params, X):
        """``d raw[i, k] / d params[j]``, of shape (n_samples, n_outputs, n_params).

        ``[x_i, 1]`` in the parameters of output k, zero elsewhere: the
        Jacobian of a :class:`Concatenate` that puts a linear model beside
        a model of your own (its Gauss-Newton matrix, for
        ``solver="newton"``). Dense, of ``n_samples * n_params * n_outputs``
        floats.
        """
        n_samples, k = X.shape[0], self.n_outputs_
        dense = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        jacobian = np.zeros((n_samples, k, self.n_params), dtype=np.float64)
        coef, intercept = self.unpack(np.arange(self.n_params))
        for output in range(k):
            jacobian[:, output, coef[:, output]] = dense
            jacobian[:, output, intercept[output]] = 1.0
        return jacobian

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
        batch_noise = max(1.0 / batch_size - 1.0 / X.shape[0], 0.0)
        # Squares of X beyond its dtype's range overflow: reported below.
        with np.errstate(over="ignore", invalid="ignore"):
            curvature = _gram_top_eigenvalue(X, weight)
            if batch_noise:
                sq_norms = _row_sq_norms(X) + 1.0
                curvature += sq_norms[sample_weight > 0].max() * batch_noise
        if not np.isfinite(curvature):
            largest = abs(X).max()
            raise ValueError(
                f"X has values up to {largest:.3g} in magnitude, whose squares "
                f"overflow {X.dtype}: the curvature that sizes a gradient step "
                "cannot be computed. Standardize the features (e.g. with "
                "sklearn.preprocessing.StandardScaler in a pipeline)"
                + (", or pass float64 X." if X.dtype == np.float32 else ".")
            )
        return curvature
