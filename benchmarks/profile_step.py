"""Where the microseconds of one Adam step go: W1, batch 200, one thread.

Usage, from the repository root::

    python benchmarks/profile_step.py

Times each piece of a mini-batch step of ``BernoulliClassifier(solver="adam")``
on its own, linear and with ``hidden_layer_sizes=(64,)``, as the least CPU
time per call over repeated loops (``time.process_time``, which the load of
other jobs on a shared machine does not inflate as it does wall time):

- the gather of 200 shuffled rows of X into the batch buffer, on rows drawn
  afresh for each call, as an epoch draws them (memory latency: each row is
  a cache miss);
- the model's forward pass, the distribution's NLL and gradient, the
  model's backward pass, on one batch;
- Adam's update, given the gradient;
- the rest of the step: what the training loop's epoch costs per step
  beyond those pieces (the mini-batch generator, the batch objective, the
  bookkeeping of the loop), from a whole epoch minus their sum.

Prints a Markdown table, one row per piece, for the profile in
``docs/performance.md``.
"""

import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _harness  # noqa: E402
import numpy as np  # noqa: E402

from skprob import _training  # noqa: E402
from skprob.distributions import Bernoulli  # noqa: E402
from skprob.models import MLP, LinearModel  # noqa: E402
from skprob.solvers import Adam  # noqa: E402

BATCH_SIZE = 200


def least_seconds(function, number, repeat=7):
    """Least CPU seconds per call of ``function()`` over ``repeat`` loops."""
    loops = timeit.repeat(
        function, number=number, repeat=repeat, timer=time.process_time
    )
    return min(loops) / number


def step_pieces(X, y, hidden):
    """Seconds of each piece of a step, and of a whole epoch per step."""
    n_samples, n_features = X.shape
    model = MLP((64,)) if hidden else LinearModel()
    model.build(n_features, 1)
    params = model.init_params(np.zeros(1), np.random.RandomState(0))
    distribution = Bernoulli()
    objective = _training.Objective(distribution, model, 0.0)
    rng = np.random.default_rng(0)
    order = rng.permutation(n_samples)
    buffer = np.empty((BATCH_SIZE, n_features))
    starts = iter(range(0, 10**9, BATCH_SIZE))

    def gather():
        start = next(starts) % (n_samples - BATCH_SIZE)
        X.take(order[start : start + BATCH_SIZE], axis=0, out=buffer, mode="clip")

    X_batch, y_batch = X[order[:BATCH_SIZE]], y[order[:BATCH_SIZE]].astype(float)
    raw, cache = model.forward(params, X_batch)
    _, grad_raw = distribution.nll_gradient(y_batch, raw)
    grad = objective.loss_gradient(
        params, X_batch, y_batch, np.full(BATCH_SIZE, 0.005)
    )[1]
    adam = Adam()
    state = adam.init(params, None)

    def update():
        adam.step(params, lambda _: (0.0, grad), state, 1.0)

    pieces = {
        "gather": least_seconds(gather, 200),
        "forward": least_seconds(lambda: model.forward(params, X_batch), 500),
        "NLL and gradient": least_seconds(
            lambda: distribution.nll_gradient(y_batch, raw), 500
        ),
        "backward": least_seconds(lambda: model.backward(params, cache, grad_raw), 500),
        "Adam update": least_seconds(update, 500),
    }
    training = _training.TrainingState(
        params=params, solver_state=state, rng=np.random.RandomState(0)
    )
    weights = np.ones(n_samples)

    def epoch():
        _training.run_epoch(
            objective, adam, training, X, y, weights, training.rng, True
        )

    per_step = least_seconds(epoch, 1, repeat=5) / -(-n_samples // BATCH_SIZE)
    pieces["rest of the step (loop)"] = per_step - sum(pieces.values())
    pieces["whole step"] = per_step
    return pieces


def main():
    limiter = _harness.pin_threads()  # noqa: F841 - keeps the limit in force
    workload = _harness.w1()
    y = workload.y.astype(np.float64)
    columns = {
        model: step_pieces(workload.X, y, hidden)
        for model, hidden in (("linear", False), ("(64,)", True))
    }
    rows = [
        [piece] + [f"{columns[model][piece] * 1e6:.1f}" for model in columns]
        for piece in columns["linear"]
    ]
    header = ["piece of a step", "linear (us)", "(64,) (us)"]
    print(_harness.markdown_table(header, rows))


if __name__ == "__main__":
    main()
