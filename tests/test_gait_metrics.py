import json

import numpy as np
import pytest

from pipeline.config import ThresholdsConfig
from pipeline.gait.angles import knee_flexion_deg, pelvic_obliquity_deg
from pipeline.gait.events import detect_events
from pipeline.gait.metrics import analyze_trial, sample_at
from pipeline.skeleton import INDEX, N_KEYPOINTS

FPS = 120.0
STRIDE_FRAMES = 84          # 0.7 s stride: 171 steps/min
STANCE_FRAMES = 30
FIRST_STRIKE = {"left": 10, "right": 10 + STRIDE_FRAMES // 2}
THIGH, SHANK, HALF_PELVIS = 0.45, 0.45, 0.09


def knee_curve(u_stance, strike_deg, peak_deg, toe_off_deg):
    """Knee flexion over stance fraction u in [0, 1]; the peak is exact at u = 0.5."""
    rise = strike_deg + (peak_deg - strike_deg) * np.sin(np.pi * np.minimum(u_stance, 0.5))
    fall = toe_off_deg + (peak_deg - toe_off_deg) * np.sin(np.pi * np.maximum(u_stance, 0.5))
    return np.where(u_stance <= 0.5, rise, fall)


def running_trial(n_strides=6, foot_y=None, knee=(12.0, 42.0, 15.0), knee_over_toe=0.03,
                  drop_deg=6.0, swing_height=0.15):
    """Analytic running keypoints (F, 26, 3) with known events and metrics (forward = +X).

    Each foot: flat on its stance level from strike to toe-off, then a half-sine swing arc
    (finite speed at contact, like a real foot). Thigh vertical under the hip, shank rotated
    back by the knee angle; big toe `knee_over_toe` behind the knee in stance.
    """
    foot_y = foot_y or {"left": 0.05, "right": -0.05}
    n_frames = FIRST_STRIKE["left"] + n_strides * STRIDE_FRAMES + 15   # n strides a side
    frames = np.arange(n_frames)
    points = np.zeros((n_frames, N_KEYPOINTS, 3))
    obliquity = np.zeros(n_frames)
    flexion, events = {}, {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        phase = (frames - FIRST_STRIKE[side]) % STRIDE_FRAMES
        started = frames >= FIRST_STRIKE[side]
        stance = (phase < STANCE_FRAMES) & started
        u = phase / STANCE_FRAMES
        q = np.clip((phase - STANCE_FRAMES) / (STRIDE_FRAMES - STANCE_FRAMES), 0, 1)
        swing_knee = knee[2] + (knee[0] - knee[2]) * q + 60 * np.sin(np.pi * q)
        flexion[side] = np.radians(np.where(stance, knee_curve(u, *knee), swing_knee))
        lift = np.where(stance | ~started, 0.0, swing_height * np.sin(np.pi * q))
        obliquity += np.where(stance, sign * drop_deg * np.sin(np.pi * u), 0.0)

        y = np.full(n_frames, foot_y[side])
        points[:, INDEX[f"{side}_heel"]] = np.stack([np.full(n_frames, -0.08), y, 0.05 + lift], 1)
        points[:, INDEX[f"{side}_big_toe"]] = np.stack(
            [np.full(n_frames, -knee_over_toe), y, 0.03 + lift], 1)
        strikes = np.arange(FIRST_STRIKE[side], n_frames, STRIDE_FRAMES, dtype=float)
        events[side] = {"foot_strike": strikes,
                        "toe_off": strikes[strikes + STANCE_FRAMES < n_frames] + STANCE_FRAMES}

    phi = np.radians(obliquity)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = np.stack([np.zeros(n_frames), sign * HALF_PELVIS * np.cos(phi),
                        0.95 + sign * HALF_PELVIS * np.sin(phi)], 1)
        knee_position = hip - [0.0, 0.0, THIGH]
        shank = np.stack([-np.sin(flexion[side]), np.zeros(n_frames), -np.cos(flexion[side])], 1)
        points[:, INDEX[f"{side}_hip"]] = hip
        points[:, INDEX[f"{side}_knee"]] = knee_position
        points[:, INDEX[f"{side}_ankle"]] = knee_position + SHANK * shank
    return points, events


def thresholds(**kw):
    return ThresholdsConfig(**kw)


def test_angles_on_prescribed_geometry():
    points, _ = running_trial()
    flexion = knee_flexion_deg(points, "left")
    assert flexion[FIRST_STRIKE["left"]] == pytest.approx(12.0, abs=1e-9)
    assert flexion[FIRST_STRIKE["left"] + STANCE_FRAMES // 2] == pytest.approx(42.0, abs=1e-9)
    obliquity = pelvic_obliquity_deg(points, [1.0, 0.0, 0.0])
    assert obliquity[FIRST_STRIKE["left"] + STANCE_FRAMES // 2] == pytest.approx(6.0, abs=1e-9)
    assert obliquity[FIRST_STRIKE["right"] + STANCE_FRAMES // 2] == pytest.approx(-6.0, abs=1e-9)


def test_metrics_with_true_events_match_prescribed_values():
    points, events = running_trial(foot_y={"left": 0.04, "right": -0.03})
    result = analyze_trial(points, FPS, [1, 0, 0], thresholds(), events=events)
    assert len(result.strides) == 12
    for stride in result.strides:
        assert stride["peak_stance_knee_flexion_deg"] == pytest.approx(42.0, abs=1e-9)
        assert stride["knee_flexion_at_strike_deg"] == pytest.approx(12.0, abs=1e-9)
        assert stride["knee_flexion_at_toe_off_deg"] == pytest.approx(15.0, abs=1e-9)
        assert stride["knee_over_toe_m"] == pytest.approx(0.03, abs=1e-12)
        assert stride["pelvic_drop_deg"] == pytest.approx(6.0, abs=1e-9)
    widths = [s["step_width_m"] for s in result.strides]
    # the first left strike has no earlier right strike
    assert widths.count(None) == 1
    assert all(w == pytest.approx(0.07, abs=1e-12) for w in widths if w is not None)
    assert result.summary["cadence_spm"] == pytest.approx(60 * FPS / (STRIDE_FRAMES / 2))
    left = result.summary["sides"]["left"]
    width = left["metrics"]["step_width_m"]
    assert width["n"] == 5 and width["n_missing"] == 1
    assert left["crossover_share"] == 0.0
    names = {(f["name"], f["side"]) for f in result.flags}
    assert names == {("knee_over_toe", "left"), ("knee_over_toe", "right")}
    json.dumps(result.to_dict())


def test_crossover_and_low_knee_flexion_flags():
    points, events = running_trial(foot_y={"left": -0.01, "right": 0.02}, knee=(10.0, 33.0, 14.0),
                                   knee_over_toe=-0.02)
    result = analyze_trial(points, FPS, [1, 0, 0], thresholds(), events=events)
    widths = [s["step_width_m"] for s in result.strides if s["step_width_m"] is not None]
    assert widths == pytest.approx([-0.03] * len(widths))
    flags = {(f["name"], f["side"]): f for f in result.flags}
    assert set(flags) == {(name, side) for name in ("crossover", "low_peak_knee_flexion")
                          for side in ("left", "right")}
    crossover = flags[("crossover", "right")]
    assert crossover["value"] == pytest.approx(-0.03) and crossover["threshold"] == 0.0
    assert crossover["n_strides"] == 6 and "-0.030 m" in crossover["message"]
    assert result.summary["sides"]["right"]["crossover_share"] == 1.0


def test_conventions_hold_when_running_along_minus_x():
    points, events = running_trial(foot_y={"left": 0.04, "right": -0.03})
    turned = points * [-1.0, -1.0, 1.0]          # 180 deg about Z
    a = analyze_trial(points, FPS, [1, 0, 0], thresholds(), events=events)
    b = analyze_trial(turned, FPS, [-1, 0, 0], thresholds(), events=events)
    assert a.strides == b.strides


def test_insufficient_strides_reports_no_statistic_and_no_flag():
    points, events = running_trial(n_strides=2, foot_y={"left": -0.01, "right": 0.02})
    result = analyze_trial(points, FPS, [1, 0, 0], thresholds(min_strides=3), events=events)
    width = result.summary["sides"]["left"]["metrics"]["step_width_m"]
    assert width["mean"] is None and width["n"] == 1
    assert width["note"] == "insufficient strides (n=1, need 3)"
    assert result.flags == []


def test_nan_keypoints_make_values_missing_not_numbers():
    points, events = running_trial()
    points[FIRST_STRIKE["left"] + 5, INDEX["left_knee"]] = np.nan
    result = analyze_trial(points, FPS, [1, 0, 0], thresholds(), events=events)
    first = result.strides[0]
    assert first["side"] == "left"
    assert first["peak_stance_knee_flexion_deg"] is None and first["knee_over_toe_m"] is None
    assert first["knee_flexion_at_strike_deg"] == pytest.approx(12.0)
    peak = result.summary["sides"]["left"]["metrics"]["peak_stance_knee_flexion_deg"]
    assert peak["n"] == 5 and peak["n_missing"] == 1 and peak["mean"] == pytest.approx(42.0)


def test_sample_at_interpolates_and_propagates_gaps():
    series = np.array([0.0, 10.0, np.nan, 30.0])
    assert sample_at(series, 0.25) == pytest.approx(2.5)
    assert np.isnan(sample_at(series, 1.5)) and np.isnan(sample_at(series, 3.5))
    assert sample_at(series, 3.0) == 30.0


def bouncing_foot(fps, strikes, toe_offs, heel_offs):
    """Heel and toe heights above their stance levels, sampled at fps, for known contacts.

    The heel lands at each strike and lifts at heel-off; the toe comes down linearly over
    the first 30 ms of stance and leaves at toe-off; swing arcs are half-sines, so the
    foot meets and leaves the ground with a finite vertical speed, as in running.
    """
    t = np.arange(int((strikes[-1] + 0.1) * fps)) / fps
    heel, toe = np.zeros(t.size), np.zeros(t.size)
    for k in range(len(strikes) - 1):
        landing = (t >= strikes[k]) & (t < strikes[k] + 0.03)
        toe[landing] = 0.03 * (1 - (t[landing] - strikes[k]) / 0.03)
        heel_swing = (t > heel_offs[k]) & (t < strikes[k + 1])
        heel[heel_swing] = 0.20 * np.sin(np.pi * (t[heel_swing] - heel_offs[k])
                                         / (strikes[k + 1] - heel_offs[k]))
        toe_swing = (t > toe_offs[k]) & (t < strikes[k + 1])
        s = (t[toe_swing] - toe_offs[k]) / (strikes[k + 1] - toe_offs[k])
        toe[toe_swing] = 0.12 * np.sin(np.pi * s) + 0.03 * s
    return heel, toe


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_event_detection_on_bouncing_foot_within_one_frame(seed):
    rng = np.random.default_rng(seed)    # contacts at arbitrary sub-frame times
    strikes = 0.05 + np.cumsum(rng.uniform(0.66, 0.72, 6)) - 0.6
    toe_offs = strikes[:-1] + rng.uniform(0.21, 0.26, 5)
    heel, toe = bouncing_foot(FPS, strikes, toe_offs, heel_offs=toe_offs - 0.10)
    points = np.zeros((heel.size, N_KEYPOINTS, 3))
    points[:, INDEX["left_heel"], 2] = 0.06 + heel
    points[:, INDEX["left_big_toe"], 2] = 0.02 + toe
    events = detect_events(points, FPS)["left"]
    # the trial starts in stance: its first strike is not seen
    np.testing.assert_allclose(events["foot_strike"], strikes[1:] * FPS, atol=1.0)
    np.testing.assert_allclose(events["toe_off"], toe_offs * FPS, atol=1.0)


def test_analyze_trial_detects_events_itself():
    points, truth = running_trial(foot_y={"left": 0.04, "right": -0.03})
    result = analyze_trial(points, FPS, [1, 0, 0], thresholds())
    for side in ("left", "right"):
        # both feet stand still before their first strike: that strike is not seen
        np.testing.assert_allclose(result.events[side]["foot_strike"],
                                   truth[side]["foot_strike"][1:], atol=1.0)
        np.testing.assert_allclose(result.events[side]["toe_off"], truth[side]["toe_off"], atol=1.0)
    peak = result.summary["sides"]["left"]["metrics"]["peak_stance_knee_flexion_deg"]
    assert peak["mean"] == pytest.approx(42.0, abs=0.5)
    width = result.summary["sides"]["right"]["metrics"]["step_width_m"]
    assert width["mean"] == pytest.approx(0.07, abs=1e-9)
