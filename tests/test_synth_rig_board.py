"""Synthetic rig and rendered ChArUco frames: geometry is exact, the board is detectable and
OpenCV finds its corners where the true camera model projects them."""
import numpy as np
import pytest

from pipeline.calibration.board import board_corners_3d, detect_board, make_board
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.geometry import camera_coordinates, project, undistort_to_normalized
from pipeline.synth.board_video import (BoardTexture, background, calibration_board_poses,
                                        floor_pose, held_pose, pixel_rays, render_frame)
from pipeline.synth.rig import AIM_POINT, make_rig

RIG = RigConfig()


@pytest.fixture(scope="module")
def rig():
    return make_rig(RIG)


@pytest.fixture(scope="module")
def cam0_rays(rig):
    return pixel_rays(rig[0])


def test_cameras_sit_on_the_configured_arc(rig):
    assert [c.name for c in rig] == RIG.cameras
    for cam, azimuth in zip(rig, RIG.arc_deg):
        x, y, z = cam.center
        assert np.hypot(x, y) == pytest.approx(RIG.distance_m, abs=1e-9)
        assert np.degrees(np.arctan2(y, x)) % 360 == pytest.approx(azimuth % 360, abs=1e-9)
        assert z == pytest.approx(RIG.camera_height_m, abs=1e-9)
        assert cam.size == (RIG.width, RIG.height)


def test_intrinsics_are_realistic_and_differ_per_camera(rig):
    K = np.array([c.matrix for c in rig])
    assert np.all(np.abs(K[:, 0, 0] / RIG.focal_px - 1) < 0.1)
    assert np.all(K[:, 0, 0] != K[:, 1, 1])
    offsets = K[:, :2, 2] - [(RIG.width - 1) / 2, (RIG.height - 1) / 2]
    assert np.all(np.abs(offsets) < 50) and np.any(np.abs(offsets) > 2)
    assert len({tuple(c.dist) for c in rig}) == len(rig)
    assert np.all(np.sign([c.dist for c in rig]) == np.sign(RIG.distortion))


def test_aim_point_projects_to_principal_point(rig):
    for cam in rig:
        assert project(cam, AIM_POINT) == pytest.approx(cam.matrix[:2, 2], abs=1e-9)


def test_project_and_undistort_round_trip(rig):
    rng = np.random.default_rng(1)
    points = np.column_stack([rng.uniform(-1, 1, 200), rng.uniform(-1, 1, 200),
                              rng.uniform(0, 1.8, 200)])
    for cam in rig:
        pc = camera_coordinates(cam, points)
        xy = undistort_to_normalized(cam, project(cam, points))
        assert np.abs(xy - pc[:, :2] / pc[:, 2:]).max() < 1e-9


def test_board_poses_floor_then_held(rig):
    board_cfg, calib_cfg, synth_cfg = BoardConfig(), CalibrationConfig(), SynthConfig()
    board = make_board(board_cfg)
    poses = calibration_board_poses(rig, board_cfg, calib_cfg, synth_cfg)
    assert len(poses) == calib_cfg.floor_frames + synth_cfg.calibration_frames
    corners = board_corners_3d(board)
    floor = poses[0].world_points(corners)
    # Floor board: on z = 0, grid centre at the origin, x along world X, print facing up.
    assert np.abs(floor[:, 2]).max() < 1e-12
    assert floor.mean(0) == pytest.approx([0, 0, 0], abs=1e-12)
    assert floor[1] - floor[0] == pytest.approx([board_cfg.square_length_m, 0, 0], abs=1e-12)
    assert -poses[0].rotation[:, 2] == pytest.approx([0, 0, 1])
    held_centres = np.array([p.world_points(corners).mean(0)
                             for p in poses[calib_cfg.floor_frames:]])
    assert np.all(np.abs(held_centres[:, :2]) <= [0.8, 0.6]) and np.all(
        (held_centres[:, 2] >= 0.5) & (held_centres[:, 2] <= 1.6))
    again = calibration_board_poses(rig, board_cfg, calib_cfg, synth_cfg)
    assert all(np.array_equal(a.rotation, b.rotation) for a, b in zip(poses, again))


def _render(cam, rays, board_cfg, pose, seed=0):
    rng = np.random.default_rng(seed)
    texture = BoardTexture(make_board(board_cfg))
    return render_frame(cam, rays, texture, pose, background(cam.size, rng), SynthConfig(), rng)


def test_rendered_held_board_corners_match_true_projection(rig, cam0_rays):
    """Board 2.2 m in front of cam_0, tilted: every corner found within 0.5 px of truth."""
    cam, board_cfg = rig[0], BoardConfig()
    board = make_board(board_cfg)
    toward_cam = np.degrees(np.arctan2(cam.center[1], cam.center[0]))
    pose = held_pose(board, np.array([0.3, 0.2, 1.0]), toward_cam + 25, 20, 15)
    ids, corners = detect_board(_render(cam, cam0_rays, board_cfg, pose), board, False)
    truth = project(cam, pose.world_points(board_corners_3d(board)[ids]))
    assert len(ids) == len(board_corners_3d(board))
    assert np.linalg.norm(corners - truth, axis=1).max() < 0.5


def test_floor_board_is_detected_from_the_camera_height(rig, cam0_rays):
    cam, board_cfg = rig[0], BoardConfig()
    board = make_board(board_cfg)
    pose = floor_pose(board)
    ids, corners = detect_board(_render(cam, cam0_rays, board_cfg, pose), board, False)
    truth = project(cam, pose.world_points(board_corners_3d(board)[ids]))
    assert len(ids) >= 0.9 * len(board_corners_3d(board))
    assert np.median(np.linalg.norm(corners - truth, axis=1)) < 0.5


def test_inverted_board_is_found_only_when_told(rig, cam0_rays):
    cam, board_cfg = rig[0], BoardConfig()
    board = make_board(board_cfg)
    pose = held_pose(board, np.array([0.0, 0.0, 1.0]), 35, 0, 0)
    frame = _render(cam, cam0_rays, board_cfg, pose)
    ids, corners = detect_board(frame, board, False)
    inv_ids, inv_corners = detect_board(255 - frame, board, True)
    assert len(ids) > 0 and np.array_equal(ids, inv_ids)
    assert np.abs(corners - inv_corners).max() < 0.05
    assert len(detect_board(255 - frame, board, False)[0]) == 0


def test_nothing_detected_in_an_empty_scene(rig):
    frame = np.clip(background(rig[0].size, np.random.default_rng(3)), 0, 255).astype(np.uint8)
    ids, corners = detect_board(frame, make_board(BoardConfig()), False)
    assert ids.shape == (0,) and corners.shape == (0, 2)
