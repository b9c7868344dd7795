"""A regressor for any distribution over the target: ``distribution=``."""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.utils._param_validation import HasMethods, StrOptions

from ._base import _fitted_scalar
from ._dask import lazy_on_dask
from ._data import is_builtin
from ._docstrings import fill_doc
from .distributions import DISTRIBUTIONS
from .models import MLP, LinearModel
from .models._with_constants import WithConstants
from .regression import _Regressor


@fill_doc
class DistributionRegressor(_Regressor):
    """Regression with a distribution of your choice over the target.

    Pr(y | x) is the distribution named by ``distribution`` (see
    :mod:`skprob.distributions` and the user guide's
    :ref:`choosing_a_distribution`), whose parameters are predicted from x by
    the model f (linear, or a network with ``hidden_layer_sizes``, or a
    ``model`` of your own), fitted by minimizing the NLL.
    With ``predicts="location"`` (the default) the model predicts the first
    parameter, the location (the mean of a Poisson, a negative binomial, a
    Gamma; the location of a Student-t), and the others (a dispersion, a
    shape, a scale) are constants, as GaussianRegressor's sigma is. They are
    fitted jointly with the model's parameters, as free parameters of the
    same NLL, rather than in alternation with the location: a joint fit is
    the maximum-likelihood estimate of all of them (as statsmodels' count
    models fit the negative binomial's dispersion), and it converges under
    the same gradient test as the model. With ``predicts="all"`` every
    parameter depends on x, each through a raw output of the model (as
    HeteroscedasticRegressor's sigma does for the normal). A network that
    predicts the spread (a scale, a shape, a precision) predicts none
    narrower than the narrowest it fitted on a training row: away from its
    training rows it extrapolates, ReLU units without bound, and a new row
    could otherwise get a scale far below any it has seen (see
    HeteroscedasticRegressor's Notes). A network's units are tanh by
    default, and early stopping, on for every network (beside fitted
    constants too), holds out a fifth, as for HeteroscedasticRegressor: on a
    few hundred rows its held-out NLL depends on both (see "Defaults, and
    the convergence contract" in the user guide).

    The target is 1-D. For the location-scale families of the real line
    (normal, Laplace, Student-t), a built-in model fits the standardized
    target, as the other regressors do; the other families fit y as it is,
    from intercepts at the marginal MLE.

    Parameters
    ----------
    distribution : str or Distribution, default="normal"
        "normal", "poisson", "negative_binomial", "gamma", "lognormal",
        "weibull", "exponential", "laplace", "student_t" or "beta", or a
        distribution object (:class:`~skprob.distributions.Distribution`),
        whose hyper-parameters are searchable as ``distribution__<name>``
        (e.g. ``distribution__df`` of a
        :class:`~skprob.distributions.StudentT`).

    predicts : {"location", "all"}, default="location"
        Which of the distribution's parameters the model predicts from x;
        the others are fitted constants.

    %(solver_parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_raw, n_features)
        Without hidden layers: the weights of the location's raw output
        (the log of the mean for a log link); with ``predicts="all"``, one
        row per parameter, in the order of the distribution's
        ``parameter_names``, on the scale of its raw outputs (the log of a
        positive parameter).

    intercept_ : float or ndarray of shape (n_raw,)
        Without hidden layers: the intercept of the location's raw output,
        or one per parameter with ``predicts="all"``.

    constant_params_ : dict of str to float
        With ``predicts="location"``: the fitted constant parameters, by
        name (``{"alpha": ...}`` for a negative binomial, ``{"shape": ...}``
        for a Gamma); empty for a distribution of one parameter.

    distribution_ : Distribution
        The distribution of the fit.

    %(fitted_attributes)s

    See Also
    --------
    GaussianRegressor : the normal with one sigma, by least squares.
    HeteroscedasticRegressor : the normal with sigma(x).
    sklearn.linear_model.PoissonRegressor : Poisson, with a log link.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob import DistributionRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 2))
    >>> mu = np.exp(1.0 + 0.5 * X[:, 0] - 0.25 * X[:, 1])
    >>> y = rng.negative_binomial(n=2.0, p=2.0 / (2.0 + mu))  # alpha = 0.5
    >>> reg = DistributionRegressor("negative_binomial").fit(X, y)
    >>> np.round(reg.coef_, 2), round(reg.intercept_, 2)
    (array([ 0.5 , -0.26]), 1.01)
    >>> {name: round(value, 2) for name, value in reg.constant_params_.items()}
    {'alpha': 0.48}
    >>> reg.predict_interval(X[:3], coverage=0.9)
    array([[ 0.,  8.],
           [ 0., 10.],
           [ 0.,  6.]])
    """

    _parameter_constraints = {
        **_Regressor._parameter_constraints,
        "distribution": [
            StrOptions(set(DISTRIBUTIONS)),
            HasMethods(["nll_gradient", "raw_at_marginal_mle", "frozen"]),
        ],
        "predicts": [StrOptions({"location", "all"})],
    }

    _RAW_OUTPUTS = (
        "A DistributionRegressor's model gives one raw output per parameter "
        "of the distribution, in the order of its parameter_names, with "
        'predicts="all"; with predicts="location", one: the location.'
    )

    def __init__(
        self,
        distribution="normal",
        *,
        predicts="location",
        hidden_layer_sizes=(),
        activation="tanh",
        model=None,
        solver="auto",
        learning_rate="auto",
        batch_size="auto",
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0,
        max_iter=1000,
        tol=1e-7,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.2,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.distribution = distribution
        self.predicts = predicts
        parameters = dict(locals())
        for name in ("self", "__class__", "distribution", "predicts"):
            del parameters[name]
        super().__init__(**parameters)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        # Counts and positive targets: scikit-learn's checks then give y > 0.
        tags.target_tags.positive_only = not self._distribution_spec()._in_support(
            np.array([-1.0])
        )[0]
        return tags

    @property
    def _shared_scale_remedy(self):
        """The last remedy of a ScaleCollapseWarning (skprob._diagnostics)."""
        if self.predicts == "all":
            return 'set predicts="location", whose other parameters are shared by all x'
        return None

    # -- the distribution ---------------------------------------------------

    def _distribution_spec(self):
        """The distribution to fit: a new one by name, or a clone."""
        if isinstance(self.distribution, str):
            return DISTRIBUTIONS[self.distribution]()
        return clone(self.distribution)

    def _standardizes(self):
        """Whether the distribution lets a built-in model fit ``(y - m) / s``."""
        try:
            self._distribution_spec().target_affine(0.0, 1.0)
        except NotImplementedError:
            return False
        return True

    def _make_distribution(self, target):
        distribution = target["distribution"]
        if "min_scale" in distribution.get_params():
            # A floor of the scale is in the units of y; by name, a
            # thousandth of y's spread, as HeteroscedasticRegressor's. The
            # model fits y / scale.
            floor = distribution.min_scale
            if isinstance(self.distribution, str):
                floor = floor * target["spread"]
            distribution = clone(distribution).set_params(
                min_scale=floor / target["scale"]
            )
        return distribution

    # -- the target -----------------------------------------------------------

    def _init_target(self, y, sample_weight, classes):
        distribution = self._distribution_spec()
        distribution.check_target(y)
        target = super()._init_target(y, sample_weight, classes)
        return {**target, "distribution": distribution}

    def _check_target_shape(self, y):
        y = super()._check_target_shape(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            return y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} takes a 1-D target; got y of shape "
                f"{y.shape}. Fit one estimator per column."
            )
        return y

    def _target_map(self, loc, scale, resolution):
        target = super()._target_map(loc, scale, resolution)
        if not self._standardizes():
            target.update(loc=0.0, scale=1.0)
        return target

    def _standardization(self, loc, variance):
        target = super()._standardization(loc, variance)
        return {**target, "distribution": self._distribution_spec()}

    def _affine(self, dtype=None):
        if self._standardizes():
            return super()._affine(dtype)
        dtype = self._training.params.dtype if dtype is None else dtype
        n_raw = self._distribution.n_raw
        return np.zeros(n_raw, dtype=dtype), np.ones(n_raw, dtype=dtype)

    @staticmethod
    def _encode_target(y, target):
        # Static, so that a Dask fit checks every shard on its worker.
        target["distribution"].check_target(y)
        return _Regressor._encode_target(y, target)

    # -- the model ------------------------------------------------------------

    def _make_model(self, X, sample_weight, n_outputs):
        spec = self._model_spec()
        if self.predicts == "location" and n_outputs > 1:
            spec = WithConstants(spec)
        return spec.build(X.shape[1], n_outputs)

    def _check_same_model(self, X, n_outputs):
        fitted = self._model
        wrapped = isinstance(fitted, WithConstants)
        if wrapped != (self.predicts == "location" and n_outputs > 1):
            raise ValueError(
                "predicts changed since the last fit; warm_start and "
                "partial_fit continue the same model. Set warm_start=False to "
                "fit the new one."
            )
        previous = fitted.model_ if wrapped else fitted
        spec = self._model_spec()
        same = type(spec) is type(previous)
        if same and is_builtin(spec):
            same = spec.get_params() == clone(previous).get_params()
        if same:
            n_modelled = previous.n_outputs_
            same = spec.build(X.shape[1], n_modelled).n_params == previous.n_params
        if not same:
            super()._check_same_model(X, n_outputs)  # raises its error

    # -- fitted attributes ----------------------------------------------------

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        super()._set_fitted_attributes(training, X, y, sample_weight)
        distribution = self._distribution
        if "min_scale" in distribution.get_params():
            # Predictions are on the original scale: so is the floor.
            distribution = clone(distribution).set_params(
                min_scale=distribution.min_scale * self._target["scale"]
            )
        self._distribution = self.distribution_ = distribution
        self.constant_params_ = {}
        if isinstance(self._model, WithConstants):
            self._set_with_constants(training.params)

    def _set_with_constants(self, params):
        inner, constants = self._model.unpack(params)
        shift, factor = self._affine()
        model = self._model.model_
        vars(self).pop("params_", None)
        if type(model) is LinearModel:
            coef, intercept = model.unpack(inner)
            self.coef_ = coef[:, 0] * factor[0]
            self.intercept_ = _fitted_scalar(
                intercept[0] * factor[0] + shift[0], inner.dtype
            )
        elif type(model) is MLP:
            coefs, intercepts = model.unpack(inner)
            coefs = [coef.copy() for coef in coefs]
            intercepts = [intercept.copy() for intercept in intercepts]
            coefs[-1] *= factor[0]
            intercepts[-1] = intercepts[-1] * factor[0] + shift[0]
            self.coefs_, self.intercepts_ = coefs, intercepts
        else:
            self.params_ = inner.copy()
        raw = (shift[1:] + factor[1:] * constants).astype(np.float64)
        names = self._distribution.parameter_names
        values = self._distribution.parameters(np.concatenate([[0.0], raw])[None])
        self.constant_params_ = {
            name: _fitted_scalar(values[name][0], inner.dtype) for name in names[1:]
        }

    def _set_coefficients(self, coef, intercept):
        super()._set_coefficients(coef, intercept)
        if self.coef_.shape[0] == 1:
            self.coef_ = self.coef_[0]
            self.intercept_ = _fitted_scalar(self.intercept_[0], self.intercept_.dtype)

    # -- prediction -----------------------------------------------------------

    @lazy_on_dask
    def predict(self, X, return_std=False):
        """Predict the mean of y, and optionally its standard deviation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            Also return the standard deviation of the predicted distribution.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            The mean of the predicted distribution (for a log-normal, not its
            median, which the model predicts).
        y_std : ndarray of shape (n_samples,)
            Its standard deviation, only when ``return_std`` is True (inf
            where the distribution has none, as a Student-t with
            ``df <= 2``).
        """
        raw = self._raw_output(X)
        mean = self._distribution.mean(raw)
        if not return_std:
            return mean
        return mean, self._distribution.frozen(raw).std()
