"""Adam epochs of two commits, interleaved in one process: did one regress?

Usage, from the repository root::

    python benchmarks/compare_commits.py 26858ba          # against this checkout
    python benchmarks/compare_commits.py 26858ba --rounds 7

Exports the other commit's ``skprob/`` (``git archive``) into a temporary
directory as the package ``skprob_<commit>`` (skprob's own imports are
relative), so that both versions run in this process on the same data: a
``partial_fit`` epoch of ``BernoulliClassifier(solver="adam",
batch_size=200, alpha=0)`` on W1, and of ``HeteroscedasticRegressor`` with
the same settings on W3, linear and with ``hidden_layer_sizes=(64,)`` (ReLU
units), one call of each version per round, BLAS pinned to one thread. Prints the
least CPU time of each over the rounds (whole ``partial_fit`` calls, input
checks included) and their ratio. Wall times of runs made apart, on a shared
machine, differ by more than the regressions they are meant to find.
"""

import argparse
import importlib
import io
import itertools
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _harness  # noqa: E402

import skprob  # noqa: E402


def import_commit(commit, directory):
    """skprob as of ``commit``, imported as the package ``skprob_<commit>``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "skprob"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    name = f"skprob_{commit}"
    (Path(directory) / "skprob").rename(Path(directory) / name)
    sys.path.insert(0, str(directory))
    return importlib.import_module(name)


def epoch_timer(package, workload, hidden):
    """A function that runs one ``partial_fit`` epoch and returns CPU seconds."""
    layers = {"hidden_layer_sizes": (64,), "activation": "relu"} if hidden else {}
    X, y = workload.X, workload.y
    settings = dict(solver="adam", batch_size=200, alpha=0.0, random_state=0)
    if workload.task == "binary":
        estimator = package.BernoulliClassifier(**settings, **layers)
        estimator.partial_fit(X, y, classes=[0, 1])
    else:
        estimator = package.HeteroscedasticRegressor(**settings, **layers)
        estimator.partial_fit(X, y)

    def timer():
        start = time.process_time()
        _harness.plain_partial_fit(estimator, X, y)
        return time.process_time() - start

    return timer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    limiter = _harness.pin_threads()  # noqa: F841 - keeps the limit in force
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as directory:
        other = import_commit(args.commit, directory)
        for workload, hidden in itertools.product(
            (_harness.w1(), _harness.w3()), (False, True)
        ):
            timers = {
                version: epoch_timer(package, workload, hidden)
                for version, package in ((args.commit, other), ("this", skprob))
            }
            seconds = {version: [] for version in timers}
            for _ in range(args.rounds):
                for version, timer in timers.items():
                    seconds[version].append(timer())
            least = {version: min(values) for version, values in seconds.items()}
            print(
                f"{workload.name} {'(64,)' if hidden else 'linear'}: "
                + ", ".join(f"{v} {s * 1e3:.1f} ms" for v, s in least.items())
                + f"; this / {args.commit} = {least['this'] / least[args.commit]:.3f}"
            )


if __name__ == "__main__":
    main()
