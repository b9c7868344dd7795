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
    y): the built-in models start there, a heuristic start that already
    fits the target's location and spread.

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
formula: implement ``n_params``, ``init_params``, ``predict_raw`` and,
optionally, ``jacobian``, the derivatives of the raw outputs in the
parameters; without it they come from finite differences with a step per
parameter, as in :func:`scipy.optimize.curve_fit` (2 passes over the data
per parameter and gradient; see :mod:`skprob.models.parametric`).
:func:`check_model` tests a model against the protocol and its gradient
against finite differences, as ``check_estimator`` tests an estimator, with
steps relative to each parameter's size and a tolerance that follows from
the differences' own error.
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

from ._base import Model
from ._check import check_model
from .concatenate import Concatenate
from .linear import LinearModel
from .mlp import ACTIVATIONS, MLP
from .parametric import ParametricModel

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "Concatenate",
    "LinearModel",
    "Model",
    "ParametricModel",
    "check_model",
]
