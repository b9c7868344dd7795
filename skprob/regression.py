"""Regressors: a normal distribution over a real target."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions

from ._base import ProbabilisticEstimator, _fitted_scalar
from ._dask import ClusterData, lazy_on_dask
from ._docstrings import fill_doc
from ._quantiles import QuantileMixin
from .distributions import HeteroscedasticNormal, Normal
from .models import MLP
from .models._with_constants import WithConstants


def _check_numeric_target(y, name="A regressor"):
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(
            f"{name} needs a numeric target; got y of dtype {y.dtype}. Encode "
            "categories as numbers, or use a classifier."
        )


def _location_scale(y, sample_weight):
    """Weighted mean and standard deviation of y, safe at any magnitude.

    Computed on y divided by its largest magnitude, so that neither squares
    of 1e200 overflow nor those of 1e-200 underflow. Returns also the
    target's rounding resolution, ``eps * max|y|`` (the smallest positive
    number for an all-zero target): the scale of a constant target, and the
    floor of the predicted standard deviation, which would otherwise be an
    exact 0 that no normal distribution has.
    """
    magnitude = float(np.max(np.abs(y)))
    resolution = np.finfo(np.float64).eps * magnitude or np.finfo(np.float64).tiny
    if magnitude == 0.0:
        return 0.0, resolution, resolution
    unit = y / magnitude
    loc = np.average(unit, weights=sample_weight)
    spread = np.sqrt(np.average((unit - loc) ** 2, weights=sample_weight))
    return magnitude * loc, max(magnitude * spread, resolution), resolution


class _Regressor(QuantileMixin, RegressorMixin, ProbabilisticEstimator):
    """Shared by the regressors: the target is standardized internally.

    Fitting on ``(y - mean) / std`` makes the default step sizes work on any
    target scale; the raw outputs are mapped back through the distribution's
    :meth:`~skprob.distributions.Distribution.target_affine`, so coefficients
    and predictions are on the original scale: for a network, the output
    layer (``coefs_[-1]`` and ``intercepts_[-1]``) absorbs the map, which is
    exact since that layer is linear. The NLL and penalty that the
    solver minimizes are those of the standardized target.
    """

    # No penalty by default: a regressor's maximum-likelihood estimate
    # exists (the heteroscedastic one thanks to its sigma floor), and
    # GaussianRegressor is then LinearRegression. Only the default of alpha
    # differs from the classifiers'.
    def __init__(
        self,
        *,
        hidden_layer_sizes=(),
        activation="relu",
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
        parameters = dict(locals())
        del parameters["self"], parameters["__class__"]
        super().__init__(**parameters)

    _parameter_constraints = {
        **ProbabilisticEstimator._parameter_constraints,
        "early_stopping": ["boolean", StrOptions({"auto"})],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _early_stopping_for(self, model, data):
        # "auto": a built-in network on data at hand, bare or beside fitted
        # constants (DistributionRegressor's predicts="location"). A network
        # on a few hundred rows overfits them, and a sigma fitted to its
        # residuals (GaussianRegressor's) or with them
        # (HeteroscedasticRegressor's) collapses there, as a count model's
        # mean does on rows of zero counts; a held-out NLL stops the fit
        # before that (the small-data benchmark in the user guide).
        if self.early_stopping != "auto":
            return self.early_stopping
        network = model.model_ if isinstance(model, WithConstants) else model
        return type(network) is MLP and not data.on_cluster

    def _init_target(self, y, sample_weight, classes):
        _check_numeric_target(y, type(self).__name__)
        self._check_enough_rows(len(y), np.count_nonzero(sample_weight))
        if y.ndim == 1:
            loc, scale, resolution = _location_scale(y, sample_weight)
        else:
            # Each output standardized on its own: a linear model's fit is
            # then that of one fit per output.
            columns = [_location_scale(column, sample_weight) for column in y.T]
            loc, scale, resolution = np.array(columns).T
        return self._target_map(loc, scale, resolution)

    def _target_map(self, loc, scale, resolution):
        """The standardization of y: by its mean and spread, or none.

        A built-in model's linear output layer absorbs the standardization
        exactly; a model of the user's own fits y as it is. ``spread`` (the
        standard deviation of y) is kept for the sigma floor of
        HeteroscedasticRegressor. For a 2-D target, each is one per output.
        """
        target = {"resolution": resolution, "spread": scale}
        if self._uses_builtin_model():
            return {"loc": loc, "scale": scale, **target}
        return {"loc": 0.0, "scale": 1.0, **target}

    def _check_enough_rows(self, n_samples, n_positive):
        if n_positive < 2:
            raise ValueError(
                f"{type(self).__name__} estimates a variance and needs at least "
                f"2 samples of positive weight; got n_samples={n_samples} with "
                f"{n_positive} of positive weight."
            )

    def _standardization(self, loc, variance):
        """The target map from the weighted mean and variance of y.

        For moments computed elsewhere (on a Dask cluster); the resolution is
        then that of the larger of the mean and the spread.
        """
        scale = np.sqrt(variance)
        resolution = np.finfo(np.float64).eps * max(abs(loc), scale)
        resolution = resolution or np.finfo(np.float64).tiny
        return self._target_map(loc, max(scale, resolution), resolution)

    @staticmethod
    def _encode_target(y, target):
        _check_numeric_target(y)
        return (y - target["loc"]) / target["scale"]

    def _affine(self, dtype=None):
        """``(shift, factor)`` to the original scale, in ``dtype`` or the output's."""
        shift, factor = self._distribution.target_affine(
            self._target["loc"], self._target["scale"]
        )
        dtype = self._output_dtype() if dtype is None else dtype
        return shift.astype(dtype), factor.astype(dtype)

    def _output_dtype(self):
        """The precision of the fitted attributes and predictions.

        The fit's, unless the target's mean or spread lies outside the middle
        of float32's range (above 1.8e19 or below 1.1e-19 in size, the square
        roots of its largest and smallest normal numbers): the fit on the
        standardized target is then fine in float32, but coefficients,
        predictions and standard deviations on the target's scale would
        overflow to inf or flush to zero, and are float64.
        """
        dtype = self._training.params.dtype
        finfo = np.finfo(dtype)
        loc, scale = np.abs(self._target["loc"]), np.abs(self._target["scale"])
        largest = max(np.max(loc), np.max(scale))
        if largest < np.sqrt(finfo.max) and np.min(scale) > np.sqrt(finfo.tiny):
            return dtype
        return np.dtype(np.float64)

    def _set_coefficients(self, coef, intercept):
        shift, factor = self._affine()
        self.coef_ = coef * factor[:, None]
        self.intercept_ = intercept * factor + shift

    @property
    def _n_outputs(self):
        """Columns of the 2-D target of the fit, None for a 1-D target."""
        return self._target.get("n_outputs")

    def _set_layers(self, coefs, intercepts):
        shift, factor = self._affine()
        coefs[-1] = coefs[-1] * factor
        intercepts[-1] = intercepts[-1] * factor + shift
        super()._set_layers(coefs, intercepts)

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        super()._set_fitted_attributes(training, X, y, sample_weight)
        if type(self._model) is MLP:
            self._keep_narrowest_spread(training, X, sample_weight)

    def _keep_narrowest_spread(self, training, X, sample_weight):
        """Keep the narrowest spread the network predicts on a training row.

        A network extrapolates: ReLU units along their last linear piece,
        without bound (Hein et al., 2019), and a row far from the training
        rows can get a scale far below (a shape or precision far above) any
        the network fitted. Predictions stop at the narrowest one fitted,
        which changes no training row's; over ``partial_fit`` calls, at the
        narrowest of each call's rows at the end of that call.
        """
        distribution, params = self._distribution, training.params
        if isinstance(X, ClusterData):
            narrowest = X.narrowest_spread(distribution, self._model, params)
        else:
            raw = self._model.predict_raw(params, X)
            narrowest = distribution.narrowest_spread(raw, sample_weight)
        training.narrowest_spread = distribution.narrower(
            training.narrowest_spread, narrowest
        )

    def _raw_output(self, X):
        raw = super()._raw_output(X)
        narrowest = self._training.narrowest_spread
        if narrowest is not None:
            raw = self._distribution.bound_spread(raw, narrowest)
        shift, factor = self._affine()
        return raw * factor + shift

    @fill_doc
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of the solver over a chunk of data.

        The first call initializes the model; later calls (and calls after
        ``fit``) continue from the previous parameters and solver state.
        Repeated over the chunks of a data set, it trains on the whole data
        without holding it in memory; for a linear model, passes over the
        same chunks converge to the optimum ``fit`` reaches (see the Notes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values; the shape of the first call's (see
            :ref:`multiple_outputs`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        %(partial_fit_notes)s

        The target is standardized with the mean and standard deviation of
        the first chunk, kept for all later calls. A first chunk unlike the
        rest (e.g. of sorted data) does not move the optimum when
        ``alpha=0``, but it changes the step sizes and the scale on which
        ``alpha`` penalizes and ``loss_curve_`` is reported: shuffle the rows
        before cutting chunks.

        Examples
        --------
        >>> import numpy as np
        >>> from skprob import HeteroscedasticRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(3000, 2))
        >>> y = X @ [1.0, -2.0] + rng.normal(size=3000)
        >>> reg = HeteroscedasticRegressor(random_state=0)
        >>> for epoch in range(20):
        ...     for chunk in np.array_split(np.arange(3000), 3):
        ...         reg = reg.partial_fit(X[chunk], y[chunk])
        >>> reg.n_iter_, np.round(reg.coef_[0], 1).tolist()
        (60, [1.0, -2.0])
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimizing the negative log-likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values: one column per output for several outputs (see
            :ref:`multiple_outputs`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight is the same as repeating
            the row that many times, a zero weight the same as dropping it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

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
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted means, of the shape of the target (one column per
            output for a 2-D target).
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted standard deviations, only when ``return_std`` is True:
            sigma, the spread of y around its mean (the noise), which more
            training data do not shrink. The standard error of the predicted
            mean, which they do, is
            :meth:`CoefInference.predict_mean
            <skprob.inference.CoefInference.predict_mean>`'s; see
            :ref:`inference_prediction`.
        """
        dist = self.predict_dist(X)
        # The normal's parameters are its mean and standard deviation; read
        # directly, they do not overflow where scipy's moments square them.
        mean, std = dist.kwds["loc"], dist.kwds["scale"]
        return (mean, std) if return_std else mean


@fill_doc
class GaussianRegressor(_Regressor):
    """Regression with a normal likelihood and one shared sigma.

    Pr(y | x) = Normal(mu = f[x, phi], sigma^2), with sigma the same for every
    x, and f linear or, with ``hidden_layer_sizes``, a neural network. The
    mean is fitted by least squares (the normal's NLL up to constants); sigma
    then has its closed-form maximum-likelihood estimate, the root mean
    squared training residual.

    A 2-D target of shape (n_samples, k) gets k independent normals, each
    with a sigma of its own, whose NLLs add up (see
    :ref:`multiple_outputs`).

    Parameters
    ----------
    %(solver_parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_outputs, n_features)
        Weights of the mean, without hidden layers; one row per output for a
        2-D target.

    intercept_ : float or ndarray of shape (n_outputs,)
        Intercept of the mean, without hidden layers; one per output for a
        2-D target.

    sigma_ : float or ndarray of shape (n_outputs,)
        Maximum-likelihood standard deviation of the noise: the root mean
        squared residual of the training data (after ``partial_fit``, of the
        latest chunk, as the earlier ones are no longer at hand); one per
        output for a 2-D target.

    %(fitted_attributes)s

    See Also
    --------
    HeteroscedasticRegressor : sigma that depends on x.
    sklearn.linear_model.BayesianRidge : a Bayesian alternative.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob import GaussianRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = 3 * X[:, 0] - X[:, 1] + 10 + rng.normal(scale=0.5, size=200)
    >>> reg = GaussianRegressor(solver="gd").fit(X, y)
    >>> np.round(reg.coef_, 2), round(reg.intercept_, 2), round(reg.sigma_, 2)
    (array([ 2.97, -0.94]), 10.0, 0.5)
    >>> mean, std = reg.predict(X[:2], return_std=True)
    >>> std.round(2)
    array([0.5, 0.5])
    """

    _RAW_OUTPUTS = (
        "A GaussianRegressor's model gives 1 raw output per target: the mean."
    )

    def _make_distribution(self, target):
        return Normal(n_outputs=target.get("n_outputs"))

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        super()._set_fitted_attributes(training, X, y, sample_weight)
        if isinstance(X, ClusterData):
            scale = X.noise_scale(self._distribution, self._model, training.params)
        else:
            raw = self._model.predict_raw(training.params, X)
            scale = self._distribution.scale_mle(y, raw, sample_weight)
        if self._n_outputs is None:
            self.sigma_ = _fitted_scalar(
                max(float(scale * self._target["scale"]), self._target["resolution"]),
                self._output_dtype(),
            )
        else:
            self.sigma_ = np.maximum(
                scale * self._target["scale"], self._target["resolution"]
            ).astype(self._output_dtype(), copy=False)
        self._distribution = Normal(scale=self.sigma_, n_outputs=self._n_outputs)

    def _set_coefficients(self, coef, intercept):
        super()._set_coefficients(coef, intercept)
        if self._n_outputs is None:
            self.coef_ = self.coef_[0]
            self.intercept_ = _fitted_scalar(self.intercept_[0], self.intercept_.dtype)


@fill_doc
class HeteroscedasticRegressor(_Regressor):
    """Regression with a normal likelihood whose sigma depends on x.

    Pr(y | x) = Normal(mu(x), sigma(x)^2), with mu = f_1[x, phi] and
    sigma = exp(f_2[x, phi]): the model predicts the mean and the log of the
    standard deviation, and both are fitted by minimizing the Gaussian NLL.
    sigma is floored at a thousandth of the target's standard deviation, since
    the likelihood is unbounded, and no MLE exists, wherever the mean can fit
    points exactly (see :class:`~skprob.distributions.HeteroscedasticNormal`).
    With ``hidden_layer_sizes``, f is a mean-variance network (Nix and
    Weigend, 1994): one trunk of hidden layers, and two linear heads for the
    mean and the log standard deviation.

    A 2-D target of shape (n_samples, k) gets k independent normals, each
    with a mean and a sigma(x) of its own, whose NLLs add up (see
    :ref:`multiple_outputs`); a network's k means and k log standard
    deviations are 2k heads on the same hidden layers.

    Parameters
    ----------
    %(solver_parameters)s

    Attributes
    ----------
    coef_ : ndarray of shape (2, n_features) or (2, n_outputs, n_features)
        Weights of the mean (``coef_[0]``) and of the log standard deviation
        (``coef_[1]``), without hidden layers; for a 2-D target, one row of
        each per output.

    intercept_ : ndarray of shape (2,) or (2, n_outputs)
        Intercepts of the mean and of the log standard deviation, without
        hidden layers; for a 2-D target, one of each per output.

    %(fitted_attributes)s

    See Also
    --------
    GaussianRegressor : one sigma for all x.

    Notes
    -----
    A mean-variance network fitted on the NLL from the start is unreliable:
    where the untrained mean is far off, the cheapest way down is a larger
    sigma, and the gradient of the mean, scaled by 1 / sigma^2, fades there;
    where it happens to fit, sigma shrinks and that region dominates. Fits
    then stall with a poor mean (Nix and Weigend, 1994; Skafte et al., 2019;
    Seitzer et al., 2022). So a fresh fit with hidden layers first fits the
    mean alone, with the scale head frozen at the marginal MLE of sigma (the
    output layer starts at zero weights, so the frozen head is constant):
    least squares, run with the full stopping rule. Then it fits the NLL,
    from the fitted mean, with a fresh solver state. ``loss_curve_`` and
    ``n_iter_`` cover both phases, and ``max_iter`` bounds their total (the
    warm-up leaves the NLL at least one epoch). ``warm_start`` and
    ``partial_fit`` continue on the NLL without a warm-up. A flexible sigma
    also overfits where the mean happens to pass through the training
    points, and the likelihood rewards a sigma that collapses there:
    ``early_stopping="auto"`` (the default) holds out a fifth of the rows
    for a network and stops at its best NLL, and ``alpha`` penalizes the
    weights. A fit whose sigma sits at its floor on training rows warns:
    see :class:`~skprob.exceptions.ScaleCollapseWarning`.

    Away from its training rows a network extrapolates. ReLU units do it
    along their last linear piece, without bound (Hein et al., 2019): on a
    row far outside the training range the mean can be far off and sigma
    far too small. So the units of a mean-variance network are tanh by
    default, which saturate, and its predicted sigma is never below the
    smallest it fitted on a training row, which changes no training row's
    prediction. Both come from the small-data benchmarks (see "Defaults,
    and the convergence contract" in the user guide).

    On mu(x) = sin(x) with a noise level that varies sixteenfold, a network
    with hidden layers (32, 32) and early stopping, fitted on 10000 samples,
    comes within 0.05 nats of the true model's held-out NLL with ReLU or
    tanh units; on 3000 samples, with a tenth held out, a ReLU network does
    on average over three seeds and stays further away without the warm-up
    (the slow tests of ``tests/test_mlp.py`` assert these figures).

    Examples
    --------
    >>> import numpy as np
    >>> from skprob import HeteroscedasticRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, size=(2000, 1))
    >>> y = 2 * X[:, 0] + np.exp(-2 + 2 * X[:, 0]) * rng.normal(size=2000)
    >>> reg = HeteroscedasticRegressor(random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 1)
    array([[2.],
           [2.]])
    >>> mean, std = reg.predict([[0.0], [1.0]], return_std=True)
    >>> np.round(std, 1)
    array([0.1, 1. ])

    A mean-variance network learns a nonlinear mean and noise level; the true
    ones at x = 0 and 2.5 are (0, 0.1) and (0.6, 0.35):

    >>> x = rng.uniform(-3, 3, size=(1000, 1))
    >>> y = np.sin(x[:, 0]) + 0.1 * (1 + np.abs(x[:, 0])) * rng.normal(size=1000)
    >>> net = HeteroscedasticRegressor(
    ...     hidden_layer_sizes=(32, 32), early_stopping=True, random_state=0
    ... ).fit(x, y)
    >>> mean, std = net.predict([[0.0], [2.5]], return_std=True)
    >>> bool(np.all(np.abs(mean - [0.0, 0.6]) < 0.15))
    True
    >>> bool(np.all(np.abs(std - [0.1, 0.35]) < 0.05))
    True
    """

    # tanh by default: saturating units keep the extrapolated mean and log
    # sigma within the range of the output layer, where ReLU units extrapolate
    # both along their last linear piece; on small data that decides the
    # held-out NLL (see "Defaults" in the user guide).
    def __init__(
        self,
        *,
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
        parameters = dict(locals())
        del parameters["self"], parameters["__class__"]
        super().__init__(**parameters)

    # The last remedy of a ScaleCollapseWarning (skprob._diagnostics).
    _shared_scale_remedy = "use GaussianRegressor, whose sigma is shared by all x"

    _RAW_OUTPUTS = (
        "A HeteroscedasticRegressor's model gives 2 raw outputs per target: "
        "the mean, then the log standard deviation (for k targets, the k "
        "means, then the k log standard deviations); "
        "skprob.models.Concatenate puts a model for each side by side."
    )

    def _make_distribution(self, target):
        # The floor is a thousandth of y's spread, in the units the model fits.
        floor = HeteroscedasticNormal().min_scale * target["spread"] / target["scale"]
        return HeteroscedasticNormal(min_scale=floor, n_outputs=target.get("n_outputs"))

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        super()._set_fitted_attributes(training, X, y, sample_weight)
        # Predictions are on the original scale: so is their sigma floor.
        min_scale = self._distribution.min_scale * self._target["scale"]
        self._distribution = HeteroscedasticNormal(
            min_scale=min_scale, n_outputs=self._n_outputs
        )

    def _set_coefficients(self, coef, intercept):
        super()._set_coefficients(coef, intercept)
        if self._n_outputs is not None:
            # Parameter-major raw outputs: the k means, then the k log-scales.
            self.coef_ = self.coef_.reshape(2, self._n_outputs, -1)
            self.intercept_ = self.intercept_.reshape(2, self._n_outputs)

    def _warm_up_distribution(self, model, distribution=None):
        if model.stopping == "gradient":
            return None
        n_outputs = getattr(distribution, "n_outputs", None)
        return HeteroscedasticNormal(fit_scale=False, n_outputs=n_outputs)
