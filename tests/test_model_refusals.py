"""Newton and coef_inference refuse a model they cannot use clearly.

Newton needs a Hessian or a Jacobian, inference the built-in linear model
or a ParametricModel's Jacobian; their errors must say so without blaming
hidden layers the estimator does not have.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import curve_fit
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


class BackwardOnly(Model):
    """``a * exp(-b * x) + c`` given by its backward pass alone: no Jacobian."""

    n_params = 3

    def init_params(self, raw_intercept, random_state):
        return np.array([1.0, 1.0, raw_intercept[0]])

    def forward(self, params, X):
        return Decay().predict_raw(params, X), X

    def backward(self, params, cache, grad_raw):
        return grad_raw[:, 0] @ Decay().jacobian(params, cache)


def test_newton_refuses_a_model_without_hessian_or_jacobian(data):
    with pytest.raises(ValueError, match="solver='newton' needs the Hessian") as info:
        GaussianRegressor(model=BackwardOnly(), solver="newton").fit(*data)
    assert "a hessian or a jacobian method" in str(info.value)
    assert "with hidden layers" not in str(info.value)


def test_newton_fits_a_model_of_ones_own_by_gauss_newton(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        newton = GaussianRegressor(model=Decay(), solver="newton").fit(*data)
    reference = curve_fit(
        lambda x, a, b, c: a * np.exp(-b * x) + c, data[0][:, 0], data[1], p0=(1, 1, 0)
    )[0]
    np.testing.assert_allclose(newton.params_, reference, rtol=1e-6)


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
