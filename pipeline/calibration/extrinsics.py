"""Relative camera poses from simultaneous board views: aniposelib's initialisation and
iterative bundle adjustment, intrinsics held fixed.

Everything here is in the "rig" frame that the bundle adjustment settles in (about camera 0);
world.py moves it onto the floor board.
"""
from __future__ import annotations

from contextlib import contextmanager

import cv2
import numpy as np
from aniposelib.cameras import Camera as AniposeCamera, CameraGroup
from aniposelib.utils import get_initial_extrinsics

from pipeline.calibration.board import board_corners_3d
from pipeline.calibration.detect import MIN_VIEW_CORNERS, CalibrationError, VideoDetections
from pipeline.calibration.intrinsics import MAX_INCIDENCE_DEG, incidence_deg, inlier_corners
from pipeline.geometry import Camera
from pipeline.triangulation.dlt import triangulate_dlt

# aniposelib stops refining once the median error drops below this; we want all iterations.
BUNDLE_ERROR_THRESHOLD_PX = 0.01
BUNDLE_SEED = 0


def board_views(cameras: list[Camera], detections: list[VideoDetections], frames: np.ndarray,
                usable: np.ndarray, board) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corner observations and per-view board poses of `frames`, in aniposelib's layout.

    Returns imgp (C, F*n, 2) pixels, rtvecs (C, F, 6) board->camera [rvec, tvec], both NaN
    where a camera has no usable view, and objp (n, 3). Column f*n + i is corner i in frame f.
    `usable`: (C, n_frames) bool. Steep views and corners off their view's pose are dropped.
    """
    objp = board_corners_3d(board)
    n = len(objp)
    imgp = np.full((len(cameras), len(frames) * n, 2), np.nan)
    rtvecs = np.full((len(cameras), len(frames), 6), np.nan)
    for c, (cam, det) in enumerate(zip(cameras, detections)):
        views = []
        for f, k in enumerate(frames):
            if usable[c, k]:
                ids, corners = det.ids[k], det.corners[k]
                ok, rvec, tvec = cv2.solvePnP(objp[ids], corners, cam.matrix, cam.dist)
                if ok and incidence_deg(rvec, tvec) <= MAX_INCIDENCE_DEG:
                    views.append((f, ids, corners, rvec, tvec))
        if not views:
            continue
        residuals = [np.linalg.norm(corners - cv2.projectPoints(
            objp[ids], rvec, tvec, cam.matrix, cam.dist)[0].reshape(-1, 2), axis=1)
            for _, ids, corners, rvec, tvec in views]
        for (f, ids, corners, rvec, tvec), inliers in zip(views, inlier_corners(residuals)):
            if inliers.sum() >= MIN_VIEW_CORNERS:
                imgp[c, f * n + ids[inliers]] = corners[inliers]
                rtvecs[c, f] = np.concatenate([rvec.ravel(), tvec.ravel()])
    return imgp, rtvecs, objp


def calibrate_extrinsics(cameras: list[Camera], imgp: np.ndarray, rtvecs: np.ndarray,
                         objp: np.ndarray) -> list[Camera]:
    """Cameras (with intrinsics) posed in a common rig frame by bundle adjustment."""
    names = [cam.name for cam in cameras]
    try:
        rvecs, tvecs = get_initial_extrinsics(rtvecs, names)
    except ValueError as exc:
        raise CalibrationError("cameras cannot be linked by simultaneous board views; "
                               "show the board to neighbouring cameras at the same time. "
                               f"aniposelib: {str(exc).strip()}") from None
    group = CameraGroup([AniposeCamera(matrix=cam.matrix, dist=cam.dist, size=cam.size,
                                       name=cam.name, rvec=r, tvec=t)
                         for cam, r, t in zip(cameras, rvecs, tvecs)])
    seen = np.sum(~np.isnan(imgp[:, :, 0]), axis=0) >= 2
    n = len(objp)
    # Per-point board poses let aniposelib also pull the 3D points onto a rigid board.
    # aniposelib's own objp starts at (0, 0); ours (OpenCV) at one square: keep them together.
    n_frames = rtvecs.shape[1]
    extra = {
        "objp": np.tile(objp, (n_frames, 1))[seen],
        "ids": np.repeat(np.arange(n_frames), n)[seen],
        "rvecs": np.repeat(rtvecs[:, :, :3], n, axis=1)[:, seen],
        "tvecs": np.repeat(rtvecs[:, :, 3:], n, axis=1)[:, seen],
    }
    with _seeded_global_rng(BUNDLE_SEED):   # aniposelib subsamples with np.random
        group.bundle_adjust_iter(imgp[:, seen], extra, only_extrinsics=True,
                                 error_threshold=BUNDLE_ERROR_THRESHOLD_PX, verbose=False)
    return [cam.with_pose(cv2.Rodrigues(ac.get_rotation())[0], ac.get_translation())
            for cam, ac in zip(cameras, group.cameras)]


@contextmanager
def _seeded_global_rng(seed: int):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def triangulate(cameras: list[Camera], pixels: np.ndarray) -> np.ndarray:
    """Unweighted DLT of (C, N, 2) pixels, NaN = unseen -> (N, 3); NaN where fewer than two
    cameras see a point."""
    scored = np.concatenate([pixels, np.ones(pixels.shape[:2] + (1,))], axis=-1)
    return triangulate_dlt(scored[:, None], cameras, min_score=0.0, min_views=2).points[0]
