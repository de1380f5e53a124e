"""Synthetic runner: the knobs hold when measured from the 3D keypoints with the pipeline's
definitions, the feet obey the ground, and events match the cadence."""

import numpy as np
import pytest

from pipeline.config import RunnerConfig
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.synth.kinematics import simulate_run

SIDES = ("left", "right")
FOOT = ("heel", "big_toe", "small_toe", "ankle")

CASES = {
    "default-60fps": (RunnerConfig(duration_s=4.0), 60.0),
    "default-240fps": (RunnerConfig(duration_s=4.0), 240.0),
    "crossover-asymmetric": (
        RunnerConfig(
            step_width_m=-0.04,
            knee_over_toe_m=0.03,
            peak_knee_flexion_deg=48.0,
            knee_flexion_toe_off_deg=18.0,
            asymmetry=0.1,
            pelvic_drop_deg=8.0,
            speed_mps=4.0,
            cadence_spm=180.0,
            duration_s=4.0,
            seed=3,
        ),
        120.0,
    ),
    "wide-overground": (
        RunnerConfig(
            step_width_m=0.08,
            knee_over_toe_m=-0.06,
            peak_knee_flexion_deg=35.0,
            knee_flexion_toe_off_deg=10.0,
            pelvic_drop_deg=3.0,
            speed_mps=2.5,
            cadence_spm=160.0,
            treadmill=False,
            height_m=1.62,
            duration_s=4.0,
            seed=7,
        ),
        240.0,
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    runner, fps = CASES[request.param]
    return runner, simulate_run(runner, fps)


# --- truth quantities, by the pipeline's definitions --------------------------------------------
def kp(truth, name):
    return truth.points[:, INDEX[name]]


def knee_flexion(truth, side):
    hip, knee, ankle = (kp(truth, f"{side}_{n}") for n in ("hip", "knee", "ankle"))
    a, b = hip - knee, ankle - knee
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def stances(truth, side):
    """(strike, toe_off) pairs, in frames, with both events inside the trial."""
    offs = truth.toe_offs[side]
    return [(s, offs[offs > s][0]) for s in truth.foot_strikes[side] if (offs > s).any()]


def stance_frames(strike, toe_off):
    return np.arange(int(np.ceil(strike)), int(np.floor(toe_off)) + 1)


def at_time(series, frame):
    """Linear interpolation of a per-frame series at a fractional frame."""
    f0 = int(np.floor(frame))
    w = frame - f0
    return (1 - w) * series[f0] + w * series[min(f0 + 1, len(series) - 1)]


def foot_point(truth, side):
    return 0.5 * (kp(truth, f"{side}_heel") + kp(truth, f"{side}_big_toe"))


def obliquity_deg(truth):
    d = kp(truth, "left_hip") - kp(truth, "right_hip")
    return np.degrees(np.arctan2(d[:, 2], d[:, 1]))


def side_knob(runner, value, side):
    return value * (1 + (0.5 if side == "left" else -0.5) * runner.asymmetry)


# --- knobs ----------------------------------------------------------------------------------------
def test_output_shape_and_events_in_frames(case):
    runner, truth = case
    n = int(round(runner.duration_s * truth.fps))
    assert truth.points.shape == (n, N_KEYPOINTS, 3)
    assert np.isfinite(truth.points).all()
    for events in (truth.foot_strikes, truth.toe_offs):
        for side in SIDES:
            assert ((events[side] >= 0) & (events[side] <= n - 1)).all()


def test_peak_stance_knee_flexion_and_toe_off_flexion(case):
    runner, truth = case
    for side in SIDES:
        knee = knee_flexion(truth, side)
        pairs = stances(truth, side)
        assert len(pairs) >= 3
        for strike, toe_off in pairs:
            peak = knee[stance_frames(strike, toe_off)].max()
            assert peak == pytest.approx(
                side_knob(runner, runner.peak_knee_flexion_deg, side), abs=1.0
            )
            assert at_time(knee, toe_off) == pytest.approx(
                side_knob(runner, runner.knee_flexion_toe_off_deg, side), abs=1.0
            )


def test_knee_over_toe_at_peak_flexion(case):
    runner, truth = case
    for side in SIDES:
        knee = knee_flexion(truth, side)
        for strike, toe_off in stances(truth, side):
            frames = stance_frames(strike, toe_off)
            f = frames[np.argmax(knee[frames])]
            ahead = kp(truth, f"{side}_knee")[f, 0] - kp(truth, f"{side}_big_toe")[f, 0]
            assert ahead == pytest.approx(runner.knee_over_toe_m, abs=0.01)


def test_step_width_at_each_foot_strike(case):
    runner, truth = case
    y = {side: foot_point(truth, side)[:, 1] for side in SIDES}
    strikes = sorted((f, side) for side in SIDES for f in truth.foot_strikes[side])
    for (f_prev, side_prev), (f, side) in zip(strikes[:-1], strikes[1:]):
        assert side != side_prev
        here, before = at_time(y[side], f), at_time(y[side_prev], f_prev)
        width = here - before if side == "left" else before - here
        assert width == pytest.approx(runner.step_width_m, abs=0.005)


def test_contralateral_pelvic_drop(case):
    runner, truth = case
    obliquity = obliquity_deg(truth)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for strike, toe_off in stances(truth, side):
            drop = (sign * obliquity[stance_frames(strike, toe_off)]).max()
            assert drop == pytest.approx(runner.pelvic_drop_deg, abs=0.5)


def test_cadence_and_alternating_events(case):
    runner, truth = case
    strikes = sorted((f, side) for side in SIDES for f in truth.foot_strikes[side])
    sides = [s for _, s in strikes]
    assert all(a != b for a, b in zip(sides[:-1], sides[1:]))
    frames = np.array([f for f, _ in strikes])
    cadence = 60.0 * (len(frames) - 1) / ((frames[-1] - frames[0]) / truth.fps)
    assert cadence == pytest.approx(runner.cadence_spm, abs=0.5)
    for side in SIDES:
        for strike, toe_off in stances(truth, side):
            assert strike < toe_off
            nxt = truth.foot_strikes[side][truth.foot_strikes[side] > strike]
            if nxt.size:
                assert toe_off < nxt[0]


def test_stance_fraction_suits_the_speed():
    truth = simulate_run(RunnerConfig(speed_mps=3.0, duration_s=4.0), 240.0)
    stride = 120.0 / 170.0 * 240.0
    for side in SIDES:
        for strike, toe_off in stances(truth, side):
            assert 0.35 <= (toe_off - strike) / stride <= 0.42


# --- ground contact -------------------------------------------------------------------------------
def foot_z(truth, side):
    return np.stack([kp(truth, f"{side}_{n}")[:, 2] for n in FOOT], axis=1)


def test_stance_foot_on_the_ground_heel_first_then_toe(case):
    _, truth = case
    heel, toe = FOOT.index("heel"), FOOT.index("big_toe")
    for side in SIDES:
        z = foot_z(truth, side)
        for strike, toe_off in stances(truth, side):
            frames = stance_frames(strike, toe_off)
            assert np.abs(z[frames].min(axis=1)).max() < 0.002
            assert z[frames[0], heel] < z[frames[0], toe]  # heel strike
            assert z[frames[-1], toe] < z[frames[-1], heel]  # toe-off from the forefoot


def swing_frames(truth, side):
    out = []
    for toe_off in truth.toe_offs[side]:
        nxt = truth.foot_strikes[side][truth.foot_strikes[side] > toe_off]
        if nxt.size:
            out.append(np.arange(int(np.floor(toe_off)) + 1, int(np.ceil(nxt[0]))))
    return out


def test_swinging_feet_stay_above_the_ground(case):
    _, truth = case
    for side in SIDES:
        z = foot_z(truth, side).min(axis=1)
        for frames in swing_frames(truth, side):
            assert z[frames].min() > -1e-6  # never below the floor (1 um: round-off)
            middle = frames[len(frames) // 8 : len(frames) - len(frames) // 8]
            assert z[middle].min() > 0.005  # and clear of it mid-swing


def test_stance_foot_moves_with_the_belt():
    runner = RunnerConfig(duration_s=3.0)
    truth = simulate_run(runner, 240.0)
    for side in SIDES:
        heel = kp(truth, f"{side}_heel")
        on_ground = np.abs(heel[:, 2]) < 1e-9
        both = on_ground[1:] & on_ground[:-1]
        velocity = np.diff(heel[:, 0]) * truth.fps
        assert both.sum() > 20
        np.testing.assert_allclose(velocity[both], -runner.speed_mps, atol=1e-6)


def test_treadmill_runner_stays_near_the_origin_and_overground_advances():
    tread = simulate_run(RunnerConfig(duration_s=4.0), 120.0)
    pelvis = kp(tread, "hip")
    assert np.abs(pelvis[:, :2]).max() < 0.15
    runner = RunnerConfig(duration_s=4.0, treadmill=False, speed_mps=3.5)
    over = kp(simulate_run(runner, 120.0), "hip")
    speed = (over[-1, 0] - over[0, 0]) / (len(over) / 120.0)
    assert speed == pytest.approx(runner.speed_mps, rel=0.03)
    assert over[0, 0] == pytest.approx(-runner.duration_s * runner.speed_mps / 2, abs=0.2)


def test_body_dimensions_follow_height():
    truth = simulate_run(RunnerConfig(height_m=1.80, duration_s=1.0), 60.0)
    thigh = np.linalg.norm(kp(truth, "left_hip") - kp(truth, "left_knee"), axis=1)
    shank = np.linalg.norm(kp(truth, "left_knee") - kp(truth, "left_ankle"), axis=1)
    np.testing.assert_allclose(thigh, 0.245 * 1.80, atol=1e-9)
    np.testing.assert_allclose(shank, 0.246 * 1.80, atol=1e-9)
    head_top = kp(truth, "head")[:, 2]
    assert 1.6 < head_top.mean() < 1.8


def test_deterministic_and_seeded():
    a = simulate_run(RunnerConfig(duration_s=1.0, seed=1), 120.0)
    b = simulate_run(RunnerConfig(duration_s=1.0, seed=1), 120.0)
    c = simulate_run(RunnerConfig(duration_s=1.0, seed=2), 120.0)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)


def test_a_minute_at_240_fps_is_complete():
    # Speed is measured in benchmarks/synth.py, not asserted here.
    truth = simulate_run(RunnerConfig(duration_s=60.0), 240.0)
    assert truth.points.shape == (14400, N_KEYPOINTS, 3)
    assert np.isfinite(truth.points).all()
    # 170 steps/min for 60 s: 85 strikes per foot, give or take the one at the trial's ends.
    assert all(84 <= len(truth.foot_strikes[s]) <= 86 for s in ("left", "right"))


def test_knobs_outside_the_validated_range_are_refused():
    from pipeline.synth.kinematics import SynthesisError

    # 2 m/s at a high cadence drives the swinging heel through the floor (measured: ~10 cm).
    with pytest.raises(SynthesisError, match="below the floor.*3-5 m/s"):
        simulate_run(RunnerConfig(speed_mps=2.0, cadence_spm=175.0), fps=120.0)
