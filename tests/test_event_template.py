"""Events read on the trial's mean event (gait/event_template.py) at a real detector's height
noise: which events take part, and which are set aside rather than timed by a single-event
fit that noise defeats (issue #26)."""

import numpy as np
import pytest
from scenes.gait import RUNNERS

from pipeline.config import RunnerConfig
from pipeline.core.skeleton import INDEX
from pipeline.gait import event_template
from pipeline.gait.event_template import peel_off_time, read_sd
from pipeline.gait.events import EventOptions, detect_screened_events
from pipeline.synth.kinematics import simulate_run

FPS = 120.0
NOISE_M = 0.008  # a real detector's vertical 3D noise (docs/metrics.md: 8-10 mm)
TIP_OPTIONS = EventOptions(toe_tip_ahead_m=0.0)  # the synthetic runner's big toe is its tip


@pytest.fixture(scope="module")
def noisy_runner():
    truth = simulate_run(RunnerConfig(**RUNNERS["typical"]), FPS)
    points = truth.points.copy()
    points[..., 2] += np.random.default_rng(0).normal(0.0, NOISE_M, points.shape[:2])
    return truth, points


def _screened(points, height_sd):
    timed, poor, _ = detect_screened_events(
        points, FPS, height_sd, max_timing_sd_s=0.003, options=TIP_OPTIONS
    )
    return timed, poor


def _middle_strike(truth):
    return float(truth.foot_strikes["left"][len(truth.foot_strikes["left"]) // 2])


def _blank_before(height_sd, strike, frames, extra_frames=None):
    """Not seen (no views) over `frames` frames of the air side of `strike` (heel and big toe,
    outside the frames the single-event screen looks at), and `extra_frames` of the ankle
    and small toe (the other cues of the mean event)."""
    for names, n in ((("heel", "big_toe"), frames), (("ankle", "small_toe"), extra_frames)):
        hole = slice(int(strike) - 12, int(strike) - 12 + (frames if n is None else n))
        for name in names:
            height_sd[hole, INDEX[f"left_{name}"]] = np.nan


def test_a_keypoint_the_foot_never_has_does_not_keep_its_events_from_the_mean(noisy_runner):
    # a marker set without a small toe (the 5 m/s force-plate trial) and a short dropout
    # before one strike: the strike is still aligned on the mean (before: 6 frames early on
    # the real runner, timed by its own fit)
    truth, points = noisy_runner
    strike = _middle_strike(truth)
    height_sd = np.full(points.shape[:2], 0.001)
    height_sd[:, INDEX["left_small_toe"]] = np.nan
    _blank_before(height_sd, strike, 5)
    timed, poor = _screened(points, height_sd)
    errors = timed["left"]["foot_strike"] - strike
    assert np.min(np.abs(errors)) <= 2.0, errors
    assert not np.any(np.abs(poor["left"]["foot_strike"] - strike) < 6)


def test_an_event_too_little_seen_to_align_is_set_aside_not_timed(noisy_runner):
    truth, points = noisy_runner
    strike = _middle_strike(truth)
    height_sd = np.full(points.shape[:2], 0.001)
    _blank_before(height_sd, strike, 4, 19)  # over 40 % of its window unseen
    timed, poor = _screened(points, height_sd)
    assert np.any(np.abs(poor["left"]["foot_strike"] - strike) < 6), poor
    assert not np.any(np.abs(timed["left"]["foot_strike"] - strike) < 6), timed
    # the other strikes are still timed on the mean
    others = [t for t in truth.foot_strikes["left"] if abs(t - strike) > 6 and 20 < t < 340]
    for t in others:
        assert np.min(np.abs(timed["left"]["foot_strike"] - t)) <= 3.0, (t, timed)


def test_the_peel_off_read_times_a_toe_peeled_off_a_floor_at_any_level():
    # the tip cue on a flat floor with noise-free heights, then peeled off quadratically at a
    # sub-frame time; the level is fitted, so a floor offset does not move the read
    frames = np.arange(40, dtype=float)
    for toe_off, b, floor in ((20.3, 0.002, 0.0), (19.6, 0.006, -0.012)):
        height = floor + b * np.maximum(frames - toe_off, 0.0) ** 2
        assert abs(peel_off_time(height, 20, 4, 0.05) - toe_off) <= 0.1
    assert np.isnan(peel_off_time(np.full(40, np.nan), 20, 4, 0.05))


def test_the_peel_off_read_on_a_noise_free_mean_event_is_not_early(monkeypatch):
    # the hamner force-plate trials' marker keypoints, every event read on the trial's mean
    # event as at a real detector's noise (the clean trials are otherwise timed event by
    # event): measured toe-off bias -0.15 frame at 100 Hz (per trial -0.53, -0.02, +0.10,
    # -0.14 at 2-5 m/s); -0.58 (-0.53, -0.72, -0.40, -0.66) with the read's level over 2 fit
    # half-windows before the edge, the bottom of the tip cue's dip (docs/metrics.md)
    from running_mocap import HAMNER, TREADMILL_TRIALS, treadmill_trial
    from test_gait_real_running import event_scores

    from pipeline.config import ThresholdsConfig
    from pipeline.gait import events
    from pipeline.gait.metrics import analyze_trial

    if not HAMNER.is_dir():
        pytest.skip("../shared/data/running-mocap absent")
    monkeypatch.setattr(events, "TEMPLATE_NOISE_M", -1.0)
    rows = []
    for name in TREADMILL_TRIALS:
        points, fps, truth, speed = treadmill_trial(name)
        analysis = analyze_trial(points, fps, [1, 0, 0], ThresholdsConfig(), belt_speed_mps=speed)
        rows.append({"fps": fps, "n": len(points), "found": analysis.events, "truth": truth})
    toe_offs = event_scores(rows)["toe_off"]
    assert toe_offs["timed"] == 1.0 and toe_offs["false"] == 0, toe_offs
    assert abs(toe_offs["bias"]) <= 0.3, toe_offs["bias"]


def test_the_reads_sd_over_its_events():
    """On a read that is the mean of its events' values the bootstrap SD is the mean's
    standard error, sqrt((n - 1) / n) s / sqrt(n) (within the resamples' own scatter), and the
    delete-one jackknife (n <= JACKKNIFE_GROUPS) exactly s / sqrt(n)."""
    values = np.random.default_rng(3).normal(0.0, 2.0, 8)

    def read(members):
        return float(values[members].mean())

    n, s = values.size, values.std(ddof=1)
    assert read_sd(read, n) == pytest.approx(np.sqrt((n - 1) / n) * s / np.sqrt(n), rel=0.25)
    method = event_template.READ_SD_METHOD
    try:
        event_template.READ_SD_METHOD = "jackknife"
        assert read_sd(read, n) == pytest.approx(s / np.sqrt(n))
    finally:
        event_template.READ_SD_METHOD = method
    assert np.isnan(read_sd(lambda members: np.nan, n))  # a read that never works


def test_events_read_on_the_mean_carry_its_sd_and_own_fits_none(noisy_runner):
    truth, points = noisy_runner
    height_sd = np.full(points.shape[:2], 0.001)
    *_, shared = detect_screened_events(
        points, FPS, height_sd, max_timing_sd_s=0.003, options=TIP_OPTIONS
    )
    assert all(np.isfinite(sd) and 0.0 < sd < 3.0 for sd in shared.values()), shared
    *_, clean = detect_screened_events(
        truth.points, FPS, height_sd, max_timing_sd_s=0.003, options=TIP_OPTIONS
    )
    assert clean == {"foot_strike": 0.0, "toe_off": 0.0}  # each event its own corner fit
