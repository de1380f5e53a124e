"""Event detection against the synthetic generator's exact events (issue #6).

Trials go through the real observation path: true 3D -> 4-camera synthetic rig -> 2D
observations with Gaussian pixel noise -> DLT triangulation (about 1-2 mm of vertical noise
per keypoint at 1 px inside the rig). Targets (issue #6), per event type and condition, in
frames: mean absolute error <= 1 frame at 60 and 120 fps and <= 2 frames at 240 fps (the same
~8 ms), |bias| <= 0.5 frame at 60/120 fps and <= 1 frame at 240 fps.

Each condition pools several recordings, as a lab does: TREADMILL_TRIALS trials of 3 s, or
OVERGROUND_PASSES passes of a runner crossing the rig (seeds differ in kinematic variation
and detector noise). One 3 s trial holds only 7-9 events per side pair, too few to pin a
bias to 0.5 frame (seed 0 alone: fast treadmill 60 fps strikes bias -0.504). Overground, the
runner covers 9-15 m through a 3.2 m camera circle, so most contacts are seen by 2 cameras
at grazing angles; the analysis reports those as poorly observed (`detect_screened_events`,
predicted timing SD above 3 ms/px or 0.6 frame/px where fewer than 3 views saw a sample that
times it, gait/event_screen.py) instead of timing them, and the test holds it to the target
on the events it does time, and to timing every event the rig sees well (recall).
"""

import numpy as np
import pytest
from scenes.gait import CAMERAS, RUNNERS, inside_image, noisy_triangulation

from pipeline.config import RunnerConfig, SyntheticNoiseConfig
from pipeline.core.skeleton import INDEX
from pipeline.gait.events import EventOptions, detect_events, detect_screened_events
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.triangulation.uncertainty import predicted_sd

MATCH_S = 0.15  # a detection within 150 ms of a true event is its estimate
TREADMILL_TRIALS, OVERGROUND_PASSES = 4, 6
MAX_TIMING_SD_S = 0.003  # the analysis default (AnalysisConfig.max_event_timing_sd_ms)
SYNTH_TIP = 0.0  # the synthetic runner's big toe is the shoe's tip (toe_tip_ahead_m)
SYNTH_OPTIONS = EventOptions(toe_tip_ahead_m=SYNTH_TIP)
WELL_SEEN_VIEWS = 3  # recall: events whose foot is inside >= 3 camera images throughout


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


def well_seen_events(truth, name, window_s=0.04, end_margin_s=0.1):
    """True events whose heel and big toe project inside >= WELL_SEEN_VIEWS camera images at
    every frame within window_s (from the true 3D, independent of the analysis's screen), and
    at least end_margin_s from the trial's ends (the event fit needs samples on both sides)."""
    true_events = truth.foot_strikes if name == "foot_strike" else truth.toe_offs
    half = int(round(window_s * truth.fps))
    kept = []
    for side, times in true_events.items():
        foot = truth.points[:, [INDEX[f"{side}_heel"], INDEX[f"{side}_big_toe"]]]
        inside = np.stack([inside_image(cam, foot).all(axis=1) for cam in CAMERAS]).sum(axis=0)
        for t in times:
            lo, hi = int(t) - half, int(t) + half + 2
            margin = end_margin_s * truth.fps
            if margin <= t <= len(inside) - 1 - margin and inside[lo:hi].min() >= WELL_SEEN_VIEWS:
                kept.append((side, t))
    return kept


CASES = [
    (r, tm, fps, ev)
    for fps in (60.0, 120.0, 240.0)
    for tm in (True, False)
    for r in RUNNERS
    for ev in ("foot_strike", "toe_off")
]
_TRIALS = {}


def _recordings(runner, treadmill, fps):
    """[(truth, timed events, poorly observed events)] for each trial or pass of a condition."""
    key = (runner, treadmill, fps)
    if key not in _TRIALS:
        out = []
        for seed in range(TREADMILL_TRIALS if treadmill else OVERGROUND_PASSES):
            truth, tri = noisy_triangulation(runner, treadmill, fps, pixel_sigma=1.0, seed=seed)
            height_sd = predicted_sd(tri.points, CAMERAS, tri.views_used)[..., 2]
            timed, poor, _ = detect_screened_events(
                tri.points,
                fps,
                height_sd,
                max_timing_sd_s=MAX_TIMING_SD_S,
                n_views=tri.n_views,
                options=SYNTH_OPTIONS,
            )
            out.append((truth, timed, poor))
        _TRIALS[key] = out
    return _TRIALS[key]


@pytest.mark.parametrize(
    "runner, treadmill, fps, event",
    CASES,
    ids=[f"{r}-{'treadmill' if tm else 'overground'}-{fps:.0f}-{ev}" for r, tm, fps, ev in CASES],
)
def test_event_timing_on_triangulated_noisy_keypoints(runner, treadmill, fps, event):
    errors, n_true, n_poor, missed_well_seen = [], 0, 0, []
    for seed, (truth, timed, poor) in enumerate(_recordings(runner, treadmill, fps)):
        errors.extend(timing_errors(timed, truth, event))
        n_true += sum(
            len(v)
            for v in (truth.foot_strikes if event == "foot_strike" else truth.toe_offs).values()
        )
        n_poor += sum(len(poor[side][event]) for side in poor)
        for side, t in well_seen_events(truth, event):
            found = np.asarray(timed[side][event])
            if not (found.size and np.min(np.abs(found - t)) < MATCH_S * truth.fps):
                missed_well_seen.append((seed, side, round(t, 1)))
    errors = np.array(errors)
    runs = len(_recordings(runner, treadmill, fps))
    if treadmill:  # every contact is inside the rig: all timed, bar those cut by trial ends
        assert n_poor == 0 and errors.size >= n_true - 2 * runs
    assert not missed_well_seen, f"well-seen events not timed: {missed_well_seen}"
    assert errors.size >= 8, f"only {errors.size} events timed over {runs} recordings"
    scale = fps / 120.0 if fps > 120 else 1.0
    assert np.mean(np.abs(errors)) <= 1.0 * scale, f"mae {np.mean(np.abs(errors)):.2f}"
    assert abs(np.mean(errors)) <= 0.5 * scale, f"bias {np.mean(errors):+.2f}"


def test_noise_free_events_within_one_frame_at_120_fps():
    # measured (4 runners at 120 fps): strikes 0.07-0.27 frame late, toe-offs 0.03-0.25 early (model bias of
    # the corner fit: the synthetic heel lands flatter than s^2 in its last millimetres)
    truth = simulate_run(RunnerConfig(**RUNNERS["typical"]), 120.0)
    detected = detect_events(truth.points, 120.0, SYNTH_OPTIONS)
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
    detected = detect_events(points, 120.0, SYNTH_OPTIONS)["left"]
    for times in detected.values():
        assert not np.any((times > gap.start - 1) & (times < gap.stop))
    assert np.min(np.abs(detected["foot_strike"] - truth.foot_strikes["left"][2])) <= 1.0


# --- the triangulate stage's own output ---------------------------------------------------
# What `runlab analyze` gets: the default robust triangulation with despike, gap fill, limb-
# length refinement and a 15 Hz low-pass. The low-pass rounds the heel's touchdown and the
# toe's lift-off (measured on the low-passed points, 2 trials per condition: strikes up to
# +0.51 frame late at 120 fps and +0.89 at 240 fps, toe-offs up to 0.97 early at 240 fps),
# so events are detected on `points_unfiltered`: the same points before the low-pass.
STAGE_CASES = [
    (r, fps, ev)
    for fps in (60.0, 120.0, 240.0)
    for r in RUNNERS
    for ev in ("foot_strike", "toe_off")
]
_STAGE = {}


def _stage_recordings(runner, fps):
    from pipeline.config import TriangulationConfig
    from pipeline.triangulation.run import triangulate_recording

    if (runner, fps) not in _STAGE:
        out = []
        for seed in range(2):
            truth = simulate_run(RunnerConfig(**RUNNERS[runner], seed=seed), fps)
            obs = observe(truth.points, CAMERAS, SyntheticNoiseConfig(pixel_sigma=1.0, seed=seed))
            result = triangulate_recording(obs, CAMERAS, fps, TriangulationConfig())
            height_sd = predicted_sd(result.points, CAMERAS, result.views_used)[..., 2]
            timed, poor, _ = detect_screened_events(
                result.points_unfiltered,
                fps,
                height_sd,
                max_timing_sd_s=MAX_TIMING_SD_S,
                n_views=result.n_views,
                options=SYNTH_OPTIONS,
            )
            out.append((truth, timed, poor))
        _STAGE[runner, fps] = out
    return _STAGE[runner, fps]


@pytest.mark.parametrize(
    "runner, fps, event", STAGE_CASES, ids=[f"{r}-{fps:.0f}-{ev}" for r, fps, ev in STAGE_CASES]
)
def test_event_timing_on_the_triangulate_stage_output(runner, fps, event):
    errors, n_true, n_poor = [], 0, 0
    for truth, timed, poor in _stage_recordings(runner, fps):
        errors.extend(timing_errors(timed, truth, event))
        n_true += sum(
            len(v)
            for v in (truth.foot_strikes if event == "foot_strike" else truth.toe_offs).values()
        )
        n_poor += sum(len(poor[side][event]) for side in poor)
    errors = np.array(errors)
    assert n_poor == 0 and errors.size >= n_true - 4
    scale = fps / 120.0 if fps > 120 else 1.0
    assert np.mean(np.abs(errors)) <= 1.0 * scale, f"mae {np.mean(np.abs(errors)):.2f}"
    assert abs(np.mean(errors)) <= 0.5 * scale, f"bias {np.mean(errors):+.2f}"


def test_an_event_on_a_detection_dropout_is_counted_as_one():
    """Events not timed because the foot was gap-filled (no views: SD NaN) are told apart from
    those the cameras see poorly (SD above the limit): 'a short dropout is a dropout'."""
    from pipeline.gait.events import dropout_events

    sd = np.full((200, 26), 0.001)
    heel = INDEX["left_heel"]
    sd[48:53, heel] = np.nan  # a 5-frame dropout around frame 50
    sd[120:130, INDEX["right_big_toe"]] = 0.004  # poorly observed, seen by cameras
    poor = {
        "left": {"foot_strike": np.array([50.0]), "toe_off": np.array([])},
        "right": {"foot_strike": np.array([]), "toe_off": np.array([125.0])},
    }
    assert dropout_events(poor, sd, 120.0) == 1


def test_the_toe_tip_offset_the_analyze_stage_uses():
    # the parametric synthetic runner's big toe is the tip (0); a detector's or a toe marker's
    # sits on the toe box (40 mm), also in a synthetic session driven by a real runner's motion
    from types import SimpleNamespace

    from pipeline.gait.events import TOE_TIP_AHEAD_M
    from pipeline.stages.analyze import toe_tip_ahead_m

    def cfg(mm):
        return SimpleNamespace(analysis=SimpleNamespace(toe_tip_ahead_mm=mm))

    assert TOE_TIP_AHEAD_M == 0.04
    assert toe_tip_ahead_m(cfg(None), synthetic=True) == 0.0
    assert toe_tip_ahead_m(cfg(None), synthetic=True, motion="run300") == TOE_TIP_AHEAD_M
    assert toe_tip_ahead_m(cfg(None), synthetic=False) == TOE_TIP_AHEAD_M
    assert toe_tip_ahead_m(cfg(25.0), synthetic=True) == 0.025


def test_a_wrong_event_option_fails_at_once_naming_it():
    import dataclasses

    with pytest.raises(TypeError, match="contact_treshold_m"):  # a misspelt name
        EventOptions(contact_treshold_m=0.01)
    with pytest.raises(TypeError, match="cutoff_hz"):  # not a number
        EventOptions(cutoff_hz="12")
    with pytest.raises(TypeError, match="min_flight_s"):
        EventOptions(min_flight_s=True)
    with pytest.raises(ValueError, match="fit_window_s"):  # a window of no length
        EventOptions(fit_window_s=0.0)
    with pytest.raises(ValueError, match="toe_tip_ahead_m"):
        EventOptions(toe_tip_ahead_m=float("nan"))
    assert EventOptions(toe_tip_ahead_m=0).toe_tip_ahead_m == 0  # the tip itself: allowed
    with pytest.raises(dataclasses.FrozenInstanceError):
        SYNTH_OPTIONS.cutoff_hz = 6.0
    with pytest.raises(TypeError, match="toe_tip_ahead_m"):  # options are no keywords
        detect_events(np.zeros((50, 26, 3)), 120.0, toe_tip_ahead_m=0.0)
