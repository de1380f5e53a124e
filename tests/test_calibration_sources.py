"""Intrinsics from elsewhere (calibration.intrinsics): an earlier calibration file of the true
cameras, or separate per-camera intrinsic videos; only the extrinsics are then fitted. And
the errors a lab gets when the file or folder does not match the rig."""

from dataclasses import replace

import numpy as np
import pytest

from pipeline.calibration.board_in_videos import CalibrationError
from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.sources import cameras_from_file
from pipeline.config import (
    BoardConfig,
    CalibrationConfig,
    ConfigError,
    IntrinsicsConfig,
    IntrinsicsSource,
    RigConfig,
    SynthConfig,
)
from pipeline.core.geometry import rotation_angle_deg
from pipeline.io.formats import CameraSet, write_calibration
from pipeline.io.interop import (
    read_any_calibration,
    write_caliscope_camera_array,
    write_pose2sim_calibration,
)
from pipeline.synth.board_video import write_calibration_videos, write_lens_videos
from pipeline.synth.rig import make_rig

# Half of the default 1080p rig (same field of view), as in test_calibration_gates.
RIG = RigConfig(width=960, height=540, focal_px=750.0)
BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)
CALIB = CalibrationConfig()
SYNTH = SynthConfig(calibration_frames=60)
LENS_FRAMES = 40

CENTRE_TOLERANCE_M = 0.005  # the half-size rig: twice the 1080p target of 3 mm, rounded
ORIENTATION_TOLERANCE_DEG = 0.2


@pytest.fixture(scope="module")
def truth():
    return make_rig(RIG)


@pytest.fixture(scope="module")
def videos(truth, tmp_path_factory):
    out = tmp_path_factory.mktemp("sources") / "calibration"
    return write_calibration_videos(truth, BOARD, CALIB, SYNTH, out, RIG.fps)


def _assert_close_to_truth(
    cameras, truth, orientation_deg=ORIENTATION_TOLERANCE_DEG, centre_m=CENTRE_TOLERANCE_M
):
    for cam, true_cam in zip(cameras, truth):
        assert np.linalg.norm(cam.center - true_cam.center) < centre_m, cam.name
        assert rotation_angle_deg(cam.rotation, true_cam.rotation) < orientation_deg, cam.name


@pytest.mark.slow
def test_intrinsics_from_a_file_of_the_true_cameras(truth, videos, tmp_path):
    path = tmp_path / "lab_lenses.toml"
    write_pose2sim_calibration(path, CameraSet(truth))
    cfg = replace(CALIB, intrinsics=IntrinsicsConfig(source=IntrinsicsSource.file, path=str(path)))
    result = calibrate(videos, RIG.cameras, BOARD, cfg)
    for cam, true_cam in zip(result.cameras, truth):  # held fixed, so exactly the file's
        np.testing.assert_allclose(cam.matrix, true_cam.matrix)
        np.testing.assert_allclose(cam.dist, true_cam.dist)
    _assert_close_to_truth(result.cameras, truth)
    assert result.quality.intrinsics_source == "file"
    assert result.quality.cameras["cam_0"].intrinsics_from == str(path)
    assert result.quality.cameras["cam_0"].reprojection_median_px < 0.5
    # The lens recording is not here: no coverage / distance-range gates judge it.
    assert not result.quality.cameras["cam_0"].has("board_coverage")
    assert not [g for g in result.quality.gates if g.name.startswith(("coverage", "distance"))]


@pytest.mark.slow
def test_intrinsics_from_separate_videos(truth, videos):
    # A separate close-up lens recording per camera (write_lens_videos: the board fills most
    # of the image, tilted 30-55 deg), in the default folder <data_dir>/intrinsics beside
    # <data_dir>/calibration; the calibration videos then only pose the cameras. Measured:
    # centres 4.3 / 2.6 / 0.8 / 2.6 mm, orientations 0.070 / 0.044 / 0.042 / 0.035 deg,
    # principal points within 0.7 px. With lenses from a second recording of the rig's own
    # board motion instead (boards far and small): up to 9.1 mm and 0.298 deg.
    folder = videos[0].parent.parent / "intrinsics"
    write_lens_videos(truth, BOARD, replace(SYNTH, lens_frames=LENS_FRAMES), folder, RIG.fps)
    cfg = replace(CALIB, intrinsics=IntrinsicsConfig(source=IntrinsicsSource.videos))
    result = calibrate(videos, RIG.cameras, BOARD, cfg)
    _assert_close_to_truth(result.cameras, truth)
    for cam, true_cam in zip(result.cameras, truth):
        assert cam.matrix[0, 0] == pytest.approx(true_cam.matrix[0, 0], rel=0.01)
        assert result.quality.cameras[cam.name].intrinsics_from == str(folder / f"{cam.name}.mp4")


def test_missing_intrinsic_video_names_the_file(truth, tmp_path):
    from pipeline.calibration.sources import detect_lens_videos

    cfg = replace(
        CALIB, intrinsics=IntrinsicsConfig(source=IntrinsicsSource.videos, path=str(tmp_path))
    )
    with pytest.raises(CalibrationError, match=r"cam_1.mp4 not found"):
        detect_lens_videos(cfg, BOARD, ["cam_1"], [tmp_path / "calibration" / "cam_1.mp4"])


@pytest.mark.parametrize(
    "writer", [write_calibration, write_pose2sim_calibration, write_caliscope_camera_array]
)
def test_every_interop_format_reads_as_intrinsics(truth, tmp_path, writer):
    path = tmp_path / "lenses.toml"
    writer(path, CameraSet(truth))
    assert [c.name for c in read_any_calibration(path).cameras] == [c.name for c in truth]
    cameras, _ = cameras_from_file(path, ["cam_2"], [(RIG.width, RIG.height)])
    np.testing.assert_allclose(cameras[0].matrix, truth[2].matrix)
    np.testing.assert_allclose(cameras[0].rvec, 0)  # pose is not taken from the file


def test_camera_missing_from_the_file_is_named(truth, tmp_path):
    path = tmp_path / "lenses.toml"
    write_calibration(path, CameraSet(truth[:2]))
    with pytest.raises(
        CalibrationError,
        match=r"camera cam_3 is not in the intrinsics file "
        r".*lenses.toml \(it has cam_0, cam_1\)",
    ):
        cameras_from_file(path, ["cam_0", "cam_3"], [(960, 540)] * 2)


def test_image_size_mismatch_names_camera_and_file(truth, tmp_path):
    path = tmp_path / "lenses.toml"
    write_calibration(path, CameraSet(truth))
    with pytest.raises(
        CalibrationError,
        match=r"camera cam_1: the intrinsics file .*lenses.toml "
        r"is for 960x540 images but its calibration "
        r"video is 1920x1080",
    ):
        cameras_from_file(path, ["cam_1"], [(1920, 1080)])


def test_unreadable_intrinsics_file_is_named(tmp_path):
    path = tmp_path / "notes.toml"
    path.write_text("[something]\nvalue = 1\n")
    with pytest.raises(CalibrationError, match="calibration.intrinsics.path: .*notes.toml"):
        cameras_from_file(path, ["cam_0"], [(960, 540)])


def test_intrinsics_config_is_validated():
    with pytest.raises(ConfigError, match="source = file needs calibration.intrinsics.path"):
        IntrinsicsConfig(source=IntrinsicsSource.file)
    with pytest.raises(ConfigError, match="source = board ignores it"):
        IntrinsicsConfig(source=IntrinsicsSource.board, path="x.toml")
