"""partial_fit: chunked training that reaches fit's optimum, and verbose output.

The scikit-learn contract of partial_fit (n_features checks and so on) is in
test_estimator_checks.py; here are the properties it does not check: that the
solver state and the shuffling stream carry over between calls, that many
calls over chunks reach the held-out NLL of one fit, and passes over the same
chunks its training objective, and that the classes argument and failed
calls behave.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
from _problems import held_out_nll, make_data
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from skprob import (
    BernoulliClassifier,
    GaussianRegressor,
    HeteroscedasticRegressor,
    SoftmaxClassifier,
)
from skprob._training import Objective, full_batch_objective
from skprob.solvers import Solver

ESTIMATORS = [
    GaussianRegressor,
    HeteroscedasticRegressor,
    BernoulliClassifier,
    SoftmaxClassifier,
]


def classes_kwargs(estimator, y):
    return {"classes": np.unique(y)} if is_classifier(estimator) else {}


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_partial_fit_over_chunks_reaches_fit_quality(estimator_class, solver):
    X, y = make_data(estimator_class, 8000)
    X_train, y_train, X_test, y_test = X[:6000], y[:6000], X[6000:], y[6000:]
    full = estimator_class(solver=solver, random_state=0).fit(X_train, y_train)

    chunked = estimator_class(solver=solver, random_state=0)
    kwargs = classes_kwargs(chunked, y)
    for _ in range(10):
        for rows in np.array_split(np.arange(6000), 6):
            chunked.partial_fit(X_train[rows], y_train[rows], **kwargs)

    assert chunked.n_iter_ == 60
    full_nll = held_out_nll(full, X_test, y_test)
    assert held_out_nll(chunked, X_test, y_test) == pytest.approx(full_nll, rel=0.01)


def training_objective(estimator, X, y):
    """The objective a fit minimizes, in the units of y.

    At the defaults, the classifiers' mean NLL plus their penalty, the
    regressors' mean NLL (``alpha=0``: the standardization of the target,
    which partial_fit takes from the first chunk, leaves the optimum where
    it is).
    """
    penalty = 0.5 * estimator.alpha * np.sum(estimator.coef_**2)
    assert is_classifier(estimator) or penalty == 0
    return held_out_nll(estimator, X, y) + penalty


@pytest.mark.parametrize(
    "estimator_class",
    [BernoulliClassifier, HeteroscedasticRegressor],
    ids=lambda c: c.__name__,
)
def test_passes_over_the_same_chunks_reach_fit_optimum(estimator_class):
    # From the third pass, the steps are anchored at an exact full gradient
    # (SVRG), whose noise vanishes at the optimum: the objective converges
    # linearly in the passes, to within 1e-10 of fit's after 30 passes here
    # (over 5 seeds), well below the margin. The chunks come in a new order
    # every pass: a pass is recognized by its chunks, not their order.
    X, y = make_data(estimator_class, 600)
    full = estimator_class(random_state=0).fit(X, y)
    chunked = estimator_class(random_state=0)
    kwargs = classes_kwargs(chunked, y)
    chunks = np.array_split(np.arange(600), 3)
    rng = np.random.default_rng(0)
    for _ in range(30):
        for i in rng.permutation(3):
            chunked.partial_fit(X[chunks[i]], y[chunks[i]], **kwargs)

    optimum = training_objective(full, X, y)
    assert training_objective(chunked, X, y) == pytest.approx(optimum, rel=1e-7)


def test_a_pass_is_anchored_at_the_exact_objective_of_the_last():
    X, y = make_data(BernoulliClassifier, 600)
    clf = BernoulliClassifier(random_state=0)

    def visit(n_chunks, order):
        chunks = np.array_split(np.arange(600), n_chunks)
        for i in order:
            clf.partial_fit(X[chunks[i]], y[chunks[i]], classes=[0, 1])

    visit(3, [0, 1, 2])
    visit(3, [2, 0, 1])
    # The first pass named the chunks; the second summed the objective over
    # them at its start.
    assert clf._training.passes.anchor is None
    visit(3, [1])  # a chunk seen in this pass: the third pass starts
    params, loss, gradient = clf._training.passes.anchor
    objective = Objective(clf._distribution, clf._model, clf.alpha)
    codes = clf._encode_target(y, clf._target)
    full = full_batch_objective(objective, X, codes, np.ones(len(y)))
    expected_loss, expected_gradient = full(params)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    atol = 1e-12 * np.abs(expected_gradient).max()
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-9, atol=atol)
    # Chunks cut anew are another data set: plain steps, until it too has
    # been named and summed.
    visit(4, [0, 1, 2, 3, 0])
    assert clf._training.passes.anchor is None


def test_a_stream_that_never_repeats_keeps_a_bounded_number_of_fingerprints(
    monkeypatch,
):
    from skprob._training import passes

    monkeypatch.setattr(passes, "MAX_CHUNKS_PER_PASS", 4)
    X, y = make_data(BernoulliClassifier, 600)
    clf = BernoulliClassifier(random_state=0)
    for chunk in np.array_split(np.arange(600), 20):
        clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
        assert len(clf._training.passes.current) <= 4
    # Passes of up to that many chunks are still recognized.
    for _ in range(3):
        for chunk in np.array_split(np.arange(600), 4):
            clf.partial_fit(X[chunk], y[chunk])
    assert clf._training.passes.anchor is not None


def balanced_chunks(n_classes, n_per_class, seed):
    """Two chunks whose class frequencies equal those of their union.

    Then the intercepts start at the same marginal MLE whether training
    begins on the first chunk or on both.
    """
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(n_classes), n_per_class)
    X = rng.normal(size=(len(y), 3)) + y[:, None]
    half = len(y) // 2
    return (X[:half], y[:half]), (X[half:], y[half:])


@pytest.mark.parametrize(
    "solver, learning_rate",
    [("momentum", 0.05), ("nesterov", 0.05), ("adam", "auto")],
)
@pytest.mark.parametrize("estimator_class", [BernoulliClassifier, SoftmaxClassifier])
def test_partial_fit_carries_solver_state(estimator_class, solver, learning_rate):
    # Two calls over two halves, unshuffled, are one epoch over the whole
    # only if the velocity (or Adam's moments and step count) carries over.
    n_classes = 2 if estimator_class is BernoulliClassifier else 3
    (X_a, y_a), (X_b, y_b) = balanced_chunks(n_classes, 60, seed=1)
    params = dict(
        solver=solver,
        learning_rate=learning_rate,
        batch_size=30,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    chunked = estimator_class(**params)
    chunked.partial_fit(X_a, y_a, classes=np.arange(n_classes))
    chunked.partial_fit(X_b, y_b)
    # The solver's own iterate: coef_ is the average of the iterates.
    coef, intercept = chunked._model.unpack(chunked._training.iterate)
    chunked.coef_, chunked.intercept_ = coef.T, intercept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = estimator_class(**params).fit(np.vstack([X_a, X_b]), np.r_[y_a, y_b])
        # Control: warm_start restarts the solver state on the second half.
        restarted = estimator_class(**params, warm_start=True).fit(X_a, y_a)
        restarted.fit(X_b, y_b)

    assert chunked.t_ == whole.t_ == len(np.r_[y_a, y_b]) // 30
    np.testing.assert_allclose(chunked.coef_, whole.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(chunked.intercept_, whole.intercept_, rtol=1e-12)
    assert not np.allclose(chunked.coef_, restarted.coef_, rtol=1e-6)
    if solver == "adam":
        assert chunked._training.solver_state.n_steps == chunked.t_


class RecordingSolver(Solver):
    """Records each mini-batch's gradient at fixed parameters; never moves."""

    def __init__(self, batch_size=10):
        self.batch_size = batch_size

    def init(self, params, lipschitz):
        return []

    def step(self, params, loss_grad, state, lr_scale):
        loss, grad = loss_grad(params)
        return params.copy(), loss, [*state, grad]


def test_partial_fit_continues_the_shuffling_stream():
    # An int seed must not give the same batch order at every call.
    X, y = make_data(BernoulliClassifier, 40)
    clf = BernoulliClassifier(solver=RecordingSolver(), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y)
    gradients = np.array(clf._training.solver_state)
    first_call, second_call = gradients[:4], gradients[4:]
    assert not np.allclose(first_call, second_call)
    # Both calls saw every row once: the batch gradients add up the same.
    # (The intercept's gradient is zero up to rounding at the marginal MLE.)
    np.testing.assert_allclose(
        first_call.sum(axis=0), second_call.sum(axis=0), atol=1e-12
    )


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_partial_fit_is_deterministic_and_picklable_between_calls(estimator_class):
    X, y = make_data(estimator_class, 600)
    chunks = np.array_split(np.arange(600), 3)
    one = estimator_class(solver="sgd", random_state=0)
    two = clone(one)
    kwargs = classes_kwargs(one, y)
    for rows in chunks:
        one.partial_fit(X[rows], y[rows], **kwargs)
    two.partial_fit(X[chunks[0]], y[chunks[0]], **kwargs)
    two = pickle.loads(pickle.dumps(two))
    for rows in chunks[1:]:
        two.partial_fit(X[rows], y[rows])
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.intercept_, two.intercept_)


def test_lbfgs_partial_fit_steps_on_each_new_chunk():
    # L-BFGS hands its last evaluation on to the step that continues from
    # the same array; partial_fit's copy makes it evaluate each new chunk.
    X, y = make_data(BernoulliClassifier, 400)
    clf = BernoulliClassifier(solver="lbfgs", alpha=0.0, random_state=0)
    clf.partial_fit(X[:200], y[:200], classes=[0, 1])
    expected = log_loss(y[200:], clf.predict_proba(X[200:]))
    clf.partial_fit(X[200:], y[200:])
    assert clf.loss_curve_[-1] == pytest.approx(expected, rel=1e-12)


def test_partial_fit_after_fit_continues():
    # fit's "auto" is L-BFGS, partial_fit's Adam, with a fresh state, in
    # batches that give the chunk 16 steps.
    X, y = make_data(GaussianRegressor, 400)
    reg = GaussianRegressor(random_state=0).fit(X, y)
    n_iter, t = reg.n_iter_, reg.t_
    reg.partial_fit(X[:100], y[:100])
    assert (reg.n_iter_, reg.t_) == (n_iter + 1, t + 15)  # batches of 7 rows
    assert len(reg.loss_curve_) == n_iter + 1
    assert reg._training.solver_state.n_steps == 15


def test_auto_partial_fit_averages_a_linear_model():
    # Adam in partial_fit: the estimator predicts with the average of its
    # iterates, and the solver carries on from its own.
    X, y = make_data(BernoulliClassifier, 600)
    clf = BernoulliClassifier(random_state=0)
    for rows in np.array_split(np.arange(600), 3):
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
    training = clf._training
    assert training.solver_state.n_steps == clf.t_ == training.n_averaged == 48
    assert not np.allclose(training.params, training.iterate)
    np.testing.assert_array_equal(clf.coef_[0], training.params[:-1])


def test_failed_partial_fit_leaves_the_estimator_unchanged():
    X, y = make_data(GaussianRegressor, 400)
    reg = GaussianRegressor(solver="sgd", batch_size=5, random_state=0)
    reference = clone(reg)
    for estimator in (reg, reference):
        estimator.partial_fit(X[:200], y[:200])
    coef = reg.coef_.copy()
    reg.set_params(learning_rate=1e12)
    with pytest.raises(ValueError, match="no longer finite"):
        reg.partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(reg.coef_, coef)
    assert reg.n_iter_ == 1
    # The shuffling stream and solver state were not advanced either.
    reg.set_params(learning_rate="auto")
    reg.partial_fit(X[200:], y[200:])
    reference.partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(reg.coef_, reference.coef_)


@pytest.mark.parametrize("estimator_class", [BernoulliClassifier, SoftmaxClassifier])
def test_partial_fit_classes(estimator_class):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 0, 1, 1, 0, 1])
    clf = estimator_class()
    with pytest.raises(ValueError, match="classes must be passed on the first"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="classes contains one class"):
        clf.partial_fit(X, y, classes=[0])
    with pytest.raises(ValueError, match="1-dimensional"):
        clf.partial_fit(X, y, classes=[[0, 1]])
    with pytest.raises(ValueError, match=re.escape("not in classes_")):
        clf.partial_fit(X, y + 5, classes=[0, 1])
    assert not hasattr(clf, "classes_")

    # A chunk may miss classes that later chunks contain.
    clf.partial_fit(X[:2], y[:2], classes=[1, 0])
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.predict_proba(X).shape == (6, 2)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_bernoulli_partial_fit_rejects_more_than_two_classes():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="classes has 3 classes"):
        BernoulliClassifier().partial_fit(X, [0, 1, 2, 0, 1, 2], classes=[0, 1, 2])


EPOCH_LINE = re.compile(
    r"^Epoch (\d+), training loss = [-\d.e+]+(, validation NLL = [-\d.e+]+)?, "
    r"step scale = [\d.e+-]+, elapsed = \d+\.\d\ds$"
)


def epoch_numbers(output, early_stopping=False):
    """Epoch numbers of the printed lines; each line must match EPOCH_LINE."""
    numbers = []
    for line in output.splitlines():
        match = EPOCH_LINE.match(line)
        assert match, line
        assert bool(match.group(2)) == early_stopping, line
        numbers.append(int(match.group(1)))
    return numbers


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=lambda c: c.__name__)
def test_verbose_prints_one_line_per_epoch(estimator_class, capsys):
    X, y = make_data(estimator_class, 300)
    estimator = estimator_class(max_iter=3, verbose=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        estimator.fit(X, y)
    assert epoch_numbers(capsys.readouterr().out) == [1, 2, 3]

    estimator = clone(estimator)
    kwargs = classes_kwargs(estimator, y)
    for rows in np.array_split(np.arange(300), 2):
        estimator.partial_fit(X[rows], y[rows], **kwargs)
    assert epoch_numbers(capsys.readouterr().out) == [1, 2]


def test_verbose_reports_validation_nll_under_early_stopping(capsys):
    X, y = make_data(SoftmaxClassifier, 300)
    clf = SoftmaxClassifier(early_stopping=True, verbose=1, random_state=0).fit(X, y)
    assert epoch_numbers(capsys.readouterr().out, early_stopping=True) == list(
        range(1, clf.n_iter_ + 1)
    )


def test_verbose_zero_is_silent(capsys):
    X, y = make_data(BernoulliClassifier, 300)
    clf = BernoulliClassifier(random_state=0).fit(X, y)
    clf.partial_fit(X, y)
    assert capsys.readouterr().out == ""
