"""Relative camera poses from simultaneous board views: aniposelib's initialisation, then
our bundle adjustment of camera and board poses (bundle.py), intrinsics held fixed.

Everything here is in the "rig" frame: camera 0's, which the bundle adjustment holds fixed;
world.py moves it onto the floor board.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
from aniposelib.utils import find_calibration_pairs, get_calibration_graph

from pipeline.calibration.board import board_corners_3d
from pipeline.calibration.board_in_videos import MIN_VIEW_CORNERS, CalibrationError, VideoDetections
from pipeline.calibration.bundle import adjust, initial_board_poses
from pipeline.calibration.intrinsics import MAX_INCIDENCE_DEG, incidence_deg, inlier_corners
from pipeline.core.camera_set import CameraSet
from pipeline.core.dlt import triangulate_dlt


def board_views(
    cameras: CameraSet,
    detections: list[VideoDetections],
    frames: np.ndarray,
    usable: np.ndarray,
    board,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
        residuals = [
            np.linalg.norm(
                corners
                - cv2.projectPoints(objp[ids], rvec, tvec, cam.matrix, cam.dist)[0].reshape(-1, 2),
                axis=1,
            )
            for _, ids, corners, rvec, tvec in views
        ]
        for (f, ids, corners, rvec, tvec), inliers in zip(views, inlier_corners(residuals)):
            if inliers.sum() >= MIN_VIEW_CORNERS:
                imgp[c, f * n + ids[inliers]] = corners[inliers]
                rtvecs[c, f] = np.concatenate([rvec.ravel(), tvec.ravel()])
    return imgp, rtvecs, objp


def floor_view(
    cameras: CameraSet, floor_pixels: np.ndarray, objp: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The floor board as one more board view: (C, n, 2) pixels (NaN = unseen, from
    `world.floor_observations`) -> (C, n, 2) pixels and (C, 6) board->camera PnP poses,
    NaN for cameras that see fewer than MIN_VIEW_CORNERS of its corners."""
    pixels = np.full_like(floor_pixels, np.nan)
    rtvecs = np.full((len(cameras), 6), np.nan)
    for c, (cam, px) in enumerate(zip(cameras, floor_pixels)):
        ids = np.flatnonzero(np.isfinite(px[:, 0]))
        if len(ids) < MIN_VIEW_CORNERS:
            continue
        ok, rvec, tvec = cv2.solvePnP(objp[ids], px[ids], cam.matrix, cam.dist)
        if ok:
            pixels[c, ids] = px[ids]
            rtvecs[c] = np.concatenate([rvec.ravel(), tvec.ravel()])
    return pixels, rtvecs


def calibrate_extrinsics(
    cameras: CameraSet,
    imgp: np.ndarray,
    rtvecs: np.ndarray,
    objp: np.ndarray,
    lens_params: int = 0,
) -> tuple[CameraSet, np.ndarray, dict]:
    """Cameras (with intrinsics) posed in a common rig frame (camera 0's) by bundle
    adjustment; also each frame's board -> rig pose (F, 6; NaN where unused) and the fit's
    summary. Initial poses: aniposelib's spanning tree of pairwise PnP poses. `lens_params`:
    how many of (fx, fy, cx, cy, k1, k2, p1, p2, k3) the adjustment refines (0: none)."""
    names = [cam.name for cam in cameras]
    try:
        rvecs, tvecs = initial_extrinsics(rtvecs, names)
    except ValueError as exc:
        raise CalibrationError(
            "cameras cannot be linked by simultaneous board views; "
            "show the board to neighbouring cameras at the same time. "
            f"aniposelib: {str(exc).strip()}"
        ) from None
    counts = np.isfinite(imgp[:, :, 0]).reshape(len(cameras), rtvecs.shape[1], -1).sum(axis=2)
    boards = initial_board_poses(rvecs, tvecs, rtvecs, counts)
    rvecs, tvecs, boards, info = adjust(
        [c.matrix for c in cameras],
        [c.dist for c in cameras],
        rvecs,
        tvecs,
        boards,
        imgp,
        objp,
        lens_params,
    )
    posed = [
        replace(cam, matrix=K, dist=d).with_pose(cv2.Rodrigues(r)[0], t)
        for cam, K, d, r, t in zip(cameras, info.pop("matrices"), info.pop("dists"), rvecs, tvecs)
    ]
    return CameraSet(posed), boards, info


def initial_extrinsics(rtvecs: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(C, 3) rvecs and tvecs, camera 0 at the origin: aniposelib's spanning tree of the
    pairs with most shared views (`get_initial_extrinsics`), each pair's relative pose a
    robust mean of its per-frame ones. aniposelib averages Rodrigues vectors, which fails for
    cameras nearly opposite each other (rotation near 180 deg: the vectors flip sign between
    frames); such pairs share views once boards are seen from behind (back_views.py), so the
    rotations are averaged as matrices here (chordal mean of those within 0.5 rad of the
    medoid)."""
    pairs = find_calibration_pairs(get_calibration_graph(rtvecs, names), source=0)
    extrinsics = {0: np.eye(4)}
    for a, b in pairs:
        extrinsics[b] = _relative_pose(rtvecs, b, a) @ extrinsics[a]
    rvecs = np.array([cv2.Rodrigues(extrinsics[c][:3, :3])[0].ravel() for c in range(len(rtvecs))])
    tvecs = np.array([extrinsics[c][:3, 3] for c in range(len(rtvecs))])
    return rvecs, tvecs


def _pose(rtvec: np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = cv2.Rodrigues(rtvec[:3])[0], rtvec[3:]
    return T


def _relative_pose(rtvecs: np.ndarray, left: int, right: int) -> np.ndarray:
    """camera `left` <- camera `right`, from the frames where both have a board pose."""
    both = np.isfinite(rtvecs[left, :, 0]) & np.isfinite(rtvecs[right, :, 0])
    Ms = np.array(
        [
            _pose(rtvecs[left, f]) @ np.linalg.inv(_pose(rtvecs[right, f]))
            for f in np.flatnonzero(both)
        ]
    )
    R, t = Ms[:, :3, :3], Ms[:, :3, 3]
    # medoid: the frame whose rotation is closest (chordal) to all others
    chordal = np.linalg.norm(R[:, None] - R[None], axis=(2, 3))
    spread_t = np.linalg.norm(t[:, None] - t[None], axis=2)
    medoid = np.argmin(
        np.median(chordal, axis=1)
        + np.median(spread_t, axis=1) / max(float(np.median(np.linalg.norm(t, axis=1))), 1e-9)
    )
    angle = np.arccos(np.clip((np.einsum("fij,ij->f", R, R[medoid]) - 1) / 2, -1, 1))
    keep = angle < 0.5
    U, _, Vt = np.linalg.svd(R[keep].sum(axis=0))
    mean = np.eye(4)
    mean[:3, :3] = U @ np.diag([1, 1, np.linalg.det(U @ Vt)]) @ Vt
    mean[:3, 3] = np.median(t[keep], axis=0)
    return mean


def triangulate(cameras: CameraSet, pixels: np.ndarray) -> np.ndarray:
    """Unweighted DLT of (C, N, 2) pixels, NaN = unseen -> (N, 3); NaN where fewer than two
    cameras see a point."""
    scored = np.concatenate([pixels, np.ones(pixels.shape[:2] + (1,))], axis=-1)
    return triangulate_dlt(scored[:, None], cameras, min_score=0.0, min_views=2).points[0]
