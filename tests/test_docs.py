"""The code in the documentation's pages runs and prints what the pages say.

The docstring Examples run as doctests through ``--doctest-modules``; this
covers the hand-written pages, so that they stay true without building the
documentation.
"""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(
    "page", ["getting_started.rst", "solvers.rst", "inference.rst"]
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


@pytest.mark.parametrize("name", ["GD", "SGD", "Momentum", "Adam", "LBFGS", "Newton"])
def test_solver_guide_formulas_match_docstrings(name):
    # The solver guide repeats each update rule; it must not drift from the
    # docstring that documents the code.
    import skprob.solvers

    guide = " ".join((DOCS / "solvers.rst").read_text().split())
    formulas = _math_blocks(getattr(skprob.solvers, name).__doc__)
    assert formulas
    for formula in formulas:
        assert formula in guide, formula
