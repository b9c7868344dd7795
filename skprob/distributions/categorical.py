"""The categorical distribution of a multiclass target, and its frozen form."""

import math

import numpy as np
from scipy import stats
from scipy.special import logsumexp, softmax
from sklearn.utils import check_random_state

from ._base import Distribution


class Categorical(Distribution):
    r"""Categorical distribution over K classes.

    Domain: :math:`y \in \{0, \dots, K-1\}`. Link:
    :math:`\lambda = \mathrm{softmax}(z)` over K raw outputs (a true
    multinomial model, not one-vs-rest). The NLL is the multiclass
    cross-entropy, computed with log-sum-exp:

    .. math::
        \ell = \log \sum_k e^{z_k} - z_y, \qquad
        \partial \ell / \partial z_k = \mathrm{softmax}_k(z) - [y = k],

    and with :math:`\lambda = \mathrm{softmax}(z)` the second derivatives are
    :math:`\partial^2 \ell / \partial z_j \partial z_k
    = \lambda_j [j = k] - \lambda_j \lambda_k`, a block that does not depend
    on y. Adding a constant to every :math:`z_k` leaves :math:`\ell`
    unchanged, so each block maps the vector of ones to zero: the raw outputs
    are identified only up to a common shift (:attr:`shift_invariant`).

    Parameters
    ----------
    n_classes : int
        Number of classes K.
    """

    # The Hessian of log-sum-exp has eigenvalues at most 1/2.
    mean_link = "softmax"
    curvature = 0.5
    shift_invariant = True
    support = "class codes 0, ..., K - 1"

    @property
    def parameter_names(self):
        """One score per class: the log-probabilities up to a shared shift."""
        return tuple(f"score_{k}" for k in range(self.n_classes))

    def __init__(self, n_classes):
        self.n_classes = n_classes

    @property
    def n_raw(self):
        return self.n_classes

    def nll_gradient(self, y, raw):
        n_samples, n_classes = raw.shape
        # Flat positions of the observed classes in the (n_samples, K) arrays.
        observed = np.arange(0, n_samples * n_classes, n_classes)
        observed += y.astype(np.intp, copy=False)
        # One exp of shifted scores serves both the log-sum-exp and the
        # softmax (scipy's logsumexp spends ~100 us per call on input checks,
        # several times the arithmetic of a mini-batch). Shifted by the
        # observed class's score, the observed term is exactly 1 and the NLL
        # is log1p of the other classes' sum, summed apart: it and the
        # gradient -others / (1 + others) keep their precision where the
        # observed probability rounds to 1 (1 - p would cancel). Picking one
        # score per row is also far cheaper than NumPy's row maximum over a
        # few classes. A score far above the observed one overflows; only then
        # are the rows shifted by their maximum instead.
        shifted = raw - raw.ravel()[observed][:, None]
        with np.errstate(over="ignore"):
            gradient = np.exp(shifted)
        gradient.ravel()[observed] = 0.0
        others = gradient @ np.ones(n_classes, dtype=raw.dtype)
        if math.isfinite(others.max()):
            nll = np.log1p(others)
            sum_exp = others + 1.0
        else:
            shifted = raw - raw.max(axis=1, keepdims=True)
            gradient = np.exp(shifted)
            observed_exp = gradient.ravel()[observed]
            gradient.ravel()[observed] = 0.0
            others = gradient.sum(axis=1)
            sum_exp = others + observed_exp
            nll = np.log(sum_exp) - shifted.ravel()[observed]
        gradient /= sum_exp[:, None]
        gradient.ravel()[observed] = -others / sum_exp
        return nll, gradient

    def separates(self, y, raw):
        observed = raw[np.arange(len(y)), y.astype(np.intp)]
        others = raw.copy()
        others[np.arange(len(y)), y.astype(np.intp)] = -np.inf
        return bool(np.all(observed > others.max(axis=1)))

    def hessian(self, y, raw):
        n_samples, n_classes = raw.shape
        exp_shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
        # 1 - lambda_k is the sum of the other classes' shares, summed as
        # such: for the largest class, where lambda_k may round to 1, apart
        # from it (1 - lambda_k would cancel); for the others, whose
        # complement is at least the largest share, as the total minus theirs.
        largest = exp_shifted.argmax(axis=1)
        rows = np.arange(n_samples)
        exp_shifted[rows, largest] = 0.0
        others_of_largest = exp_shifted.sum(axis=1)
        total = others_of_largest + 1.0
        complement = total[:, None] - exp_shifted
        complement[rows, largest] = others_of_largest
        exp_shifted[rows, largest] = 1.0
        proba = exp_shifted / total[:, None]
        hessian = -proba[:, :, None] * proba[:, None, :]
        diagonal = np.arange(n_classes)
        hessian[:, diagonal, diagonal] = proba * (complement / total[:, None])
        return hessian

    def raw_at_marginal_mle(self, y, sample_weight):
        counts = np.bincount(
            y.astype(np.intp), weights=sample_weight, minlength=self.n_classes
        )
        log_freq = np.log(np.maximum(counts / counts.sum(), 1e-12))
        return log_freq - log_freq.mean()

    def proba(self, raw):
        """Class probabilities, of shape (n_samples, K)."""
        return softmax(raw, axis=1)

    def log_proba(self, raw):
        """Log of :meth:`proba`, computed with log-sum-exp."""
        return raw - logsumexp(raw, axis=1, keepdims=True)

    def frozen(self, raw):
        return OneHotCategorical(self.proba(raw))


class OneHotCategorical:
    r"""Frozen categorical distributions over one-hot outcomes, one per row.

    What :meth:`SoftmaxClassifier.predict_dist
    <skprob.SoftmaxClassifier.predict_dist>` returns. It is
    ``scipy.stats.multinomial(1, p)`` (the same outcomes, one-hot vectors of
    length K, and the same methods, computed by scipy), made to work with one
    distribution per row: scipy's own ``rvs`` fails for a 2-D ``p``, and
    scipy gives no ``var`` or ``std``.

    There is no ``cdf``, ``ppf`` or ``interval``: the classes have no order,
    so a categorical distribution has no quantiles. The counterpart of an
    interval is a set of classes; the probabilities in :meth:`mean` give it.

    Parameters
    ----------
    p : array-like of shape (n_samples, n_classes)
        Class probabilities of each row, in the order of the classifier's
        ``classes_``; each row sums to 1.

    Attributes
    ----------
    p : ndarray of shape (n_samples, n_classes)
        The class probabilities.
    n : int
        Number of trials, always 1 (as in ``scipy.stats.multinomial``).

    See Also
    --------
    scipy.stats.multinomial : the distribution for one row.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import OneHotCategorical
    >>> dist = OneHotCategorical([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]])
    >>> dist.mean()
    array([[0.2 , 0.8 , 0.  ],
           [0.5 , 0.25, 0.25]])
    >>> y_codes = np.array([1, 0])  # indices into classes_
    >>> np.round(dist.logpmf(np.eye(3)[y_codes]), 4)
    array([-0.2231, -0.6931])
    >>> dist.rvs(random_state=0).shape
    (2, 3)
    """

    n = 1

    def __init__(self, p):
        p = np.asarray(p)
        # float32 probabilities (a float32 fit's) stay float32; scipy gets
        # them in float64, renormalized: it wants rows that sum to 1 within
        # float64's rounding.
        self.p = p if p.dtype == np.float32 else p.astype(np.float64)
        scipy_p = self.p
        if self.p.dtype == np.float32:
            scipy_p = self.p.astype(np.float64)
            scipy_p /= scipy_p.sum(axis=-1, keepdims=True)
        self._scipy = stats.multinomial(1, scipy_p)

    def mean(self):
        """Expected one-hot vector: the class probabilities, (n_samples, K)."""
        return self.p.copy()

    def var(self):
        """Variance of each class indicator, ``p * (1 - p)``, (n_samples, K)."""
        return self.p * (1.0 - self.p)

    def std(self):
        """Standard deviation of each class indicator, (n_samples, K)."""
        return np.sqrt(self.var())

    def cov(self):
        """Covariance of the one-hot vector, of shape (n_samples, K, K)."""
        return self._scipy.cov()

    def pmf(self, x):
        """Probability of one-hot outcomes ``x`` of shape (n_samples, K)."""
        return self._scipy.pmf(x)

    def logpmf(self, x):
        """Log-probability of one-hot outcomes ``x`` of shape (n_samples, K)."""
        return self._scipy.logpmf(x)

    def entropy(self):
        """Entropy of each row's distribution, in nats, (n_samples,)."""
        return self._scipy.entropy()

    def rvs(self, size=None, random_state=None):
        """Draw one-hot outcomes, one per row (and per draw).

        Parameters
        ----------
        size : int or tuple of int, default=None
            Number (shape) of draws of the whole batch of rows.
        random_state : None, int, RandomState or Generator, default=None
            Source of randomness; an int makes the draws reproducible.

        Returns
        -------
        x : ndarray of shape (\\*size, n_samples, n_classes)
            One-hot outcomes, integers.
        """
        shape = () if size is None else tuple(np.atleast_1d(size))
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)
        uniform = random_state.random(shape + (self.p.shape[0], 1))
        # Inverse-CDF draw: the first class whose cumulative probability
        # exceeds the uniform; min() guards against rows summing to 1 - eps.
        codes = (uniform >= np.cumsum(self.p, axis=1)).sum(axis=-1)
        codes = np.minimum(codes, self.p.shape[1] - 1)
        return np.eye(self.p.shape[1], dtype=np.int64)[codes]
