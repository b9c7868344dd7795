"""Step 1 of the recipe: each distribution's NLL, gradient and starting point."""

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize
from statsmodels.tools.numdiff import approx_fprime

from skprob.distributions import Bernoulli, Categorical, HeteroscedasticNormal, Normal

RNG = np.random.default_rng(0)


def _cases():
    n = 7
    yield "normal", Normal(), RNG.normal(size=n), RNG.normal(size=(n, 1))
    yield (
        "heteroscedastic",
        HeteroscedasticNormal(),
        RNG.normal(size=n),
        RNG.normal(scale=0.5, size=(n, 2)),
    )
    yield (
        "bernoulli",
        Bernoulli(),
        RNG.integers(0, 2, n).astype(float),
        RNG.normal(scale=3, size=(n, 1)),
    )
    yield (
        "categorical",
        Categorical(4),
        RNG.integers(0, 4, n).astype(float),
        RNG.normal(scale=3, size=(n, 4)),
    )


CASES = list(_cases())
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, dist, y, raw", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, dist, y, raw):
    _, gradient = dist.nll_gradient(y, raw)
    for i in range(len(y)):

        def nll_of_row(row, i=i):
            return dist.nll(y[i : i + 1], row[None, :])[0]

        # statsmodels squeezes the result: a one-parameter row gives (1, 1).
        numeric = np.ravel(approx_fprime(raw[i], nll_of_row, centered=True))
        np.testing.assert_allclose(gradient[i], numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, dist, y, raw", CASES, ids=IDS)
def test_hessian_matches_finite_differences_of_the_gradient(name, dist, y, raw):
    hessian = dist.hessian(y, raw)
    assert hessian.shape == (len(y), dist.n_raw, dist.n_raw)
    np.testing.assert_array_equal(hessian, hessian.transpose(0, 2, 1))
    for i in range(len(y)):
        for j in range(dist.n_raw):

            def gradient_of_row(row, i=i, j=j):
                return dist.nll_gradient(y[i : i + 1], row[None, :])[1][0, j]

            numeric = np.ravel(approx_fprime(raw[i], gradient_of_row, centered=True))
            np.testing.assert_allclose(hessian[i, j], numeric, rtol=1e-5, atol=1e-6)


def test_small_hessians_keep_their_relative_precision():
    # Where a probability rounds to 1, p (1 - p) would cancel to 0; Newton
    # steps and standard errors near a separating solution need the value.
    tiny = np.exp(-40.0)
    hessian = Bernoulli().hessian(np.array([1.0]), np.array([[40.0]]))
    np.testing.assert_allclose(hessian[:, 0, 0], [tiny], rtol=1e-12)
    raw = np.array([[0.0, -40.0, -40.0]])
    hessian = Categorical(3).hessian(np.array([0.0]), raw)[0]
    expected = [[2 * tiny, -tiny, -tiny], [-tiny, tiny, 0.0], [-tiny, 0.0, tiny]]
    np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-30)


def test_categorical_hessian_maps_a_common_shift_to_zero(rng):
    dist = Categorical(4)
    raw = rng.normal(scale=3, size=(6, 4))
    hessian = dist.hessian(rng.integers(0, 4, 6).astype(float), raw)
    np.testing.assert_allclose(hessian @ np.ones(4), 0.0, atol=1e-15)
    assert dist.shift_invariant and not Bernoulli().shift_invariant


def test_heteroscedastic_hessian_has_no_scale_terms_below_the_floor_or_unfitted():
    y = np.array([0.5, 0.5])
    raw = np.array([[0.0, -50.0], [0.0, 0.0]])
    floored = HeteroscedasticNormal(min_scale=1e-3).hessian(y, raw)
    np.testing.assert_allclose(floored[0], [[1e6, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(floored[1], [[1.0, 1.0], [1.0, 0.5]])
    fixed = HeteroscedasticNormal(fit_scale=False).hessian(y, raw)
    np.testing.assert_array_equal(fixed[:, :, 1], 0.0)
    np.testing.assert_array_equal(fixed[:, 1, :], 0.0)


def test_normal_dispersion_is_the_mle_of_the_variance():
    y = np.array([1.0, 2.0, 4.0])
    raw = np.array([[1.5], [2.0], [3.0]])
    weight = np.array([1.0, 2.0, 1.0])
    assert Normal().dispersion(y, raw, weight) == pytest.approx(1.25 / 4)
    assert Bernoulli().dispersion(y, raw, weight) == 1.0


@pytest.mark.parametrize("name, dist, y, raw", CASES, ids=IDS)
def test_nll_is_scipy_negative_log_likelihood_up_to_a_constant(name, dist, y, raw):
    nll = dist.nll(y, raw)
    if name == "normal":
        reference = -stats.norm(raw[:, 0], 1.0).logpdf(y)
    elif name == "heteroscedastic":
        reference = -stats.norm(raw[:, 0], np.exp(raw[:, 1])).logpdf(y)
    elif name == "bernoulli":
        reference = -stats.bernoulli(1 / (1 + np.exp(-raw[:, 0]))).logpmf(y)
    else:
        one_hot = np.eye(4)[y.astype(int)]
        reference = -dist.frozen(raw).logpmf(one_hot)
    constant = reference - nll
    np.testing.assert_allclose(constant, constant[0], atol=1e-10)


def test_nll_is_stable_for_extreme_raw_outputs():
    y = np.array([0.0, 1.0, 0.0, 1.0])
    raw = np.array([[-800.0], [800.0], [800.0], [-800.0]])
    nll, gradient = Bernoulli().nll_gradient(y, raw)
    np.testing.assert_allclose(nll, [0.0, 0.0, 800.0, 800.0])
    np.testing.assert_allclose(gradient[:, 0], [0.0, 0.0, 1.0, -1.0])
    raw = np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]])
    nll, gradient = Categorical(3).nll_gradient(np.array([1.0, 2.0]), raw)
    np.testing.assert_allclose(nll, [2000.0, np.log(3)])
    assert np.all(np.isfinite(gradient))


def test_small_nll_and_gradient_keep_their_relative_precision():
    # Where the true class's probability rounds to 1, 1 - p cancels to 0;
    # a fit near a separating solution (or a fast solver's last steps) needs
    # these values, and their rounding error, to stay relative.
    tiny = np.exp(-40.0)  # 4e-18, below the spacing of floats near 1
    nll, gradient = Bernoulli().nll_gradient(np.array([1.0]), np.array([[40.0]]))
    np.testing.assert_allclose(nll, [tiny], rtol=1e-12)
    np.testing.assert_allclose(gradient[:, 0], [-tiny], rtol=1e-12)
    raw = np.array([[0.0, -40.0, -40.0]])
    nll, gradient = Categorical(3).nll_gradient(np.array([0.0]), raw)
    np.testing.assert_allclose(nll, [2 * tiny], rtol=1e-12)
    np.testing.assert_allclose(gradient[0, 0], -2 * tiny, rtol=1e-12)
    np.testing.assert_allclose(gradient[0, 1:], [tiny, tiny], rtol=1e-12)


@pytest.mark.parametrize("name, dist, y, raw", CASES, ids=IDS)
def test_marginal_mle_minimizes_the_weighted_nll_of_a_constant(name, dist, y, raw, rng):
    weight = rng.uniform(0.1, 2.0, size=len(y))
    start = dist.raw_at_marginal_mle(y, weight)

    def weighted_nll(constant):
        raw_constant = np.tile(constant, (len(y), 1))
        return weight @ dist.nll(y, raw_constant)

    optimum = minimize(weighted_nll, np.zeros_like(start), method="BFGS").fun
    assert weighted_nll(start) <= optimum + 1e-8


def test_normal_scale_mle_is_root_mean_square_residual():
    y = np.array([1.0, 2.0, 4.0])
    raw = np.array([[1.5], [2.0], [3.0]])
    weight = np.array([1.0, 2.0, 1.0])
    expected = np.sqrt((0.25 + 0 + 1.0) / 4)
    assert Normal().scale_mle(y, raw, weight) == pytest.approx(expected)


@pytest.mark.parametrize("name, dist, y, raw", CASES, ids=IDS)
def test_frozen_distribution_has_one_entry_per_row(name, dist, y, raw):
    frozen = dist.frozen(raw)
    assert np.shape(frozen.mean())[0] == len(y)


def test_heteroscedastic_curvature_ratio_grows_as_sigma_shrinks():
    dist = HeteroscedasticNormal()
    y, weight = np.zeros(3), np.ones(3) / 3
    at_start = dist.curvature_ratio(y, np.zeros((3, 2)), weight)
    sharp = dist.curvature_ratio(
        y, np.column_stack([np.zeros(3), np.full(3, -2.0)]), weight
    )
    assert at_start == pytest.approx(1 / 3)
    assert sharp == pytest.approx(np.exp(4.0) / 3)


@pytest.mark.parametrize("loc, scale", [(0.0, 1.0), (100.0, 30.0)])
def test_target_affine_maps_standardized_raw_outputs_back(loc, scale, rng):
    dist = HeteroscedasticNormal()
    raw = rng.normal(size=(5, 2))
    y_standardized = rng.normal(size=5)
    shift, factor = dist.target_affine(loc, scale)
    raw_original = shift + factor * raw
    # The likelihood of y is that of the standardized y, divided by scale.
    logpdf_original = dist.frozen(raw_original).logpdf(loc + scale * y_standardized)
    logpdf_standard = dist.frozen(raw).logpdf(y_standardized)
    np.testing.assert_allclose(logpdf_original, logpdf_standard - np.log(scale))


def test_heteroscedastic_scale_is_floored_so_a_perfect_fit_has_bounded_nll():
    dist = HeteroscedasticNormal(min_scale=1e-3)
    y = np.zeros(3)
    raw = np.column_stack([np.zeros(3), [-50.0, np.log(1e-3) - 1e-9, 0.0]])
    nll, gradient = dist.nll_gradient(y, raw)
    np.testing.assert_allclose(nll[:2], np.log(1e-3))
    np.testing.assert_array_equal(gradient[:2, 1], 0.0)
    assert gradient[2, 1] == 1.0
    np.testing.assert_allclose(dist.frozen(raw).std(), [1e-3, 1e-3, 1.0])
