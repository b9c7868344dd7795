"""Real data sets that ship with statsmodels, fitted by statsmodels.

Each loader returns the features standardized (as a user's pipeline would),
the target, the sample weights (None for one row per observation), and the
statsmodels model of the same likelihood, with a constant column first: its
``fit`` is the reference that the tests compare with.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.preprocessing import StandardScaler


@dataclass
class RealData:
    X: pd.DataFrame
    y: np.ndarray
    sample_weight: np.ndarray | None
    reference: object  # an unfitted statsmodels model with a constant


def _standardized(frame):
    values = StandardScaler().fit_transform(frame.to_numpy(dtype=float))
    return pd.DataFrame(values, columns=frame.columns)


def spector():
    """32 students: does a teaching method (PSI) raise grades? Logit."""
    data = sm.datasets.spector.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    return RealData(X, y, None, sm.Logit(y, sm.add_constant(X)))


def anes96():
    """944 voters' party identification, 7 classes. MNLogit."""
    data = sm.datasets.anes96.load_pandas()
    columns = ["logpopul", "selfLR", "age", "educ", "income"]
    X, y = _standardized(data.exog[columns]), data.endog.to_numpy().astype(int)
    return RealData(X, y, None, sm.MNLogit(y, sm.add_constant(X)))


def star98():
    """303 California school districts: students above and below the median.

    A binomial GLM of the counts in statsmodels; here each district is two
    weighted Bernoulli rows, one per outcome, weighted by its count.
    """
    data = sm.datasets.star98.load_pandas()
    X, counts = _standardized(data.exog), data.endog.to_numpy()
    reference = sm.GLM(counts, sm.add_constant(X), family=sm.families.Binomial())
    rows = pd.concat([X, X], ignore_index=True)
    y = np.repeat([1.0, 0.0], len(X))
    return RealData(rows, y, np.concatenate([counts[:, 0], counts[:, 1]]), reference)


def longley():
    """16 years of US employment; its columns are nearly collinear. OLS."""
    data = sm.datasets.longley.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy()
    return RealData(X, y, None, sm.OLS(y, sm.add_constant(X)))


def reference_fit(data, **kwargs):
    """statsmodels' fit, tight: Newton (IRLS for the GLM) to convergence."""
    model = data.reference
    if isinstance(model, sm.OLS):
        return model.fit(**kwargs)
    if isinstance(model, sm.GLM):
        return model.fit(tol=1e-12, **kwargs)
    return model.fit(disp=0, method="newton", tol=1e-12, **kwargs)


DATA_SETS = {
    "spector-Logit": spector,
    "anes96-MNLogit": anes96,
    "star98-GLM-Binomial": star98,
    "longley-OLS": longley,
}


def randhie():
    """20190 people of the RAND Health Insurance Experiment: doctor visits.

    Overdispersed counts (variance about six times the mean): statsmodels'
    example of Poisson and negative binomial regression.
    """
    data = sm.datasets.randhie.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy(dtype=float)
    return RealData(X, y, None, sm.NegativeBinomial(y, sm.add_constant(X)))


def cpunish():
    """17 US states: executions in 1997. statsmodels' Poisson GLM example."""
    data = sm.datasets.cpunish.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy(dtype=float)
    family = sm.families.Poisson()
    return RealData(X, y, None, sm.GLM(y, sm.add_constant(X), family=family))


def scotland():
    """32 Scottish council areas: the share of yes votes to a tax power.

    statsmodels' Gamma GLM example; here with the log link.
    """
    data = sm.datasets.scotland.load_pandas()
    X, y = _standardized(data.exog), data.endog.to_numpy(dtype=float)
    family = sm.families.Gamma(link=sm.families.links.Log())
    return RealData(X, y, None, sm.GLM(y, sm.add_constant(X), family=family))
