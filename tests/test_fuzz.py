"""Generated input for every estimator: a sound fit, or an error that says why.

Hypothesis draws the shape of X (no rows or features included), its dtype,
its magnitude (1e-300 to 1e300), its container (NumPy, CSR, CSC, pandas
with named columns, a list), the target (scale, shift, several outputs,
class labels of every kind, a single class, a multilabel matrix) and the
weights (none, integers, zeros, all zero, negative, NaN). Every outcome must
be one of two:

- a fit whose predictions on X are finite and of the right shape (a column
  vector y is a 1-D target, with scikit-learn's DataConversionWarning)
  (probabilities that sum to 1, standard deviations that are positive), with
  no RuntimeWarning on the way (an overflow is an error in the test suite);
- a ``ValueError`` or ``TypeError`` whose message names the problem.

In the slow set: 1,200 generated cases, well under a minute.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)

ESTIMATORS = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]
MAGNITUDES = [1e-300, 1e-30, 1e-5, 1.0, 1e5, 1e30, 1e300]
# What an error must speak of: the argument, or the property of it, at fault.
NAMES_A_PROBLEM = re.compile(
    r"\bX\b|\by\b|sample_weight|sample|feature|class|label|target|dtype|NaN|"
    r"infinity|finite|weight|shape|column|sparse|numeric|string|output|"
    r"float|overflow|separat",
    re.IGNORECASE,
)
SETTINGS = [
    {},
    {"solver": "newton"},
    {"solver": "adam", "max_iter": 20},
    {"hidden_layer_sizes": (3,), "max_iter": 50},
    {"alpha": 0.0},
]


@st.composite
def features(draw):
    """X as a float64 array, then in the dtype and container drawn."""
    n_samples = draw(st.sampled_from([0, 1, 2, 3, 10, 30]))
    n_features = draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(n_samples, n_features)) * draw(st.sampled_from(MAGNITUDES))
    if n_features and draw(st.booleans()):
        X[:, 0] = X[0, 0] if n_samples else 0.0  # a constant column
    if n_samples and n_features and draw(st.integers(0, 9)) == 0:
        X[rng.integers(n_samples), rng.integers(n_features)] = np.nan
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, bool]))
    X = X.astype(dtype) if in_range(X, dtype) else X
    container = draw(st.sampled_from(["ndarray", "csr", "csc", "pandas", "list"]))
    return X, container, rng


def in_range(values, dtype):
    """Whether ``values`` cast to ``dtype`` keep their meaning (no overflow)."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return True
    if kind != "f" and np.isnan(values).any():
        return False
    info = np.finfo(dtype) if kind == "f" else np.iinfo(dtype)
    return bool(np.all(np.abs(values[~np.isnan(values)]) < info.max))


def in_container(X, container):
    if container in ("csr", "csc"):
        return getattr(sp, f"{container}_matrix")(X)
    if container == "pandas":
        return pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    return X.tolist() if container == "list" else X


@st.composite
def targets(draw, estimator_class, n_samples, rng):
    if not is_classifier(estimator_class()):
        n_outputs = draw(st.sampled_from([None, 1, 2]))
        shape = n_samples if n_outputs is None else (n_samples, n_outputs)
        scale = draw(st.sampled_from(MAGNITUDES + [0.0]))
        shift = draw(st.sampled_from([0.0, 1.0, -1e6]))
        y = shift + scale * rng.normal(size=shape)
        dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
        return y.astype(dtype) if in_range(y, dtype) else y
    kind = draw(st.sampled_from(["int", "str", "bool", "float", "multilabel"]))
    n_classes = draw(st.integers(1, 4))
    codes = rng.integers(n_classes, size=n_samples)
    if kind == "multilabel":
        return rng.integers(2, size=(n_samples, draw(st.integers(1, 3))))
    if kind == "str":
        return np.array(["ab", "cd", "ef", "gh"])[codes]
    if kind == "bool":
        return codes.astype(bool)
    return codes.astype(float) * 2.5 if kind == "float" else codes * 7 - 3


@st.composite
def weights(draw, n_samples, rng):
    kind = draw(
        st.sampled_from(
            ["none", "ones", "uniform", "integers", "zeros", "negative", "nan"]
        )
    )
    if kind == "none":
        return None
    weight = {
        "ones": np.ones(n_samples),
        "uniform": rng.uniform(0.0, 3.0, size=n_samples),
        "integers": rng.integers(0, 4, size=n_samples).astype(float),
        "zeros": np.zeros(n_samples),
        "negative": -np.ones(n_samples),
        "nan": np.full(n_samples, np.nan),
    }[kind]
    return pd.Series(weight) if draw(st.booleans()) else weight


def check_predictions(estimator, X, y, n_samples):
    y = np.asarray(y)
    if is_classifier(estimator):
        proba = estimator.predict_proba(X)
        labels = estimator.predict(X)
        if y.ndim == 2 and y.shape[1] > 1:  # multilabel: a probability per label
            assert proba.shape == labels.shape == y.shape
        else:
            assert proba.shape == (n_samples, len(estimator.classes_))
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
            assert np.isin(labels, estimator.classes_).all()
        assert np.isfinite(proba).all() and (proba >= 0).all()
        return
    mean, std = estimator.predict(X, return_std=True)
    expected = (n_samples,) if y.ndim == 1 else (n_samples, y.shape[1])
    assert mean.shape == std.shape == expected
    assert np.isfinite(mean).all() and np.isfinite(std).all()
    assert (std > 0).all()


@pytest.mark.slow
# A column-vector y is accepted with scikit-learn's own warning, as it should be.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(data=st.data())
def test_any_input_fits_soundly_or_fails_clearly(estimator_class, data):
    X_values, container, rng = data.draw(features(), label="X")
    n_samples = X_values.shape[0]
    y = data.draw(targets(estimator_class, n_samples, rng), label="y")
    sample_weight = data.draw(weights(n_samples, rng), label="sample_weight")
    params = data.draw(st.sampled_from(SETTINGS), label="params")
    estimator = estimator_class(random_state=0, **params)
    X = in_container(X_values, container)
    with warnings.catch_warnings():
        # Short fits and separable classes are not under test; an overflow
        # (a RuntimeWarning, an error in this test suite) is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            estimator.fit(X, y, sample_weight=sample_weight)
        except (ValueError, TypeError) as error:
            assert NAMES_A_PROBLEM.search(str(error)), repr(error)
            return
        check_predictions(estimator, X, y, n_samples)
