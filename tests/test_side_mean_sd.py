"""The SD of a side's mean (summary.sd_of_mean): each stride's own error averages out over
the side's strides, the part all the trial's strides share (the events' shared read,
event_timing.SHARED, carried per stride in Stride.shared_uncertainty) does not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.event_timing import SHARED
from pipeline.gait.event_values import event_values
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import Stride
from pipeline.gait.summary import sd_of_mean

NAME = "ground_contact_time_ms"


def _stride(value: float, sd: float | None, shared: float | None = None) -> Stride:
    return Stride(
        side="left",
        index=0,
        strike_frame=0.0,
        strike_time_s=0.0,
        toe_off_frame=30.0,
        toe_off_time_s=0.25,
        peak_knee_flexion_frame=None,
        foot_lateral_m=None,
        values={NAME: value},
        uncertainty={NAME: sd},
        shared_uncertainty={} if shared is None else {NAME: shared},
    )


def test_without_a_shared_part_the_strides_sds_average_out():
    strides = [_stride(200.0, sd) for sd in (3.0, 4.0, 12.0)]
    assert sd_of_mean(strides, NAME) == pytest.approx(13.0 / 3)


def test_a_shared_part_does_not_shrink_with_the_number_of_strides():
    for n in (2, 8, 50):
        strides = [_stride(200.0, 5.0, 3.0) for _ in range(n)]
        assert sd_of_mean(strides, NAME) == pytest.approx(np.sqrt(16.0 / n + 9.0))
    assert sd_of_mean([_stride(200.0, 5.0, 5.0)] * 40, NAME) == pytest.approx(5.0)


def test_unknown_sds_or_shared_parts_give_no_sd_of_the_mean():
    assert sd_of_mean([_stride(200.0, 5.0), _stride(201.0, None)], NAME) is None
    unknown = replace(_stride(200.0, 5.0), shared_uncertainty={NAME: None})
    assert sd_of_mean([unknown, _stride(201.0, 5.0)], NAME) is None
    assert sd_of_mean([], NAME) is None


def test_the_formula_matches_the_spread_of_simulated_side_means():
    """Errors e_i (SD u_i, independent) + a_i d (d one shift per trial, SD 1; a_i of one
    sign): the spread of the mean over 20,000 trials against sd_of_mean."""
    rng = np.random.default_rng(0)
    own = rng.uniform(1.0, 4.0, 9)
    slope = rng.uniform(0.5, 2.5, 9)
    strides = [_stride(0.0, float(np.hypot(u, a)), float(a)) for u, a in zip(own, slope)]
    errors = rng.normal(size=(20_000, 9)) * own + rng.normal(size=(20_000, 1)) * slope
    assert sd_of_mean(strides, NAME) == pytest.approx(errors.mean(axis=1).std(), rel=0.03)


def test_the_shared_part_round_trips_and_old_files_share_none():
    stride = _stride(200.0, 5.0, 3.0)
    data = stride.to_dict()
    assert list(data)[-2:] == ["uncertainty", "shared_uncertainty"]
    assert Stride.from_dict(data) == stride
    old = _stride(200.0, 5.0)
    assert "shared_uncertainty" not in old.to_dict()
    assert Stride.from_dict(old.to_dict()).shared_uncertainty == {}


def test_detected_events_carry_a_shared_part_given_events_none():
    points, events = running_trial()
    sd = np.full(points.shape, 0.003)
    kw = {"belt_speed_mps": 3.0, "point_sd": sd}
    found = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), **kw)
    given = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, **kw)
    assert all(not s.shared_uncertainty for s in given.strides)
    for stride in found.strides:
        for name, part in stride.shared_uncertainty.items():
            sd = stride.uncertainty[name]
            assert stride.value(name) is not None and sd is not None, name
            assert part is None or 0.0 <= part <= sd + 1e-12, name
        assert Stride.from_dict(stride.to_dict()) == stride


class _Line:
    """A stance reader whose every curve is 2 deg per frame, its samples' SD 1."""

    def at_timed(self, name, frame, frame_sd):
        return 2.0 * frame, float(np.hypot(1.0, 2.0 * frame_sd))

    def slope(self, name, frame):
        return 2.0


def test_a_value_read_at_one_event_carries_its_type_s_shared_read():
    timing = {SHARED: {"foot_strike": 0.5, "toe_off": 1.5}}
    values, shared = event_values(_Line(), 10.0, 40.0, 0.3, 0.4, timing)  # type: ignore[arg-type]
    assert values["knee_flexion_at_strike_deg"] == pytest.approx(
        (20.0, np.hypot(1.0, 2.0 * np.hypot(0.3, 0.5)))
    )
    assert shared["knee_flexion_at_strike_deg"] == pytest.approx(1.0)
    assert values["hip_extension_at_toe_off_deg"][0] == pytest.approx(-80.0)
    assert shared["hip_extension_at_toe_off_deg"] == pytest.approx(3.0)
    # given events (no timing): no shared read, the SD as before
    values, shared = event_values(_Line(), 10.0, 40.0, 0.0, 0.0, None)  # type: ignore[arg-type]
    assert (
        values["knee_flexion_at_toe_off_deg"] == (80.0, 1.0)
        and shared["knee_flexion_at_toe_off_deg"] == 0.0
    )
