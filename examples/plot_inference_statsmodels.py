"""
=====================================================
Standard errors and intervals, checked on statsmodels
=====================================================

statsmodels' star98 data count, in 303 California school districts, the
students whose mathematics score was above the national median and those
below, with 20 features of each district. statsmodels fits a binomial GLM to
the counts; skprob fits the same likelihood as weighted Bernoulli rows, one
row per outcome weighted by its count, with a
:class:`~skprob.BernoulliClassifier` and ``solver="newton"``.
:func:`~skprob.inference.coef_inference` then gives the standard errors,
confidence intervals and Wald tests of the coefficients, which we compare
with statsmodels' (see :ref:`inference` for the formulas).
"""

# %%
# Data: counts as weighted rows
# -----------------------------
# The features are standardized, so that each coefficient is the change in
# the log-odds per standard deviation of its feature and the coefficients
# can share one plot. Newton's method does not need it: it scales the
# problem itself.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import log_expit
from sklearn.preprocessing import StandardScaler

from skprob import BernoulliClassifier
from skprob.inference import coef_inference

data = sm.datasets.star98.load_pandas()
features = pd.DataFrame(
    StandardScaler().fit_transform(data.exog), columns=data.exog.columns
)
counts = data.endog.to_numpy()  # NABOVE, NBELOW
X = pd.concat([features, features], ignore_index=True)
y = np.repeat([1, 0], len(features))  # above the median, or not
weight = np.concatenate([counts[:, 0], counts[:, 1]])
print(f"{len(features)} districts, {weight.sum():.0f} students, {X.shape[1]} features")

# %%
# Fits: Newton's method and L-BFGS against statsmodels' optimum
# -------------------------------------------------------------
# statsmodels fits the grouped counts by iteratively reweighted least
# squares (Newton's method for this model). Each epoch of a skprob fit
# records the mean NLL of the rows in ``loss_curve_``; its distance to the
# NLL at statsmodels' optimum shows how the two solvers converge.
glm = sm.GLM(counts, sm.add_constant(features), family=sm.families.Binomial())
reference = glm.fit(tol=1e-12)
log_odds = sm.add_constant(features).to_numpy() @ reference.params.to_numpy()
optimum = -(counts[:, 0] @ log_expit(log_odds) + counts[:, 1] @ log_expit(-log_odds))
optimum /= weight.sum()

fits = {
    solver: BernoulliClassifier(solver=solver, alpha=0.0).fit(
        X, y, sample_weight=weight
    )
    for solver in ("newton", "lbfgs")
}
print(f"statsmodels: {reference.fit_history['iteration']} iterations")
fig, ax = plt.subplots(figsize=(6, 3.5))
for solver, fit in fits.items():
    gap = (np.array(fit.loss_curve_) - optimum) / optimum
    # An epoch after convergence repeats the last loss: where each fit got.
    moving = np.flatnonzero(np.diff(fit.loss_curve_) != 0)
    n_moving = moving[-1] + 2 if len(moving) else 1
    print(
        f"skprob {solver}: the loss changed over {n_moving} epochs, "
        f"final relative gap {gap[-1]:.1e}"
    )
    ax.semilogy(np.arange(1, len(gap) + 1), np.maximum(gap, 1e-17), label=solver)
ax.set_xlabel("epoch")
ax.set_ylabel("relative gap to statsmodels' NLL")
ax.set_xscale("log")
ax.legend()
fig.tight_layout()

# %%
# Newton's steps converge quadratically: each squares the distance to the
# optimum, and a handful of epochs reach it to rounding (a gap at or below
# about 1e-16 is drawn at 1e-17). L-BFGS builds its curvature from the
# gradients it has seen, and on these correlated features approaches more
# slowly.
#
# The inference table
# -------------------
# The covariance is the inverse of the observed information, the Hessian of
# the NLL summed over the students at the estimate.
clf = fits["newton"]
result = coef_inference(clf, X, y, sample_weight=weight)
print(result.summary())

# %%
# Agreement with statsmodels
# --------------------------
# The largest relative difference of each quantity, over the 21
# coefficients (p-values below the smallest float, 0 in both, left out):
intervals = result.conf_int()


def largest_relative_difference(ours, theirs):
    theirs = np.asarray(theirs)
    nonzero = theirs != 0
    return np.max(np.abs(ours - theirs)[nonzero] / np.abs(theirs[nonzero]))


for name, ours, theirs in [
    ("coefficients", result.coef, reference.params),
    ("standard errors", result.bse, reference.bse),
    ("z-values", result.zvalues, reference.tvalues),
    ("p-values", result.pvalues, reference.pvalues),
    ("95% intervals", intervals, reference.conf_int()),
]:
    print(f"{name:>16}: {largest_relative_difference(ours, theirs):.1e}")

# %%
# The coefficients with their 95% intervals, skprob's and statsmodels' side
# by side (statsmodels' drawn just below): they coincide.
frame = result.summary_frame()
rows = np.arange(len(frame))[::-1]
fig, ax = plt.subplots(figsize=(7, 6.5))
ax.errorbar(
    frame["coef"],
    rows,
    xerr=1.96 * frame["std err"],
    fmt="o",
    label="skprob",
)
theirs = reference.conf_int().to_numpy()
ax.errorbar(
    reference.params,
    rows - 0.3,
    xerr=[reference.params - theirs[:, 0], theirs[:, 1] - reference.params],
    fmt="s",
    markersize=3,
    label="statsmodels",
)
ax.axvline(0.0, color="grey", linewidth=0.8)
ax.set_yticks(rows, frame.index)
ax.set_xlabel("log-odds per standard deviation of the feature")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# Robust standard errors count observations
# -----------------------------------------
# The sandwich (``cov_type="HC0"``) of the weighted rows treats every
# student as an observation, as statsmodels' GLM of the rows with
# ``freq_weights`` does; they agree. statsmodels' GLM of the grouped counts
# treats every district as one observation, and its sandwich also sees how
# much more the districts' rates scatter than binomial counts would: its
# standard errors are larger. Which to report depends on what varies
# independently: students, or districts.
robust = coef_inference(clf, X, y, sample_weight=weight, cov_type="HC0")
rows_glm = sm.GLM(
    y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=weight
).fit(tol=1e-12, cov_type="HC0")
grouped = glm.fit(tol=1e-12, cov_type="HC0")
print(
    "HC0 of the rows against statsmodels' rows GLM: "
    f"{largest_relative_difference(robust.bse, rows_glm.bse):.1e}"
)
ratio = grouped.bse.to_numpy() / robust.bse
print(f"grouped HC0 over rows HC0: {ratio.min():.2f} to {ratio.max():.2f}")

# %%
# The uncertainty of a predicted probability
# ------------------------------------------
# ``predict_mean`` gives the probability of scoring above the median in a
# district, and its standard error by the delta method, as statsmodels'
# ``get_prediction``. It says how well the data determine the district's
# rate; a single student's outcome is far less certain, by the Bernoulli
# standard deviation that ``predict_dist`` gives.
proba, proba_se = result.predict_mean(features.iloc[:5], return_std=True)
exog = sm.add_constant(features.iloc[:5], has_constant="add")
prediction = reference.get_prediction(exog=exog)
student = clf.predict_dist(features.iloc[:5]).std()
print(
    pd.DataFrame(
        {
            "probability": proba,
            "standard error": proba_se,
            "statsmodels' se": prediction.se,
            "one student's std": student,
        }
    ).round(4)
)
