"""A model for the first raw outputs, and constants for the others."""

import numpy as np

from ._base import Model
from .parametric import full_jacobian


class WithConstants(Model):
    """A model that predicts the first raw outputs; the others are constants.

    What :class:`~skprob.DistributionRegressor` builds for
    ``predicts="location"``: ``model`` predicts the location of the
    distribution from x, and the other parameters (a dispersion, a shape) are
    constants, one free parameter each, fitted jointly with the model's by
    maximum likelihood, as statsmodels' count models fit the dispersion.
    The constants are not penalized (they are intercepts), and they start
    at the marginal MLE.

    Parameters
    ----------
    model : Model
        The model of the first ``n_modelled`` raw outputs (unbuilt).
    n_modelled : int, default=1
        How many raw outputs the model predicts.

    Attributes
    ----------
    model_ : Model
        The built model.
    n_params : int
        The model's parameters, then the constants.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.models import LinearModel
    >>> from skprob.models._with_constants import WithConstants
    >>> model = WithConstants(LinearModel()).build(n_features=2, n_outputs=3)
    >>> params = model.init_params(np.array([1.0, -1.0, 0.5]), 0)
    >>> model.predict_raw(params, np.ones((2, 2)))
    array([[ 1. , -1. ,  0.5],
           [ 1. , -1. ,  0.5]])
    """

    def __init__(self, model, n_modelled=1):
        self.model = model
        self.n_modelled = n_modelled

    @property
    def stopping(self):
        return getattr(self.model, "stopping", "gradient")

    @property
    def sparse_input(self):
        return getattr(self.model, "sparse_input", False)

    def build(self, n_features, n_outputs):
        super().build(n_features, n_outputs)
        self.model_ = self.model.build(n_features, self.n_modelled)
        return self

    @property
    def n_constants(self):
        return self.n_outputs_ - self.n_modelled

    @property
    def n_params(self):
        return self.model_.n_params + self.n_constants

    @property
    def penalty_mask(self):
        return np.concatenate([self.model_.penalty_mask, np.zeros(self.n_constants)])

    def unpack(self, params):
        """Views ``(model_params, constants)`` into the flat parameter vector."""
        return params[: self.model_.n_params], params[self.model_.n_params :]

    def init_params(self, raw_intercept, random_state):
        modelled = self.model_.init_params(
            raw_intercept[: self.n_modelled], random_state
        )
        return np.concatenate([modelled, raw_intercept[self.n_modelled :]])

    def forward(self, params, X):
        inner, constants = self.unpack(params)
        modelled, cache = self.model_.forward(inner, X)
        raw = np.empty((modelled.shape[0], self.n_outputs_), dtype=modelled.dtype)
        raw[:, : self.n_modelled] = modelled
        raw[:, self.n_modelled :] = constants
        return raw, cache

    def backward(self, params, cache, grad_raw):
        inner, _ = self.unpack(params)
        return np.concatenate(
            [
                self.model_.backward(inner, cache, grad_raw[:, : self.n_modelled]),
                grad_raw[:, self.n_modelled :].sum(axis=0),
            ]
        )

    @property
    def hessian(self):
        """The Hessian, where the model has one; see :meth:`_hessian`."""
        if not hasattr(self.model, "hessian"):
            raise AttributeError(f"{type(self.model).__name__} has no hessian.")
        return self._hessian

    @property
    def jacobian(self):
        """The Jacobian, where the model has one; see :meth:`_jacobian`."""
        if not hasattr(self.model, "jacobian"):
            raise AttributeError(f"{type(self.model).__name__} has no jacobian.")
        return self._jacobian

    def _jacobian(self, params, X):
        """``d raw / d params`` of shape ``(n_samples, n_outputs, n_params)``.

        The model's Jacobian for the outputs it predicts; each constant is
        its own raw output, with a derivative of 1. Through it,
        ``solver="newton"`` fits a model of one's own with constants by
        Gauss-Newton (Fisher scoring).
        """
        inner, _ = self.unpack(params)
        n_inner = self.model_.n_params
        jacobian = np.zeros((X.shape[0], self.n_outputs_, self.n_params))
        jacobian[:, : self.n_modelled, :n_inner] = full_jacobian(
            self.model_, inner, X, self.n_modelled
        )
        constants = np.arange(self.n_constants)
        jacobian[:, self.n_modelled + constants, n_inner + constants] = 1.0
        return jacobian

    @property
    def curvature(self):
        """The curvature bound, where the model has one; see :meth:`_curvature`."""
        if not hasattr(self.model, "curvature"):
            raise AttributeError(f"{type(self.model).__name__} has no curvature.")
        return self._curvature

    def _hessian(self, params, X, hessian_raw):
        """The Hessian, for a model linear in its parameters (as LinearModel).

        The model's own block; the constants' block, the sum of the rows'
        blocks; and between them, the model's backward pass of the rows'
        cross terms (exact when the raw outputs are linear in the
        parameters).
        """
        inner, _ = self.unpack(params)
        k = self.n_modelled
        n_inner = self.model_.n_params
        hessian = np.empty((self.n_params, self.n_params))
        hessian[:n_inner, :n_inner] = self.model_.hessian(
            inner, X, hessian_raw[:, :k, :k]
        )
        hessian[n_inner:, n_inner:] = hessian_raw[:, k:, k:].sum(axis=0)
        _, cache = self.model_.forward(inner, X)
        for j in range(self.n_constants):
            cross = self.model_.backward(inner, cache, hessian_raw[:, :k, k + j])
            hessian[:n_inner, n_inner + j] = hessian[n_inner + j, :n_inner] = cross
        return hessian

    def _curvature(self, X, sample_weight, batch_size):
        """The model's curvature, or 1 (that of a constant), the larger."""
        return max(self.model_.curvature(X, sample_weight, batch_size), 1.0)
