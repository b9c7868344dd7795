"""Warnings that skprob's estimators emit."""

from sklearn.exceptions import ConvergenceWarning


class PerfectSeparationWarning(ConvergenceWarning):
    """The model separates the training classes: no maximum likelihood.

    Where a classifier's model ranks every training sample's observed class
    first, scaling its raw outputs up raises the likelihood without end, so
    the unpenalized maximum-likelihood estimate does not exist: a fit with
    ``alpha=0`` drives the coefficients towards infinity and the
    probabilities towards 0 and 1. A penalty ``alpha > 0`` (the default)
    gives the problem a unique, finite optimum. Named after statsmodels'
    warning for the same condition; a subclass of scikit-learn's
    ``ConvergenceWarning``, so that filters on that catch it too.
    """


class ScaleCollapseWarning(ConvergenceWarning):
    """The fitted scale sits at its floor on training rows: no maximum likelihood.

    A model that predicts a scale (sigma(x) of a mean-variance model, any
    spread of a :class:`~skprob.DistributionRegressor` with
    ``predicts="all"``) can raise the likelihood without end wherever its
    location fits training rows exactly: there the scale shrinks towards 0
    (a Gamma's or a Weibull's shape, a Beta's precision, grows without end)
    and the NLL towards minus infinity, so the maximum-likelihood estimate
    does not exist. The bound on the spread (a scale's floor, a shape's
    ceiling) keeps the fit finite, but the rows at the bound mark the
    degenerate fit: its held-out predictions are overconfident, and no
    solver converges to an optimum (the curvature at a scale's floor grows
    as one over the floor squared). A penalty ``alpha > 0`` on standardized
    features, fewer features, early stopping, or a spread shared by all x
    give the fit a finite optimum away from the bound. The counterpart, for
    a scale, of :class:`PerfectSeparationWarning`; a subclass of
    scikit-learn's ``ConvergenceWarning``, so that filters on that catch it
    too.
    """
