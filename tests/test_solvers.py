"""Step 3 of the recipe: every solver reaches a known minimum, and the
public protocol lets users plug in and tune their own."""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skprob import BernoulliClassifier
from skprob.solvers import (
    GD,
    LBFGS,
    SGD,
    SOLVERS,
    Adam,
    LBFGSState,
    Momentum,
    Newton,
    Solver,
    SolverParameterWarning,
    make_solver,
)


class QuadraticLoss:
    """0.5 (p - c)' A (p - c): minimum at c, Lipschitz constant max eig(A)."""

    def __init__(self, matrix, center):
        self.matrix, self.center = matrix, center
        self.lipschitz = np.linalg.eigvalsh(matrix)[-1]
        self.points = []

    def loss(self, params):
        delta = params - self.center
        return 0.5 * delta @ self.matrix @ delta

    def __call__(self, params):
        self.points.append(params.copy())
        return self.loss(params), self.matrix @ (params - self.center)

    def hessian(self, params):
        return self.matrix


class Rosenbrock:
    """The Rosenbrock valley, minimum 0 at (1, 1); no Lipschitz estimate."""

    lipschitz = None

    def loss(self, params):
        x, y = params
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def __call__(self, params):
        x, y = params
        grad = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
        return self.loss(params), grad

    def hessian(self, params):
        x, y = params
        return np.array([[2 - 400 * (y - 3 * x**2), -400 * x], [-400 * x, 200.0]])


def _minimize(solver, loss_grad, start, n_steps, lr_scale=1.0):
    params = np.asarray(start, dtype=float)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(n_steps):
        params, _, state = solver.step(params, loss_grad, state, lr_scale)
    return params


ILL_CONDITIONED = QuadraticLoss(np.diag([10.0, 1.0, 0.1]), np.array([1.0, -2.0, 3.0]))


@pytest.mark.parametrize("name", SOLVERS)
def test_every_solver_reaches_the_minimum_of_a_quadratic(name):
    solver = make_solver(name)
    params = _minimize(solver, ILL_CONDITIONED, np.zeros(3), n_steps=3000)
    np.testing.assert_allclose(params, ILL_CONDITIONED.center, atol=1e-4)


@pytest.mark.parametrize(
    "solver",
    [
        GD(),
        Adam(learning_rate=0.01),
        Momentum(learning_rate=1e-3),
        SGD(learning_rate=1e-3),
    ],
    ids=["gd-line-search", "adam", "momentum", "sgd"],
)
def test_solvers_reach_the_rosenbrock_minimum(solver):
    params = _minimize(solver, Rosenbrock(), [-1.0, 1.0], n_steps=60000)
    np.testing.assert_allclose(params, [1.0, 1.0], atol=2e-2)


def test_gd_line_search_only_descends():
    loss_grad = Rosenbrock()
    solver, params = GD(), np.array([-1.2, 1.0])
    state = solver.init(params, None)
    previous = loss_grad.loss(params)
    for _ in range(200):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
        assert loss_grad.loss(params) <= previous
        previous = loss_grad.loss(params)


def test_nesterov_takes_its_gradient_at_the_look_ahead_point():
    loss_grad = QuadraticLoss(np.eye(2), np.zeros(2))
    solver = make_solver("nesterov", learning_rate=0.1, momentum=0.5)
    params = np.array([1.0, 1.0])
    state = solver.init(params, None)
    params, _, state = solver.step(params, loss_grad, state, 1.0)
    loss_grad.points.clear()
    velocity = state.velocity
    solver.step(params, loss_grad, state, 1.0)
    np.testing.assert_allclose(loss_grad.points[-1], params - 0.1 * 0.5 * velocity)


def test_momentum_update_is_heavy_ball():
    loss_grad = QuadraticLoss(np.eye(1), np.zeros(1))
    solver = Momentum(learning_rate=0.1, momentum=0.5)
    state = solver.init(np.array([1.0]), None)
    p1, _, state = solver.step(np.array([1.0]), loss_grad, state, 1.0)
    p2, _, _ = solver.step(p1, loss_grad, state, 1.0)
    # v1 = 1 ; p1 = 1 - 0.1 v1 = 0.9 ; v2 = 0.5 v1 + 0.9 = 1.4 ; p2 = 0.9 - 0.14
    np.testing.assert_allclose([p1[0], p2[0]], [0.9, 0.9 - 0.14])


def test_adam_first_step_has_the_learning_rate_as_length():
    loss_grad = QuadraticLoss(np.diag([100.0, 0.01]), np.zeros(2))
    solver = Adam(learning_rate=0.1)
    params = np.array([1.0, 1.0])
    new_params, _, state = solver.step(
        params, loss_grad, solver.init(params, None), 1.0
    )
    # Up to epsilon's share of the denominator: 1e-8 / 0.01 / sqrt(0.001).
    np.testing.assert_allclose(params - new_params, [0.1, 0.1], rtol=1e-4)
    assert state.n_steps == 1


def test_adam_update_is_the_documented_formula():
    # The docstring's update, epsilon_t = epsilon / sqrt(1 - beta_2**t) added
    # to sqrt(v_hat). A large epsilon sets it apart from the textbook one.
    beta_1, beta_2, epsilon, learning_rate, lr_scale = 0.8, 0.9, 0.1, 0.05, 0.5
    loss_grad = QuadraticLoss(np.diag([3.0, 0.2, 0.01]), np.array([1.0, -1.0, 2.0]))
    solver = Adam(learning_rate, beta_1, beta_2, epsilon)
    params = np.array([0.5, 0.5, -0.5])
    state = solver.init(params, None)
    expected, m, v = params.copy(), np.zeros(3), np.zeros(3)
    textbook = params.copy()
    for t in range(1, 6):
        grad = loss_grad(expected)[1]
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        epsilon_t = epsilon / np.sqrt(1 - beta_2**t)
        textbook = expected - lr_scale * learning_rate * m_hat / (
            np.sqrt(v_hat) + epsilon
        )
        expected = expected - lr_scale * learning_rate * m_hat / (
            np.sqrt(v_hat) + epsilon_t
        )
        params, _, state = solver.step(params, loss_grad, state, lr_scale)
        np.testing.assert_allclose(params, expected, rtol=1e-12)
    assert np.max(np.abs(params - textbook)) > 1e-3


def test_sgd_auto_without_an_estimate_searches_from_the_last_step():
    # Armijo on the batch: accept eta when L(p - eta g) <= L(p) - eta |g|^2 / 2;
    # along an eigenvector of curvature 1000, exactly when eta <= 1 / 1000.
    loss_grad = QuadraticLoss(np.diag([1000.0, 1.0]), np.zeros(2))
    loss_grad.lipschitz = None  # as for a neural network
    solver, params = SGD(), np.array([1.0, 0.0])
    state = solver.init(params, None)
    # From 0.01 * 2**0.25, halved four times: the first step below 1 / 1000.
    first = 0.01 * 2**0.25 / 2**4
    new_params, _, state = solver.step(params, loss_grad, state, 1.0)
    np.testing.assert_allclose(new_params, params - first * 1000.0 * params)
    assert state.learning_rate == pytest.approx(first)
    # The next search starts from that step grown by 2**0.25: accepted at once.
    params, _, state = solver.step(new_params, loss_grad, state, 1.0)
    assert state.learning_rate == pytest.approx(first * 2**0.25)
    # Momentum takes the same step times 1 - momentum.
    momentum = Momentum(momentum=0.75)
    start = np.array([1.0, 0.0])
    moved, _, _ = momentum.step(start, loss_grad, momentum.init(start, None), 1.0)
    np.testing.assert_allclose(moved, start - 0.25 * first * 1000.0 * start)


def test_lr_scale_scales_the_step():
    loss_grad = QuadraticLoss(np.eye(2), np.ones(2))
    solver = SGD(learning_rate=0.5)
    full = _minimize(solver, loss_grad, np.zeros(2), 1)
    scaled = _minimize(solver, loss_grad, np.zeros(2), 1, lr_scale=0.2)
    np.testing.assert_allclose(scaled, 0.2 * full)


def test_make_solver_maps_flat_hyper_parameters():
    solver = make_solver("nesterov", learning_rate=0.3, momentum=0.7, beta_1=0.1)
    assert isinstance(solver, Momentum) and solver.nesterov
    assert solver.get_params()["learning_rate"] == 0.3
    assert make_solver("adam", beta_1=0.5).beta_1 == 0.5


# -- L-BFGS ------------------------------------------------------------------


class DoubleWell:
    """x^4 / 4 - x^2: concave on |x| < sqrt(2/3), minima at +-sqrt(2)."""

    lipschitz = None

    def loss(self, params):
        return params[0] ** 4 / 4 - params[0] ** 2

    def __call__(self, params):
        return self.loss(params), np.array([params[0] ** 3 - 2 * params[0]])

    def hessian(self, params):
        return np.array([[3 * params[0] ** 2 - 2]])


def _steps_to_reach(solver, loss_grad, start, minimum, max_steps):
    """Steps until every coordinate is within 1e-8 of ``minimum``, or None."""
    params = np.asarray(start, dtype=float)
    state = solver.init(params, loss_grad.lipschitz)
    for n_steps in range(max_steps + 1):
        if np.max(np.abs(params - minimum)) < 1e-8:
            return n_steps
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    return None


@pytest.mark.parametrize(
    "loss_grad, start, minimum, gd",
    [
        # Plain gradient descent: the fixed step 1/L.
        (ILL_CONDITIONED, np.zeros(3), ILL_CONDITIONED.center, GD(0.1)),
        # Without a Lipschitz estimate, GD's Armijo line search.
        (Rosenbrock(), [-1.2, 1.0], [1.0, 1.0], GD()),
    ],
    ids=["quadratic", "rosenbrock"],
)
def test_lbfgs_reaches_the_minimum_in_far_fewer_steps_than_gd(
    loss_grad, start, minimum, gd
):
    n_steps = _steps_to_reach(LBFGS(), loss_grad, start, minimum, max_steps=60)
    assert n_steps is not None
    assert _steps_to_reach(gd, loss_grad, start, minimum, 10 * n_steps) is None


# -- GD's Barzilai-Borwein steps -----------------------------------------------


def test_gd_auto_takes_barzilai_borwein_steps_far_faster_than_one_over_lipschitz():
    # Condition number 100: the step 1/L shrinks the flattest direction's
    # error by 1 - 1/100 a step, about 1800 steps to 1e-8 from here.
    loss_grad = ILL_CONDITIONED
    fixed = GD(learning_rate=1.0 / loss_grad.lipschitz)
    assert _steps_to_reach(fixed, loss_grad, np.zeros(3), loss_grad.center, 200) is None
    assert _steps_to_reach(GD(), loss_grad, np.zeros(3), loss_grad.center, 200)


def test_gd_auto_steps_follow_the_protocol_and_the_nonmonotone_test():
    rng = np.random.default_rng(0)
    mixing = np.linalg.qr(rng.normal(size=(20, 20)))[0]
    matrix = mixing @ np.diag(np.logspace(0, 2, 20)) @ mixing.T
    loss_grad = QuadraticLoss(matrix, rng.normal(size=20))
    solver, params = GD(), np.zeros(20)
    state = solver.init(params, loss_grad.lipschitz)
    losses, rises = [loss_grad.loss(params)], 0
    # About 130 steps to 1e-8 (1/L needs 1800): a wide margin for rounding,
    # which the Barzilai-Borwein steps amplify.
    for n_steps in range(600):
        if np.max(np.abs(params - loss_grad.center)) < 1e-8:
            break
        before = params.copy()
        loss_grad.points.clear()
        new_params, loss, state = solver.step(params, loss_grad, state, 1.0)
        np.testing.assert_array_equal(params, before)  # not modified in place
        assert loss == losses[-1]  # the loss where the step started
        if n_steps > 0:  # the start's evaluation is reused: one or two new ones
            assert 1 <= len(loss_grad.points) <= 2
        step_size = _step_size(params, new_params, loss_grad)
        if n_steps == 0:  # no pair yet: the safe step, 1/L on the grid
            assert _is_safe_step(step_size, 1.0 / loss_grad.lipschitz)
        assert _on_step_grid(step_size)
        new_loss = loss_grad.loss(new_params)
        # Grippo, Lampariello and Lucidi's test, with the start's own loss in
        # the window: never above the largest of the last ten.
        assert new_loss <= max(losses[-solver.nonmonotone_memory :])
        rises += new_loss > losses[-1]
        losses.append(new_loss)
        params = new_params
    assert rises > 0  # the Barzilai-Borwein steps are not a descent
    np.testing.assert_allclose(params, loss_grad.center, atol=1e-8)


def test_gd_auto_step_after_a_jump_is_the_safe_step_scaled():
    loss_grad = QuadraticLoss(np.diag([4.0, 1.0]), np.array([1.0, 1.0]))
    solver, params = GD(), np.zeros(2)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(3):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    # Not where the last step ended (the training loop went back to its best
    # parameters, or partial_fit brought a new chunk): s / L, on the grid.
    elsewhere = np.zeros(2)
    new_params, _, _ = solver.step(elsewhere, loss_grad, state, 0.2)
    assert _is_safe_step(_step_size(elsewhere, new_params, loss_grad), 0.2 / 4.0)


def _step_size(params, new_params, loss_grad):
    """The eta of a gradient step from ``params`` to ``new_params``."""
    gradient = loss_grad(params)[1]
    step_size = (params - new_params) @ gradient / (gradient @ gradient)
    np.testing.assert_allclose(new_params, params - step_size * gradient)
    return step_size


def _on_step_grid(step_size):
    """Whether ``step_size`` is a power of 2**(1/4), as GD's "auto" steps are."""
    # Up to the rounding of a step recovered from a difference of parameters.
    exponent = 4.0 * np.log2(step_size)
    return abs(exponent - round(exponent)) < 1e-4


def _is_safe_step(step_size, bound):
    """Whether ``step_size`` is the largest power of 2**(1/4) up to ``bound``."""
    return _on_step_grid(step_size) and step_size <= bound < 2**0.25 * step_size


def test_gd_with_a_learning_rate_takes_that_step_scaled():
    loss_grad = QuadraticLoss(np.diag([4.0, 1.0]), np.array([1.0, 1.0]))
    solver, params = GD(learning_rate=0.3), np.zeros(2)
    state = solver.init(params, loss_grad.lipschitz)
    for lr_scale in (1.0, 1.0, 0.2):
        gradient = loss_grad(params)[1]
        new_params, _, state = solver.step(params, loss_grad, state, lr_scale)
        np.testing.assert_allclose(new_params, params - lr_scale * 0.3 * gradient)
        params = new_params
    assert solver.nonmonotone_memory == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_a_full_batch_fit_stopped_short_keeps_its_best_point_with_its_loss(solver):
    # gd's steps may end above where they started: a fit that max_iter stops
    # keeps the best point a step ended at, and reports that point's loss.
    X, y = make_classification(300, 10, n_informative=5, random_state=0)
    clf = BernoulliClassifier(solver=solver, alpha=0.0, max_iter=6).fit(X, y)
    assert clf.loss_ == pytest.approx(log_loss(y, clf.predict_proba(X)), rel=1e-9)
    # The first step descends (the safe step, or a line search's).
    assert clf.loss_ <= min(clf.loss_curve_)


def test_lbfgs_needs_as_few_iterations_as_scipy():
    # A quadratic in 20 dimensions with condition number 100: both methods
    # reach the minimum in a few dozen steps, a run too short for rounding
    # (which differs between BLAS kernels) to move the count by more than a
    # step or two. Long runs on worse conditioning would amplify it.
    rng = np.random.default_rng(0)
    mixing = np.linalg.qr(rng.normal(size=(20, 20)))[0]
    matrix = mixing @ np.diag(np.logspace(0, 2, 20)) @ mixing.T
    loss_grad = QuadraticLoss(matrix, rng.normal(size=20))
    distances = []
    minimize(
        loss_grad,
        np.zeros(20),
        jac=True,
        method="L-BFGS-B",
        options={"maxcor": 10, "gtol": 1e-14, "ftol": 0.0, "maxiter": 1000},
        callback=lambda x: distances.append(np.max(np.abs(x - loss_grad.center))),
    )
    scipy_steps = 1 + next(i for i, d in enumerate(distances) if d < 1e-8)
    ours = _steps_to_reach(
        LBFGS(gtol=0.0), loss_grad, np.zeros(20), loss_grad.center, 1000
    )
    # Line searches differ (SciPy's also enforces the curvature condition).
    assert ours is not None and ours <= 1.25 * scipy_steps + 3


def test_lbfgs_step_follows_the_protocol():
    loss_grad = QuadraticLoss(np.diag([4.0, 1.0]), np.array([1.0, 1.0]))
    solver, params = LBFGS(), np.zeros(2)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(3):
        before = params.copy()
        new_params, loss, state = solver.step(params, loss_grad, state, 1.0)
        np.testing.assert_array_equal(params, before)  # not modified in place
        assert new_params is not params
        assert loss == loss_grad.loss(params)  # the loss where the step started
        assert loss_grad.loss(new_params) < loss
        params = new_params
    assert isinstance(state, LBFGSState) and len(state.param_changes) == 3


def test_lbfgs_first_step_is_a_gradient_step_of_one_over_lipschitz():
    loss_grad = QuadraticLoss(np.diag([4.0, 1.0]), np.array([1.0, 1.0]))
    solver, params = LBFGS(), np.zeros(2)
    state = solver.init(params, loss_grad.lipschitz)
    new_params, _, _ = solver.step(params, loss_grad, state, 1.0)
    gradient = loss_grad(params)[1]
    np.testing.assert_allclose(new_params, params - gradient / 4.0)


def test_lbfgs_step_costs_one_evaluation_once_it_takes_unit_steps():
    loss_grad = QuadraticLoss(ILL_CONDITIONED.matrix, ILL_CONDITIONED.center)
    solver, params = LBFGS(), np.zeros(3)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(3):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    loss_grad.points.clear()
    params, _, state = solver.step(params, loss_grad, state, 1.0)
    # One evaluation, at the accepted point, which the next step reuses.
    assert len(loss_grad.points) == 1
    np.testing.assert_array_equal(loss_grad.points[0], params)


def test_lbfgs_stays_put_at_no_cost_once_the_gradient_is_below_gtol():
    loss_grad = QuadraticLoss(ILL_CONDITIONED.matrix, ILL_CONDITIONED.center)
    solver, params = LBFGS(gtol=1e-8), np.zeros(3)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(100):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    gradient = loss_grad(params)[1]
    assert 0.0 < np.abs(gradient).max() <= 1e-8
    loss_grad.points.clear()
    for _ in range(3):
        new_params, _, state = solver.step(params, loss_grad, state, 1.0)
        assert new_params is params
    assert loss_grad.points == []
    # Without the tolerance, the iteration goes on refining.
    moved = LBFGS(gtol=0.0).step(params, loss_grad, state, 1.0)[0]
    assert moved is not params


def test_lbfgs_scales_only_steps_that_do_not_continue_the_last():
    loss_grad = QuadraticLoss(ILL_CONDITIONED.matrix, ILL_CONDITIONED.center)
    solver, params = LBFGS(), np.zeros(3)
    state = solver.init(params, loss_grad.lipschitz)
    for _ in range(2):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    unscaled = solver.step(params, loss_grad, state, 1.0)[0]
    # Continuing from the array the last step returned: the unit step.
    np.testing.assert_array_equal(
        solver.step(params, loss_grad, state, 0.2)[0], unscaled
    )
    # From a copy (partial_fit's next chunk), evaluated afresh and scaled.
    loss_grad.points.clear()
    scaled = solver.step(params.copy(), loss_grad, state, 0.2)[0]
    np.testing.assert_array_equal(loss_grad.points[0], params)
    np.testing.assert_allclose(scaled, params + 0.2 * (unscaled - params))


def test_lbfgs_skips_a_pair_of_negative_curvature():
    solver, params = LBFGS(), np.array([0.3])
    state = solver.init(params, None)
    params, _, state = solver.step(params, DoubleWell(), state, 1.0)
    assert state.param_changes == ()  # the step crossed the concave region
    for _ in range(30):
        params, _, state = solver.step(params, DoubleWell(), state, 1.0)
    np.testing.assert_allclose(params, [np.sqrt(2.0)], rtol=1e-10)


def test_lbfgs_falls_back_to_the_gradient_when_the_direction_ascends():
    loss_grad = QuadraticLoss(np.eye(2), np.zeros(2))
    params = np.array([1.0, 0.5])
    # A pair no convex loss could give (its curvature is negative) turns
    # -H g uphill: the step must go downhill along -g and forget the pair.
    state = LBFGSState(
        param_changes=(np.array([1.0, 0.0]),), grad_changes=(-np.array([1.0, 0.0]),)
    )
    new_params, loss, state = LBFGS().step(params, loss_grad, state, 1.0)
    assert loss_grad.loss(new_params) < loss
    assert len(state.param_changes) == 1
    assert state.param_changes[0] @ state.grad_changes[0] > 0


# -- Newton ------------------------------------------------------------------


def test_newton_solves_a_quadratic_in_one_step():
    loss_grad = QuadraticLoss(ILL_CONDITIONED.matrix, ILL_CONDITIONED.center)
    solver, params = Newton(), np.zeros(3)
    state = solver.init(params, None)
    new_params, loss, state = solver.step(params, loss_grad, state, 1.0)
    np.testing.assert_allclose(new_params, ILL_CONDITIONED.center, rtol=1e-14)
    assert loss == loss_grad.loss(params)
    # The accepted point's evaluation is reused; there the gradient is zero.
    loss_grad.points.clear()
    assert solver.step(new_params, loss_grad, state, 1.0)[0] is new_params
    assert loss_grad.points == []


def test_newton_reaches_the_rosenbrock_minimum_descending_every_step():
    # The Hessian is indefinite at the start: the step must still descend.
    loss_grad = Rosenbrock()
    assert np.linalg.eigvalsh(loss_grad.hessian([-0.5, 1.0]))[0] < 0
    # The steps that the damping shortened converge linearly at its rate,
    # down to where the loss (5e-21 at 1e-10 from the minimum) stops telling
    # one step from the next.
    solver, params = Newton(), np.array([-0.5, 1.0])
    state, n_steps = solver.init(params, None), 0
    while np.max(np.abs(params - 1.0)) > 1e-9 and n_steps < 40:
        previous = loss_grad.loss(params)
        params, _, state = solver.step(params, loss_grad, state, 1.0)
        assert loss_grad.loss(params) < previous or np.all(params == [1.0, 1.0])
        n_steps += 1
    np.testing.assert_allclose(params, [1.0, 1.0], rtol=1e-9)


def test_newton_descends_where_the_loss_is_concave():
    solver, params = Newton(), np.array([0.1])
    state = solver.init(params, None)
    assert DoubleWell().hessian(params)[0, 0] < 0  # plain Newton would go up
    for _ in range(30):
        params, _, state = solver.step(params, DoubleWell(), state, 1.0)
    np.testing.assert_allclose(params, [np.sqrt(2.0)], rtol=1e-12)


def test_newton_does_not_move_along_directions_without_curvature():
    # A singular Hessian, like the unpenalized softmax's: the loss does not
    # change along [1, 1, 1], and the gradient has no component along it.
    basis = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, -2.0]])
    matrix = basis.T @ np.diag([5.0, 0.01]) @ basis
    loss_grad = QuadraticLoss(matrix, np.array([1.0, -2.0, 0.5]))
    solver, start = Newton(), np.array([3.0, 0.0, -1.0])
    params, state = start, solver.init(start, None)
    for _ in range(5):
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    assert np.abs(loss_grad(params)[1]).max() < 1e-12
    assert abs(np.sum(params - start)) < 1e-12


def test_newton_stays_put_at_no_cost_once_the_gradient_is_below_gtol():
    loss_grad = Rosenbrock()
    solver, params = Newton(gtol=1e-6), np.array([-1.2, 1.0])
    state = solver.init(params, None)
    while np.abs(loss_grad(params)[1]).max() > 1e-6:
        params, _, state = solver.step(params, loss_grad, state, 1.0)
    calls = []
    counting = QuadraticLoss(np.eye(2), np.zeros(2))
    counting.hessian = lambda p: calls.append(p) or np.eye(2)
    for _ in range(3):
        new_params, _, state = solver.step(params, counting, state, 1.0)
        assert new_params is params
    assert counting.points == [] and calls == []


def test_newton_scales_only_steps_that_do_not_continue_the_last():
    loss_grad = QuadraticLoss(np.diag([4.0, 1.0]), np.array([1.0, 1.0]))
    solver, params = Newton(), np.zeros(2)
    scaled = solver.step(params, loss_grad, solver.init(params, None), 0.2)[0]
    np.testing.assert_allclose(scaled, 0.2 * loss_grad.center)


def test_newton_refuses_a_loss_without_hessian():
    def loss_grad(params):
        return Rosenbrock()(params)

    solver, params = Newton(), np.zeros(2)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        solver.step(params, loss_grad, solver.init(params, None), 1.0)


class SignGD(Solver):
    """A user's solver: steps against the sign of the gradient."""

    def __init__(self, learning_rate=0.05, batch_size="auto"):
        self.learning_rate = learning_rate
        self.batch_size = batch_size

    def init(self, params, lipschitz):
        return 0

    def step(self, params, loss_grad, state, lr_scale):
        loss, grad = loss_grad(params)
        return params - self.learning_rate * lr_scale * np.sign(grad), loss, state + 1


def _binary_data():
    return make_classification(300, 5, n_informative=3, random_state=0)


def test_a_custom_solver_fits_an_estimator():
    X, y = _binary_data()
    clf = BernoulliClassifier(solver=SignGD(), alpha=1e-2, random_state=0).fit(X, y)
    reference = BernoulliClassifier(solver="gd", alpha=1e-2).fit(X, y)
    assert clf.score(X, y) >= reference.score(X, y) - 0.03
    assert clf.loss_ < 1.05 * reference.loss_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_solver_objects_clone_and_tune_in_grid_search():
    X, y = _binary_data()
    estimator = BernoulliClassifier(solver=SGD(), max_iter=50, random_state=0)
    cloned = clone(estimator)
    assert cloned.solver is not estimator.solver
    assert cloned.get_params()["solver__learning_rate"] == "auto"
    search = GridSearchCV(
        estimator,
        {"solver": [SGD(), Adam(), SignGD()], "solver__learning_rate": [0.01, 0.1]},
        cv=3,
        scoring="neg_log_loss",
    ).fit(X, y)
    assert search.best_params_["solver__learning_rate"] in (0.01, 0.1)
    assert len(search.cv_results_["params"]) == 6
    # The estimator given to the search was not modified.
    assert estimator.solver.learning_rate == "auto"


def test_named_solver_objects_validate_their_parameters():
    X, y = _binary_data()
    with pytest.raises(ValueError, match="momentum"):
        BernoulliClassifier(solver=Momentum(momentum=1.5)).fit(X, y)
    with pytest.raises(ValueError, match="memory"):
        BernoulliClassifier(solver=LBFGS(memory=0)).fit(X, y)


# Adam on this small full batch may need more than max_iter epochs; the
# warning about the flat settings is under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_flat_settings_next_to_a_solver_object_warn():
    X, y = _binary_data()
    clf = BernoulliClassifier(solver=Adam(), learning_rate=0.5, momentum=0.5)
    with pytest.warns(SolverParameterWarning) as record:
        clf.fit(X, y)
    message = str(record[0].message)
    assert message.startswith(
        "BernoulliClassifier(learning_rate=0.5, momentum=0.5) are ignored: "
        "solver=Adam() is a solver object"
    )
    assert "solver=Adam(learning_rate=0.5)" in message
    assert "Adam takes no momentum" in message
    # The warning points at the user's call, for fit as for partial_fit.
    assert record[0].filename == __file__
    with pytest.warns(SolverParameterWarning, match="batch_size=10") as record:
        BernoulliClassifier(solver=SignGD(), batch_size=10).partial_fit(
            X, y, classes=[0, 1]
        )
    assert record[0].filename == __file__


def test_grid_over_a_flat_setting_with_a_solver_object_warns():
    # The issue this guards against: identical scores, and no word why.
    X, y = _binary_data()
    search = GridSearchCV(
        BernoulliClassifier(solver=SGD(), max_iter=5),
        {"learning_rate": [0.01, 0.1]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(SolverParameterWarning) as record:
            search.fit(X, y)
    messages = {str(warning.message) for warning in record}
    for value in ("0.01", "0.1"):
        assert any(f"(learning_rate={value}) is ignored" in m for m in messages)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        # The defaults, given explicitly, are no conflict.
        {"learning_rate": "auto", "momentum": 0.9, "epsilon": 1e-8},
        # Settings for another step of the recipe are no conflict either.
        {"alpha": 0.1, "max_iter": 50, "tol": 1e-4},
    ],
    ids=["none", "defaults", "not-solver-settings"],
)
def test_no_warning_without_a_conflict(settings):
    X, y = _binary_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverParameterWarning)
        BernoulliClassifier(solver=LBFGS(), **settings).fit(X, y)
        # The rule is about solver objects: a named solver is built from the
        # flat settings (and make_solver drops those it takes no part in).
        BernoulliClassifier(solver="lbfgs", learning_rate=0.5).fit(X, y)


def test_named_solver_moves_on_to_a_tol_tighter_than_its_own():
    """L-BFGS stops moving at gtol=1e-8: at tol=1e-10 it would stall above it.

    Newton's gtol is lowered alike, but its last, quadratic step lands far
    below any tol here, so no fit can tell; L-BFGS's does.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = BernoulliClassifier(solver="lbfgs", tol=1e-10, alpha=1e-2).fit(X, y)
    assert clf.n_iter_ < clf.max_iter
