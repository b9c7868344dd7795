"""Scores for predictive distributions: are the uncertainties right?

Regression metrics judge the predicted distributions of y. Any
distribution, as ``predict_dist(X)`` returns it (a frozen ``scipy.stats``
distribution, continuous or discrete):

- :func:`nll`: mean negative log-likelihood (the log score), a proper score
  that punishes overconfidence hard;
- :func:`crps`: mean continuous ranked probability score, a proper score in
  the units of y that is robust to outliers.

A normal predictive distribution ``N(y_mean, y_std**2)`` per sample, as
returned by ``predict(X, return_std=True)``:

- :func:`gaussian_nll` and :func:`gaussian_crps`: the same two scores;
- :func:`interval_coverage` and :func:`mean_interval_width`: how often central
  intervals (:func:`gaussian_interval`) contain y, and how wide they are.

For classifiers, :func:`expected_calibration_error` compares confidence with
accuracy in equal-width bins (:func:`top_label_calibration_curve` gives the
bins for a reliability diagram).

Each metric is also a scorer, a callable ``scorer(estimator, X, y_true,
sample_weight=None)`` that ``GridSearchCV(scoring=...)``,
``cross_val_score`` and ``cross_validate`` accept, greater being better as
in scikit-learn (losses are negated, hence the ``neg_`` names).
``neg_nll_scorer`` and ``neg_crps_scorer`` read the distribution with
:func:`skprob.predict_dist`, so they work for any skprob regressor, also in
a ``Pipeline``, a search or a ``TransformedTargetRegressor``. The Gaussian
scorers call ``estimator.predict(X, return_std=True)``, so they work for any
regressor with that option: skprob's, a ``Pipeline`` ending in one,
:class:`~skprob.calibration.CalibratedRegressor`, scikit-learn's
``BayesianRidge`` and ``GaussianProcessRegressor``. ``make_scorer`` cannot
build them (its ``response_method`` names a method but cannot pass
``return_std=True`` to it, nor call a function such as
:func:`skprob.predict_dist`, scikit-learn 1.6 to 1.9), so they extend the
base class of its scorers instead, and behave as its scorers do.

In particular they take part in metadata routing: with
``sklearn.set_config(enable_metadata_routing=True)``,
``scorer.set_score_request(sample_weight=True)`` makes a search or
``cross_validate`` pass the test rows' ``sample_weight`` to the scorer,
which then computes the weighted metric; ``sample_weight=False`` scores
unweighted. Weights routed to a scorer that was told neither raise
scikit-learn's ``UnsetMetadataPassedError`` instead of being ignored.
``set_score_request`` changes the scorer it is called on and returns it:
request on a copy (``copy.deepcopy(neg_gaussian_nll_scorer)``) or a new
scorer from a ``make_*`` function to leave the shared objects below as they
are.

>>> import copy
>>> import numpy as np
>>> import sklearn
>>> from sklearn.model_selection import cross_validate
>>> from skprob import GaussianRegressor
>>> from skprob.metrics import neg_gaussian_nll_scorer
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 2))
>>> y = X @ [1.0, -1.0] + rng.normal(size=200) * (1 + (X[:, 0] > 0))
>>> weight = np.where(X[:, 0] > 0, 3.0, 1.0)
>>> with sklearn.config_context(enable_metadata_routing=True):
...     model = GaussianRegressor(solver="lbfgs").set_fit_request(sample_weight=True)
...     weighted = copy.deepcopy(neg_gaussian_nll_scorer)
...     weighted = weighted.set_score_request(sample_weight=True)
...     unweighted = copy.deepcopy(neg_gaussian_nll_scorer)
...     unweighted = unweighted.set_score_request(sample_weight=False)
...     result = cross_validate(
...         model,
...         X,
...         y,
...         scoring={"weighted": weighted, "unweighted": unweighted},
...         params={"sample_weight": weight},
...     )
>>> for name in ("weighted", "unweighted"):
...     print(name, round(float(result[f"test_{name}"].mean()), 3))
weighted -2.076
unweighted -1.925

========================================= ======================================
scorer                                    returns
========================================= ======================================
``neg_nll_scorer``                        ``-nll``
``neg_crps_scorer``                       ``-crps``
``neg_gaussian_nll_scorer``               ``-gaussian_nll``
``neg_gaussian_crps_scorer``              ``-gaussian_crps``
``make_interval_coverage_scorer(level)``  ``-|coverage - level|`` (0 is best)
``make_interval_width_scorer(level)``     ``-mean_interval_width``
``neg_expected_calibration_error_scorer`` ``-expected_calibration_error``,
                                          10 bins
``make_calibration_error_scorer(n_bins)`` the same with ``n_bins`` bins
========================================= ======================================
"""

from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.metrics._scorer import _BaseScorer
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.validation import _check_sample_weight

from ._crps import crps_values

_LOG_2PI = np.log(2.0 * np.pi)

__all__ = [
    "crps",
    "expected_calibration_error",
    "gaussian_crps",
    "gaussian_interval",
    "gaussian_nll",
    "interval_coverage",
    "make_calibration_error_scorer",
    "make_interval_coverage_scorer",
    "make_interval_width_scorer",
    "mean_interval_width",
    "neg_crps_scorer",
    "neg_expected_calibration_error_scorer",
    "neg_gaussian_crps_scorer",
    "neg_gaussian_nll_scorer",
    "neg_nll_scorer",
    "nll",
    "top_label_calibration_curve",
]


# -- regression: a normal predictive distribution per sample ----------------


def _as_targets(values, name):
    """Finite float values, 1-D or one column per output.

    A column vector is flattened: one output.
    """
    values = check_array(values, ensure_2d=False, dtype=np.float64, input_name=name)
    if values.ndim == 2 and values.shape[1] == 1:
        return values[:, 0]
    return values


def _check_targets(sample_weight, **arrays):
    """The arrays as targets of one shape, and the weights as an array."""
    arrays = {name: _as_targets(values, name) for name, values in arrays.items()}
    check_consistent_length(*arrays.values(), sample_weight)
    shapes = {values.shape for values in arrays.values()}
    if len(shapes) > 1:
        described = ", ".join(
            f"{name} {values.shape}" for name, values in arrays.items()
        )
        raise ValueError(
            f"The arrays need the same number of outputs (columns); got {described}."
        )
    values = list(arrays.values())
    return (*values, _check_sample_weight(sample_weight, values[0]))


def _average(values, sample_weight, multioutput):
    """Weighted mean over the samples, then over the outputs as scikit-learn.

    ``multioutput`` is "uniform_average" (the mean over the outputs),
    "raw_values" (one value per output) or the outputs' weights, as in
    scikit-learn's regression metrics.
    """
    per_output = np.atleast_1d(np.average(values, axis=0, weights=sample_weight))
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return per_output
        if multioutput != "uniform_average":
            raise ValueError(
                "multioutput must be 'raw_values', 'uniform_average' or an "
                f"array of the outputs' weights; got {multioutput!r}."
            )
        return float(per_output[0] if values.ndim == 1 else per_output.mean())
    weights = np.asarray(multioutput, dtype=np.float64)
    if weights.shape != per_output.shape:
        raise ValueError(
            f"multioutput has {weights.size} weights for {per_output.size} outputs."
        )
    return float(np.average(per_output, weights=weights))


def _check_gaussian(y_true, y_mean, y_std, sample_weight):
    y_true, y_mean, y_std, sample_weight = _check_targets(
        sample_weight, y_true=y_true, y_mean=y_mean, y_std=y_std
    )
    if not np.all(y_std > 0):
        raise ValueError("y_std must be positive: a normal needs a positive scale.")
    return y_true, y_mean, y_std, sample_weight


_MULTIOUTPUT_DOC = """multioutput : {"uniform_average", "raw_values"} or array-like of \
shape (n_outputs,), default="uniform_average"
        For several outputs (2-D arrays, one column per output): the mean
        over the outputs, one value per output, or the outputs' weighted
        mean, as in scikit-learn's regression metrics. A 1-D target is one
        output."""


def _fill_multioutput_doc(function):
    function.__doc__ = function.__doc__.replace("%(multioutput)s", _MULTIOUTPUT_DOC)
    return function


@_fill_multioutput_doc
def gaussian_nll(
    y_true, y_mean, y_std, *, sample_weight=None, multioutput="uniform_average"
):
    r"""Mean negative log-likelihood of y under normal predictive distributions.

    .. math::
        \mathrm{NLL} = \frac{1}{\sum_i w_i} \sum_i w_i \left(
        \log \sigma_i + \tfrac12 \log 2\pi
        + \frac{(y_i - \mu_i)^2}{2 \sigma_i^2} \right)

    in nats per sample, constants included (it equals
    ``-scipy.stats.norm(y_mean, y_std).logpdf(y_true)`` averaged). Lower is
    better; a strictly proper score. For several independent outputs, the
    NLL of a sample is the sum of its outputs' (the loss of
    :ref:`multiple_outputs`): with ``multioutput="uniform_average"`` this
    returns that sum divided by the number of outputs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed targets.
    y_mean : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted means.
    y_std : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted standard deviations, positive.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the mean.
    %(multioutput)s

    Returns
    -------
    nll : float or ndarray of shape (n_outputs,)
        Mean NLL in nats per sample (and output); one per output with
        ``multioutput="raw_values"``.

    Examples
    --------
    >>> from skprob.metrics import gaussian_nll
    >>> round(gaussian_nll([0.0, 1.0], [0.0, 0.0], [1.0, 1.0]), 4)
    1.1689
    """
    y_true, y_mean, y_std, sample_weight = _check_gaussian(
        y_true, y_mean, y_std, sample_weight
    )
    z = (y_true - y_mean) / y_std
    nll = np.log(y_std) + 0.5 * _LOG_2PI + 0.5 * z**2
    return _average(nll, sample_weight, multioutput)


@_fill_multioutput_doc
def gaussian_crps(
    y_true, y_mean, y_std, *, sample_weight=None, multioutput="uniform_average"
):
    r"""Mean continuous ranked probability score of normal predictions.

    The CRPS of a predictive CDF :math:`F` at an observation :math:`y` is
    :math:`\int (F(t) - 1\{t \ge y\})^2 \, dt`; for a normal it has the
    closed form (Gneiting and Raftery, 2007)

    .. math::
        \mathrm{CRPS} = \sigma \left( z\,(2\Phi(z) - 1) + 2\varphi(z)
        - \frac{1}{\sqrt\pi} \right), \qquad z = \frac{y - \mu}{\sigma}.

    In the units of y; it reduces to the absolute error as
    :math:`\sigma \to 0`. Lower is better; a strictly proper score.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed targets.
    y_mean : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted means.
    y_std : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted standard deviations, positive.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the mean.
    %(multioutput)s

    Returns
    -------
    crps : float or ndarray of shape (n_outputs,)
        Mean CRPS, in the units of y; non-negative. One per output with
        ``multioutput="raw_values"``.

    Examples
    --------
    >>> from skprob.metrics import gaussian_crps
    >>> round(gaussian_crps([0.0], [0.0], [1.0]), 4)  # (sqrt(2) - 1) / sqrt(pi)
    0.2337
    """
    y_true, y_mean, y_std, sample_weight = _check_gaussian(
        y_true, y_mean, y_std, sample_weight
    )
    z = (y_true - y_mean) / y_std
    crps = y_std * (
        z * (2.0 * stats.norm.cdf(z) - 1.0)
        + 2.0 * stats.norm.pdf(z)
        - 1 / np.sqrt(np.pi)
    )
    return _average(crps, sample_weight, multioutput)


def _check_dist(y_true, y_dist, sample_weight):
    """y as an array of the distribution's batch shape, and the weights.

    The distribution's parameters may be of y's shape or broadcast to it
    (one distribution for every sample: a reference forecast); a column
    vector y scores a 1-D batch, as the other metrics take it.
    """
    generator = getattr(y_dist, "dist", None)
    if not isinstance(generator, (stats.rv_continuous, stats.rv_discrete)):
        raise TypeError(
            "y_dist must be a frozen scipy.stats distribution, as predict_dist "
            f"returns; got {type(y_dist).__name__}."
        )
    y_true = check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")
    batch = np.broadcast_shapes(
        *(np.shape(v) for v in (*y_dist.args, *y_dist.kwds.values()))
    )
    if y_true.ndim == 2 and y_true.shape[1] == 1 and len(batch) == 1:
        y_true = y_true[:, 0]
    try:
        fits = np.broadcast_shapes(batch, y_true.shape) == y_true.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"y_dist's parameters are of shape {batch}, which does not fit "
            f"y_true of shape {y_true.shape}: they need one value per sample "
            "(and output), or one for all."
        )
    check_consistent_length(y_true, sample_weight)
    return y_true, _check_sample_weight(sample_weight, y_true)


@_fill_multioutput_doc
def nll(y_true, y_dist, *, sample_weight=None, multioutput="uniform_average"):
    r"""Mean negative log-likelihood (log score) of y under predicted distributions.

    .. math::
        \mathrm{NLL} = -\frac{1}{\sum_i w_i} \sum_i w_i \log p_i(y_i)

    with :math:`p_i` the density of a continuous distribution (``logpdf``)
    or the probability mass of a discrete one (``logpmf``), in nats per
    sample: the negatively oriented logarithmic score (Good, 1952; Gneiting
    and Raftery, 2007). Lower is better; a strictly proper score. A y outside
    the support has probability 0 and an infinite NLL. For a normal it equals
    :func:`gaussian_nll`; for several independent outputs, the NLL of a
    sample is the sum of its outputs' (with ``multioutput="uniform_average"``
    this returns that sum divided by the number of outputs).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed targets.
    y_dist : frozen scipy.stats distribution
        The predicted distributions, as ``predict_dist(X)`` returns them:
        parameters of the shape of ``y_true``, or broadcast to it.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the mean.
    %(multioutput)s

    Returns
    -------
    nll : float or ndarray of shape (n_outputs,)
        Mean NLL in nats per sample (and output); one per output with
        ``multioutput="raw_values"``.

    See Also
    --------
    crps : a proper score in the units of y.
    gaussian_nll : the same for normal predictions given by mean and std.

    Examples
    --------
    >>> from scipy import stats
    >>> from skprob.metrics import nll
    >>> round(nll([0, 2], stats.poisson([1.0, 2.0])), 4)  # -log(e^-1 * 2 e^-2)
    1.1534
    """
    y_true, sample_weight = _check_dist(y_true, y_dist, sample_weight)
    if isinstance(y_dist.dist, stats.rv_discrete):
        values = -y_dist.logpmf(y_true)
    else:
        values = -y_dist.logpdf(y_true)
    return _average(np.broadcast_to(values, y_true.shape), sample_weight, multioutput)


@_fill_multioutput_doc
def crps(y_true, y_dist, *, sample_weight=None, multioutput="uniform_average"):
    r"""Mean continuous ranked probability score of predicted distributions.

    .. math::
        \mathrm{CRPS}(F, y) = \int (F(z) - 1\{z \ge y\})^2 \, dz
        = \mathbb{E}|X - y| - \tfrac12 \mathbb{E}|X - X'|

    for a predictive CDF F, X and X' independent draws from it (Gneiting
    and Raftery, 2007); the weighted mean over the samples. In the units of
    y; for a point forecast it is the absolute error. Lower is better; a
    strictly proper score for the distributions with a finite mean, and
    finite for any distribution whose tails are lighter than
    :math:`|z|^{-1/2}` (a Cauchy has one).

    Closed forms, for scipy's ``norm``, ``logistic``, ``laplace``,
    ``expon``, ``gamma``, ``lognorm``, ``t`` (df > 1), ``beta``,
    ``poisson`` and ``nbinom``, with any ``loc`` and ``scale``: Gneiting and
    Raftery (2007), Jordan, Krüger and Lerch (2019, the scoringRules
    package), Taillardat et al. (2016), Wei and Held (2014). Every other
    distribution is integrated numerically, to about 1e-12 relative
    precision (checked against each closed form):

    - continuous, the quantile form :math:`2 \int_0^1 (1\{y < Q(u)\} - u)
      (Q(u) - y)\,du` (Laio and Tamea, 2007): 8-point Gauss-Legendre on the
      segments between the levels :math:`2^{-j}` and :math:`1 - 2^{-j}`, j
      = 1 to 53 (``ppf`` below 1/2, ``isf`` above), split at F(y); the
      levels beyond :math:`2^{-53}` are left out. About 850 evaluations
      of the quantile function per sample.
    - discrete on the integers, the sum over the support points, F being
      constant between them, from the :math:`10^{-16}` quantile to the
      :math:`10^{-16}` upper quantile.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed targets.
    y_dist : frozen scipy.stats distribution
        The predicted distributions, as ``predict_dist(X)`` returns them:
        parameters of the shape of ``y_true``, or broadcast to it.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the mean.
    %(multioutput)s

    Returns
    -------
    crps : float or ndarray of shape (n_outputs,)
        Mean CRPS, in the units of y; non-negative. One per output with
        ``multioutput="raw_values"``.

    See Also
    --------
    nll : the log score.
    gaussian_crps : the same for normal predictions given by mean and std.

    References
    ----------
    T. Gneiting and A. E. Raftery, "Strictly proper scoring rules,
    prediction, and estimation", JASA 102 (2007). A. Jordan, F. Krüger and
    S. Lerch, "Evaluating probabilistic forecasts with scoringRules", J.
    Stat. Software 90 (2019). M. Taillardat, O. Mestre, M. Zamo and P.
    Naveau, "Calibrated ensemble forecasts using quantile regression
    forests and ensemble model output statistics", Mon. Wea. Rev. 144
    (2016). W. Wei and L. Held, "Calibration tests for count data", TEST 23
    (2014). F. Laio and S. Tamea, "Verification tools for probabilistic
    forecasts of continuous hydrological variables", HESS 11 (2007).

    Examples
    --------
    >>> from scipy import stats
    >>> from skprob.metrics import crps
    >>> round(crps([0.0], stats.norm(0.0, 1.0)), 4)  # (sqrt(2) - 1) / sqrt(pi)
    0.2337
    >>> round(crps([3, 0], stats.poisson([3.0, 0.5])), 4)
    0.2756

    A Weibull of shape 1 is the exponential: the numerical CRPS of the one
    equals the closed form of the other.

    >>> y = [0.2, 1.0, 4.0]
    >>> bool(abs(crps(y, stats.weibull_min(1.0)) - crps(y, stats.expon())) < 1e-12)
    True
    """
    y_true, sample_weight = _check_dist(y_true, y_dist, sample_weight)
    return _average(crps_values(y_dist, y_true), sample_weight, multioutput)


def gaussian_interval(y_mean, y_std, level=0.9):
    """Central interval of probability ``level`` of normal predictions.

    ``scipy.stats.norm(y_mean, y_std).interval(level)``, with both ends
    from the tail probability ``(1 - level) / 2``: at a level close to 1,
    ``(1 + level) / 2`` rounds to a quantile several digits off (scipy's
    upper end; its lower end is this one), while the tail keeps its digits.

    Parameters
    ----------
    y_mean : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted means.
    y_std : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted standard deviations.
    level : float, default=0.9
        Probability mass inside the interval, in (0, 1).

    Returns
    -------
    y_lower, y_upper : ndarray of the shape of ``y_mean``
        The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    Examples
    --------
    >>> from skprob.metrics import gaussian_interval
    >>> lower, upper = gaussian_interval([0.0], [1.0], level=0.95)
    >>> round(float(upper[0]), 2)
    1.96
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}.")
    y_mean = np.asarray(y_mean, dtype=np.float64)
    # The normal is symmetric: each end is the tail's quantile, in its sign.
    tail_quantile = stats.norm.isf((1 - level) / 2)
    half_width = tail_quantile * np.asarray(y_std, dtype=np.float64)
    return y_mean - half_width, y_mean + half_width


@_fill_multioutput_doc
def interval_coverage(
    y_true, y_lower, y_upper, *, sample_weight=None, multioutput="uniform_average"
):
    """Fraction of samples whose target lies in its prediction interval.

    Intervals are closed, ``y_lower <= y_true <= y_upper``. For well
    calibrated central intervals of probability ``level``
    (:func:`gaussian_interval`), the coverage on held-out data is close to
    ``level``; below it, the model is overconfident.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed targets.
    y_lower, y_upper : array-like of the shape of ``y_true``
        Bounds of each sample's interval.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.
    %(multioutput)s

    Returns
    -------
    coverage : float or ndarray of shape (n_outputs,)
        In [0, 1]; one per output with ``multioutput="raw_values"``.

    Examples
    --------
    >>> from skprob.metrics import interval_coverage
    >>> interval_coverage([0.0, 2.0, 5.0], [-1, -1, -1], [1, 3, 3])
    0.666...
    """
    y_true, y_lower, y_upper, sample_weight = _check_targets(
        sample_weight, y_true=y_true, y_lower=y_lower, y_upper=y_upper
    )
    inside = (y_lower <= y_true) & (y_true <= y_upper)
    return _average(inside, sample_weight, multioutput)


@_fill_multioutput_doc
def mean_interval_width(
    y_lower, y_upper, *, sample_weight=None, multioutput="uniform_average"
):
    """Mean width of prediction intervals (their sharpness).

    Only meaningful next to :func:`interval_coverage`: narrow intervals are
    better when they still cover as often as they claim.

    Parameters
    ----------
    y_lower, y_upper : array-like of shape (n_samples,) or \
(n_samples, n_outputs)
        Bounds of each sample's interval.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.
    %(multioutput)s

    Returns
    -------
    width : float or ndarray of shape (n_outputs,)
        Mean of ``y_upper - y_lower``; one per output with
        ``multioutput="raw_values"``.

    Examples
    --------
    >>> from skprob.metrics import mean_interval_width
    >>> mean_interval_width([-1.0, 0.0], [1.0, 4.0])
    3.0
    """
    y_lower, y_upper, sample_weight = _check_targets(
        sample_weight, y_lower=y_lower, y_upper=y_upper
    )
    return _average(y_upper - y_lower, sample_weight, multioutput)


# -- classification: confidence against accuracy ------------------------------


def _check_proba(y_true, y_proba, labels):
    """Confidence (top probability) and correctness of each prediction."""
    if np.ndim(y_true) == 2 and np.shape(y_true)[1] > 1:
        raise ValueError(
            f"y_true of shape {np.shape(y_true)} has several labels per sample "
            "(a multilabel indicator matrix?); the top-label calibration error "
            "takes one label per sample. Score each label on its own: "
            "expected_calibration_error(y_true[:, j], y_proba[:, j]) for each "
            "column j."
        )
    y_true = column_or_1d(y_true)
    y_proba = check_array(
        y_proba, ensure_2d=False, dtype=np.float64, input_name="y_proba"
    )
    if y_proba.ndim == 1:
        # The probability of the positive class, as sklearn's binary metrics.
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    check_consistent_length(y_true, y_proba)
    if y_proba.ndim != 2 or y_proba.shape[1] != len(labels):
        raise ValueError(
            f"y_proba of shape {y_proba.shape} needs one column per label, and "
            f"there are {len(labels)} labels {labels!r}; pass "
            "labels=classifier.classes_."
        )
    if not np.all(np.isin(y_true, labels)):
        raise ValueError(f"y_true has labels not in {labels!r}.")
    if np.any(y_proba < 0) or np.any(y_proba > 1):
        raise ValueError("y_proba must hold probabilities in [0, 1].")
    top = np.argmax(y_proba, axis=1)
    confidence = y_proba[np.arange(len(top)), top]
    return confidence, (labels[top] == y_true).astype(np.float64)


def top_label_calibration_curve(
    y_true, y_proba, *, labels=None, n_bins=10, sample_weight=None
):
    """Accuracy against confidence in equal-width bins: a reliability diagram.

    Each prediction's confidence is its largest class probability; it falls
    in bin ``b`` when ``b / n_bins <= confidence < (b + 1) / n_bins`` (the
    last bin includes 1). In each non-empty bin, the accuracy is the
    (weighted) fraction of predictions that are right and the confidence is
    the (weighted) mean confidence. A calibrated classifier has the two
    equal. Unlike ``sklearn.calibration.calibration_curve``, which bins the
    probability of the positive class of a binary problem, this works for
    any number of classes (Guo et al., 2017).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as ``predict_proba`` returns them; a 1-D
        array is the probability of the positive (second) class.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_proba``, e.g. ``classifier.classes_``;
        by default the sorted unique labels of ``y_true``.
    n_bins : int, default=10
        Number of equal-width bins over [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.

    Returns
    -------
    accuracy : ndarray of shape (n_nonempty_bins,)
        Fraction of correct predictions in each non-empty bin.
    confidence : ndarray of shape (n_nonempty_bins,)
        Mean confidence in each non-empty bin.
    bin_weight : ndarray of shape (n_nonempty_bins,)
        Number (total weight) of samples in each non-empty bin.

    Examples
    --------
    >>> from skprob.metrics import top_label_calibration_curve
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.35, 0.65], [0.3, 0.7]]
    >>> top_label_calibration_curve([0, 1, 1, 1], y_proba, n_bins=5)
    (array([1. , 0.5]), array([0.675, 0.85 ]), array([2., 2.]))
    """
    if not (isinstance(n_bins, Integral) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    confidence, correct = _check_proba(y_true, y_proba, labels)
    sample_weight = _check_sample_weight(sample_weight, confidence)
    # Bin b holds b / n_bins <= confidence < (b + 1) / n_bins, also when the
    # confidence is exactly an edge (0.3 * 10 rounds to 2.9999999999999996).
    bins = np.searchsorted(np.arange(1, n_bins) / n_bins, confidence, side="right")
    bin_weight = np.bincount(bins, weights=sample_weight, minlength=n_bins)
    right = np.bincount(bins, weights=sample_weight * correct, minlength=n_bins)
    sure = np.bincount(bins, weights=sample_weight * confidence, minlength=n_bins)
    nonempty = bin_weight > 0
    bin_weight = bin_weight[nonempty]
    return right[nonempty] / bin_weight, sure[nonempty] / bin_weight, bin_weight


def expected_calibration_error(
    y_true, y_proba, *, labels=None, n_bins=10, sample_weight=None
):
    r"""Expected calibration error (ECE) of the top-label confidence.

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n} \,
              |\mathrm{accuracy}_b - \mathrm{confidence}_b|

    over the ``n_bins`` equal-width bins of :func:`top_label_calibration_curve`
    (``b / n_bins <= confidence < (b + 1) / n_bins``, the last bin closed),
    with :math:`n_b` the (weighted) number of samples in bin :math:`b`. 0 is
    perfect calibration; lower is better. The ECE depends on the binning and
    is not a proper score: report it next to the log-loss.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the probability of the
        positive (second) class.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of ``y_proba``, e.g. ``classifier.classes_``;
        by default the sorted unique labels of ``y_true``.
    n_bins : int, default=10
        Number of equal-width bins over [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.

    Returns
    -------
    ece : float
        In [0, 1].

    Examples
    --------
    >>> from skprob.metrics import expected_calibration_error
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.35, 0.65], [0.3, 0.7]]
    >>> round(expected_calibration_error([0, 1, 1, 1], y_proba, n_bins=5), 4)
    0.3375
    """
    accuracy, confidence, bin_weight = top_label_calibration_curve(
        y_true, y_proba, labels=labels, n_bins=n_bins, sample_weight=sample_weight
    )
    gap = np.abs(accuracy - confidence)
    return float(np.sum(bin_weight * gap) / np.sum(bin_weight))


# -- scorers -------------------------------------------------------------------


def _predict_mean_std(estimator, X):
    # A search object's predict cannot forward return_std; its refitted best
    # estimator can (nested cross-validation scores the search object).
    inner = getattr(estimator, "best_estimator_", None)
    if inner is not None and not hasattr(estimator, "steps"):
        estimator = inner
    return estimator.predict(X, return_std=True)


def _coverage_error(y_true, y_mean, y_std, *, level, sample_weight=None):
    lower, upper = gaussian_interval(y_mean, y_std, level)
    coverage = interval_coverage(y_true, lower, upper, sample_weight=sample_weight)
    return abs(coverage - level)


def _interval_width(y_true, y_mean, y_std, *, level, sample_weight=None):
    lower, upper = gaussian_interval(y_mean, y_std, level)
    return mean_interval_width(lower, upper, sample_weight=sample_weight)


class _PredictiveScorer(_BaseScorer):
    """Scorer ``scorer(estimator, X, y_true, sample_weight=None)``.

    Reads a normal predictive distribution from ``predict(X,
    return_std=True)`` (``response="std"``), the predicted distribution from
    :func:`skprob.predict_dist` (``response="dist"``) or class probabilities
    from ``predict_proba`` (``response="proba"``), and returns ``sign`` times the
    metric, so that greater is better. With metadata routing enabled,
    ``set_score_request(sample_weight=True)`` has searches and
    ``cross_validate`` pass it the weights of the test rows (see
    :mod:`skprob.metrics`).
    """

    # scikit-learn's _BaseScorer (the base of what make_scorer returns, with
    # the same constructor and _score from 1.6 to 1.9) brings the scorer
    # protocol: set_score_request and get_metadata_routing, the routing
    # checks of __call__, and the fast path of multi-metric scoring, which
    # calls _score with the routed metadata. Only _score is ours.

    # The distribution comes from skprob.predict_dist, through Pipelines and
    # searches; scikit-learn checks that the estimator has ``predict``.
    _RESPONSE_METHODS = {"std": "predict", "dist": "predict", "proba": "predict_proba"}

    def __init__(self, name, metric, response, sign=-1, **kwargs):
        # The response method names the estimator's method that scikit-learn
        # checks for (and may cache predictions of) in multi-metric scoring.
        super().__init__(metric, sign, kwargs, self._RESPONSE_METHODS[response])
        self._name = name
        self._response = response
        # sample_weight is the only metadata: scikit-learn 1.9 would take
        # every argument of the metric for some (y_mean, level, labels), and
        # 1.6 none. Unset, so that weights routed to a scorer that was not
        # told whether to use them raise an error instead of being ignored.
        self._metadata_request = MetadataRequest(owner=f"{name}_scorer")
        self._metadata_request.score.add_request(param="sample_weight", alias=None)

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        """The signed metric; ``kwargs`` is the routed metadata.

        ``method_caller`` (scikit-learn's cached call of the response method)
        is not used: it cannot pass ``return_std=True``, and the probability
        metrics need every column with its label.
        """
        metric_kwargs = {**self._kwargs, **kwargs}
        if self._response == "std":
            y_mean, y_std = _predict_mean_std(estimator, X)
            value = self._score_func(y_true, y_mean, y_std, **metric_kwargs)
        elif self._response == "dist":
            from ._base import predict_dist

            value = self._score_func(
                y_true, predict_dist(estimator, X), **metric_kwargs
            )
        else:
            value = self._score_func(
                y_true,
                estimator.predict_proba(X),
                labels=estimator.classes_,
                **metric_kwargs,
            )
        return self._sign * value

    def __repr__(self):
        options = ", ".join(f"{key}={value!r}" for key, value in self._kwargs.items())
        return f"{self._name}_scorer({options})"


neg_nll_scorer = _PredictiveScorer("neg_nll", nll, "dist")
neg_crps_scorer = _PredictiveScorer("neg_crps", crps, "dist")
neg_gaussian_nll_scorer = _PredictiveScorer("neg_gaussian_nll", gaussian_nll, "std")
neg_gaussian_crps_scorer = _PredictiveScorer("neg_gaussian_crps", gaussian_crps, "std")


def make_interval_coverage_scorer(level=0.9):
    """Scorer of how far the coverage of central intervals is from ``level``.

    Coverage itself is not a score to maximize (infinite intervals cover
    everything), so the scorer returns ``-|coverage - level|``: 0 is best.
    Use :func:`interval_coverage` to read the coverage itself.

    Parameters
    ----------
    level : float, default=0.9
        Probability of the central intervals, in (0, 1).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None)``; the estimator
        must support ``predict(X, return_std=True)``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprob import GaussianRegressor
    >>> from skprob.metrics import make_interval_coverage_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), GaussianRegressor(random_state=0))
    >>> scores = cross_val_score(
    ...     model, X, y, scoring=make_interval_coverage_scorer(0.9), cv=3
    ... )
    >>> bool(scores.min() > -0.1)
    True
    """
    gaussian_interval(0.0, 1.0, level)  # validates level
    return _PredictiveScorer("neg_coverage_error", _coverage_error, "std", level=level)


def make_interval_width_scorer(level=0.9):
    """Scorer of minus the mean width of central intervals (sharpness).

    Parameters
    ----------
    level : float, default=0.9
        Probability of the central intervals, in (0, 1).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None)``, returning
        ``-mean_interval_width``; the estimator must support
        ``predict(X, return_std=True)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob import GaussianRegressor
    >>> from skprob.metrics import make_interval_width_scorer
    >>> x = np.arange(20.0)
    >>> X, y = ((x - x.mean()) / x.std()).reshape(-1, 1), x + np.tile([-1.0, 1.0], 10)
    >>> reg = GaussianRegressor(solver="gd").fit(X, y)
    >>> round(make_interval_width_scorer(0.9)(reg, X, y), 2)  # 2 * 1.645 * sigma
    -3.28
    """
    gaussian_interval(0.0, 1.0, level)
    return _PredictiveScorer("neg_interval_width", _interval_width, "std", level=level)


def make_calibration_error_scorer(n_bins=10):
    """Scorer of minus the :func:`expected_calibration_error` of a classifier.

    Parameters
    ----------
    n_bins : int, default=10
        Number of equal-width confidence bins.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, sample_weight=None)``; the estimator
        must have ``predict_proba`` and ``classes_``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skprob import SoftmaxClassifier
    >>> from skprob.metrics import make_calibration_error_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxClassifier(alpha=1e-2)
    >>> clf = make_pipeline(StandardScaler(), model)
    >>> scorer = make_calibration_error_scorer(n_bins=5)
    >>> round(scorer(clf.fit(X, y), X, y), 2)
    -0.11
    """
    if not (isinstance(n_bins, Integral) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    return _PredictiveScorer(
        "neg_expected_calibration_error",
        expected_calibration_error,
        "proba",
        n_bins=n_bins,
    )


neg_expected_calibration_error_scorer = make_calibration_error_scorer(n_bins=10)
