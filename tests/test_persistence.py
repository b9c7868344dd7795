"""Saving and loading fitted estimators with pickle and skops.io.

A loaded estimator must be the saved one exactly: the same predictions bit
for bit, and ``partial_fit`` and ``warm_start`` continuing as the estimator
that was never saved does. skops must be asked to trust only the estimator's
class, and the class of a solver object the user gave it.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
import skops.io as sio
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skprob import (
    BernoulliClassifier,
    DistributionRegressor,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob._persistence import from_plain
from skprob.solvers import LBFGS, SGD, Adam, Momentum


def _data(seed=0, n_samples=240):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    raw = X @ [1.0, -2.0, 0.5]
    y_regression = raw + (0.5 + np.abs(X[:, 0])) * rng.normal(size=n_samples)
    y_binary = (raw + rng.logistic(size=n_samples) > 0).astype(int)
    y_three = np.digitize(raw + rng.normal(size=n_samples), [-1.0, 1.0])
    y_two_outputs = np.column_stack(
        [y_regression, 100 * (X[:, 1] + rng.normal(size=n_samples))]
    )
    y_multilabel = (
        raw[:, None] * [1.0, -1.0, 0.5] + rng.logistic(size=(n_samples, 3)) > 0
    ).astype(int)
    return X, {
        "regression": y_regression,
        "binary": y_binary,
        "three": y_three,
        "two outputs": y_two_outputs,
        "multilabel": y_multilabel,
        "counts": rng.poisson(np.exp(raw / 3.0)),
    }


ESTIMATORS = {
    "Distribution-negative_binomial": (
        DistributionRegressor("negative_binomial"),
        "counts",
    ),
    "Distribution-laplace-all": (
        DistributionRegressor("laplace", predicts="all"),
        "regression",
    ),
    "Gaussian-lbfgs": (GaussianRegressor(solver="lbfgs"), "regression"),
    "Gaussian-LBFGS()": (GaussianRegressor(solver=LBFGS()), "regression"),
    "Heteroscedastic-mlp-early-stopping": (
        HeteroscedasticRegressor(
            hidden_layer_sizes=(6,),
            early_stopping=True,
            max_iter=30,
            random_state=0,
        ),
        "regression",
    ),
    "Heteroscedastic-Adam()": (
        HeteroscedasticRegressor(solver=Adam(learning_rate=0.02), random_state=0),
        "regression",
    ),
    "Bernoulli-nesterov-RandomState": (
        BernoulliClassifier(solver="nesterov", random_state=np.random.RandomState(0)),
        "binary",
    ),
    "Bernoulli-Momentum()": (
        BernoulliClassifier(solver=Momentum(momentum=0.5), random_state=0),
        "binary",
    ),
    "Softmax-gd": (SoftmaxClassifier(solver="gd", alpha=0.01), "three"),
    "Softmax-newton": (SoftmaxClassifier(solver="newton", alpha=0.01), "three"),
    "Gaussian-two-outputs-newton": (GaussianRegressor(solver="newton"), "two outputs"),
    "Heteroscedastic-two-outputs-mlp-adam": (
        HeteroscedasticRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=0),
        "two outputs",
    ),
    "Bernoulli-multilabel-sgd": (
        BernoulliClassifier(solver="sgd", random_state=0),
        "multilabel",
    ),
    "Softmax-mlp-SGD()": (
        SoftmaxClassifier(
            solver=SGD(batch_size=50), hidden_layer_sizes=(5,), random_state=0
        ),
        "three",
    ),
}


def _fitted(name):
    """A fitted estimator that has also run partial_fit.

    Three calls on one chunk: a plateau rule, and, for a model that seeks
    its optimum, the passes over a data set of that chunk, anchored from the
    third call on.
    """
    estimator, target = ESTIMATORS[name]
    X, ys = _data()
    estimator = clone(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, ys[target])
    for _ in range(3):
        estimator.partial_fit(X[:100], ys[target][:100])
    return estimator, target


def _predictions(estimator, X):
    if hasattr(estimator, "decision_function"):
        return [estimator.predict_proba(X), estimator.decision_function(X)]
    if hasattr(estimator, "predict_proba"):  # a multilabel classifier
        return [estimator.predict_proba(X), estimator.predict(X)]
    return list(estimator.predict(X, return_std=True))


def _continue(estimator, target):
    """Train further: one partial_fit call, then a warm-started fit."""
    X, ys = _data(seed=1)
    estimator.partial_fit(X[:120], ys[target][:120])
    after_partial_fit = _predictions(estimator, X) + [list(estimator.loss_curve_)]
    estimator.set_params(warm_start=True, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, ys[target])
    return after_partial_fit + _predictions(estimator, X) + [estimator.loss_curve_]


def _round_trips(estimator):
    trusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    return {
        "pickle": pickle.loads(pickle.dumps(estimator)),
        "skops": sio.loads(sio.dumps(estimator), trusted=trusted),
    }


@pytest.mark.parametrize("name", ESTIMATORS)
def test_loaded_estimator_predicts_and_trains_on_as_the_saved_one(name):
    estimator, target = _fitted(name)
    X, _ = _data(seed=2)
    loaded = _round_trips(estimator)
    expected_predictions = _predictions(estimator, X)
    expected_training = _continue(estimator, target)
    for how, copy in loaded.items():
        for got, expected in zip(
            _predictions(copy, X), expected_predictions, strict=True
        ):
            assert_array_equal(got, expected, err_msg=how)
        for got, expected in zip(
            _continue(copy, target), expected_training, strict=True
        ):
            assert_array_equal(got, expected, err_msg=how)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_skops_trusts_only_the_estimator_and_the_users_solver(name):
    estimator, _ = _fitted(name)
    expected = [f"{type(estimator).__module__}.{type(estimator).__name__}"]
    if not isinstance(estimator.solver, str):
        expected.append(f"skprob.solvers.{type(estimator.solver).__name__}")
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    assert sorted(untrusted) == sorted(expected)


@pytest.mark.parametrize("name", ["Gaussian-LBFGS()", "Softmax-mlp-SGD()"])
def test_pickle_names_no_private_module(name):
    # So that a file saved now loads after skprob's private modules change.
    estimator, _ = _fitted(name)
    modules = set(re.findall(rb"\bskprob\.[\w.]*", pickle.dumps(estimator)))
    assert modules == {type(estimator).__module__.encode(), b"skprob.solvers"}


def test_unfitted_estimator_and_clone_after_loading():
    estimator, _ = _fitted("Heteroscedastic-Adam()")
    for copy in _round_trips(estimator).values():
        assert clone(copy).get_params()["solver"].learning_rate == 0.02
    unfitted = HeteroscedasticRegressor(solver=Adam())
    state = unfitted.__getstate__()
    assert state == vars(unfitted)


def test_unknown_tag_is_refused():
    with pytest.raises(ValueError, match="another version of skprob"):
        from_plain({"__skprob_object__": "os.system", "fields": {}})
