"""The distribution protocol's base class and the helpers it shares."""

import numpy as np


def _weighted_mean(values, sample_weight):
    return np.average(values, axis=0, weights=sample_weight)


def _sum_over_outputs(values):
    """A row's NLL from its outputs' of shape (n_samples, k): they add up."""
    return values[:, 0] if values.shape[1] == 1 else values.sum(axis=1)


def _diagonal_blocks(values, n_raw):
    """Per-row Hessian blocks of shape (n, n_raw, n_raw) with a given diagonal."""
    hessian = np.zeros((values.shape[0], n_raw, n_raw))
    diagonal = np.arange(n_raw)
    hessian[:, diagonal, diagonal] = values
    return hessian


class Distribution:
    """Base class of the distributions, mapping raw outputs to an NLL.

    Subclasses define ``n_raw``, ``curvature``, :meth:`nll_gradient`,
    :meth:`raw_at_marginal_mle` and :meth:`frozen`, and, for Newton's method
    and the standard errors of :mod:`skprob.inference`, :meth:`hessian`.

    Attributes
    ----------
    n_raw : int
        Number of raw outputs per sample the model has to predict.
    n_outputs : int or None
        Number of columns of a 2-D target, or None for a 1-D target.
    curvature : float
        An upper bound on the second derivative of the NLL with respect to the
        raw outputs, near the start of training. Step-size heuristics multiply
        it with the model's own curvature to estimate a Lipschitz constant.
    shift_invariant : bool
        True when adding one constant to all raw outputs of a sample leaves
        its NLL unchanged (a softmax), so that the raw outputs are identified
        only relative to one of them; False here.
    """

    n_raw = 1
    n_outputs = None
    curvature = 1.0
    shift_invariant = False

    @property
    def _k(self):
        """The number of outputs, 1 for a 1-D target."""
        return 1 if self.n_outputs is None else self.n_outputs

    def _columns(self, y):
        """The target as a 2-D array of shape (n_samples, k)."""
        return y[:, None] if self.n_outputs is None else y

    def nll(self, y, raw):
        """Per-sample negative log-likelihood.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Observed targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            Summed over the outputs of a 2-D target.
        """
        return self.nll_gradient(y, raw)[0]

    def nll_gradient(self, y, raw):  # pragma: no cover - abstract
        """Per-sample NLL and its gradient with respect to ``raw``."""
        raise NotImplementedError

    def hessian(self, y, raw):  # pragma: no cover - abstract
        """Per-sample second derivatives of the NLL with respect to ``raw``.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Observed targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw model outputs.

        Returns
        -------
        hessian : ndarray of shape (n_samples, n_raw, n_raw)
            One symmetric block per sample; zero between two outputs.
        """
        raise NotImplementedError(f"{type(self).__name__} gives no Hessian.")

    def expected_hessian(self, y, raw):
        """The expected value of :meth:`hessian` over y drawn at ``raw``.

        The Fisher information of the raw outputs, positive semi-definite,
        of shape ``(n_samples, n_raw, n_raw)``: the per-row weight of the
        generalized Gauss-Newton matrix with which ``solver="newton"`` fits
        a model given by its Jacobian (Fisher scoring). Here
        :meth:`hessian` itself, which is its own expectation wherever it
        does not depend on y (the normal's, the Bernoulli's, the
        categorical's); a distribution whose observed Hessian can be
        indefinite overrides it.
        """
        return self.hessian(y, raw)

    def dispersion(self, y, raw, sample_weight):
        """The factor by which :meth:`nll` exceeds the true NLL.

        :meth:`nll` is the negative log-likelihood up to an additive constant
        and this positive factor, at the maximum-likelihood estimate of any
        parameter that the raw outputs do not carry. 1.0 here: the NLL is
        exact. Standard errors divide :meth:`hessian` by it to get the
        observed information.
        """
        return 1.0

    def raw_at_marginal_mle(self, y, sample_weight):  # pragma: no cover
        """Raw outputs of the best constant model: the marginal MLE of y."""
        raise NotImplementedError

    def curvature_ratio(self, y, raw, weight):
        """Curvature at ``raw`` relative to :attr:`curvature`.

        1.0 for the distributions whose curvature is bounded by
        :attr:`curvature` everywhere; step-size heuristics scale with it.
        """
        return 1.0

    def separates(self, y, raw):
        """Whether ``raw`` ranks every observed class first, strictly.

        Then the likelihood has no maximum: scaling ``raw`` up raises it
        without end. Never for a continuous target.
        """
        return False

    def frozen(self, raw):  # pragma: no cover - abstract
        """The predicted distributions as a frozen ``scipy.stats`` object."""
        raise NotImplementedError

    def target_affine(self, loc, scale):
        """Map raw outputs for ``(y - loc) / scale`` to raw outputs for ``y``.

        Returns ``(shift, factor)``, each of shape ``(n_raw,)``, such that the
        raw outputs on the original scale are ``shift + factor * raw``.
        ``loc`` and ``scale`` are floats, or arrays of shape ``(n_outputs,)``
        (one per output) for a 2-D target. Only location-scale families
        support a standardized target.
        """
        raise NotImplementedError(f"{type(self).__name__} has no target scale.")
