"""The model protocol's base class: :class:`Model`."""

import numpy as np
from sklearn.base import BaseEstimator


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
