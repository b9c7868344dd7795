"""The uncertainty examples run, and show what their text says."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from skprob.metrics import gaussian_interval, gaussian_nll, interval_coverage

EXAMPLES = Path(__file__).parents[1] / "examples"


def _coverage(y_true, y_mean, y_std, level=0.9):
    return interval_coverage(y_true, *gaussian_interval(y_mean, y_std, level))


def _heteroscedastic_fits_better(namespace):
    y_test, predictions = namespace["y_test"], namespace["predictions"]
    nll = {name: gaussian_nll(y_test, *pred) for name, pred in predictions.items()}
    assert nll["HeteroscedasticRegressor"] < nll["GaussianRegressor"] - 0.3
    # What the example's text says of the 90% intervals.
    quiet = namespace["quiet"]
    gaussian, hetero = (
        predictions[name] for name in ("GaussianRegressor", "HeteroscedasticRegressor")
    )
    assert abs(_coverage(y_test, *gaussian) - 0.9) < 0.02
    assert _coverage(y_test[quiet], *(p[quiet] for p in gaussian)) > 0.97
    assert _coverage(y_test[~quiet], *(p[~quiet] for p in gaussian)) < 0.85
    for half in (quiet, ~quiet):
        assert abs(_coverage(y_test[half], *(p[half] for p in hetero)) - 0.9) < 0.05
    calibrated = namespace["models"]["CalibratedRegressor(GaussianRegressor)"]
    assert abs(calibrated.scale_ - 1.0) < 0.05


def _recalibration_restores_coverage(namespace):
    levels, coverage = namespace["LEVELS"], namespace["coverage"]
    recalibrated = np.array(coverage["GaussianRegressor, recalibrated"])
    assert np.max(np.abs(recalibrated - levels)) < 0.03
    assert np.max(levels - np.array(coverage["GaussianRegressor"])) > 0.1
    # The figures the example's text gives, "about" each.
    models, X_test, y_test = (namespace[k] for k in ("models", "X_test", "y_test"))
    gaussian = models["GaussianRegressor"].predict(X_test, return_std=True)
    assert abs(_coverage(y_test, *gaussian) - 0.8) < 0.03
    assert abs(models["GaussianRegressor, recalibrated"].scale_ - 1.3) < 0.05
    hetero = models["HeteroscedasticRegressor, recalibrated"]
    assert abs(hetero.scale_ - 5.0) < 0.5
    half = _coverage(y_test, *hetero.predict(X_test, return_std=True), level=0.5)
    assert abs(half - 0.9) < 0.05


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
