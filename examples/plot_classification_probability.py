"""
==================================================
Class probabilities and decision boundaries
==================================================

A skprob classifier predicts a distribution over the classes, not just a
label. :class:`~skprob.BernoulliClassifier` predicts the parameter
:math:`\\lambda = \\mathrm{sig}(f[x, \\phi])` of a Bernoulli distribution, the
probability of the positive class; :class:`~skprob.SoftmaxClassifier`
predicts the :math:`K` parameters :math:`\\lambda = \\mathrm{softmax}(f[x,
\\phi])` of a categorical distribution. Both are fitted by minimizing the
cross-entropy, the negative log-likelihood of those distributions (see
:ref:`user_guide`), and the predicted label is the most probable class.

With two features we can draw the probabilities over the input plane. For a
linear model :math:`f`, the decision boundaries are straight lines, and the
probabilities change smoothly across them: far from a boundary the model is
confident, near it the model is unsure, and ``predict_proba`` says so.
"""

# %%
# Binary classification
# ---------------------
# Two features of the breast cancer data set that ships with scikit-learn:
# the mean radius and mean texture of the cell nuclei, which separate
# malignant from benign tumours only in part.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skprob import BernoulliClassifier, SoftmaxClassifier

cancer = load_breast_cancer()
features = ["mean radius", "mean texture"]
X = cancer.data[:, [list(cancer.feature_names).index(name) for name in features]]
y = cancer.target  # 0 = malignant, 1 = benign
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)
binary = make_pipeline(StandardScaler(), BernoulliClassifier(solver="gd"))
binary.fit(X_train, y_train)
print(
    f"BernoulliClassifier: held-out accuracy {binary.score(X_test, y_test):.3f}, "
    f"log-loss {log_loss(y_test, binary.predict_proba(X_test)):.3f}"
)


def input_grid(X, n_points=200):
    """A grid over the range of the two features of X, with a margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.05 * (high - low)
    grid = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], n_points),
        np.linspace(low[1] - margin[1], high[1] + margin[1], n_points),
    )
    return grid, np.column_stack([g.ravel() for g in grid])


(grid_0, grid_1), X_grid = input_grid(X)
proba_benign = binary.predict_proba(X_grid)[:, 1].reshape(grid_0.shape)

fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
filled = ax.contourf(
    grid_0, grid_1, proba_benign, levels=np.linspace(0, 1, 11), cmap="RdBu"
)
fig.colorbar(filled, ax=ax, label="predicted probability of benign")
boundary = ax.contour(grid_0, grid_1, proba_benign, levels=[0.5], colors="black")
ax.clabel(boundary, fmt={0.5: "p = 0.5"})
for label, marker, color in [(0, "^", "tab:red"), (1, "o", "tab:blue")]:
    rows = y_test == label
    ax.scatter(
        *X_test[rows].T,
        marker=marker,
        color=color,
        edgecolor="black",
        s=25,
        label=f"{cancer.target_names[label]} (held out)",
    )
ax.set(
    xlabel=features[0],
    ylabel=features[1],
    title="BernoulliClassifier: probability map and decision boundary",
)
ax.legend(loc="upper right")

# %%
# The black line is the decision boundary, where the predicted probability is
# one half: ``predict`` changes its answer there, and ``predict_proba`` tells
# how sure each answer is. Points near the line are the uncertain ones.
#
# Multiclass classification
# -------------------------
# Petal length and width of the three iris species. The softmax classifier
# predicts one probability per class, and they sum to one at every point.
# The first three panels show each class's probability, on one colour
# scale, with that class's samples.
# Setosa is perfectly separable from the rest, where the unpenalized
# maximum-likelihood estimate does not exist (its weights would grow without
# bound); a small L2 penalty ``alpha`` keeps them finite.
iris = load_iris()
X = iris.data[:, 2:]
y = iris.target
multiclass = make_pipeline(StandardScaler(), SoftmaxClassifier(alpha=1e-2, solver="gd"))
multiclass.fit(X, y)
print(f"SoftmaxClassifier: training accuracy {multiclass.score(X, y):.3f}")

(grid_0, grid_1), X_grid = input_grid(X)
proba = multiclass.predict_proba(X_grid).reshape(*grid_0.shape, 3)
predicted = proba.argmax(axis=-1)

cmaps = ["Blues", "Oranges", "Greens"]
colors = ["tab:blue", "tab:orange", "tab:green"]
fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), sharey=True, layout="constrained")
for k, ax in enumerate(axes[:3]):
    filled = ax.contourf(
        grid_0, grid_1, proba[..., k], levels=np.linspace(0, 1, 11), cmap="viridis"
    )
    ax.scatter(
        *X[y == k].T,
        color="white",
        edgecolor="black",
        s=15,
        label=f"{iris.target_names[k]} samples",
    )
    ax.set(title=f"P(y = {iris.target_names[k]} | x)", xlabel="petal length (cm)")
    ax.legend(loc="upper left")
fig.colorbar(filled, ax=axes[:3], label="predicted probability", shrink=0.8)

# The last panel: the predicted class, shaded by how confident the model is
# (the largest probability), with the decision boundaries in black.
ax = axes[3]
confidence = proba.max(axis=-1)
for k in range(3):
    ax.contourf(
        grid_0,
        grid_1,
        np.where(predicted == k, confidence, np.nan),
        levels=np.linspace(1 / 3, 1, 8),
        cmap=cmaps[k],
    )
ax.contour(grid_0, grid_1, predicted, levels=[0.5, 1.5], colors="black", linewidths=1.5)
for k in range(3):
    ax.scatter(
        *X[y == k].T,
        color=colors[k],
        edgecolor="black",
        s=15,
        label=iris.target_names[k],
    )
ax.set(title="Predicted class and boundaries", xlabel="petal length (cm)")
ax.legend(loc="upper left")
axes[0].set_ylabel("petal width (cm)")
plt.show()

# %%
# Each class's probability is high in its own region and falls off across
# the boundaries; the shading of the last panel is the probability of the
# predicted class, palest where two classes are equally likely.
