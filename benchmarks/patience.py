"""Early stopping's patience with a slow start: the figures of the user guide.

Usage, from the repository root::

    python benchmarks/patience.py

Two measurements, printed as Markdown:

- **Check data.** scikit-learn's ``check_regressors_train`` fits 200 rows
  (``make_regression`` with one informative feature of ten, noise 20; X and y
  standardized) and asks for a training R^2 above 0.5. Every network
  regressor of the estimator checks (hidden layers ``(5,)``), for each of the
  four activations, the six network solvers and ten seeds, at its defaults
  (early stopping on), is fitted under three stopping rules: the plain
  plateau rule on the held-out NLL (no patience), patience that any
  improvement on the start ends (``10 * tol``), and the default, patience
  that an improvement of ``FIRST_IMPROVEMENT`` nats per held-out row ends.
  Each row counts the fits whose R^2 is at most 0.5.
- **First improvements.** Under the default rule, the solver step at which
  the held-out NLL of each early-stopped stage (a warm-up, an NLL) first
  fell ``FIRST_IMPROVEMENT`` below its start: on the check data as above,
  and on the five data sets of ``benchmarks/small_data.py`` (every training
  fold, StandardScaler, HeteroscedasticRegressor ``(32,)`` and ``(64, 64)``
  and GaussianRegressor ``(64, 64)``, three activations, ``random_state=0``).
  ``PATIENCE_STEPS`` should exceed nearly all of them; a stage that
  improves later is judged by the plain rule from there.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import _regression_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402
import small_data  # noqa: E402

from skprob import GaussianRegressor, HeteroscedasticRegressor  # noqa: E402
from skprob._training import regimes, stopping  # noqa: E402
from skprob.solvers import SOLVERS  # noqa: E402

ACTIVATIONS = ["identity", "logistic", "relu", "tanh"]
NETWORK_SOLVERS = [solver for solver in SOLVERS if solver != "newton"]
RULES = {
    "no patience": dict(PATIENCE_STEPS=0),
    "patience, any improvement (10 * tol)": dict(FIRST_IMPROVEMENT=0.0),
    "patience, default": {},
}


def check_data():
    """The data of ``check_regressors_train``, standardized as it does."""
    X, y = _regression_dataset()
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def check_fits():
    """``(estimator, activation, solver, seed)`` of every check-data fit."""
    for estimator_class in (GaussianRegressor, HeteroscedasticRegressor):
        for activation in ACTIVATIONS:
            for solver in NETWORK_SOLVERS:
                for seed in range(10):
                    yield estimator_class(
                        hidden_layer_sizes=(5,),
                        activation=activation,
                        solver=solver,
                        random_state=seed,
                    )


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def failures_under(rule):
    """The check-data fits of R^2 at most 0.5 under ``rule``, and their count."""
    saved = {name: getattr(stopping, name) for name in rule}
    for name, value in rule.items():
        setattr(stopping, name, value)
    try:
        X, y = check_data()
        scores = [_fit_quietly(est, X, y).score(X, y) for est in check_fits()]
    finally:
        for name, value in saved.items():
            setattr(stopping, name, value)
    return sum(score <= 0.5 for score in scores), len(scores)


class FirstImprovements:
    """Records, per early-stopped stage, the step of its first improvement."""

    def __init__(self):
        self.steps, self.n_stages = [], 0
        self._init = regimes.EarlyStopping.__init__
        self._verdict = regimes.EarlyStopping.verdict

    def __enter__(self):
        recorder = self

        def init(regime, run, best_params):
            recorder._init(regime, run, best_params)
            recorder.n_stages += 1
            n_rows = run.X.shape[0]
            batch = regimes.batch_size_of(run.solver, n_rows)
            regime.steps_per_epoch, regime.first = -(-n_rows // batch), None

        def verdict(regime, training):
            answer = recorder._verdict(regime, training)
            if regime.first is None and regime.rule.left_start:
                regime.first = regime.rule.n_epochs * regime.steps_per_epoch
                recorder.steps.append(regime.first)
            return answer

        regimes.EarlyStopping.__init__, regimes.EarlyStopping.verdict = init, verdict
        return self

    def __exit__(self, *exc):
        regimes.EarlyStopping.__init__ = self._init
        regimes.EarlyStopping.verdict = self._verdict


def small_data_fits():
    """``(X_train, y_train, estimator)`` of the benchmark's folds."""
    for _, _, X, y in small_data.data_sets():
        for train, _ in KFold(5, shuffle=True, random_state=0).split(X):
            X_train = StandardScaler().fit_transform(X[train])
            for estimator_class, sizes in [
                (HeteroscedasticRegressor, (32,)),
                (HeteroscedasticRegressor, (64, 64)),
                (GaussianRegressor, (64, 64)),
            ]:
                for activation in ["relu", "tanh", "logistic"]:
                    yield (
                        X_train,
                        y[train],
                        estimator_class(
                            hidden_layer_sizes=sizes,
                            activation=activation,
                            random_state=0,
                        ),
                    )


def first_improvements(fits):
    """The steps of the stages' first improvements, and the number of stages."""
    with FirstImprovements() as recorder:
        for X, y, estimator in fits:
            _fit_quietly(estimator, X, y)
    return recorder.steps, recorder.n_stages


def main():
    _harness.pin_threads()
    print(f"PATIENCE_STEPS = {stopping.PATIENCE_STEPS}, ", end="")
    print(f"FIRST_IMPROVEMENT = {stopping.FIRST_IMPROVEMENT}\n")
    rows = []
    for label, rule in RULES.items():
        print(f"check data: {label}", file=sys.stderr)
        failed, total = failures_under(rule)
        rows.append([label, f"{failed} of {total}"])
    print(_harness.markdown_table(["stopping rule", "fits with R^2 <= 0.5"], rows))
    X, y = check_data()
    sources = {
        "check data": ((X, y, est) for est in check_fits()),
        "small data sets": small_data_fits(),
    }
    rows = []
    for label, fits in sources.items():
        print(f"first improvements: {label}", file=sys.stderr)
        steps, n_stages = first_improvements(fits)
        improved = f"{len(steps)} of {n_stages}"
        late = sum(step > stopping.PATIENCE_STEPS for step in steps)
        quantiles = [f"{q:g}" for q in np.percentile(steps, [50, 99])]
        rows.append([label, improved, *quantiles, str(max(steps)), str(late)])
    header = [
        "fits",
        "stages that improved",
        "median step",
        "99th percentile",
        "latest step",
        "past PATIENCE_STEPS",
    ]
    print()
    print(_harness.markdown_table(header, rows))


if __name__ == "__main__":
    main()
