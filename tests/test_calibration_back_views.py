"""Boards seen from behind (issue 14, item 1). A rig where one camera sees only the back of a
see-through board (rendered: the print shows mirrored from behind): the board is found in
the flipped image, its corners mapped back to the recorded pixels, the rig judges them back
views (not a mirrored video) and the camera is calibrated with the others, against the true
rig. The same rig with one camera's video flipped (a mirroring webcam) is told apart by the
same geometry and refused with the advice to flip it back."""

import cv2
import numpy as np
import pytest

from pipeline.calibration.board_in_videos import CalibrationError, detect_video
from pipeline.calibration.calibrate import calibrate
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.core.geometry import rigid_transform, rotation_angle_deg
from pipeline.io.video import iter_frames, probe, video_writer
from pipeline.synth.board_video import calibration_board_poses, write_calibration_videos
from pipeline.synth.rig import make_rig

# Three cameras on one side of the capture volume, a fourth (cam_3) opposite them: boards
# held towards the three are seen from behind by cam_3. Half resolution, 40 frames.
RIG = RigConfig(
    cameras=["cam_0", "cam_1", "cam_2", "cam_3"],
    arc_deg=[20.0, 90.0, 160.0, 270.0],
    width=960,
    height=540,
    focal_px=750.0,
)
BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)
CALIB = CalibrationConfig(floor_frames=0)
SYNTH = SynthConfig(calibration_frames=40)
# The synthetic targets of test_calibration_synthetic.py.
CENTRE_TOLERANCE_M = 0.003
ORIENTATION_TOLERANCE_DEG = 0.1

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth():
    return make_rig(RIG)


@pytest.fixture(scope="module")
def videos(truth, tmp_path_factory):
    back = truth[3]
    poses = [
        p
        for p in calibration_board_poses(truth[:3], BOARD, CALIB, SYNTH)
        if p.rotation[:, 2] @ (back.center - p.translation) > 0
    ]  # cam_3 behind the print
    return write_calibration_videos(
        truth,
        BOARD,
        CALIB,
        SYNTH,
        tmp_path_factory.mktemp("back"),
        RIG.fps,
        poses=poses,
        see_through=True,
    )


@pytest.fixture(scope="module")
def result(videos):
    return calibrate(videos, RIG.cameras, BOARD, CALIB)


def test_camera_seeing_only_the_back_finds_the_board_flipped(videos):
    det = detect_video(videos[3], BOARD, False)
    views = [len(ids) >= 8 for ids in det.ids]  # a view: enough corners for a pose
    assert sum(views) >= 20 and all(b for b, v in zip(det.back, views) if v)


def test_rig_with_a_back_only_camera_matches_the_truth(truth, result):
    report = result.quality.back_views["cam_3"]
    assert report.verdict == "seen from behind" and report.frames_seen_from_front == 0
    assert report.relative_pose_scatter_as_back_views is not None
    assert report.relative_pose_scatter_as_mirrored_video is not None
    assert (
        report.relative_pose_scatter_as_back_views
        < 0.1 * report.relative_pose_scatter_as_mirrored_video
    )
    ours = np.array([c.center for c in result.cameras])
    theirs = np.array([c.center for c in truth])
    R, t = rigid_transform(ours, theirs)
    for cam, true_cam, centre in zip(result.cameras, truth, ours @ R.T + t):
        assert np.linalg.norm(centre - true_cam.center) < CENTRE_TOLERANCE_M, cam.name
        assert (
            rotation_angle_deg(cam.rotation @ R.T, true_cam.rotation) < ORIENTATION_TOLERANCE_DEG
        ), cam.name
    assert max(q.reprojection_median_px for q in result.quality.cameras.values()) < 0.5


def test_mirrored_video_is_told_from_back_views_by_the_rig(videos, tmp_path):
    """cam_1's video flipped, as a mirroring webcam records it: its front views now read
    mirrored; the rig is consistent only with the video flipped back."""
    mirrored = tmp_path / "cam_1.mp4"
    info = probe(videos[1])
    with video_writer(mirrored, info.fps, (info.width, info.height)) as write:
        for frame in iter_frames(videos[1], grayscale=True):
            write(cv2.cvtColor(cv2.flip(frame, 1), cv2.COLOR_GRAY2BGR))
    with pytest.raises(
        CalibrationError,
        match=r"camera cam_1's video looks mirrored \(.*cam_1.mp4\)"
        r".*consistent only with the video flipped back"
        r".*ffmpeg -vf hflip",
    ):
        calibrate([videos[0], mirrored, *videos[2:]], RIG.cameras, BOARD, CALIB)
