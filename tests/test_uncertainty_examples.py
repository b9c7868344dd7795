"""The uncertainty examples run, and show what their text says."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from skprob.metrics import gaussian_nll

EXAMPLES = Path(__file__).parents[1] / "examples"


def _heteroscedastic_fits_better(namespace):
    y_test, predictions = namespace["y_test"], namespace["predictions"]
    nll = {name: gaussian_nll(y_test, *pred) for name, pred in predictions.items()}
    assert nll["HeteroscedasticRegressor"] < nll["GaussianRegressor"] - 0.3


def _recalibration_restores_coverage(namespace):
    levels, coverage = namespace["LEVELS"], namespace["coverage"]
    recalibrated = np.array(coverage["GaussianRegressor, recalibrated"])
    assert np.max(np.abs(recalibrated - levels)) < 0.03
    assert np.max(levels - np.array(coverage["GaussianRegressor"])) > 0.1


def _more_data_calibrates(namespace):
    results = namespace["results"]
    for name in namespace["problems"]:
        assert results[name, 5000][1] < 0.03 < results[name, 150][1]


CHECKS = {
    "plot_heteroscedastic_vs_homoscedastic.py": _heteroscedastic_fits_better,
    "plot_recalibration.py": _recalibration_restores_coverage,
    "plot_reliability_diagram.py": _more_data_calibrates,
}


@pytest.mark.slow
@pytest.mark.parametrize("script", CHECKS)
def test_example(script, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    namespace = runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    plt.close("all")
    CHECKS[script](namespace)
