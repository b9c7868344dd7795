r"""Step 1 of the recipe: the distribution Pr(y | theta) over the outputs.

A distribution here works "with respect to the raw outputs" ``raw = f[x, phi]``
of the model, as scikit-learn's losses do: it maps raw outputs to the
distribution's parameters theta through links, and returns the per-sample
negative log-likelihood (NLL) and its derivatives with respect to ``raw``.
Positive parameters live on an unconstrained scale (the log of a scale), so a
solver can move raw outputs freely. Every regressor takes a distribution as
``distribution=`` (:class:`~skprob.DistributionRegressor`), a name or an
object, as it takes ``model=`` and ``solver=``.

The distribution protocol
-------------------------
A distribution is a scikit-learn style parameter object (subclass
:class:`Distribution`, which is a :class:`~sklearn.base.BaseEstimator`, so
``clone``, ``get_params`` and ``GridSearchCV(..., {"distribution__df": ...})``
work): its hyper-parameters (a Student-t's degrees of freedom) are set in
``__init__``. It has:

``n_raw`` : int
    Raw outputs per row: the number of the distribution's parameters (for a
    1-D target), each given by one raw output through its link.

``parameter_names`` : tuple of str
    The parameters, in the order of the raw outputs; the first is the
    location (a mean, a median, a scale for a positive target), which a
    :class:`~skprob.DistributionRegressor` lets the model predict while the
    others are fitted as constants (``predicts="location"``).

``nll_gradient(y, raw) -> (nll, gradient)``
    The per-row NLL, of shape ``(n_samples,)``, and its gradient with
    respect to ``raw``, of the shape of ``raw`` (and of its dtype: a float32
    fit stays float32). The NLL is exact (every constant included, so that it
    equals ``-frozen(raw).logpdf(y)``) for all distributions but the
    least-squares :class:`Normal`, whose missing constant and factor
    :meth:`Distribution.dispersion` gives.

``hessian(y, raw)``
    Per-row second derivatives with respect to ``raw``, of shape
    ``(n_samples, n_raw, n_raw)``. ``hessian_kind`` says which: "observed",
    the second derivatives themselves, or "expected", their expectation
    under the distribution at ``raw`` (the Fisher information), which a
    distribution gives where the observed Hessian can be indefinite (a
    negative binomial's dispersion, a Student-t's outliers) or does not
    exist (the Laplace's kink). ``solver="newton"`` (then Fisher scoring)
    and the standard errors of :mod:`skprob.inference` use it; at the MLE
    both kinds estimate the same information. ``expected_hessian(y, raw)``
    is always the expected one (:class:`Distribution`'s returns
    ``hessian``; a distribution whose ``hessian`` is observed and can be
    indefinite overrides it): the Gauss-Newton weight with which
    ``solver="newton"`` fits a model given by its Jacobian.

``raw_at_marginal_mle(y, sample_weight) -> raw`` of shape ``(n_raw,)``
    The raw outputs of the best constant model, where the model's
    intercepts start (the seed's heuristic initialization). The base
    class's runs Fisher scoring with :meth:`~Distribution.hessian` from a
    moment estimate, ``_raw_start(y, sample_weight)``; closed forms replace
    it where they exist.

``frozen(raw)``
    The predicted distributions, one per row, as a frozen ``scipy.stats``
    distribution with vector parameters: what ``predict_dist`` returns, and
    on which intervals, quantiles and scores are computed.

``mean(raw)``
    The mean of y, what ``predict`` returns; ``frozen(raw).mean()`` unless
    a closed form is cheaper.

``check_target(y)``
    Raises a ValueError naming the distribution and the values of y outside
    its domain (``support``, in words); the estimators call it before
    fitting.

The optional ``target_affine`` lets a location-scale family fit a
standardized target; ``curvature`` and ``curvature_ratio`` feed step-size
heuristics; ``kinks(y, raw, width)`` names the rows where a non-smooth NLL
(the Laplace's) has an interval of subgradients, for the convergence test.
A distribution whose spread the model can predict names its raw output
``spread_output`` and bounds it in ``_raw_bounds()`` (a scale's floor, a
shape's or precision's ceiling): a fit at the bound then warns of the
collapse (``at_scale_floor``), and a network predicts no spread narrower
than the narrowest it fitted on a training row (``narrowest_spread``,
``narrower``, ``bound_spread``, which the base class derives from the two).

Conventions
-----------
- ``raw`` is always 2-D, of shape ``(n_samples, n_raw)``; ``n_raw`` is the
  number of raw outputs the model must produce (1 for a mean or a logit, 2 for
  a mean and a log-scale, K for K class scores).
- ``y`` is 1-D: float targets for the continuous distributions, counts for
  :class:`Poisson` and :class:`NegativeBinomial`, 0/1 for the Bernoulli,
  integer class codes 0..K-1 for the categorical.
- Multiple outputs: built with ``n_outputs=k``, the normal and Bernoulli
  distributions take a 2-D ``y`` of shape ``(n_samples, k)``, k independent
  outputs (the "multiple outputs" of S. J. D. Prince, *Understanding Deep
  Learning*, MIT Press, 2023, chapter 5), whose NLLs add up to a row's.
  Their raw outputs are laid out parameter-major: ``raw[:, j * k + o]`` is
  parameter j of output o (``n_raw`` is k times the parameters of one
  output), so the Hessian of a row is block-structured, with no term
  between two outputs. ``n_outputs=None``, the default, is the 1-D target.
  The categorical and the distributions of :data:`DISTRIBUTIONS` other than
  the normal take a 1-D target only.
- ``nll`` is per sample, of shape ``(n_samples,)``; weighting and averaging
  are the training objective's business, not the distribution's.
- ``gradient[i, j]`` is ``d nll[i] / d raw[i, j]``; ``hessian[i, j, k]`` is
  ``d^2 nll[i] / d raw[i, j] d raw[i, k]`` (or its expectation), a symmetric
  block per sample. A sample's NLL depends on its own raw outputs only, so
  there are no blocks between samples.

A distribution of your own
--------------------------
A few methods make one; :func:`check_distribution` compares its gradient and
Hessian with finite differences (and Monte Carlo for an expected Hessian)
and its NLL with scipy's. Here the geometric distribution of the number of
failures before a success, with the log of its mean as the raw output:

>>> import numpy as np
>>> from scipy import stats
>>> from skprob.distributions import Distribution, check_distribution
>>> class Geometric(Distribution):
...     parameter_names = ("mu",)
...     support = "non-negative integer counts"
...     hessian_kind = "expected"
...     def nll_gradient(self, y, raw):
...         # p = 1 / (1 + mu): -log p(y) = (y + 1) log(1 + mu) - y log(mu)
...         z = raw[:, 0]
...         softplus = np.logaddexp(0.0, z)
...         nll = (y + 1) * softplus - y * z
...         return nll, ((y + 1) / (1 + np.exp(-z)) - y)[:, None]
...     def hessian(self, y, raw):
...         mu = np.exp(raw[:, 0])
...         return (mu / (1 + mu))[:, None, None]
...     def raw_at_marginal_mle(self, y, sample_weight):
...         return np.array([np.log(np.average(y, weights=sample_weight))])
...     def frozen(self, raw):
...         return stats.geom(1 / (1 + np.exp(raw[:, 0])), loc=-1)
...     def _in_support(self, y):
...         return (y >= 0) & (np.floor(y) == y)
>>> y = np.random.default_rng(0).geometric(0.25, size=200) - 1
>>> check_distribution(Geometric(), y)

It fits as a built-in one does:

>>> from skprob import DistributionRegressor
>>> X = np.zeros((200, 1))
>>> reg = DistributionRegressor(distribution=Geometric()).fit(X, y)
>>> bool(np.isclose(reg.predict(X[:1])[0], y.mean()))
True
"""

from ._base import Distribution
from ._check import check_distribution
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical, OneHotCategorical
from .gamma import Gamma
from .heteroscedastic_normal import HeteroscedasticNormal
from .laplace import Laplace
from .lognormal import LogNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .poisson import Poisson
from .student_t import StudentT
from .weibull import Exponential, Weibull

DISTRIBUTIONS = {
    "normal": HeteroscedasticNormal,
    "poisson": Poisson,
    "negative_binomial": NegativeBinomial,
    "gamma": Gamma,
    "lognormal": LogNormal,
    "weibull": Weibull,
    "exponential": Exponential,
    "laplace": Laplace,
    "student_t": StudentT,
    "beta": Beta,
}
"""The distributions a regressor's ``distribution=`` takes by name."""

__all__ = [
    "DISTRIBUTIONS",
    "Bernoulli",
    "Beta",
    "Categorical",
    "Distribution",
    "Exponential",
    "Gamma",
    "HeteroscedasticNormal",
    "Laplace",
    "LogNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "StudentT",
    "Weibull",
    "check_distribution",
]
