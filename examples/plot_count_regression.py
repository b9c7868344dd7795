"""
=================================================================
Overdispersed counts: Poisson against negative binomial intervals
=================================================================

Counts whose variance exceeds their mean are the rule, not the exception
(doctor visits, claims, defects). A Poisson regression gets their mean
right, since its estimating equation is that of the mean alone, but it
assumes a variance equal to the mean: its intervals are too narrow. The
negative binomial NB2, with variance ``mu + alpha mu^2`` and ``alpha``
fitted as a constant, gets both. We fit both with
:class:`~skprob.DistributionRegressor` on simulated counts, where the truth
is known, and compare their 90% intervals and held-out log scores.

Run it with ``python examples/plot_count_regression.py``.
"""

# %%
# Data: a log-linear mean and a negative binomial with alpha = 0.8
# ---------------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from skprob import DistributionRegressor
from skprob.metrics import interval_coverage, mean_interval_width, nll

rng = np.random.default_rng(0)
n_samples = 4000
X = rng.uniform(-2, 2, size=(n_samples, 1))
mu = np.exp(1.0 + 0.6 * X[:, 0])
alpha = 0.8
y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
X_train, X_test = X[:3000], X[3000:]
y_train, y_test = y[:3000], y[3000:]
print(f"mean {y.mean():.2f}, variance {y.var():.2f}")

# %%
# Fit both: the true log mean is 1.0 + 0.6 x
# ---------------------------------------------------------------------------
poisson = DistributionRegressor("poisson").fit(X_train, y_train)
negbin = DistributionRegressor("negative_binomial").fit(X_train, y_train)
for name, reg in [("Poisson", poisson), ("NB2", negbin)]:
    print(f"{name:8s} log mean = {reg.intercept_:.3f} + {reg.coef_[0]:.3f} x")
print(f"NB2 alpha: {negbin.constant_params_['alpha']:.3f} (true {alpha})")

# %%
# Intervals and log scores on held-out data
# ---------------------------------------------------------------------------
# For counts, the central 90% interval runs from the 5% to the 95% quantile
# of the predicted distribution, both counts: it covers at least 90% of the
# probability, so coverage is at least the nominal level when the model is
# right.
for name, reg in [("Poisson", poisson), ("NB2", negbin)]:
    lower, upper = reg.predict_interval(X_test, coverage=0.9).T
    coverage = interval_coverage(y_test, lower, upper)
    width = mean_interval_width(lower, upper)
    score = nll(y_test, reg.predict_dist(X_test))
    print(f"{name:8s} coverage {coverage:.3f}  width {width:5.2f}  NLL {score:.3f}")

# %%
# The intervals along x
# ---------------------------------------------------------------------------
grid = np.linspace(-2, 2, 200)[:, None]
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(X_test[:, 0], y_test, s=4, alpha=0.3, color="grey", label="test data")
for name, reg, color in [("Poisson", poisson, "C0"), ("NB2", negbin, "C1")]:
    lower, upper = reg.predict_interval(grid, coverage=0.9).T
    ax.step(grid[:, 0], lower, color=color, where="mid")
    ax.step(grid[:, 0], upper, color=color, where="mid", label=f"{name} 90%")
ax.plot(grid[:, 0], np.exp(1.0 + 0.6 * grid[:, 0]), "k--", label="true mean")
ax.set_xlabel("x")
ax.set_ylabel("count")
ax.set_ylim(0, np.quantile(y_test, 0.995))
ax.legend()
plt.show()

# %%
# The Poisson's intervals miss more than twice their 10% of the counts; the
# NB2's cover at least 90% (discrete intervals err on the safe side), and its
# held-out NLL is lower by more than half a nat. Both fitted the same mean.
