"""The speed ratios that catch regressions, in one run, and their history.

Usage, from the repository root::

    python benchmarks/speed.py             # prints the ratios, appends a row
    python benchmarks/speed.py --no-history   # prints them only

Measures, on this machine, with BLAS pinned to one thread (threadpoolctl):

- **epoch / MLP**: an Adam epoch of skprob's ``BernoulliClassifier`` (batch
  200, ``alpha=0``), linear and with ``hidden_layer_sizes=(64,)``, against an
  epoch of scikit-learn's ``MLPClassifier`` with the same settings, on W1
  (200 000 x 50, binary). skprob's epoch is the training loop's, timed
  inside ``partial_fit`` calls without their input checks; the MLP's is a
  whole ``partial_fit`` call, each running one epoch (its input checks,
  about a tenth of the call, included: to its favour in the ratio).
- **epoch / floor**: the same skprob epoch against the NumPy floor, the
  least a Python loop of NumPy calls does for the same Adam epoch: a gather
  of the shuffled rows into a buffer, the products, the loss and its
  gradient from one ``exp``, the backward products and Adam's update, all in
  preallocated arrays (:func:`floor_epoch`).
- **fit / L-BFGS**: a fit at the defaults with ``alpha=0`` for every named
  solver, against scikit-learn's ``LogisticRegression(C=inf, tol=1e-10)``, on
  W1 and W2 (100 000 x 50, 10 classes), with the gap of each fit's NLL to
  the optimum and its warnings (none means the fit says it reached it).
- **partial_fit passes**: passes of ``partial_fit`` at the defaults over 10
  chunks until the held-out log loss is within 1% of ``fit``'s, and until
  the training objective is within 0.1% of ``fit``'s, on digits
  (standardized) and on W2.

The machine is shared: each comparison interleaves its contenders round by
round and keeps the fastest of the rounds, in CPU time of this process
(``time.process_time``), which the other jobs' load does not inflate as it
does wall time. The row appended to ``docs/speed_history.md`` records the
commit measured and the machine's load.
"""

import argparse
import datetime
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _harness  # noqa: E402
import numpy as np  # noqa: E402
from convergence import mean_nll, reference_nll  # noqa: E402
from epochs import timed_run_epochs  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skprob.solvers  # noqa: E402
from skprob import BernoulliClassifier, SoftmaxClassifier  # noqa: E402

HISTORY = ROOT / "docs" / "speed_history.md"
BATCH_SIZE = 200
HIDDEN = 64
LEARNING_RATE = 0.01
SOLVERS = skprob.solvers.SOLVERS
MAX_PASSES = 100
CHUNKS = 10
OBJECTIVE_GAP = 1e-3


def fastest(timers, rounds):
    """The least CPU seconds of each timer, its calls interleaved by round.

    ``timers`` maps a name to a function that runs once and returns the
    seconds to count (a timer may leave out its own set-up). A timer that
    took more than ``ONCE_FACTOR`` times the fastest in the first round runs
    once: repeats would not change its verdict, and would take most of the
    run (gd and newton on W2).
    """
    seconds = {name: [timer()] for name, timer in timers.items()}
    cap = ONCE_FACTOR * min(values[0] for values in seconds.values())
    repeated = {
        name: timer for name, timer in timers.items() if seconds[name][0] <= cap
    }
    for _ in range(rounds - 1):
        for name, timer in repeated.items():
            seconds[name].append(timer())
    return {name: min(values) for name, values in seconds.items()}


ONCE_FACTOR = 5.0


def cpu_seconds(function):
    """CPU seconds of one call of ``function()``, warnings muted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.process_time()
        function()
        return time.process_time() - start


def skprob_epoch_timer(X, y, hidden):
    """Seconds of the training loop's epoch in a ``partial_fit`` call."""
    layers = {"hidden_layer_sizes": (HIDDEN,)} if hidden else {}
    estimator = BernoulliClassifier(
        solver="adam", batch_size=BATCH_SIZE, alpha=0.0, random_state=0, **layers
    )
    estimator.partial_fit(X, y, classes=[0, 1])

    def timer():
        with timed_run_epochs(clock=time.process_time) as seconds:
            cpu_seconds(lambda: _harness.plain_partial_fit(estimator, X, y))
        return seconds[-1]

    return timer


def mlp_epoch_timer(X, y, hidden):
    """Seconds of a ``partial_fit`` call of scikit-learn's MLP: one epoch."""
    mlp = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,) if hidden else (),
        solver="adam",
        batch_size=BATCH_SIZE,
        learning_rate_init=LEARNING_RATE,
        alpha=0.0,
        shuffle=True,
        random_state=0,
    )
    mlp.partial_fit(X, y, classes=[0, 1])
    return lambda: cpu_seconds(lambda: mlp.partial_fit(X, y))


def floor_epoch(X, y, hidden, seed=0):
    """A function running the NumPy floor of one Adam epoch; returns seconds.

    Binary cross-entropy of a linear model or a ReLU network of one hidden
    layer, in float64, written as a tight loop of NumPy calls: every array
    preallocated, every operation in place where NumPy allows it.
    """
    rng = np.random.default_rng(seed)
    n_samples, n_features = X.shape
    shapes = [(n_features, HIDDEN), (HIDDEN, 1)] if hidden else [(n_features, 1)]
    params, grad, first, second, scratch = (
        np.zeros(sum((fan_in + 1) * fan_out for fan_in, fan_out in shapes))
        for _ in range(5)
    )
    layers, grad_layers = _layer_views(params, shapes), _layer_views(grad, shapes)
    if hidden:
        bound = np.sqrt(6.0 / n_features)
        layers[0][0][:] = rng.uniform(-bound, bound, size=layers[0][0].shape)
    buffers = _FloorBuffers(n_features, HIDDEN if hidden else 0)

    def epoch():
        start = time.process_time()
        order = rng.permutation(n_samples)
        y_shuffled = y[order].astype(np.float64)
        for batch_start in range(0, n_samples - BATCH_SIZE + 1, BATCH_SIZE):
            rows = slice(batch_start, batch_start + BATCH_SIZE)
            X.take(order[rows], axis=0, out=buffers.X, mode="clip")
            _floor_gradient(buffers, layers, grad_layers, y_shuffled[rows])
            _floor_adam(params, grad, first, second, scratch)
        return time.process_time() - start

    return epoch


def _layer_views(flat, shapes):
    views, start = [], 0
    for fan_in, fan_out in shapes:
        split = start + fan_in * fan_out
        views.append(
            (flat[start:split].reshape(fan_in, fan_out), flat[split:][:fan_out])
        )
        start = split + fan_out
    return views


class _FloorBuffers:
    def __init__(self, n_features, n_hidden):
        self.X = np.empty((BATCH_SIZE, n_features))
        self.hidden = np.empty((BATCH_SIZE, n_hidden)) if n_hidden else None
        self.raw = np.empty((BATCH_SIZE, 1))
        self.ones = np.ones(BATCH_SIZE)
        self.vectors = np.empty((4, BATCH_SIZE))


def _floor_gradient(buffers, layers, grad_layers, y):
    """Forward pass, mean binary cross-entropy and back-propagation."""
    inputs = buffers.X
    if buffers.hidden is not None:
        np.dot(inputs, layers[0][0], out=buffers.hidden)
        np.add(buffers.hidden, layers[0][1], out=buffers.hidden)
        inputs = np.maximum(buffers.hidden, 0.0, out=buffers.hidden)
    raw = np.dot(inputs, layers[-1][0], out=buffers.raw)
    np.add(raw, layers[-1][1], out=raw)
    # The loss log(1 + exp(m)) and its gradient -s sig(-s z) from one exp of
    # -|m|, m = s z the negative margin, s = 1 - 2y: as skprob's Bernoulli.
    sign, margin, shrink, delta = buffers.vectors
    np.multiply(y, -2.0, out=sign)
    np.add(sign, 1.0, out=sign)
    np.multiply(sign, raw[:, 0], out=margin)
    np.abs(margin, out=shrink)
    np.negative(shrink, out=shrink)
    np.exp(shrink, out=shrink)
    loss = np.maximum(margin, 0.0).sum() + np.log1p(shrink).sum()
    np.multiply(sign, np.where(margin >= 0.0, 1.0, shrink), out=delta)
    np.add(shrink, 1.0, out=shrink)
    np.divide(delta, shrink * BATCH_SIZE, out=delta)
    delta = delta[:, None]
    np.dot(inputs.T, delta, out=grad_layers[-1][0])
    np.dot(buffers.ones, delta, out=grad_layers[-1][1])
    if buffers.hidden is not None:
        hidden_delta = np.dot(delta, layers[-1][0].T)
        np.multiply(hidden_delta, inputs > 0.0, out=hidden_delta)
        np.dot(buffers.X.T, hidden_delta, out=grad_layers[0][0])
        np.dot(buffers.ones, hidden_delta, out=grad_layers[0][1])
    return loss


def _floor_adam(params, grad, first, second, scratch, step=1e-3):
    np.multiply(first, 0.9, out=first)
    np.add(first, grad, out=first)
    np.multiply(second, 0.999, out=second)
    np.multiply(grad, grad, out=scratch)
    np.add(second, scratch, out=second)
    np.sqrt(second, out=scratch)
    np.add(scratch, 1e-8, out=scratch)
    np.divide(first, scratch, out=scratch)
    np.multiply(scratch, step, out=scratch)
    np.subtract(params, scratch, out=params)


def epoch_ratios(workload, rounds):
    """Epoch seconds and ratios, linear and hidden, interleaved by round."""
    results = {}
    for hidden in (False, True):
        model = f"({HIDDEN},)" if hidden else "linear"
        seconds = fastest(
            {
                "skprob": skprob_epoch_timer(workload.X, workload.y, hidden),
                "mlp": mlp_epoch_timer(workload.X, workload.y, hidden),
                "floor": floor_epoch(workload.X, workload.y, hidden),
            },
            rounds,
        )
        results[model] = {
            **seconds,
            "vs_mlp": seconds["skprob"] / seconds["mlp"],
            "vs_floor": seconds["skprob"] / seconds["floor"],
        }
    return results


def fit_ratios(workload, rounds):
    """Default fits of every solver against LogisticRegression's L-BFGS."""
    estimator_class = (
        BernoulliClassifier if workload.task == "binary" else SoftmaxClassifier
    )
    reference = reference_nll(workload)
    fits = {}

    def fit_timer(name, make):
        def timer():
            start = time.process_time()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fitted = make().fit(workload.X, workload.y)
            seconds = time.process_time() - start
            fits[name] = (fitted, _harness.describe_warnings(caught) or "none")
            return seconds

        return timer

    timers = {
        "lbfgs (scikit-learn)": fit_timer(
            "lbfgs (scikit-learn)",
            lambda: LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000),
        )
    }
    for solver in SOLVERS:
        timers[solver] = fit_timer(
            solver,
            lambda solver=solver: estimator_class(
                solver=solver, alpha=0.0, random_state=0
            ),
        )
    seconds = fastest(timers, rounds)
    baseline = seconds["lbfgs (scikit-learn)"]
    results = {}
    for name, (fitted, caught) in fits.items():
        nll = mean_nll(fitted.predict_proba(workload.X), workload.y)
        results[name] = {
            "seconds": seconds[name],
            "ratio": seconds[name] / baseline,
            "gap": (nll - reference) / abs(reference),
            "warnings": caught,
        }
    return results


def training_objective(classifier, X, y):
    """The objective a classifier's fit minimizes: mean NLL plus the penalty."""
    nll = log_loss(y, classifier.predict_proba(X), labels=classifier.classes_)
    return nll + 0.5 * classifier.alpha * np.sum(classifier.coef_**2)


def partial_fit_passes(name, X_train, y_train, X_test, y_test):
    """Passes of ``partial_fit`` over chunks to ``fit``'s loss and objective.

    Both at the defaults (``SoftmaxClassifier``, ``random_state=0``):
    ``passes`` to a held-out log loss within 1% of ``fit``'s (``partial_fit``
    is that loss), ``objective_passes`` to a training objective within
    ``OBJECTIVE_GAP`` of ``fit``'s, each None if ``MAX_PASSES`` do not reach
    it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SoftmaxClassifier(random_state=0).fit(X_train, y_train)
    target = log_loss(y_test, fitted.predict_proba(X_test))
    optimum = training_objective(fitted, X_train, y_train)
    streaming = SoftmaxClassifier(random_state=0)
    classes = np.unique(y_train)
    chunks = np.array_split(np.arange(len(y_train)), CHUNKS)
    result = {"data": name, "fit": target, "partial_fit": np.nan}
    result.update(passes=None, objective_passes=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n_passes in range(1, MAX_PASSES + 1):
            for chunk in chunks:
                streaming.partial_fit(X_train[chunk], y_train[chunk], classes=classes)
            if result["passes"] is None:
                loss = log_loss(y_test, streaming.predict_proba(X_test))
                result["partial_fit"] = loss
                if loss <= 1.01 * target:
                    result["passes"] = n_passes
            objective = training_objective(streaming, X_train, y_train)
            if objective <= (1 + OBJECTIVE_GAP) * optimum:
                result["objective_passes"] = n_passes
                if result["passes"] is not None:
                    break
    return result


def streaming_data_sets():
    """Digits (standardized) and W2, each split into train and test parts."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    yield "digits", scaler.transform(X_train), y_train, scaler.transform(X_test), y_test
    w2 = _harness.w2()
    X_train, X_test, y_train, y_test = train_test_split(
        w2.X, w2.y, test_size=0.2, stratify=w2.y, random_state=0
    )
    yield "W2", X_train, y_train, X_test, y_test


def report(epochs, fits, streaming):
    """The run's tables, in Markdown."""
    lines = ["Adam epoch on W1, batch 200 (CPU seconds, fastest of the rounds):", ""]
    rows = [
        [
            model,
            f"{r['skprob']:.4f}",
            f"{r['mlp']:.4f}",
            f"{r['floor']:.4f}",
            f"{r['vs_mlp']:.2f}",
            f"{r['vs_floor']:.2f}",
        ]
        for model, r in epochs.items()
    ]
    header = ["model", "skprob", "MLP", "floor", "skprob / MLP", "skprob / floor"]
    lines += [_harness.markdown_table(header, rows), ""]
    lines += ["Default fits (alpha=0) / LogisticRegression(C=inf, tol=1e-10):", ""]
    rows = []
    for name in fits["W1"]:
        cells = [name]
        for workload in ("W1", "W2"):
            r = fits[workload][name]
            cells += [
                f"{r['seconds']:.3g} s",
                f"{r['ratio']:.2f}",
                f"{r['gap']:.0e}",
                r["warnings"],
            ]
        rows.append(cells)
    header = ["solver"] + [
        f"{w} {c}"
        for w in ("W1", "W2")
        for c in ("time", "ratio", "NLL gap", "warnings")
    ]
    lines += [_harness.markdown_table(header, rows), ""]
    lines += [
        "partial_fit passes (10 chunks) to within 1% of fit's held-out log loss,",
        f"and to within {OBJECTIVE_GAP:.1%} of fit's training objective:",
        "",
    ]
    rows = [
        [
            s["data"],
            f"{s['fit']:.4f}",
            f"{s['partial_fit']:.4f}",
            str(s["passes"]),
            str(s["objective_passes"]),
        ]
        for s in streaming
    ]
    header = ["data", "fit", "partial_fit", "passes", "passes to the objective"]
    lines += [_harness.markdown_table(header, rows)]
    return "\n".join(lines)


HISTORY_HEADER = [
    "date (UTC)",
    "commit",
    "load",
    "epoch / MLP: linear, (64,)",
    "epoch / floor: linear, (64,)",
    "fit / L-BFGS W1",
    "fit / L-BFGS W2",
    "partial_fit passes: digits, W2 (to the objective)",
]


def history_row(epochs, fits, streaming, load):
    def solver_ratios(workload):
        return ", ".join(
            f"{name} {r['ratio']:.2f}" + ("" if r["warnings"] == "none" else " (warns)")
            for name, r in fits[workload].items()
            if name in SOLVERS
        )

    return [
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        _harness._commit_of(skprob.solvers).strip(" ()").replace("commit ", ""),
        load,
        f"{epochs['linear']['vs_mlp']:.2f}, {epochs[f'({HIDDEN},)']['vs_mlp']:.2f}",
        f"{epochs['linear']['vs_floor']:.2f}, {epochs[f'({HIDDEN},)']['vs_floor']:.2f}",
        solver_ratios("W1"),
        solver_ratios("W2"),
        ", ".join(f"{s['passes']} ({s['objective_passes']})" for s in streaming),
    ]


def append_history(row):
    """Append ``row`` to the history table, creating the page if needed."""
    if not HISTORY.exists():
        HISTORY.write_text(
            HISTORY_PAGE + _harness.markdown_table(HISTORY_HEADER, []) + "\n"
        )
    with HISTORY.open("a") as page:
        page.write("| " + " | ".join(row) + " |\n")


HISTORY_PAGE = """# Speed history

One row per run of `benchmarks/speed.py` (its docstring has the method),
appended by the script: ratios of CPU times, BLAS pinned to one thread,
each comparison interleaved round by round and the fastest round kept, on a
machine of 2 cores shared with other jobs (the load column is the 1-minute
load average at the start of the run). A ratio that grows from one commit to
the next, by more than the spread of the rows around it, is a regression.

"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args(argv)
    limiter = _harness.pin_threads()  # noqa: F841 - keeps the limit in force
    load = f"{os.getloadavg()[0]:.1f}"
    w1, w2 = _harness.w1(), _harness.w2()
    epochs = epoch_ratios(w1, args.rounds)
    fits = {w.name: fit_ratios(w, args.rounds) for w in (w1, w2)}
    streaming = [partial_fit_passes(*data) for data in streaming_data_sets()]
    print(f"BLAS pinned to 1 thread; load average {load} at the start.\n")
    print(report(epochs, fits, streaming))
    if not args.no_history:
        append_history(history_row(epochs, fits, streaming, load))


if __name__ == "__main__":
    main()
