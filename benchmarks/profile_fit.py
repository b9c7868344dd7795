"""Where the time of a fit goes: cProfile of skprob on W1, one thread.

Usage, from the repository root::

    python benchmarks/profile_fit.py            # Adam, GD and L-BFGS fits
    python benchmarks/profile_fit.py --solver adam --epochs 5

Prints, for each fit, the functions with the most time of their own, as a
fraction of the fit. cProfile adds a fixed cost to every Python call, so it
overstates the share of small, frequently called functions; a sampling
profiler such as py-spy (``py-spy record -f raw -- python ...``) does not.
"""

import argparse
import cProfile
import io
import pstats
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _harness  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skprob import BernoulliClassifier  # noqa: E402

EPOCHS = {"adam": 5, "gd": 50, "lbfgs": 10}


def profile_fit(workload, solver, epochs, n_top):
    """Profile one fit of ``epochs`` epochs; return the report as text."""
    estimator = BernoulliClassifier(
        solver=solver,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    profiler = cProfile.Profile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        profiler.runcall(estimator.fit, workload.X, workload.y)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt
    lines = [f"{solver}, {epochs} epochs on {workload.name}: {total:.2f} s profiled"]
    by_own_time = sorted(stats.stats.items(), key=lambda item: -item[1][2])
    for (filename, line, name), (_, n_calls, own, cumulative, _) in by_own_time[:n_top]:
        lines.append(
            f"  {own / total:6.1%} own {cumulative / total:6.1%} cumulative "
            f"{n_calls:7d} calls  {name} ({Path(filename).name}:{line})"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solver", choices=sorted(EPOCHS), action="append")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    limiter = _harness.pin_threads()  # noqa: F841 - keeps the limit in force
    workload = _harness.w1()
    for solver in args.solver or sorted(EPOCHS):
        epochs = args.epochs or EPOCHS[solver]
        print(profile_fit(workload, solver, epochs, args.top), flush=True)


if __name__ == "__main__":
    main()
