"""A rejected calibration can never be used as if current (issue 14, item 3), and the trial
videos must have the calibration's image size (item 4).

By hand: an accepted `runlab calibrate`, then a recalibration that its gates reject; detect
and triangulate then refuse, naming the session and the fix, instead of using the earlier
calibration.toml. The DVC flow is in test_end_to_end.py
(test_rejected_recalibration_under_dvc_repro_is_never_used). `calibrate()` itself is replaced
here by a test double (`calibrate_double`) returning a fixed rig and a report whose gates pass
or fail: what is tested is the stage's bookkeeping, not the calibration."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from pipeline.calibration.board_in_videos import CalibrationError
from pipeline.calibration.calibrate import CalibrationResult
from pipeline.calibration.gates import FAIL, PASS, Gate, GateThresholds
from pipeline.calibration.quality_record import CalibrationQuality, CameraQuality
from pipeline.config import validate
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera
from pipeline.io import formats
from pipeline.io.formats import FormatError
from pipeline.io.video import VideoError, probe
from pipeline.stages import calibrate as calibrate_stage
from pipeline.stages import detect, triangulate
from pipeline.stages.calibrate import CalibrationGateError
from pipeline.stages.calibration_use import check_image_sizes, load_calibration
from pipeline.study.paths import StudyPaths

CAMERAS = ["cam_0", "cam_1"]


def _config(tmp_path):
    return validate(
        {
            "study": {
                "name": "current",
                "data_dir": str(tmp_path / "data"),
                "results_dir": str(tmp_path / "results"),
                "sessions": {"s01": {"subject": "R01", "date": "2026-10-01"}},
                "trials": {"t1": {"session": "s01", "condition": "3.0 m/s"}},
            },
            "rig": {"cameras": CAMERAS, "fps": 60.0, "width": 320, "height": 240},
            "triangulation": {"lowpass_hz": 12.0},
            "detector": {"backend": "openpose_json"},
        }
    )


def _video(path, size=(320, 240), frames=3):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 60, size)
    for k in range(frames):
        writer.write(np.full((size[1], size[0], 3), 40 * k, np.uint8))
    writer.release()
    return path


def _cameras(shift=0.0):
    return [
        Camera(
            n,
            (320, 240),
            [[300, 0, 160], [0, 300, 120], [0, 0, 1]],
            np.zeros(5),
            rvec=[0, 0.3 * i, 0],
            tvec=[shift - 0.5 * i, 0, 3.0],
        )
        for i, n in enumerate(CAMERAS)
    ]


def calibrate_double(verdict: str, shift: float = 0.0):
    """Test double for pipeline.calibration.calibrate.calibrate: a fixed rig and a report
    with one gate of the given verdict."""

    def run(videos, names, board_cfg, calib_cfg):
        quality = CalibrationQuality(
            cameras={
                n: CameraQuality.from_dict({"video": str(v), "reprojection_median_px": 0.3})
                for n, v in zip(names, videos)
            },
            gate_thresholds=GateThresholds(),
            gates=[Gate("coverage cam_1", 0.1, 0.25, verdict, "camera cam_1: corners in 10 %")],
            gates_verdict=verdict,
        )
        return CalibrationResult(CameraSet(_cameras(shift)), quality)

    return run


@pytest.fixture
def study(tmp_path):
    cfg = _config(tmp_path)
    paths = StudyPaths.from_config(cfg)
    for cam in CAMERAS:
        _video(paths.calibration_videos("s01")[CAMERAS.index(cam)])
        _video(paths.trial_dir("t1") / f"{cam}.mp4")
    return cfg, paths


def test_rejected_recalibration_by_hand_is_never_used(study, monkeypatch):
    cfg, paths = study
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    calibrate_stage.run(cfg, "s01")
    accepted = load_calibration(paths, "s01")
    quality = formats.read_json(paths.calibration_quality("s01"))
    assert quality["verdict"] == "accepted"
    assert quality["calibration_id"] == accepted.metadata["calibration_id"]
    np.testing.assert_allclose(accepted.cameras[1].tvec, _cameras()[1].tvec)

    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(FAIL, shift=0.2))
    with pytest.raises(CalibrationGateError, match="No calibration is left for session s01"):
        calibrate_stage.run(cfg, "s01")
    assert not paths.calibration("s01").exists()  # the earlier one is gone
    assert formats.read_json(paths.calibration_quality("s01"))["verdict"] == "rejected"
    assert paths.calibration_report("s01").exists()
    for stage in (detect.detect_trial, triangulate.triangulate_trial):
        with pytest.raises(
            FormatError,
            match=r"session s01's calibration was rejected by its "
            r"quality gates .*quality.json.*quality.html.*"
            r"allow_failed_gates.*runlab calibrate --session s01",
        ):
            stage(cfg, "t1")


def test_earlier_calibration_put_back_beside_a_newer_quality_is_refused(study, monkeypatch):
    """A calibration.toml that is not the one quality.json accepted (copied back from a backup,
    or a run stopped between the two files) is refused; an imported one (no id) is used."""
    cfg, paths = study
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    calibrate_stage.run(cfg, "s01")
    old = paths.calibration("s01").read_text()
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS, shift=0.2))
    calibrate_stage.run(cfg, "s01")
    paths.calibration("s01").write_text(old)
    with pytest.raises(
        FormatError,
        match=r"session s01: .*calibration.toml is not the calibration "
        r"its quality report accepted .*runlab calibrate --session s01",
    ):
        load_calibration(paths, "s01")
    paths.calibration_quality("s01").unlink()
    with pytest.raises(FormatError, match="quality.json is missing"):
        load_calibration(paths, "s01")
    formats.write_calibration(
        paths.calibration("s01"),
        formats.CameraSet(_cameras(), metadata={"imported_from": "elsewhere/camera_array.toml"}),
    )
    assert load_calibration(paths, "s01").names == CAMERAS


def test_a_refused_recording_leaves_no_calibration_behind(study, monkeypatch):
    cfg, paths = study
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    calibrate_stage.run(cfg, "s01")

    def refuse(*args):
        raise CalibrationError(
            "the calibration videos of cameras cam_0 and cam_1 are the same file"
        )

    monkeypatch.setattr(calibrate_stage, "calibrate", refuse)
    with pytest.raises(CalibrationError):
        calibrate_stage.run(cfg, "s01")
    assert not paths.calibration("s01").exists()


def test_trial_videos_of_another_size_than_the_calibration(tmp_path, caplog):
    """Item 4: 640x480 trial videos against a 320x240 calibration stop with the fix; a
    1080-wide video against a 1088-wide calibration (encoder padding) warns and says so."""
    cams = _cameras()
    calib = formats.CameraSet(cams)
    same = [probe(_video(tmp_path / f"{n}.mp4")) for n in CAMERAS]
    check_image_sizes(calib, CAMERAS, same, "trial t1")
    big = [same[0], probe(_video(tmp_path / "big.mp4", size=(640, 480)))]
    with pytest.raises(
        VideoError,
        match=r"trial t1: trial videos of another image size .*cam_1: "
        r".*big.mp4 is 640x480, calibrated at 320x240.*calibrate "
        r"again at the trial's resolution",
    ):
        check_image_sizes(calib, CAMERAS, big, "trial t1")
    padded = formats.CameraSet(
        [Camera(c.name, (1088, 1920), c.matrix, c.dist, c.rvec, c.tvec) for c in cams]
    )
    narrow = [probe(_video(tmp_path / f"n{k}.mp4", size=(1080, 1920), frames=1)) for k in range(2)]
    with caplog.at_level(logging.WARNING, logger="runlab"):
        check_image_sizes(padded, CAMERAS, narrow, "trial t1")
    assert "is 1080x1920, calibrated at 1088x1920: a few pixels apart" in caplog.text


def test_detect_stage_compares_trial_videos_with_the_calibration(study, monkeypatch):
    cfg, paths = study
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    calibrate_stage.run(cfg, "s01")
    _video(paths.trial_dir("t1") / "cam_1.mp4", size=(640, 480))
    with pytest.raises(VideoError, match=r"cam_1: .*cam_1.mp4 is 640x480, calibrated at 320x240"):
        detect.detect_trial(cfg, "t1")
