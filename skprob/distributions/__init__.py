"""Step 1 of the recipe: the distribution Pr(y | theta) over the outputs.

A distribution here works "with respect to the raw outputs" ``raw = f[x, phi]``
of the model, as scikit-learn's losses do: it maps raw outputs to the
distribution's parameters theta through a link, and returns the per-sample
negative log-likelihood (NLL) and its gradient with respect to ``raw``.
Positive parameters live on an unconstrained scale (the log of a scale), so a
solver can move raw outputs freely.

Conventions
-----------
- ``raw`` is always 2-D, of shape ``(n_samples, n_raw)``; ``n_raw`` is the
  number of raw outputs the model must produce (1 for a mean or a logit, 2 for
  a mean and a log-scale, K for K class scores).
- ``y`` is 1-D: float targets for the normal distributions, 0/1 for the
  Bernoulli, integer class codes 0..K-1 for the categorical.
- Multiple outputs: built with ``n_outputs=k``, the normal and Bernoulli
  distributions take a 2-D ``y`` of shape ``(n_samples, k)``, k independent
  outputs (the "multiple outputs" of S. J. D. Prince, *Understanding Deep
  Learning*, MIT Press, 2023, chapter 5), whose NLLs add up to a row's.
  Their raw outputs are laid out parameter-major: ``raw[:, j * k + o]`` is
  parameter j of output o (``n_raw`` is k times the parameters of one
  output), so the Hessian of a row is block-structured, with no term
  between two outputs. ``n_outputs=None``, the default, is the 1-D target.
  The categorical takes a 1-D target only.
- ``nll`` is per sample, of shape ``(n_samples,)``; weighting and averaging
  are the training objective's business, not the distribution's.
- ``gradient`` has the shape of ``raw``: ``gradient[i, j]`` is
  ``d nll[i] / d raw[i, j]``.
- ``hessian`` is of shape ``(n_samples, n_raw, n_raw)``: ``hessian[i, j, k]``
  is ``d^2 nll[i] / d raw[i, j] d raw[i, k]``, a symmetric block per sample
  (a 1 x 1 block, a scalar, for one raw output). A sample's NLL depends on
  its own raw outputs only, so there are no blocks between samples.
"""

from ._base import Distribution
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .heteroscedastic_normal import HeteroscedasticNormal
from .normal import Normal

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "HeteroscedasticNormal",
    "Normal",
    "OneHotCategorical",
]
