"""The synthetic world driven by real motion (pipeline/synth/real_motion.py): resampling and
placement, the synth stage's runner from an imported trial, a real treadmill runner through
the synthetic detector at a real detector's error level, and the runway rig."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from pipeline.config import ConfigError, RunnerConfig, compose, validate
from pipeline.core.geometry import project
from pipeline.core.skeleton import INDEX, KEYPOINTS
from pipeline.io import formats
from pipeline.io.exports import write_trc
from pipeline.io.import3d import load_3d
from pipeline.synth.detector import detect_synthetic
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.real_motion import motion_truth, resample
from pipeline.synth.rig import make_rig

MOCAP = Path(__file__).resolve().parents[1] / "../shared/data/running-mocap"
needs_mocap = pytest.mark.skipif(not MOCAP.exists(), reason="../shared/data/running-mocap absent")


def test_resample_is_linear_and_keeps_gaps():
    t = np.arange(11) / 100.0
    points = np.stack([t, 2 * t, -t], axis=-1)[:, None, :] * np.ones((1, 2, 1))
    points[5, 1] = np.nan
    out = resample(points, 100.0, 120.0, None)
    assert len(out) == 13  # 0.1 s at 120 fps, both ends
    t_out = np.arange(13) / 120.0
    assert np.allclose(out[:, 0, 0], t_out) and np.allclose(out[:, 0, 1], 2 * t_out)
    near_gap = np.abs(t_out * 100 - 5) < 1  # output instants beside frame 5
    assert np.isnan(out[near_gap, 1]).all() and np.isfinite(out[~near_gap, 1]).all()
    assert len(resample(points, 100.0, 120.0, 0.05)) == 7  # duration_s cuts


def test_treadmill_and_overground_placement(tmp_path):
    run = simulate_run(RunnerConfig(duration_s=2.0), 100.0)
    shifted = run.points + np.array([1.5, -0.7, 0.0])  # a lab origin off the belt centre
    path = tmp_path / "t.trc"
    write_trc(path, shifted, KEYPOINTS, 100.0)
    truth = motion_truth(load_3d(path), 120.0)
    pelvis = truth.points[:, INDEX["hip"]]
    assert np.allclose(np.median(pelvis[:, :2], axis=0), 0.0, atol=0.01)  # on the treadmill
    assert np.allclose(np.nanmin(truth.points[..., 2]), np.nanmin(run.points[..., 2]), atol=1e-6)
    # overground: the same runner moving forward 4 m/s crosses the origin mid-clip
    moving = shifted + (np.arange(len(shifted)) / 100.0 * 4.0)[:, None, None] * np.array(
        [1.0, 0, 0]
    )
    write_trc(path, moving, KEYPOINTS, 100.0)
    imported = load_3d(path)
    assert imported.locomotion == "overground"
    x = motion_truth(imported, 120.0).points[:, INDEX["hip"], 0]
    assert x[0] < -3 and x[-1] > 3 and abs(x[len(x) // 2]) < 0.05


def test_motion_must_name_an_import():
    study = {
        "sessions": {"s": {"subject": "S"}},
        "synthesize": ["s"],
        "trials": {"t": {"session": "s", "runner": {"motion": "nope"}}},
    }
    with pytest.raises(ConfigError, match="runner.motion='nope' is not in study.imports"):
        validate({"study": study})


# --- a real runner through the synthetic pipeline ---------------------------------------------
def _study_cfg(tmp_path: Path, detector: str = "synthetic_real"):
    """A synthetic session whose trial moves as hamner run300 (an import with force plates)."""
    folder = tmp_path / "data" / "hamner" / "run300"
    folder.mkdir(parents=True)
    for name in ("markers.trc", "grf.mot"):
        (folder / name).symlink_to((MOCAP / "hamner-subject04" / "run300" / name).resolve())
    raw = OmegaConf.to_container(compose_raw_default(detector))
    raw["study"] = {
        "name": "realsynth",
        "data_dir": str(tmp_path / "data"),
        "results_dir": str(tmp_path / "results"),
        "synthesize": ["s01"],
        "sessions": {"s01": {"subject": "S04"}},
        "trials": {
            "real300": {
                "session": "s01",
                "belt_speed_mps": 3.0,
                "runner": {"motion": "run300", "duration_s": 3.0},
            }
        },
        "imports": {
            "run300": {
                "session": "hamner",
                "subject": "S04",
                "belt_speed_mps": 3.0,
                "file": "markers.trc",
                "markerset": "hamner2013",
                "force_file": "grf.mot",
            }
        },
    }
    return validate(raw)


def compose_raw_default(detector: str):
    from pipeline.config import compose_raw

    return compose_raw(Path(__file__).resolve().parents[1] / "conf", [f"detector={detector}"])


@pytest.fixture(scope="module")
def real_runner_result(tmp_path_factory):
    """hamner run300 (treadmill 3 m/s, 100 Hz) -> the synth stage's runner (120 fps, force-plate
    truth events) -> the synthetic detector at synthetic_real -> triangulation -> analysis:
    what the synth, detect, triangulate and analyze stages compute, without rendering and
    calibrating videos (the true cameras; synthetic_real perturbs them by its calibration
    error)."""
    from pipeline.gait.metrics import analyze_trial
    from pipeline.stages.synth import runner_truth
    from pipeline.triangulation.run import triangulate_recording

    cfg = _study_cfg(tmp_path_factory.mktemp("realsynth"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = runner_truth(cfg, "real300")
    cameras = make_rig(cfg.rig)
    obs = detect_synthetic(
        formats.TruthTrial(truth.points, truth.fps, truth.foot_strikes, truth.toe_offs),
        formats.CameraSet(cameras),
        cfg.detector.synthetic,
        0,
    )
    result = triangulate_recording(obs, cameras, cfg.rig.fps, cfg.triangulation)
    analysis = analyze_trial(
        result.points,
        cfg.rig.fps,
        np.asarray(cfg.analysis.forward_axis, float),
        cfg.analysis.thresholds,
        belt_speed_mps=3.0,
        event_points=result.points_unfiltered,
    )
    return cfg, truth, result, analysis


def _event_errors(found: dict, truth: dict, key: str) -> np.ndarray:
    errors = []
    for side in ("left", "right"):
        mine, true = np.asarray(found[side][key], float), np.asarray(truth[side], float)
        for t in true:
            if mine.size and np.min(np.abs(mine - t)) < 15:
                errors.append(mine[np.argmin(np.abs(mine - t))] - t)
    return np.array(errors)


@needs_mocap
def test_real_treadmill_runner_through_the_synthetic_pipeline(real_runner_result):
    cfg, truth, result, analysis = real_runner_result
    assert truth.fps == 120.0 and len(truth.points) == 3 * 120 + 1 - 92  # the file has 2.24 s
    assert sum(len(v) for v in truth.foot_strikes.values()) >= 4  # force-plate truth
    err = np.linalg.norm(result.points - truth.points, axis=2)
    # measured 28.3 mm median (27.0 with fixed-size pixel errors): the detector's 3 cm hip/knee
    # definition bias and 7.5 px noise at 630 px, x 1.09 for this runner (687 px)
    assert np.nanmedian(err) < 0.04
    assert {
        s: n
        for s, n in ((s, len(analysis.events[s]["foot_strike"])) for s in ("left", "right"))
        if n == 0
    } == {}
    strikes = _event_errors(analysis.events, truth.foot_strikes, "foot_strike")
    # every force-plate strike found but one 1 frame into the clip (nothing before it to see a
    # landing in); measured errors -2.1 to -0.3 frames (median |e| 1.5; -8.6 to +1.1 before #26)
    inner = sum(
        ((v > 10) & (v < len(truth.points) - 10)).sum() for v in truth.foot_strikes.values()
    )
    assert len(strikes) >= inner == 5


@needs_mocap
# issue #26 (events aligned on the trial's mean event) with #25's person-size pixel errors:
# passes; before #26 the errors were -8.6, -4.0, +3.7, 0.0, +1.2 frames at 120 fps
def test_real_treadmill_runner_foot_strike_timing(real_runner_result):
    _, truth, _, analysis = real_runner_result
    strikes = _event_errors(analysis.events, truth.foot_strikes, "foot_strike")
    assert len(strikes) >= 5 and np.median(np.abs(strikes)) <= 2.0, strikes


@needs_mocap
def test_real_treadmill_runner_toe_offs(real_runner_result):
    # issue #26 (toe tip ahead of the toe marker, events aligned on the trial's mean event, the
    # peel-off read's level over 3 fit half-windows before the edge); before #26: 4-10 frames
    # early, median -7. Measured median -1.78 frames at 120 fps (-2.65 with the level over 2);
    # detector trial indices 0-5: -1.78, +0.89, -0.98, -0.20, +0.25, -1.23 (mean -0.51; -1.24
    # before); noise seeds 0-11 with their own definition bias: mean +0.38, worst +2.14 (seed 10)
    _, truth, _, analysis = real_runner_result
    offs = _event_errors(analysis.events, truth.toe_offs, "toe_off")
    assert len(offs) >= 4 and abs(np.median(offs)) <= 2.0, offs


@needs_mocap
@pytest.mark.parametrize("run", ["run0350cms", "run0900cms"])
def test_runway_rig_sees_the_overground_sprinter(run):
    cfg = compose(Path(__file__).resolve().parents[1] / "conf", ["rig=runway_4cam"])
    cameras = make_rig(cfg.rig)
    truth = motion_truth(
        load_3d(MOCAP / "sprinter-ja1" / f"{run}.trc", "sprinter_ja1"), cfg.rig.fps
    )
    legs = truth.points[
        :, [INDEX[k] for k in ("left_hip", "right_hip", "left_ankle", "right_ankle")]
    ]
    seen = np.zeros(len(legs), int)
    for cam in cameras:
        xy = project(cam, legs)
        w, h = cam.size
        seen += ((xy[..., 0] >= 0) & (xy[..., 0] < w) & (xy[..., 1] >= 0) & (xy[..., 1] < h)).all(
            axis=1
        )
    x = truth.points[:, INDEX["hip"], 0]
    assert x[0] < -5 and x[-1] > 5  # crosses the volume
    central = np.abs(x) < 5
    assert (seen[central] >= 4).all()  # measured: all four over -5.4..+5.8 m
    assert (seen >= 2).all()


@needs_mocap
@pytest.mark.slow
def test_real_runner_through_every_stage(tmp_path, monkeypatch):
    """The whole stage chain on hamner run300 at synthetic_real: synth (rendered videos and
    board), calibrate, detect, sync, triangulate, import-3d, analyze, report. About 70 s on
    2 cores with the overlay videos off (slow: the rendering and calibration are the cost)."""
    from pipeline.cli import main

    cfg = _study_cfg(tmp_path)
    raw = OmegaConf.structured(cfg)
    raw.report.overlay_videos = False
    OmegaConf.save(raw, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    for stage in (
        "synth",
        "calibrate",
        "detect",
        "sync",
        "triangulate",
        "import-3d",
        "analyze",
        "report",
    ):
        assert main([stage, "--params", "params.yaml"]) == 0, stage
    result = formats.read_json(
        tmp_path / "results" / "trials" / "real300" / "analysis" / "real300.json"
    )
    truth = formats.read_truth(tmp_path / "data" / "s01" / "truth" / "real300.npz")
    assert sum(len(v) for v in truth.foot_strikes.values()) >= 4  # force-plate truth events
    errors = result["truth_errors"]
    # a real runner's truth metrics exist and are compared (values: docs/synthetic.md)
    assert errors["left"]["peak_stance_knee_flexion_deg"]["true"] is not None
    assert (tmp_path / "results" / "report" / "index.html").exists()


def _runway_sprinter_median_error_m(*overrides: str) -> float:
    """JA1 at 3.5 m/s through the runway rig at synthetic_real (true cameras), triangulated."""
    from pipeline.triangulation.run import triangulate_recording

    cfg = compose(
        Path(__file__).resolve().parents[1] / "conf",
        ["rig=runway_4cam", "detector=synthetic_real", *overrides],
    )
    cameras = make_rig(cfg.rig)
    truth = motion_truth(
        load_3d(MOCAP / "sprinter-ja1" / "run0350cms.trc", "sprinter_ja1"), cfg.rig.fps
    )
    obs = detect_synthetic(
        formats.TruthTrial(truth.points, truth.fps, truth.foot_strikes, truth.toe_offs),
        formats.CameraSet(cameras),
        cfg.detector.synthetic,
        0,
    )
    result = triangulate_recording(obs, cameras, cfg.rig.fps, cfg.triangulation)
    return float(np.nanmedian(np.linalg.norm(result.points - truth.points, axis=2)))


@needs_mocap
@pytest.mark.xfail(
    strict=True,
    reason="runway rig at synthetic_real: 3D median error 56 mm "
    "(115 mm before the pixel errors followed the runner's size; 32 mm without the "
    "level's 3 mm / 0.2 deg calibration error, which is an angle: 27 mm at 7.6 m "
    "against 11 mm at the treadmill's 3.2 m)",
)
def test_runway_sprinter_3d_at_synthetic_real():
    assert _runway_sprinter_median_error_m() < 0.04


@needs_mocap
def test_runway_sprinter_pixel_errors_follow_his_size():
    """The sprinter is 193 px tall (neck to feet, median; 130-250 px as he crosses) in the
    runway cameras, 0.31 of the 630 px reference, and his pixel errors shrink with him: without
    the calibration error (an angle, not a pixel error) the 3D error is at the treadmill's
    level (measured 31.6 mm; 87 mm with the pixel errors at their fixed reference size)."""
    calibration_off = [
        "detector.synthetic.calibration_error_mm=0",
        "detector.synthetic.calibration_error_deg=0",
    ]
    assert _runway_sprinter_median_error_m(*calibration_off) < 0.04
