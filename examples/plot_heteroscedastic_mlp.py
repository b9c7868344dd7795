"""
========================================================
A mean-variance network: a nonlinear mean and its noise
========================================================

:class:`~skprob.HeteroscedasticRegressor` with ``hidden_layer_sizes`` is a
mean-variance network: one trunk of hidden layers and two heads, the mean
mu(x) and the log of the standard deviation sigma(x), fitted together by
maximizing the Gaussian likelihood. Here the truth is known, mu(x) = sin(x)
with a noise level that varies sixteenfold with x, so we can compare the
fitted band with the true one and the held-out NLL with the true model's.

Run it with ``python examples/plot_heteroscedastic_mlp.py``; pass a file name
to save the figure instead of showing it.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from skprob import HeteroscedasticRegressor


def true_sigma(x):
    return 0.02 + 0.3 * ((1.0 + np.sin(2.0 * x)) / 2.0) ** 2


def sample(n_samples, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4.0, 4.0, n_samples)
    y = np.sin(x) + true_sigma(x) * rng.normal(size=n_samples)
    return x[:, None], y


X_train, y_train = sample(10000, seed=0)
X_test, y_test = sample(20000, seed=1)

# %%
# Fit the network
# ---------------
# Two hidden layers of 32 units. A fresh fit first fits the mean with sigma
# frozen at its marginal value, then the full likelihood (see the Notes of
# :class:`~skprob.HeteroscedasticRegressor`); early stopping on a held-out
# fifth keeps sigma from shrinking onto the training points. The hidden
# units are tanh, the mean-variance network's default.

reg = HeteroscedasticRegressor(
    hidden_layer_sizes=(32, 32), early_stopping=True, random_state=0
)
reg.fit(X_train, y_train)

nll = -reg.predict_dist(X_test).logpdf(y_test).mean()
true_dist = stats.norm(np.sin(X_test[:, 0]), true_sigma(X_test[:, 0]))
true_nll = -true_dist.logpdf(y_test).mean()
print(f"epochs: {reg.n_iter_}")
print(f"held-out NLL: {nll:.4f} nats, true model: {true_nll:.4f} nats")

# %%
# Plot the fit against the truth
# ------------------------------
# The shaded band is the fitted mean plus or minus two fitted standard
# deviations; the dashed lines are the same for the true model.

grid = np.linspace(-4.0, 4.0, 400)
mean, std = reg.predict(grid[:, None], return_std=True)

fig, (ax_mean, ax_std) = plt.subplots(
    2, 1, figsize=(8, 7), sharex=True, height_ratios=[2, 1]
)
shown = slice(0, 2000)  # a fifth of the training data keeps the band visible
ax_mean.scatter(
    X_train[shown, 0],
    y_train[shown],
    s=3,
    color="0.6",
    alpha=0.5,
    label="training data (a fifth)",
)
ax_mean.fill_between(
    grid,
    mean - 2 * std,
    mean + 2 * std,
    color="tab:blue",
    alpha=0.3,
    label=r"fitted $\mu(x) \pm 2\sigma(x)$",
)
ax_mean.plot(grid, mean, color="tab:blue", label=r"fitted $\mu(x)$")
ax_mean.plot(grid, np.sin(grid), color="black", lw=1, label=r"true $\mu(x) = \sin x$")
for sign in (-1, 1):
    ax_mean.plot(
        grid,
        np.sin(grid) + sign * 2 * true_sigma(grid),
        color="black",
        lw=1,
        ls="--",
        label=r"true $\mu(x) \pm 2\sigma(x)$" if sign > 0 else None,
    )
ax_mean.set_ylabel("y")
ax_mean.set_title(
    "Mean-variance network, hidden layers (32, 32)\n"
    f"held-out NLL {nll:.3f} nats; true model {true_nll:.3f} nats"
)
ax_mean.legend(loc="upper left", fontsize="small", ncol=2)

ax_std.plot(grid, std, color="tab:blue", label=r"fitted $\sigma(x)$")
ax_std.plot(grid, true_sigma(grid), color="black", ls="--", label=r"true $\sigma(x)$")
ax_std.set_xlabel("x")
ax_std.set_ylabel(r"standard deviation $\sigma(x)$")
ax_std.legend(loc="upper left", fontsize="small")
fig.tight_layout()

if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
