"""
==============================================
Reliability diagrams of the skprob classifiers
==============================================

A classifier is calibrated when, among the predictions it makes with
confidence 0.8, 80% are right. A reliability diagram plots accuracy against
confidence in bins (:func:`skprob.metrics.top_label_calibration_curve`); the
expected calibration error (ECE, :func:`skprob.metrics.expected_calibration_error`)
is the average gap, weighted by the number of predictions in each bin.

The data come from the models themselves: a logistic (two classes) or
softmax (three classes) model of 20 features, so the maximum-likelihood fit
is calibrated once it has enough data. Fitted on 150 rows, the unpenalized
fit overfits and is overconfident; on 5000 rows it is calibrated. Scores are
on 20000 held-out rows.

Run it with ``python examples/plot_reliability_diagram.py``.
"""

# %%
# Data drawn from a linear logit model
# ------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import softmax
from sklearn.metrics import log_loss

from skprob import BernoulliClassifier, SoftmaxClassifier
from skprob.metrics import expected_calibration_error, top_label_calibration_curve

rng = np.random.default_rng(0)
N_FEATURES, N_BINS = 20, 10


def make_data(n_samples, coef):
    """Features N(0, I); labels drawn from the softmax of the class scores."""
    X = rng.normal(size=(n_samples, N_FEATURES))
    proba = softmax(X @ coef, axis=1)
    cumulative = np.cumsum(proba, axis=1)
    y = (rng.uniform(size=(n_samples, 1)) > cumulative).sum(axis=1)
    return X, np.minimum(y, coef.shape[1] - 1)


def make_coef(n_classes):
    coef = np.zeros((N_FEATURES, n_classes))
    coef[:4] = rng.normal(scale=0.8, size=(4, n_classes))
    return coef


problems = {
    "BernoulliClassifier (2 classes)": (BernoulliClassifier, make_coef(2)),
    "SoftmaxClassifier (3 classes)": (SoftmaxClassifier, make_coef(3)),
}

# %%
# Fit on few and on many rows, score on held-out data
# ---------------------------------------------------
results = {}
print(f"{'classifier':34s} {'n_train':>7s} {'log-loss':>9s} {'ECE':>7s}")
for name, (classifier, coef) in problems.items():
    X_test, y_test = make_data(20000, coef)
    for n_train in (150, 5000):
        X_train, y_train = make_data(n_train, coef)
        clf = classifier(solver="lbfgs").fit(X_train, y_train)
        proba = clf.predict_proba(X_test)
        ece = expected_calibration_error(
            y_test, proba, labels=clf.classes_, n_bins=N_BINS
        )
        curve = top_label_calibration_curve(
            y_test, proba, labels=clf.classes_, n_bins=N_BINS
        )
        results[name, n_train] = curve, ece, proba.max(axis=1)
        loss = log_loss(y_test, proba, labels=clf.classes_)
        print(f"{name:34s} {n_train:7d} {loss:9.4f} {ece:7.4f}")

# %%
# The diagrams
# ------------
# Points below the diagonal are overconfident bins: the predictions are
# right less often than their confidence says. The histograms below show how
# many test predictions fall in each bin.
fig, axes = plt.subplots(
    2, 2, figsize=(10, 6.5), sharex=True, height_ratios=(3, 1), layout="constrained"
)
edges = np.linspace(0, 1, N_BINS + 1)
for column, name in enumerate(problems):
    top, bottom = axes[0, column], axes[1, column]
    top.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
    for n_train, color in {150: "C3", 5000: "C0"}.items():
        (accuracy, confidence, _), ece, top_proba = results[name, n_train]
        top.plot(
            confidence,
            accuracy,
            "o-",
            color=color,
            label=f"fitted on {n_train} rows, ECE {ece:.3f}",
        )
        bottom.stairs(np.histogram(top_proba, edges)[0], edges, color=color)
    top.set_title(name)
    top.set_ylabel("accuracy in bin")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.legend(loc="upper left", fontsize=8)
    bottom.set_xlabel("confidence (largest predicted probability)")
    bottom.set_ylabel("test rows")
fig.suptitle(f"Reliability diagrams on held-out data ({N_BINS} equal-width bins)")
plt.show()
