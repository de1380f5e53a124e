"""Confidence-weighted linear (DLT) triangulation of 2D keypoints from calibrated cameras.

Each view with score >= min_score contributes the two rows  w * (x * P[2] - P[0])  and
w * (y * P[2] - P[1])  to a homogeneous system A X = 0, where (x, y) are undistorted
normalized coordinates, P = [R | t] is the camera's extrinsic matrix and w the detector
score. The solution is the right singular vector of A with the smallest singular value.
All frames and keypoints are solved in one batched SVD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, project, undistort_to_normalized


@dataclass(frozen=True)
class Triangulated:
    points: np.ndarray  # (F, K, 3) metres, NaN where not triangulated
    reprojection_error: np.ndarray  # (F, K) mean pixel error over the views used, NaN if none
    n_views: np.ndarray  # (F, K) int, views used (score >= min_score, finite)
    views_used: np.ndarray  # (F, K, C) bool


def check_observations(points2d, cameras: CameraSet, min_views: int) -> np.ndarray:
    """(C, F, K, 3) float array of detections for `cameras`, or a ValueError saying what is off."""
    if isinstance(points2d, np.ndarray) and not np.issubdtype(points2d.dtype, np.number):
        raise ValueError(f"points2d must be numeric, got dtype {points2d.dtype}")
    try:
        points2d = np.asarray(points2d, float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"points2d must be a numeric array (C, F, K, 3): {exc}") from None
    if len(cameras) < 2:
        raise ValueError(f"triangulation needs at least 2 cameras, got {len(cameras)}")
    if points2d.ndim != 4 or points2d.shape[-1] != 3:
        raise ValueError(
            f"points2d must have shape (cameras, frames, keypoints, 3) "
            f"[x_px, y_px, score], got {points2d.shape}"
        )
    if points2d.shape[0] != len(cameras):
        raise ValueError(
            f"points2d holds {points2d.shape[0]} cameras but {len(cameras)} cameras were given"
        )
    if not all(isinstance(c, Camera) for c in cameras):
        raise ValueError("cameras must be pipeline.core.geometry.Camera objects")
    if min_views < 2:
        raise ValueError(f"min_views must be at least 2 (a point needs two rays), got {min_views}")
    return points2d


def triangulate_dlt(
    points2d: np.ndarray, cameras: CameraSet, min_score: float, min_views: int
) -> Triangulated:
    """Triangulate (C, F, K, 3) detections [x_px, y_px, score] seen by `cameras` (C)."""
    points2d = check_observations(points2d, cameras, min_views)
    pixels, scores = points2d[..., :2], points2d[..., 2]
    used = np.isfinite(pixels).all(axis=-1) & np.isfinite(scores) & (scores >= min_score)
    weights = np.where(used, scores, 0.0)  # (C, F, K)

    normalized = np.stack(
        [undistort_to_normalized(cam, pixels[c]) for c, cam in enumerate(cameras)]
    )  # (C, F, K, 2)
    normalized = np.where(used[..., None], normalized, 0.0)
    extrinsics = np.stack([cam.extrinsic[:3] for cam in cameras])  # (C, 3, 4)

    # rows[c, f, k, j] = x_j * P_c[2] - P_c[j] for j in (x, y)
    rows = (
        normalized[..., :, None] * extrinsics[:, None, None, 2:3, :]
        - extrinsics[:, None, None, :2, :]
    )  # (C, F, K, 2, 4)
    rows = rows * weights[..., None, None]
    n_cams, n_frames, n_kp = used.shape
    systems = np.moveaxis(rows, 0, 2).reshape(n_frames, n_kp, 2 * n_cams, 4)

    _, _, vt = np.linalg.svd(systems, full_matrices=False)
    homogeneous = vt[..., -1, :]  # (F, K, 4)
    n_views = used.sum(axis=0)
    solvable = (n_views >= min_views) & (np.abs(homogeneous[..., 3]) > 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        points3d = homogeneous[..., :3] / homogeneous[..., 3:4]
    points3d = np.where(solvable[..., None], points3d, np.nan)

    reprojected = np.stack([project(cam, points3d) for cam in cameras])  # (C, F, K, 2)
    pixel_error = np.linalg.norm(reprojected - pixels, axis=-1)
    counted = used & solvable[None]
    with np.errstate(invalid="ignore"):
        error = np.where(counted, pixel_error, 0.0).sum(axis=0) / counted.sum(axis=0)
    error = np.where(solvable, error, np.nan)

    return Triangulated(
        points=points3d,
        reprojection_error=error,
        n_views=n_views.astype(int),
        views_used=np.moveaxis(counted, 0, -1),
    )
