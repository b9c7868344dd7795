"""What every benchmark shares: workloads, thread pinning, timing, the machine.

Conventions
-----------
- Every timing is a median over ``repeats`` runs in this process, on the same
  data, with BLAS pinned to one thread (threadpoolctl) and PyTorch to one
  intra-op thread, so that libraries are compared on equal hardware.
- Workloads are float64 with fixed seeds and standardized columns of X.
"""

import os
import platform
import statistics
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import skprob

try:  # PyTorch is an optional comparison: rows say n/a without it.
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None


@dataclass
class Workload:
    """A benchmark data set: standardized X, y, and what y is."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str  # "binary", "multiclass" or "heteroscedastic"
    description: str
    X_raw: np.ndarray = None  # unstandardized X, for the true model of W3


def w1(n_samples=200_000):
    """W1: binary classification, 50 features of which 20 informative."""
    X, y = make_classification(n_samples, 50, n_informative=20, random_state=0)
    description = f"make_classification({n_samples}, 50, n_informative=20)"
    return Workload("W1", _standardize(X), y, "binary", description)


def w2(n_samples=100_000):
    """W2: 10 classes, 50 features of which 30 informative."""
    X, y = make_classification(
        n_samples,
        50,
        n_informative=30,
        n_classes=10,
        n_clusters_per_class=1,
        random_state=0,
    )
    description = f"make_classification({n_samples}, 50, n_informative=30, 10 classes)"
    return Workload("W2", _standardize(X), y, "multiclass", description)


# The coefficients and noise scale of W3's true model.
W3_COEF = np.linspace(-1.0, 1.0, 10)


def w3_scale(X_raw):
    """The true noise scale of W3: ``0.1 + 0.5 |x_0|``."""
    return 0.1 + 0.5 * np.abs(X_raw[:, 0])


def w3(n_samples=100_000, n_features=10, seed=0):
    """W3: heteroscedastic regression, y = x.w + (0.1 + 0.5 |x0|) eps."""
    rng = np.random.default_rng(seed)
    X_raw = rng.uniform(-3.0, 3.0, size=(n_samples, n_features))
    coef = np.linspace(-1.0, 1.0, n_features)
    y = X_raw @ coef + w3_scale(X_raw) * rng.standard_normal(n_samples)
    description = (
        f"{n_samples} x {n_features}, x ~ U(-3, 3), y = x.w + (0.1 + 0.5|x0|) eps"
    )
    return Workload("W3", _standardize(X_raw), y, "heteroscedastic", description, X_raw)


def _standardize(X):
    return np.ascontiguousarray(StandardScaler().fit_transform(X), dtype=np.float64)


def pin_threads():
    """Pin BLAS and PyTorch to one thread for the rest of the process.

    Returns the threadpoolctl limiter, which must be kept alive.
    """
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=1)
    if torch is not None:
        torch.set_num_threads(1)
    return limiter


def median_seconds(function, repeats):
    """Median wall time of ``repeats`` calls of ``function()``."""
    return statistics.median(timed(function)[0] for _ in range(repeats))


def median_fit_seconds(make_estimator, X, y, repeats):
    """Median wall time of ``make_estimator().fit(X, y)``."""
    return median_seconds(lambda: make_estimator().fit(X, y), repeats)


def timed(function):
    """``(seconds, result)`` of one call, with convergence warnings muted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        result = function()
        return time.perf_counter() - start, result


def timed_warnings(function):
    """``(seconds, result, warnings)`` of one call, its warnings recorded.

    ``warnings`` is a short description of each warning the call raised:
    its category and, for a ConvergenceWarning, the first clause of its
    message (its reason); "none" when there was none.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
    return seconds, result, describe_warnings(caught) or "none"


def describe_warnings(caught):
    """``"Category (reason); ..."`` for a list of recorded warnings."""
    descriptions = []
    for record in caught:
        text = record.category.__name__
        if issubclass(record.category, ConvergenceWarning):
            text += f" ({str(record.message).split(':')[0].rstrip('.')})"
        if text not in descriptions:
            descriptions.append(text)
    return "; ".join(descriptions)


def plain_partial_fit(estimator, X, y, **kwargs):
    """A ``partial_fit`` call that runs the plain epoch the benchmarks time.

    Calls over the same rows are passes over a data set of one chunk, whose
    epochs ``partial_fit`` variance-reduces from the third call on (see
    ``skprob._training.passes``), at twice the gradients per step. Forgetting
    the passes before each call makes every call a first pass. An estimator
    of a version without passes is unaffected.
    """
    training = getattr(estimator, "_training", None)
    if training is not None:
        training.passes = None
    return estimator.partial_fit(X, y, **kwargs)


def has_hidden_layers(estimator_class):
    """True once skprob's estimators take ``hidden_layer_sizes`` (the MLP)."""
    return "hidden_layer_sizes" in estimator_class().get_params()


NO_MLP = "n/a (no MLP yet)"


def machine_description():
    """Lines describing the machine, the libraries and the thread pinning."""
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    lines = [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores "
        "(shared with other jobs: expect noise of tens of percent)",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, "
        f"SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"skprob {skprob.__version__}{_commit_of(skprob)}, "
        f"PyTorch {torch.__version__ if torch is not None else 'not installed'}, "
        f"NGBoost {_version_of('ngboost')}, statsmodels {_version_of('statsmodels')}",
    ]
    for pool in threadpool_info():
        lines.append(
            f"- {pool['user_api']}: {pool['internal_api']} {pool.get('version')} "
            f"({pool.get('threading_layer', '')}), "
            f"num_threads={pool['num_threads']}"
        )
    lines.append(
        "- All timings with BLAS pinned to 1 thread (threadpoolctl) and "
        "torch.set_num_threads(1); medians of repeated runs in one process."
    )
    return lines


def _commit_of(module):
    """`` (commit abc1234)`` of the checkout a module comes from, if any."""
    directory = Path(module.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (commit {commit}{', with local changes' if dirty else ''})"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version_of(module_name):
    try:
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "?")


def markdown_table(header, rows):
    """A Markdown table from a header and rows of already formatted cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_seconds(seconds):
    """Seconds with three significant digits, or the reason there is none."""
    if isinstance(seconds, str):
        return seconds
    if seconds is None or not np.isfinite(seconds):
        return "n/a"
    return f"{seconds:.3g} s"


def fmt_ratio(numerator, denominator):
    """``numerator / denominator`` as ``1.23x``, or n/a."""
    if not all(
        isinstance(v, float) and np.isfinite(v) for v in (numerator, denominator)
    ):
        return "n/a"
    return f"{numerator / denominator:.2f}x"
