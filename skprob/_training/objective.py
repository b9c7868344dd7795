"""The training objective: step 1 (distribution) composed with step 2 (model).

The weighted mean NLL plus an L2 penalty, with its gradient, over all the
rows (:class:`Objective`), over one mini-batch as a solver sees it
(:class:`BatchObjective`), or anchored at a full-batch snapshot
(:class:`VarianceReducedBatch`).

Conventions
-----------
The objective over n rows with sample weights w is

    sum_i w_i * nll_i / sum_i w_i + alpha / 2 * ||weights||^2,

intercepts not penalized, on the scale of the model as the solver fits it.
The regressors fit a standardized target ``(y - mean) / std``, so their
weights are those of the standardized problem: on the scale of ``coef_``,
GaussianRegressor's objective is proportional to that of
``Ridge(alpha=alpha * sum(w))`` (the same minimum), and
HeteroscedasticRegressor's penalty is
``alpha / 2 * (||coef_[0]||^2 / std^2 + ||coef_[1]||^2)``; the user guide's
"The objective skprob minimizes" derives both.

A mini-batch B stands for the objective with weights
``w_i / (mean(w) * |B|)``: an unbiased estimate whose batch losses, weighted by
``|B| / n``, add up to exactly the full objective over one epoch.

A fit computes in the precision of its parameters, float32 for float32 X:
gradients, raw outputs and the solver's state are float32, but the weights
stay float64 and the loss is summed in float64 (:func:`weighted_sum`); the
gradient test's ``tol`` is floored at what float32 can certify
(:func:`~skprob._training.convergence.gradient_tol`).
"""

import numpy as np

from ..models.parametric import full_jacobian


class Objective:
    """Weighted mean NLL of ``distribution`` composed with ``model``, plus L2.

    Parameters
    ----------
    distribution : skprob.distributions.Distribution
        Maps raw outputs to the per-sample NLL and its gradient.
    model : skprob.models.Model
        Maps parameters and X to raw outputs, and back-propagates.
    alpha : float
        Strength of the L2 penalty ``alpha / 2 * ||weights||^2``.
    """

    def __init__(self, distribution, model, alpha):
        self.distribution = distribution
        self.model = model
        self.alpha = alpha
        self._penalty_mask = model.penalty_mask

    def penalty(self, params):
        """The L2 penalty and its gradient."""
        if self._penalty_mask.dtype != params.dtype:  # a float32 fit
            self._penalty_mask = self._penalty_mask.astype(params.dtype)
        weights = params * self._penalty_mask
        return 0.5 * self.alpha * float(weights @ weights), self.alpha * weights

    def loss_gradient(self, params, X, y, weight):
        """Objective, gradient and the raw outputs at ``params``.

        ``weight`` is already normalized, and float64: the loss is summed in
        float64 whatever the precision of the fit (see :func:`weighted_sum`).
        The raw outputs let a caller ask the distribution for its curvature
        there, only when it needs it.
        """
        raw, cache = self.model.forward(params, X)
        nll, grad_raw = self.distribution.nll_gradient(y, raw)
        grad_raw *= weight.astype(grad_raw.dtype, copy=False)[:, None]
        grad = self.model.backward(params, cache, grad_raw)
        loss = weighted_sum(weight, nll)
        if self.alpha:  # the penalty costs several vector operations per step
            penalty, grad_penalty = self.penalty(params)
            loss += penalty
            grad += grad_penalty
        return loss, grad, raw

    @property
    def has_hessian(self):
        """Whether the objective offers curvature to a second-order solver.

        The exact Hessian of a model that gives one (a linear model), or
        the generalized Gauss-Newton matrix of a model that gives its
        Jacobian (:meth:`hessian`).
        """
        return hasattr(self.model, "hessian") or hasattr(self.model, "jacobian")

    def hessian(self, params, X, y, weight):
        """Hessian of the objective, with ``weight`` already normalized.

        For a model without a ``hessian`` but with a ``jacobian`` (a model
        of your own), the generalized Gauss-Newton matrix
        ``sum_i J_i.T @ E[H_i] @ J_i`` instead, with ``J_i`` the row's
        Jacobian and ``E[H_i]`` the expected Hessian of its NLL in the raw
        outputs (:meth:`~skprob.distributions.Distribution.expected_hessian`):
        positive semi-definite, it drops the second derivatives of the model
        and keeps the curvature the likelihood gives (Fisher scoring;
        Gauss-Newton for the normal).
        """
        if not hasattr(self.model, "hessian"):
            hessian = self.information(params, X, y, weight)
        else:
            raw = self.model.predict_raw(params, X)
            # In the precision of the fit, as its data: the model sums the
            # rows' blocks in matrix products of chunks of rows, and the
            # chunks into a float64 Hessian, which Newton's method solves
            # in float64.
            hessian_raw = self.distribution.hessian(y, raw)
            hessian_raw = hessian_raw.astype(raw.dtype, copy=False)
            hessian_raw *= weight[:, None, None]
            hessian = self.model.hessian(params, X, hessian_raw)
        if self.alpha:
            hessian[np.diag_indices_from(hessian)] += self.alpha * self._penalty_mask
        return hessian

    def information(self, params, X, y, weight):
        """The generalized Gauss-Newton matrix of the mean NLL, unpenalized.

        ``sum_i w_i J_i.T @ E[H_i] @ J_i`` in float64, from the model's
        ``jacobian`` (see :meth:`hessian`): the Fisher information of the
        parameters per unit weight, for a model of your own.
        """
        raw = self.model.predict_raw(params, X)
        jacobian = full_jacobian(self.model, params, X, raw.shape[1])
        hessian_raw = self.distribution.expected_hessian(y, raw)
        hessian_raw = hessian_raw * np.asarray(weight, np.float64)[:, None, None]
        weighted = np.einsum("ikl,ilj->ikj", hessian_raw, jacobian)
        return np.tensordot(jacobian, weighted, axes=([0, 1], [0, 1]))

    def loss(self, params, X, y, weight):
        """Objective alone, with ``weight`` already normalized."""
        raw = self.model.predict_raw(params, X)
        nll = self.distribution.nll(y, raw)
        return weighted_sum(weight, nll) + self.penalty(params)[0]

    def mean_nll(self, params, X, y, sample_weight):
        """Weighted mean NLL without the penalty, e.g. on validation data."""
        raw = self.model.predict_raw(params, X)
        return np.average(self.distribution.nll(y, raw), weights=sample_weight)

    @property
    def seeks_optimum(self):
        """Whether the fit runs to the gradient test, or to a plateau.

        The model's ``stopping`` says (see :mod:`skprob.models`): "gradient"
        for a linear model or a smooth parametric one, "plateau" for a
        network.
        """
        return getattr(self.model, "stopping", "gradient") == "gradient"

    def lipschitz(self, X, sample_weight, batch_size):
        """Estimate of the gradient's Lipschitz constant on one batch.

        None when the model offers no curvature estimate.
        """
        curvature = getattr(self.model, "curvature", None)
        if curvature is None:
            return None
        return self.lipschitz_from_curvature(curvature(X, sample_weight, batch_size))

    def lipschitz_from_curvature(self, model_curvature):
        """The Lipschitz estimate, given the model's curvature on the batch."""
        return self.distribution.curvature * model_curvature + self.alpha


def weighted_sum(weight, values):
    """``weight @ values`` summed in float64, as a Python float.

    A float32 fit computes the per-sample NLLs in float32, each rounded at
    float32's relative precision (6e-8); a float32 accumulator would add an
    error of its own that grows with the number of rows. scikit-learn's
    losses sum in float64 too.
    """
    return float(np.dot(weight, values.astype(np.float64, copy=False)))


class BatchObjective:
    """The objective on one mini-batch, as a solver sees it.

    Calling it returns ``(loss, gradient)`` at given parameters; :meth:`loss`
    returns the loss alone; ``lipschitz`` is the Lipschitz estimate at the
    parameters of the last call (the start estimate scaled by the
    distribution's change of curvature), or None; ``hessian`` is a function
    that returns the Hessian at given parameters, or None when the model
    gives none (a neural network).
    """

    def __init__(self, objective, X, y, weight, lipschitz):
        self._objective = objective
        self._data = (X, y, weight)
        self._start_lipschitz = lipschitz
        self._last_raw = None
        self._lipschitz = lipschitz
        # (params, loss, gradient) of every call: the training loop reads
        # the gradient test off them, without a pass of its own.
        self.evaluations = []

    def __call__(self, params):
        loss, grad, self._last_raw = self._objective.loss_gradient(params, *self._data)
        self._lipschitz = None  # stale: recomputed on the next read
        self.evaluations.append((params, loss, grad))
        return loss, grad

    @property
    def lipschitz(self):
        # Computed on demand, once per call: solvers that never read it (Adam)
        # skip the distribution's curvature pass over the batch.
        if self._lipschitz is None and self._start_lipschitz is not None:
            _, y, weight = self._data
            ratio = self._objective.distribution.curvature_ratio(
                y, self._last_raw, weight
            )
            self._lipschitz = self._start_lipschitz * ratio
        return self._lipschitz

    def loss(self, params):
        return self._objective.loss(params, *self._data)

    @property
    def hessian(self):
        if not self._objective.has_hessian:
            return None
        return self._hessian

    def _hessian(self, params):
        return self._objective.hessian(params, *self._data)


class VarianceReducedBatch:
    r"""A mini-batch objective whose noise vanishes at the optimum (SVRG).

    With an anchor :math:`\tilde\theta` where the full objective
    :math:`F` and its gradient are known, the batch objective :math:`L_B`
    becomes

    .. math::
        \psi_B(\theta) = L_B(\theta) - L_B(\tilde\theta) + F(\tilde\theta)
        + (\nabla F(\tilde\theta) - \nabla L_B(\tilde\theta))^\top
        (\theta - \tilde\theta),

    an unbiased estimate of :math:`F(\theta)` over the batches, as
    :math:`L_B` is, whose gradient
    :math:`\nabla L_B(\theta) - \nabla L_B(\tilde\theta) + \nabla F(\tilde\theta)`
    differs from the full gradient by an error that shrinks to zero as
    :math:`\theta` and the anchor approach the optimum (Johnson and Zhang,
    2013). A stochastic solver then converges to the exact optimum instead
    of rattling around it at the noise floor of its step size. It costs one
    more gradient of the batch per step, at the anchor, and one full-batch
    pass per epoch. The solver sees the same protocol as for a plain batch.

    Each variance-reduced epoch ends at the mean of its iterates, the
    anchor of the next (Johnson and Zhang's analysis takes a random iterate
    of the epoch, whose expectation is this mean; their experiments take
    the last). A solver whose steps keep their length as the gradient
    vanishes, as Adam's normalized steps do, circles the optimum at about
    that length, and the mean of the circle is much nearer the optimum than
    any point of it. On the benchmarks' W1 and W2 (``alpha=0``, the other
    settings at their defaults), Adam's fits to the gradient test went from
    36 and 24 epochs to 5 and 7; SGD's from 9 and 8 to 4 and 10, momentum's
    from 9 and 7 to 5 and 10, Nesterov's from 8 and 7 to 5 and 10.
    """

    def __init__(self, batch, anchor, anchor_loss, anchor_gradient):
        self._batch = batch
        self._anchor = anchor
        batch_loss, batch_gradient = batch(anchor)
        self._loss_shift = anchor_loss - batch_loss
        self._gradient_shift = anchor_gradient - batch_gradient
        batch.evaluations.clear()

    def _linear_term(self, params):
        return self._loss_shift + self._gradient_shift @ (params - self._anchor)

    def __call__(self, params):
        loss, grad = self._batch(params)
        return loss + self._linear_term(params), grad + self._gradient_shift

    def loss(self, params):
        return self._batch.loss(params) + self._linear_term(params)

    @property
    def lipschitz(self):
        return self._batch.lipschitz

    @property
    def evaluations(self):
        return self._batch.evaluations


def full_batch_objective(objective, X, y, sample_weight):
    """The objective over all the rows, as a batch objective.

    Rows on a Dask cluster (:class:`skprob._dask.ClusterData`, with ``y``
    and ``sample_weight`` None) evaluate it where they live.
    """
    cluster_batch = getattr(X, "batch_objective", None)
    if cluster_batch is not None:
        return cluster_batch(objective, None)
    return BatchObjective(objective, X, y, sample_weight / sample_weight.sum(), None)
