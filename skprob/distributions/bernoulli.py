"""The Bernoulli distribution of a binary (or multilabel) target."""

import numpy as np
from scipy import stats
from scipy.special import expit, log_expit

from ._base import Distribution, _diagonal_blocks, _sum_over_outputs, _weighted_mean


class Bernoulli(Distribution):
    r"""Bernoulli distribution for a binary target.

    Domain: :math:`y \in \{0, 1\}`. Link: :math:`\lambda = \mathrm{sig}(z)`,
    the probability of class 1. The NLL is the binary cross-entropy, computed
    with log-sigmoids so that it never takes the log of a rounded zero:

    .. math::
        \ell = -y \log \mathrm{sig}(z) - (1 - y) \log \mathrm{sig}(-z),
        \qquad \partial \ell / \partial z = \mathrm{sig}(z) - y,
        \qquad \partial^2 \ell / \partial z^2
            = \mathrm{sig}(z)\, \mathrm{sig}(-z).

    With ``n_outputs=k``, k independent Bernoullis, a multilabel target: y
    is an indicator matrix of shape ``(n_samples, k)``, the raw outputs are
    the k log-odds, and a row's NLL is the sum of the k cross-entropies.

    Parameters
    ----------
    n_outputs : int, default=None
        Number of labels of a multilabel target; None for a 1-D target.
    """

    mean_link = "logistic"
    curvature = 0.25
    parameter_names = ("p",)
    support = "{0, 1}"

    def _in_support(self, y):
        return (y == 0) | (y == 1)

    def __init__(self, n_outputs=None):
        self.n_outputs = n_outputs

    @property
    def n_raw(self):
        return self._k

    def nll_gradient(self, y, raw):
        # For y in {0, 1} one of the two terms is an exact zero, so with
        # s = 2y - 1 the NLL is -log sig(s z) = log(1 + exp(-s z)), one
        # (stable) log-sum-exp. Its gradient sig(z) - y is -s sig(-s z):
        # computed so, it keeps its precision where sig(z) rounds to y
        # (1 - sig(z) would cancel).
        # Both come from one exp: with m the negative margin and
        # e = exp(-|m|) in (0, 1], log(1 + exp(m)) = max(m, 0) + log1p(e),
        # and sig(m) is 1 / (1 + e) for m >= 0, e / (1 + e) otherwise: no
        # overflow, no cancellation. np.logaddexp and expit take as long in
        # float32 as in float64 (4 to 7 ms on 200 000 rows); these loops take
        # a third less in float64 and two thirds less in float32, for about
        # 1.5 us more per call on a mini-batch of 200 rows (7 against 5.5).
        neg_sign = 1.0 - 2.0 * self._columns(y)
        neg_margin = neg_sign * raw
        shrink = np.exp(-np.abs(neg_margin))
        nll = np.maximum(neg_margin, 0.0)
        nll += np.log1p(shrink)
        gradient = np.where(neg_margin >= 0.0, neg_sign, neg_sign * shrink)
        gradient /= 1.0 + shrink
        return _sum_over_outputs(nll), gradient

    def separates(self, y, raw):
        """Whether ``raw`` separates the classes of one output, or more.

        One separated output is enough: its log-odds then grow without end.
        """
        margin = (2.0 * self._columns(y) - 1.0) * raw
        return bool(np.any(np.all(margin > 0.0, axis=0)))

    def hessian(self, y, raw):
        # sig(z) sig(-z), not p (1 - p): it keeps its precision where p
        # rounds to 0 or 1.
        return _diagonal_blocks(expit(raw) * expit(-raw), self._k)

    def raw_at_marginal_mle(self, y, sample_weight):
        p = np.clip(_weighted_mean(y, sample_weight), 1e-12, 1 - 1e-12)
        return np.atleast_1d(np.log(p) - np.log1p(-p))

    def proba(self, raw):
        """Class probabilities, of shape (n_samples, 2): 1 - lambda, lambda.

        For a multilabel target, the probability of each label instead,
        lambda, of shape (n_samples, n_outputs), as scikit-learn's
        MLPClassifier gives them.
        """
        if self.n_outputs is not None:
            return expit(raw)
        # expit(-z), not 1 - expit(z), which rounds to 0 once z > 37 and
        # would disagree with log_proba.
        z = raw[:, 0]
        return np.column_stack([expit(-z), expit(z)])

    def log_proba(self, raw):
        """Log of :meth:`proba`, computed stably."""
        if self.n_outputs is not None:
            return log_expit(raw)
        z = raw[:, 0]
        return np.column_stack([log_expit(-z), log_expit(z)])

    def parameters(self, raw):
        return {"p": expit(raw[:, 0] if self.n_outputs is None else raw)}

    def frozen(self, raw):
        if self.n_outputs is not None:
            return stats.bernoulli(expit(raw))
        return stats.bernoulli(expit(raw[:, 0]))
