"""
=============================================================
Tuning hyper-parameters for held-out likelihood
=============================================================

A skprob estimator is fitted by maximum likelihood, so the natural way to
choose its hyper-parameters is the same criterion on data it has not seen:
the held-out log-likelihood. Accuracy and :math:`R^2` judge only the point
predictions (the label, the mean); the likelihood also judges the
probabilities and the uncertainty the model reports.

skprob estimators are ordinary scikit-learn estimators: they go in a
:class:`~sklearn.pipeline.Pipeline`, and
:class:`~sklearn.model_selection.GridSearchCV` tunes them.
"""

# %%
# Classifiers: ``scoring="neg_log_loss"``
# ---------------------------------------
# For a classifier the held-out log-likelihood per sample is minus the
# log-loss, a scorer scikit-learn ships as ``"neg_log_loss"``. We tune the L2
# penalty ``alpha`` of a :class:`~skprob.SoftmaxClassifier` on 200 samples
# of three classes with 40 features, only 5 of them informative, so that an
# unpenalized model overfits; we score accuracy alongside.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skprob
from skprob import GaussianRegressor, HeteroscedasticRegressor, SoftmaxClassifier
from skprob.metrics import neg_gaussian_nll_scorer

X, y = make_classification(
    n_samples=200,
    n_features=40,
    n_informative=5,
    n_redundant=0,
    n_classes=3,
    n_clusters_per_class=1,
    random_state=0,
)
classifier = Pipeline(
    [("scale", StandardScaler()), ("model", SoftmaxClassifier(solver="gd"))]
)
alphas = np.logspace(-2, 1, 7)
search = GridSearchCV(
    classifier,
    {"model__alpha": alphas},
    scoring={"log_likelihood": "neg_log_loss", "accuracy": "accuracy"},
    refit="log_likelihood",
    cv=KFold(5, shuffle=True, random_state=0),
)
search.fit(X, y)
best_by_accuracy = alphas[np.argmax(search.cv_results_["mean_test_accuracy"])]
print(f"best alpha by held-out likelihood: {search.best_params_['model__alpha']:.3g}")
print(f"best alpha by held-out accuracy: {best_by_accuracy:.3g}")


def plot_scores(ax, results, x, score, label, color):
    """Mean held-out score across folds, with one standard deviation."""
    mean = results[f"mean_test_{score}"]
    std = results[f"std_test_{score}"]
    ax.plot(x, mean, "o-", color=color, label=label)
    ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2)


results = search.cv_results_
fig, (ax_ll, ax_acc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
plot_scores(ax_ll, results, alphas, "log_likelihood", "held-out", "tab:blue")
ax_ll.axvline(
    search.best_params_["model__alpha"], color="black", ls=":", label="best alpha"
)
ax_ll.set(
    xscale="log",
    xlabel="alpha (L2 penalty)",
    ylabel="log-likelihood per sample (neg_log_loss)",
    title="Held-out likelihood of SoftmaxClassifier",
)
ax_ll.legend(loc="lower left")
plot_scores(ax_acc, results, alphas, "accuracy", "held-out", "tab:orange")
ax_acc.set(
    xscale="log",
    xlabel="alpha (L2 penalty)",
    ylabel="accuracy",
    title="Held-out accuracy",
)
ax_acc.legend(loc="lower left")

# %%
# With little penalty the model fits the noise of the 35 uninformative
# features and grows overconfident, and the log-loss punishes every confident
# mistake; with much penalty its probabilities are too timid, and its labels
# get worse too. The two criteria need not choose the same alpha: accuracy
# looks only at which class is most probable, the likelihood at how probable
# the model says it is. The search refits the model with the best likelihood
# on all the data, and forwards ``predict_proba`` to it.
print(search.predict_proba(X[:3]).round(3))


# %%
# Regressors: a scorer from ``predict(X, return_std=True)``
# ---------------------------------------------------------
# A skprob regressor predicts a normal distribution with mean
# :math:`\mu(x)` and standard deviation :math:`\sigma(x)`; the held-out
# log-likelihood per sample is the mean of :math:`\log \mathcal{N}(y_i \mid
# \mu(x_i), \sigma(x_i)^2)`. :data:`skprob.metrics.neg_gaussian_nll_scorer`
# computes it: a scorer is any function of ``(estimator, X, y)``, this one
# calls ``estimator.predict(X, return_std=True)``, and a
# :class:`~sklearn.pipeline.Pipeline` passes ``return_std`` on to its final
# step.


# %%
# Data whose noise grows with x, and a search over the model itself: one
# sigma for all x (:class:`~skprob.GaussianRegressor`), or sigma depending on
# x (:class:`~skprob.HeteroscedasticRegressor`), each with five penalties.
rng = np.random.default_rng(0)
x = rng.uniform(0.0, 10.0, size=300)
y = 0.5 * x + (0.2 + 0.15 * x) * rng.normal(size=x.size)
X = x[:, np.newaxis]

regressor = Pipeline([("scale", StandardScaler()), ("model", GaussianRegressor())])
models = [GaussianRegressor(solver="gd"), HeteroscedasticRegressor(solver="gd")]
alphas = [1e-3, 1e-2, 1e-1, 1.0, 10.0]
search = GridSearchCV(
    regressor,
    {"model": models, "model__alpha": alphas},
    scoring={"log_likelihood": neg_gaussian_nll_scorer, "r2": "r2"},
    refit="log_likelihood",
    cv=KFold(5, shuffle=True, random_state=0),
)
search.fit(X, y)
print(f"best: {search.best_params_}")

results = search.cv_results_
fig, (ax_ll, ax_r2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for model, color in zip(models, ["tab:orange", "tab:blue"], strict=True):
    rows = [i for i, params in enumerate(results["params"]) if params["model"] is model]
    subset = {key: np.asarray(value)[rows] for key, value in results.items()}
    name = type(model).__name__
    plot_scores(ax_ll, subset, alphas, "log_likelihood", name, color)
    plot_scores(ax_r2, subset, alphas, "r2", name, color)
ax_ll.set(
    xscale="log",
    xlabel="alpha (L2 penalty)",
    ylabel="log-likelihood per sample",
    title="Held-out likelihood prefers sigma(x)",
)
ax_r2.set(
    xscale="log",
    xlabel="alpha (L2 penalty)",
    ylabel="$R^2$",
    title="$R^2$ judges only the mean",
)
ax_ll.legend(loc="lower left")
ax_r2.legend(loc="lower left")

# %%
# With a small penalty both models predict nearly the same mean, so
# :math:`R^2` cannot choose between them; only the likelihood sees that one
# sigma for all x is too wide on the left and too narrow on the right. (With
# a large penalty the means differ too: the heteroscedastic model weighs each
# residual by its predicted precision, so the penalty shrinks it differently.)
#
# The refitted best pipeline gives intervals that widen with x, through
# :func:`skprob.predict_dist`, which reaches the skprob estimator inside the
# search and the pipeline.
x_plot = np.linspace(0.0, 10.0, 200)
dist = skprob.predict_dist(search, x_plot[:, np.newaxis])
lower, upper = dist.interval(0.9)

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.scatter(x, y, s=8, color="gray", label="data")
ax.plot(x_plot, dist.mean(), color="tab:blue", label="predicted mean")
ax.fill_between(
    x_plot, lower, upper, color="tab:blue", alpha=0.25, label="90% predictive interval"
)
ax.set(xlabel="x", ylabel="y", title="The model the search chose")
ax.legend(loc="upper left")
plt.show()
