"""The issue's accuracy condition: a 4-camera rig calibrated from corners with 1 px of noise.

The rendered videos give corners within ~0.05 px (test_calibration_synthetic), far better
than 1 px. So here a test double stands in for the ChArUco detector: `projected_corners`
returns the true projections of the board corners plus Gaussian noise (1 px per axis) for
every board pose the synthetic generator renders (pipeline/synth/board_video.py). Everything
after detection is the real calibration: lens fits, bundle adjustment, floor board, report.

At 1 px the recording decides the result (docs/calibration.md, "Noisy corners"). This test
uses the recording docs/calibration.md recommends for it: per camera a close-up lens recording
of 200 frames of a 12 x 9 board of 60 mm squares (`calibration.intrinsics.source = videos`,
`calibration.intrinsics.board`), 300 frames of the rig's 7 x 5 board of 150 mm moving through
the rig, and that board on the floor for 60 frames (0.5 s at 120 fps). With the demo's
recording (60 frames, lenses from the rig videos) the same noise puts cameras 4-19 mm and
0.2-0.5 deg off (measured, docs)."""

from pathlib import Path

import numpy as np
import pytest

from pipeline.calibration.board import board_center, board_corners_3d, make_board
from pipeline.calibration.board_in_videos import MIN_VIEW_CORNERS, VideoDetections
from pipeline.calibration.calibrate import BoardDetections, solve_calibration
from pipeline.calibration.extrinsics import triangulate
from pipeline.calibration.measure_records import BoardPolarity
from pipeline.config import (
    ArucoDictionary,
    BoardConfig,
    CalibrationConfig,
    IntrinsicsConfig,
    IntrinsicsSource,
    RigConfig,
    SynthConfig,
)
from pipeline.core.geometry import project, rotation_angle_deg
from pipeline.synth.board_video import BoardPose, calibration_board_poses, lens_board_poses
from pipeline.synth.rig import make_rig

CORNER_NOISE_PX = 1.0
RIG = RigConfig()
BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)  # 7 x 5, on the floor
LENS_BOARD = BoardConfig(
    squares_x=12,
    squares_y=9,
    square_length_m=0.06,
    marker_length_m=0.045,
    dictionary=ArucoDictionary.DICT_4X4_100,
)  # held close
CALIB = CalibrationConfig(
    floor_frames=60,
    max_frames=300,
    intrinsics=IntrinsicsConfig(source=IntrinsicsSource.videos, board=LENS_BOARD),
)
SYNTH = SynthConfig(calibration_frames=300, lens_frames=200)
# A board seen further than this from face-on is not detected (the real detector's limit on
# the rendered videos is about 75-80 deg).
MAX_VIEW_DEG = 75.0

# The targets, unchanged. Measured (seed 0, as here): centres 1.5 / 1.2 / 1.5 / 1.4 mm,
# orientations 0.063 / 0.026 / 0.039 / 0.025 deg, principal points within 0.9 px, square
# +0.03 mm; seeds 1-3: centres up to 1.7 mm, orientations up to 0.061 deg. With 100 / 150
# lens frames one seed in three missed (0.125 deg; 0.109 deg): the principal point's scatter.
# Model error on the true corners: medians 0.31 / 0.07 / 0.06 / 0.29 px; residual 0.484 px
# against the true rig's 0.487 px.
CENTRE_TOLERANCE_M = 0.003
ORIENTATION_TOLERANCE_DEG = 0.1
BOARD_SIZE_TOLERANCE_MM = 0.5
MODEL_REPROJECTION_TOLERANCE_PX = 0.5
# At 1 px per axis, the reprojection residual is the noise itself: the true rig leaves a
# median of 0.49 px on these corners. The calibration may leave at most this much more.
RESIDUAL_ABOVE_TRUE_RIG_PX = 0.01


def projected_corners(
    camera, poses: list[BoardPose], board, rng: np.random.Generator, video: Path
) -> VideoDetections:
    """Test double for the ChArUco detector: per pose, the corners inside `camera`'s image
    (true projection + CORNER_NOISE_PX Gaussian noise), or nothing when the print faces away
    by more than MAX_VIEW_DEG or fewer than MIN_VIEW_CORNERS corners are in the image."""
    objp = board_corners_3d(board)
    width, height = camera.size
    ids, corners = [], []
    for pose in poses:
        px = project(camera, pose.world_points(objp))
        to_camera = camera.center - pose.world_points(board_center(board)[None])[0]
        facing = -pose.rotation[:, 2] @ to_camera / np.linalg.norm(to_camera)
        inside = (
            np.isfinite(px).all(axis=1)
            & (px[:, 0] >= 0)
            & (px[:, 1] >= 0)
            & (px[:, 0] <= width - 1)
            & (px[:, 1] <= height - 1)
        )
        if facing < np.cos(np.radians(MAX_VIEW_DEG)) or inside.sum() < MIN_VIEW_CORNERS:
            ids.append(np.zeros(0, int))
            corners.append(np.zeros((0, 2)))
            continue
        ids.append(np.flatnonzero(inside))
        corners.append(px[inside] + rng.normal(0.0, CORNER_NOISE_PX, (inside.sum(), 2)))
    return VideoDetections(video, (width, height), ids, corners, inverted=False)


@pytest.fixture(scope="module")
def truth():
    return make_rig(RIG)


@pytest.fixture(scope="module")
def session(truth, tmp_path_factory):
    """Detections of the rig videos and of each camera's lens video (test double), and the
    true board poses of the rig videos."""
    board, lens_board = make_board(BOARD), make_board(LENS_BOARD)
    folder = tmp_path_factory.mktemp("corner_noise")
    rng = np.random.default_rng(0)
    poses = calibration_board_poses(truth, BOARD, CALIB, SYNTH)
    rig = [
        projected_corners(cam, poses, board, rng, folder / "calibration" / f"{cam.name}.mp4")
        for cam in truth
    ]
    lens = {}
    for index, cam in enumerate(truth):
        lens_poses = lens_board_poses(
            cam, LENS_BOARD, SYNTH.lens_frames, np.random.default_rng([SYNTH.seed, index, 1])
        )
        lens[cam.name] = projected_corners(
            cam, lens_poses, lens_board, rng, folder / "intrinsics" / f"{cam.name}.mp4"
        )
    return rig, lens, poses


@pytest.fixture(scope="module")
def result(session):
    rig, lens, _ = session
    polarity = BoardPolarity(configured="normal", found={}, fell_back_to_other_polarity=False)
    found = BoardDetections(rig, polarity, lens=[lens[name] for name in RIG.cameras])
    return solve_calibration(found, RIG.cameras, BOARD, CALIB)


@pytest.mark.slow
def test_cameras_within_the_targets_at_one_pixel_of_corner_noise(truth, result):
    for true_cam, cam in zip(truth, result.cameras):
        assert np.linalg.norm(cam.center - true_cam.center) < CENTRE_TOLERANCE_M, cam.name
        assert rotation_angle_deg(cam.rotation, true_cam.rotation) < ORIENTATION_TOLERANCE_DEG, (
            cam.name
        )
    size = result.quality.board_size.measured_square_mm
    assert abs(size - 1000 * BOARD.square_length_m) < BOARD_SIZE_TOLERANCE_MM
    assert result.quality.intrinsics_source == "videos"


@pytest.mark.slow
def test_reprojection_at_one_pixel_of_corner_noise(truth, session, result):
    """The calibrated cameras project the true board corners within 0.5 px of where the true
    cameras do, and explain the noisy corners as well as the true rig does."""
    rig, _, poses = session
    objp = board_corners_3d(make_board(BOARD))
    held = range(CALIB.floor_frames, len(poses))
    observed = np.full((len(truth), len(held) * len(objp), 2), np.nan)
    for c, det in enumerate(rig):
        for j, k in enumerate(held):
            observed[c, j * len(objp) + det.ids[k]] = det.corners[k]
    corners_world = np.concatenate([poses[k].world_points(objp) for k in held])
    seen = np.isfinite(observed[..., 0])
    for cam, true_cam, mask in zip(result.cameras, truth, seen):
        model_error = np.linalg.norm(
            project(cam, corners_world[mask]) - project(true_cam, corners_world[mask]), axis=1
        )
        assert np.median(model_error) < MODEL_REPROJECTION_TOLERANCE_PX, cam.name

    def residual_median(cameras):
        points = triangulate(cameras, observed)
        return np.nanmedian(
            np.concatenate(
                [
                    np.linalg.norm(project(cam, points) - observed[c], axis=1)
                    for c, cam in enumerate(cameras)
                ]
            )
        )

    assert residual_median(result.cameras) < residual_median(truth) + RESIDUAL_ABOVE_TRUE_RIG_PX
