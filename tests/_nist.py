"""The NIST StRD nonlinear regression problems that the tests use.

The problems, their formulas and Jacobians are those of the benchmark
(``benchmarks/nist_problems.py``); the tests take the nine below, which
span its levels of difficulty, from both published starts.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from nist_problems import (  # noqa: E402
    FORMULAS,
    NistFormula,
    NistModel,
    Problem,
    load,
)

TESTED = (
    "Bennett5",
    "BoxBOD",
    "Chwirut1",
    "Chwirut2",
    "DanWood",
    "Eckerle4",
    "MGH09",
    "Misra1a",
    "Thurber",
)

__all__ = ["FORMULAS", "NistFormula", "NistModel", "Problem", "TESTED", "load", "model"]


def model(problem, start, jacobian=True):
    """The model of ``problem`` started at ``start``, with or without its Jacobian."""
    cls = NistModel if jacobian else NistFormula
    return cls(problem.name, tuple(float(value) for value in start))
