"""The built-in distributions of DistributionRegressor, and check_distribution."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from skprob.distributions import (
    DISTRIBUTIONS,
    Beta,
    Exponential,
    Gamma,
    Laplace,
    LogNormal,
    NegativeBinomial,
    Poisson,
    StudentT,
    Weibull,
    check_distribution,
)

RNG = np.random.default_rng(0)

# Each distribution, a sample from it, the scipy distribution of its raw
# outputs, and scipy's own fit of the sample as raw outputs (None where scipy
# has no fit for the family, as for counts).
FAMILIES = {
    "poisson": (
        Poisson(),
        RNG.poisson(3.0, size=300),
        lambda raw: stats.poisson(np.exp(raw[0])),
        None,
    ),
    "negative_binomial": (
        NegativeBinomial(),
        RNG.negative_binomial(2.0, 0.3, size=300),
        lambda raw: stats.nbinom(np.exp(-raw[1]), 1 / (1 + np.exp(raw[0] + raw[1]))),
        None,
    ),
    "gamma": (
        Gamma(),
        stats.gamma(2.5, scale=3.0).rvs(300, random_state=1),
        lambda raw: stats.gamma(np.exp(raw[1]), scale=np.exp(raw[0] - raw[1])),
        lambda y: (lambda a, _, s: [np.log(a * s), np.log(a)])(
            *stats.gamma.fit(y, floc=0)
        ),
    ),
    "lognormal": (
        LogNormal(),
        stats.lognorm(0.7, scale=5.0).rvs(300, random_state=2),
        lambda raw: stats.lognorm(np.exp(raw[1]), scale=np.exp(raw[0])),
        lambda y: (lambda s, _, scale: [np.log(scale), np.log(s)])(
            *stats.lognorm.fit(y, floc=0)
        ),
    ),
    "weibull": (
        Weibull(),
        stats.weibull_min(1.7, scale=2.0).rvs(300, random_state=3),
        lambda raw: stats.weibull_min(np.exp(raw[1]), scale=np.exp(raw[0])),
        lambda y: (lambda c, _, scale: [np.log(scale), np.log(c)])(
            *stats.weibull_min.fit(y, floc=0)
        ),
    ),
    "exponential": (
        Exponential(),
        stats.expon(scale=4.0).rvs(300, random_state=4),
        lambda raw: stats.expon(scale=np.exp(raw[0])),
        lambda y: [np.log(stats.expon.fit(y, floc=0)[1])],
    ),
    "laplace": (
        Laplace(),
        stats.laplace(1.0, 2.0).rvs(301, random_state=5),
        lambda raw: stats.laplace(raw[0], np.exp(raw[1])),
        lambda y: (lambda loc, scale: [loc, np.log(scale)])(*stats.laplace.fit(y)),
    ),
    "student_t": (
        StudentT(df=4.0),
        stats.t(4.0, loc=-1.0, scale=0.5).rvs(300, random_state=6),
        lambda raw: stats.t(4.0, raw[0], np.exp(raw[1])),
        lambda y: (lambda _, loc, scale: [loc, np.log(scale)])(
            *stats.t.fit(y, fix_df=4.0)
        ),
    ),
    "beta": (
        Beta(),
        stats.beta(2.0, 5.0).rvs(300, random_state=7),
        lambda raw: stats.beta(
            np.exp(raw[1]) / (1 + np.exp(-raw[0])),
            np.exp(raw[1]) / (1 + np.exp(raw[0])),
        ),
        lambda y: (lambda a, b, *_: [np.log(a / b), np.log(a + b)])(
            *stats.beta.fit(y, floc=0, fscale=1)
        ),
    ),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_builtin_distribution_passes_check_distribution(name):
    distribution, y, _, _ = FAMILIES[name]
    check_distribution(distribution, y[:50])


@pytest.mark.parametrize("name", list(FAMILIES))
def test_frozen_is_scipy_distribution_of_the_raw_outputs(name):
    distribution, y, scipy_of_raw, _ = FAMILIES[name]
    raw = distribution.raw_at_marginal_mle(y, np.ones(y.shape[0]))
    rows = np.tile(raw, (y.shape[0], 1))
    frozen, reference = distribution.frozen(rows), scipy_of_raw(raw)
    log_density = "logpmf" if hasattr(reference, "logpmf") else "logpdf"
    np.testing.assert_allclose(
        getattr(frozen, log_density)(y), getattr(reference, log_density)(y), rtol=1e-10
    )
    np.testing.assert_allclose(frozen.mean(), reference.mean(), rtol=1e-10)
    np.testing.assert_allclose(distribution.mean(rows), reference.mean(), rtol=1e-10)


@pytest.mark.parametrize("name", [name for name in FAMILIES if FAMILIES[name][3]])
def test_marginal_mle_is_scipy_fit(name):
    """The intercepts' start is the MLE scipy's ``fit`` finds on the same data."""
    distribution, y, _, scipy_fit = FAMILIES[name]
    raw = distribution.raw_at_marginal_mle(y, np.ones(y.shape[0]))
    np.testing.assert_allclose(raw, scipy_fit(y), rtol=1e-4, atol=1e-4)


def test_count_marginal_mle_is_the_mean_and_maximizes_the_likelihood():
    y = FAMILIES["negative_binomial"][1]
    raw = NegativeBinomial().raw_at_marginal_mle(y, np.ones(y.size))
    assert np.isclose(np.exp(raw[0]), y.mean())
    np.testing.assert_allclose(
        Poisson().raw_at_marginal_mle(y, np.ones(y.size)), [np.log(y.mean())]
    )


def test_marginal_mle_uses_sample_weight_as_repetition(rng):
    distribution, y, _, _ = FAMILIES["gamma"]
    weight = rng.integers(0, 3, size=y.size)
    np.testing.assert_allclose(
        distribution.raw_at_marginal_mle(y, weight),
        distribution.raw_at_marginal_mle(np.repeat(y, weight), np.ones(weight.sum())),
        rtol=1e-8,
    )


def test_check_distribution_catches_a_wrong_gradient():
    class WrongGradient(Gamma):
        def nll_gradient(self, y, raw):
            nll, grad = super().nll_gradient(y, raw)
            grad[:, 1] *= 1.001
            return nll, grad

    with pytest.raises(AssertionError, match="nll_gradient disagrees"):
        check_distribution(WrongGradient(), FAMILIES["gamma"][1][:50])


def test_check_distribution_catches_a_wrong_expected_hessian():
    class WrongHessian(NegativeBinomial):
        def hessian(self, y, raw):
            hessian = super().hessian(y, raw)
            hessian[:, 1, 1] *= 1.05
            return hessian

    with pytest.raises(AssertionError, match="hessian"):
        check_distribution(WrongHessian(), FAMILIES["negative_binomial"][1][:50])


def test_check_distribution_catches_a_wrong_nll_constant_per_row():
    class WrongNLL(Poisson):
        def nll_gradient(self, y, raw):
            nll, grad = super().nll_gradient(y, raw)
            return nll - 0.1 * y, grad  # drops part of log y!, not a constant

    with pytest.raises(AssertionError, match="more than a constant"):
        check_distribution(WrongNLL(), FAMILIES["poisson"][1][:50])


@pytest.mark.parametrize(
    "distribution, y, bad",
    [
        (Poisson(), [0, 2, -1, 3], "-1"),
        (NegativeBinomial(), [0, 2.5, -3], "-3"),
        (Gamma(), [1.0, 0.0, 2.0], "0"),
        (Weibull(), [1.0, -2.0], "-2"),
        (LogNormal(), [1.0, np.inf], "inf"),
        (Beta(), [0.5, 1.0, 0.0, 0.2], "0, 1"),
        (StudentT(), [0.0, np.nan], "nan"),
    ],
    ids=lambda value: type(value).__name__ if hasattr(value, "n_raw") else None,
)
def test_domain_error_names_distribution_and_values(distribution, y, bad):
    name = type(distribution).__name__
    with pytest.raises(ValueError, match=rf"{name} is a distribution over .*: {bad}"):
        distribution.check_target(np.asarray(y, dtype=np.float64))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_float32_raw_gives_float32_nll_and_gradient(name):
    distribution, y, _, _ = FAMILIES[name]
    raw = np.tile(distribution.raw_at_marginal_mle(y, np.ones(y.size)), (y.size, 1))
    nll, grad = distribution.nll_gradient(y.astype(np.float32), raw.astype(np.float32))
    assert nll.dtype == grad.dtype == np.float32
    np.testing.assert_allclose(nll, distribution.nll(y, raw), rtol=1e-4, atol=1e-4)


def test_hyper_parameters_are_parameters():
    distribution = StudentT(df=5.0)
    assert distribution.get_params() == {"df": 5.0, "min_scale": 1e-3}
    assert clone(distribution).set_params(df=7.0).df == 7.0
    assert set(DISTRIBUTIONS) >= {"poisson", "negative_binomial", "beta", "normal"}


def test_negative_binomial_tends_to_poisson_for_small_dispersion():
    y = FAMILIES["poisson"][1]
    raw = np.column_stack([np.full(y.size, 1.1), np.full(y.size, -18.0)])
    np.testing.assert_allclose(
        NegativeBinomial().nll(y, raw), Poisson().nll(y, raw[:, :1]), rtol=1e-6
    )
