"""Duplicated or swapped calibration videos (issue 14, item 2): a video copied over another
camera's file, the same recording re-encoded under another name, and cameras whose solved
poses coincide are stopped with a named error / failed gate that names both files; two
real cameras are not confused with a copy."""

import shutil

import cv2
import numpy as np
import pytest

from pipeline.calibration.board import board_image, make_board
from pipeline.calibration.board_in_videos import CalibrationError, detect_video
from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.duplicates import same_corner_frames
from pipeline.calibration.gates import FAIL, GateThresholds, evaluate_gates
from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.config import BoardConfig, CalibrationConfig

BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)
CALIB = CalibrationConfig(floor_frames=0, min_detections_per_camera=1)
FRAMES = 4


def _board_video(path, shift=(0, 0), noise=0.0, scale=1.0, fps=30, seed=0):
    """The board on a white wall, `shift` px off, scaled by `scale` (another camera's view);
    `noise` grey levels of fresh noise per frame (a re-encoded copy of the same scene)."""
    image = board_image(make_board(BOARD), dpi=15)
    if scale != 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = image.shape
    frame = np.full((h + 120, w + 120), 255, np.uint8)
    y, x = 60 + shift[1], 60 + shift[0]
    frame[y : y + h, x : x + w] = image
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frame.shape[1], frame.shape[0])
    )
    for _ in range(FRAMES):
        noisy = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
        writer.write(cv2.cvtColor(noisy, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_video_copied_over_another_cameras_file_is_named(tmp_path):
    a = _board_video(tmp_path / "cam_0.mp4")
    b = _board_video(tmp_path / "cam_1.mp4", shift=(30, 10))
    shutil.copyfile(a, tmp_path / "cam_2.mp4")
    videos = [a, b, tmp_path / "cam_2.mp4"]
    with pytest.raises(
        CalibrationError,
        match=r"cameras cam_0 \(.*cam_0.mp4\) and cam_2 \(.*"
        r"cam_2.mp4\) are the same file byte for byte.*"
        r"own recording",
    ):
        calibrate(videos, ["cam_0", "cam_1", "cam_2"], BOARD, CALIB)


def test_same_recording_reencoded_is_named(tmp_path):
    """Fresh noise of 2 grey levels per frame and another encoding: different bytes, same
    corners (within 0.1 px here)."""
    a = _board_video(tmp_path / "cam_0.mp4", noise=2.0, seed=1)
    b = _board_video(tmp_path / "cam_1.mp4", noise=2.0, seed=2)
    assert a.read_bytes() != b.read_bytes()
    with pytest.raises(
        CalibrationError,
        match=r"cameras cam_0 .* and cam_1 .*cam_1.mp4\) show "
        r"the board's corners at the same pixels .* in 4 "
        r"of the 4 frames .* one recording saved twice",
    ):
        calibrate([a, b], ["cam_0", "cam_1"], BOARD, CALIB)


def test_two_views_a_few_pixels_apart_are_not_a_copy(tmp_path):
    """The board 3 px and 2 % apart (a second camera beside the first) is not a duplicate."""
    a = detect_video(_board_video(tmp_path / "a.mp4"), BOARD, False)
    b = detect_video(_board_video(tmp_path / "b.mp4", shift=(3, 0), scale=1.02), BOARD, False)
    same, either = same_corner_frames(a, b)
    assert either == FRAMES and same == 0
    assert same_corner_frames(a, a) == (FRAMES, FRAMES)


def test_cameras_solved_at_one_pose_fail_a_gate_naming_both_files():
    quality = {
        "cameras": {
            n: {
                "video": f"/data/s01/calibration/{n}.mp4",
                "reprojection_median_px": 0.2,
                "usable_frames": 40,
            }
            for n in ("cam_0", "cam_1", "cam_2")
        },
        "pairwise_centre_distance_m": {
            "cam_0/cam_1": 3.7,
            "cam_0/cam_2": 0.0004,
            "cam_1/cam_2": 3.7,
        },
        "pairwise_axis_angle_deg": {"cam_0/cam_1": 70.0, "cam_0/cam_2": 0.02, "cam_1/cam_2": 70.0},
    }
    gates = {g.name: g for g in evaluate_gates(CalibrationQuality.from_dict(quality))}
    same = gates["same pose cam_0/cam_2"]
    assert same.verdict == FAIL and same.value == pytest.approx(0.0004)
    assert "cam_0.mp4" in same.message and "cam_2.mp4" in same.message
    assert "0.4 mm and 0.0 deg apart" in same.message
    assert not any(
        name.startswith("same pose cam_1") or name == "same pose cam_0/cam_1" for name in gates
    )
    # Cameras 5 mm apart but turned 10 deg (a stereo head) are not one camera.
    quality["pairwise_centre_distance_m"]["cam_0/cam_2"] = 0.005
    quality["pairwise_axis_angle_deg"]["cam_0/cam_2"] = 10.0
    assert not any(
        g.name.startswith("same pose")
        for g in evaluate_gates(CalibrationQuality.from_dict(quality))
    )
    assert GateThresholds().same_pose_m == 0.01
