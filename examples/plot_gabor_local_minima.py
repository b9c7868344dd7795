"""
=====================================================
Local minima of the Gabor model, and SGD's way out
=====================================================

A linear model has a convex least-squares loss (see
:ref:`sphx_glr_auto_examples_plot_linear_regression_loss_surface.py`). A
nonlinear one need not. The Gabor model of the lecture skprob grew from,

.. math::

    f[x, \\phi] = \\sin(\\phi_0 + 0.06\\,\\phi_1 x)\\,
    \\exp\\!\\left(-\\frac{(\\phi_0 + 0.06\\,\\phi_1 x)^2}{32}\\right),

has two parameters too, but its loss surface is a landscape of valleys:
several local minima, only one of them global, and saddle points between
them. Full-batch gradient descent goes downhill into whichever valley it
starts in, and stays there. Stochastic gradient descent follows the gradient
of a random mini-batch, a noisy version of the full gradient; the noise can
carry it over a ridge into a better valley.

skprob's estimators fit linear models, so we do not fit the Gabor model with
an estimator. We drive skprob's own solvers, :class:`~skprob.solvers.GD` and
:class:`~skprob.solvers.SGD`, through the public solver protocol of
:mod:`skprob.solvers`, exactly as the estimators do: a solver only ever sees
the parameters and a function that returns the loss and its gradient.
"""

# %%
# Data and model
# --------------
import matplotlib.pyplot as plt
import numpy as np

from skprob.solvers import GD, SGD

TRUE_PHI = np.array([0.0, 12.0])


def gabor(phi, x):
    """The Gabor model f[x, phi]."""
    phase = phi[0] + 0.06 * phi[1] * x
    return np.sin(phase) * np.exp(-(phase**2) / 32.0)


rng = np.random.default_rng(0)
x = rng.uniform(-15.0, 15.0, size=60)
y = gabor(TRUE_PHI, x) + rng.normal(scale=0.1, size=x.size)


# %%
# The loss function a solver sees
# -------------------------------
# The protocol asks for a callable ``loss_grad(params) -> (loss, gradient)``
# with a cheaper ``loss_grad.loss(params)`` and an attribute
# ``loss_grad.lipschitz``, an estimate of the gradient's Lipschitz constant
# that solvers with ``learning_rate="auto"`` use. We have none for this model
# (it is ``None``, as for a neural network), and use fixed learning rates.
class GaborLoss:
    """Least-squares loss of the Gabor model on (x, y), for skprob's solvers.

    ``loss = 1/2 mean((f[x, phi] - y)^2)``: the normal distribution's NLL up
    to constants, the loss skprob's GaussianRegressor minimizes.

    Parameters
    ----------
    x, y : ndarray of shape (n_samples,)
        The data of one (mini-)batch.
    """

    lipschitz = None

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def loss(self, phi):
        return 0.5 * np.mean((gabor(phi, self.x) - self.y) ** 2)

    def __call__(self, phi):
        phase = phi[0] + 0.06 * phi[1] * self.x
        envelope = np.exp(-(phase**2) / 32.0)
        residual = np.sin(phase) * envelope - self.y
        # Chain rule: d f / d phase, then d phase / d phi = (1, 0.06 x).
        d_phase = envelope * (np.cos(phase) - phase / 16.0 * np.sin(phase))
        gradient = np.array(
            [np.mean(residual * d_phase), np.mean(residual * d_phase * 0.06 * self.x)]
        )
        return 0.5 * np.mean(residual**2), gradient


# %%
# A check that the gradient is right, against central finite differences:
full_loss = GaborLoss(x, y)
phi_check, h = np.array([1.0, 8.0]), 1e-6
numerical = [
    (full_loss.loss(phi_check + h * e) - full_loss.loss(phi_check - h * e)) / (2 * h)
    for e in np.eye(2)
]
np.testing.assert_allclose(full_loss(phi_check)[1], numerical, rtol=1e-6)


# %%
# A training loop through the protocol
# ------------------------------------
# ``init`` gives the solver's state, ``step`` makes one update on one
# mini-batch. A solver's ``batch_size`` of None means the full batch. As
# skprob's own loop does, we shrink the step over time with ``lr_scale``, here
# linearly to zero, so that SGD's noise dies down and it settles in the
# valley it has found.
def descend(solver, phi, n_epochs, random_state):
    """Run ``solver`` from ``phi``; return the parameters after each step."""
    rng = np.random.default_rng(random_state)
    batch_size = solver.batch_size or x.size
    state = solver.init(phi, None)
    path = [phi]
    for epoch in range(n_epochs):
        order = rng.permutation(x.size)
        for start in range(0, x.size, batch_size):
            rows = order[start : start + batch_size]
            lr_scale = 1.0 - epoch / n_epochs
            phi, _, state = solver.step(
                phi, GaborLoss(x[rows], y[rows]), state, lr_scale
            )
            path.append(phi)
    return np.array(path)


def fit_gd(phi):
    # One step per epoch; 1000 steps take it to the bottom of its valley.
    return descend(GD(learning_rate=5.0), phi, n_epochs=1000, random_state=0)


def fit_sgd(phi):
    # Six mini-batches of 10 rows per epoch.
    sgd = SGD(learning_rate=10.0, batch_size=10)
    return descend(sgd, phi, n_epochs=200, random_state=0)


# %%
# The loss surface, and the paths of GD and SGD
# ---------------------------------------------
# The surface on a grid of :math:`(\phi_0, \phi_1)`, on a log scale to show
# the shallow valleys. The global minimum is near the true parameters
# :math:`(0, 12)`. From each of four starts, gradient descent (left) runs
# downhill into the nearest valley. SGD (right) runs from the same starts;
# where GD stops in a local minimum, SGD's noise can take it out.
phi0_grid, phi1_grid = np.meshgrid(
    np.linspace(-10, 10, 161), np.linspace(2.5, 22.5, 161)
)
surface = 0.5 * np.mean(
    (gabor((phi0_grid[..., None], phi1_grid[..., None]), x) - y) ** 2, axis=-1
)
starts = np.array([[0.0, 4.0], [2.0, 6.5], [-5.0, 8.0], [-3.0, 17.0]])
gd_paths = [fit_gd(start) for start in starts]
sgd_paths = [fit_sgd(start) for start in starts]
for start, gd_path, sgd_path in zip(starts, gd_paths, sgd_paths, strict=True):
    print(
        f"start {start}: GD ends at {gd_path[-1].round(2)}, "
        f"SGD ends at {sgd_path[-1].round(2)}"
    )


def draw_surface(ax, title):
    filled = ax.contourf(
        phi0_grid, phi1_grid, np.log10(surface), levels=30, cmap="viridis"
    )
    ax.plot(*TRUE_PHI, "*", color="red", ms=14, label="true parameters")
    ax.set(xlabel=r"$\phi_0$", ylabel=r"$\phi_1$", title=title)
    ax.set_xlim(-10, 10)
    ax.set_ylim(2.5, 22.5)
    return filled


fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharey=True, layout="constrained")
for ax, paths, name in zip(
    axes,
    [gd_paths, sgd_paths],
    ["Full-batch gradient descent", "Stochastic GD"],
    strict=True,
):
    filled = draw_surface(ax, name)
    for path, color in zip(paths, ["white", "orange", "cyan", "magenta"], strict=True):
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1)
        ax.plot(*path[0], "s", color=color, ms=7, mec="black")
        ax.plot(*path[-1], "o", color=color, ms=8, mec="black")
axes[0].plot([], [], "s", color="gray", mec="black", label="start")
axes[0].plot([], [], "o", color="gray", mec="black", label="end")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
fig.colorbar(filled, ax=axes, label=r"$\log_{10}$ least-squares loss")

# %%
# What a local minimum means for the fit
# --------------------------------------
# A local minimum is a model that no small change improves, and that is still
# wrong: here are the fitted curves where GD and SGD ended from the first
# start.
x_plot = np.linspace(-15, 15, 400)
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
ax.scatter(x, y, color="black", s=12, label="data", zorder=3)
ax.plot(x_plot, gabor(gd_paths[0][-1], x_plot), label="GD: stuck in a local minimum")
ax.plot(x_plot, gabor(sgd_paths[0][-1], x_plot), label="SGD: global minimum")
ax.set(xlabel="x", ylabel="y", title="Gabor model at the end of each fit")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))

# %%
# Where each solver ends, over many starts
# ----------------------------------------
# Four starts are anecdotes; here are 42, on a grid. A start is marked by
# whether the solver ended at the global minimum. Noise is no guarantee: it
# rescues some starts from local minima, it can also knock a run out of the
# right valley, and from far-off starts both solvers end in the flat region
# where the model predicts nearly zero. The titles count the starts from
# which each solver found the global minimum: on this problem the two are
# close, with SGD rescuing starts in the shallow valleys next to the global
# one. What noise buys is a chance, not a certainty; running from several
# starts is the other classic remedy.
phi0_starts, phi1_starts = np.meshgrid(np.linspace(-8, 8, 7), np.linspace(4, 21, 6))
grid_starts = np.column_stack([phi0_starts.ravel(), phi1_starts.ravel()])


def reaches_global_minimum(phi):
    return abs(phi[0]) < 0.5 and abs(phi[1] - TRUE_PHI[1]) < 1.0


found = {
    "Full-batch gradient descent": [
        reaches_global_minimum(fit_gd(start)[-1]) for start in grid_starts
    ],
    "Stochastic GD": [
        reaches_global_minimum(fit_sgd(start)[-1]) for start in grid_starts
    ],
}

fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharey=True, layout="constrained")
for ax, (name, hits) in zip(axes, found.items(), strict=True):
    hits = np.array(hits)
    filled = draw_surface(ax, f"{name}: global from {hits.sum()} of {hits.size}")
    ax.scatter(
        *grid_starts[hits].T,
        marker="o",
        color="white",
        ec="black",
        s=50,
        label="reaches the global minimum",
    )
    ax.scatter(
        *grid_starts[~hits].T, marker="x", color="black", s=50, label="ends elsewhere"
    )
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
fig.colorbar(filled, ax=axes, label=r"$\log_{10}$ least-squares loss")
plt.show()
