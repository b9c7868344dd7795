"""Checks of a distribution against the protocol, finite differences and scipy."""

import numpy as np
from sklearn.utils import check_random_state

from .categorical import OneHotCategorical


def check_distribution(
    distribution, y, raw=None, *, random_state=0, rtol=1e-5, n_draws=100000
):
    """Check a distribution against the protocol, numerically and against scipy.

    At raw outputs near the marginal MLE of ``y`` (or at ``raw``), checks:

    - that ``y`` passes :meth:`check_target`, and the shapes and finiteness
      of ``nll_gradient`` and ``hessian``;
    - the NLL against ``-logpdf`` (or ``-logpmf``) of ``frozen(raw)``, up to
      one additive constant for all rows (the built-in least-squares
      :class:`Normal` leaves out :math:`\\tfrac12 \\log 2\\pi`);
    - the gradient against central finite differences of the NLL;
    - an "observed" Hessian against finite differences of the gradient; an
      "expected" one (the Fisher information) against Monte Carlo means over
      ``n_draws`` targets drawn from ``frozen(raw)`` for three rows, within
      six standard errors, of the outer product of the gradient and of the
      observed Hessian (finite differences of the gradient); this checks
      also that the gradient has mean zero there. Both kinds must be
      symmetric, and an expected one positive semi-definite;
    - ``mean(raw)`` against ``frozen(raw).mean()``;
    - that ``raw_at_marginal_mle`` is a minimum of the weighted mean NLL of a
      constant raw vector: no small move of one raw output lowers it.

    Parameters
    ----------
    distribution : Distribution
        The distribution to check.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets inside the distribution's domain; a few dozen rows suffice.
    raw : array-like of shape (n_samples, n_raw), default=None
        Where to check the derivatives; by default the marginal MLE plus a
        random perturbation of standard deviation 0.3 per entry.
    random_state : int, RandomState instance or None, default=0
        Seeds the perturbation and the Monte Carlo draws.
    rtol : float, default=1e-5
        Largest accepted relative error of a finite-difference comparison.
    n_draws : int, default=100000
        Targets drawn per row for the expected Hessian.

    Raises
    ------
    AssertionError
        Naming the distribution and what failed, with the discrepancy.

    Examples
    --------
    >>> import numpy as np
    >>> from skprob.distributions import Poisson, check_distribution
    >>> check_distribution(Poisson(), np.array([0, 1, 1, 2, 3, 5, 8]))

    A wrong gradient does not pass:

    >>> class Wrong(Poisson):
    ...     def nll_gradient(self, y, raw):
    ...         nll, grad = super().nll_gradient(y, raw)
    ...         return nll, 1.01 * grad
    >>> y = np.array([0, 1, 1, 2, 3, 5, 8])
    >>> check_distribution(Wrong(), y)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: Wrong().nll_gradient disagrees with finite differences ...
    """
    name = repr(distribution)
    rng = check_random_state(random_state)
    y = np.asarray(y)
    distribution.check_target(y)
    weight = np.ones(y.shape[0])
    start = np.asarray(distribution.raw_at_marginal_mle(y, weight), dtype=np.float64)
    if raw is None:
        raw = start + 0.3 * rng.standard_normal((y.shape[0], distribution.n_raw))
    raw = np.asarray(raw, dtype=np.float64)
    nll, grad = distribution.nll_gradient(y, raw)
    _check_shape(nll, (y.shape[0],), f"{name}.nll_gradient's nll")
    _check_shape(grad, raw.shape, f"{name}.nll_gradient's gradient")
    _check_scipy_nll(distribution, name, y, raw, nll)
    _check_gradient(distribution, name, y, raw, grad, rtol)
    hessian = np.asarray(distribution.hessian(y, raw))
    _check_shape(hessian, raw.shape + raw.shape[1:], f"{name}.hessian")
    if not np.allclose(hessian, hessian.transpose(0, 2, 1), rtol=1e-12, atol=0.0):
        raise AssertionError(f"{name}.hessian is not symmetric.")
    if distribution.hessian_kind == "expected":
        _check_expected_hessian(distribution, name, raw, hessian, rng, n_draws)
    else:
        _check_observed_hessian(distribution, name, y, raw, hessian, rtol)
    _check_mean(distribution, name, raw)
    _check_marginal_mle(distribution, name, y, start)


def _check_shape(values, shape, what):
    values = np.asarray(values)
    if values.shape != tuple(shape):
        raise AssertionError(f"{what} has shape {values.shape}; expected {shape}.")
    if not np.all(np.isfinite(values)):
        raise AssertionError(f"{what} is not finite.")


def _scipy_log_likelihood(frozen, y):
    if isinstance(frozen, OneHotCategorical):
        return frozen.logpmf(np.eye(frozen.p.shape[1])[y.astype(np.intp)])
    log_density = frozen.logpmf if hasattr(frozen, "logpmf") else frozen.logpdf
    log_likelihood = np.asarray(log_density(y))
    return log_likelihood if log_likelihood.ndim == 1 else log_likelihood.sum(axis=1)


def _check_scipy_nll(distribution, name, y, raw, nll):
    offset = nll + _scipy_log_likelihood(distribution.frozen(raw), y)
    spread = np.max(np.abs(offset - offset[0]))
    if spread > 1e-8 * (1.0 + np.max(np.abs(nll))):
        raise AssertionError(
            f"{name}.nll differs from scipy's -log-likelihood of frozen(raw) by "
            f"more than a constant: the differences spread over {spread:.3g}."
        )


def _check_gradient(distribution, name, y, raw, grad, rtol):
    for j in range(raw.shape[1]):
        numerical = _column_difference(lambda r: distribution.nll(y, r), raw, j)
        _compare(numerical, grad[:, j], f"{name}.nll_gradient", j, rtol)


def _check_observed_hessian(distribution, name, y, raw, hessian, rtol):
    for j in range(raw.shape[1]):
        numerical = _column_difference(
            lambda r: distribution.nll_gradient(y, r)[1], raw, j
        )
        _compare(numerical, hessian[:, :, j], f"{name}.hessian", j, 100 * rtol)


def _column_difference(function, raw, j):
    step = np.cbrt(np.finfo(np.float64).eps) * (1.0 + np.abs(raw[:, j]))
    up, down = raw.copy(), raw.copy()
    up[:, j] += step
    down[:, j] -= step
    difference = np.asarray(function(up)) - np.asarray(function(down))
    return difference / (2 * (step if difference.ndim == 1 else step[:, None]))


def _compare(numerical, analytic, what, j, rtol):
    error = np.abs(numerical - analytic)
    scale = np.maximum(np.abs(numerical), np.abs(analytic))
    floor = 1e-6 * (1.0 + np.max(scale))
    worst = np.unravel_index(np.argmax(error - rtol * scale), error.shape)
    if error[worst] > rtol * scale[worst] + floor:
        raise AssertionError(
            f"{what} disagrees with finite differences along raw output {j}, "
            f"at row {worst[0]}: {analytic[worst]:.6g} against "
            f"{numerical[worst]:.6g}."
        )


def _check_expected_hessian(distribution, name, raw, hessian, rng, n_draws):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.any(eigenvalues < -1e-10 * (1.0 + np.abs(eigenvalues).max())):
        raise AssertionError(
            f"{name}.hessian (expected) is not positive semi-definite."
        )
    rows = rng.choice(raw.shape[0], size=min(3, raw.shape[0]), replace=False)
    repeated = np.repeat(raw[rows], n_draws, axis=0)
    draws = np.asarray(distribution.frozen(repeated).rvs(random_state=rng))
    if draws.ndim == 2 and isinstance(distribution.frozen(raw[:1]), OneHotCategorical):
        draws = draws.argmax(axis=1)
    shape = (len(rows), n_draws, raw.shape[1])
    score = distribution.nll_gradient(draws, repeated)[1].reshape(shape)
    _within_errors(score, np.zeros(raw.shape[1]), f"{name}'s gradient has mean", rows)
    # Two unbiased estimates of the information: the mean outer product of
    # the gradient, and the mean observed Hessian (finite differences of the
    # gradient); an entry must match one of them. The second misses a kink
    # (the Laplace's, whose observed Hessian is 0 almost everywhere), the
    # first is noisy where the gradient has heavy tails.
    outer = score[:, :, :, None] * score[:, :, None, :]
    observed = np.stack(
        [
            _column_difference(
                lambda r: distribution.nll_gradient(draws, r)[1], repeated, j
            ).reshape(shape)
            for j in range(raw.shape[1])
        ],
        axis=-1,
    )
    observed = 0.5 * (observed + observed.transpose(0, 1, 3, 2))
    _within_errors((outer, observed), hessian[rows], f"{name}.hessian (expected)", rows)


def _within_errors(samples, expected, what, rows):
    """Whether Monte Carlo means of ``samples`` match ``expected`` to 6 errors.

    ``samples`` is one array of draws (along axis 1) or a tuple of several
    unbiased ones, of which an entry must match one.
    """
    candidates = samples if isinstance(samples, tuple) else (samples,)
    n_draws = candidates[0].shape[1]
    means = np.stack([sample.mean(axis=1) for sample in candidates])
    errors = np.stack([sample.std(axis=1) for sample in candidates]) / np.sqrt(n_draws)
    expected = np.broadcast_to(expected, means.shape[1:])
    floor = 1e-8 * (1.0 + np.abs(expected).max())
    misses = np.abs(means - expected) / (6.0 * errors + floor)
    closest = np.argmin(misses, axis=0)
    miss = np.take_along_axis(misses, closest[None], axis=0)[0]
    if np.any(miss > 1.0):
        worst = np.unravel_index(np.argmax(miss), miss.shape)
        mean, error = means[(closest[worst], *worst)], errors[(closest[worst], *worst)]
        raise AssertionError(
            f"{what} {expected[worst]:.6g} where its Monte Carlo mean over "
            f"{n_draws} draws is {mean:.6g} +- {error:.2g}, at row {rows[worst[0]]}."
        )


def _check_mean(distribution, name, raw):
    mean = np.asarray(distribution.mean(raw), dtype=np.float64)
    scipy_mean = np.asarray(distribution.frozen(raw).mean(), dtype=np.float64)
    defined = np.isfinite(scipy_mean)
    if not np.allclose(mean[defined], scipy_mean[defined], rtol=1e-7, atol=0.0):
        raise AssertionError(f"{name}.mean differs from frozen(raw).mean().")


def _check_marginal_mle(distribution, name, y, start):
    def loss(point):
        return distribution.nll(y, np.tile(point, (y.shape[0], 1))).mean()

    best = loss(start)
    for j in range(start.size):
        for sign in (-1.0, 1.0):
            moved = start.copy()
            moved[j] += sign * 1e-3 * (1.0 + abs(start[j]))
            if loss(moved) < best - 1e-12 * (1.0 + abs(best)):
                raise AssertionError(
                    f"{name}.raw_at_marginal_mle is not a minimum of the mean "
                    f"NLL: moving raw output {j} lowers it."
                )
