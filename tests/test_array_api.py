"""Array API input: a clear error under array_api_dispatch, NumPy otherwise.

scikit-learn's array API dispatch needs ``SCIPY_ARRAY_API=1`` set before
SciPy is imported, so the dispatch test runs in a fresh interpreter.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skprob import GaussianRegressor

xp = pytest.importorskip("array_api_strict")

ROOT = Path(__file__).resolve().parents[1]

DISPATCH_SCRIPT = """
import numpy as np
import sklearn

import array_api_strict as xp
from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)

try:
    sklearn.set_config(array_api_dispatch=True)
except ImportError as error:  # scikit-learn < 1.7 needs array-api-compat
    print("SKIP", error)
    raise SystemExit(0)

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2))
targets = {
    GaussianRegressor: X[:, 0] + rng.normal(size=40),
    HeteroscedasticRegressor: X[:, 0] + rng.normal(size=40),
    BernoulliClassifier: (X[:, 0] > 0).astype(int),
    SoftmaxClassifier: np.arange(40) % 3,
}
expected = "skprob does not support array API inputs yet"
for estimator_class, y in targets.items():
    estimator = estimator_class(solver="lbfgs")
    weight = np.ones(40)
    for name, data in [
        ("X", (xp.asarray(X), y, weight)),
        ("y", (X, xp.asarray(y), weight)),
        ("sample_weight", (X, y, xp.asarray(weight))),
    ]:
        for method in ("fit", "partial_fit"):
            kwargs = {"sample_weight": data[2]}
            if method == "partial_fit" and hasattr(estimator, "predict_proba"):
                kwargs["classes"] = np.unique(y)
            try:
                getattr(estimator, method)(data[0], data[1], **kwargs)
            except ValueError as error:
                message = str(error)
                assert message.startswith(expected), message
                assert f"{name} is an array of array_api_strict" in message
                assert "array_api_dispatch=True" in message, message
            else:
                raise AssertionError(f"{estimator_class.__name__}.{method} passed")
    # NumPy input works under dispatch; array API input to predict does not.
    estimator.fit(X, y)
    estimator.predict(X)
    try:
        estimator.predict(xp.asarray(X))
    except ValueError as error:
        assert str(error).startswith(expected), error
    else:
        raise AssertionError(f"{estimator_class.__name__}.predict passed")
print("OK")
"""


def test_array_api_dispatch_gives_a_clear_error():
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    result = subprocess.run(
        [sys.executable, "-c", DISPATCH_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    if result.stdout.startswith("SKIP"):
        pytest.skip(result.stdout.strip())
    assert result.stdout.strip() == "OK", result.stdout + result.stderr


def test_array_api_input_without_dispatch_is_converted_to_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=40)
    reference = GaussianRegressor(solver="lbfgs").fit(X, y)
    model = GaussianRegressor(solver="lbfgs").fit(xp.asarray(X), xp.asarray(y))
    prediction = model.predict(xp.asarray(X))
    assert isinstance(prediction, np.ndarray)
    assert_allclose(prediction, reference.predict(X), rtol=1e-12)
