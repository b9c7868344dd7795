"""A fitted estimator's private objects as NumPy arrays and Python builtins.

A fitted estimator keeps objects of private classes: its model, its
distribution, the training state and the solver's state. Pickle would store
them as they are, and ``skops.io``, which loads only the types a user
trusts, would ask the user to trust each of them. So the estimators'
``__getstate__`` turns each such object into plain data with
:func:`to_plain` (a dict of its fields, tagged with a stable name) and
``__setstate__`` rebuilds it with :func:`from_plain`. A saved estimator then
names no private class: only the estimator's own class, and the classes of
objects the user gave it (a solver object).

Only the classes of :data:`PRIVATE_CLASSES` are rebuilt, from their fields,
without running any other code: a tag cannot make loading build anything
else. The stable names also let a class be renamed or moved without
breaking files saved earlier (a change of its fields still does, as with
pickle; load a model with the skprob version that saved it).
"""

from ._training import StoppingRule, TrainingState
from ._training.passes import Passes
from .distributions import (
    Bernoulli,
    Beta,
    Categorical,
    Exponential,
    Gamma,
    HeteroscedasticNormal,
    Laplace,
    LogNormal,
    NegativeBinomial,
    Normal,
    Poisson,
    StudentT,
    Weibull,
)
from .models import MLP, Concatenate, LinearModel
from .models._with_constants import WithConstants
from .solvers import AdamState, GDState, LBFGSState, MomentumState, NewtonState

PRIVATE_CLASSES = {
    "TrainingState": TrainingState,
    "StoppingRule": StoppingRule,
    "Passes": Passes,
    "LinearModel": LinearModel,
    "MLP": MLP,
    "Concatenate": Concatenate,
    "WithConstants": WithConstants,
    "Normal": Normal,
    "HeteroscedasticNormal": HeteroscedasticNormal,
    "Bernoulli": Bernoulli,
    "Categorical": Categorical,
    "Poisson": Poisson,
    "NegativeBinomial": NegativeBinomial,
    "Gamma": Gamma,
    "LogNormal": LogNormal,
    "Weibull": Weibull,
    "Exponential": Exponential,
    "Laplace": Laplace,
    "StudentT": StudentT,
    "Beta": Beta,
    "GDState": GDState,
    "MomentumState": MomentumState,
    "AdamState": AdamState,
    "LBFGSState": LBFGSState,
    "NewtonState": NewtonState,
}
"""The classes saved as plain data, by the stable name that tags them."""

_NAMES = {cls: name for name, cls in PRIVATE_CLASSES.items()}
_TAG = "__skprob_object__"


def to_plain(value):
    """``value`` with every object of :data:`PRIVATE_CLASSES` made plain data.

    Dicts, lists and tuples are copied with their items converted; anything
    else (arrays, numbers, strings, a user's objects) is returned as it is,
    the same object, so that objects shared between attributes stay shared.

    Examples
    --------
    >>> from skprob._persistence import from_plain, to_plain
    >>> from skprob.models import LinearModel
    >>> plain = to_plain({"model": LinearModel().build(n_features=3, n_outputs=1)})
    >>> plain
    {'model': {'__skprob_object__': 'LinearModel', 'fields': {'n_features_in_': 3, \
'n_outputs_': 1}}}
    >>> from_plain(plain)["model"].n_params
    4
    """
    name = _NAMES.get(type(value))
    if name is not None:
        # NamedTuples (the solver states) have no __dict__.
        fields = value._asdict() if isinstance(value, tuple) else vars(value)
        return {_TAG: name, "fields": to_plain(dict(fields))}
    if type(value) is dict:
        return {key: to_plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(to_plain(item) for item in value)
    return value


def from_plain(value):
    """Rebuild the objects that :func:`to_plain` made plain data."""
    if type(value) is dict:
        if _TAG in value:
            return _rebuild(value[_TAG], from_plain(value["fields"]))
        return {key: from_plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(from_plain(item) for item in value)
    return value


def _rebuild(name, fields):
    if name not in PRIVATE_CLASSES:
        raise ValueError(
            f"Cannot rebuild {name!r}: the saved estimator comes from another "
            "version of skprob; load it with the version that saved it."
        )
    cls = PRIVATE_CLASSES[name]
    if issubclass(cls, tuple):
        return cls(**fields)
    # The fields are the object's whole state: set them without __init__,
    # which would recompute (or reject) what the fit left.
    instance = cls.__new__(cls)
    vars(instance).update(fields)
    return instance
