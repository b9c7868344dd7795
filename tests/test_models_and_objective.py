"""Step 2 (the model) and the objective that joins it to the distribution."""

import numpy as np
import pytest
import scipy.sparse as sp
from _random_targets import DISTRIBUTIONS
from statsmodels.tools.numdiff import approx_fprime

from skprob import GaussianRegressor
from skprob._training import (
    LR_DECAY,
    BatchObjective,
    Objective,
    StoppingRule,
    TrainingState,
    mini_batches,
)
from skprob._training.epoch import check_worse_than_start
from skprob._training.stopping import (
    FIRST_IMPROVEMENT,
    HELD_OUT_TOL,
    PATIENCE_STEPS,
    exact_loss_rule,
    held_out_rule,
)
from skprob.distributions import Bernoulli, HeteroscedasticNormal, Normal
from skprob.models import MLP, LinearModel, _linalg
from skprob.solvers import GD


def _random_problem(name, sparse, rng):
    """A penalized linear objective on 12 random rows, and a random point."""
    distribution, make_y = DISTRIBUTIONS[name]
    n_samples, n_features = 12, 4
    X = rng.normal(size=(n_samples, n_features))
    if sparse:
        X[X < 0] = 0.0
        X = sp.csr_array(X)
    y = make_y(rng, n_samples)
    weight = rng.uniform(0, 2, n_samples)
    weight /= weight.sum()
    model = LinearModel().build(n_features, distribution.n_raw)
    objective = Objective(distribution, model, alpha=0.3)
    params = rng.normal(scale=0.5, size=model.n_params)
    return objective, X, y, weight, params


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_objective_gradient_matches_finite_differences(name, sparse, rng):
    objective, X, y, weight, params = _random_problem(name, sparse, rng)
    loss, grad, _ = objective.loss_gradient(params, X, y, weight)
    numeric = approx_fprime(
        params, lambda p: objective.loss(p, X, y, weight), centered=True
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(objective.loss(params, X, y, weight))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_objective_hessian_matches_finite_differences(name, sparse, rng):
    objective, X, y, weight, params = _random_problem(name, sparse, rng)
    batch = BatchObjective(objective, X, y, weight, lipschitz=None)
    hessian = batch.hessian(params)
    numeric = approx_fprime(params, lambda p: batch(p)[1], centered=True)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12, atol=1e-15)


# Each shape takes one way of summing the blocks (see _weighted_gram_blocks).
GRAM_CASES = {
    "_paired_grams": (3, 2, "signed", False),
    "_product_grams": (12, 2, "signed", False),
    "_root_weighted_gram": (3, 1, "nonnegative", False),
    "_sparse_grams": (3, 2, "signed", True),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("path", GRAM_CASES)
def test_linear_model_hessian_is_a_sum_of_kronecker_products(
    path, dtype, monkeypatch, rng
):
    n_features, n_outputs, signs, sparse = GRAM_CASES[path]
    # Chunks of four rows, the last one partial.
    monkeypatch.setattr(_linalg, "_GRAM_CHUNK_ROWS", 4)
    n_pairs = (n_features + 1) * (n_features + 2) // 2
    monkeypatch.setattr(_linalg, "_PAIRS_CHUNK_ELEMENTS", 4 * n_pairs)
    calls = []
    summing = getattr(_linalg, path)
    monkeypatch.setattr(
        _linalg, path, lambda *args: calls.append(path) or summing(*args)
    )
    n_samples = 9
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    if sparse:
        X[X < 0] = 0.0
    blocks = rng.normal(size=(n_samples, n_outputs, n_outputs))
    blocks = (blocks + blocks.transpose(0, 2, 1)).astype(dtype)
    if signs == "nonnegative":
        blocks = np.abs(blocks)
    model = LinearModel().build(n_features, n_outputs)
    Xa = np.column_stack([X, np.ones(n_samples)]).astype(np.float64)
    expected = sum(
        np.kron(np.outer(row, row), block)
        for row, block in zip(Xa, blocks.astype(np.float64), strict=True)
    )
    X = sp.csr_array(X) if sparse else X
    hessian = model.hessian(np.zeros(model.n_params), X, blocks)
    assert calls == [path]
    atol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(hessian, expected, atol=atol)


def test_a_network_offers_no_hessian(rng):
    model = MLP((4,)).build(3, 1)
    objective = Objective(Bernoulli(), model, alpha=0.0)
    X, y = rng.normal(size=(5, 3)), np.array([0.0, 1, 0, 1, 1])
    assert BatchObjective(objective, X, y, np.full(5, 0.2), None).hessian is None
    linear = Objective(Bernoulli(), LinearModel().build(3, 1), alpha=0.0)
    assert BatchObjective(linear, X, y, np.full(5, 0.2), None).hessian is not None


def test_penalty_spares_the_intercepts():
    model = LinearModel().build(3, 2)
    objective = Objective(Normal(), model, alpha=2.0)
    params = np.arange(model.n_params, dtype=float)
    coef, intercept = model.unpack(params)
    penalty, grad = objective.penalty(params)
    assert penalty == pytest.approx(np.sum(coef**2))
    np.testing.assert_array_equal(model.unpack(grad)[1], 0.0)
    np.testing.assert_allclose(model.unpack(grad)[0], 2.0 * coef)


def test_unpack_returns_views_in_documented_layout():
    model = LinearModel().build(2, 3)
    params = np.zeros(model.n_params)
    coef, intercept = model.unpack(params)
    coef[1, 2], intercept[0] = 5.0, 7.0
    assert params[1 * 3 + 2] == 5.0 and params[6] == 7.0
    np.testing.assert_array_equal(model.penalty_mask, [1] * 6 + [0] * 3)


@pytest.mark.parametrize("batch_size", [1, 10, 50])
def test_curvature_bounds_the_hessian_of_a_batch(batch_size, rng):
    n_samples, n_features = 50, 5
    X = rng.normal(size=(n_samples, n_features)) * [1, 2, 3, 0.5, 1]
    weight = np.ones(n_samples)
    model = LinearModel().build(n_features, 1)
    estimate = model.curvature(X, weight, batch_size)
    Xa = np.column_stack([X, np.ones(n_samples)])
    full = np.linalg.eigvalsh(Xa.T @ Xa / n_samples)[-1]
    assert estimate >= full * (1 - 1e-6)
    if batch_size == n_samples:
        assert estimate == pytest.approx(full, rel=1e-6)
    else:
        worst_batch = max(
            np.linalg.eigvalsh(Xa[rows].T @ Xa[rows] / batch_size)[-1]
            for rows in np.array_split(
                rng.permutation(n_samples), n_samples // batch_size
            )
        )
        assert estimate >= 0.5 * worst_batch


def test_curvature_is_the_top_eigenvalue_when_the_two_largest_are_close(rng):
    """No power iteration short of the eigenvalue: a step is never too long.

    Orthogonal centred columns whose squares average 1 and 1.0001: the
    Gram matrix of ``[X, 1]`` has eigenvalues 1 (the intercept), 1 and
    1.0001, which 20 steps of power iteration from a constant start
    underestimate by 7e-5 (relative).
    """
    n_samples = 1000
    basis = np.linalg.qr(
        np.column_stack([np.ones(n_samples), rng.normal(size=(n_samples, 2))])
    )[0]
    X = basis[:, 1:] * np.sqrt(n_samples) * np.sqrt([1.0, 1.0001])
    model = LinearModel().build(2, 1)
    estimate = model.curvature(X, np.ones(n_samples), n_samples)
    assert estimate == pytest.approx(1.0001, rel=1e-12)


def test_curvature_of_weighted_rows_equals_curvature_of_repeated_rows(rng):
    X = rng.normal(size=(6, 3))
    weight = np.array([1.0, 0.0, 3.0, 2.0, 1.0, 0.0])
    repeated = np.repeat(X, weight.astype(int), axis=0)
    model = LinearModel().build(3, 1)
    np.testing.assert_allclose(
        model.curvature(X, weight, 6),
        model.curvature(repeated, np.ones(len(repeated)), len(repeated)),
    )


@pytest.mark.parametrize("shuffled", [False, True], ids=["in order", "shuffled"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_mini_batch_losses_of_an_epoch_add_up_to_the_full_objective(
    sparse, shuffled, rng
):
    """The module's convention: weights w_i / (mean(w) |B|), batches weighted
    |B| / n, the last, shorter batch included, add up to the objective."""
    n_samples, batch_size = 23, 5  # four batches of 5, and one of 3
    X = rng.normal(size=(n_samples, 2))
    if sparse:
        X[X < 0] = 0.0
        X = sp.csr_array(X)
    y = rng.normal(size=n_samples)
    sample_weight = rng.uniform(0.5, 3.0, n_samples)
    model = LinearModel().build(2, 2)
    objective = Objective(HeteroscedasticNormal(), model, alpha=0.3)
    params = rng.normal(scale=0.5, size=model.n_params)
    full = objective.loss(params, X, y, sample_weight / sample_weight.sum())
    order = rng.permutation(n_samples) if shuffled else None
    total, sizes, rows_seen = 0.0, [], []
    for X_batch, y_batch, weight in mini_batches(
        X, y, sample_weight, batch_size, order
    ):
        # The batch's rows are those of its weights (y identifies them).
        rows = [int(np.flatnonzero(y == value)[0]) for value in y_batch]
        np.testing.assert_allclose(
            weight * sample_weight.mean() * len(rows), sample_weight[rows]
        )
        dense_batch = X_batch.toarray() if sparse else X_batch
        expected_X = X[rows].toarray() if sparse else X[rows]
        np.testing.assert_array_equal(dense_batch, expected_X)
        batch = BatchObjective(objective, X_batch, y_batch, weight, lipschitz=None)
        total += batch.loss(params) * len(weight) / n_samples
        sizes.append(len(weight))
        rows_seen += rows
    assert sizes == [5, 5, 5, 5, 3]
    assert sorted(rows_seen) == list(range(n_samples))
    if shuffled:
        assert rows_seen == order.tolist()
    assert total == pytest.approx(full, rel=1e-12)


# -- the stopping rule, as its docstring states it ----------------------------


def _answers(rule, losses, lr_scale=1.0):
    """The rule's answer to each epoch, decaying the step as the loop does."""
    answers = []
    for loss in losses:
        answer = rule.update(loss, lr_scale)
        if answer == "decay":
            lr_scale /= LR_DECAY
        answers.append(answer)
    return answers


def test_stopping_rule_decays_after_a_plateau_of_n_iter_no_change():
    rule = StoppingRule(tol=0.1, n_iter_no_change=3)
    # 1.0 is the best; 0.95 improves it by less than tol: three bad epochs.
    answers = _answers(rule, [1.0, 0.95, 0.99, 0.97])
    assert answers == ["continue", "continue", "continue", "decay"]


def test_stopping_rule_stops_when_a_decay_brought_no_improvement():
    rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    answers = _answers(rule, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5])
    # Decay at the first plateau; 0.5 improves after it, so the second
    # plateau decays again; the third follows a decay that found nothing.
    assert answers == [
        "continue",
        "continue",
        "decay",
        "continue",
        "continue",
        "decay",
        "continue",
        "stop",
    ]


def test_stopping_rule_stops_once_the_step_would_fall_below_its_floor():
    rule = StoppingRule(tol=0.0, n_iter_no_change=1, min_lr_scale=0.1)
    assert rule.update(1.0, 1.0) == "continue"
    assert rule.update(1.0, 1.0) == "decay"  # 1 / 5 >= 0.1
    assert rule.update(0.5, 0.2) == "continue"
    assert rule.update(0.5, 0.2) == "stop"  # 0.2 / 5 < 0.1


def test_patience_ignores_a_slow_start_until_the_first_improvement():
    # The held-out NLL starts at 1.0 and rises for 5 epochs before it falls:
    # a plain rule decays at the third epoch without improvement.
    slow_start = [1.01, 1.02, 1.03, 1.02, 1.01, 0.9, 0.8, 0.8, 0.8, 0.8]
    plain = StoppingRule(tol=1e-6, n_iter_no_change=3, start=1.0)
    assert _answers(plain, slow_start)[3] == "decay"
    rule = StoppingRule(
        tol=1e-6, n_iter_no_change=3, start=1.0, patience=20, first_improvement=0.05
    )
    answers = _answers(rule, slow_start)
    # Past the first improvement on the start (0.9), plateaus count again.
    assert answers == ["continue"] * 9 + ["decay"]


def test_patience_needs_a_meaningful_improvement_and_runs_out():
    # 0.99 improves on the start by less than first_improvement: still waiting.
    rule = StoppingRule(
        tol=1e-6, n_iter_no_change=2, start=1.0, patience=4, first_improvement=0.05
    )
    answers = _answers(rule, [0.99, 1.0, 1.0, 1.0, 1.0, 1.0])
    # Epochs 1-4 wait; then the plateau counts: 0.99 is the best to beat.
    assert answers == ["continue"] * 5 + ["decay"]


@pytest.mark.parametrize("steps_per_epoch", [1, 7, PATIENCE_STEPS, 10**6])
def test_held_out_rule_waits_a_number_of_steps(steps_per_epoch):
    rule = held_out_rule(1e-7, 10, 0.5, steps_per_epoch)
    assert rule.patience == -(-PATIENCE_STEPS // steps_per_epoch)
    assert rule.patience * steps_per_epoch >= PATIENCE_STEPS
    assert rule.first_improvement == FIRST_IMPROVEMENT and rule.start == 0.5


def test_held_out_rule_counts_no_gain_below_its_tolerance():
    """A held-out NLL creeping down by 2e-5 nats per epoch is a plateau.

    A fifth of scikit-learn's tol, 1e-4, and twenty times the default
    ``10 * tol``: past the first improvement, as a fit that would otherwise
    run to max_iter for gains far below the noise of its held-out rows.
    """
    assert HELD_OUT_TOL == 1e-4
    rule = held_out_rule(1e-7, 3, 1.0, 1)
    creeping = [0.9 - 2e-5 * epoch for epoch in range(5)]
    assert _answers(rule, creeping) == ["continue"] * 3 + ["decay", "continue"]
    # A user's tol above it counts instead.
    assert held_out_rule(1e-3, 3, 1.0, 1).tol == 1e-2


def test_the_early_stopping_docstring_states_the_patience():
    doc = " ".join(GaussianRegressor.__doc__.split())
    assert f"first falls {FIRST_IMPROVEMENT:g} nats per row below its start" in doc
    assert f"for up to {PATIENCE_STEPS} steps of the solver" in doc


def test_exact_loss_rule_decays_an_oscillation_that_keeps_finding_bests():
    # A new best every other epoch never plateaus, but rises every other one.
    losses = [1.0, 1.2, 0.9, 1.1, 0.8, 1.0, 0.7]
    plain = StoppingRule(tol=0.0, n_iter_no_change=3)
    assert "decay" not in _answers(plain, losses)
    rule = StoppingRule(tol=0.0, n_iter_no_change=3, count_rises=True)
    assert _answers(rule, losses)[5] == "decay"  # the third rise


# -- the divergence check where a fit ends -------------------------------------


class _Losses:
    """A full-batch objective whose loss at each point is given."""

    def __init__(self, losses):
        self.losses = losses

    def loss(self, params):
        return self.losses[float(params[0])]


@pytest.mark.parametrize("kept_loss, diverged", [(0.5, False), (10.0, True)])
def test_a_kept_epoch_whose_step_recovered_from_a_jolt_is_no_divergence(
    kept_loss, diverged
):
    # The kept epoch's loss (taken where its step started) is far above the
    # start's; the loss at the parameters kept decides.
    start, kept = np.array([0.0]), np.array([1.0])
    full = _Losses({0.0: 0.1, 1.0: kept_loss})
    training = TrainingState(start, None, loss_curve=[0.1, 3.0], best_loss=3.0)
    if diverged:
        with pytest.raises(ValueError, match="diverged"):
            check_worse_than_start(full, GD(), training, start, 0, kept)
    else:
        check_worse_than_start(full, GD(), training, start, 0, kept)


def test_exact_loss_rule_counts_only_rises_beyond_a_nonmonotone_memory():
    # Each rise stays below the largest of the last three values, as a
    # nonmonotone line search with that memory allows.
    losses = [1.0, 0.5, 0.9, 0.4, 0.8, 0.3, 0.7, 0.2]
    descent = exact_loss_rule(3)
    assert _answers(descent, losses)[6] == "decay"  # the third rise
    nonmonotone = exact_loss_rule(3, memory=3)
    assert "decay" not in _answers(nonmonotone, losses)
    # A divergence rises beyond any memory.
    assert _answers(exact_loss_rule(3, memory=3), [1.0, 2.0, 3.0, 4.0])[3] == "decay"
