"""Bad calibration inputs a lab produces, each with a named failure: a mirrored video, a
fixed print polarity that does not match the print, videos of different frame rates.
(Wrong board definition, a camera that never sees the board and different lengths are in
test_calibration_synthetic.py; a pair with too few shared frames in test_calibration_gates.py.)
"""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from pipeline.calibration.board import board_image, make_board
from pipeline.calibration.board_in_videos import CalibrationError, diagnose_unseen
from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.gates import WARN, evaluate_gates
from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.config import BoardConfig, CalibrationConfig
from pipeline.io.video import VideoError

BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)
CALIB = CalibrationConfig(floor_frames=0, min_detections_per_camera=1)
FRAMES = 3


def _board_video(path, inverted=False, mirrored=False, fps=30):
    image = board_image(make_board(BOARD), dpi=15)
    if inverted:
        image = cv2.bitwise_not(image)
    h, w = image.shape
    frame = np.full((h + 80, w + 80), 255, np.uint8)  # on a white wall
    frame[40 : 40 + h, 40 : 40 + w] = image
    if mirrored:
        frame = cv2.flip(frame, 1)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frame.shape[1], frame.shape[0])
    )
    for _ in range(FRAMES):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_mirrored_video_is_named(tmp_path):
    good = _board_video(tmp_path / "cam_0.mp4")
    mirrored = _board_video(tmp_path / "cam_1.mp4", mirrored=True)
    assert diagnose_unseen(mirrored, BOARD, None) == "mirrored"
    with pytest.raises(
        CalibrationError,
        match=r"camera cam_1's video looks mirrored .*cam_1.mp4"
        r".*hflip",
    ):
        calibrate([good, mirrored], ["cam_0", "cam_1"], BOARD, CALIB)


def test_all_videos_mirrored_is_named_not_blamed_on_the_board(tmp_path):
    videos = [_board_video(tmp_path / f"cam_{i}.mp4", mirrored=True) for i in range(2)]
    with pytest.raises(CalibrationError, match="camera cam_0's video looks mirrored"):
        calibrate(videos, ["cam_0", "cam_1"], BOARD, CALIB)


def test_fixed_polarity_that_misses_one_camera_suggests_auto(tmp_path):
    normal = _board_video(tmp_path / "cam_0.mp4")
    inverted = _board_video(tmp_path / "cam_1.mp4", inverted=True)
    board = replace(BOARD, inverted=False)
    with pytest.raises(
        CalibrationError,
        match=r"camera cam_1 .*cam_1.mp4.* finds the board only as "
        r"the other print \(inverted: white markers on "
        r"black\), but board.inverted = false: "
        r"set board.inverted: null",
    ):
        calibrate([normal, inverted], ["cam_0", "cam_1"], board, CALIB)


def test_fixed_polarity_wrong_in_every_video_falls_back_and_warns(tmp_path):
    """Found in the other polarity everywhere: the calibration goes on (fell back), and the
    report's gate says to set board.inverted to null."""
    from pipeline.calibration.calibrate import detect_board_in_videos

    videos = [_board_video(tmp_path / f"cam_{i}.mp4", inverted=True) for i in range(2)]
    found = detect_board_in_videos(
        videos, ["cam_0", "cam_1"], replace(BOARD, inverted=False), CALIB
    )
    detections, polarity = found.videos, found.polarity
    assert polarity.fell_back_to_other_polarity and set(polarity.found.values()) == {"inverted"}
    assert all(len(ids) for d in detections for ids in d.ids)
    (gate,) = [
        g
        for g in evaluate_gates(CalibrationQuality(board_polarity=polarity))
        if g.name == "board polarity"
    ]
    assert gate.verdict == WARN and "board.inverted: null" in gate.message
    assert "set to normal" in gate.message and "found as inverted" in gate.message


def test_different_frame_rates_are_refused(tmp_path):
    videos = [
        _board_video(tmp_path / "cam_0.mp4", fps=30),
        _board_video(tmp_path / "cam_1.mp4", fps=60),
    ]
    with pytest.raises(VideoError, match=r"different frame rates .*cam_0.mp4.*30.*cam_1.mp4.*60"):
        calibrate(videos, ["cam_0", "cam_1"], BOARD, CALIB)
