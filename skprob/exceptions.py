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
