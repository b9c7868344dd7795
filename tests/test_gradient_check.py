"""The gradient checks of a model of one's own, and the Jacobian-free path.

The checks (the public :func:`~skprob.models.check_model` and the fit-time
check) step each parameter by a fraction of its own size and accept the
finite difference's estimated error: these tests hold them to both sides of
that promise, on the NIST StRD problems (parameters of 1e-5 beside 1e3) and
on synthetic models at any scale: a correct model passes, a Jacobian with a
wrong entry, sign or factor is refused, naming the parameter. Then a
:class:`~skprob.models.ParametricModel` without ``jacobian`` fits as one
with it does, to the precision of its finite differences.
"""

import warnings

import numpy as np
import pytest
from _nist import TESTED, NistModel, load, model
from scipy.optimize import curve_fit
from sklearn.exceptions import ConvergenceWarning

from skprob import BernoulliClassifier, GaussianRegressor
from skprob.models import ParametricModel, check_model
from skprob.models._check import _central_difference, _relative_scales
from skprob.models.parametric import difference_jacobian

PROBLEMS = sorted(TESTED)
FAULTS = ("sign", "factor", "entry")


class Rise(ParametricModel):
    """The issue's reproducer: b1 (1 - exp(-b2 x)), started at (500, 1e-4)."""

    n_params = 2

    def __init__(self, start=(500.0, 1e-4)):
        self.start = start

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, float)

    def predict_raw(self, p, X):
        return p[0] * (1 - np.exp(-p[1] * X[:, 0]))

    def jacobian(self, p, X):
        e = np.exp(-p[1] * X[:, 0])
        return np.column_stack([1 - e, p[0] * X[:, 0] * e])


class Faulty(NistModel):
    """A NIST model whose Jacobian is wrong in one column, in one way."""

    def __init__(self, name="Misra1a", start=(1.0, 1.0), column=0, fault="sign"):
        super().__init__(name, start)
        self.column = column
        self.fault = fault

    def jacobian(self, params, X):
        jacobian = super().jacobian(params, X)
        j = self.column
        if self.fault == "sign":
            jacobian[:, j] *= -1.0
        elif self.fault == "factor":
            jacobian[:, j] *= 0.5
        else:  # another parameter's derivative in its place
            jacobian[:, j] = jacobian[:, (j + 1) % jacobian.shape[1]]
        return jacobian


class Decay(ParametricModel):
    """``a exp(-b x) + c``, started at the truth, optionally with a fault."""

    n_params = 3

    def __init__(self, start=(1.0, 1.0, 1.0), column=None, factor=1.0):
        self.start = start
        self.column = column
        self.factor = factor

    def init_params(self, raw_intercept, random_state):
        return np.array(self.start, float)

    def predict_raw(self, params, X):
        a, b, c = params
        return a * np.exp(-b * X[:, 0]) + c

    def jacobian(self, params, X):
        a, b, c = params
        decay = np.exp(-b * X[:, 0])
        jacobian = np.column_stack([decay, -a * X[:, 0] * decay, np.ones(len(X))])
        if self.column is not None:
            jacobian[:, self.column] *= self.factor
        return jacobian


def _fit_start(estimator, X, y):
    """Fit for one iteration: the fit-time check runs, the fit hardly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.set_params(max_iter=1).fit(X, y)


def test_the_issues_rise_model_is_no_longer_refused():
    rng = np.random.default_rng(0)
    x = np.linspace(80, 760, 20)
    y = 240 * (1 - np.exp(-5.5e-4 * x)) + rng.normal(0, 0.1, 20)
    check_model(Rise(), x[:, None])
    _fit_start(GaussianRegressor(model=Rise(), alpha=0.0), x[:, None], y)
    reference = curve_fit(
        lambda x, b1, b2: b1 * (1 - np.exp(-b2 * x)), x, y, p0=(500.0, 1e-4)
    )[0]
    check_model(Rise(tuple(reference)), x[:, None])


@pytest.mark.parametrize("name", PROBLEMS)
def test_correct_nist_models_pass_both_checks_at_both_starts(name):
    problem = load(name)
    X = problem.x[:, None]
    for start in (*problem.starts, problem.certified):
        check_model(model(problem, start), X)
        _fit_start(
            GaussianRegressor(model=model(problem, start), alpha=0.0), X, problem.y
        )


@pytest.mark.parametrize("name", PROBLEMS)
def test_a_wrong_jacobian_column_is_refused_naming_the_parameter(name):
    problem = load(name)
    X = problem.x[:, None]
    for start in problem.starts:
        for column in range(len(start)):
            for fault in FAULTS:
                faulty = Faulty(name, tuple(map(float, start)), column, fault)
                message = (
                    rf"(?s)Faulty\(.*\)\.backward disagrees .* parameter {column}:"
                )
                with pytest.raises(AssertionError, match=message):
                    check_model(faulty, X)
                with pytest.raises(ValueError, match=message + ".*check_model"):
                    _fit_start(GaussianRegressor(model=faulty, alpha=0.0), X, problem.y)


SCALES = [1e-5, 1e-2, 1.0, 1e3]


@pytest.mark.parametrize("amplitude", SCALES)
@pytest.mark.parametrize("rate", SCALES)
def test_checks_at_any_scale_of_the_parameters(amplitude, rate):
    # x spans the rate's scale, so that the decay is seen: the parameters
    # then range from 1e-5 to 1e3 side by side.
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 3.0 / rate, size=(30, 1))
    start = (amplitude, rate, 1e-3 * amplitude)
    y = Decay(start).predict_raw(np.array(start), X)[:, 0]
    y = y + 0.01 * amplitude * rng.standard_normal(30)
    check_model(Decay(start), X)
    _fit_start(GaussianRegressor(model=Decay(start), alpha=0.0), X, y)
    for column in range(3):
        for factor in (-1.0, 0.5, 1.01):
            wrong = Decay(start, column, factor)
            message = rf"parameter {column}:"
            with pytest.raises(AssertionError, match=message):
                check_model(wrong, X)
            with pytest.raises(ValueError, match=message):
                _fit_start(GaussianRegressor(model=wrong, alpha=0.0), X, y)


@pytest.mark.parametrize("scale", [1e-5, 1e-2, 1.0, 1e3])
@pytest.mark.parametrize(
    "function, derivative",
    [
        (np.exp, np.exp),
        (np.sin, np.cos),
        (lambda t: 1.0 / t, lambda t: -1.0 / t**2),
        (lambda t: t**5 - 3 * t, lambda t: 5 * t**4 - 3),
    ],
    ids=["exp", "sin", "reciprocal", "quintic"],
)
def test_the_central_difference_bounds_its_own_error(function, derivative, scale):
    # f(p) = function(p / scale) * 1e3: the parameter of size `scale`, the
    # function of size 1e3; the derivative along the relative direction is
    # derivative(p / scale) * 1e3 * |p| / scale.
    for point in (0.3, 1.7, -2.2):
        params = np.array([point * scale])
        scales = _relative_scales(params)

        def scaled(p, point=point):
            return 1e3 * function(p[0] / scale)

        estimate, bound = _central_difference(
            scaled, params, scales, 1e3 * abs(function(point))
        )
        exact = 1e3 * derivative(point) * scales[0] / scale
        assert abs(estimate - exact) <= bound
        assert bound <= 1e-8 * abs(exact)


@pytest.mark.parametrize("name", PROBLEMS)
def test_difference_jacobians_match_the_analytic_ones(name):
    problem = load(name)
    X = problem.x[:, None]
    for start in (*problem.starts, problem.certified):
        analytic = model(problem, start).build(1, 1)
        params = np.asarray(start, dtype=float)
        exact = analytic.jacobian(params, X)
        size = np.abs(exact).max(axis=0)
        # Relative errors of about eps^(2/3) and sqrt(eps), times the
        # curvature in units of each parameter (Eckerle4's location of 450
        # with a width of 4 has the most).
        for scheme, rtol in [("3-point", 1e-6), ("2-point", 1e-5)]:
            numerical = difference_jacobian(analytic.predict_raw, params, X, scheme)
            assert numerical.shape == (len(X), 1, len(params))
            error = np.abs(numerical[:, 0] - exact).max(axis=0)
            assert np.all(error <= rtol * size)


def test_a_model_without_jacobian_is_checked_for_its_protocol_only():
    problem = load("Misra1a")
    check_model(model(problem, problem.starts[0], jacobian=False), problem.x[:, None])

    class WrongWidth(ParametricModel):
        n_params = 2

        def init_params(self, raw_intercept, random_state):
            return np.ones(2)

        def predict_raw(self, params, X):
            return np.column_stack([X[:, 0] * params[0]] * 2)

    with pytest.raises(ValueError, match=r"WrongWidth\(\) returned raw outputs"):
        GaussianRegressor(model=WrongWidth()).fit(problem.x[:, None], problem.y)


@pytest.mark.parametrize("name", ["Misra1a", "Chwirut2", "DanWood"])
@pytest.mark.parametrize("start", [0, 1])
def test_jacobian_free_fits_equal_analytic_ones(name, start):
    problem = load(name)
    X = problem.x[:, None]
    fits = []
    for jacobian in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            reg = GaussianRegressor(
                model=model(problem, problem.starts[start], jacobian), alpha=0.0
            ).fit(X, problem.y)
        fits.append(reg.params_)
    np.testing.assert_allclose(fits[1], fits[0], rtol=1e-6)


def test_two_point_differences_fit_a_classifier_as_the_analytic_jacobian():
    class Score(ParametricModel):
        n_params = 3

        def init_params(self, raw_intercept, random_state):
            # Log-odds of the marginal's order, as in ParametricModel's example.
            return np.array([raw_intercept[0], 0.5, 1.0])

        def predict_raw(self, params, X):
            return params[0] + params[1] * np.exp(params[2] * X[:, 0])

    class ScoreTwoPoint(Score):
        finite_differences = "2-point"

    class ScoreWithJacobian(Score):
        def jacobian(self, params, X):
            grow = np.exp(params[2] * X[:, 0])
            return np.column_stack([np.ones(len(X)), grow, params[1] * X[:, 0] * grow])

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 2.0, size=(2000, 1))
    score = -2.0 + 0.5 * np.exp(1.2 * X[:, 0])
    y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-score))).astype(int)
    fits = [
        BernoulliClassifier(model=cls(), alpha=0.0, tol=1e-9).fit(X, y).params_
        for cls in (ScoreWithJacobian, Score, ScoreTwoPoint)
    ]
    np.testing.assert_allclose(fits[1], fits[0], rtol=1e-6)
    np.testing.assert_allclose(fits[2], fits[0], rtol=1e-4)


def test_an_unknown_difference_scheme_is_an_error():
    class Bad(ParametricModel):
        n_params = 1
        finite_differences = "5-point"

        def init_params(self, raw_intercept, random_state):
            return np.ones(1)

        def predict_raw(self, params, X):
            return params[0] * X[:, 0]

    with pytest.raises(ValueError, match="finite_differences must be"):
        GaussianRegressor(model=Bad()).fit(np.ones((3, 1)), np.arange(3.0))
