"""
=====================================================
A model of your own: the Gabor model and its minima
=====================================================

A linear model has a convex least-squares loss (see
:ref:`sphx_glr_auto_examples_plot_linear_regression_loss_surface.py`). A
nonlinear one need not. The Gabor model of S. J. D. Prince, *Understanding
Deep Learning* (MIT Press, 2023), chapter 6,

.. math::

    f[x, \\phi] = \\sin(\\phi_0 + 0.06\\,\\phi_1 x)\\,
    \\exp\\!\\left(-\\frac{(\\phi_0 + 0.06\\,\\phi_1 x)^2}{32}\\right),

has two parameters too, but its loss surface is a landscape of valleys:
several local minima, only one of them global. Step 2 of the recipe, the
model, is pluggable (see :ref:`model_guide`): here we write the Gabor model
as a :class:`~skprob.models.ParametricModel`, fit it with
:class:`~skprob.GaussianRegressor` and
:class:`~skprob.HeteroscedasticRegressor`, check the fit against SciPy's
``curve_fit``, and look at which minimum each fit reaches, and why.
"""

# %%
# Data
# ----
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import curve_fit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skprob import GaussianRegressor, HeteroscedasticRegressor
from skprob.metrics import neg_gaussian_nll_scorer
from skprob.models import Concatenate, LinearModel, ParametricModel, check_model

TRUE_PHI = np.array([0.0, 12.0])


def gabor(x, phi0, phi1):
    """The Gabor model f[x, phi], as a function of x and the parameters."""
    phase = phi0 + 0.06 * phi1 * x
    return np.sin(phase) * np.exp(-(phase**2) / 32.0)


rng = np.random.default_rng(0)
x = rng.uniform(-15.0, 15.0, size=60)
y = gabor(x, *TRUE_PHI) + rng.normal(scale=0.1, size=x.size)
X = x[:, None]


# %%
# The model
# ---------
# A :class:`~skprob.models.ParametricModel` needs four things: the number of
# parameters, where a fit starts, the raw outputs f[x, phi] (here the mean of
# the normal), and their Jacobian, the derivatives in the parameters. The
# start is a hyper-parameter, set in ``__init__`` as in any scikit-learn
# estimator: a non-convex fit depends on it, and a search can tune it.
class Gabor(ParametricModel):
    """The Gabor model, fitted from ``start``."""

    n_params = 2

    def __init__(self, start=(0.0, 10.0)):
        self.start = start

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, dtype=float)

    def predict_raw(self, params, X):
        return gabor(X[:, 0], *params)

    def jacobian(self, params, X):
        phase = params[0] + 0.06 * params[1] * X[:, 0]
        envelope = np.exp(-(phase**2) / 32.0)
        # Chain rule: d f / d phase, then d phase / d phi = (1, 0.06 x).
        d_phase = envelope * (np.cos(phase) - phase / 16.0 * np.sin(phase))
        return np.column_stack([d_phase, 0.06 * X[:, 0] * d_phase])


# %%
# :func:`~skprob.models.check_model` builds the model for ``X``, checks the
# shapes of what it returns, and checks its gradient against finite
# differences, as ``check_estimator`` checks an estimator. It returns
# nothing, and raises an ``AssertionError`` naming the model when something
# is wrong.
check_model(Gabor(), X)

# %%
# A fit, against SciPy's
# ----------------------
# We fit the model with stochastic gradient descent, in mini-batches of 10
# rows (with the default ``batch_size``, ``min(200, n_samples)``, "sgd" would
# take all 60 rows at once), and ``scipy.optimize.curve_fit``
# (Levenberg-Marquardt, with finite-difference derivatives) from the same
# start. Both minimize the sum of squares, the normal's NLL up to constants.
start = (0.0, 10.0)
phi_ref, _ = curve_fit(gabor, x, y, p0=start, xtol=1e-14, ftol=1e-14)


def relative_error(phi):
    return np.linalg.norm(phi - phi_ref) / np.linalg.norm(phi_ref)


reg = GaussianRegressor(
    model=Gabor(start=start), solver="sgd", batch_size=10, random_state=0
).fit(X, y)
phi0_error = abs(reg.params_[0] - phi_ref[0]) / abs(phi_ref[0])
print(
    f"skprob: phi = {reg.params_} in {reg.n_iter_} epochs, relative error "
    f"{relative_error(reg.params_):.1e} ({phi0_error:.1e} in phi0 alone)"
)
print(f"curve_fit: phi = {phi_ref}")

# %%
# Both reach the same optimum (:math:`\phi_0`, a small parameter next to
# :math:`\phi_1`, to a few millionths of itself). The model fits y as it
# is (a model of your own is not given a standardized target), so the
# gradient is in y's units and in
# each parameter's: its size says little. The fit's convergence test
# measures it instead in the metric of the information (the Gauss-Newton
# matrix, the Hessian of the least-squares loss near the optimum), in units
# of the noise: the decrease of the NLL that a Newton step still promises,
# which no change of units moves, and which a flat direction of the loss
# cannot hide (see the model guide's "How a model of your own is fitted").
# Here is that decrement at the fit's end, and at curve_fit's optimum:
model = Gabor().build(n_features=1, n_outputs=1)


def decrement(phi):
    """Newton decrement of 1/2 mean((f[x, phi] - y)^2), in nats."""
    residual = model.predict_raw(phi, X)[:, 0] - y
    jacobian = model.jacobian(phi, X)
    gradient = jacobian.T @ residual
    information = jacobian.T @ jacobian
    return gradient @ np.linalg.solve(information, gradient) / (2 * residual @ residual)


print(f"decrement: skprob {decrement(reg.params_):.1e}", end=", ")
print(f"curve_fit {decrement(phi_ref):.1e}")

# %%
# Every skprob estimator minimizes the weighted mean NLL, here
# ``1/2 mean((f - y)^2)`` (``loss_``), and estimates the noise level as the
# root mean squared residual (``sigma_``).
half_mse = 0.5 * np.mean((reg.predict(X) - y) ** 2)
print(f"loss_ = {reg.loss_:.6f}, 1/2 mean squared residual = {half_mse:.6f}")
print(f"sigma_ = {reg.sigma_:.4f} (the noise was drawn with 0.1)")

# %%
# The uncertainty comes through ``predict(X, return_std=True)``: the mean
# f[x, phi] and the standard deviation ``sigma_``, the same for every x. A
# 90% predictive band is the mean plus or minus 1.645 standard deviations.
x_plot = np.linspace(-15, 15, 400)
mean, std = reg.predict(x_plot[:, None], return_std=True)
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
ax.fill_between(
    x_plot, mean - 1.645 * std, mean + 1.645 * std, alpha=0.3, label="90% band"
)
ax.plot(x_plot, mean, label="GaussianRegressor(model=Gabor())")
ax.plot(x_plot, gabor(x_plot, *TRUE_PHI), "k--", lw=1, label="true f[x, phi]")
ax.scatter(x, y, color="black", s=12, label="data", zorder=3)
ax.set(xlabel="x", ylabel="y", title="The Gabor model fitted at its global minimum")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


# %%
# The loss surface, and where fits end
# ------------------------------------
# The objective on a grid of :math:`(\phi_0, \phi_1)`, on a log scale to show
# the shallow valleys; its global minimum is near the true parameters
# :math:`(0, 12)`. A model's ``stopping`` attribute tells the training loop
# when a fit has converged. A :class:`~skprob.models.ParametricModel`'s is
# "gradient": the fit ends where the gradient vanishes, and "sgd" runs one
# plain epoch, then variance-reduced ones, whose noise dies out as they near
# the minimum. So SGD goes downhill into the valley of its start, and finds
# its bottom precisely. With "plateau" (a neural network's), SGD runs plain
# mini-batch epochs until the loss stops improving, dividing its step by 5 at
# each plateau: its noise lasts, and can carry it over a ridge into a better
# valley, but it ends near a minimum, not at it. The arrows join each start
# to the end of its fit (they are not the paths).
class WanderingGabor(Gabor):
    """The Gabor model, fitted by plain SGD until its loss plateaus."""

    stopping = "plateau"


phi0_grid, phi1_grid = np.meshgrid(
    np.linspace(-10, 10, 161), np.linspace(2.5, 22.5, 161)
)
surface = 0.5 * np.mean(
    (gabor(x, phi0_grid[..., None], phi1_grid[..., None]) - y) ** 2, axis=-1
)


def fit_end(model_class, start):
    reg = GaussianRegressor(
        model=model_class(start=start), solver="sgd", batch_size=10, random_state=0
    )
    return reg.fit(X, y).params_


starts = [(0.0, 4.0), (2.0, 6.5), (-5.0, 8.0), (-3.0, 17.0)]
ends = {
    '"gradient": variance-reduced SGD': [fit_end(Gabor, s) for s in starts],
    '"plateau": plain SGD': [fit_end(WanderingGabor, s) for s in starts],
}
for name, phis in ends.items():
    print(name)
    for start, phi in zip(starts, phis, strict=True):
        print(f"  from {start}: ends at ({phi[0]:.3f}, {phi[1]:.3f})")


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
for ax, (name, phis) in zip(axes, ends.items(), strict=True):
    filled = draw_surface(ax, f"stopping={name}")
    for start, phi, color in zip(
        starts, phis, ["white", "orange", "cyan", "magenta"], strict=True
    ):
        ax.annotate(
            "", phi, start, arrowprops={"arrowstyle": "->", "color": color, "lw": 1.5}
        )
        ax.plot(*start, "s", color=color, ms=7, mec="black")
        ax.plot(*phi, "o", color=color, ms=8, mec="black")
axes[0].plot([], [], "s", color="gray", mec="black", label="start")
axes[0].plot([], [], "o", color="gray", mec="black", label="end")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
fig.colorbar(filled, ax=axes, label=r"$\log_{10}$ of the objective")

# %%
# Where each kind of fit ends, over many starts
# ---------------------------------------------
# Four starts are anecdotes; here are 30, on a grid, each marked by whether
# the fit ended at the global minimum. Noise is no guarantee: it rescues
# starts in the shallow valleys next to the global one, it can also knock a
# run out of the right valley (compare the top rows of the two panels), and
# from far-off starts both end in the flat region where the model predicts
# nearly zero. On this problem the two counts are close: what noise buys is
# a chance, not a certainty.
phi0_starts, phi1_starts = np.meshgrid(np.linspace(-8, 8, 6), np.linspace(4, 21, 5))
grid_starts = np.column_stack([phi0_starts.ravel(), phi1_starts.ravel()])


def reaches_global_minimum(phi):
    return np.linalg.norm(phi - phi_ref) < 0.5


# Plain SGD ends near a minimum, and from far off it may run out of epochs
# on the flat region: what matters here is where it ends.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    found = {
        name: np.array(
            [reaches_global_minimum(fit_end(model_class, s)) for s in grid_starts]
        )
        for name, model_class in zip(ends, [Gabor, WanderingGabor], strict=True)
    }

fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharey=True, layout="constrained")
for ax, (name, hits) in zip(axes, found.items(), strict=True):
    print(f"{name}: the global minimum from {hits.sum()} of {hits.size} starts")
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
fig.colorbar(filled, ax=axes, label=r"$\log_{10}$ of the objective")

# %%
# Searching the start
# -------------------
# The other classic remedy is to fit from several starts and keep the best.
# The start is the model's hyper-parameter, so ``GridSearchCV`` searches it
# as ``model__start``, like any nested estimator's parameter, and scores
# each start by the held-out NLL (:data:`~skprob.metrics.neg_gaussian_nll_scorer`).
# Each fit polishes its valley's minimum: only the global one predicts
# held-out data well.
search = GridSearchCV(
    GaussianRegressor(model=Gabor(), solver="sgd", batch_size=10, random_state=0),
    {"model__start": starts},
    scoring=neg_gaussian_nll_scorer,
)
search.fit(X, y)
for start, score in zip(starts, search.cv_results_["mean_test_score"], strict=True):
    print(f"start {start}: held-out NLL {-score:.3f}")
best = search.best_estimator_
print(f"best start {search.best_params_['model__start']}: phi = {best.params_}")
print(f"relative error against curve_fit: {relative_error(best.params_):.1e}")

# %%
# The same model, as the mean of a heteroscedastic normal
# -------------------------------------------------------
# A :class:`~skprob.HeteroscedasticRegressor` has two raw outputs per row:
# the mean and the log standard deviation. :class:`~skprob.models.Concatenate`
# puts two models side by side: the Gabor model for the mean, and a
# :class:`~skprob.models.LinearModel` for the log standard deviation. On data
# whose noise grows with :math:`|x|`, we give the model a second column,
# :math:`|x|`: the Gabor model reads the first column only, and the linear
# model both, so that :math:`\log \sigma(x) = a + b\,x + c\,|x|`.
noise = 0.02 + 0.015 * np.abs(x)
y_hetero = gabor(x, *TRUE_PHI) + noise * rng.standard_normal(x.size)
X_hetero = np.column_stack([x, np.abs(x)])
hetero = HeteroscedasticRegressor(
    model=Concatenate([("mean", Gabor(start=start)), ("log_scale", LinearModel())])
).fit(X_hetero, y_hetero)
mean_phi, log_scale_params = np.split(hetero.params_, [2])
print(f"mean's phi = {mean_phi}")
print(f"log sigma = a + b x + c |x| with (b, c, a) = {log_scale_params}")

# %%
# ``params_`` holds the parameters of both models, in order (the linear
# model's coefficients, then its intercept). The band widens with
# :math:`|x|`, as the noise does.
x_plot_hetero = np.column_stack([x_plot, np.abs(x_plot)])
mean, std = hetero.predict(x_plot_hetero, return_std=True)
true_std = 0.02 + 0.015 * np.abs(x_plot)
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
ax.fill_between(
    x_plot, mean - 1.645 * std, mean + 1.645 * std, alpha=0.3, label="90% band"
)
ax.plot(x_plot, mean, label="HeteroscedasticRegressor mean")
ax.plot(
    x_plot,
    (gabor(x_plot, *TRUE_PHI) + 1.645 * true_std * [[-1], [1]]).T,
    "k--",
    lw=1,
)
ax.plot([], [], "k--", lw=1, label="true 90% band")
ax.scatter(x, y_hetero, color="black", s=12, label="data", zorder=3)
ax.set(xlabel="x", ylabel="y", title="Gabor mean, noise growing with |x|")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()
