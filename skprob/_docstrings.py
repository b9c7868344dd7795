"""The docstring sections the estimators share, and :func:`fill_doc` that inserts them.

The solver's and the training's parameters, the fitted attributes and the
notes of ``partial_fit`` read the same in every estimator; each estimator's
docstring names the place of a section with ``%(name)s``.
"""

import inspect

from sklearn.base import ClassifierMixin

SOLVER_PARAMETERS_DOC = """\
hidden_layer_sizes : array-like of shape (n_layers,), default=()
        Units of each hidden layer of the model f[x, phi]. The default, no
        hidden layer, is a linear model; e.g. ``(64, 64)`` makes it a
        multilayer perceptron with two hidden layers and a linear output
        layer, fitted with back-propagated gradients.

    activation : {"relu", "tanh", "logistic", "identity"}, default=%(activation)s
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
        How the NLL is minimized. "auto" is "lbfgs" for a linear model,
        "adam" with hidden layers, and "newton" for a model of your own that
        gives its Jacobian (a ParametricModel), with up to 200 parameters.
        "gd" is full-batch gradient descent, "sgd"
        mini-batch stochastic gradient descent, "momentum" and "nesterov"
        add (look-ahead) momentum, "adam" is Adam. "lbfgs" is the
        quasi-Newton L-BFGS on the full batch: for data that fits in memory,
        from thousands of rows to millions, the fastest to the
        maximum-likelihood estimate of a linear model. "newton" is Newton's
        method with the exact Hessian of a linear model, or the Gauss-Newton
        matrix of a model of your own, damped as Levenberg-Marquardt's, on
        the full batch (it refuses hidden layers): a handful of iterations to
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
        Step size. For "sgd", "auto" means the inverse of the training
        loop's estimate of the Lipschitz constant of the mini-batch
        gradient; for "gd", Barzilai and Borwein's step, from the curvature
        along the last step, where a nonmonotone Armijo test accepts it,
        else the inverse of the estimate (see :class:`~skprob.solvers.GD`).
        Where there is no estimate (a neural network), a backtracking
        (Armijo) line search: on the full batch from twice the last step
        for "gd", on each mini-batch from the last step (0.01 at the start)
        grown by ``2 ** (1 / 4)`` for "sgd".
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
        component of the gradient of its objective is at most ``tol`` (for a
        model of your own that gives its Jacobian, the gradient measured in
        the metric of the information, which the units of y and of the
        parameters do not change; see the model guide). A
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

    early_stopping : bool%(early_stopping_default)s
        Hold out ``validation_fraction`` of the training data, monitor its
        NLL instead of the training loss, and keep the parameters of the best
        validation epoch. A gain on the best counts from ``max(10 * tol,
        1e-4)`` nats per row, as scikit-learn's MLP counts its ``tol`` of
        1e-4. The rule is patient with a slow start: until the
        held-out NLL first falls 0.01 nats per row below its start, for up
        to 100 steps of the solver (100 epochs of a full batch, a single one
        of 100 batches), no epoch counts towards a plateau, since a
        network's first steps can raise it before they lower it (see
        "Defaults, and the convergence contract" in the user guide). For
        classifiers the split is stratified when every
        class has two rows or more and both parts have room for a row of each
        class; otherwise (small data) it is a plain random split, the split
        scikit-learn's MLPClassifier makes for more than two classes. A
        multilabel target is split at random, as MLPClassifier splits it.

    validation_fraction : float, default=%(validation_fraction)s
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
        16 steps.

        For a linear model (and any model that ``fit`` runs to its
        optimum) and a stochastic solver, passes over the same chunks
        converge to ``fit``'s optimum. A chunk already seen in the current
        pass starts the next (chunks are told apart by a hash of their
        rows, so each pass may visit them in another order). In the first
        pass the estimator predicts with the average of the solver's
        iterates (a polynomial-decay average, whose weights grow as the
        cube of the step count: Polyak-Ruppert averaging), and the solver
        carries on from its own. The second pass also sums the objective
        and its gradient over the chunks at the point it started from.
        From the third, every step is variance-reduced with that exact
        full gradient, a pass behind (SVRG, as the mini-batch epochs of
        ``fit``), the estimator predicts with the mean of the pass's
        iterates, and a pass whose starting point ends above the best so
        far divides the step by 5 and starts the next from the best. The
        training objective then converges linearly in the passes, each of
        which costs about 1.5 times a plain one. At the defaults, over 10
        chunks, the held-out log loss is within 1% of ``fit``'s in 8 passes
        on the digits (standardized, 1 347 training rows) and in 1 pass on
        80 000 rows of 10 classes, and the training objective within 0.1%
        of ``fit``'s in 28 and 2 passes (``benchmarks/speed.py``). Chunks
        that change start over, as a new data set; a stream that never
        repeats a chunk keeps the averaged plain steps.

        The solver state (momentum velocity, Adam's moments and step
        count), the step scale, ``n_iter_`` and ``t_`` carry over between
        calls, and shuffling continues one random stream. Until the
        passes' variance-reduced steps, the plateau rule of early stopping
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
        maximum likelihood (GaussianRegressor is then LinearRegression). A
        heteroscedastic likelihood has no maximum where the model fits
        training rows exactly: such a fit warns with a
        :class:`~skprob.exceptions.ScaleCollapseWarning`, and ``alpha > 0``
        on standardized features gives it one.""",
    ),
}

EARLY_STOPPING_DEFAULT_DOC = {
    "classifier": ", default=False",
    "regressor": """ or "auto", default="auto"
        "auto" is on for a network (``hidden_layer_sizes``) and off
        otherwise: a network on a few hundred rows fits its training rows
        far better than new ones, and a mean-variance model's likelihood
        then rewards a sigma that collapses on them (see "Defaults, and the
        convergence contract" in the user guide). Off on Dask input, which
        does not support it.""",
}


def fill_doc(obj):
    """Insert the shared sections in the docstring of a class or method."""
    for key, text in _SHARED_DOCS.items():
        obj.__doc__ = obj.__doc__.replace(key, text)
    if isinstance(obj, type):
        kind = "classifier" if issubclass(obj, ClassifierMixin) else "regressor"
        default, text = ALPHA_DEFAULT_DOC[kind]
        obj.__doc__ = obj.__doc__.replace("%(alpha_default)s", default)
        obj.__doc__ = obj.__doc__.replace("%(alpha_default_doc)s", text)
        obj.__doc__ = obj.__doc__.replace(
            "%(early_stopping_default)s", EARLY_STOPPING_DEFAULT_DOC[kind]
        )
        # The defaults that differ between estimators, from their signatures;
        # a string in double quotes, as scikit-learn's docstrings write it.
        defaults = inspect.signature(obj).parameters
        for name in ("activation", "validation_fraction"):
            if name in defaults:
                default = defaults[name].default
                shown = f'"{default}"' if isinstance(default, str) else repr(default)
                obj.__doc__ = obj.__doc__.replace(f"%({name})s", shown)
    return obj
