"""Several models side by side."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._base import Model
from .parametric import full_jacobian


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

    @property
    def jacobian(self):
        """``d raw / d params`` when every model gives its Jacobian.

        A function of ``(params, X)`` returning an array of shape
        ``(n_samples, n_outputs, n_params)``, block-diagonal in (raw
        outputs, parameters); absent (an AttributeError) when some model
        gives none, as a network does.
        """
        models = getattr(self, "models_", [])
        if not models or not all(hasattr(model, "jacobian") for model in models):
            raise AttributeError(
                "Concatenate gives a jacobian only when every model does."
            )
        return self._jacobian

    def _jacobian(self, params, X):
        jacobian = np.zeros((X.shape[0], self.n_outputs_, self.n_params))
        share = self.n_outputs_ // len(self.models_)
        param_starts = np.concatenate([[0], self._param_splits])
        for index, (model, part) in enumerate(
            zip(self.models_, self._split(params), strict=True)
        ):
            outputs = slice(index * share, (index + 1) * share)
            columns = slice(param_starts[index], param_starts[index] + model.n_params)
            jacobian[:, outputs, columns] = full_jacobian(model, part, X, share)
        return jacobian

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
