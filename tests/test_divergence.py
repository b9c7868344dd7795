"""A learning rate too large for the data fails loudly, whatever the loss does.

A loss that grows geometrically takes thousands of epochs to overflow, while
the plateau rule stops a fit after ``n_iter_no_change`` epochs without
improvement: these tests pin down that such a fit raises instead of returning
a diverged model.
"""

import numpy as np
import pytest

from skprob import GaussianRegressor, HeteroscedasticRegressor


def _line_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 2.0, size=50)
    y = 1.0 + 0.8 * x + rng.normal(scale=0.3, size=x.size)
    return x[:, np.newaxis], y


def _lipschitz(X):
    """Top eigenvalue of the Hessian of the standardized least-squares loss."""
    design = np.column_stack([X, np.ones(X.shape[0])])
    return np.linalg.eigvalsh(design.T @ design / X.shape[0]).max()


@pytest.mark.parametrize("factor", [2.5, 3.0], ids=["2.5/L", "3/L"])
def test_gd_above_stability_limit_raises(factor):
    # GD on a quadratic diverges for any step above 2 / L; at 2.5 / L the loss
    # stays finite for hundreds of epochs.
    X, y = _line_data()
    reg = GaussianRegressor(solver="gd", learning_rate=factor / _lipschitz(X))
    with pytest.raises(ValueError, match="learning rate .* too large"):
        reg.fit(X, y)


def test_gd_below_stability_limit_converges():
    X, y = _line_data()
    reg = GaussianRegressor(solver="gd", learning_rate=1.9 / _lipschitz(X)).fit(X, y)
    slope, intercept = np.polyfit(X[:, 0], y, deg=1)
    np.testing.assert_allclose(
        [reg.coef_[0], reg.intercept_], [slope, intercept], atol=1e-3
    )


@pytest.mark.parametrize("solver", ["sgd", "momentum"])
def test_stochastic_divergence_raises_and_keeps_previous_fit(solver):
    X, y = _line_data()
    reg = HeteroscedasticRegressor(solver=solver, batch_size=10, random_state=0)
    reg.fit(X, y)
    coef = reg.coef_.copy()
    with pytest.raises(ValueError, match="diverged"):
        reg.set_params(learning_rate=2.0).fit(X, y)
    np.testing.assert_array_equal(reg.coef_, coef)
