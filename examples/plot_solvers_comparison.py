"""
===============================================
The first-order solvers on one loss surface
===============================================

Besides ``"lbfgs"`` and ``"newton"``, which use the loss's curvature, every
skprob estimator takes five first-order solvers: ``solver="gd"``,
``"sgd"``, ``"momentum"``, ``"nesterov"`` and ``"adam"`` (see
:ref:`solver_guide` for their update rules). Here these five fit the same
logistic regression, a :class:`~skprob.BernoulliClassifier` with one
feature, so that its two parameters (intercept and slope) span a plane on
which we can draw the loss surface and each solver's path, as chapter 6 of
S. J. D. Prince, *Understanding Deep Learning* (MIT Press, 2023) does.

- Full-batch gradient descent takes one careful step per epoch.
- SGD takes many cheap steps on mini-batches; their noise makes the path
  wander, and skprob shrinks the step on plateaus so that it settles.
- Momentum accumulates past steps: a smoother path that builds up speed
  along the valley. Nesterov's variant takes the gradient at the point the
  momentum is about to carry it to, which corrects an overshoot a step
  earlier.
- Adam normalizes each coordinate's step by a running estimate of the
  gradient's magnitude, so its first steps have the same length whatever the
  gradient's scale, in both coordinates at once.
"""

# %%
# Data
# ----
# 200 points whose class-1 probability rises along x, as
# :math:`\mathrm{sig}(-3 + 1.5 x)`. The feature is not centred, so the
# surface is a tilted valley, where the solvers differ most.
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize
from scipy.special import log_expit

from skprob import BernoulliClassifier
from skprob.solvers import Solver, make_solver

rng = np.random.default_rng(0)
x = rng.uniform(0.0, 4.0, size=200)
y = (rng.uniform(size=x.size) < 1.0 / (1.0 + np.exp(3.0 - 1.5 * x))).astype(int)
X = x[:, np.newaxis]


# %%
# Recording the paths
# -------------------
# A solver object is a public extension point (:mod:`skprob.solvers`): this
# wrapper passes each step on to a named solver, built by
# :func:`~skprob.solvers.make_solver` as the estimator would build it, and
# records the parameters after every step. For a classifier, the flat
# parameter vector the solver sees is ``[slope, intercept]``.
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
# Fitting with each solver
# ------------------------
# Default hyper-parameters throughout, and mini-batches of 20 rows for the
# stochastic solvers (ten steps per epoch). With ``random_state`` fixed, each
# fit is reproducible bit for bit.
SOLVER_NAMES = ["gd", "sgd", "momentum", "nesterov", "adam"]
fits = {}
for name in SOLVER_NAMES:
    recorder = PathRecorder(make_solver(name, batch_size=20))
    clf = BernoulliClassifier(solver=recorder, random_state=0).fit(X, y)
    fits[name] = (np.array(recorder.path_), clf)
    print(
        f"{name:>8}: {clf.n_iter_:4d} epochs, {clf.t_:5d} steps, "
        f"intercept {clf.intercept_[0]:.3f}, slope {clf.coef_[0, 0]:.3f}"
    )


# %%
# Paths on the loss surface
# -------------------------
# The binary cross-entropy (the Bernoulli NLL, averaged over the data) on a
# grid of (intercept, slope); every path starts at the heuristic
# initialization, the best constant model.
def cross_entropy(intercept, slope):
    """Mean binary cross-entropy at each (intercept, slope) pair."""
    intercept, slope = np.asarray(intercept), np.asarray(slope)
    z = intercept[..., np.newaxis] + slope[..., np.newaxis] * x
    return -np.mean(y * log_expit(z) + (1 - y) * log_expit(-z), axis=-1)


# The optimum, found by SciPy's quasi-Newton BFGS, for reference.
best_intercept, best_slope = minimize(
    lambda phi: cross_entropy(phi[0], phi[1]), x0=[0.0, 0.0], method="BFGS", tol=1e-10
).x
print(f"optimum: intercept {best_intercept:.3f}, slope {best_slope:.3f}")

grid_intercept, grid_slope = np.meshgrid(
    np.linspace(-5.5, 1.5, 150), np.linspace(-0.7, 2.8, 150)
)
surface = cross_entropy(grid_intercept, grid_slope)
levels = np.geomspace(surface.min(), surface.max(), 20)
colors = dict(zip(SOLVER_NAMES, plt.cm.tab10.colors, strict=False))

fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
for ax, name in zip(axes.flat, SOLVER_NAMES, strict=False):
    path, clf = fits[name]
    filled = ax.contourf(grid_intercept, grid_slope, surface, levels=levels)
    ax.contour(filled, colors="black", linewidths=0.2)
    ax.plot(path[:, 1], path[:, 0], "-", color="white", lw=1.0, label="path")
    ax.plot(path[0, 1], path[0, 0], "s", color="orange", mec="black", label="start")
    ax.plot(best_intercept, best_slope, "*", color="red", ms=12, label="optimum")
    ax.set(
        title=f'solver="{name}": {clf.n_iter_} epochs, {clf.t_} steps',
        xlabel=r"intercept $\phi_0$",
        ylabel=r"slope $\phi_1$",
    )
axes[0, 0].legend(loc="upper right")
fig.colorbar(filled, ax=axes, shrink=0.6, label="cross-entropy", format="%.2g")

# The last panel: the training loss per epoch that each fit records in
# ``loss_curve_``; for the stochastic solvers, the average over the epoch's
# mini-batches, each at the parameters its step started from.
ax = axes[1, 2]
optimum = cross_entropy(best_intercept, best_slope)
for name in SOLVER_NAMES:
    curve = fits[name][1].loss_curve_
    ax.plot(np.arange(1, len(curve) + 1), curve, color=colors[name], label=name)
ax.axhline(optimum, color="red", ls="--", label="optimum")
ax.set(xscale="log", xlabel="epoch", ylabel="training loss", title="loss_curve_")
ax.legend()

# %%
# How close each solver gets
# --------------------------
# On a log scale, the distance to the optimum of the full training loss at
# the end of each epoch (every tenth point of the stochastic solvers' paths).
# Per epoch, the stochastic solvers make ten steps to gradient descent's one,
# and their loss falls faster at first; their noise then keeps them hovering
# above the optimum until skprob's plateau rule has shrunk their step. An
# epoch counts as progress when it improves the loss by ``tol``; in this long
# flat valley the fits stop before reaching the optimum to many digits (lower
# ``tol`` for more). Gradient descent returns the parameters of its best
# epoch, the stochastic solvers those of their last (their epoch losses are
# noisy averages).
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for name in SOLVER_NAMES:
    path, clf = fits[name]
    steps_per_epoch = clf.t_ // clf.n_iter_
    at_epoch_end = path[steps_per_epoch::steps_per_epoch]
    gap = cross_entropy(at_epoch_end[:, 1], at_epoch_end[:, 0]) - optimum
    ax.loglog(np.arange(1, gap.size + 1), gap, color=colors[name], label=name)
ax.set(
    xlabel="epoch",
    ylabel="training loss minus the optimum",
    title="Distance to the optimum at the end of each epoch",
)
ax.grid(True, which="both", alpha=0.3)
ax.legend()
plt.show()
