"""The world frame from the board lying on the floor in the first frames.

World: origin at the centre of the board's square grid, X along the board's x axis (its long
side, laid along the treadmill belt), Z up (the side the print faces), Y = Z x X. In OpenCV
board axes the print faces -z and y runs down the page, so world = diag(1, -1, -1) @
(board - grid centre).
"""

from __future__ import annotations

import numpy as np

from pipeline.calibration.board import board_center, board_corners_3d
from pipeline.calibration.board_in_videos import CalibrationError, VideoDetections
from pipeline.calibration.extrinsics import triangulate
from pipeline.calibration.measure_records import CameraFrame, FloorFrame
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import rigid_transform, to_homogeneous, transform_rig

WORLD_FROM_BOARD_AXES = np.diag([1.0, -1.0, -1.0])
MIN_FLOOR_CORNERS = 6


def floor_observations(
    detections: list[VideoDetections], floor_frames: int, n_corners: int
) -> np.ndarray:
    """(C, n_corners, 2) pixels of each floor-board corner, averaged over the floor frames
    (the board does not move, so averaging only removes noise); NaN where never seen."""
    out = np.full((len(detections), n_corners, 2), np.nan)
    for c, det in enumerate(detections):
        total = np.zeros((n_corners, 2))
        count = np.zeros(n_corners)
        for ids, corners in zip(det.ids[:floor_frames], det.corners[:floor_frames]):
            np.add.at(total, ids, corners)
            np.add.at(count, ids, 1)
        seen = count > 0
        out[c, seen] = total[seen] / count[seen, None]
    return out


def world_from_floor(
    cameras: CameraSet, floor_pixels: np.ndarray, board, rig_from_board: np.ndarray | None = None
) -> tuple[np.ndarray, FloorFrame]:
    """4x4 transform rig -> world from the floor board, and checks for the quality report.

    `rig_from_board`: the floor board's pose from the bundle adjustment (4x4), which fits
    it to every camera's pixels; without it, a rigid fit to the triangulated corners. The
    fit residual is reported against the pose used either way."""
    names = [cam.name for cam in cameras]
    seeing = [name for name, px in zip(names, floor_pixels) if np.isfinite(px[:, 0]).any()]
    if len(seeing) < 2:
        raise CalibrationError(
            f"the floor board is seen by {len(seeing)} camera(s) {seeing} in the first floor "
            "frames; at least 2 are needed to set the world frame: check that the board lies "
            "flat in view of the cameras at the start of every calibration video and that "
            "calibration.floor_frames matches the recording"
        )
    rig_points = triangulate(cameras, floor_pixels)
    found = np.isfinite(rig_points[:, 0])
    if found.sum() < MIN_FLOOR_CORNERS:
        raise CalibrationError(
            f"only {found.sum()} floor-board corners are seen by two cameras at once "
            f"(need {MIN_FLOOR_CORNERS}): make the whole floor board visible to at least "
            "two cameras"
        )
    board_points = board_corners_3d(board)[found]
    if rig_from_board is None:
        R, t = rigid_transform(board_points, rig_points[found])  # rig = R @ board + t
    else:
        R, t = rig_from_board[:3, :3], rig_from_board[:3, 3]
    residual = np.linalg.norm(rig_points[found] - (board_points @ R.T + t), axis=1)
    world_from_board = to_homogeneous(
        WORLD_FROM_BOARD_AXES, -WORLD_FROM_BOARD_AXES @ board_center(board)
    )
    board_from_rig = np.linalg.inv(to_homogeneous(R, t))
    world_from_rig = world_from_board @ board_from_rig

    world_cameras = transform_rig(cameras, world_from_rig[:3, :3], world_from_rig[:3, 3])
    below = [cam.name for cam in world_cameras if cam.center[2] <= 0]
    if below:
        raise CalibrationError(
            f"cameras {below} end up below the floor board: the first frames must show the "
            "board lying flat with its printed face up (check board.inverted and that the "
            "floor board is not mirrored or upside down)"
        )
    checks = FloorFrame(
        world_frame="floor board",
        cameras_seeing_floor_board=seeing,
        floor_corners=int(found.sum()),
        floor_fit_rms_mm=float(1000 * np.sqrt(np.mean(residual**2))),
        floor_fit_max_mm=float(1000 * residual.max()),
        camera_heights_m={cam.name: float(cam.center[2]) for cam in world_cameras},
    )
    return world_from_rig, checks


def world_from_camera(cameras: CameraSet, reference: int = 0) -> tuple[np.ndarray, CameraFrame]:
    """4x4 transform rig -> the frame of camera `reference` (no floor board recorded): that
    camera sits at the origin looking along +Z, x right, y down (OpenCV). The frame has no
    'up' and its origin is not on the floor."""
    world_from_rig = cameras[reference].extrinsic
    checks = CameraFrame(
        world_frame=f"camera {cameras[reference].name} (no floor frames used)",
        floor_frames_used=0,
        reference_camera=cameras[reference].name,
    )
    return world_from_rig, checks
