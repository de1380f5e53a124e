"""Quality measures of a calibration recording and result, for the quality report and gates:
board coverage of each image, near/far spread of board distances, triangulated square size."""

from __future__ import annotations

from itertools import combinations

import cv2
import numpy as np

from pipeline.calibration.board import board_corners_3d, square_length
from pipeline.calibration.board_in_videos import VideoDetections
from pipeline.calibration.extrinsics import triangulate
from pipeline.calibration.measure_records import BoardSize, DistanceSpread, TruthError
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, optical_axis_angle_deg, rotation_angle_deg

COVERAGE_GRID = (8, 6)  # image cells across x, y; a cell counts once a corner fell in it


def coverage_counts(
    det: VideoDetections, frames: np.ndarray, grid: tuple[int, int] = COVERAGE_GRID
) -> np.ndarray:
    """(rows, cols) int: in how many of `frames` each cell of a `grid` over the image
    contained a detected corner (the quality report's heat map)."""
    width, height = det.image_size
    counts = np.zeros(grid[::-1], int)
    for k in frames:
        px = det.corners[k]
        if len(px):
            col = np.clip((px[:, 0] + 0.5) * grid[0] // width, 0, grid[0] - 1).astype(int)
            row = np.clip((px[:, 1] + 0.5) * grid[1] // height, 0, grid[1] - 1).astype(int)
            hit = np.zeros(grid[::-1], bool)
            hit[row, col] = True
            counts += hit
    return counts


def board_coverage(
    det: VideoDetections, frames: np.ndarray, grid: tuple[int, int] = COVERAGE_GRID
) -> float:
    """Fraction of the cells of a `grid` over the image that contained a detected corner in
    any of `frames`. Lens models are only trustworthy where corners were seen."""
    return float((coverage_counts(det, frames, grid) > 0).mean())


def board_distances(camera: Camera, det: VideoDetections, frames: np.ndarray, board) -> np.ndarray:
    """Distance (m) from the camera to the centre of the seen corners in each of `frames`."""
    objp = board_corners_3d(board)
    out = []
    for k in frames:
        ids, corners = det.ids[k], det.corners[k]
        ok, rvec, tvec = cv2.solvePnP(objp[ids], corners, camera.matrix, camera.dist)
        if ok:
            R = cv2.Rodrigues(rvec)[0]
            out.append(np.linalg.norm(R @ objp[ids].mean(0) + tvec.ravel()))
    return np.asarray(out)


def distance_spread(distances: np.ndarray) -> DistanceSpread:
    """Nearest, farthest and their ratio (10th / 90th percentiles, so one odd view does not
    decide)."""
    if len(distances) == 0:
        return DistanceSpread(None, None, None)
    near, far = np.percentile(distances, [10, 90])
    return DistanceSpread(float(near), float(far), float(far / near))


def axis_angles(cameras: CameraSet) -> dict[str, float]:
    """Angle (deg) between the optical axes of every camera pair, keyed "a/b": near 180 for
    cameras facing each other across the treadmill, which cannot both see a board's face."""
    return {f"{a.name}/{b.name}": optical_axis_angle_deg(a, b) for a, b in combinations(cameras, 2)}


def centre_distances(cameras: CameraSet) -> dict[str, float]:
    """Distance (m) between the optical centres of every camera pair, keyed "a/b"."""
    return {
        f"{a.name}/{b.name}": float(np.linalg.norm(a.center - b.center))
        for a, b in combinations(cameras, 2)
    }


def adjacent_corner_pairs(board) -> np.ndarray:
    """(m, 2) ids of corners one square apart (horizontal and vertical neighbours)."""
    objp = board_corners_3d(board)
    d = np.linalg.norm(objp[:, None] - objp[None], axis=-1)
    a, b = np.nonzero(np.isclose(d, square_length(board), rtol=1e-6))
    return np.stack([a[a < b], b[a < b]], axis=1)


def triangulated_square_size(cameras: CameraSet, imgp: np.ndarray, board) -> BoardSize:
    """Side of the board squares measured between triangulated adjacent corners of the
    multi-view frames (imgp from `board_views`: (C, F*n, 2)), against the configured one.

    A board that is not flat or rigid, unsynchronized cameras or a wrong lens model make the
    triangulated board disagree with its printed geometry. A wrongly *measured* square
    length does not show here: it scales the whole calibration (cameras, board and all) by
    the same factor, which no image can reveal."""
    n = len(board_corners_3d(board))
    points = triangulate(cameras, imgp).reshape(-1, n, 3)
    pairs = adjacent_corner_pairs(board)
    lengths = np.linalg.norm(points[:, pairs[:, 0]] - points[:, pairs[:, 1]], axis=-1).ravel()
    lengths = lengths[np.isfinite(lengths)]
    configured = 1000 * square_length(board)
    if lengths.size == 0:
        return BoardSize(configured, None, None, None, 0)
    q1, median, q3 = 1000 * np.percentile(lengths, [25, 50, 75])
    return BoardSize(
        configured_square_mm=configured,
        measured_square_mm=float(median),
        measured_square_iqr_mm=float(q3 - q1),
        relative_error=float(median / configured - 1),
        pairs=int(lengths.size),
    )


def compare_with_truth(cameras: CameraSet, truth: CameraSet) -> dict[str, TruthError]:
    """Per-camera centre (mm) and orientation (deg) errors against the true rig (synthetic
    studies), cameras matched by name."""
    true_by_name = {cam.name: cam for cam in truth}
    return {
        cam.name: TruthError(
            center_error_mm=float(
                np.linalg.norm(cam.center - true_by_name[cam.name].center) * 1000
            ),
            orientation_error_deg=rotation_angle_deg(cam.rotation, true_by_name[cam.name].rotation),
        )
        for cam in cameras
    }
