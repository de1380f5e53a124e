"""Trial verdicts (issue #15): each row of the bad-input matrix goes through the real
triangulation and analysis of a synthetic running trial and must end in the stated verdict and
reason, never in a plain report."""

import numpy as np
import pytest

from pipeline.config import (
    AnalysisConfig,
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,
    TriangulationConfig,
    VerdictConfig,
)
from pipeline.gait.metrics import analyze_trial
from pipeline.quality.evidence import trial_evidence
from pipeline.quality.verdict import TrialEvidence, trial_verdict
from pipeline.report.verdict import verdict_html
from pipeline.stages.analyze import gait_counts
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig
from pipeline.triangulation.qa import triangulation_qa
from pipeline.triangulation.run import triangulate_recording

FPS = 120.0
NAMES = ["cam_0", "cam_1", "cam_2", "cam_3"]


@pytest.fixture(scope="module")
def trial():
    runner = RunnerConfig(duration_s=4.0)
    return runner, simulate_run(runner, fps=FPS).points


@pytest.fixture(scope="module")
def observed(rig, trial):
    return observe(trial[1], rig, SyntheticNoiseConfig(pixel_sigma=1.0))


def verdict_of(obs, rig, runner, calib=None):
    """detections -> triangulate stage's 3D + QA -> analyze stage's evidence -> verdict.
    `calib`: the cameras the calibration describes (default: the rig that filmed)."""
    cfg = TriangulationConfig()
    calib = rig if calib is None else calib
    result = triangulate_recording(obs, calib, FPS, cfg)
    qa = triangulation_qa(result, obs, NAMES, FPS, cfg, calib)
    p3d = result.to_points3d(FPS, NAMES, qa=qa)
    analysis = AnalysisConfig()
    gait = analyze_trial(
        p3d.points,
        FPS,
        np.array([1.0, 0, 0]),
        analysis.thresholds,
        belt_speed_mps=runner.speed_mps,
        event_points=p3d.points_unfiltered,
        toe_tip_ahead_m=0.0,
    )  # the synthetic runner's big toe is the tip
    return trial_verdict(trial_evidence(p3d, gait_counts(gait)), analysis.verdict)


def codes(v):
    return [r.code for r in v.reasons]


def test_clean_trial_is_ok(rig, trial, observed):
    v = verdict_of(observed, rig, trial[0])
    assert v.verdict == "ok" and not v.reasons


def test_only_one_camera_sees_the_runner_fails(rig, trial, observed):
    obs = observed.copy()
    obs[1:] = np.nan
    obs[1:, ..., 2] = 0.0
    v = verdict_of(obs, rig, trial[0])
    assert v.verdict == "failed" and "fewer_than_two_cameras" in codes(v)
    assert v.reasons[0].message.startswith(
        "0 camera(s) contributed to the 3D: a 3D skeleton needs two views of the runner that agree"
    )
    html = verdict_html(v)
    assert "This trial failed" in html and "No check raised a flag" not in html


def test_two_camera_files_swapped_is_not_ok(rig, trial, observed):
    """cam_1's video filed as cam_3's and back: the calibration pairs each view with the wrong
    camera; the verdict names the cause instead of reporting gait findings."""
    obs = observed[[0, 3, 2, 1]]
    v = verdict_of(obs, rig, trial[0])
    assert v.verdict == "failed", codes(v)
    # measured: 83 % in 3D (the synthetic rig is nearly mirror-symmetric, so the swapped pair
    # half agrees) and no stride: failed, and the share reason names the likely causes
    assert "no_strides" in codes(v)
    assert {"little_in_3d", "low_share_in_3d"} & set(codes(v))
    assert "swapped camera files" in " ".join(r.message for r in v.reasons)


def test_a_moved_camera_degrades_the_trial_and_is_named(rig, trial, observed):
    """cam_2 knocked after calibration: its keypoints sit 60 px off where the calibration
    expects them."""
    obs = observed.copy()
    obs[2, ..., 0] += 60.0
    v = verdict_of(obs, rig, trial[0])
    assert v.verdict == "degraded", codes(v)
    assert "camera_disagrees:cam_2" in codes(v) or "camera_unused:cam_2" in codes(v)


def test_too_short_a_trial_has_no_findings(rig, trial, observed):
    v = verdict_of(observed[:, :60], rig, trial[0])  # 0.5 s: not one whole stride
    assert v.verdict == "failed" and "no_strides" in codes(v)


def test_thresholds_come_from_config():
    ev = TrialEvidence(
        NAMES, 0.85, {c: 0.8 for c in NAMES}, [], 0.0, {"left": 5, "right": 5}, 20, 0
    )
    assert trial_verdict(ev, VerdictConfig()).verdict == "degraded"
    assert codes(trial_verdict(ev, VerdictConfig())) == ["low_share_in_3d"]
    assert trial_verdict(ev, VerdictConfig(min_share_in_3d=0.8)).verdict == "ok"
    few = TrialEvidence(
        NAMES, 0.99, {c: 0.8 for c in NAMES}, [], 0.0, {"left": 2, "right": 5}, 20, 12
    )
    assert codes(trial_verdict(few, VerdictConfig())) == ["few_strides:left", "events_untimed"]


def test_a_calibration_of_another_rig_degrades_the_trial(rig, trial, observed):
    """The calibration of a rig whose cameras stood 5 deg elsewhere on the arc (two clockwise,
    two anticlockwise: a common turn of all four is only another world frame and changes no
    view's agreement). Measured (1 px noise): each camera's steady residual 0.43-0.57 of its
    scatter, against 0.03-0.04 with the right calibration."""
    foreign = make_rig(RigConfig(arc_deg=[30.0, 150.0, 210.0, 330.0]))
    v = verdict_of(observed, rig, trial[0], calib=foreign)
    assert v.verdict == "degraded", codes(v)
    assert "calibration_mismatch" in codes(v), codes(v)
    message = next(r.message for r in v.reasons if r.code == "calibration_mismatch")
    assert "it is of another rig or session" in message and "cam_3" in message


def test_one_camera_turned_after_calibration_is_named(rig, trial, observed):
    """cam_0 turned 5 deg along the arc after calibrating: it (and cam_2, across the belt, which
    it pulls the 3D towards) are named; cam_1 and cam_3 are not. Measured steady/scatter: cam_0
    0.85, cam_2 0.81, cam_1 0.19, cam_3 0.24."""
    filmed = make_rig(RigConfig(arc_deg=[40.0, 145.0, 215.0, 325.0]))
    obs = observe(trial[1], filmed, SyntheticNoiseConfig(pixel_sigma=1.0))
    v = verdict_of(obs, filmed, trial[0], calib=rig)
    assert v.verdict == "degraded", codes(v)
    assert "calibration_mismatch:cam_0" in codes(v)
    assert "calibration_mismatch:cam_1" not in codes(v)
    assert "calibration_mismatch:cam_3" not in codes(v)


def test_the_calibrations_own_error_is_a_floor():
    """A steady residual within 3x what the calibration itself reports is the calibration's
    known error, not a mismatch; above it, and above the share of the scatter, it is one."""
    base = dict(
        camera_names=["a", "b"],
        measured_share=1.0,
        camera_share={"a": 1.0, "b": 1.0},
        cameras_disagreeing=[],
        reverted_share=0.0,
        strides={"left": 5, "right": 5},
        events_found=20,
        events_untimed=0,
    )
    cfg = VerdictConfig()
    steady = {"a": (2.0, 3.0), "b": (0.2, 3.0)}
    v = trial_verdict(TrialEvidence(**base, camera_steady=steady), cfg)
    assert (
        codes(v) == ["calibration_mismatch:a"]
        and "not known: it was imported" in v.reasons[0].message
    )
    v = trial_verdict(
        TrialEvidence(**base, camera_steady=steady, calibration_own_px={"a": 0.8, "b": 0.8}), cfg
    )
    assert v.verdict == "ok"
