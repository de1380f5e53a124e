"""Event detection against the synthetic generator's exact events (issue #6).

Trials go through the real observation path: true 3D -> 4-camera synthetic rig -> 2D
observations with Gaussian pixel noise -> DLT triangulation (about 1-2 mm of vertical noise
per keypoint at 1 px). Targets (issue #6), per event type and condition, in frames:
mean absolute error <= 1 frame at 60 and 120 fps and <= 2 frames at 240 fps (the same
~8 ms), |bias| <= 0.5 frame at 60/120 fps and <= 1 frame at 240 fps.
Conditions the detector does not yet meet are marked xfail(strict) with the measured
numbers, so the tolerance stays the target and a fix shows up as an XPASS.
"""
import numpy as np
import pytest

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.gait.events import detect_events
from pipeline.skeleton import INDEX
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig
from pipeline.triangulation.dlt import triangulate_dlt

RUNNERS = {   # knob sets spanning speed 3-5 m/s, cadence 155-185, knee 38-48 deg, knee-over-toe
    "typical": dict(speed_mps=3.5, cadence_spm=170, peak_knee_flexion_deg=42,
                    knee_over_toe_m=-0.02, step_width_m=0.06),
    "slow": dict(speed_mps=3.0, cadence_spm=155, peak_knee_flexion_deg=48,
                 knee_over_toe_m=0.05, step_width_m=0.05),
    "fast": dict(speed_mps=5.0, cadence_spm=185, peak_knee_flexion_deg=38,
                 knee_over_toe_m=-0.04, step_width_m=0.07),
    "crossover": dict(speed_mps=4.0, cadence_spm=165, peak_knee_flexion_deg=45,
                      knee_over_toe_m=0.03, step_width_m=-0.03, pelvic_drop_deg=8.0),
}
CAMERAS = make_rig(RigConfig())
MATCH_S = 0.15            # a detection within 150 ms of a true event is its estimate


def noisy_trial(runner, treadmill, fps, pixel_sigma, seed=0):
    truth = simulate_run(RunnerConfig(**RUNNERS[runner], treadmill=treadmill, seed=seed), fps)
    obs = observe(truth.points, CAMERAS, SyntheticNoiseConfig(pixel_sigma=pixel_sigma, seed=seed))
    return truth, triangulate_dlt(obs, CAMERAS, min_score=0.3, min_views=2).points


def timing_errors(detected, truth, name):
    """Detected minus true event times (frames) of every true event that was detected."""
    true_events = truth.foot_strikes if name == "foot_strike" else truth.toe_offs
    errors = []
    for side, true in true_events.items():
        found = np.asarray(detected[side][name])
        for t in true:
            if found.size and np.min(np.abs(found - t)) < MATCH_S * truth.fps:
                errors.append(found[np.argmin(np.abs(found - t))] - t)
    return np.array(errors)


# (runner, treadmill, fps, event) -> measured "mae, bias, max" where the target is missed.
KNOWN_MISSES = {   # as measured when written (pixel_sigma=1, seed 0); the test recomputes them
    ('fast', True, 60.0, 'foot_strike'): "mae 0.55, bias -0.50, max 1.30 frames",
    ('slow', False, 60.0, 'foot_strike'): "mae 0.95, bias -0.81, max 4.22 frames",
    ('fast', False, 60.0, 'foot_strike'): "mae 1.45, bias +0.43, max 2.49 frames",
    ('typical', False, 120.0, 'foot_strike'): "mae 1.22, bias +0.42, max 2.78 frames",
    ('slow', False, 120.0, 'foot_strike'): "mae 1.11, bias -0.70, max 2.53 frames",
    ('fast', False, 120.0, 'foot_strike'): "mae 1.52, bias +0.59, max 3.74 frames",
    ('crossover', False, 120.0, 'foot_strike'): "mae 1.25, bias +0.00, max 2.68 frames",
    ('fast', False, 240.0, 'foot_strike'): "mae 2.90, bias +2.62, max 6.48 frames",
}

CASES = [(r, tm, fps, ev) for fps in (60.0, 120.0, 240.0) for tm in (True, False)
         for r in RUNNERS for ev in ("foot_strike", "toe_off")]


def _param(case):
    runner, treadmill, fps, event = case
    cid = f"{runner}-{'treadmill' if treadmill else 'overground'}-{fps:.0f}-{event}"
    if case in KNOWN_MISSES:
        return pytest.param(*case, id=cid, marks=pytest.mark.xfail(
            strict=True, reason=f"issue #6 target not met: {KNOWN_MISSES[case]}"))
    return pytest.param(*case, id=cid)


_TRIALS = {}


def _detected(runner, treadmill, fps):
    key = (runner, treadmill, fps)
    if key not in _TRIALS:
        truth, points = noisy_trial(runner, treadmill, fps, pixel_sigma=1.0)
        _TRIALS[key] = truth, detect_events(points, fps)
    return _TRIALS[key]


@pytest.mark.parametrize("runner, treadmill, fps, event", [_param(c) for c in CASES])
def test_event_timing_on_triangulated_noisy_keypoints(runner, treadmill, fps, event):
    truth, detected = _detected(runner, treadmill, fps)
    errors = timing_errors(detected, truth, event)
    n_true = sum(len(v) for v in (truth.foot_strikes if event == "foot_strike"
                                  else truth.toe_offs).values())
    assert errors.size >= n_true - 2          # at most the events at the trial's ends missed
    scale = fps / 120.0 if fps > 120 else 1.0
    assert np.mean(np.abs(errors)) <= 1.0 * scale, f"mae {np.mean(np.abs(errors)):.2f}"
    assert abs(np.mean(errors)) <= 0.5 * scale, f"bias {np.mean(errors):+.2f}"


def test_noise_free_events_within_one_frame_at_120_fps():
    # measured (4 runners at 120 fps): strikes 0.07-0.27 frame late, toe-offs 0.03-0.25 early (model bias of
    # the corner fit: the synthetic heel lands flatter than s^2 in its last millimetres)
    truth = simulate_run(RunnerConfig(**RUNNERS["typical"]), 120.0)
    detected = detect_events(truth.points, 120.0)
    for event in ("foot_strike", "toe_off"):
        errors = timing_errors(detected, truth, event)
        assert errors.size >= 6 and np.max(np.abs(errors)) <= 1.0


def test_no_events_invented_inside_gaps():
    truth = simulate_run(RunnerConfig(**RUNNERS["typical"]), 120.0)
    points = truth.points.copy()
    strike = truth.foot_strikes["left"][1]
    gap = slice(int(strike) - 10, int(strike) + 10)
    points[gap, INDEX["left_heel"]] = np.nan
    points[gap, INDEX["left_big_toe"]] = np.nan
    detected = detect_events(points, 120.0)["left"]
    for times in detected.values():
        assert not np.any((times > gap.start - 1) & (times < gap.stop))
    assert np.min(np.abs(detected["foot_strike"] - truth.foot_strikes["left"][2])) <= 1.0
