"""Held-out log score: DistributionRegressor against NGBoost, per distribution.

Every parameter of the distribution depends on x in both: a linear model of
the raw outputs (``predicts="all"``) in skprob, boosted trees of the natural
gradient in NGBoost (its defaults: 500 trees of depth 3, learning rate
0.01). The data sets ship with scikit-learn and statsmodels (no download):

- diabetes (442 x 10): disease progression, a real target: normal, Laplace,
  Student-t (3 degrees of freedom);
- engel (235 x 1): household food expenditure against income, positive:
  Gamma, log-normal, Weibull, exponential;
- randhie (20190 x 9): doctor visits, counts: Poisson;
- star98 (303 x 20): share of students above the median per school, in
  (0, 1): Beta.

Each is split 75/25 at random (seed 0), features standardized on the
training part. The score is the mean NLL of the test targets under each
predicted distribution (``-logpdf``, or ``-logpmf`` for counts), in nats:
lower is better. Run in an environment with ngboost, from the repository
root::

    PYTHONPATH=$PWD python benchmarks/ngboost_distributions.py [data set ...]
"""

import sys
import time
import warnings

import numpy as np
import statsmodels.api as sm
from _harness import pin_threads
from ngboost import NGBRegressor
from ngboost import distns as ngb
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skprob import DistributionRegressor
from skprob.distributions import StudentT


def _data_sets():
    diabetes = load_diabetes()
    engel = sm.datasets.engel.load_pandas().data
    randhie = sm.datasets.randhie.load_pandas()
    star98 = sm.datasets.star98.load_pandas()
    counts = star98.endog.to_numpy(dtype=float)
    return {
        "diabetes": (diabetes.data, diabetes.target.astype(float)),
        "engel": (engel[["income"]].to_numpy(), engel["foodexp"].to_numpy()),
        "randhie": (randhie.exog.to_numpy(dtype=float), randhie.endog.to_numpy()),
        "star98": (star98.exog.to_numpy(dtype=float), counts[:, 0] / counts.sum(1)),
    }


# (data set, skprob distribution, NGBoost distribution)
CASES = [
    ("diabetes", "normal", ngb.Normal),
    ("diabetes", "laplace", ngb.Laplace),
    ("diabetes", StudentT(df=3.0), ngb.TFixedDf),  # NGBoost's df is 3
    ("engel", "gamma", ngb.Gamma),
    ("engel", "lognormal", ngb.LogNormal),
    ("engel", "weibull", ngb.Weibull),
    ("engel", "exponential", ngb.Exponential),
    ("randhie", "poisson", ngb.Poisson),
    ("star98", "beta", ngb.Beta),
]


def _nll(dist, y):
    log_density = dist.logpmf if hasattr(dist, "logpmf") else dist.logpdf
    return -float(np.mean(log_density(y)))


def main(data_names=None):
    """Run the cases, or those on the data sets named on the command line."""
    limiter = pin_threads()  # noqa: F841 - kept alive for the whole run
    data = _data_sets()
    print(
        f"{'data':9s} {'distribution':13s} {'skprob NLL':>11s} {'NGBoost NLL':>12s}"
        f" {'skprob s':>9s} {'NGBoost s':>10s}"
    )
    for name, distribution, ngb_distribution in CASES:
        if data_names and name not in data_names:
            continue
        X, y = data[name]
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg = DistributionRegressor(distribution, predicts="all")
            reg.fit(X_train, y_train)
        skprob_seconds = time.perf_counter() - start
        skprob_nll = _nll(reg.predict_dist(X_test), y_test)
        start = time.perf_counter()
        boost = NGBRegressor(Dist=ngb_distribution, verbose=False, random_state=0)
        boost.fit(X_train, y_train)
        ngb_seconds = time.perf_counter() - start
        # The scipy distribution NGBoost holds: its discrete ones have no
        # logpdf of their own.
        ngb_nll = _nll(boost.pred_dist(X_test).dist, y_test)
        label = distribution if isinstance(distribution, str) else "student_t(3)"
        print(
            f"{name:9s} {label:13s} {skprob_nll:11.4f} {ngb_nll:12.4f}"
            f" {skprob_seconds:9.2f} {ngb_seconds:10.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
