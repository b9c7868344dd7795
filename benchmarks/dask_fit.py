"""Data-parallel fit on a Dask cluster: skprob, dask-ml and in memory.

Logistic regression (``BernoulliClassifier(solver="lbfgs")``, unpenalized)
on rows generated lazily on the workers of a ``LocalCluster`` on 127.0.0.1
(worker processes of one thread each), against dask-ml's
``LogisticRegression(solver="lbfgs", penalty=None)`` on the same persisted
data, and against skprob's fit of the same rows gathered in this process.

For each fit: the time to the optimum (each library's own stopping rule),
the objective reached (mean NLL, computed on the cluster, relative to the
best of the fits), the number of loss-and-gradient evaluations, the tasks
per evaluation, the overhead per evaluation (its wall time on the client
minus the time the worker threads spent computing during it, per thread),
and the growth of this process's peak resident memory during the fit
(sampled every 5 ms; with a LocalCluster the scheduler lives in this
process too). Then skprob's fit on one worker against two, and the
overhead floor: an evaluation on a few rows, where there is nothing to
compute.

Usage, from the repository root (needs the ``dask`` extra and psutil)::

    python benchmarks/dask_fit.py            # 2M, 4M, 8M x 20 and 2M x 50: ~15 min
    python benchmarks/dask_fit.py --quick    # 2M x 20: a few minutes

It writes ``docs/dask_benchmarks.md`` (``--output`` to change).
"""

import argparse
import datetime
import os
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # skprob from this checkout when not installed

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import dask_glm.algorithms  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
from _harness import machine_description, markdown_table, pin_threads  # noqa: E402
from dask_ml.linear_model import LogisticRegression  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream, wait  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skprob  # noqa: E402
from skprob import BernoulliClassifier  # noqa: E402
from skprob.solvers import LBFGS  # noqa: E402

CHUNK_ROWS = 250_000
SIZES = {
    "full": [(2_000_000, 20), (4_000_000, 20), (8_000_000, 20), (2_000_000, 50)],
    "quick": [(2_000_000, 20)],
}


def make_rows(n_rows, n_features, seed=0):
    """Lazy logistic-regression rows, each block made on the worker it runs on.

    The features share a common factor (correlation 1/2), so that the
    problem takes L-BFGS some iterations: the Gram matrix has condition
    number ``n_features + 1``.
    """
    coef = np.random.default_rng(seed).normal(size=n_features) / np.sqrt(n_features)
    state = da.random.RandomState(seed)
    X = state.normal(size=(n_rows, n_features), chunks=(CHUNK_ROWS, n_features))
    X = X + state.normal(size=(n_rows, 1), chunks=(CHUNK_ROWS, 1))
    noise = state.logistic(size=n_rows, chunks=CHUNK_ROWS)
    y = (X @ coef + 0.5 + noise > 0).astype(np.int8)
    return X, y


class PeakMemory:
    """Peak resident memory of this process above its level at the start."""

    def __enter__(self):
        self._process = psutil.Process()
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.growth = self.peak - self.start


class TimedEvaluations:
    """Client-side wall-clock windows of the objective's evaluations."""

    def __init__(self):
        self.windows = []

    def wrap(self, function):
        def timed(*args):
            start = time.time()
            result = function(*args)
            self.windows.append((start, time.time()))
            return result

        return timed


class TimedLBFGS(LBFGS):
    """skprob's L-BFGS, recording when each evaluation ran."""

    def __init__(self, memory=10, gtol=1e-8):
        super().__init__(memory=memory, gtol=gtol)
        self.evaluations = TimedEvaluations()

    def step(self, params, loss_grad, state, lr_scale):
        timed = self.evaluations.wrap(loss_grad)
        timed.loss = loss_grad.loss
        timed.lipschitz = loss_grad.lipschitz
        return super().step(params, timed, state, lr_scale)


def overheads(windows, task_stream):
    """Per evaluation: wall time minus the busiest worker's compute time.

    The tasks whose computation started within an evaluation's window belong
    to it. Returns the median overhead, the median wall time and the tasks
    per evaluation.
    """
    computes = []
    for task in task_stream:
        for part in task.get("startstops", ()):
            if part["action"] == "compute":
                computes.append((part["start"], part["stop"], task["worker"]))
    starts = np.array([start for start, _, _ in computes])
    durations = np.array([stop - start for start, stop, _ in computes])
    workers = np.array([worker for _, _, worker in computes])
    rows = []
    for begin, end in windows:
        inside = (starts >= begin) & (starts <= end)
        # The critical path: the busiest worker's computing time.
        busy = max(
            (durations[inside & (workers == worker)].sum() for worker in set(workers)),
            default=0.0,
        )
        rows.append((end - begin - busy, end - begin, inside.sum()))
    overhead, wall, tasks = zip(*rows, strict=True)
    return statistics.median(overhead), statistics.median(wall), np.mean(tasks)


class WorkerCPU:
    """CPU seconds used by the worker processes, and the load average."""

    def __init__(self, client):
        self._processes = [
            psutil.Process(pid) for pid in client.run(os.getpid).values()
        ]

    def _seconds(self):
        return sum(sum(process.cpu_times()[:2]) for process in self._processes)

    def __enter__(self):
        self.load = os.getloadavg()[0]
        self._start = self._seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = self._seconds() - self._start


def fit_skprob(client, X, y):
    solver = TimedLBFGS()
    estimator = BernoulliClassifier(solver=solver, random_state=0)
    with get_task_stream(client) as stream, PeakMemory() as memory:
        with WorkerCPU(client) as cpu:
            start = time.perf_counter()
            estimator.fit(X, y)
            seconds = time.perf_counter() - start
    overhead, wall, tasks = overheads(solver.evaluations.windows, stream.data)
    coef = np.append(estimator.coef_[0], estimator.intercept_[0])
    return {
        "seconds": seconds,
        "coef": coef,
        "evaluations": len(solver.evaluations.windows),
        "overhead": overhead,
        "wall": wall,
        "tasks": tasks,
        "memory": memory.growth,
        "cpu": cpu.seconds,
        "load": cpu.load,
    }


def fit_dask_ml(client, X, y):
    evaluations = TimedEvaluations()
    original = dask_glm.algorithms.fmin_l_bfgs_b

    def timed_lbfgs(func, x0, **kwargs):
        return original(evaluations.wrap(func), x0, **kwargs)

    dask_glm.algorithms.fmin_l_bfgs_b = timed_lbfgs
    try:
        estimator = LogisticRegression(solver="lbfgs", penalty=None)
        with get_task_stream(client) as stream, PeakMemory() as memory:
            with WorkerCPU(client) as cpu:
                start = time.perf_counter()
                estimator.fit(X, y)
                seconds = time.perf_counter() - start
    finally:
        dask_glm.algorithms.fmin_l_bfgs_b = original
    overhead, wall, tasks = overheads(evaluations.windows, stream.data)
    return {
        "seconds": seconds,
        "coef": np.append(estimator.coef_, estimator.intercept_),
        "evaluations": len(evaluations.windows),
        "overhead": overhead,
        "wall": wall,
        "tasks": tasks,
        "memory": memory.growth,
        "cpu": cpu.seconds,
        "load": cpu.load,
    }


def fit_in_memory(X, y):
    X_local, y_local = dask.compute(X, y)
    estimator = BernoulliClassifier(solver="lbfgs", random_state=0)
    load = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    estimator.fit(X_local, y_local)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "coef": np.append(estimator.coef_[0], estimator.intercept_[0]),
        "evaluations": estimator.n_iter_,
        "cpu": time.process_time() - cpu_start,
        "load": load,
    }


def mean_nll(X, y, coef):
    """The unpenalized objective at ``coef`` (intercept last), on the cluster."""
    raw = X @ coef[:-1] + coef[-1]
    return float(da.mean(da.logaddexp(0.0, raw) - y * raw).compute())


def overhead_floor(client, n_evaluations=200):
    """Median wall time of an evaluation on 2 blocks of 1,000 rows."""
    X, y = make_rows(2000, 20)
    X, y = X.rechunk((1000, 20)), y.rechunk(1000)
    estimator = BernoulliClassifier(solver="lbfgs")
    data, target = skprob._dask.prepare_fit(
        estimator, estimator._make_solver(), X, y, None, resume=False
    )
    distribution = estimator._make_distribution(target)
    model = estimator._make_model(data, None, distribution.n_raw)
    objective = skprob._training.Objective(distribution, model, 0.0)
    batch = data.batch_objective(objective, None)
    params = np.zeros(model.n_params)
    walls = []
    for _ in range(n_evaluations):
        start = time.perf_counter()
        batch(params)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def cluster(n_workers):
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def run_size(n_rows, n_features, log):
    """All the fits on one size of data."""
    results = {}
    with cluster(2) as two_workers, Client(two_workers) as client:
        X, y = make_rows(n_rows, n_features)
        X, y = client.persist([X, y])
        wait([X, y])
        log(f"  {n_rows:,} x {n_features}: skprob on 2 workers")
        results["skprob"] = fit_skprob(client, X, y)
        log("  dask-ml on 2 workers")
        results["dask-ml"] = fit_dask_ml(client, X, y)
        log("  skprob in memory")
        results["in memory"] = fit_in_memory(X, y)
        for result in results.values():
            result["objective"] = mean_nll(X, y, result["coef"])
        del X, y
    with cluster(1) as one_worker, Client(one_worker) as client:
        X, y = make_rows(n_rows, n_features)
        X, y = client.persist([X, y])
        wait([X, y])
        log("  skprob on 1 worker")
        results["skprob, 1 worker"] = fit_skprob(client, X, y)
        results["skprob, 1 worker"]["objective"] = mean_nll(
            X, y, results["skprob, 1 worker"]["coef"]
        )
    return results


def mib(n_bytes):
    return f"{n_bytes / 2**20:,.0f} MiB"


def report(sizes, all_results, floor, quick):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Data-parallel fit on Dask: benchmark",
        "",
        f"Generated by `python benchmarks/dask_fit.py{' --quick' if quick else ''}` "
        f"on {now}. The machine has 2 cores and is shared with other jobs: "
        "timings are noisy, and two worker processes, the scheduler and the "
        "client compete for the same 2 cores.",
        "",
        "## Machine",
        "",
        *machine_description(),
        f"- dask {dask.__version__}, distributed, dask-ml: see the dask extra; "
        "LocalCluster on 127.0.0.1, worker processes of 1 thread each",
        "",
        "## Setting",
        "",
        "Logistic regression on rows generated lazily on the workers, in "
        f"blocks of {CHUNK_ROWS:,} rows, persisted before the fits: skprob's "
        '`BernoulliClassifier(solver="lbfgs")` and dask-ml\'s '
        '`LogisticRegression(solver="lbfgs", penalty=None)` (the same '
        "maximum-likelihood estimate), each with its own stopping rule; "
        "skprob in memory is the same fit on the rows gathered into this "
        "process (gathering not timed). *objective gap* is the mean NLL "
        "reached, relative to the best of the fits; *coef vs in memory* the "
        "relative difference (norm) of the coefficients and intercept from "
        "skprob's in-memory fit. *overhead / eval* is the median over "
        "evaluations of their wall time on the client minus the computing "
        "time of the busiest worker during them; *worker CPU* the CPU time "
        "the worker processes used during the fit (the work, whatever the "
        "contention for the cores); *load average* the machine's one-minute "
        "load when the fit started (2 means both cores busy); *client peak "
        "memory* the growth of this process's peak resident memory during "
        "the fit (it hosts the scheduler too).",
        "",
        f"Overhead floor (an evaluation on 2 blocks of 1,000 rows, median of "
        f"200): {floor * 1e3:.1f} ms.",
        "",
    ]
    header = [
        "fit",
        "time",
        "evaluations",
        "tasks / eval",
        "wall / eval",
        "overhead / eval",
        "worker CPU",
        "load average",
        "client peak memory",
        "objective gap",
        "coef vs in memory",
    ]
    for (n_rows, n_features), results in zip(sizes, all_results, strict=True):
        size_of_X = n_rows * n_features * 8
        best = min(result["objective"] for result in results.values())
        reference = results["in memory"]["coef"]
        rows = []
        for name, result in results.items():
            difference = np.linalg.norm(result["coef"] - reference) / np.linalg.norm(
                reference
            )
            distributed_only = "tasks" in result
            rows.append(
                [
                    name,
                    f"{result['seconds']:.2f} s",
                    str(result["evaluations"])
                    + ("" if distributed_only else " (iterations)"),
                    f"{result['tasks']:.1f}" if distributed_only else "-",
                    f"{result['wall'] * 1e3:.0f} ms" if distributed_only else "-",
                    f"{result['overhead'] * 1e3:.1f} ms" if distributed_only else "-",
                    f"{result['cpu']:.2f} s"
                    + ("" if distributed_only else " (client)"),
                    f"{result['load']:.1f}",
                    mib(result["memory"]) if distributed_only else "-",
                    f"{(result['objective'] - best) / best:.1e}",
                    f"{difference:.1e}",
                ]
            )
        speedup = results["skprob, 1 worker"]["seconds"] / results["skprob"]["seconds"]
        versus = results["dask-ml"]["seconds"] / results["skprob"]["seconds"]
        lines += [
            f"## {n_rows:,} rows x {n_features} features (X: {mib(size_of_X)})",
            "",
            markdown_table(header, rows),
            "",
            f"skprob on 2 workers: {versus:.2f}x faster than dask-ml, "
            f"{speedup:.2f}x faster than on 1 worker; client peak memory "
            f"growth {results['skprob']['memory'] / size_of_X:.3f} of the "
            "size of X.",
            "",
        ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "docs" / "dask_benchmarks.md"))
    args = parser.parse_args()
    _limiter = pin_threads()  # noqa: F841 - kept alive for the whole run
    warnings.simplefilter("ignore", ConvergenceWarning)
    sizes = SIZES["quick" if args.quick else "full"]

    def log(message):
        print(message, flush=True)

    with cluster(2) as two_workers, Client(two_workers) as client:
        floor = overhead_floor(client)
    log(f"overhead floor: {floor * 1e3:.1f} ms")
    all_results = [run_size(n_rows, n_features, log) for n_rows, n_features in sizes]
    text = report(sizes, all_results, floor, args.quick)
    Path(args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
