"""
====================================================================
Input-dependent noise: GaussianRegressor vs HeteroscedasticRegressor
====================================================================

When the noise of y grows with x, a model with one sigma for all x
(:class:`~skprob.GaussianRegressor`) is right about its spread only on
average: its intervals are too wide where the data are quiet and too narrow
where they are noisy. :class:`~skprob.HeteroscedasticRegressor` predicts a
sigma for each x. We compare the two on held-out data with the scores of
:mod:`skprob.metrics`: the negative log-likelihood (NLL), the continuous
ranked probability score (CRPS), and the coverage of the 50%, 90% and 99%
central intervals, over all the test data and in its quiet and noisy halves.
A third model, :class:`~skprob.calibration.CalibratedRegressor` around the
GaussianRegressor, shows what recalibrating one factor can and cannot fix.

Run it with ``python examples/plot_heteroscedastic_vs_homoscedastic.py``.
"""

# %%
# Data: a linear mean, and a noise sigma that grows exponentially with x
# ---------------------------------------------------------------------------
# ``sigma(x) = exp(-1 + 0.8 x)`` goes from 0.07 at x = -2 to 1.8 at x = 2, so
# the HeteroscedasticRegressor (log sigma linear in x) is well specified.
import matplotlib.pyplot as plt
import numpy as np

from skprob import GaussianRegressor, HeteroscedasticRegressor
from skprob.calibration import CalibratedRegressor
from skprob.metrics import (
    gaussian_crps,
    gaussian_interval,
    gaussian_nll,
    interval_coverage,
    mean_interval_width,
)

rng = np.random.default_rng(0)


def noise_sigma(x):
    return np.exp(-1.0 + 0.8 * x)


def make_data(n_samples):
    x = rng.uniform(-2, 2, size=n_samples)
    y = 1.0 + 2.0 * x + noise_sigma(x) * rng.normal(size=n_samples)
    return x.reshape(-1, 1), y


X_train, y_train = make_data(500)
X_test, y_test = make_data(5000)

# %%
# Fit the models
# --------------
models = {
    "GaussianRegressor": GaussianRegressor(solver="lbfgs"),
    "HeteroscedasticRegressor": HeteroscedasticRegressor(solver="lbfgs"),
    "CalibratedRegressor(GaussianRegressor)": CalibratedRegressor(
        GaussianRegressor(solver="lbfgs")
    ),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Held-out scores
# ---------------
# NLL and CRPS are proper scores: lower is better, and no model can improve
# them by misreporting its uncertainty. Coverage should match the nominal
# level; "quiet" and "noisy" are the test rows with x < 0 and x >= 0.
LEVELS = (0.5, 0.9, 0.99)
quiet = X_test[:, 0] < 0


def coverage(y, y_mean, y_std, level, rows=slice(None)):
    lower, upper = gaussian_interval(y_mean[rows], y_std[rows], level)
    return interval_coverage(y[rows], lower, upper)


header = f"{'model':40s} {'NLL':>6s} {'CRPS':>6s}" + "".join(
    f" {f'cov{round(100 * level)}':>6s}" for level in LEVELS
)
print(header + f" {'width90':>8s} {'quiet90':>8s} {'noisy90':>8s}")
predictions = {}
for name, model in models.items():
    y_mean, y_std = model.predict(X_test, return_std=True)
    predictions[name] = y_mean, y_std
    row = f"{name:40s} {gaussian_nll(y_test, y_mean, y_std):6.3f}"
    row += f" {gaussian_crps(y_test, y_mean, y_std):6.3f}"
    row += "".join(f" {coverage(y_test, y_mean, y_std, lv):6.3f}" for lv in LEVELS)
    width = mean_interval_width(*gaussian_interval(y_mean, y_std, 0.9))
    row += f" {width:8.3f}"
    row += f" {coverage(y_test, y_mean, y_std, 0.9, quiet):8.3f}"
    row += f" {coverage(y_test, y_mean, y_std, 0.9, ~quiet):8.3f}"
    print(row)

# %%
# The GaussianRegressor's 90% intervals cover about 90% of all test rows,
# but nearly all the quiet ones and far fewer of the noisy ones: right on
# average, wrong everywhere. Recalibration rescales sigma by one factor
# (``scale_`` near 1 here, since sigma was already right on average), so it
# cannot fix that. The HeteroscedasticRegressor covers as it claims in both
# halves, with narrower intervals and a much better NLL and CRPS.
print(f"scale_ = {models['CalibratedRegressor(GaussianRegressor)'].scale_:.3f}")

# %%
# Intervals against the data
# --------------------------
order = np.argsort(X_test[:, 0])
x_sorted = X_test[order, 0]
shown = rng.choice(len(y_test), size=600, replace=False)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for i, name in enumerate(["GaussianRegressor", "HeteroscedasticRegressor"]):
    ax = axes[i]
    y_mean, y_std = (values[order] for values in predictions[name])
    ax.scatter(X_test[shown, 0], y_test[shown], s=6, c="0.4", label="test data")
    for level, alpha in {0.99: 0.15, 0.9: 0.25, 0.5: 0.35}.items():
        lower, upper = gaussian_interval(y_mean, y_std, level)
        ax.fill_between(
            x_sorted,
            lower,
            upper,
            color="C0",
            alpha=alpha,
            lw=0,
            label=f"{round(100 * level)}% interval",
        )
    ax.plot(x_sorted, y_mean, color="C0", label="predicted mean")
    true_lower, true_upper = gaussian_interval(
        1 + 2 * x_sorted, noise_sigma(x_sorted), 0.9
    )
    ax.plot(x_sorted, true_lower, "k--", lw=1, label="true 90% interval")
    ax.plot(x_sorted, true_upper, "k--", lw=1)
    nll = gaussian_nll(y_test, *predictions[name])
    ax.set_title(f"{name}\nheld-out NLL {nll:.3f}")
    ax.set_xlabel("x")
axes[0].set_ylabel("y")
axes[0].legend(loc="upper left", fontsize=8)
fig.suptitle("Predictive intervals on data whose noise grows with x")
fig.tight_layout()
plt.show()
