"""Newton and coef_inference refuse a model they cannot use clearly.

Newton needs a Hessian, inference the built-in linear model or a
ParametricModel's Jacobian; their errors must say so without blaming hidden
layers the estimator does not have.
"""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skprob import GaussianRegressor
from skprob.inference import coef_inference
from skprob.models import Model, ParametricModel


class Decay(ParametricModel):
    """``a * exp(-b * x) + c``."""

    n_params = 3

    def init_params(self, raw_intercept, random_state):
        return np.array([1.0, 1.0, raw_intercept[0]])

    def predict_raw(self, params, X):
        a, b, c = params
        return a * np.exp(-b * X[:, 0]) + c

    def jacobian(self, params, X):
        a, b, c = params
        decay = np.exp(-b * X[:, 0])
        return np.column_stack([decay, -a * X[:, 0] * decay, np.ones(len(X))])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 5.0, size=(50, 1))
    y = 3.0 * np.exp(-0.8 * X[:, 0]) + 0.5 + rng.normal(scale=0.1, size=50)
    return X, y


def test_newton_refuses_a_model_without_hessian(data):
    with pytest.raises(ValueError, match="solver='newton' needs the Hessian") as info:
        GaussianRegressor(model=Decay(), solver="newton").fit(*data)
    assert "model of your own, use solver='lbfgs'" in str(info.value)
    assert "with hidden layers" not in str(info.value)


def test_coef_inference_refuses_a_model_of_ones_own_without_jacobian(data):
    class Through(Model):
        """``a x`` written with forward and backward: no Jacobian to read."""

        n_params = 1

        def init_params(self, raw_intercept, random_state):
            return np.ones(1)

        def forward(self, params, X):
            return params[0] * X[:, :1], X

        def backward(self, params, cache, grad_raw):
            return np.array([np.sum(grad_raw[:, 0] * cache[:, 0])])

    reg = GaussianRegressor(model=Through()).fit(*data)
    with pytest.raises(ValueError, match=r"or a ParametricModel.*Through\(\)") as info:
        coef_inference(reg, *data)
    assert "network" not in str(info.value)


def test_coef_inference_still_explains_a_network(data):
    reg = GaussianRegressor(hidden_layer_sizes=(3,), random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning):
        reg.fit(*data)
    with pytest.raises(ValueError, match="A network's weights"):
        coef_inference(reg, *data)


def test_newton_refuses_a_hessian_too_large_to_hold():
    import scipy.sparse as sp

    from skprob import BernoulliClassifier
    from skprob.solvers import MAX_NEWTON_PARAMS

    X = sp.random(20, MAX_NEWTON_PARAMS, density=0.01, format="csr", random_state=0)
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match=r"8193 parameters \(0\.5 GiB\).*'lbfgs'"):
        BernoulliClassifier(solver="newton").fit(X, y)
