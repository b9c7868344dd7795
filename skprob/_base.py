"""What the four estimators share: parameters, the public methods, and wiring.

An estimator chooses a distribution (step 1); the model (step 2) and the
solver (step 3) are built here from the constructor's parameters.
:mod:`skprob._data` prepares the training data, :mod:`skprob._training`
fits them, and :mod:`skprob._diagnostics` warns of a fit that is not at an
optimum, with advice; the shared docstring sections are in
:mod:`skprob._docstrings`.
The public classes only say which distribution they use and how to read
predictions off its raw outputs.
"""

import copy
import inspect
import types
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.compose import TransformedTargetRegressor
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _dask
from ._data import (
    check_no_array_api_input,
    is_builtin,
    precisions,
    prepare_data,
    tested_on_information,
)
from ._diagnostics import warn_convergence, warn_ignored_flat_settings
from ._persistence import from_plain, to_plain
from ._target_transform import inverse_transformed
from ._training import (
    Objective,
    TrainingSettings,
    TrainingState,
    WarmUp,
    fit,
    partial_fit_epoch,
)
from .models import ACTIVATIONS, MLP, LinearModel
from .models._check import check_model_start
from .models.mlp import check_hidden_layer_sizes
from .solvers import (
    AUTO_BATCH_SIZE,
    SOLVERS,
    make_solver,
)


def _renamed_function(function, owner):
    """A copy of ``function`` whose qualified name is ``owner.<its name>``."""
    copied = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copied.__kwdefaults__ = function.__kwdefaults__
    copied.__doc__, copied.__module__ = function.__doc__, function.__module__
    copied.__qualname__ = f"{owner}.{function.__name__}"
    return copied


class ProbabilisticEstimator(BaseEstimator):
    """Base class: fit a model's distribution parameters by maximum likelihood.

    Subclasses implement ``_init_target``, ``_encode_target``,
    ``_make_distribution`` and ``_set_coefficients``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Python names the function's class in errors about its arguments
        # ("GaussianRegressor.__init__() got an unexpected keyword argument
        # ..."): a public estimator gets a copy of the __init__ it inherits,
        # under its own name, so that the error names it and not a private
        # base class. The signature, and so get_params, is unchanged.
        if not cls.__name__.startswith("_") and "__init__" not in vars(cls):
            cls.__init__ = _renamed_function(cls.__init__, cls.__qualname__)

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "model": [None, HasMethods(["build", "init_params", "forward", "backward"])],
        "solver": [StrOptions({"auto", *SOLVERS}), HasMethods(["init", "step"])],
        "learning_rate": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

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
        alpha=1e-3,
        max_iter=1000,
        tol=1e-7,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.model = model
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse())
        return tags

    def _accept_sparse(self):
        """Sparse formats for X: those of the model's ``sparse_input``."""
        model = self.model if self.model is not None else LinearModel()
        return ("csr", "csc") if getattr(model, "sparse_input", False) else False

    # -- persistence ----------------------------------------------------------

    def __getstate__(self):
        # The private objects of a fit as arrays and builtins, so that
        # skops.io asks to trust only the estimator (and a solver object):
        # see skprob._persistence.
        return to_plain(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(from_plain(state))

    # -- wiring the recipe --------------------------------------------------

    def _solver_name(self, model=None, incremental=False):
        """The named solver to build: "auto" resolved by the (built) model.

        "adam" for a network; "newton" for a model of your own that gives
        its Jacobian and has at most :data:`AUTO_NEWTON_PARAMS` parameters
        (Gauss-Newton, damped as Levenberg-Marquardt's, is robust where
        L-BFGS in raw parameter units is not); "lbfgs" otherwise.
        ``partial_fit`` (``incremental``) resolves it to Adam for every
        model: a quasi-Newton or full-batch method fed another chunk at
        each call would be fed another function.
        """
        if self.solver != "auto":
            return self.solver
        model = self._model_spec() if model is None else model
        if incremental or model.stopping == "plateau":
            return "adam"
        if _fits_by_gauss_newton(model):
            return "newton"
        return "lbfgs"

    def _model_spec(self):
        """The model to build: a clone of ``model``, or the built-in one."""
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.model is None:
            return MLP(sizes, self.activation) if sizes else LinearModel()
        if sizes or self.activation != _default_of(type(self), "activation"):
            raise ValueError(
                f"model={self.model!r} replaces hidden_layer_sizes and "
                "activation, which must keep their defaults; got "
                f"hidden_layer_sizes={self.hidden_layer_sizes!r}, "
                f"activation={self.activation!r}. Set them on the model, e.g. "
                "model=MLP(hidden_layer_sizes=..., activation=...)."
            )
        return clone(self.model)

    def _uses_builtin_model(self):
        """Whether the model is a built-in one: LinearModel or MLP."""
        return is_builtin(self._model_spec())

    def _make_solver(self, stacklevel=5, model=None, incremental=False, n_rows=None):
        """The solver to fit with; ``stacklevel`` points its warning at the user.

        ``model`` is the built model, which "auto" and a named solver's
        ``gtol`` follow; None before it is built (rows on a Dask cluster).
        For ``partial_fit`` (``incremental``) on a chunk of ``n_rows`` rows,
        "auto" is Adam, and its "auto" batch :func:`partial_fit_batch_size`.
        """
        if not isinstance(self.solver, str):
            # A user's Solver subclass need not declare constraints.
            if hasattr(self.solver, "_parameter_constraints"):
                self.solver._validate_params()
            warn_ignored_flat_settings(self, stacklevel)
            return self.solver
        batch_size = self.batch_size
        if incremental and self.solver == "auto" and batch_size == "auto":
            batch_size = partial_fit_batch_size(n_rows)
        solver = make_solver(
            self._solver_name(model, incremental),
            learning_rate=self.learning_rate,
            batch_size=batch_size,
            momentum=self.momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )
        # A named solver that stops moving at its own gradient tolerance
        # ("lbfgs", "newton") moves on to the estimator's, if tighter.
        if self.tol < getattr(solver, "gtol", 0.0):
            solver.set_params(gtol=self.tol)
        if model is not None and tested_on_information(model):
            if hasattr(solver, "gtol"):
                # Its gradient is in the units of y and of each parameter:
                # an absolute gtol would stop the solver anywhere. It moves
                # on until the information test of the training stops it.
                solver.set_params(gtol=0.0)
        return solver

    def _make_model(self, X, sample_weight, n_outputs):
        return self._model_spec().build(X.shape[1], n_outputs)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """Fit from scratch, warm, or one incremental epoch (partial_fit).

        The recipe in order: prepare the data and set up the target, build
        the distribution (step 1), the model (step 2) and the objective,
        start the solver (step 3), train, and keep the result.
        """
        resume = hasattr(self, "_training") and (incremental or self.warm_start)
        data = prepare_data(
            self,
            X,
            y,
            sample_weight,
            resume=resume,
            incremental=incremental,
            classes=classes,
        )
        distribution = self._make_distribution(data.target)
        if resume:
            self._check_same_model(data.X, distribution.n_raw)
            model = self._model
        else:
            model = self._make_model(data.X, data.sample_weight, distribution.n_raw)
        objective = Objective(distribution, model, self.alpha)
        solver = data.solver
        if solver is None:
            solver = self._make_solver(
                model=model, incremental=incremental, n_rows=data.X.shape[0]
            )
        training = self._start_training(resume, incremental, objective, solver, data)
        if incremental:
            # early_stopping does not apply to partial_fit.
            settings = self._training_settings(early_stopping=False)
            partial_fit_epoch(objective, solver, training, data.arrays, settings)
        else:
            training = self._train(objective, solver, training, data, resume)
        # Only a fit that finished changes the estimator.
        self._target, self._model, self._training = data.target, model, training
        self._distribution = distribution
        self._set_fitted_attributes(training, *data.arrays)
        return self

    def _train(self, objective, solver, training, data, resume):
        """Train the NLL (after a warm-up, on a fresh fit); warn if not converged."""
        distribution, model = objective.distribution, objective.model
        warm_up = None if resume else self._warm_up_distribution(model, distribution)
        settings = self._training_settings(self._early_stopping_for(model, data))
        training, problem = fit(
            objective,
            solver,
            training,
            data.arrays,
            settings,
            warm_up=(
                None
                if warm_up is None
                else WarmUp(Objective(warm_up, model, self.alpha))
            ),
            # A multilabel target is not stratified, as in scikit-learn's
            # MLPClassifier.
            stratify=(data.y if is_classifier(self) and np.ndim(data.y) == 1 else None),
        )
        warn_convergence(self, problem, objective, training, settings, *data.arrays)
        return training

    def _early_stopping_for(self, model, data):
        """Whether the fit of ``model`` on ``data`` stops early: the setting."""
        return self.early_stopping

    def _warm_up_distribution(self, model, distribution=None):
        """A distribution to fit before the NLL on a fresh fit, or None.

        ``distribution`` is that of the NLL, which the warm-up's matches in
        its outputs.
        """
        return None

    # -- the target's shape ---------------------------------------------------

    def _check_target_shape(self, y):
        """The validated y, 1-D or of shape (n_samples, n_outputs)."""
        if sparse.issparse(y):
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError(f"y has no column: its shape is {y.shape}.")
        return y

    def _check_same_model(self, X, n_outputs):
        """Refuse to continue a fit with another architecture.

        The same class and parameter layout; for the built-in models, the
        same hyper-parameters (which define the layout).
        """
        spec = self._model_spec()
        previous = self._model
        same = type(spec) is type(previous)
        if same and is_builtin(spec):
            same = spec.get_params() == clone(previous).get_params()
        if same:
            same = spec.build(X.shape[1], n_outputs).n_params == previous.n_params
        if not same:
            raise ValueError(
                "The model changed since the last fit (hidden_layer_sizes, "
                "activation or model); warm_start and partial_fit continue the "
                "same model. Set warm_start=False to fit the new one."
            )

    def _training_settings(self, early_stopping):
        """The training's parameters, with ``early_stopping`` resolved."""
        return TrainingSettings(
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=self.validation_fraction,
            shuffle=self.shuffle,
            verbose=self.verbose,
        )

    def _start_training(self, resume, incremental, objective, solver, data):
        """The training state to start from: fresh, warm, or carried on."""
        if resume and incremental:
            return _carried_on(self._training, solver)
        if resume:
            params = self._training.params.copy()
        else:
            params = objective.model.init_params(
                data.raw_at_marginal_mle(objective.distribution),
                check_random_state(self.random_state),
            )
        # The same start in either precision: drawn in float64, rounded.
        params = params.astype(data.dtype, copy=False)
        if not is_builtin(objective.model) and not data.on_cluster:
            self._check_model(objective, params, *data.arrays)
        lipschitz = None
        if getattr(solver, "needs_lipschitz", True):
            lipschitz = data.lipschitz(objective, solver)
        return TrainingState(
            params,
            solver.init(params, lipschitz),
            lipschitz,
            rng=check_random_state(self.random_state),
        )

    def _check_model(self, objective, params, X, y, sample_weight):
        """Check a model of the user's own where the fit starts, naming it."""
        rows = slice(0, min(X.shape[0], 1000))
        distribution = objective.distribution

        def grad_raw(raw):
            return (
                distribution.nll_gradient(y[rows], raw)[1] * sample_weight[rows, None]
            )

        check_model_start(
            objective.model,
            params,
            X[rows],
            distribution.n_raw,
            grad_raw,
            outputs_doc=self._RAW_OUTPUTS,
        )

    def _set_fitted_attributes(self, training, X, y, sample_weight):
        self.n_outputs_ = self._target.get("n_outputs") or 1
        self.n_iter_ = training.n_iter
        self.t_ = training.t
        self.loss_curve_ = list(training.loss_curve)
        # The loss of the epoch whose parameters fit kept; partial_fit's last.
        best_loss = training.best_loss
        self.loss_ = self.loss_curve_[-1] if np.isnan(best_loss) else best_loss
        self.validation_scores_ = list(training.validation_scores) or None
        for name in ("coef_", "intercept_", "coefs_", "intercepts_", "params_"):
            vars(self).pop(name, None)  # left by a fit with another model
        if type(self._model) is LinearModel:
            coef, intercept = self._model.unpack(training.params)
            self._set_coefficients(coef.T.copy(), intercept.copy())
        elif type(self._model) is not MLP:
            self.params_ = training.params.copy()
        else:
            coefs, intercepts = self._model.unpack(training.params)
            self._set_layers(
                [coef.copy() for coef in coefs],
                [intercept.copy() for intercept in intercepts],
            )

    def _set_layers(self, coefs, intercepts):
        self.coefs_, self.intercepts_ = coefs, intercepts

    # -- prediction ---------------------------------------------------------

    def _raw_output(self, X):
        """Raw model outputs for X, on the target's original scale."""
        check_is_fitted(self)
        if _dask.is_dask_collection(X):
            raise TypeError(
                "predict_dist returns scipy.stats distributions, whose "
                "parameters are in memory, so it takes in-memory X. On Dask "
                "input, predict(X, return_std=True), predict_proba and "
                "predict_log_proba return lazy dask.arrays; or map "
                "predict_dist over the blocks yourself."
            )
        check_no_array_api_input(X=X)
        # float32 X stays float32: the outputs then have the precision of the
        # product of X and the parameters (float32 only when both are), as
        # with scikit-learn's linear models and MLP.
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=self._accept_sparse(),
            dtype=precisions(self._model),
        )
        return self._model.predict_raw(self._training.params, X)

    def predict_dist(self, X):
        """The predicted distribution of y for each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        dist : frozen distribution
            One distribution per row (vectorized parameters):

            - regressors: ``scipy.stats.norm(loc=mean, scale=std)``, with
              ``mean``, ``std``, ``interval``, ``logpdf``, ``cdf``, ``ppf``
              and ``rvs``; its parameters are of shape (n_samples,), or
              (n_samples, n_outputs) for a 2-D target;
            - :class:`~skprob.BernoulliClassifier`:
              ``scipy.stats.bernoulli(p)``, whose outcomes are the class
              codes 0 and 1, 1 meaning ``classes_[1]``; for a multilabel
              target, ``p`` is of shape (n_samples, n_labels);
            - :class:`~skprob.SoftmaxClassifier`: a
              :class:`~skprob.distributions.OneHotCategorical`, which is
              ``scipy.stats.multinomial(1, p)`` for a batch of rows; its
              outcomes are one-hot vectors in the order of ``classes_``, and
              it has no ``cdf``, ``ppf`` or ``interval`` (classes have no
              order).

            The parameters are the fitted ones, taken as known: the
            distribution describes the noise of y around the fitted mean, not
            the uncertainty of the fit itself (for that, see
            :ref:`inference_prediction`).

        Examples
        --------
        >>> import numpy as np
        >>> from skprob import GaussianRegressor
        >>> X = np.arange(10.0).reshape(-1, 1)
        >>> y = 2 * X[:, 0] + np.tile([-1.0, 1.0], 5)
        >>> X = (X - X.mean()) / X.std()
        >>> dist = GaussianRegressor().fit(X, y).predict_dist(X[:2])
        >>> np.round(dist.mean(), 2), np.round(dist.std(), 2)
        (array([-0.27,  1.79]), array([0.98, 0.98]))
        >>> lower, upper = dist.interval(0.9)
        >>> np.round(upper - lower, 2)
        array([3.24, 3.24])
        """
        raw = self._raw_output(X)
        return self._distribution.frozen(raw)


AUTO_NEWTON_PARAMS = 200
"""Most parameters of a model of your own that ``solver="auto"`` fits by Newton."""


def _fits_by_gauss_newton(model):
    """Whether a model of your own offers a Jacobian, with few parameters.

    The parameters of a model not yet built are not known: it is taken as
    small, as formulas are.
    """
    if not tested_on_information(model):
        return False
    built = hasattr(model, "n_features_in_")
    return not built or model.n_params <= AUTO_NEWTON_PARAMS


def _carried_on(previous, solver):
    """The state a partial_fit call carries on from: copies of the last one's.

    Copies, so that a call that fails leaves the estimator as it was; a
    call reports its own last loss and no validation. A state that another
    solver made (fit's L-BFGS before partial_fit's Adam: "auto" resolves to
    both) gives way to a fresh one.
    """
    # Solvers may update their state in place (Adam does).
    solver_state = copy.deepcopy(previous.solver_state)
    fresh_state = solver.init(previous.params, previous.lipschitz)
    if type(fresh_state) is not type(solver_state):
        solver_state = fresh_state
    return replace(
        previous,
        params=previous.params.copy(),
        solver_state=solver_state,
        loss_curve=list(previous.loss_curve),
        validation_scores=[],
        best_loss=np.nan,
        rng=copy.deepcopy(previous.rng),
        stopping=copy.copy(previous.stopping),
        passes=copy.deepcopy(previous.passes),
    )


# partial_fit's "auto" batch gives a chunk at least this many steps: with
# batches of 200, the chunks of a small data set get one step each, and
# passes over them take a step per chunk to the optimum.
PARTIAL_FIT_MIN_STEPS = 16


def partial_fit_batch_size(n_rows):
    """partial_fit's "auto" batch size for a chunk of ``n_rows`` rows."""
    return max(1, min(AUTO_BATCH_SIZE, -(-n_rows // PARTIAL_FIT_MIN_STEPS)))


def _default_of(cls, name):
    """The default of the parameter ``name`` of the estimator class ``cls``."""
    return inspect.signature(cls).parameters[name].default


def _fitted_scalar(value, dtype):
    """A scalar fitted attribute: a Python float, or a float32 after a float32 fit."""
    return dtype.type(value) if dtype == np.float32 else float(value)


def predict_dist(estimator, X):
    """Predicted distributions from a fitted skprob estimator, or one wrapped.

    ``Pipeline`` and search objects such as ``GridSearchCV`` cannot forward a
    method they do not know; this function does: it applies the pipeline's
    transforms to X and asks the final skprob estimator.

    Through a ``TransformedTargetRegressor`` it maps the regressor's normal
    distribution of the transformed target back to the scale of y, for the
    transformers whose inverse it knows exactly: an affine one
    (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``,
    or no transformer) gives a normal, ``func=np.log, inverse_func=np.exp``
    a lognormal, ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``, and
    ``np.log1p, np.expm1`` the same shifted by -1 (``loc=-1``). Any other
    transformer raises a ``ValueError``. ``TransformedTargetRegressor``'s own
    ``predict(X, return_std=True)`` fails (it cannot map a standard
    deviation): read ``.mean()``, ``.std()`` or ``.interval()`` off this
    distribution instead. With the log, its ``predict`` returns
    ``exp(mu)``, the lognormal's median, not its mean.

    Parameters
    ----------
    estimator : fitted estimator
        A skprob estimator, a ``Pipeline`` ending in one, a fitted
        meta-estimator holding one in ``best_estimator_`` or ``estimator_``,
        or a ``TransformedTargetRegressor`` whose regressor is any of these.
    X : array-like of shape (n_samples, n_features)
        Input data.

    Returns
    -------
    dist : scipy.stats frozen distribution
        As returned by the skprob estimator's ``predict_dist``, or its map
        through a ``TransformedTargetRegressor``'s transformer.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skprob
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), skprob.GaussianRegressor())
    >>> dist = skprob.predict_dist(model.fit(X, y), X[:3])
    >>> dist.interval(0.9)[0].shape
    (3,)

    A regressor of log(y), whose predicted y is lognormal:

    >>> import numpy as np
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> log_model = TransformedTargetRegressor(
    ...     model, func=np.log, inverse_func=np.exp
    ... ).fit(X, y)
    >>> dist = skprob.predict_dist(log_model, X[:3])
    >>> dist.dist.name
    'lognorm'
    >>> bool(np.allclose(dist.median(), log_model.predict(X[:3])))
    True
    >>> bool(np.all(dist.mean() > dist.median()))
    True
    """
    for attribute in ("best_estimator_", "estimator_"):
        inner = getattr(estimator, attribute, None)
        if inner is not None and not hasattr(estimator, "predict_dist"):
            return predict_dist(inner, X)
    if isinstance(estimator, TransformedTargetRegressor):
        check_is_fitted(estimator)
        dist = predict_dist(estimator.regressor_, X)
        return inverse_transformed(dist, estimator.transformer_)
    if hasattr(estimator, "steps"):
        for _, step in estimator.steps[:-1]:
            if step is not None and step != "passthrough":
                X = step.transform(X)
        return predict_dist(estimator.steps[-1][1], X)
    if not hasattr(estimator, "predict_dist"):
        raise TypeError(
            f"{type(estimator).__name__} has no predict_dist and wraps no "
            "estimator that has one."
        )
    return estimator.predict_dist(X)
