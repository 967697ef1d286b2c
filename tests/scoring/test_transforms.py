import math

import numpy as np
import pytest

from molgen.scoring.aggregate import weighted_arithmetic_mean, weighted_geometric_mean
from molgen.scoring.desirability import make_transform


def test_sigmoid_passes_005_half_and_095():
    t = make_transform("sigmoid", low=2.0, high=6.0)
    assert t([2.0, 4.0, 6.0]) == pytest.approx([0.05, 0.5, 0.95])
    assert t([-1e9, 1e9]) == pytest.approx([0.0, 1.0])  # no overflow at the extremes
    steep = make_transform("sigmoid", low=2.0, high=6.0, steepness=3.0)
    assert steep([6.0])[0] > 0.999


def test_reverse_sigmoid_mirrors():
    t = make_transform("reverse_sigmoid", low=2.0, high=6.0)
    assert t([2.0, 4.0, 6.0]) == pytest.approx([0.95, 0.5, 0.05])


def test_reverse_sigmoid_far_past_high_is_small_not_zero():
    # 1 - logistic rounded to exactly 0: every molecule with TPSA above ~430 scored 0 under drug-like, tied,
    # and read as a hard-filter failure
    far = make_transform("reverse_sigmoid", low=90.0, high=140.0)([430.0, 600.0])
    assert far[0] == pytest.approx(7.72e-17, rel=1e-2) and 0 < far[1] < far[0]


def test_double_sigmoid_is_half_at_the_bounds_and_high_inside():
    t = make_transform("double_sigmoid", low=1.0, high=4.0, width=1.0)
    assert t([1.0, 4.0]) == pytest.approx([0.5, 0.5], abs=1e-3)
    assert t([2.5])[0] > 0.99
    assert t([-10.0, 20.0]) == pytest.approx([0.0, 0.0], abs=1e-9)


def test_step_bounds_are_inclusive_and_one_sided():
    assert make_transform("step", low=1, high=3)([0.999, 1, 3, 3.001]).tolist() == [0, 1, 1, 0]
    assert make_transform("step", high=500)([500, 501]).tolist() == [1, 0]


def test_linear_ramp_clips_and_can_fall():
    up = make_transform("linear", start=0, end=10)
    assert up([-5, 0, 5, 10, 15]).tolist() == [0, 0, 0.5, 1, 1]
    down = make_transform("linear", start=10, end=0)
    assert down([0, 5, 10, 20]).tolist() == [1, 0.5, 0, 0]


def test_gaussian_peak_and_width():
    t = make_transform("gaussian", target=3.0, width=0.5)
    assert t([3.0, 3.5, 2.5]) == pytest.approx([1.0, math.exp(-0.5), math.exp(-0.5)])


def test_identity_clips_and_nan_stays_nan():
    assert make_transform("identity")([-0.1, 0.4, 1.2]).tolist() == [0, 0.4, 1]
    for kind, params in [("sigmoid", {"low": 0, "high": 1}), ("step", {"low": 0}), ("gaussian", {"target": 0, "width": 1}),
                         ("linear", {"start": 0, "end": 1}), ("double_sigmoid", {"low": 0, "high": 1})]:
        assert np.isnan(make_transform(kind, **params)([np.nan])[0]), kind


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [("sigmoid", {"low": 5, "high": 3}, "must be below"), ("gaussian", {"target": 1, "width": 0}, "positive"),
     ("step", {}, "low, high or both"), ("linear", {"start": 2, "end": 2}, "must differ"),
     ("sigmoid", {"low": 1, "hihg": 2}, "no parameter 'hihg'"), ("sigmoidal", {}, "unknown transform")],
)
def test_bad_parameters_are_refused(kind, params, message):
    with pytest.raises(ValueError, match=message):
        make_transform(kind, **params)


def test_geometric_mean_is_zero_with_a_zero_component_arithmetic_is_not():
    d = [[1.0, 0.0, 1.0]]
    assert weighted_geometric_mean(d, [1, 1, 1])[0] == 0.0
    assert weighted_arithmetic_mean(d, [1, 1, 1])[0] == pytest.approx(2 / 3)


def test_zero_weight_component_is_ignored_even_at_zero():
    assert weighted_geometric_mean([[0.25, 0.0]], [1, 0])[0] == pytest.approx(0.25)
    # ... and when it is missing, by both means (the arithmetic one gave NaN: a review)
    assert weighted_geometric_mean([[np.nan, 1.0]], [0, 1])[0] == pytest.approx(1.0)
    assert weighted_arithmetic_mean([[np.nan, 1.0]], [0, 1])[0] == pytest.approx(1.0)
    assert np.isnan(weighted_arithmetic_mean([[np.nan, 1.0]], [1, 1])[0])


def test_a_transform_built_in_python_is_checked_as_a_profile_file_is():
    """A review: Gaussian(2, 0) gave NaN and Sigmoid(5, 1) a falling curve, and a profile holding one was accepted
    until a run stored with it failed."""
    from molgen.scoring import Component, Gaussian, ScoringProfile, Sigmoid
    from molgen.scoring.profiles import ProfileError

    with pytest.raises(ValueError, match="width must be positive"):
        Gaussian(2, 0)
    with pytest.raises(ValueError, match="must be below"):
        Sigmoid(5, 1)
    with pytest.raises(ValueError, match=r"transform 'sigmoid': low = '200', high = '500' is not a number"):
        Sigmoid("200", "500")
    with pytest.raises(ValueError, match="transform 'gaussian' needs every one of target, width as a number"):
        Gaussian(2, None)
    with pytest.raises(ProfileError, match=r"components\[1\].transform: expected a transform such as Gaussian"):
        ScoringProfile(name="typed", components=[Component("logp", "gaussian")])


def test_weights_are_normalised():
    assert weighted_geometric_mean([[0.5, 0.8]], [2, 2])[0] == pytest.approx(math.sqrt(0.4))
    assert weighted_arithmetic_mean([[1.0, 0.0]], [3, 1])[0] == pytest.approx(0.75)


def test_aggregation_rejects_bad_weights_and_keeps_nan():
    with pytest.raises(ValueError):
        weighted_geometric_mean([[0.5]], [0])
    with pytest.raises(ValueError):
        weighted_arithmetic_mean([[0.5, 0.5]], [1])
    assert np.isnan(weighted_geometric_mean([[np.nan, 1.0]], [1, 1])[0])
