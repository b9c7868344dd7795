"""The issue's targets, as ratios from one run, each marked met or missed."""

from _harness import markdown_table

EPOCH_TARGETS = (
    ("floor", 1.5, "Adam epoch / floor (gather + products)"),
    ("sklearn", 0.5, "Adam epoch / scikit-learn MLP"),
    ("torch", 0.2, "Adam epoch / PyTorch loop"),
)
LBFGS = "sklearn LogisticRegression (lbfgs)"


def _verdict(value, limit):
    if value is None:
        return "n/a"
    return "met" if value <= limit else "missed"


def _ratio(numerator, denominator):
    if isinstance(numerator, float) and isinstance(denominator, float):
        return numerator / denominator if denominator > 0 else None
    return None


def _missing(result, key):
    """Why an epoch ratio is missing: the first side that is not a time."""
    for value in (result["skprob"], result[key]):
        if isinstance(value, str):
            return value
    return "n/a"


def epoch_rows(epoch_results):
    rows = []
    for result in epoch_results:
        for key, limit, label in EPOCH_TARGETS:
            ratio = _ratio(result["skprob"], result[key])
            rows.append(
                [
                    f"{label}, {result['workload']} {result['model']}",
                    f"<= {limit}",
                    f"{ratio:.2f}" if ratio is not None else _missing(result, key),
                    _verdict(ratio, limit),
                ]
            )
    return rows


def convergence_rows(convergence_results):
    rows = []
    for result in convergence_results:
        lbfgs = result[LBFGS]["seconds"]
        ours = {
            name: summary["seconds"]
            for name, summary in result.items()
            if name.startswith("skprob ")
        }
        ratios = {
            name: (seconds / lbfgs if seconds is not None and lbfgs else None)
            for name, seconds in ours.items()
        }
        reached = {name: r for name, r in ratios.items() if r is not None}
        best = min(reached.items(), key=lambda item: item[1], default=None)
        rows.append(
            [
                f"best skprob solver / L-BFGS to 1e-4, {result['workload']}",
                "<= 1",
                f"{best[1]:.2f} ({best[0]})" if best else "no solver reached it",
                _verdict(best[1] if best else float("inf"), 1.0),
            ]
        )
        for name, ratio in ratios.items():
            rows.append(
                [
                    f"{name} / L-BFGS to 1e-4, {result['workload']}",
                    "<= 3",
                    f"{ratio:.2f}" if ratio is not None else "not reached",
                    _verdict(ratio if ratio is not None else float("inf"), 3.0),
                ]
            )
    return rows


def scaling_rows(slopes, memory_ratios):
    rows = [
        [
            f"slope of log(fit time) vs log(n), largest three n, {solver}",
            "<= 1.1 (linear in n)",
            f"{slope:.2f}",
            _verdict(slope, 1.1),
        ]
        for solver, slope in slopes.items()
    ]
    rows += [
        [
            f"peak memory of a fit / size of X, {solver}",
            "<= 1 (at most one copy)",
            f"{ratio:.2f}",
            _verdict(ratio, 1.0),
        ]
        for solver, ratio in memory_ratios.items()
    ]
    return rows


def table(epoch_results, convergence_results, slopes, memory_ratios):
    rows = (
        epoch_rows(epoch_results)
        + convergence_rows(convergence_results)
        + scaling_rows(slopes, memory_ratios)
    )
    return markdown_table(["target", "limit", "this run", "verdict"], rows)
