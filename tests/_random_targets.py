"""Distributions with a sampler of random targets, for the gradient checks."""

from skprob.distributions import Bernoulli, Categorical, HeteroscedasticNormal, Normal

# name: (distribution, sample_y(rng, n_samples))
DISTRIBUTIONS = {
    "normal": (Normal(), lambda rng, n: rng.normal(size=n)),
    "heteroscedastic": (HeteroscedasticNormal(), lambda rng, n: rng.normal(size=n)),
    "bernoulli": (Bernoulli(), lambda rng, n: rng.integers(0, 2, n).astype(float)),
    "categorical": (
        Categorical(3),
        lambda rng, n: rng.integers(0, 3, n).astype(float),
    ),
}
