"""What the four estimators share: parameters, validation, and wiring.

An estimator chooses a distribution (step 1); the model (step 2) and the
solver (step 3) are built here from the constructor's parameters, and
:mod:`skprob._training` fits them. The public classes only say which
distribution they use and how to read predictions off its raw outputs.
"""

import copy
import inspect
import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _dask
from ._persistence import from_plain, to_plain
from ._target_transform import inverse_transformed
from ._training import Objective, TrainingState, fit_loop, partial_fit_epoch
from .exceptions import PerfectSeparationWarning
from .models import ACTIVATIONS, MLP, LinearModel
from .models._check import check_model_start
from .models.mlp import check_hidden_layer_sizes
from .solvers import (
    AUTO_BATCH_SIZE,
    FLAT_HYPER_PARAMETERS,
    LBFGS,
    SOLVERS,
    SolverParameterWarning,
    batch_size_of,
    make_solver,
)

SOLVER_PARAMETERS_DOC = """\
hidden_layer_sizes : array-like of shape (n_layers,), default=()
        Units of each hidden layer of the model f[x, phi]. The default, no
        hidden layer, is a linear model; e.g. ``(64, 64)`` makes it a
        multilayer perceptron with two hidden layers and a linear output
        layer, fitted with back-propagated gradients.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden units; ignored without hidden layers.

    model : Model, default=None
        The model f[x, phi] as an object (see :mod:`skprob.models`), in
        place of ``hidden_layer_sizes`` and ``activation``, which must then
        keep their defaults: :class:`~skprob.models.MLP` and
        :class:`~skprob.models.LinearModel` (whose hyper-parameters a search
        reaches as ``model__hidden_layer_sizes``), several models side by
        side (:class:`~skprob.models.Concatenate`), or a model of your own
        (:class:`~skprob.models.ParametricModel`). The estimator fits a
        clone. A model of your own fits the target as it is (the built-in
        models fit a standardized one, see ``alpha``), and its fitted
        parameters are ``params_``.

    solver : {"auto", "gd", "sgd", "momentum", "nesterov", "adam", "lbfgs", \
"newton"} or Solver, default="auto"
        How the NLL is minimized. "auto" is "lbfgs" for a linear model and
        "adam" with hidden layers. "gd" is full-batch gradient descent, "sgd"
        mini-batch stochastic gradient descent, "momentum" and "nesterov"
        add (look-ahead) momentum, "adam" is Adam. "lbfgs" is the
        quasi-Newton L-BFGS on the full batch: for data that fits in memory,
        from thousands of rows to millions, the fastest to the
        maximum-likelihood estimate of a linear model. "newton" is Newton's
        method with the exact Hessian, on the full batch and for linear
        models only (it refuses hidden layers): a handful of iterations to
        the maximum-likelihood estimate to rounding, however ill-conditioned
        the data, at a cost per iteration that grows with the square of the
        number of parameters; the fit to use before
        :func:`~skprob.inference.coef_inference`. A solver object (see
        :mod:`skprob.solvers`) is used as it is, with its own
        hyper-parameters: the flat ones below (``learning_rate`` to
        ``epsilon``) then do not apply, and ``fit`` warns with a
        :class:`~skprob.solvers.SolverParameterWarning` when any of them
        differs from its default. Set them on the solver object instead.

    learning_rate : float or "auto", default="auto"
        Step size. For "gd" and "sgd", "auto" means the inverse of the
        training loop's estimate of the Lipschitz constant of the
        (mini-batch) gradient; where there is no estimate (a neural
        network), a backtracking (Armijo) line search: on the full batch
        from twice the last step for "gd", on each mini-batch from the last
        step (0.01 at the start) grown by ``2 ** (1 / 4)`` for "sgd".
        "momentum" and "nesterov" take the step of "sgd" times
        ``1 - momentum``; "adam" takes 0.01. "lbfgs" and "newton" do not
        use it: their line searches start from the (quasi-)Newton step.

    batch_size : int or "auto", default="auto"
        Rows per mini-batch for the stochastic solvers; "auto" is
        ``min(200, n_samples)``. "gd", "lbfgs" and "newton" always use every
        row.

    momentum : float, default=0.9
        Momentum coefficient of "momentum" and "nesterov", in [0, 1).

    beta_1 : float, default=0.9
        Decay rate of Adam's first moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability term.

    alpha : float, default=%(alpha_default)s
        Strength of the L2 penalty ``alpha / 2 * ||W||^2`` added to the
        weighted mean NLL, where W holds the weights the solver fits;
        intercepts are not penalized. For the classifiers W is ``coef_``
        (every layer's weights, with hidden layers). The regressors fit the
        standardized target ``(y - mean) / std`` (weighted mean and standard
        deviation of y) and penalize its weights: GaussianRegressor's fit is
        ``Ridge(alpha=alpha * sum(sample_weight))`` (``n_samples * alpha``
        without weights), HeteroscedasticRegressor's penalty is
        ``alpha / 2 * (||coef_[0]||^2 / std^2 + ||coef_[1]||^2)``, and a
        network's output weights of the mean count divided by ``std``. With
        several targets each is standardized by its own mean and standard
        deviation, and its terms divided by its own ``std``: each output's
        GaussianRegressor fit is that Ridge. A ``model`` of your own fits y
        as it is, and ``alpha`` penalizes its ``penalty_mask``'s parameters
        directly. See :ref:`objective` in the user guide.
        %(alpha_default_doc)s

    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data; a
        variance-reduced epoch makes about three).

    tol : float, default=1e-7
        Convergence tolerance: a fit has converged where the largest
        component of the gradient of its objective is at most ``tol``. A
        fit that ends elsewhere (at ``max_iter``, or stalled) warns with a
        ``ConvergenceWarning``. Full-batch fits test the gradient at every
        epoch; mini-batch fits of a linear model run one plain epoch, then
        variance-reduced epochs that each start with a full-batch pass and
        test it there (see the solver guide). Under ``early_stopping``, in
        ``partial_fit`` and for a network, ``10 * tol`` is instead the least
        improvement of the monitored loss per epoch: after
        ``n_iter_no_change`` epochs without one, the step is divided by 5,
        and the fit ends at a plateau that the smaller step did not cure, or
        once the step is below 1/1000 of the initial one (``partial_fit``
        never ends a call). A fit on float32 X, which computes in float32,
        cannot certify a gradient below float32's rounding: its gradient
        test takes ``max(tol, 1.2e-05)`` (see :ref:`float32` in the user
        guide).

    n_iter_no_change : int, default=10
        Epochs without improvement that make a plateau: a decay of the step.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor its
        NLL instead of the training loss, and keep the parameters of the best
        validation epoch. For classifiers the split is stratified when every
        class has two rows or more and both parts have room for a row of each
        class; otherwise (small data) it is a plain random split, the split
        scikit-learn's MLPClassifier makes for more than two classes. A
        multilabel target is split at random, as MLPClassifier splits it.

    validation_fraction : float, default=0.1
        Fraction of the data held out when ``early_stopping`` is on.

    shuffle : bool, default=True
        Shuffle the rows before each epoch of a stochastic solver.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights of a network's hidden layers, shuffling and
        the validation split; an int makes fits reproducible bit for bit.

    warm_start : bool, default=False
        Start ``fit`` from the previous solution instead of the marginal MLE.

    verbose : int, default=0
        Verbosity level. 0 prints nothing. 1 (and any higher level, which
        prints the same) prints one line per epoch of ``fit`` and per call of
        ``partial_fit``: the epoch, the training loss, the validation NLL
        under early stopping, the current step scale and the time elapsed
        since the start of the call. Warnings such as ``ConvergenceWarning``
        do not depend on it."""

FITTED_ATTRIBUTES_DOC = """\
coefs_ : list of ndarray of shape (fan_in, fan_out)
        With hidden layers only: the weights of each layer, first to last, as
        in scikit-learn's MLP. The last layer gives the raw outputs (on the
        original target scale for regressors).

    intercepts_ : list of ndarray of shape (fan_out,)
        With hidden layers only: the intercepts of each layer.

    params_ : ndarray of shape (n_params,)
        With a ``model`` other than :class:`~skprob.models.LinearModel` and
        :class:`~skprob.models.MLP` only: the fitted parameters phi, in the
        model's layout.

    n_iter_ : int
        Epochs run (over all calls, for ``partial_fit``).

    loss_ : float
        Training objective (standardized scale for regressors) of the epoch
        whose parameters the model keeps: the best one for a full-batch
        ``fit`` (the best validation epoch under ``early_stopping``), the last
        one otherwise.

    loss_curve_ : list of float
        Training objective per epoch.

    validation_scores_ : list of float or None
        Negative validation NLL per epoch when ``early_stopping`` is on.

    t_ : int
        Solver steps taken (mini-batches seen).

    n_features_in_ : int
        Number of features seen during fit.

    n_outputs_ : int
        Number of outputs: the columns of a 2-D y, 1 for a 1-D y (as in
        scikit-learn's MLP).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names."""


PARTIAL_FIT_NOTES_DOC = """\
One call is one pass over the chunk in mini-batches of
        ``batch_size`` (one full step for "gd", "lbfgs" and "newton"). With
        ``solver="auto"``, ``partial_fit`` runs Adam, a stochastic solver,
        whatever the model (``fit`` runs L-BFGS for a linear model: a
        quasi-Newton method fed another chunk at each call would be fed
        another function), in batches of ``min(200, ceil(n_chunk / 16))``
        rows when ``batch_size="auto"``, so that a small chunk still gets
        16 steps. For a linear model (and any model that ``fit`` runs to
        its optimum), the estimator predicts with the average of a
        stochastic solver's iterates over the calls (a polynomial-decay
        average, whose weights grow as the cube of the step count), and the
        solver carries on from its own: the average of a cloud of iterates
        about the optimum is nearer it than its points (Polyak-Ruppert
        averaging). Passes of ``partial_fit`` at the defaults over 10 chunks
        reach a held-out log loss within 1% of ``fit``'s in 8 passes on the
        digits (standardized, 1 347 training rows) and in 1 pass on 80 000
        rows of 10 classes (``benchmarks/speed.py``). The
        solver state (momentum velocity, Adam's moments and step count), the
        step scale, ``n_iter_`` and ``t_`` carry over between calls, and
        shuffling continues one random stream. The plateau rule of early stopping
        (``10 * tol``, ``n_iter_no_change``) runs over the calls' losses, as
        in scikit-learn's MLP: it divides a stochastic solver's step by 5
        when the loss stops improving, which lets the fit settle, but it never
        ends a call; ``max_iter`` and ``early_stopping`` do not apply. A call
        after ``fit`` starts at the step scale ``fit`` ended with, and with a
        fresh solver state if ``fit`` ran another solver. Set the
        solver's hyper-parameters before the first call: a solver may keep
        some in its state (Adam keeps its learning rate)."""

_SHARED_DOCS = {
    "%(solver_parameters)s": SOLVER_PARAMETERS_DOC,
    "%(fitted_attributes)s": FITTED_ATTRIBUTES_DOC,
    "%(partial_fit_notes)s": PARTIAL_FIT_NOTES_DOC,
}


ALPHA_DEFAULT_DOC = {
    "classifier": (
        "1e-3",
        """The small default
        penalty, like scikit-learn's ``LogisticRegression`` (``C=1``) and MLP
        (``alpha=1e-4``), gives separable classes a finite, unique optimum,
        where the unpenalized likelihood has none; ``alpha=0`` is plain
        maximum likelihood.""",
    ),
    "regressor": (
        "0.0",
        """The default is plain
        maximum likelihood, which exists for a regressor (GaussianRegressor
        is then LinearRegression).""",
    ),
}


# partial_fit's "auto" batch gives a chunk at least this many steps: with
# batches of 200, the chunks of a small data set get one step each, and
# passes over them take a step per chunk to the optimum.
PARTIAL_FIT_MIN_STEPS = 16


def partial_fit_batch_size(n_rows):
    """partial_fit's "auto" batch size for a chunk of ``n_rows`` rows."""
    return max(1, min(AUTO_BATCH_SIZE, -(-n_rows // PARTIAL_FIT_MIN_STEPS)))


def fill_doc(obj):
    """Insert the shared sections in the docstring of a class or method."""
    for key, text in _SHARED_DOCS.items():
        obj.__doc__ = obj.__doc__.replace(key, text)
    if isinstance(obj, type):
        kind = "classifier" if issubclass(obj, ClassifierMixin) else "regressor"
        default, text = ALPHA_DEFAULT_DOC[kind]
        obj.__doc__ = obj.__doc__.replace("%(alpha_default)s", default)
        obj.__doc__ = obj.__doc__.replace("%(alpha_default_doc)s", text)
    return obj


class ProbabilisticEstimator(BaseEstimator):
    """Base class: fit a model's distribution parameters by maximum likelihood.

    Subclasses implement ``_init_target``, ``_encode_target``,
    ``_make_distribution`` and ``_set_coefficients``.
    """

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

    def _solver_name(self, incremental=False):
        """The named solver to build: "auto" resolved by the model.

        ``partial_fit`` resolves it to Adam for every model: a quasi-Newton
        or full-batch method fed another chunk at each call would be fed
        another function.
        """
        if self.solver != "auto":
            return self.solver
        if incremental or self._model_spec().stopping == "plateau":
            return "adam"
        return "lbfgs"

    def _model_spec(self):
        """The model to build: a clone of ``model``, or the built-in one."""
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.model is None:
            return MLP(sizes, self.activation) if sizes else LinearModel()
        if sizes or self.activation != "relu":
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
        return _is_builtin(self._model_spec())

    def _make_solver(self, incremental=False, n_rows=None):
        if not isinstance(self.solver, str):
            # A user's Solver subclass need not declare constraints.
            if hasattr(self.solver, "_parameter_constraints"):
                self.solver._validate_params()
            self._warn_ignored_flat_settings()
            return self.solver
        batch_size = self.batch_size
        if incremental and self.solver == "auto" and batch_size == "auto":
            batch_size = partial_fit_batch_size(n_rows)
        solver = make_solver(
            self._solver_name(incremental),
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
        return solver

    def _warn_ignored_flat_settings(self):
        """Warn of flat solver settings that a solver object makes moot."""
        defaults = inspect.signature(type(self).__init__).parameters
        ignored = {
            name: getattr(self, name)
            for name in FLAT_HYPER_PARAMETERS
            if getattr(self, name) != defaults[name].default
        }
        if not ignored:
            return
        settings = ", ".join(f"{name}={value!r}" for name, value in ignored.items())
        verb, pronoun = ("is", "it") if len(ignored) == 1 else ("are", "them")
        message = (
            f"{type(self).__name__}({settings}) {verb} ignored: "
            f"solver={self.solver!r} is a solver object, which uses its own "
            "hyper-parameters."
        )
        solver_params = (
            self.solver.get_params() if hasattr(self.solver, "get_params") else {}
        )
        settable = {k: v for k, v in ignored.items() if k in solver_params}
        if settable:
            suggestion = clone(self.solver).set_params(**settable)
            message += f" Set {pronoun} on the solver instead: solver={suggestion!r}."
        unknown = [name for name in ignored if name not in settable]
        if unknown:
            message += f" {type(self.solver).__name__} takes no {', '.join(unknown)}."
        # Points at the user's call of fit or partial_fit.
        warnings.warn(message, SolverParameterWarning, stacklevel=5)

    def _make_model(self, X, sample_weight, n_outputs):
        return self._model_spec().build(X.shape[1], n_outputs)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """Fit from scratch, warm, or one incremental epoch (partial_fit)."""
        _check_no_array_api_input(X=X, y=y, sample_weight=sample_weight)
        resume = hasattr(self, "_training") and (incremental or self.warm_start)
        solver = None
        if _dask.is_dask_collection(X):
            if incremental:
                raise TypeError(_DASK_PARTIAL_FIT_ERROR)
            solver = self._make_solver()
            # X becomes the rows persisted on the cluster, holding the
            # encoded target and the weights: y and sample_weight are None.
            X, target = _dask.prepare_fit(
                self, solver, X, y, sample_weight, resume=resume
            )
            y_encoded = sample_weight = None
        else:
            X, y = validate_data(
                self,
                X,
                y,
                reset=not resume,
                accept_sparse=self._accept_sparse(),
                # A fit computes in the precision of X, float32 or float64
                # (anything else becomes float64), as scikit-learn's MLP does;
                # a continued fit keeps the precision of its parameters.
                dtype=(
                    self._training.params.dtype
                    if resume
                    else _precisions(self._model_spec())
                ),
                y_numeric=not is_classifier(self),
                multi_output=True,
            )
            y = self._check_target_shape(y)
            sample_weight = _validate_sample_weight(sample_weight, X)
            if resume:
                target = self._target
                self._check_same_outputs(y)
            else:
                target = self._init_target(y, sample_weight, classes)
                target["n_outputs"] = _n_outputs(y)
            y_encoded = self._encode_target(y, target).astype(X.dtype, copy=False)
        distribution = self._make_distribution(target)
        if resume:
            self._check_same_model(X, distribution.n_raw)
        model = (
            self._model
            if resume
            else self._make_model(X, sample_weight, distribution.n_raw)
        )
        objective = Objective(distribution, model, self.alpha)
        if solver is None:
            solver = self._make_solver(incremental, X.shape[0])
        training = self._start_training(
            resume, incremental, objective, solver, X, y_encoded, sample_weight
        )
        if incremental:
            partial_fit_epoch(
                objective,
                solver,
                training,
                X,
                y_encoded,
                sample_weight,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                verbose=self.verbose,
            )
        else:
            # A warm-up and the NLL share one seed: the same validation split.
            seed = training.rng
            warm_up = (
                None if resume else self._warm_up_distribution(model, distribution)
            )
            if warm_up is not None:
                seed = training.rng.randint(2**31 - 1)
                if self.verbose:
                    print("Warm-up (see the Notes of the estimator's docstring)")
                # The warm-up only gives the NLL a start: its convergence
                # is not the fit's.
                training, _ = self._fit_loop(
                    Objective(warm_up, model, self.alpha),
                    solver,
                    training,
                    X,
                    y_encoded,
                    sample_weight,
                    seed,
                )
                if self.verbose:
                    print("Warm-up done: fitting the negative log-likelihood")
                # The NLL starts afresh from where the warm-up ended.
                training = replace(
                    training,
                    solver_state=solver.init(training.params, training.lipschitz),
                    lr_scale=1.0,
                )
            training, problem = self._fit_loop(
                objective, solver, training, X, y_encoded, sample_weight, seed
            )
            self._warn_convergence(
                problem, distribution, model, training, X, y_encoded, sample_weight
            )
        # Only a fit that finished changes the estimator.
        self._target, self._model, self._training = target, model, training
        self._distribution = distribution
        self._set_fitted_attributes(training, X, y_encoded, sample_weight)
        return self

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

    def _check_same_outputs(self, y):
        """Refuse to continue a fit on a target with other outputs."""
        fitted = self._target.get("n_outputs")
        if _n_outputs(y) != fitted:
            raise ValueError(
                f"y has {_describe_outputs(_n_outputs(y))}, but the model was "
                f"fitted on {_describe_outputs(fitted)}; warm_start and "
                "partial_fit continue the same model. Set warm_start=False "
                "(or call fit) to fit the new target."
            )

    def _check_same_model(self, X, n_outputs):
        """Refuse to continue a fit with another architecture.

        The same class and parameter layout; for the built-in models, the
        same hyper-parameters (which define the layout).
        """
        spec = self._model_spec()
        previous = self._model
        same = type(spec) is type(previous)
        if same and _is_builtin(spec):
            same = spec.get_params() == clone(previous).get_params()
        if same:
            same = spec.build(X.shape[1], n_outputs).n_params == previous.n_params
        if not same:
            raise ValueError(
                "The model changed since the last fit (hidden_layer_sizes, "
                "activation or model); warm_start and partial_fit continue the "
                "same model. Set warm_start=False to fit the new one."
            )

    def _warn_convergence(
        self, problem, distribution, model, training, X, y, sample_weight
    ):
        """Warn, once, when the fit is not at the optimum of its objective."""
        # Rows on a Dask cluster are not at hand: no separation check there.
        if self.alpha == 0 and not self.early_stopping and y is not None:
            raw = model.predict_raw(training.params, X)
            if distribution.separates(y[sample_weight > 0], raw[sample_weight > 0]):
                warnings.warn(
                    "The model separates the training classes perfectly: the "
                    "unpenalized maximum-likelihood estimate does not exist "
                    "(the coefficients grow without bound and the "
                    "probabilities round to 0 and 1). Set alpha > 0.",
                    PerfectSeparationWarning,
                    stacklevel=4,
                )
                return
        if problem is not None:
            warnings.warn(
                f"{problem} {self._convergence_advice(model)}",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _convergence_advice(self, model):
        solver = self._solver_name()
        if type(model) is LinearModel and (
            solver == "lbfgs" or isinstance(solver, LBFGS)
        ):
            return (
                'Increase max_iter, loosen tol, or use solver="newton", which '
                "takes a handful of iterations to the optimum of a linear "
                "model of up to a few hundred parameters, however "
                "ill-conditioned."
            )
        if type(model) is LinearModel:
            return (
                'Increase max_iter, loosen tol, or use solver="lbfgs", which '
                "reaches the optimum of a linear model in the fewest passes."
            )
        if type(model) is MLP:
            return "Increase max_iter, or loosen tol."
        return (
            "Increase max_iter, loosen tol (it bounds the gradient on the scale "
            "of y, which a model of your own fits unstandardized), or use "
            'solver="lbfgs"; and check the model\'s gradient with '
            "skprob.models.check_model."
        )

    def _fit_loop(self, objective, solver, training, X, y, sample_weight, seed):
        return fit_loop(
            objective,
            solver,
            training,
            X,
            y,
            sample_weight,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            # A multilabel target is not stratified, as in scikit-learn's
            # MLPClassifier.
            stratify=y if is_classifier(self) and np.ndim(y) == 1 else None,
            shuffle=self.shuffle,
            random_state=seed,
            verbose=self.verbose,
        )

    def _start_training(
        self, resume, incremental, objective, solver, X, y, sample_weight
    ):
        """The training state to start from: fresh, warm, or carried on."""
        if resume and incremental:
            previous = self._training
            solver_state = copy.deepcopy(previous.solver_state)
            fresh_state = solver.init(previous.params, previous.lipschitz)
            if type(fresh_state) is not type(solver_state):
                # Another solver made the state: fit's L-BFGS before
                # partial_fit's Adam ("auto" resolves to both).
                solver_state = fresh_state
            # Copies, so that a call that fails leaves the estimator as it
            # was; a call reports its own last loss and no validation.
            return replace(
                previous,
                params=previous.params.copy(),
                # Solvers may update their state in place (Adam does).
                solver_state=solver_state,
                loss_curve=list(previous.loss_curve),
                validation_scores=[],
                best_loss=np.nan,
                rng=copy.deepcopy(previous.rng),
                stopping=copy.copy(previous.stopping),
            )
        on_cluster = isinstance(X, _dask.ClusterData)
        if resume:
            params = self._training.params.copy()
        else:
            raw_intercept = (
                X.raw_at_marginal_mle(objective.distribution)
                if on_cluster
                else objective.distribution.raw_at_marginal_mle(y, sample_weight)
            )
            params = objective.model.init_params(
                raw_intercept, check_random_state(self.random_state)
            )
        # The same start in either precision: drawn in float64, rounded.
        params = params.astype(_working_dtype(X), copy=False)
        if not _is_builtin(objective.model) and not on_cluster:
            self._check_model(objective, params, X, y, sample_weight)
        lipschitz = None
        if getattr(solver, "needs_lipschitz", True):
            batch_size = batch_size_of(solver, X.shape[0])
            lipschitz = (
                X.lipschitz(objective)
                if on_cluster
                else objective.lipschitz(X, sample_weight, batch_size)
            )
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
        _check_no_array_api_input(X=X)
        # float32 X stays float32: the outputs then have the precision of the
        # product of X and the parameters (float32 only when both are), as
        # with scikit-learn's linear models and MLP.
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=self._accept_sparse(),
            dtype=_precisions(self._model),
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


_DASK_PARTIAL_FIT_ERROR = (
    "partial_fit takes in-memory chunks, not Dask collections. To stream the "
    "blocks of a dask.array through partial_fit where they live, wrap the "
    "estimator in dask_ml.wrappers.Incremental; or use fit with a full-batch "
    "solver ('lbfgs' or 'gd'), which runs data-parallel on the cluster."
)


FLOAT_DTYPES = (np.float64, np.float32)
"""The precisions a fit computes in: float32 X stays float32, the rest float64."""


def _precisions(model):
    """The dtypes X may keep for ``model``: float32 too for the built-in ones.

    A model of the user's own computes in float64 (its protocol's arrays
    are float64), whatever the dtype of X.
    """
    return FLOAT_DTYPES if _is_builtin(model) else np.float64


def _is_builtin(model):
    """Whether ``model`` is a built-in one, LinearModel or MLP (not a subclass).

    The estimators standardize the target, compute in float32 and read
    ``coef_`` or ``coefs_`` only for these; a model of the user's own is
    checked where its fit starts.
    """
    return type(model) in (LinearModel, MLP)


def _working_dtype(X):
    """The precision of a fit on X: that of X, or float64 for rows on a cluster.

    The Dask path computes in float64 whatever the dtype of X (see
    :mod:`skprob._dask`).
    """
    return np.float64 if isinstance(X, _dask.ClusterData) else X.dtype


def _fitted_scalar(value, dtype):
    """A scalar fitted attribute: a Python float, or a float32 after a float32 fit."""
    return dtype.type(value) if dtype == np.float32 else float(value)


def _check_no_array_api_input(**arrays):
    """Refuse array API input clearly: skprob computes with NumPy only.

    Under ``array_api_dispatch=True`` scikit-learn's validation keeps such
    arrays in their own library, where NumPy code fails with raw TypeErrors.
    """
    if not get_config().get("array_api_dispatch", False):
        return
    for name, array in arrays.items():
        library = _array_api_library(array)
        if library is not None:
            raise ValueError(
                "skprob does not support array API inputs yet: "
                f"{name} is an array of {library}, and "
                "sklearn.set_config(array_api_dispatch=True) is set. Pass NumPy "
                "arrays (np.asarray(X), or X.cpu().numpy() for a torch tensor), "
                "or set array_api_dispatch=False, under which the input is "
                "converted to NumPy."
            )


def _array_api_library(array):
    """The library of an array API array other than NumPy's, or None."""
    if array is None or isinstance(array, (np.ndarray, np.generic)):
        return None
    library = type(array).__module__.partition(".")[0]
    # torch tensors need not have __array_namespace__: array-api-compat,
    # which scikit-learn dispatches through, wraps them.
    if hasattr(array, "__array_namespace__") or library == "torch":
        return library
    return None


def _n_outputs(y):
    """The number of columns of a 2-D target, None for a 1-D one."""
    return None if y.ndim == 1 else y.shape[1]


def _describe_outputs(n_outputs):
    if n_outputs is None:
        return "a 1-D target"
    return f"a 2-D target of {n_outputs} column{'s' if n_outputs > 1 else ''}"


def _validate_sample_weight(sample_weight, X):
    if sample_weight is not None:
        weights = np.asarray(sample_weight)
        if weights.ndim == 1 and np.issubdtype(weights.dtype, np.number):
            if not np.all(np.isfinite(weights)):
                raise ValueError("sample_weight must be finite (no NaN or inf).")
            if np.any(weights < 0):
                raise ValueError("sample_weight must be non-negative.")
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sample_weight


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
