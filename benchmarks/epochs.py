"""Figures 1 and 2: seconds per Adam epoch (batch 200) and the NumPy floor.

An epoch is timed without the validation and initialization of a fit, as
the marginal cost of ``k`` more epochs (``k`` in the run's settings),
medians taken over repeats:

- skprob (``solver="adam"``, ``batch_size=200``, ``alpha=0``, and its
  ``learning_rate="auto"``, 0.01): the plain Adam epoch as the training loop
  runs it, timed inside ``partial_fit`` calls, which run one each: the
  loop's ``run_epoch`` alone, without the input checks that each call makes
  and ``fit`` makes once (median of ``k`` epochs after a first one, on each
  of the repeats). ``fit`` runs such epochs for a network; for a linear
  model it runs one, then variance-reduced epochs, whose marginal cost in
  ``fit`` (``T(max_iter=1 + k) - T(max_iter=1)``, over ``k``: the epoch and
  its full-batch snapshot) has a column of its own.
- scikit-learn's MLP (``alpha=0``, ``tol=0``, ``learning_rate_init=0.01``):
  an epoch of ``fit``, ``T(max_iter=1 + k) - T(max_iter=1)`` over the
  difference in ``n_iter_``.
- The PyTorch loop and the floor are timed one epoch at a time.

The floor is the matrix products one epoch needs on the same mini-batches:
forward ``X_B @ W`` and backward ``X_B.T @ G`` (and, with a hidden layer of 64,
the products of both layers), on rows gathered in a fresh random order each
epoch ("gather + products"; the target's reference), and on contiguous
slices of X ("products only").
"""

import contextlib
import statistics
import time
import warnings
from unittest import mock

import numpy as np
from _harness import (
    NO_MLP,
    fmt_ratio,
    fmt_seconds,
    has_hidden_layers,
    median_seconds,
    plain_partial_fit,
    torch,
)
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skprob import (
    BernoulliClassifier,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
    _training,
)

BATCH_SIZE = 200
HIDDEN = 64
LEARNING_RATE = 0.01

SKPROB_ESTIMATORS = {
    "binary": BernoulliClassifier,
    "multiclass": SoftmaxClassifier,
    "heteroscedastic": HeteroscedasticRegressor,
}


def n_outputs(workload):
    """Raw outputs per sample of skprob's model for this workload."""
    return {"binary": 1, "multiclass": 10, "heteroscedastic": 2}[workload.task]


def marginal_epoch_seconds(make_estimator, X, y, extra_epochs, repeats):
    """Marginal seconds of one epoch in ``fit``, by differencing two fits.

    The difference is divided by the difference in epochs actually run
    (``n_iter_``).
    """
    epochs = {}

    def fit(max_iter):
        estimator = make_estimator(max_iter).fit(X, y)
        epochs[max_iter] = estimator.n_iter_

    short = median_seconds(lambda: fit(1), repeats)
    long = median_seconds(lambda: fit(1 + extra_epochs), repeats)
    return _per_epoch(long - short, epochs[1 + extra_epochs] - epochs[1])


@contextlib.contextmanager
def timed_run_epochs(clock=time.perf_counter):
    """Collect the seconds of each run of the training loop's ``run_epoch``.

    Yields the list the seconds are appended to; only the epoch itself is
    timed, without the input checks of the call that runs it, by ``clock``
    (wall time by default).
    """
    seconds = []
    run_epoch = _training.run_epoch

    def timed_run_epoch(*args, **kwargs):
        start = clock()
        result = run_epoch(*args, **kwargs)
        seconds.append(clock() - start)
        return result

    with mock.patch.object(_training.epoch, "run_epoch", timed_run_epoch):
        yield seconds


def partial_fit_epoch_seconds(make_estimator, X, y, extra_epochs, repeats):
    """Median seconds of the training loop's epoch in ``partial_fit`` calls.

    Each call runs one epoch; the loop's ``run_epoch`` is timed on its own,
    without the input checks that each call makes (and ``fit`` makes once),
    over ``extra_epochs`` calls after a first one (left out, as a warm-up)
    on each of ``repeats`` fresh estimators.
    """
    with timed_run_epochs() as seconds:
        for _ in range(repeats):
            estimator = make_estimator()
            for _ in range(1 + extra_epochs):
                plain_partial_fit(estimator, X, y, **_classes(estimator, y))
            del seconds[-(1 + extra_epochs)]  # the warm-up call's
    return statistics.median(seconds)


def _classes(estimator, y):
    return {"classes": np.unique(y)} if is_classifier(estimator) else {}


def _per_epoch(seconds, epochs):
    if seconds <= 0:
        return "n/a (below timing noise)"
    return seconds / epochs


def _skprob_settings(workload, hidden):
    """The estimator class and settings of skprob's Adam epoch, or None."""
    estimator_class = SKPROB_ESTIMATORS[workload.task]
    if hidden and not has_hidden_layers(estimator_class):
        return None
    # ReLU units (HeteroscedasticRegressor's default is tanh) and no
    # penalty, as scikit-learn's MLP and the PyTorch loop below: the same
    # computation.
    layers = {"hidden_layer_sizes": (HIDDEN,), "activation": "relu"} if hidden else {}
    settings = {
        "solver": "adam",
        "batch_size": BATCH_SIZE,
        "alpha": 0.0,
        "random_state": 0,
    }
    return estimator_class, {**settings, **layers}


def skprob_epoch(workload, hidden, extra_epochs, repeats):
    """The plain Adam epoch, as ``partial_fit`` runs it."""
    settings = _skprob_settings(workload, hidden)
    if settings is None:
        return NO_MLP
    estimator_class, params = settings
    return partial_fit_epoch_seconds(
        lambda: estimator_class(**params),
        workload.X,
        workload.y,
        extra_epochs,
        repeats,
    )


def skprob_variance_reduced_epoch(workload, hidden, extra_epochs, repeats):
    """A linear model's variance-reduced Adam epoch, as ``fit`` runs it."""
    if hidden:
        return "n/a (plain epochs)"
    estimator_class, params = _skprob_settings(workload, hidden)

    def make(max_iter):
        # Patience beyond max_iter: no decay of the step in the timed epochs.
        return estimator_class(
            max_iter=max_iter, n_iter_no_change=max_iter + 1, **params
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter ends it
        return marginal_epoch_seconds(
            make, workload.X, workload.y, extra_epochs, repeats
        )


def sklearn_epoch(workload, hidden, extra_epochs, repeats):
    mlp_class = MLPRegressor if workload.task == "heteroscedastic" else MLPClassifier

    def make(max_iter):
        return mlp_class(
            hidden_layer_sizes=(HIDDEN,) if hidden else (),
            solver="adam",
            batch_size=BATCH_SIZE,
            learning_rate_init=LEARNING_RATE,
            alpha=0.0,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=max_iter + 1,
            shuffle=True,
            random_state=0,
        )

    return marginal_epoch_seconds(make, workload.X, workload.y, extra_epochs, repeats)


def torch_epoch(workload, hidden, repeats):
    """Median seconds of one epoch of a plain PyTorch Adam training loop."""
    if torch is None:
        return "n/a (no PyTorch)"
    torch.manual_seed(0)
    X = torch.from_numpy(workload.X)
    y = torch.from_numpy(workload.y)
    n_features, n_out = X.shape[1], n_outputs(workload)
    if hidden:
        network = torch.nn.Sequential(
            torch.nn.Linear(n_features, HIDDEN),
            torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN, n_out),
        )
    else:
        network = torch.nn.Linear(n_features, n_out)
    network = network.double()
    optimizer = torch.optim.Adam(network.parameters(), lr=LEARNING_RATE)
    loss_function = _torch_loss(workload.task)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(X.shape[0], generator=generator)
        for start in range(0, X.shape[0], BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_function(network(X[rows]), y[rows])
            loss.backward()
            optimizer.step()

    epoch()  # warm-up: allocator and kernel caches
    return median_seconds(epoch, repeats)


def _torch_loss(task):
    if task == "binary":
        bce = torch.nn.BCEWithLogitsLoss()
        return lambda raw, y: bce(raw[:, 0], y.double())
    if task == "multiclass":
        cross_entropy = torch.nn.CrossEntropyLoss()
        return lambda raw, y: cross_entropy(raw, y.long())

    def gaussian_nll(raw, y):
        log_scale = raw[:, 1]
        return (
            log_scale + 0.5 * (y - raw[:, 0]) ** 2 * torch.exp(-2 * log_scale)
        ).mean()

    return gaussian_nll


def floor_epoch(workload, hidden, repeats, shuffled):
    """Median seconds of the matrix products of one epoch, in NumPy."""
    X = workload.X
    n_samples, n_features = X.shape
    rng = np.random.default_rng(0)
    n_out = n_outputs(workload)
    widths = [n_features, HIDDEN, n_out] if hidden else [n_features, n_out]
    weights = [
        rng.normal(size=pair) for pair in zip(widths[:-1], widths[1:], strict=True)
    ]
    grads = [rng.normal(size=(BATCH_SIZE, width)) for width in widths[1:]]

    def epoch():
        order = rng.permutation(n_samples) if shuffled else None
        for start in range(0, n_samples, BATCH_SIZE):
            rows = slice(start, start + BATCH_SIZE)
            batch = X[order[rows]] if shuffled else X[rows]
            _layer_products(batch, weights, grads)

    return median_seconds(epoch, repeats)


def _layer_products(batch, weights, grads):
    """Forward and backward products of a chain of dense layers."""
    activations = [batch]
    for weight in weights:
        activations.append(activations[-1] @ weight)
    for layer in reversed(range(len(weights))):
        grad = grads[layer][: batch.shape[0]]
        activations[layer].T @ grad  # gradient of the layer's weights
        if layer > 0:
            grad @ weights[layer].T  # gradient flowing to the layer below


def run(workloads, extra_epochs, repeats, log):
    """Rows of figures 1 and 2, one per workload and model, plus raw numbers."""
    rows, results = [], []
    for workload in workloads:
        for hidden in (False, True):
            model = f"hidden ({HIDDEN},)" if hidden else "linear"
            log(f"  epoch: {workload.name} {model}")
            result = {
                "workload": workload.name,
                "model": model,
                "skprob": skprob_epoch(workload, hidden, extra_epochs, repeats),
                "variance_reduced": skprob_variance_reduced_epoch(
                    workload, hidden, extra_epochs, repeats
                ),
                "sklearn": sklearn_epoch(workload, hidden, extra_epochs, repeats),
                "torch": torch_epoch(workload, hidden, repeats),
                "floor": floor_epoch(workload, hidden, repeats, shuffled=True),
                "products": floor_epoch(workload, hidden, repeats, shuffled=False),
            }
            results.append(result)
            rows.append(_row(result))
    return rows, results


HEADER = [
    "workload",
    "model",
    "skprob",
    "sklearn MLP",
    "PyTorch",
    "floor: gather + products",
    "products only",
    "skprob / floor (target <= 1.5)",
    "skprob / sklearn (target <= 0.5)",
    "skprob / PyTorch (target <= 0.2)",
    "skprob variance-reduced epoch (fit)",
]


def _row(result):
    ours = result["skprob"]
    return [
        result["workload"],
        result["model"],
        fmt_seconds(ours),
        fmt_seconds(result["sklearn"]),
        fmt_seconds(result["torch"]),
        fmt_seconds(result["floor"]),
        fmt_seconds(result["products"]),
        fmt_ratio(ours, result["floor"]),
        fmt_ratio(ours, result["sklearn"]),
        fmt_ratio(ours, result["torch"]),
        fmt_seconds(result["variance_reduced"]),
    ]
