"""The documentation's pages run, and their numbers are those of the code.

The docstring Examples run as doctests through ``--doctest-modules``; this
covers the hand-written pages, so that they stay true without building the
documentation. Their tables of results are doctest output; the numbers
typed into the text by hand are checked here against the code they
describe, or against the page that an executed benchmark wrote.
"""

import ast
import configparser
import doctest
import importlib.util
import inspect
import itertools
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    _training,
    solvers,
)
from skprob._base import ProbabilisticEstimator
from skprob._docstrings import SOLVER_PARAMETERS_DOC
from skprob.distributions import HeteroscedasticNormal
from skprob.metrics import (
    expected_calibration_error,
    neg_expected_calibration_error_scorer,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.mark.parametrize(
    "page",
    [
        "getting_started.rst",
        "solvers.rst",
        "uncertainty.rst",
        "persistence.rst",
        "inference.rst",
        "user_guide.rst",
        "models.rst",
    ],
)
def test_page_examples(page):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted > 0
    assert result.failed == 0


def _math_blocks(text):
    """The formulas of the ``.. math::`` directives in reST text."""
    blocks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(".. math::"):
            continue
        formula = [stripped[len(".. math::") :]]
        indent = len(line) - len(line.lstrip())
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            formula.append(following)
        blocks.append(" ".join(" ".join(formula).split()))
    return [block for block in blocks if block]


def _flat(text):
    """``text`` with every run of whitespace made one space (pages wrap)."""
    return " ".join(text.split())


def _page(name):
    return _flat((DOCS / name).read_text())


@pytest.mark.parametrize("name", ["GD", "SGD", "Momentum", "Adam", "LBFGS", "Newton"])
def test_solver_guide_formulas_match_docstrings(name):
    # The solver guide repeats each update rule; it must not drift from the
    # docstring that documents the code.
    guide = _page("solvers.rst")
    formulas = _math_blocks(getattr(solvers, name).__doc__)
    assert formulas
    for formula in formulas:
        assert formula in guide, formula


# -- numbers typed by hand, against the code --------------------------------


def _e(value):
    """A power of ten as the pages write it: 1e-3."""
    return f"{value:.0e}".replace("e-0", "e-")


def _n(value):
    """A number as the pages write it: 0.01, 1e-8, 200, -3."""
    return f"{value:g}".replace("e-0", "e-")


_ADAM, _LBFGS = solvers.Adam(), solvers.LBFGS()
_MIN_SCALE = HeteroscedasticNormal().min_scale
_IN_WORDS = {1e-3: "a thousandth", 10.0: "ten"}
_N_BINS = inspect.signature(expected_calibration_error).parameters["n_bins"].default
_GROWTH_ROOT = 1 / math.log2(solvers._STOCHASTIC_STEP_GROWTH)  # 2 ** (1 / 4)
_DOCSTRINGS = {
    "SOLVER_PARAMETERS_DOC": SOLVER_PARAMETERS_DOC,
    "HeteroscedasticRegressor": HeteroscedasticRegressor.__doc__,
    "quickstart.py": ast.get_docstring(
        ast.parse((ROOT / "examples" / "quickstart.py").read_text())
    ),
}

# Where a number is typed by hand, and the phrase that must be there, with
# the number taken from the code it describes.
CLAIMS = [
    ("solvers.rst", f"is divided by {_n(_training.LR_DECAY)} each time the loss"),
    ("solvers.rst", rf"(:math:`s \leftarrow s/{_n(_training.LR_DECAY)}`)"),
    ("solvers.rst", f"is divided by {_n(_training.LR_DECAY)} (:math:`s"),
    ("solvers.rst", f"once :math:`s` is below 1/{_n(1 / _training.MIN_LR_SCALE)}."),
    ("solvers.rst", f"``min({solvers.AUTO_BATCH_SIZE}, n_samples)``"),
    ("solvers.rst", rf"starting from :math:`{_n(solvers._STEP_GROWTH)}\eta_{{t-1}}`"),
    (
        "solvers.rst",
        rf"L(\theta) - \tfrac1{_n(1 / solvers._ARMIJO_FRACTION)} \eta \|g\|^2",
    ),
    (
        "solvers.rst",
        f"step ({_n(solvers._FALLBACK_LEARNING_RATE)} at the start) grown by "
        f":math:`2^{{1/{_n(_GROWTH_ROOT)}}}`",
    ),
    (
        "solvers.rst",
        f"is ``momentum`` (default {_n(ProbabilisticEstimator().momentum)})",
    ),
    ("solvers.rst", rf"is :math:`\eta = {_n(solvers._ADAM_AUTO_LEARNING_RATE)}`, ten"),
    (
        "solvers.rst",
        # scikit-learn's MLP and Kingma and Ba use 0.001.
        _IN_WORDS[solvers._ADAM_AUTO_LEARNING_RATE / MLPClassifier().learning_rate_init]
        + "fold Adam's usual default",
    ),
    ("solvers.rst", f"(for Adam, {_n(solvers._ADAM_AUTO_LEARNING_RATE)})"),
    (
        "solvers.rst",
        rf"about :math:`{1 / math.sqrt(1 - _ADAM.beta_2):.1f}\,\epsilon` at "
        rf":math:`t = 1` for :math:`\beta_2 = {_n(_ADAM.beta_2)}`",
    ),
    ("solvers.rst", f"the last ``memory`` ({_LBFGS.memory}) pairs"),
    ("solvers.rst", f"below ``gtol`` ({_n(solvers.Newton().gtol)}, set with"),
    (
        "solvers.rst",
        rf"\text{{ if }} |\lambda_i| > 10^{{{_n(math.log10(solvers._MIN_RCOND))}}}",
    ),
    ("solvers.rst", f"below ``gtol`` ({_n(_LBFGS.gtol)})"),
    (
        "solvers.rst",
        f"with :math:`c = 10^{{{_n(math.log10(solvers._LBFGS_ARMIJO_FRACTION))}}}`",
    ),
    (
        "user_guide.rst",
        rf":math:`\sigma_{{\min}} = 10^{{{_n(math.log10(_MIN_SCALE))}}}`",
    ),
    ("user_guide.rst", f"{_IN_WORDS[_MIN_SCALE]} of the standard deviation of"),
    (
        "uncertainty.rst",
        "``-expected_calibration_error`` "
        f"({neg_expected_calibration_error_scorer._kwargs['n_bins']} bins)",
    ),
    ("uncertainty.rst", f"the expected calibration error ({_N_BINS} bins)"),
    # 20 features and an intercept for each output, on 4 folds of 5 of 150.
    ("uncertainty.rst", f"{2 * (20 + 1)} parameters on {150 * 4 // 5} rows each"),
    (
        "scaling.rst",
        f"a stochastic solver's step is divided by {_n(_training.LR_DECAY)},",
    ),
    (
        "SOLVER_PARAMETERS_DOC",
        f"step ({_n(solvers._FALLBACK_LEARNING_RATE)} at the start) grown by "
        f"``2 ** (1 / {_n(_GROWTH_ROOT)})``",
    ),
    ("SOLVER_PARAMETERS_DOC", f'"adam" takes {_n(solvers._ADAM_AUTO_LEARNING_RATE)}.'),
    ("SOLVER_PARAMETERS_DOC", f"``min({solvers.AUTO_BATCH_SIZE}, n_samples)``"),
    (
        "HeteroscedasticRegressor",
        f"floored at {_IN_WORDS[_MIN_SCALE]} of the target's standard deviation",
    ),
]


# The defaults named in the text (the solver guide's table is checked whole,
# below).
_DEFAULTS = ProbabilisticEstimator().get_params()
# The gradient test's tol of a float32 fit, at its floor.
_FLOAT32_TOL = _training.gradient_tol(0.0, np.float32)


def _example_constant(script, name):
    spec = importlib.util.spec_from_file_location(script, ROOT / "examples" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the scripts run only as __main__
    return getattr(module, name)


# scaling.rst's out-of-core table: float64 rows of X and y, 20,000 in a chunk
# of 200,000.
_ROW_BYTES = 8 * (_example_constant("out_of_core.py", "N_FEATURES") + 1)
CLAIMS += [
    (
        "scaling.rst",
        f"data in memory at once {20_000 * _ROW_BYTES / 1e6:.1f} MB "
        f"{200_000 * _ROW_BYTES / 1e6:.1f} MB",
    ),
    ("getting_started.rst", f'``solver="{_DEFAULTS["solver"]}"`` (the default)'),
    ("solvers.rst", f'- ``"{_DEFAULTS["solver"]}"`` (the default) is ``"lbfgs"``'),
    ("solvers.rst", f"most ``tol`` (default ``{_n(_DEFAULTS['tol'])}``)"),
    (
        "user_guide.rst",
        f"- ``alpha={_e(_DEFAULTS['alpha'])}`` for the classifiers: a small L2 penalty",
    ),
    ("user_guide.rst", f"- ``tol={_n(_DEFAULTS['tol'])}`` on the gradient"),
    (
        "quickstart.py",
        f"none for the regressors (``alpha={_n(GaussianRegressor().alpha)}``",
    ),
    ("quickstart.py", f"for the classifiers (``alpha={_e(_DEFAULTS['alpha'])}``)"),
    ("SOLVER_PARAMETERS_DOC", f"tol : float, default={_n(_DEFAULTS['tol'])}"),
    ("solvers.rst", f'With ``"{_DEFAULTS["learning_rate"]}"`` (the default),'),
    (
        "user_guide.rst",
        f"``tol`` is at least {_FLOAT32_TOL:.2g} in float32, and unchanged in float64",
    ),
    ("SOLVER_PARAMETERS_DOC", f"takes ``max(tol, {_FLOAT32_TOL:.2g})``"),
    (
        "user_guide.rst",
        f"takes ``max(tol, {_n(_training.FLOAT32_TOL_EPS_FACTOR)} * eps)``",
    ),
]


def test_the_default_solver_s_section_says_so():
    guide = _page("solvers.rst")
    headings = list(re.finditer(r'``solver="(\w+)"`` -+ ', guide))
    assert [h.group(1) for h in headings] == [
        "gd",
        "sgd",
        "momentum",
        "nesterov",
        "adam",
        "lbfgs",
        "newton",
    ]
    ends = [h.start() for h in headings[1:]] + [guide.index("Hyper-parameters ===")]
    for heading, end in zip(headings, ends, strict=True):
        section = guide[heading.end() : end]
        # "auto" is Adam for a network, L-BFGS for a linear model.
        is_default = heading.group(1) == "adam"
        assert _DEFAULTS["solver"] == "auto"
        assert ("is skprob's default solver for neural networks" in section) == (
            is_default
        )


@pytest.mark.parametrize("where, phrase", CLAIMS, ids=[c[1] for c in CLAIMS])
def test_hand_typed_number_is_the_code_s(where, phrase):
    text = _DOCSTRINGS[where] if where in _DOCSTRINGS else (DOCS / where).read_text()
    assert phrase in _flat(text), f"{where} should say: {phrase!r}"


def _list_table(page, first_row):
    """The rows (lists of cells) of the list-table that contains ``first_row``."""
    text = (DOCS / page).read_text()
    table = text[text.index(first_row) :].split("\n\n")[0]
    rows = []
    for line in table.splitlines():
        cell = line.strip()
        if cell.startswith("* - "):
            rows.append([cell[len("* - ") :]])
        elif cell.startswith("- "):
            rows[-1].append(cell[len("- ") :])
        elif cell:
            rows[-1][-1] += " " + cell
    return rows


def test_solver_guide_table_gives_the_estimators_defaults():
    defaults = ProbabilisticEstimator().get_params()
    rows = _list_table("solvers.rst", "* - Parameter")[1:]
    documented = {}
    for names, default_values, _ in rows:
        names = re.findall(r"``(\w+)``", names)
        if names == ["alpha"]:
            # One default per kind of estimator.
            assert default_values == (
                f"{_e(BernoulliClassifier().alpha)} (classifiers), "
                f"{GaussianRegressor().alpha} (regressors)"
            )
            continue
        default_values = default_values.replace("``", "").split(", ")
        assert len(names) == len(default_values), (names, default_values)
        documented.update(zip(names, default_values, strict=True))
    assert len(documented) >= 14
    for name, shown in documented.items():
        assert ast.literal_eval(shown) == defaults[name], name


def test_python_and_scikit_learn_versions_agree():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    options = config["options"]
    python = re.fullmatch(r">=\s*(3\.\d+)", options["python_requires"]).group(1)
    sklearn = re.search(r"scikit-learn>=([\d.]+)", options["install_requires"])
    getting_started = _page("getting_started.rst")
    assert f"skprob needs Python {python} or newer" in getting_started
    assert f"scikit-learn {sklearn.group(1)} or newer" in getting_started
    # ruff's pyupgrade rules must not suggest what the oldest Python lacks.
    pyproject = (ROOT / "pyproject.toml").read_text()
    target = re.search(r'^target-version = "py(\d+)"', pyproject, re.MULTILINE)
    assert target.group(1) == python.replace(".", "")


def test_mean_variance_network_figures_are_those_the_slow_tests_assert():
    notes = _flat(HeteroscedasticRegressor.__doc__)
    assert "comes within 0.05 nats of the true model's held-out NLL" in notes
    assert "with ReLU or tanh units; on 3000 samples, with a tenth held out" in notes
    tests = (ROOT / "tests" / "test_mlp.py").read_text()
    assert "assert with_warm_up < 0.05 < without" in tests
    assert "assert 0.0 < gap < 0.05" in tests


# -- numbers copied from the benchmark's own page ----------------------------


def _markdown_table(page, heading):
    """Rows of the first Markdown table after ``heading``: lists of cells."""
    text = (DOCS / page).read_text()
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not set("".join(cells)) <= set("-: "):  # not the separator row
            rows.append(cells)
    return rows


def _iterations_to_the_mle():
    """Iterations to 1e-4 of the MLE per (workload, method), from the benchmark."""
    rows = _markdown_table("benchmarks.md", "## 3. Time to within 1e-4")
    header = rows[0]
    column = header.index("iterations (max_iter)")
    return {(row[0], row[1]): row[column] for row in rows[1:]}


def test_solver_guide_quotes_the_benchmark_s_iterations():
    iterations = _iterations_to_the_mle()

    def both(method):
        return f"{iterations['W1', method]} and {iterations['W2', method]}"

    expected = (
        f"comes within 1e-4 of the maximum likelihood in {both('skprob lbfgs')} "
        f'epochs, where ``"gd"`` needs {both("skprob gd")}, and scikit-learn\'s '
        f"``LogisticRegression`` {both('sklearn LogisticRegression (lbfgs)')} "
        "iterations"
    )
    assert expected in _page("solvers.rst")


def test_performance_page_copies_the_benchmark_s_run():
    # Run 1 of the performance page is the run that wrote benchmarks.md.
    performance = _page("performance.md")
    iterations = _iterations_to_the_mle()
    gd = f"{iterations['W1', 'skprob gd']} and {iterations['W2', 'skprob gd']}"
    lbfgs = f"{iterations['W1', 'skprob lbfgs']} and {iterations['W2', 'skprob lbfgs']}"
    assert f"gd needs {gd} full passes where L-BFGS needs {lbfgs}" in performance
    # The time to 1e-4 of the MLE: iterations, and run 1's seconds and ratio
    # to LogisticRegression, per method and workload.
    rows = _markdown_table("benchmarks.md", "## 3. Time to within 1e-4")
    benchmark = {(row[0], row[1]): row for row in rows[1:]}
    ratio_column = next(
        i for i, cell in enumerate(rows[0]) if cell.startswith("time / sklearn")
    )
    quoted = _markdown_table("performance.md", "## Time to 1e-4 of the MLE")
    assert len(quoted) - 1 == len(benchmark) // 2
    for method, *cells in quoted[1:]:
        for workload, (n_iter, run_1) in zip(
            ("W1", "W2"), (cells[0:2], cells[3:5]), strict=True
        ):
            row = benchmark[workload, method]
            assert n_iter == row[3], (workload, method)
            ratio = row[ratio_column].removesuffix("x")
            assert run_1 == f"{row[2]} ({ratio})", (workload, method)
    # The table of seconds per epoch, run B, is the benchmark's first table.
    epochs = _markdown_table("performance.md", "Seconds per Adam epoch, batch 200")
    benchmark = _markdown_table("benchmarks.md", "## 1-2. Seconds per Adam epoch")
    assert len(epochs) == len(benchmark) > 1
    for ours_row, their_row in zip(epochs[1:], benchmark[1:], strict=True):
        assert ours_row == [cell.removesuffix(" s") for cell in their_row[:7]]
    # The held-out NLL of W3.
    nll = _markdown_table("performance.md", "## W3: held-out NLL")
    benchmark_nll = {
        row[0]: row[2] for row in _markdown_table("benchmarks.md", "## 4.")
    }
    for model, value, *_ in nll[1:]:
        # A row may stand for several of the benchmark's: "linear (adam, gd
        # or lbfgs)".
        matches = [v for name, v in benchmark_nll.items() if name.startswith(model)]
        if not matches:
            prefix = model.split(" (")[0]
            matches = [
                v for name, v in benchmark_nll.items() if name.startswith(prefix)
            ]
        assert matches and all(match == value for match in matches), model
    # The run 1 figure of every epoch target (the second of "B / 1").
    targets = _markdown_table("benchmarks.md", "## Targets of issues 6 and 11")
    this_run = {row[0]: row[2] for row in targets[1:]}
    for row in _markdown_table("performance.md", "## Targets")[1:]:
        label = re.fullmatch(
            r"(Adam epoch / .*), (linear|hidden \(64,\)), <= .*", row[0]
        )
        if label is None:
            continue
        for workload, cell in zip(("W1", "W2", "W3"), row[1:], strict=True):
            run_b = re.match(r"[\d.]+ / ([\d.]+)", cell).group(1)
            key = f"{label.group(1)}, {workload} {label.group(2)}"
            assert this_run[key] == run_b, key


def _float32_epoch_ratios(workload):
    """``{solver: "0.55"}``: float32 / float64 epoch, from the benchmark page."""
    rows = _markdown_table("float32_benchmarks.md", "## Seconds per epoch")
    return {row[1]: row[4].split()[0] for row in rows[1:] if row[0] == workload}


def test_user_guide_quotes_the_float32_benchmark_s_epochs():
    ratios = _float32_epoch_ratios("W1")
    assert list(ratios) == list(solvers.SOLVERS)
    quoted = ", ".join(
        f'{ratio} with ``"{solver}"``' for solver, ratio in ratios.items()
    )
    assert f"the float32 epoch takes {quoted} of the float64 epoch." in _flat(
        _page("user_guide.rst")
    )


def _small_data_results():
    """``{(data set, estimator): (mean NLL, coverage, warnings)}`` from its page."""
    text = (DOCS / "small_data_benchmarks.md").read_text()
    names = re.findall(r"^## (\w+)$", text, re.MULTILINE)
    results = {}
    for name in names:
        if name in ("Machine", "Method"):
            continue
        for row in _markdown_table("small_data_benchmarks.md", f"## {name}\n")[1:]:
            results[name, row[0]] = (row[1], row[3], row[4])
    return results


def test_user_guide_quotes_the_small_data_benchmark():
    results = _small_data_results()
    linear, ngboost = "HeteroscedasticRegressor()", "NGBoost (Normal)"
    networks = ["HeteroscedasticRegressor((32,))", "HeteroscedasticRegressor((64, 64))"]
    plain = results["diabetes", "plain ML: " + networks[0]]
    default = results["diabetes", networks[0]]
    guide = _flat(_page("user_guide.rst"))
    assert (
        f"scores a held-out mean NLL of {plain[0]} on diabetes, with 90% "
        f"intervals that cover {plain[1]} of the targets; the default, early "
        f"stopping, {default[0]} and {default[1]}, where the linear model scores "
        f"{results['diabetes', linear][0]} and NGBoost "
        f"{results['diabetes', ngboost][0]}."
    ) in guide
    assert (
        "on macrodata the ``(32,)`` network's intervals cover "
        f"{results['macrodata', networks[0]][1]}."
    ) in guide
    assert (
        f"where NGBoost scores {results['star98', ngboost][0]} and the linear "
        f"model {results['star98', linear][0]}, from one fold"
    ) in guide
    # The claim for three data sets at random_state=0, read off the page.
    for name in ("diabetes", "engel", "star98"):
        references = [
            float(results[name, label][0])
            for label in (linear, ngboost)
            if results[name, label][0] != "n/a"
        ]
        best = min(references)
        for network in networks:
            nll, coverage, caught = results[name, network]
            assert float(nll) <= best + 0.05 * abs(best), (name, network)
            assert 0.85 <= float(coverage) <= 0.95, (name, network)
            assert caught == "none", (name, network)
    assert "max_iter" in results["grunfeld", networks[1]][2]


def _seed_sweep():
    """``{(data set, network): (worst NLL, lowest coverage, seeds on target)}``."""
    rows = _markdown_table("small_data_benchmarks.md", "## Over 20 seeds")[1:]
    return {
        (row[0], row[1]): (
            float(row[4]),
            row[5].split(" to ")[0],
            int(row[7].split(" of ")[0]),
        )
        for row in rows
    }


def test_user_guide_quotes_the_small_data_benchmark_over_seeds():
    sweep = _seed_sweep()
    names = ["diabetes", "engel", "grunfeld", "macrodata", "star98"]
    defaults = ["HeteroscedasticRegressor((32,))", "HeteroscedasticRegressor((64, 64))"]
    tenth = [network[:-1] + ", validation_fraction=0.1)" for network in defaults]
    guide = _flat(_page("user_guide.rst"))
    met = [
        f"{sweep[name, defaults[0]][2]} and {sweep[name, defaults[1]][2]}"
        for name in names
    ]
    assert (
        f"networks meet that target for {met[0]} seeds on diabetes, "
        f"{met[1]} on engel, {met[2]} on grunfeld, {met[3]} on macrodata, and "
        f"{met[4]} on star98."
    ) in guide
    lowest = min(float(sweep["star98", network][1]) for network in defaults)
    assert f"cover less than 0.85 ({lowest:.2f} at worst)" in guide

    def total(networks):
        return sum(sweep[name, network][2] for name in names for network in networks)

    assert f"({total(defaults)} and {total(tenth)} times of 200)" in guide
    normal = 'DistributionRegressor("normal", predicts="all", '
    former = [normal + size + ", relu, a tenth)" for size in ("(32,)", "(64, 64)")]
    assert (
        f"meets it for {total([normal + '(32,))', normal + '(64, 64))'])} of the "
        f"200 seed and network pairs at its defaults, and for {total(former)} at "
        "its former ones"
    ) in guide
    better = [
        sum(sweep[name, fifth][0] < sweep[name, tenth_][0] for name in names)
        for fifth, tenth_ in zip(defaults, tenth, strict=True)
    ]
    assert (
        f"scores better on {better[0]} data sets of 5 for the ``(32,)`` network "
        f"and {better[1]} for the ``(64, 64)``"
    ) in guide
    assert (
        f"meets the target on diabetes for {sweep['diabetes', defaults[1]][2]} "
        f"seeds of 20, where a tenth gives {sweep['diabetes', tenth[1]][2]}."
    ) in guide


# -- the API reference: numpydoc sections hold entries, not paragraphs -------

SECTIONS_OF_ENTRIES = ("Parameters", "Other Parameters", "Attributes", "Returns")
# A name, a list of names, or a variadic one (``*args``, ``**kwargs``).
ENTRY_NAME = re.compile(r"\*{0,2}[A-Za-z_]\w*(?:, *\*{0,2}[A-Za-z_]\w*)*")


def api_reference_objects():
    """``(name, object)`` of every object the API reference documents.

    The entries of docs/api.rst's autosummaries, each in the module of the
    ``currentmodule`` above it, with the public methods of its classes.
    """
    module = None
    for line in (DOCS / "api.rst").read_text().splitlines():
        if line.startswith(".. currentmodule::"):
            module = importlib.import_module(line.split("::")[1].strip())
        elif re.fullmatch(r"   [A-Za-z_]\w*", line):
            name = line.strip()
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attribute, member in inspect.getmembers(obj):
                    if not attribute.startswith("_") and callable(member):
                        yield f"{module.__name__}.{name}.{attribute}", member


def test_api_reference_sections_hold_only_entries():
    """A free paragraph inside Parameters renders as a fake parameter.

    numpydoc reads every unindented line of an entry section as the start of
    an entry, ``name : type``; a paragraph put there (say, after a shared
    block of parameters) becomes entries named after its words, in the API
    reference, and Sphinx does not warn. The docs build checks the
    parameters against the signatures (numpydoc validation, PR02 in
    docs/conf.py); this checks every entry section, attributes and returns
    too, without building the docs.
    """
    docscrape = pytest.importorskip("numpydoc.docscrape")
    bad = []
    for name, obj in api_reference_objects():
        doc = inspect.getdoc(obj)
        if not doc or not (getattr(obj, "__module__", "") or "").startswith("skprob"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown sections: not ours to judge
            parsed = docscrape.NumpyDocString(doc)
        for section in SECTIONS_OF_ENTRIES:
            for entry in parsed[section]:
                if entry.name and not ENTRY_NAME.fullmatch(entry.name):
                    bad.append(f"{name}, {section}: {entry.name!r}")
    assert not bad, "paragraphs read as entries:\n" + "\n".join(bad)


def _headings(text):
    """The section titles of reStructuredText: lines underlined by = or -."""
    lines = text.splitlines()
    return [
        title.strip()
        for title, under in itertools.pairwise(lines)
        if title.strip() and re.fullmatch(r"(=+|-+)", under.strip())
    ]


def test_a_page_that_includes_a_module_docstring_repeats_none_of_its_headings():
    for page in DOCS.glob("*.rst"):
        for module in re.findall(
            r"^\.\. automodule:: ([\w.]+)", page.read_text(), re.M
        ):
            included = _headings(importlib.import_module(module).__doc__)
            repeated = set(included) & set(_headings(page.read_text()))
            assert not repeated, f"{page.name} repeats {module}'s {repeated}"
