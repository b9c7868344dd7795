"""Run skprob's benchmark suite and write docs/benchmarks.md.

Usage, from the repository root::

    pip install ".[bench]"        # or run with PYTHONPATH=. from a checkout
    python benchmarks/run.py      # full run, about 10 minutes
    python benchmarks/run.py --quick   # smaller data, about 2 minutes

Every comparison runs in this one process on the same data, with BLAS and
PyTorch pinned to one thread; libraries that are not installed (PyTorch,
NGBoost, statsmodels) get "n/a" rows. See each module for its method:
:mod:`epochs` (figures 1-2), :mod:`convergence` (3), :mod:`heteroscedastic`
(4), :mod:`scaling` (5 and peak memory).
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

# Before NumPy loads: one thread for every OpenMP/BLAS pool created later.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # skprob from this checkout when not installed

import _harness  # noqa: E402
import convergence  # noqa: E402
import epochs  # noqa: E402
import heteroscedastic  # noqa: E402
import scaling  # noqa: E402
import targets  # noqa: E402

SETTINGS = {
    "full": {
        "rows": {"W1": 200_000, "W2": 100_000, "W3": 100_000},
        "repeats": 3,
        "extra_epochs": 3,
        "convergence_budget": 20.0,
        "ngboost": {"n_estimators": 100, "learning_rate": 0.05},
        "scaling_sizes": (10_000, 30_000, 100_000, 300_000, 1_000_000),
        "feature_counts": (10, 50, 200),
        "feature_rows": 100_000,
    },
    "quick": {
        "rows": {"W1": 40_000, "W2": 20_000, "W3": 20_000},
        "repeats": 2,
        "extra_epochs": 2,
        "convergence_budget": 4.0,
        "ngboost": {"n_estimators": 50, "learning_rate": 0.05},
        "scaling_sizes": (10_000, 30_000, 100_000),
        "feature_counts": (10, 50),
        "feature_rows": 20_000,
    },
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, ~2 minutes")
    parser.add_argument(
        "--output", default=str(ROOT / "docs" / "benchmarks.md"), help="Markdown file"
    )
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    settings = SETTINGS[mode]
    limiter = _harness.pin_threads()  # noqa: F841 - keeps the limit in force
    start = time.perf_counter()
    report = build_report(settings, mode)
    report += f"\nTotal benchmark time: {time.perf_counter() - start:.0f} s.\n"
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(report)
    print(report)


def build_report(settings, mode):
    rows = settings["rows"]
    log("building workloads")
    workloads = [
        _harness.w1(rows["W1"]),
        _harness.w2(rows["W2"]),
        _harness.w3(rows["W3"]),
    ]
    sections = [_preamble(workloads, mode, settings)]
    log("figures 1-2: seconds per epoch")
    epoch_rows, epoch_results = epochs.run(
        workloads, settings["extra_epochs"], settings["repeats"], log
    )
    sections.append(_section(EPOCH_TITLE, epochs.__doc__, epochs.HEADER, epoch_rows))
    log("figure 3: time to the MLE")
    convergence_rows, convergence_results = convergence.run(
        workloads[:2], settings["convergence_budget"], settings["repeats"], log
    )
    sections.append(
        _section(
            CONVERGENCE_TITLE, convergence.__doc__, convergence.HEADER, convergence_rows
        )
    )
    log("figure 4: W3")
    w3_rows, _ = heteroscedastic.run(
        workloads[2], settings["repeats"], settings["ngboost"], log
    )
    sections.append(
        _section(W3_TITLE, heteroscedastic.__doc__, heteroscedastic.HEADER, w3_rows)
    )
    log("figure 5: scaling and memory")
    scaling_rows, scaling_results = scaling.run_rows(
        settings["scaling_sizes"], settings["repeats"], log
    )
    scaling_rows += scaling.run_features(
        settings["feature_rows"], settings["feature_counts"], settings["repeats"], log
    )
    sections.append(
        _section(SCALING_TITLE, scaling.__doc__, scaling.SCALING_HEADER, scaling_rows)
    )
    memory_rows, memory_ratios = scaling.peak_memory(rows["W1"], log)
    sections.append(
        _section("Peak memory of a fit", "", scaling.MEMORY_HEADER, memory_rows)
    )
    summary = targets.table(
        epoch_results, convergence_results, scaling_results["slopes"], memory_ratios
    )
    sections.insert(1, f"## {TARGETS_TITLE}\n\n{TARGETS_NOTE}\n\n{summary}")
    return "\n\n".join(sections) + "\n"


TARGETS_TITLE = "Targets of issue 6 in this run"
TARGETS_NOTE = (
    "Ratios from the tables below; on a shared machine they move by tens of "
    "percent from run to run."
)
EPOCH_TITLE = "1-2. Seconds per Adam epoch (batch 200) and the floor"
CONVERGENCE_TITLE = "3. Time to within 1e-4 of the maximum-likelihood NLL"
W3_TITLE = "4. W3: held-out NLL and fit time"
SCALING_TITLE = "5. Fit time against n and against the number of features"


QUICK_FLAG = {"quick": " --quick", "full": ""}


def _preamble(workloads, mode, settings):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# skprob benchmarks",
        "",
        f"Generated by `python benchmarks/run.py{QUICK_FLAG[mode]}` "
        f"on {now} ({mode} run, medians of {settings['repeats']} runs unless "
        "a row says otherwise). The machine is shared: timings are noisy, "
        "ratios within one run are more reliable than absolute seconds.",
        "",
        "## Machine",
        "",
        *_harness.machine_description(),
        "",
        "## Workloads (float64, fixed seeds, standardized X)",
        "",
    ]
    lines += [f"- {w.name}: {w.description}" for w in workloads]
    return "\n".join(lines)


def _section(title, method, header, rows):
    parts = [f"## {title}", ""]
    if method:
        parts += [method.strip(), ""]
    parts.append(_harness.markdown_table(header, rows))
    return "\n".join(parts)


if __name__ == "__main__":
    main()
