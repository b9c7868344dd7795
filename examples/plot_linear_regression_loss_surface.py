"""
===================================================
Gradient descent on the least-squares loss surface
===================================================

The simplest case of the recipe: a straight line :math:`f[x, \\phi] = \\phi_0 +
\\phi_1 x` fitted by least squares, which is the negative log-likelihood of a
normal distribution (see :ref:`user_guide`). With two parameters, the loss is
a surface over the (intercept, slope) plane that we can draw. For a linear
model it is a convex bowl: one minimum, no other valleys, no saddle points, so
gradient descent reaches the best line from any start.

We fit :class:`~skprob.GaussianRegressor` with full-batch gradient descent and
record the parameters after every step, through skprob's public solver
protocol (:mod:`skprob.solvers`): a small wrapper solver passes each step on
to :class:`~skprob.solvers.GD` and keeps the parameters it returns.
"""

# %%
# Data
# ----
# Fifty points around the line :math:`y = 1 + 0.8 x`. The inputs are not
# centred, so intercept and slope trade off against each other and the bowl
# is a long, tilted valley rather than a round one.
import matplotlib.pyplot as plt
import numpy as np

from skprob import GaussianRegressor
from skprob.solvers import GD, Solver

rng = np.random.default_rng(0)
x = rng.uniform(0.0, 2.0, size=50)
y = 1.0 + 0.8 * x + rng.normal(scale=0.3, size=x.size)
X = x[:, np.newaxis]


# %%
# A solver that records its path
# -------------------------------
# A solver sees only the flat parameter vector and a function returning the
# loss and its gradient; ``init`` starts it and ``step`` makes one update.
# This wrapper delegates both to another solver and keeps a copy of the
# parameters after each step.
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


recorder = PathRecorder(GD())
reg = GaussianRegressor(solver=recorder).fit(X, y)
print(f"{reg.n_iter_} steps: intercept {reg.intercept_:.3f}, slope {reg.coef_[0]:.3f}")

# %%
# The parameters the solver sees
# -------------------------------
# skprob standardizes the target before fitting, so that the default step
# sizes suit any scale of y; the solver's flat vector is ``[slope,
# intercept]`` for the standardized target. The estimator maps it back
# through the mean and standard deviation of y, and so do we. The last point
# of the path is the fitted model.
path = np.array(recorder.path_)
intercepts = y.mean() + y.std() * path[:, 1]
slopes = y.std() * path[:, 0]
assert np.allclose([intercepts[-1], slopes[-1]], [reg.intercept_, reg.coef_[0]])


# %%
# The loss surface and the path
# -----------------------------
# The least-squares loss :math:`L[\phi] = \frac{1}{2I}\sum_i (y_i - \phi_0 -
# \phi_1 x_i)^2` on a grid of parameters. Gradient descent starts from the
# heuristic initialization (the best constant model: intercept at the mean
# of y, slope zero) and moves downhill, at right angles to the contours; in
# the long valley the steepest direction points across it more than along
# it, so the path turns towards the valley floor first.
def least_squares(intercept, slope):
    """Half the mean squared residual at each (intercept, slope) pair."""
    residuals = y - intercept[..., np.newaxis] - slope[..., np.newaxis] * x
    return 0.5 * np.mean(residuals**2, axis=-1)


grid_intercept, grid_slope = np.meshgrid(
    np.linspace(-0.5, 3.0, 200), np.linspace(-0.8, 2.4, 200)
)
surface = least_squares(grid_intercept, grid_slope)

fig, (ax_surface, ax_data) = plt.subplots(1, 2, figsize=(11, 4.5))
contours = ax_surface.contourf(
    grid_intercept,
    grid_slope,
    surface,
    levels=np.geomspace(surface.min(), surface.max(), 25),
    cmap="viridis",
)
ax_surface.contour(contours, colors="black", linewidths=0.3)
fig.colorbar(contours, ax=ax_surface, label="least-squares loss", format="%.2g")
ax_surface.plot(intercepts, slopes, "o-", color="white", ms=3, label="gradient descent")
ax_surface.plot(intercepts[0], slopes[0], "s", color="orange", ms=8, label="start")
ax_surface.plot(intercepts[-1], slopes[-1], "*", color="red", ms=14, label="fitted")
ax_surface.set(
    xlabel=r"intercept $\phi_0$",
    ylabel=r"slope $\phi_1$",
    title="Convex loss surface and the descent path",
)
ax_surface.legend(loc="upper right")

# The line at a few steps of the descent, from the start to the fit.
x_line = np.array([0.0, 2.0])
shown = np.unique(np.geomspace(1, len(path), 6).astype(int) - 1)
colors = plt.cm.plasma(np.linspace(0.0, 0.85, len(shown)))
for step, color in zip(shown, colors, strict=True):
    ax_data.plot(
        x_line,
        intercepts[step] + slopes[step] * x_line,
        color=color,
        label=f"after {step} step{'s' if step > 1 else ''}" if step else "start",
    )
ax_data.scatter(x, y, color="black", s=12, label="data", zorder=3)
ax_data.set(xlabel="x", ylabel="y", title="The model along the path")
ax_data.legend(loc="upper left", fontsize="small")
fig.tight_layout()

# %%
# The loss per epoch
# ------------------
# Every estimator records the training objective per epoch in
# ``loss_curve_`` (for the standardized target; one epoch of full-batch
# gradient descent is one step). We compare it with the exact least-squares
# optimum from :func:`numpy.polyfit`. The first step, of :math:`1/L` (the
# step that cannot overshoot along the valley's steep walls), mostly crosses
# the valley; from the second step on, ``GD()`` measures the curvature along
# its last step and takes a step whose length follows it (Barzilai and
# Borwein's, see :ref:`solver_guide`): long along the gently sloped floor,
# so that the fit is within rounding of the optimum in a dozen steps, where
# steps of :math:`1/L` need hundreds. Such steps do not lower the loss every
# time: a long one may land a little higher than the last, and the next,
# shorter, makes up for it. The fit stops once no component of the
# gradient exceeds ``tol``.
slope_ls, intercept_ls = np.polyfit(x, y, deg=1)
optimum = least_squares(np.array(intercept_ls), np.array(slope_ls)) / y.var()
gap = np.array(reg.loss_curve_) - optimum
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(np.arange(1, gap.size + 1), gap)
ax.set(
    xlabel="epoch",
    ylabel="training loss minus its minimum",
    title="GaussianRegressor(solver=GD()): loss_curve_",
)
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()
plt.show()
