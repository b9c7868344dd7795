"""Step 3 of the recipe: the solvers that minimize the NLL.

A solver sees only a flat parameter vector and a function that returns the
loss and its gradient at given parameters; it knows nothing about data,
distributions or models. That makes the protocol small enough to implement in
a few lines, and every estimator accepts any object that follows it.

The solver protocol
-------------------
A solver is a scikit-learn style parameter object (subclass :class:`Solver`,
which is a :class:`~sklearn.base.BaseEstimator`, so ``clone``,
``get_params`` and ``GridSearchCV(..., {"solver__learning_rate": ...})`` work)
with:

``batch_size`` : None, "auto" or int
    Rows per step. None means the full batch; "auto" means
    ``min(200, n_samples)``. The training loop reads it to cut mini-batches.

``init(params, lipschitz) -> state``
    The solver's starting state for parameters ``params``. ``lipschitz`` is
    the training loop's estimate of the Lipschitz constant of the gradient on
    one batch at the start (None when it has no estimate, as for a neural
    network); a solver may use it to set its step size.

``step(params, loss_grad, state, lr_scale) -> (params, loss, state)``
    One update on one mini-batch. ``loss_grad(params)`` returns
    ``(loss, gradient)`` of the batch objective at any parameters (it may be
    called several times, at look-ahead or trial points);
    ``loss_grad.loss(params)`` returns the loss alone, more cheaply, and
    ``loss_grad.lipschitz`` is the Lipschitz estimate at the point of the last
    call (the curvature of some likelihoods, such as the heteroscedastic
    normal's, grows as the fit sharpens).
    ``lr_scale`` (at most 1) is the training loop's decay of the step size:
    the loop lowers it when the loss stops improving, so that stochastic
    solvers settle at the optimum instead of rattling around it. Return the
    new parameters (a new array, or ``params`` itself for a step that does
    not move: never modify ``params`` in place), the loss
    at the parameters the step started from, and the new state.

``needs_lipschitz`` : bool, optional
    Whether the solver uses the Lipschitz estimate; True when absent (and in
    :class:`Solver`). False spares the fit the estimate's cost, a pass over
    the data (a weighted Gram matrix, for a linear model): ``init`` then
    receives None and ``loss_grad.lipschitz`` is None.

``nonmonotone_memory`` : int, optional
    For a full-batch solver whose line search lets the loss rise, as a
    nonmonotone one does (Grippo, Lampariello and Lucidi, 1986): how many
    of the last losses a step's loss may rise to the largest of. 1 when
    absent (and in :class:`Solver`): the loss of a descent method never
    rises. The training loop counts a full-batch loss above the largest of
    the last ``nonmonotone_memory`` as an overshoot (see its stopping rule).

``loss_grad.hessian`` : function or None
    A second-order solver may ask for curvature: ``loss_grad.hessian(params)``
    returns the Hessian of the batch objective at ``params``, of shape
    ``(n_params, n_params)``. The training loop offers it when the model can
    give one (a linear model, for every distribution); it is None otherwise
    (a neural network), and a solver that needs it says so. A function of
    your own passed as ``loss_grad`` (as in the tests and the gallery) may
    leave it out: only :class:`Newton` reads it.

Every named solver below documents its exact update; in the formulas
``g(theta)`` is the mini-batch gradient, ``eta`` the learning rate and ``s``
the ``lr_scale``.

Examples
--------
A solver of your own, here sign gradient descent, plugs straight in:

>>> import numpy as np
>>> from skprob import BernoulliClassifier
>>> from skprob.solvers import Solver
>>> class SignGD(Solver):
...     def __init__(self, learning_rate=0.01, batch_size="auto"):
...         self.learning_rate = learning_rate
...         self.batch_size = batch_size
...     def init(self, params, lipschitz):
...         return None
...     def step(self, params, loss_grad, state, lr_scale):
...         loss, grad = loss_grad(params)
...         return params - self.learning_rate * lr_scale * np.sign(grad), loss, state
>>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
>>> # Separable classes have no finite MLE: a small penalty gives them one.
>>> # Steps of fixed length settle only as close as their length allows.
>>> clf = BernoulliClassifier(solver=SignGD(), alpha=0.1, tol=1e-3)
>>> clf = clf.fit(X, [0, 0, 1, 1])
>>> clf.predict([[-3.0], [3.0]])
array([0, 1])
"""

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

AUTO_BATCH_SIZE = 200

FLAT_HYPER_PARAMETERS = (
    "learning_rate",
    "batch_size",
    "momentum",
    "beta_1",
    "beta_2",
    "epsilon",
)
"""The estimators' flat solver settings, which configure only a named solver."""


class SolverParameterWarning(UserWarning):
    """A flat solver setting of an estimator was ignored.

    Raised by ``fit`` and ``partial_fit`` when ``solver`` is a solver object
    and one of the estimator's flat solver hyper-parameters
    (:data:`FLAT_HYPER_PARAMETERS`) differs from its default: the solver
    object is used with its own hyper-parameters, so the flat setting has no
    effect. Set it on the solver object instead.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skprob import GaussianRegressor
    >>> from skprob.solvers import Adam, SolverParameterWarning
    >>> X = np.linspace(-1.0, 1.0, 20).reshape(-1, 1)
    >>> y = 3.0 * X[:, 0] + np.tile([-0.1, 0.1], 10)
    >>> model = GaussianRegressor(solver=Adam(), learning_rate=0.5)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", SolverParameterWarning)
    ...     model = model.fit(X, y)
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    GaussianRegressor(learning_rate=0.5) is ignored: solver=Adam() is a
    solver object, which uses its own hyper-parameters. Set it on the solver
    instead: solver=Adam(learning_rate=0.5).
    """


# Armijo constant and the step growth between two line searches of GD.
_ARMIJO_FRACTION = 0.5
_STEP_GROWTH = 2.0
_MAX_BACKTRACKS = 60
# A stochastic solver searches on every mini-batch: growing the step more
# slowly than GD's doubling costs about one backtrack per four steps instead
# of one per step (Vaswani et al., 2019, grow it by 2 per epoch).
_STOCHASTIC_STEP_GROWTH = 2.0**0.25


class Solver(BaseEstimator):
    """Base class of the solvers; see the module docstring for the protocol.

    Subclasses set their hyper-parameters in ``__init__`` (stored unchanged,
    as in every scikit-learn estimator) and implement :meth:`init` and
    :meth:`step`.
    """

    batch_size = None
    needs_lipschitz = True
    nonmonotone_memory = 1
    # Validated by the estimator before fitting; a user's solver may add its
    # own constraints in the same form as scikit-learn's estimators.
    _parameter_constraints: dict = {}

    def init(self, params, lipschitz):  # pragma: no cover - abstract
        """Return the starting state for ``params``."""
        raise NotImplementedError

    def step(self, params, loss_grad, state, lr_scale):  # pragma: no cover
        """Return ``(new_params, loss, new_state)`` after one update."""
        raise NotImplementedError

    def _learning_rate(self, lipschitz):
        """The learning rate, resolving "auto" to ``1 / lipschitz``."""
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        # A Python float: a NumPy float64 would make float32 parameters float64.
        return 1.0 / float(lipschitz) if lipschitz else _FALLBACK_LEARNING_RATE

    def _stochastic_learning_rate(self, params, loss, grad, loss_grad, state):
        """Learning rate of a stochastic step, and the state for the next one.

        A numeric ``learning_rate``, or ``1 / L`` from the training loop's
        Lipschitz estimate. Without an estimate (a neural network, whose
        curvature changes as it trains, or fails to exist for unscaled
        features), a backtracking (Armijo) line search on the mini-batch,
        starting from the last accepted step grown by a little (Vaswani et
        al., 2019, "Painless stochastic gradient").
        """
        if self.learning_rate != "auto" or loss_grad.lipschitz is not None:
            return self._learning_rate(loss_grad.lipschitz), state
        trial = state.learning_rate * _STOCHASTIC_STEP_GROWTH
        step_size = _armijo_step(params, loss, grad, loss_grad.loss, trial)
        return step_size, state._replace(learning_rate=step_size)


_FALLBACK_LEARNING_RATE = 0.01
_LEARNING_RATE = [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")]
_BATCH_SIZE = [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")]
_DECAY = [Interval(Real, 0, 1, closed="left")]


class GDState(NamedTuple):
    """State of :class:`GD`.

    ``learning_rate`` is the last step of the Armijo line search (without a
    Lipschitz estimate), or the Barzilai-Borwein step that the last step's
    changes of parameters and gradient give the next (NaN for none: the
    loss curved down along it). ``end_params``, ``end_loss``, ``end_grad``
    and ``end_lipschitz`` are where the last step ended, with the loss,
    gradient and Lipschitz estimate there; ``recent_losses`` the losses of
    the last :data:`NONMONOTONE_MEMORY` points, oldest first.
    """

    learning_rate: float
    end_params: np.ndarray | None = None
    end_loss: float = np.nan
    end_grad: np.ndarray | None = None
    end_lipschitz: float | None = None
    recent_losses: tuple = ()


NONMONOTONE_MEMORY = 10
"""The losses a Barzilai-Borwein step of :class:`GD` is tested against."""

# Armijo constant of the nonmonotone test (Raydan, 1997, takes 1e-4 too).
_NONMONOTONE_ARMIJO_FRACTION = 1e-4
# The short Barzilai-Borwein step is taken where cos^2 of the angle between
# the changes of parameters and gradient is below this (Zhou, Gao and Dai,
# 2006, choose by the same ratio of the two steps).
_SHORT_STEP_COSINE2 = 0.5
# Steps are powers of 2 ** (1 / _STEP_GRID).
_STEP_GRID = 4


class GD(Solver):
    r"""Full-batch gradient descent.

    Each step moves the parameters against the gradient of the loss over all
    rows:

    .. math:: \theta_{t+1} = \theta_t - \eta_t\, g(\theta_t)

    With a numeric ``learning_rate``, :math:`\eta_t = s\,\eta` is fixed
    (:math:`s` is the training loop's decay).

    With ``"auto"``, the step size comes from the curvature of the loss.
    The *safe* step is :math:`s/L_t`, with :math:`L_t` the training loop's
    Lipschitz estimate of the gradient at :math:`\theta_t` (for a linear
    model, the distribution's curvature bound times the top eigenvalue of
    the weighted Gram matrix, found by power iteration, plus the penalty's
    ``alpha``): it never overshoots along the most curved direction, but
    crawls along the flat ones. The step tried first is Barzilai and
    Borwein's (1988), which takes the curvature from the last step
    :math:`\Delta\theta = \theta_t - \theta_{t-1}` and the change of the
    gradient along it, :math:`\Delta g = g(\theta_t) - g(\theta_{t-1})`:

    .. math::
        \eta_t^{BB} = \begin{cases}
        \Delta\theta^\top \Delta g \,/\, \Delta g^\top \Delta g
        & \text{if } \cos^2(\Delta\theta, \Delta g) < \tfrac12, \\
        \Delta\theta^\top \Delta\theta \,/\, \Delta\theta^\top \Delta g
        & \text{otherwise,}
        \end{cases}

    the inverse of the mean curvature along :math:`\Delta\theta` (the long
    step), or, where :math:`\Delta g` turns away from :math:`\Delta\theta`
    because the curvature differs across the directions the step spans, the
    short step (the adaptive choice of Zhou, Gao and Dai, 2006). It is taken
    where it is longer than the safe step and passes the nonmonotone Armijo
    test of Grippo, Lampariello and Lucidi (1986), as in Raydan's (1997)
    global Barzilai-Borwein method,

    .. math::
        L(\theta_t - \eta_t^{BB} g) \le \max_{0 \le j < M} L(\theta_{t-j})
        - c\, \eta_t^{BB} \|g\|^2, \qquad M = 10,\ c = 10^{-4};

    otherwise the step is the safe one. The loss may so rise from one step
    to the next, but never above the largest of the last :math:`M`: the
    training loop counts only a rise beyond that as an overshoot
    (``nonmonotone_memory``). The first step, and a step that does not start
    where the last one ended (in ``partial_fit``, or when the loop goes back
    to its best parameters), is the safe one. A step costs one forward and
    one backward pass where its first trial is accepted (the next step
    reuses the evaluation), two otherwise.

    Every step of ``"auto"`` is a power of :math:`2^{1/4}` (the
    Barzilai-Borwein step rounded to the nearest, the safe step rounded
    down). Fits of the same objective whose sums are rounded differently
    (weights against repeated rows, sparse against dense) then take the
    same steps, unless the difference moves a step across a power, and end
    together; and no step cancels a direction of the loss down to rounding,
    which the long steps that follow would amplify into different paths.

    Where there is no estimate (a neural network), :math:`\eta_t` comes
    from a backtracking (Armijo) line search instead: starting from
    :math:`2\eta_{t-1}`, halve until

    .. math:: L(\theta - \eta g) \le L(\theta) - \tfrac12 \eta \|g\|^2,

    and step by :math:`s\,\eta`.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size :math:`\eta`, or "auto" as above.
    """

    batch_size = None
    _parameter_constraints = {"learning_rate": _LEARNING_RATE}

    def __init__(self, learning_rate="auto"):
        self.learning_rate = learning_rate

    @property
    def nonmonotone_memory(self):
        """How many past losses a step's loss may rise to (see the protocol)."""
        return NONMONOTONE_MEMORY if self.learning_rate == "auto" else 1

    def init(self, params, lipschitz):
        return GDState(self._learning_rate(lipschitz) / _STEP_GROWTH)

    def step(self, params, loss_grad, state, lr_scale):
        if self.learning_rate == "auto" and loss_grad.lipschitz is not None:
            return self._barzilai_borwein_step(params, loss_grad, state, lr_scale)
        loss, grad = loss_grad(params)
        if self.learning_rate != "auto":
            learning_rate = self._learning_rate(None)
            return params - lr_scale * learning_rate * grad, loss, state
        trial = state.learning_rate * _STEP_GROWTH
        step_size = _armijo_step(params, loss, grad, loss_grad.loss, trial)
        return params - lr_scale * step_size * grad, loss, GDState(step_size)

    def _barzilai_borwein_step(self, params, loss_grad, state, lr_scale):
        """One step of "auto" with a Lipschitz estimate (see the docstring)."""
        if params is state.end_params:
            loss, grad = state.end_loss, state.end_grad
            lipschitz, recent = state.end_lipschitz, state.recent_losses
            long_step = state.learning_rate
        else:
            loss, grad = loss_grad(params)
            lipschitz, recent, long_step = loss_grad.lipschitz, (loss,), np.nan
        safe_step = lr_scale * self._learning_rate(lipschitz)
        safe_step = _on_step_grid(safe_step, math.floor)
        accepted = None
        if long_step > safe_step:
            accepted = _nonmonotone_trial(params, grad, loss_grad, recent, long_step)
        if accepted is None:
            new_params = params - safe_step * grad
            accepted = (new_params, *loss_grad(new_params))
        new_params, new_loss, new_grad = accepted
        new_state = GDState(
            _barzilai_borwein(new_params - params, new_grad - grad),
            new_params,
            new_loss,
            new_grad,
            loss_grad.lipschitz,
            (*recent, new_loss)[-NONMONOTONE_MEMORY:],
        )
        return new_params, loss, new_state


def _barzilai_borwein(param_change, grad_change):
    """:class:`GD`'s Barzilai-Borwein step, on the grid; NaN without curvature."""
    curvature = float(param_change @ grad_change)
    if not curvature > 0.0:
        return np.nan
    long_step = float(param_change @ param_change) / curvature
    short_step = curvature / float(grad_change @ grad_change)
    # short / long is cos^2 of the angle between the two changes.
    if short_step < _SHORT_STEP_COSINE2 * long_step:
        return _on_step_grid(short_step, round)
    return _on_step_grid(long_step, round)


def _on_step_grid(step_size, to_integer):
    """``step_size`` moved onto the powers of ``2 ** (1 / _STEP_GRID)``.

    ``to_integer`` rounds the exponent (``round``, ``math.floor``); a step
    of 0 or inf is left as it is.
    """
    if not 0.0 < step_size < math.inf:
        return step_size
    return 2.0 ** (to_integer(math.log2(step_size) * _STEP_GRID) / _STEP_GRID)


def _nonmonotone_trial(params, grad, loss_grad, recent, step_size):
    """The point ``step_size`` along -grad with its evaluation, if it passes.

    Grippo, Lampariello and Lucidi's test: the loss there at most the
    largest of the ``recent`` ones, less the Armijo decrease. None if not.
    """
    trial = params - step_size * grad
    trial_loss, trial_grad = loss_grad(trial)
    decrease = _NONMONOTONE_ARMIJO_FRACTION * step_size * float(grad @ grad)
    if trial_loss <= max(recent) - decrease:
        return trial, trial_loss, trial_grad
    return None


def _armijo_step(params, loss, grad, loss_only, step_size):
    """Halve ``step_size`` until the loss decreases enough (Armijo)."""
    sq_norm = grad @ grad
    for _ in range(_MAX_BACKTRACKS):
        trial = loss_only(params - step_size * grad)
        if trial <= loss - _ARMIJO_FRACTION * step_size * sq_norm:
            return step_size
        step_size /= 2.0
    return step_size


class SGD(Solver):
    r"""Mini-batch stochastic gradient descent.

    .. math:: \theta \leftarrow \theta - s\,\eta\, g_B(\theta)

    where :math:`g_B` is the gradient on one mini-batch :math:`B`.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size :math:`\eta`. "auto" uses :math:`1/L`, the training loop's
        estimate of the mini-batch Lipschitz constant at the current point
        (as scikit-learn's SAG derives its step). Where there is no estimate
        (a neural network), :math:`\eta` comes from a backtracking (Armijo)
        line search on the mini-batch, as in :class:`GD`, starting from the
        last step grown by :math:`2^{1/4}` (Vaswani et al., 2019).
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; "auto" is ``min(200, n_samples)``.
    """

    _parameter_constraints = {
        "learning_rate": _LEARNING_RATE,
        "batch_size": _BATCH_SIZE,
    }

    def __init__(self, learning_rate="auto", batch_size="auto"):
        self.learning_rate = learning_rate
        self.batch_size = batch_size

    def init(self, params, lipschitz):
        return GDState(_FALLBACK_LEARNING_RATE)

    def step(self, params, loss_grad, state, lr_scale):
        loss, grad = loss_grad(params)
        learning_rate, state = self._stochastic_learning_rate(
            params, loss, grad, loss_grad, state
        )
        return params - lr_scale * learning_rate * grad, loss, state


class MomentumState(NamedTuple):
    """State of :class:`Momentum`: velocity, last step, last line search."""

    velocity: np.ndarray
    step_size: float = 0.0
    learning_rate: float = _FALLBACK_LEARNING_RATE


class Momentum(Solver):
    r"""Stochastic gradient descent with (Nesterov) momentum.

    Classical (heavy-ball) momentum accumulates past gradients in a velocity
    :math:`v`:

    .. math::
        v \leftarrow \mu v + g_B(\theta), \qquad
        \theta \leftarrow \theta - s\,\eta\, v.

    Nesterov's accelerated momentum takes the gradient at the look-ahead point
    the momentum is about to carry the parameters to, as S. J. D. Prince,
    *Understanding Deep Learning* (MIT Press, 2023), chapter 6, describes:

    .. math::
        v \leftarrow \mu v + g_B(\theta - s\,\eta\,\mu v), \qquad
        \theta \leftarrow \theta - s\,\eta\, v,

    where the look-ahead uses the step size :math:`s\,\eta` of the previous
    step (they differ only when "auto" adapts :math:`\eta` to the curvature).

    For a constant step this is the textbook update with velocity
    :math:`-\eta v`; keeping :math:`\eta` outside the velocity (as PyTorch
    does) makes a decay of the step size slow the carried motion at once,
    instead of letting the old velocity coast on.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size :math:`\eta`. "auto" uses :math:`(1 - \mu) / L`, with
        :math:`L` the training loop's Lipschitz estimate, so that the
        long-run step :math:`\eta / (1 - \mu)` is that of :class:`SGD`;
        without an estimate, :math:`1 / L` is :class:`SGD`'s line search
        along the gradient (at the look-ahead point for Nesterov).
    momentum : float, default=0.9
        Momentum coefficient :math:`\mu` in [0, 1).
    nesterov : bool, default=False
        Take the gradient at the look-ahead point.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; "auto" is ``min(200, n_samples)``.
    """

    _parameter_constraints = {
        "learning_rate": _LEARNING_RATE,
        "momentum": _DECAY,
        "nesterov": ["boolean"],
        "batch_size": _BATCH_SIZE,
    }

    def __init__(
        self, learning_rate="auto", momentum=0.9, nesterov=False, batch_size="auto"
    ):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.batch_size = batch_size

    def init(self, params, lipschitz):
        return MomentumState(np.zeros_like(params))

    def step(self, params, loss_grad, state, lr_scale):
        carried = self.momentum * state.velocity
        if self.nesterov:
            # The look-ahead moves by the carried velocity at the last step
            # size: the current one is known only once a gradient is taken.
            loss = loss_grad.loss(params)
            point = params - state.step_size * carried
            point_loss, grad = loss_grad(point)
        else:
            loss, grad = loss_grad(params)
            point, point_loss = params, loss
        learning_rate, state = self._stochastic_learning_rate(
            point, point_loss, grad, loss_grad, state
        )
        if self.learning_rate == "auto":
            # Momentum multiplies the long-run step by 1 / (1 - mu); scaling
            # it back keeps the effective step at 1 / L, which stays stable
            # under mini-batch noise where 1 / L alone diverges.
            learning_rate *= 1.0 - self.momentum
        step_size = lr_scale * learning_rate
        velocity = carried + grad
        new_state = state._replace(velocity=velocity, step_size=step_size)
        return params - step_size * velocity, loss, new_state


class AdamState(NamedTuple):
    """State of :class:`Adam`: step count and the two moment estimates.

    The moments are kept without their factors ``1 - beta``, as
    ``m / (1 - beta_1)`` and ``v / (1 - beta_2)``, and are updated in place.
    """

    learning_rate: float
    n_steps: int
    first_moment: np.ndarray
    second_moment: np.ndarray


class Adam(Solver):
    r"""Adam: adaptive moment estimation (Kingma and Ba, 2015).

    With :math:`t` the step count and all operations element-wise:

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g_B(\theta), \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g_B(\theta)^2, \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t), \\
        \theta &\leftarrow \theta - s\,\eta\, \hat m / (\sqrt{\hat v} + \hat\epsilon_t),
        \qquad \hat\epsilon_t = \epsilon / \sqrt{1 - \beta_2^t}.

    Dividing by :math:`\sqrt{\hat v}` normalizes the step, disconnecting its
    length from the gradient's magnitude; :math:`m` is momentum; the bias
    corrections accelerate the first steps.

    This is the efficient form Kingma and Ba give at the end of their
    section 2, as scikit-learn's MLP computes it:
    :math:`\theta \leftarrow \theta - s\,\eta_t\, m / (\sqrt{v} + \epsilon)`
    with :math:`\eta_t = \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)`. It adds
    :math:`\epsilon` to :math:`\sqrt v` rather than to :math:`\sqrt{\hat v}`,
    so that the :math:`\hat\epsilon_t` of :math:`\sqrt{\hat v}` is larger
    than :math:`\epsilon` in the first steps (about :math:`31.6\,\epsilon` at
    :math:`t = 1` for :math:`\beta_2 = 0.999`) and tends to :math:`\epsilon`.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size :math:`\eta`; "auto" is 0.01, tenfold Adam's usual default
        since the training loop decays it on plateaus.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; "auto" is ``min(200, n_samples)``.
    """

    _parameter_constraints = {
        "learning_rate": _LEARNING_RATE,
        "beta_1": _DECAY,
        "beta_2": _DECAY,
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": _BATCH_SIZE,
    }

    def __init__(
        self,
        learning_rate="auto",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
    ):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size

    def init(self, params, lipschitz):
        learning_rate = (
            _ADAM_AUTO_LEARNING_RATE
            if self.learning_rate == "auto"
            else float(self.learning_rate)
        )
        zeros = np.zeros_like(params)
        return AdamState(learning_rate, 0, zeros, zeros.copy())

    def step(self, params, loss_grad, state, lr_scale):
        loss, grad = loss_grad(params)
        n_steps = state.n_steps + 1
        # The moments without their factors 1 - beta (see AdamState) take two
        # and three vector operations, in place; the factors move into the
        # scalars below. On a mini-batch each operation costs more in Python
        # than in arithmetic, so the update allocates one array, the new
        # parameters, and computes everything else in it or in the moments.
        first, second = state.first_moment, state.second_moment
        first *= self.beta_1
        first += grad
        second *= self.beta_2
        new_params = np.multiply(grad, grad)
        second += new_params
        # Python floats, as every scalar of a step: a NumPy float64 would
        # send float32 moments through NumPy's slow casting loops.
        step_size = (
            lr_scale
            * state.learning_rate
            * math.sqrt((1.0 - self.beta_2**n_steps) / (1.0 - self.beta_2))
            * (1.0 - self.beta_1)
            / (1.0 - self.beta_1**n_steps)
        )
        # Kingma and Ba's efficient form: epsilon is added to sqrt(v), which
        # is the docstring's epsilon / sqrt(1 - beta_2**t) added to sqrt(v_hat).
        denominator = np.sqrt(second, out=new_params)
        denominator += self.epsilon / math.sqrt(1.0 - self.beta_2)
        update = np.divide(first, denominator, out=new_params)
        update *= -step_size
        new_params += params
        # The constructor, not _replace, which takes twice as long.
        return new_params, loss, AdamState(state.learning_rate, n_steps, first, second)


_ADAM_AUTO_LEARNING_RATE = 0.01


class LBFGSState(NamedTuple):
    """State of :class:`LBFGS`.

    ``param_changes`` and ``grad_changes`` hold the most recent curvature
    pairs, oldest first. ``first_step`` is the trial step of a step without
    pairs (None: from the gradient's norm). ``end_params``, ``end_loss`` and
    ``end_grad`` are where the last step ended, with the loss and gradient
    there.
    """

    param_changes: tuple = ()
    grad_changes: tuple = ()
    first_step: float | None = None
    end_params: np.ndarray | None = None
    end_loss: float = np.nan
    end_grad: np.ndarray | None = None


class LBFGS(Solver):
    r"""Limited-memory BFGS, full batch (Nocedal and Wright, 2006, ch. 7).

    A quasi-Newton method: it steps along :math:`-H_t\, g(\theta_t)`, where
    :math:`H_t` approximates the inverse Hessian from the last ``memory``
    pairs of parameter and gradient changes
    :math:`\Delta\theta_i = \theta_{i+1} - \theta_i` and
    :math:`\Delta g_i = g(\theta_{i+1}) - g(\theta_i)`:

    .. math:: \theta_{t+1} = \theta_t - \eta_t\, H_t\, g(\theta_t).

    :math:`H_t` is never formed: the two-loop recursion (their Algorithm
    7.4) applies to the gradient the BFGS updates, oldest pair first, of
    :math:`H = \gamma I`, with
    :math:`\gamma = \Delta\theta^\top \Delta g / \Delta g^\top \Delta g`
    from the newest pair:

    .. math::
        H \leftarrow (I - \rho_i \Delta\theta_i \Delta g_i^\top)\, H\,
        (I - \rho_i \Delta g_i \Delta\theta_i^\top)
        + \rho_i \Delta\theta_i \Delta\theta_i^\top, \qquad
        \rho_i = 1 / \Delta g_i^\top \Delta\theta_i.

    A pair with :math:`\Delta g_i^\top \Delta\theta_i \le \epsilon\,
    \Delta g_i^\top \Delta g_i` (:math:`\epsilon` the machine epsilon) is
    skipped: the loss curves down along it (as a neural network's can), and
    the pair would make :math:`H` indefinite.

    The step size :math:`\eta_t` is the first of
    :math:`\eta_0, \eta_0/2, \eta_0/4, \dots` that decreases the loss enough
    (Armijo, with :math:`c = 10^{-4}`):

    .. math::
        L(\theta - \eta H g) \le L(\theta) - c\, \eta\, g^\top H g.

    :math:`\eta_0 = 1` is the step of Newton's method, accepted near the
    optimum. There full BFGS converges superlinearly; for limited memory
    only R-linear convergence is proven (Liu and Nocedal, 1989), though it
    is far faster than gradient descent in practice. Without pairs (the
    first step, or after rounding left :math:`-Hg` no descent direction and
    the pairs were forgotten) the direction is :math:`-g` and :math:`\eta_0`
    is :math:`1/L`, when the training loop gives a Lipschitz estimate, else
    :math:`\min(1, 1/\|g\|)`. Where the loss changes by less than its
    rounding error, the condition is checked on the slope along the
    direction instead (Hager and Zhang's approximate Wolfe condition), so
    that the last steps are not rejected for noise.

    The training loop's step scale :math:`s` multiplies :math:`\eta_0` when
    a step does not start where the last one ended: in ``partial_fit``, where
    each call steps on a new chunk and a unit step would jump to that chunk's
    own optimum, :math:`s` lets the fit settle as the stochastic solvers do;
    or when the loop goes back to its best parameters. A step that continues
    the iteration on the same data keeps :math:`\eta_0`: its line search
    already makes every step descend, and the loop's decay at a plateau
    would shorten the unit steps that make the last epochs fast.

    Each step evaluates the loss and gradient at its trial points and
    returns the point it accepts; the next step, if it starts from that very
    array (unchanged: arrays passed between steps are never modified in
    place), reuses the evaluation. A step whose unit step is accepted so
    costs one forward and one backward pass.

    Use it on data that fits in memory, from a few thousand rows to
    millions: each step is a pass over all of them, and on the convex losses
    of linear models it reaches the maximum-likelihood estimate in far fewer
    passes than :class:`GD`. It needs no learning rate and no Lipschitz
    estimate. It trains neural networks too, but its long steps make the
    minimum a non-convex fit reaches sensitive to rounding: fits that differ
    only in the order of their sums can end apart. Where a network can
    separate some classes, the unpenalized likelihood has no maximum and
    L-BFGS follows it far (raw outputs in the hundreds or thousands, and
    probabilities that round to 0 or 1) where the plateau rule stops the
    slower solvers sooner: give such fits a penalty ``alpha``.

    A step from a point whose gradient is below ``gtol`` in every component
    stays there, at no cost: the training loop's patience epochs after
    convergence then take no pass over the data.

    Parameters
    ----------
    memory : int, default=30
        Number of curvature pairs kept. More pairs model the curvature
        better, at the cost of ``4 * memory`` vector operations per step:
        on ill-conditioned data far fewer steps (binomial counts as weighted
        rows, statsmodels' star98: about 150 passes, against about 1000 with
        SciPy's 10 pairs). PyTorch keeps 100.
    gtol : float, default=1e-8
        Largest gradient component at which the iteration stops moving
        (scikit-learn's ``LogisticRegression`` stops at ``tol=1e-4``). An
        estimator's ``solver="lbfgs"`` lowers it to the estimator's ``tol``
        when that is tighter.
    """

    batch_size = None
    needs_lipschitz = False
    _parameter_constraints = {
        "memory": [Interval(Integral, 1, None, closed="left")],
        "gtol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, memory=30, gtol=1e-8):
        self.memory = memory
        self.gtol = gtol

    def init(self, params, lipschitz):
        return LBFGSState(first_step=1.0 / float(lipschitz) if lipschitz else None)

    def step(self, params, loss_grad, state, lr_scale):
        continues = params is state.end_params
        if continues:
            loss, grad = state.end_loss, state.end_grad
        else:
            loss, grad = loss_grad(params)
        if not np.abs(grad).max() > self.gtol:  # converged (a NaN moves on)
            converged = state._replace(end_params=params, end_loss=loss, end_grad=grad)
            return params, loss, converged
        direction = _two_loop_direction(grad, state.param_changes, state.grad_changes)
        if not grad @ direction < 0.0:  # rounding, or a NaN: restart from -g
            state = _forget_pairs(state)
            direction = -grad
        trial_step = 1.0 if state.param_changes else _first_step(state.first_step, grad)
        if not continues:
            trial_step *= lr_scale
        accepted = _armijo_search(params, loss, grad, direction, loss_grad, trial_step)
        if accepted is None:
            # No step decreased the loss: stay, and try -g next time.
            state = _forget_pairs(state)
            accepted = params.copy(), loss, grad
        end_params, end_loss, end_grad = accepted
        state = _with_pair(state, end_params - params, end_grad - grad, self.memory)
        state = state._replace(
            end_params=end_params, end_loss=end_loss, end_grad=end_grad
        )
        return end_params, loss, state


# Armijo constant of L-BFGS: a small fraction, so that the Newton-like unit
# step is accepted (Nocedal and Wright, 2006, section 3.1).
_LBFGS_ARMIJO_FRACTION = 1e-4
# Relative error of the loss that a line search treats as rounding: well
# above that of a mean over millions of rows, far below any sensible tol.
_LOSS_ROUNDING = 1e-10
# In float32, each row's loss is rounded at its machine epsilon (1.2e-7),
# and its sum, though accumulated in float64, inherits that: the rounding a
# line search allows is then this many epsilons (16, as in scikit-learn's
# Newton solver), relative.
_LOSS_ROUNDING_EPS_FACTOR = 16.0


def _loss_rounding(dtype):
    """Relative rounding error of a loss computed in ``dtype``."""
    return max(_LOSS_ROUNDING, _LOSS_ROUNDING_EPS_FACTOR * np.finfo(dtype).eps)


def _first_step(first_step, grad):
    """Trial step along -g without curvature pairs."""
    if first_step is not None:
        return first_step
    norm = np.linalg.norm(grad)
    return min(1.0, 1.0 / norm) if norm > 0.0 else 1.0


def _two_loop_direction(grad, param_changes, grad_changes):
    """``-H g`` by the two-loop recursion (Nocedal and Wright, Algorithm 7.4)."""
    direction = -grad
    pairs = list(zip(param_changes, grad_changes, strict=True))
    rhos = [1.0 / (grad_change @ param_change) for param_change, grad_change in pairs]
    alphas = []
    for (param_change, grad_change), rho in zip(
        reversed(pairs), reversed(rhos), strict=True
    ):
        alpha = rho * (param_change @ direction)
        direction -= alpha * grad_change
        alphas.append(alpha)
    if pairs:
        param_change, grad_change = pairs[-1]
        direction *= (param_change @ grad_change) / (grad_change @ grad_change)
    for (param_change, grad_change), rho, alpha in zip(
        pairs, rhos, reversed(alphas), strict=True
    ):
        beta = rho * (grad_change @ direction)
        direction += (alpha - beta) * param_change
    return direction


def _armijo_search(params, loss, grad, direction, loss_grad, step_size):
    """Halve ``step_size`` until the loss decreases enough along ``direction``.

    Returns the accepted point with its loss and gradient, or None if no
    step of the search decreased the loss enough.
    """
    slope = grad @ direction
    rounding = _loss_rounding(params.dtype)
    step_size = float(step_size)  # a NumPy float64 would upcast float32 params
    for _ in range(_MAX_BACKTRACKS):
        trial = params + step_size * direction
        trial_loss, trial_grad = loss_grad(trial)
        decrease = _LBFGS_ARMIJO_FRACTION * step_size * slope
        if trial_loss <= loss + decrease or _approximately_armijo(
            loss, slope, trial_loss, trial_grad @ direction, rounding
        ):
            return trial, trial_loss, trial_grad
        step_size /= 2.0
    return None


def _approximately_armijo(loss, slope, trial_loss, trial_slope, rounding):
    """Armijo's condition from slopes, where rounding blurs the loss.

    Near the optimum a step changes the loss by less than its rounding
    error, so that comparing losses compares noise (and backtracks for
    nothing); the slope along the direction still measures progress. Hager
    and Zhang's (2005) approximate Wolfe condition accepts a trial point
    whose loss is the start's up to rounding and whose slope has grown by at
    most :math:`2(1 - c)` times the start's magnitude: on a quadratic,
    exactly Armijo's condition. ``rounding`` is the loss's relative
    rounding error (:func:`_loss_rounding`).
    """
    within_rounding = trial_loss <= loss + rounding * abs(loss)
    return (
        within_rounding and trial_slope <= (2.0 * _LBFGS_ARMIJO_FRACTION - 1.0) * slope
    )


def _forget_pairs(state):
    return state._replace(param_changes=(), grad_changes=())


def _with_pair(state, param_change, grad_change, memory):
    """``state`` with a new curvature pair, unless the pair is not convex."""
    curvature = param_change @ grad_change
    eps = np.finfo(grad_change.dtype).eps  # the pair's own precision
    if not curvature > eps * (grad_change @ grad_change):
        return state
    return state._replace(
        param_changes=(*state.param_changes, param_change)[-memory:],
        grad_changes=(*state.grad_changes, grad_change)[-memory:],
    )


class NewtonState(NamedTuple):
    """State of :class:`Newton`: where the last step ended, and its damping.

    ``end_params``, ``end_loss`` and ``end_grad`` are the point the last step
    accepted, with the loss and gradient there; ``stalled`` is True when no
    step from it decreased the loss; ``damping`` is the Levenberg-Marquardt
    damping the next step starts from (0: a full Newton step).
    """

    end_params: np.ndarray | None = None
    end_loss: float = np.nan
    end_grad: np.ndarray | None = None
    stalled: bool = False
    damping: float = 0.0


class Newton(Solver):
    r"""Newton's method, damped as Levenberg and Marquardt's, full batch.

    Each step solves for a Newton direction with a curvature matrix
    :math:`H(\theta_t)` of the objective, damped by :math:`\mu_t \ge 0`:

    .. math:: \theta_{t+1} = \theta_t - D (D H D + \mu_t I)^{-1} D\, g(\theta_t),
        \qquad D = \mathrm{diag}(|H_{jj}|^{-1/2}).

    :math:`H` comes from the training loop (``loss_grad.hessian``, see the
    protocol above). For a linear model it is the exact Hessian,
    :math:`X_a^\top W X_a` summed per block of raw outputs, with
    :math:`X_a = [X, 1]` and :math:`W` the weighted second derivatives of the
    NLL in the raw outputs (scikit-learn's "newton-cholesky" and
    statsmodels' Newton fits use the same matrix). For a model of your own
    that gives its Jacobian :math:`J`, it is the generalized Gauss-Newton
    matrix :math:`J^\top E[W] J`, the expected curvature of the NLL in the
    raw outputs carried to the parameters (Fisher scoring; Gauss-Newton for
    the normal): positive semi-definite, it needs no second derivative of
    the model. The scaling :math:`D` gives the system a unit diagonal, so
    that the units of the features and of each parameter do not matter
    (Marquardt's scaling, as MINPACK's ``lmder`` scales by the norms of the
    Jacobian's columns); the system is solved by a Cholesky factorization.
    Where that fails (:math:`H` is not positive definite, as the
    heteroscedastic normal's exact Hessian can be away from the optimum) or
    where the scaled matrix's condition number exceeds :math:`10^{10}` (it
    is singular, as the softmax's is without a penalty, its raw outputs
    being defined up to a common shift), the direction comes from the
    eigendecomposition :math:`D H D = \sum_i \lambda_i v_i v_i^\top`
    instead, each eigenvalue replaced by

    .. math::
        \mu_i = |\lambda_i| + \mu_t \text{ if } |\lambda_i| > 10^{-10}
        \lambda_{\max}, \text{ else } \lambda_{\max} + \mu_t, \qquad
        \lambda_{\max} = \max_i |\lambda_i|:

    directions of negative curvature are descended as if the curvature were
    positive, and directions without curvature take a gradient step of
    :math:`1/\lambda_{\max}`, so that a singular :math:`H` moves nothing
    along directions that do not change the loss (Nocedal and Wright, 2006,
    section 3.4).

    A step :math:`d` is accepted when the loss decreases by at least
    :math:`10^{-4}` of the decrease that the quadratic model
    :math:`g^\top d + \tfrac12 d^\top H d` predicts (or, where rounding
    blurs the loss, by the slope test of :class:`LBFGS`). Otherwise the
    damping grows (Nielsen's, 1999, schedule: :math:`10^{-3}`, then times 2,
    4, 8, ...), which shortens the step and turns it towards scaled
    gradient descent, and the step is tried again. After an accepted step
    the damping shrinks by up to 3 as the prediction proves good, and
    vanishes below :math:`10^{-10}`. From the first step, where it is 0,
    and near the optimum, the step is the full Newton (Gauss-Newton) step,
    and the convergence is quadratic (linear, at the rate of the residual
    curvature, for Gauss-Newton where the residuals do not vanish): a
    handful of steps reach the maximum-likelihood estimate to rounding.
    Far from it, the damping keeps steps where the quadratic model holds,
    as Levenberg-Marquardt does (MINPACK's, behind
    ``scipy.optimize.curve_fit``): a formula whose Jacobian is nearly
    singular along the way (an exponential that saturates, two terms that
    nearly cancel) is not thrown onto an asymptote by a step the model
    cannot support. Should no damping decrease the loss, the step stays,
    and so do the steps after it.

    Each step costs one curvature matrix (a pass over the data of about
    :math:`n\, p^2` flops for :math:`p` parameters, half that for a softmax
    of many classes, whose symmetric blocks are summed once each from the
    products of pairs of features; and :math:`p^3/3` for the
    factorization) besides the passes of its trials: use it on linear
    models with up to a few hundred parameters (features times raw outputs),
    where it is the fastest way to a precise optimum, and the natural fit
    before :func:`~skprob.inference.coef_inference`; and on models of your
    own with few parameters, where it is the robust one. It refuses models
    that give neither a Hessian nor a Jacobian (with hidden layers, use
    :class:`LBFGS`), and more than :data:`MAX_NEWTON_PARAMS` parameters,
    whose Hessian alone would take half a gibibyte. The training loop's step
    scale :math:`s` shortens only a step that does not continue the last
    one, as in :class:`LBFGS`. A step from a point whose gradient is below
    ``gtol`` in every component stays there, at no cost.

    Parameters
    ----------
    gtol : float, default=1e-10
        Largest gradient component at which the iteration stops moving.
        Tighter than :class:`LBFGS`'s 1e-8 at little cost: near the optimum
        a Newton step squares the gradient's norm, so the extra digits cost
        about one step. An estimator's ``solver="newton"`` lowers it to the
        estimator's ``tol`` when that is tighter.
    """

    batch_size = None
    needs_lipschitz = False
    _parameter_constraints = {"gtol": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, gtol=1e-10):
        self.gtol = gtol

    def init(self, params, lipschitz):
        if params.size > MAX_NEWTON_PARAMS:
            raise ValueError(
                f"solver='newton' forms the dense Hessian of the {params.size} "
                f"parameters ({params.size**2 * 8 / 2**30:.1f} GiB), and "
                f"refuses more than {MAX_NEWTON_PARAMS}: use solver='lbfgs', "
                "which needs no Hessian."
            )
        return NewtonState()

    def step(self, params, loss_grad, state, lr_scale):
        continues = params is state.end_params
        if continues:
            loss, grad = state.end_loss, state.end_grad
            if state.stalled:
                return params, loss, state
        else:
            loss, grad = loss_grad(params)
        if not np.abs(grad).max() > self.gtol:  # converged (a NaN moves on)
            return (
                params,
                loss,
                state._replace(end_params=params, end_loss=loss, end_grad=grad),
            )
        hessian = _hessian_function(loss_grad)(params)
        scale = 1.0 if continues else lr_scale
        accepted = _damped_search(
            params, loss, grad, hessian, loss_grad, scale, state.damping
        )
        if accepted is None:
            return params, loss, NewtonState(params, loss, grad, stalled=True)
        return accepted[0], loss, NewtonState(*accepted)


def _damped_search(params, loss, grad, hessian, loss_grad, scale, damping):
    """The first damping whose Newton step decreases the loss enough.

    Returns ``(params, loss, gradient, False, damping)`` at the accepted
    point, with the damping for the next step, or None if no damping
    decreased the loss. See :class:`Newton`.
    """
    rounding = _loss_rounding(params.dtype)
    growth = 2.0
    for _ in range(_MAX_BACKTRACKS):
        # Solved in float64 (the Hessian is), stepped in the parameters' dtype.
        direction = _newton_direction(hessian, grad, damping)
        direction = scale * direction.astype(grad.dtype, copy=False)
        slope = float(grad @ direction)
        if slope < 0.0:  # a descent direction: not NaN
            predicted = -(slope + 0.5 * float(direction @ hessian @ direction))
            if not predicted > 0.0:  # negative curvature along the step
                predicted = -0.5 * slope
            trial = params + direction
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                trial_loss, trial_grad = loss_grad(trial)
            ratio = (loss - trial_loss) / predicted
            if ratio >= _LBFGS_ARMIJO_FRACTION or _approximately_armijo(
                loss, slope, trial_loss, trial_grad @ direction, rounding
            ):
                return (
                    trial,
                    trial_loss,
                    trial_grad,
                    False,
                    _less_damping(damping, ratio),
                )
        damping = max(damping * growth, _MIN_DAMPING)
        growth *= 2.0
    return None


def _less_damping(damping, ratio):
    """Nielsen's (1999) update of the damping after an accepted step.

    The gain ratio is first rounded down to a sixteenth: it is a quotient of
    loss differences, which rounding blurs, and a damping that followed its
    last digits would steer integer weights and repeated rows onto
    different paths.
    """
    if not np.isfinite(ratio):
        return damping
    ratio = min(round(64.0 * ratio) / 64.0, 1.0)
    damping *= max(1.0 / 3.0, 1.0 - (2.0 * ratio - 1.0) ** 3)
    return damping if damping > _NEGLIGIBLE_DAMPING else 0.0


# The damping of the unit-diagonal system after the first rejected step, and
# below which it is dropped: rounding next to the unit diagonal.
_MIN_DAMPING = 1e-3
_NEGLIGIBLE_DAMPING = 1e-10


MAX_NEWTON_PARAMS = 8192
"""Most parameters :class:`Newton` takes: a dense Hessian of 512 MiB."""

# A Cholesky factor of the unit-diagonal Hessian is trusted up to this
# condition number; beyond it, and for eigenvalues below this fraction of the
# largest, the Hessian is treated as singular. Far above the rounding error
# of a singular Hessian's computed eigenvalues (about 1e-16 of the largest)
# and below the scaled condition numbers of real data (longley's raw columns:
# 2e9).
_MIN_RCOND = 1e-10


def _hessian_function(loss_grad):
    hessian = getattr(loss_grad, "hessian", None)
    if hessian is None:
        raise ValueError(
            "solver='newton' needs the Hessian of the objective "
            "(loss_grad.hessian), which the training loop gives only for a "
            "model with a hessian or a jacobian method: the built-in linear "
            "model (hidden_layer_sizes=() and no other model=), or a "
            "ParametricModel. For a network, use solver='lbfgs'."
        )
    return hessian


def _newton_direction(hessian, grad, damping=0.0):
    """``-H^{-1} g``, damped, or its modification where H is singular or indefinite.

    Solved on the Hessian scaled to a unit diagonal (see :class:`Newton`).
    """
    diagonal = np.abs(np.diag(hessian))
    scale = np.ones_like(diagonal)
    positive = diagonal > 0.0
    scale[positive] = 1.0 / np.sqrt(diagonal[positive])
    scaled = hessian * scale[:, None] * scale
    scaled_grad = grad * scale
    if not np.all(np.isfinite(scaled)):
        return -grad
    damped = scaled + damping * np.eye(len(scale)) if damping else scaled
    solution = _cholesky_solve(damped, scaled_grad)
    if solution is None:
        return -_modified_eigen_solve(scaled, scaled_grad, scale, damping)
    return -scale * solution


def _cholesky_solve(matrix, vector):
    """``matrix^{-1} vector`` by Cholesky, or None if not well conditioned."""
    try:
        factor = scipy.linalg.cho_factor(matrix, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    one_norm = np.abs(matrix).sum(axis=0).max()
    rcond, info = scipy.linalg.lapack.dpocon(factor[0], one_norm, uplo="U")
    if info != 0 or not rcond > _MIN_RCOND:
        return None
    return scipy.linalg.cho_solve(factor, vector, check_finite=False)


def _modified_eigen_solve(scaled, scaled_grad, scale, damping=0.0):
    """The modified Newton step of :class:`Newton`, in the original coordinates.

    ``scaled`` is ``D H D``, ``scaled_grad`` is ``D g`` and ``scale`` is the
    diagonal of D. The directions of ``D H D`` without curvature are, mapped
    back by D, those of H; the step solved in the scaled coordinates would
    have a component along them that it owes to the scaling alone (the
    minimum-norm solution there is not the one here), which is projected
    out: a singular H moves nothing along directions that do not change the
    loss.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(scaled)
    magnitude = np.abs(eigenvalues)
    largest = magnitude.max()
    if not largest > 0.0:
        return scale * scaled_grad
    flat = magnitude <= _MIN_RCOND * largest
    coordinates = eigenvectors.T @ scaled_grad
    curvature = magnitude[~flat] + damping
    curved = eigenvectors[:, ~flat] @ (coordinates[~flat] / curvature)
    curved *= scale
    flat_directions = scale[:, None] * eigenvectors[:, flat]
    if flat.any():
        basis = np.linalg.qr(flat_directions)[0]
        curved -= basis @ (basis.T @ curved)
    return curved + flat_directions @ (coordinates[flat] / (largest + damping))


SOLVERS = {
    "gd": GD,
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Momentum,
    "adam": Adam,
    "lbfgs": LBFGS,
    "newton": Newton,
}
"""Registry of the named solvers: ``solver="name"`` builds ``SOLVERS[name]``."""

_NAMED_DEFAULTS = {"nesterov": {"nesterov": True}}


def make_solver(name, **hyper_parameters):
    """Build a named solver from the estimator's flat hyper-parameters.

    Parameters the solver does not take are ignored, so every estimator can
    pass all of its solver settings.

    Parameters
    ----------
    name : str
        A key of :data:`SOLVERS`.
    **hyper_parameters
        Flat hyper-parameters, e.g. ``learning_rate`` or ``beta_1``.

    Returns
    -------
    solver : Solver
    """
    solver_class = SOLVERS[name]
    accepted = solver_class._get_param_names()
    kwargs = {k: v for k, v in hyper_parameters.items() if k in accepted}
    kwargs.update(_NAMED_DEFAULTS.get(name, {}))
    return solver_class(**kwargs)


def batch_size_of(solver, n_samples):
    """Rows per step for ``solver`` on ``n_samples`` rows."""
    batch_size = getattr(solver, "batch_size", None)
    if batch_size is None:
        return n_samples
    if batch_size == "auto":
        return min(AUTO_BATCH_SIZE, n_samples)
    return int(np.clip(batch_size, 1, n_samples))
