"""The foot-strike angle's SD and the uncertain pattern (gait/strike_pitch.py, issue #29)."""

from __future__ import annotations

import numpy as np

from pipeline.gait.event_timing import SHARED
from pipeline.gait.landing import CUT_OFFS
from pipeline.gait.records import Stride
from pipeline.gait.strike_pitch import (
    MIN_INTERVAL_DOF,
    interval_timing_sd,
    strike_angle_sd,
    strike_timing_sd,
    timing_read_sd,
    uncertain_pattern_note,
)

FPS = 100.0


def _corner(held_rate: float, contact_rate: float, strike=50.3, noise=0.0, seed=0):
    """Pitch (deg per frame) held at 20 deg into contact, rotating down after it."""
    frames = np.arange(100.0)
    dt = frames - strike
    pitch = 20.0 + np.where(dt < 0, held_rate * dt, contact_rate * dt)
    return pitch + noise * np.random.default_rng(seed).standard_normal(frames.size), strike


def test_a_given_strike_carries_only_the_pitch_noise():
    """Noise-free corner: SD ~0 (the two lines fit exactly); 1 deg noise: the variance is
    unbiased (2 residual dof at 100 Hz, so one strike's SD is rough: mean over 400 draws)."""
    pitch, strike = _corner(0.0, -4.0)
    assert strike_angle_sd(pitch, strike, FPS, None) < 1e-9
    variances = [
        strike_angle_sd(_corner(0.0, -4.0, noise=1.0, seed=seed)[0], strike, FPS, None) ** 2
        for seed in range(400)
    ]
    assert 0.85 < np.mean(variances) < 1.15


def test_the_timing_sd_goes_through_the_pitch_either_side():
    """A foot held before contact (0 deg/frame) and rotating at -4 after, the contact on a
    sample: an event timed with SD s frames reads late half the time, an error of RMS
    s sqrt(16 / 2) = 2.83 s deg (the Gauss-Hermite nodes are symmetric, so this is exact)."""
    pitch, strike = _corner(0.0, -4.0, strike=50.0)
    assert np.isclose(strike_angle_sd(pitch, strike, FPS, 1.0), np.sqrt(8.0), rtol=1e-6)
    assert np.isclose(strike_angle_sd(pitch, strike, FPS, 0.5), 0.5 * np.sqrt(8.0), rtol=1e-6)
    assert np.isnan(strike_angle_sd(pitch, strike, FPS, np.nan))  # timing unknown


def test_a_rotation_that_speeds_up_costs_what_the_curve_says():
    """Held, then rotating down as -0.8 dt^2 deg (dt frames after contact): a strike off by a
    normal error of SD 1 frame reads an RMS error of 0.8 sqrt(E[dt^4; dt > 0]) = 0.98 deg
    (1.00 read on the samples, interpolated as the angle is; 1.02 from 20000 drawn errors),
    where a line over the first 30 ms of contact (-2.4 deg/frame) gave 1.70."""
    frames = np.arange(100.0)
    after = np.clip(frames - 50.0, 0.0, None)
    pitch = 20.0 - 0.8 * after**2
    sd = timing_read_sd(pitch, 50.0, 1.0)
    drawn = np.random.default_rng(0).standard_normal(20000)
    errors = np.interp(50.0 + drawn, frames, pitch) - pitch[50]
    assert np.isclose(sd, 0.8 * np.sqrt(1.5), rtol=0.03)
    assert abs(sd - np.sqrt(np.mean(errors**2))) < 0.04


def _stride_times(n: int, error_sd: float, offset: float, rng, wobble_sd: float = 0.0):
    """Stride times (frames) of n + 1 strikes 80 frames apart, each off by `offset` plus an
    independent error of SD `error_sd`, the runner's own stride time varying by `wobble_sd`."""
    true = np.cumsum(80.0 + wobble_sd * rng.standard_normal(n + 1))
    return list(np.diff(true + offset + error_sd * rng.standard_normal(n + 1)))


def test_the_strikes_scatter_is_measured_on_their_stride_times():
    """Independent strike errors of SD 0.7 frame under a constant rhythm: the pooled stride
    time SD / sqrt(2) reads 0.7 (measured 0.72, mean over 400 trials of 10 stride times a
    side; neighbouring stride times share a strike, which raises the variance by (n + 1) / n);
    an offset all strikes share is not in it; a varying rhythm only raises it (an upper bound:
    measured 0.96 with the runner's stride time varying by 1 frame); too few stride times:
    None."""
    rng = np.random.default_rng(1)
    reads = [
        interval_timing_sd({s: _stride_times(10, 0.7, 0.0, rng) for s in ("left", "right")})
        for _ in range(400)
    ]
    assert 0.66 < np.mean(reads) < 0.76
    shifted = interval_timing_sd({"left": _stride_times(10, 0.0, 5.0, rng)})
    assert shifted is not None and shifted < 1e-9
    wobbly = [
        interval_timing_sd({"left": _stride_times(10, 0.7, 0.0, rng, wobble_sd=1.0)})
        for _ in range(400)
    ]
    assert np.mean(wobbly) > 1.1 * np.mean(reads)
    few = {"left": [80.0, 81.0], "right": [79.0, 80.0, None]}  # 2 dof
    assert MIN_INTERVAL_DOF > 2 and interval_timing_sd(few) is None


def test_too_few_samples_give_no_sd():
    pitch, strike = _corner(0.0, -4.0)
    pitch[45:50] = np.nan  # late swing unseen
    assert np.isnan(strike_angle_sd(pitch, strike, FPS, 1.0))


def test_a_cut_off_inside_the_interval_makes_the_pattern_uncertain():
    note = uncertain_pattern_note(9.0, 1.0, CUT_OFFS)
    assert note is not None and "rearfoot cut-off +8.0" in note and "9.0 +- 2.0" in note
    assert uncertain_pattern_note(12.0, 1.0, CUT_OFFS) is None  # 2 SD clear of 8.0
    assert uncertain_pattern_note(-1.0, 0.5, CUT_OFFS) is not None  # forefoot cut-off -1.6
    assert uncertain_pattern_note(9.0, None, CUT_OFFS) is None  # SD unknown: not judged
    assert uncertain_pattern_note(9.0, float("nan"), CUT_OFFS) is None


def test_the_note_round_trips_through_the_stride_file():
    data = {
        "side": "left",
        "stride": 0,
        "strike_frame": 10.0,
        "strike_time_s": 0.1,
        "toe_off_frame": 30.0,
        "toe_off_time_s": 0.3,
        "peak_knee_flexion_frame": 20.0,
        "foot_lateral_m": 0.1,
        "foot_strike_angle_deg": 9.0,
        "foot_strike_pattern": "rearfoot",
        "foot_strike_pattern_note": uncertain_pattern_note(9.0, 1.0, CUT_OFFS),
        "uncertainty": {"foot_strike_angle_deg": 1.0},
    }
    stride = Stride.from_dict(data)
    assert stride.foot_strike_pattern_note == data["foot_strike_pattern_note"]
    assert "foot_strike_pattern_note" not in stride.values
    assert Stride.from_dict(stride.to_dict()) == stride
    assert list(stride.to_dict()).index("foot_strike_pattern_note") == (
        list(stride.to_dict()).index("foot_strike_pattern") + 1
    )


def test_a_value_read_at_one_strike_carries_the_strikes_shared_read():
    """The larger of the predicted SD and the scatter, with the trial's shared strike read in
    quadrature unless asked for the strike alone (a value read at two strikes cancels it);
    given events: 0; a shared read of unknown SD: unknown."""
    timing = {"left": {"foot_strike": {10.0: 0.6}}, SHARED: {"foot_strike": 0.8}}
    assert np.isclose(strike_timing_sd(timing, "left", 10.0, None), 1.0)
    assert np.isclose(strike_timing_sd(timing, "left", 10.0, 0.5), 1.0)  # scatter below
    assert strike_timing_sd(timing, "left", 10.0, None, shared=False) == 0.6
    assert strike_timing_sd(None, "left", 10.0, None) == 0.0
    unknown = {"left": {"foot_strike": {10.0: 0.6}}, SHARED: {"foot_strike": np.nan}}
    assert np.isnan(strike_timing_sd(unknown, "left", 10.0, None))
