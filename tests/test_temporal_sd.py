"""Temporal metrics' SDs from the events' timing SDs (gait/temporal_sd.py)."""

import math

import numpy as np
import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.event_timing import SHARED
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import Stride, StrideDraft
from pipeline.gait.temporal_sd import (
    TEMPORAL_SD_METRICS,
    duty_factor_sd,
    interval_sd_ms,
    temporal_uncertainty,
)


def test_an_interval_adds_its_two_events_in_quadrature():
    assert interval_sd_ms(0.3, 0.4, 100.0) == pytest.approx(5.0)  # 0.5 frame at 100 Hz
    assert interval_sd_ms(0.0, 0.0, 100.0) == 0.0
    # an unknown event SD gives no SD, never 0
    assert interval_sd_ms(np.nan, 0.4, 100.0) is None
    assert interval_sd_ms(0.3, None, 100.0) is None


def test_duty_factor_sd_matches_the_spread_of_noisy_events():
    rng = np.random.default_rng(0)
    strike_sd, toe_off_sd, next_sd = 0.8, 1.5, 0.5
    contact, stride = 25.0, 70.0
    n = 200_000
    s = rng.normal(0.0, strike_sd, n)
    duty = (contact + rng.normal(0.0, toe_off_sd, n) - s) / (stride + rng.normal(0, next_sd, n) - s)
    predicted = duty_factor_sd(contact, stride, strike_sd, toe_off_sd, next_sd)
    assert np.std(duty) == pytest.approx(predicted, rel=0.02)
    # the strike, shared by contact and stride time, counts less than in either alone
    alone = duty_factor_sd(contact, stride, strike_sd, 0.0, 0.0)
    assert alone == pytest.approx((stride - contact) * strike_sd / stride**2)
    assert duty_factor_sd(contact, stride, np.nan, toe_off_sd, next_sd) is None


def _timing(strike_sd=0.5, toe_off_sd=1.2, other_sd=0.7, shared=(0.0, 0.0)):
    return {
        "left": {"foot_strike": {10.0: strike_sd, 80.0: 0.4}, "toe_off": {35.0: toe_off_sd}},
        "right": {"foot_strike": {45.0: other_sd}, "toe_off": {}},
        SHARED: {"foot_strike": shared[0], "toe_off": shared[1]},
    }


def test_the_shared_reads_count_where_a_strike_meets_a_toe_off_and_cancel_in_a_stride():
    """All strikes of a trial off by one draw of SD 1.1 frames, all toe-offs by one of SD
    0.6, each event also by its own: the SDs match the spread of 200000 such trials, and the
    stride time (two strikes) carries none of the shared term."""
    rng = np.random.default_rng(2)
    n, (s_sd, t_sd, n_sd, o_sd), (ss, st) = 200_000, (0.5, 1.2, 0.4, 0.7), (1.1, 0.6)
    shift_s, shift_t = rng.normal(0, ss, n), rng.normal(0, st, n)
    strike = 10.0 + shift_s + rng.normal(0, s_sd, n)
    toe_off = 35.0 + shift_t + rng.normal(0, t_sd, n)
    next_strike = 80.0 + shift_s + rng.normal(0, n_sd, n)
    other = 45.0 + shift_s + rng.normal(0, o_sd, n)
    out = temporal_uncertainty(
        _timing(shared=(ss, st)), "left", 10.0, 35.0, 80.0, np.array([45.0]), 100.0, 3.0
    )
    drawn = {
        "ground_contact_time_ms": (toe_off - strike) * 10.0,
        "flight_time_ms": (other - toe_off) * 10.0,
        "stride_time_ms": (next_strike - strike) * 10.0,
        "duty_factor": (toe_off - strike) / (next_strike - strike),
    }
    for name, values in drawn.items():
        assert np.std(values) == pytest.approx(out[name], rel=0.02), name
    assert out["stride_time_ms"] == pytest.approx(math.hypot(0.5, 0.4) * 10.0)
    # a shared read whose SD is unknown: no SD where it counts, stride time still has one
    unknown = temporal_uncertainty(
        _timing(shared=(np.nan, 0.6)), "left", 10.0, 35.0, 80.0, np.array([45.0]), 100.0
    )
    assert unknown["ground_contact_time_ms"] is None and unknown["duty_factor"] is None
    assert unknown["stride_time_ms"] is not None


def test_a_strides_temporal_sds_from_its_events():
    out = temporal_uncertainty(_timing(), "left", 10.0, 35.0, 80.0, np.array([45.0]), 100.0, 3.0)
    assert set(out) == set(TEMPORAL_SD_METRICS)
    assert out["ground_contact_time_ms"] == pytest.approx(math.hypot(0.5, 1.2) * 10.0)
    assert out["flight_time_ms"] == pytest.approx(math.hypot(1.2, 0.7) * 10.0)
    assert out["stride_time_ms"] == pytest.approx(math.hypot(0.5, 0.4) * 10.0)
    # treadmill stride length = belt speed x stride time
    assert out["stride_length_m"] == pytest.approx(3.0 * out["stride_time_ms"] / 1000.0)
    assert out["duty_factor"] == pytest.approx(duty_factor_sd(25.0, 70.0, 0.5, 1.2, 0.4))


def test_no_sd_where_an_event_or_the_interval_is_unknown():
    # events given (no detected timing): unknown, not exact
    given = temporal_uncertainty(None, "left", 10.0, 35.0, 80.0, np.array([45.0]), 100.0, 3.0)
    assert all(v is None for v in given.values())
    # the toe-off's SD unknown: nothing that uses it has an SD; stride time still does
    out = temporal_uncertainty(
        _timing(toe_off_sd=np.nan), "left", 10.0, 35.0, 80.0, np.array([45.0]), 100.0
    )
    assert out["ground_contact_time_ms"] is None and out["flight_time_ms"] is None
    assert out["duty_factor"] is None and out["stride_time_ms"] is not None
    # overground (no belt speed): stride length is a 3D distance, not propagated here
    assert out["stride_length_m"] is None
    # next strike not timed; the other foot's strike after it: no stride, no flight
    out = temporal_uncertainty(_timing(), "left", 10.0, 35.0, np.inf, np.array([]), 100.0, 3.0)
    assert out["stride_time_ms"] is None and out["flight_time_ms"] is None
    out = temporal_uncertainty(_timing(), "left", 10.0, 35.0, 40.0, np.array([45.0]), 100.0)
    assert out["flight_time_ms"] is None


def test_a_stride_keeps_an_sd_only_where_its_value_is():
    draft = StrideDraft(
        "left", 0, 10.0, 0.1, 35.0, 0.35, None, None,
        values={"stride_time_ms": None, "ground_contact_time_ms": 250.0},
        uncertainty={"stride_time_ms": 6.4, "ground_contact_time_ms": 13.0},
    )  # fmt: skip
    stride = draft.stride()
    assert stride.uncertainty == {"stride_time_ms": None, "ground_contact_time_ms": 13.0}
    assert Stride.from_dict(stride.to_dict()) == stride


def test_detected_events_give_temporal_sds_and_given_events_none():
    points, events = running_trial()
    sd = np.full(points.shape, 0.003)
    kw = {"belt_speed_mps": 3.0, "point_sd": sd}
    found = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), **kw)
    given = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, **kw)
    assert len(found.strides) >= 4
    for stride in found.strides:
        for name in TEMPORAL_SD_METRICS:
            value, value_sd = stride.value(name), stride.uncertainty.get(name)
            assert (value is None) <= (value_sd is None), name  # an SD only with its value
            if value is not None:
                assert value_sd is not None and value_sd > 0, name
        assert Stride.from_dict(stride.to_dict()) == stride
    for stride in given.strides:
        assert all(stride.uncertainty.get(n) is None for n in TEMPORAL_SD_METRICS)
    summary = found.summary.sides["left"].metrics["ground_contact_time_ms"]
    assert summary.sd_of_mean is not None and summary.sd_of_mean > 0
