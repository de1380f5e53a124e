"""Synthetic rig and rendered ChArUco frames: geometry is exact, the board is detectable and
OpenCV finds its corners where the true camera model projects them."""

import numpy as np
import pytest

from pipeline.calibration.board import board_corners_3d, detect_board_in_image, make_board
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.core.geometry import camera_coordinates, project, undistort_to_normalized
from pipeline.synth.board_video import (
    LENS_FILL,
    LENS_TILT_DEG,
    BoardTexture,
    background,
    calibration_board_poses,
    floor_pose,
    held_pose,
    lens_board_poses,
    pixel_rays,
    render_frame,
)
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
    points = np.column_stack(
        [rng.uniform(-1, 1, 200), rng.uniform(-1, 1, 200), rng.uniform(0, 1.8, 200)]
    )
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
    # Held boards, plausible for a person holding them: the whole print (grid and margin)
    # above the floor and within reach, at least 1 m from every camera's centre.
    outline = np.column_stack([BoardTexture.outline(board), np.zeros(4)])
    held = np.array([p.world_points(outline) for p in poses[calib_cfg.floor_frames :]])
    assert held[..., 2].min() >= 0.05 and held[..., 2].max() <= 2.1
    for cam in rig:
        assert np.linalg.norm(held - cam.center, axis=-1).min() >= 1.0, cam.name
    again = calibration_board_poses(rig, board_cfg, calib_cfg, synth_cfg)
    assert all(np.array_equal(a.rotation, b.rotation) for a, b in zip(poses, again))


def _true_views(cam, poses, board, max_view_deg=60.0):
    """Per held pose: the true projections of the corners `cam` sees inside its image, or None
    when the print faces away, is seen more than `max_view_deg` off its normal, or fewer than
    8 corners are in the image (the pipeline needs 8 for a view)."""
    objp = board_corners_3d(board)
    out = []
    for pose in poses:
        world = pose.world_points(objp)
        to_cam = cam.center - world.mean(0)
        cos = -pose.rotation[:, 2] @ to_cam / np.linalg.norm(to_cam)
        px = project(cam, world)
        w, h = cam.size
        inside = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
        ok = cos >= np.cos(np.radians(max_view_deg)) and inside.sum() >= 8
        out.append((px[inside], np.linalg.norm(world[inside].mean(0) - cam.center)) if ok else None)
    return out


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_held_board_follows_the_recording_protocol(rig, seed):
    """docs/calibration.md, Recording: from the true poses (no rendering), every camera sees
    the print's corners over at least the coverage gate's 50 % of its 8 x 6 image cells and
    at distances whose 90th / 10th percentiles are at least the gate's 1.5 apart; neighbouring
    cameras share at least the gate's 10 frames, seen within 60 deg of the board's normal.
    Measured (seeds 0, 1, 3): coverage 0.71-0.90, far/near 1.66-1.98 (near 2.03-2.32 m),
    neighbours 11-16 shared frames (the pairs 109 deg apart 11-14)."""
    board_cfg, calib_cfg = BoardConfig(), CalibrationConfig()
    board = make_board(board_cfg)
    poses = calibration_board_poses(rig, board_cfg, calib_cfg, SynthConfig(seed=seed))
    held = poses[calib_cfg.floor_frames :]
    seen = {}
    for cam in rig:
        views = _true_views(cam, held, board)
        seen[cam.name] = np.array([v is not None for v in views])
        w, h = cam.size
        cells = np.zeros((6, 8), bool)
        for px, _ in filter(None, views):
            cells[(px[:, 1] * 6 // h).astype(int), (px[:, 0] * 8 // w).astype(int)] = True
        near, far = np.percentile([d for _, d in filter(None, views)], [10, 90])
        assert cells.mean() >= 0.5, (cam.name, cells.mean())
        assert far / near >= 1.5, (cam.name, near, far)
        assert near <= 2.5, (cam.name, near)  # some views close to the camera
    azimuth = {c.name: np.degrees(np.arctan2(c.center[1], c.center[0])) % 360 for c in rig}
    order = sorted(azimuth, key=azimuth.get)
    for a, b in zip(order, order[1:] + order[:1]):
        assert (seen[a] & seen[b]).sum() >= 10, (a, b)


def test_lens_recording_fills_the_image_with_tilted_boards(rig):
    """The close-up lens recording (write_lens_videos): from the true poses, the print is
    turned LENS_TILT_DEG from the line of sight, its width would fill LENS_FILL of the image
    face-on, every frame is usable (8 or more corners in the image), the views cover at least
    80 % of the image's 8 x 6 cells and their distances span at least the gate's 1.5."""
    board_cfg = BoardConfig()
    board = make_board(board_cfg)
    print_width = np.ptp(BoardTexture.outline(board)[:, 0])
    for index, cam in enumerate(rig):
        poses = lens_board_poses(cam, board_cfg, 40, np.random.default_rng([0, index, 1]))
        views = _true_views(cam, poses, board)
        assert all(v is not None for v in views), cam.name
        w, h = cam.size
        cells = np.zeros((6, 8), bool)
        for px, _ in views:
            cells[(px[:, 1] * 6 // h).astype(int), (px[:, 0] * 8 // w).astype(int)] = True
        assert cells.mean() >= 0.8, (cam.name, cells.mean())
        distances = np.array([d for _, d in views])
        near, far = np.percentile(distances, [10, 90])
        assert far / near >= 1.5, (cam.name, near, far)
        fill = cam.matrix[0, 0] * print_width / (distances * w)
        assert np.all((fill > 0.9 * LENS_FILL[0]) & (fill < 1.1 * LENS_FILL[1])), cam.name
        for pose in poses:
            to_cam = cam.center - pose.world_points(board_corners_3d(board).mean(0)[None])[0]
            tilt = np.degrees(np.arccos(-pose.rotation[:, 2] @ to_cam / np.linalg.norm(to_cam)))
            assert LENS_TILT_DEG[0] - 5 <= tilt <= LENS_TILT_DEG[1] + 5, (cam.name, tilt)


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
    ids, corners = detect_board_in_image(_render(cam, cam0_rays, board_cfg, pose), board, False)
    truth = project(cam, pose.world_points(board_corners_3d(board)[ids]))
    assert len(ids) == len(board_corners_3d(board))
    assert np.linalg.norm(corners - truth, axis=1).max() < 0.5


def test_floor_board_is_detected_from_the_camera_height(rig, cam0_rays):
    cam, board_cfg = rig[0], BoardConfig()
    board = make_board(board_cfg)
    pose = floor_pose(board)
    ids, corners = detect_board_in_image(_render(cam, cam0_rays, board_cfg, pose), board, False)
    truth = project(cam, pose.world_points(board_corners_3d(board)[ids]))
    assert len(ids) >= 0.9 * len(board_corners_3d(board))
    assert np.median(np.linalg.norm(corners - truth, axis=1)) < 0.5


def test_inverted_board_is_found_only_when_told(rig, cam0_rays):
    cam, board_cfg = rig[0], BoardConfig()
    board = make_board(board_cfg)
    pose = held_pose(board, np.array([0.0, 0.0, 1.0]), 35, 0, 0)
    frame = _render(cam, cam0_rays, board_cfg, pose)
    ids, corners = detect_board_in_image(frame, board, False)
    inv_ids, inv_corners = detect_board_in_image(255 - frame, board, True)
    assert len(ids) > 0 and np.array_equal(ids, inv_ids)
    assert np.abs(corners - inv_corners).max() < 0.05
    assert len(detect_board_in_image(255 - frame, board, False)[0]) == 0


def test_nothing_detected_in_an_empty_scene(rig):
    frame = np.clip(background(rig[0].size, np.random.default_rng(3)), 0, 255).astype(np.uint8)
    ids, corners = detect_board_in_image(frame, make_board(BoardConfig()), False)
    assert ids.shape == (0,) and corners.shape == (0, 2)
