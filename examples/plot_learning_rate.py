"""
==============================================
The learning rate: too small, right, too large
==============================================

The learning rate :math:`\\eta` is the length of each step against the
gradient, :math:`\\phi \\leftarrow \\phi - \\eta\\, \\nabla L[\\phi]`. Small
steps are stable but slow; large steps are fast until they overshoot the
valley floor, and past a limit every step lands higher than the last: the
fit diverges.

For a least-squares loss that limit is exact. The loss is a quadratic bowl
whose steepest curvature is the largest eigenvalue :math:`L` of its Hessian
(the Lipschitz constant of the gradient). Along that direction one step
multiplies the distance to the minimum by :math:`|1 - \\eta L|`: gradient
descent converges for :math:`\\eta < 2 / L` and diverges beyond. skprob's
default, ``learning_rate="auto"``, estimates :math:`L`; ``solver="gd"``
steps :math:`1 / L` (down to a power of :math:`2^{1/4}`) where the longer
steps it tries first (Barzilai and Borwein's, which follow the curvature
along the path, see the solver guide) do not lower the loss enough. Here
each fit keeps one fixed learning rate.

We fit one :class:`~skprob.GaussianRegressor` with ``solver="gd"`` and four
learning rates, and record each path through skprob's solver protocol, as in
:ref:`sphx_glr_auto_examples_plot_linear_regression_loss_surface.py`.
"""

# %%
# Data, and the stability limit
# -----------------------------
# skprob standardizes the target, so the loss the solver sees is
# :math:`\frac{1}{2I}\sum_i (\tilde y_i - \phi_0 - \phi_1 x_i)^2` for the
# standardized :math:`\tilde y`, with Hessian :math:`A^T A / I` for the design
# matrix :math:`A = [x, 1]`.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skprob import GaussianRegressor
from skprob.solvers import GD, Solver

rng = np.random.default_rng(0)
x = rng.uniform(0.0, 2.0, size=50)
y = 1.0 + 0.8 * x + rng.normal(scale=0.3, size=x.size)
X = x[:, np.newaxis]

design = np.column_stack([x, np.ones_like(x)])
lipschitz = float(np.linalg.eigvalsh(design.T @ design / x.size).max())
print(f"L = {lipschitz:.3f}: gradient descent is stable for eta < {2 / lipschitz:.3f}")


# %%
# A solver that records its path
# -------------------------------
class PathRecorder(Solver):
    """Run ``solver`` and record the parameters after each step in ``path_``.

    Parameters
    ----------
    solver : Solver
        The solver that does the work.
    """

    def __init__(self, solver):
        self.solver = solver

    @property
    def batch_size(self):
        return self.solver.batch_size

    @property
    def learning_rate(self):
        return self.solver.learning_rate

    @property
    def nonmonotone_memory(self):
        return self.solver.nonmonotone_memory

    def init(self, params, lipschitz):
        self.path_ = [params.copy()]
        return self.solver.init(params, lipschitz)

    def step(self, params, loss_grad, state, lr_scale):
        params, loss, state = self.solver.step(params, loss_grad, state, lr_scale)
        self.path_.append(params.copy())
        return params, loss, state


# %%
# Four learning rates
# -------------------
# A twentieth of :math:`1/L`, then :math:`1/L` itself, then just under the
# limit :math:`2/L`, then half again beyond it. The fits are capped at 200
# epochs. The diverging fit does not return a model: once its loss has
# exploded, skprob stops it with an error that names the learning rate as the
# likely cause, and leaves the estimator as it was.
LEARNING_RATES = {
    "too small: 0.05 / L": 0.05 / lipschitz,
    "right: 1 / L": 1.0 / lipschitz,
    "large, bouncing: 1.9 / L": 1.9 / lipschitz,
    "too large, diverging: 3 / L": 3.0 / lipschitz,
}
paths, loss_curves = {}, {}
for label, learning_rate in LEARNING_RATES.items():
    recorder = PathRecorder(GD(learning_rate=learning_rate))
    reg = GaussianRegressor(solver=recorder, max_iter=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            reg.fit(X, y)
        except ValueError as error:
            print(f"{label}: ValueError: {error}")
        else:
            print(f"{label}: {reg.n_iter_} epochs, slope {reg.coef_[0]:.3f}")
    for warning in caught:
        print(f"    {warning.category.__name__}: {warning.message}")
    paths[label] = np.array(recorder.path_)


# %%
# The "too small" fit ended after ``max_iter=200`` epochs, still far from the
# optimum, with a :class:`~sklearn.exceptions.ConvergenceWarning` (scikit-learn
# and skprob say so rather than return an unfinished model quietly).
#
# Paths on the loss surface
# -------------------------
# The solver's parameters are those of the standardized target; the surface
# is drawn in the same coordinates.
def least_squares(intercept, slope):
    """The loss the solver sees, at each (intercept, slope) pair."""
    y_tilde = (y - y.mean()) / y.std()
    residuals = y_tilde - intercept[..., np.newaxis] - slope[..., np.newaxis] * x
    return 0.5 * np.mean(residuals**2, axis=-1)


grid_intercept, grid_slope = np.meshgrid(
    np.linspace(-2.2, 1.2, 200), np.linspace(-1.0, 2.6, 200)
)
surface = least_squares(grid_intercept, grid_slope)
y_tilde = (y - y.mean()) / y.std()
best_slope, best_intercept = np.linalg.lstsq(design, y_tilde)[0]
optimum = least_squares(best_intercept, best_slope)
levels = np.geomspace(surface.min(), surface.max(), 25)

fig, axes = plt.subplots(
    2, 2, figsize=(10, 8.5), sharex=True, sharey=True, layout="constrained"
)
for ax, (label, path) in zip(axes.flat, paths.items(), strict=True):
    filled = ax.contourf(grid_intercept, grid_slope, surface, levels=levels)
    ax.contour(filled, colors="black", linewidths=0.2)
    shown = path[:40]
    ax.plot(shown[:, 1], shown[:, 0], "o-", color="white", ms=2.5, lw=1, label="path")
    ax.plot(*path[0, ::-1], "s", color="orange", mec="black", ms=7, label="start")
    ax.plot(best_intercept, best_slope, "*", color="red", ms=12, label="optimum")
    ax.set(title=label, xlim=(-2.2, 1.2), ylim=(-1.0, 2.6))
for ax in axes[1]:
    ax.set_xlabel(r"intercept $\phi_0$ (standardized)")
for ax in axes[:, 0]:
    ax.set_ylabel(r"slope $\phi_1$ (standardized)")
axes[0, 0].legend(loc="upper right")
fig.suptitle("Gradient descent's first 40 steps at four learning rates")
fig.colorbar(filled, ax=axes, shrink=0.6, label="least-squares loss", format="%.2g")

# %%
# Too small crawls: after 200 epochs it is still far from the optimum.
# :math:`1/L` goes straight to the valley floor and then along it. Just under
# :math:`2/L` the path bounces from wall to wall, each bounce a little lower;
# the valley floor is so gently sloped that the longer steps still move faster
# along it, and this fit converges in fewer epochs than :math:`1/L`. Beyond
# :math:`2/L` each bounce lands higher than the last, and the path leaves the
# plot.
#
# Loss per step
# -------------
# The same story on the loss along each path (computed from the recorded
# parameters, since the diverging fit has no ``loss_curve_``).
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for label, path in paths.items():
    loss = least_squares(path[:, 1], path[:, 0])
    ax.semilogy(loss - optimum, label=label)
ax.set(
    xlabel="step (= epoch, for full-batch gradient descent)",
    ylabel="loss minus its minimum",
    title="Convergence and divergence",
    ylim=(1e-8, 1e3),
)
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()
