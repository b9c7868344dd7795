"""The code in the documentation's pages runs and prints what the pages say.

The docstring Examples run as doctests through ``--doctest-modules``; this
covers the hand-written pages, so that they stay true without building the
documentation.
"""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", ["getting_started.rst", "solvers.rst"])
def test_page_examples(page):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted > 0
    assert result.failed == 0
