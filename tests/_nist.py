"""NIST StRD nonlinear regression problems as models of one's own.

Each problem of ``benchmarks/nist_strd`` that the tests use: its formula
and its Jacobian, the two published starting points, the certified
parameters and standard deviations, and the data. :func:`model` gives a
:class:`~skprob.models.ParametricModel` with the analytic Jacobian, or
without one (finite differences).
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skprob.models import ParametricModel

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "nist_strd"
_NUMBER = r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class Problem:
    name: str
    starts: tuple  # two starting points, each of shape (n_params,)
    certified: np.ndarray
    certified_std: np.ndarray
    certified_rss: float
    x: np.ndarray
    y: np.ndarray


def load(name):
    """The problem ``name`` as NIST publishes it (data from line 61 on)."""
    lines = (DATA / f"{name}.dat").read_text().splitlines()
    rows = [
        [float(value) for value in re.findall(_NUMBER, line.split("=")[1])]
        for line in lines[:60]
        if re.match(r"\s*b\d+\s*=", line)
    ]
    table = np.array(rows)
    rss = next(line for line in lines if line.startswith("Residual Sum of Squares"))
    data = np.array(
        [[float(v) for v in line.split()] for line in lines[60:] if line.strip()]
    )
    return Problem(
        name=name,
        starts=(table[:, 0], table[:, 1]),
        certified=table[:, 2],
        certified_std=table[:, 3],
        certified_rss=float(rss.split(":")[1]),
        x=data[:, 1],
        y=data[:, 0],
    )


def _misra1a(b, x):
    decay = np.exp(-b[1] * x)
    return b[0] * (1 - decay), [1 - decay, b[0] * x * decay]


def _thurber(b, x):
    powers = np.stack([np.ones_like(x), x, x**2, x**3])
    numerator = b[:4] @ powers
    denominator = 1 + b[4:] @ powers[1:]
    value = numerator / denominator
    return value, [*(powers / denominator), *(-value * powers[1:] / denominator)]


def _mgh09(b, x):
    numerator = x**2 + x * b[1]
    denominator = x**2 + x * b[2] + b[3]
    value = b[0] * numerator / denominator
    return value, [
        numerator / denominator,
        b[0] * x / denominator,
        -value * x / denominator,
        -value / denominator,
    ]


def _chwirut(b, x):
    decay = np.exp(-b[0] * x)
    denominator = b[1] + b[2] * x
    value = decay / denominator
    return value, [-x * value, -value / denominator, -x * value / denominator]


def _bennett5(b, x):
    base = b[1] + x
    power = base ** (-1 / b[2])
    return b[0] * power, [
        power,
        -b[0] * power / (b[2] * base),
        b[0] * power * np.log(base) / b[2] ** 2,
    ]


def _eckerle4(b, x):
    z = (x - b[2]) / b[1]
    bell = np.exp(-0.5 * z**2)
    value = b[0] / b[1] * bell
    return value, [bell / b[1], value * (z**2 - 1) / b[1], value * z / b[1]]


def _danwood(b, x):
    power = x ** b[1]
    return b[0] * power, [power, b[0] * power * np.log(x)]


FORMULAS = {
    "Misra1a": _misra1a,
    "BoxBOD": _misra1a,
    "Thurber": _thurber,
    "MGH09": _mgh09,
    "Chwirut1": _chwirut,
    "Chwirut2": _chwirut,
    "Bennett5": _bennett5,
    "Eckerle4": _eckerle4,
    "DanWood": _danwood,
}


class Formula(ParametricModel):
    """A NIST problem's formula, its Jacobian from finite differences."""

    def __init__(self, problem="Misra1a", start=(1.0, 1.0)):
        self.problem = problem
        self.start = start

    @property
    def n_params(self):
        return len(self.start)

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, dtype=np.float64)

    def predict_raw(self, params, X):
        return FORMULAS[self.problem](params, X[:, 0])[0]


class FormulaWithJacobian(Formula):
    """A NIST problem's formula and its analytic Jacobian."""

    def jacobian(self, params, X):
        return np.column_stack(FORMULAS[self.problem](params, X[:, 0])[1])


def model(problem, start, jacobian=True):
    """The model of ``problem`` started at ``start``."""
    cls = FormulaWithJacobian if jacobian else Formula
    return cls(problem.name, tuple(float(value) for value in start))
