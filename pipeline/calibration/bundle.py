"""Bundle adjustment of camera poses and board poses, intrinsics held fixed.

The same least-squares problem aniposelib solves with its board constraint, written for a
rigid board of known geometry: parameters are each camera's pose (camera 0 stays where it
is: it fixes the frame) and each frame's board pose; residuals are the pixel errors of every
detected corner, `project(camera, board pose @ corner) - detection`. The board's known
square size fixes the scale. scipy's sparse trust-region solver with a finite-difference
Jacobian over the known sparsity pattern: no JIT compile (aniposelib's numba kernels took
~6 s to compile on every run), and the board poses replace the 3 free coordinates per
corner, so the problem is ~20x smaller.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import least_squares
from scipy.sparse import lil_matrix

# Plain least squares: outlier corners are already dropped per view (extrinsics.board_views).
# A Huber loss (2 px) changed nothing measurable on the synthetic rig or the caliscope session
# but took 200 evaluations instead of 8 on the latter.
TOLERANCE = 1e-8  # relative; 1e-10 took ~10x the evaluations to move poses by 0.004 mm
MAX_EVALUATIONS = 200
# With the lens terms free (9 per camera), 1e-8 ran into the evaluation limit; 1e-6 took
# 58-66 evaluations (7-8 s) on the synthetic rig, 1e-5 9-13 (2-4 s) for camera poses within
# 0.03 mm and 0.004 deg of those.
LENS_TOLERANCE = 1e-5
LENS_MAX_EVALUATIONS = 100


def rodrigues(rvecs: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors -> (..., 3, 3) matrices (vectorized cv2.Rodrigues)."""
    theta = np.linalg.norm(rvecs, axis=-1)[..., None, None]
    small = theta < 1e-12
    k = rvecs / np.where(small[..., 0], 1.0, theta[..., 0])
    K = np.zeros(rvecs.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    K = K - np.swapaxes(K, -1, -2)
    s, c = np.sin(theta), np.cos(theta)
    return np.eye(3) + s * K + (1 - c) * (K @ K)


def _project(points: np.ndarray, K: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Camera-frame points (m, 3) -> pixels (m, 2), OpenCV's 5-term model."""
    xy = points[:, :2] / points[:, 2:3]
    k1, k2, p1, p2, k3 = dist
    x, y = xy[:, 0], xy[:, 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([K[0, 0] * xd + K[0, 1] * yd + K[0, 2], K[1, 1] * yd + K[1, 2]], axis=1)


def initial_board_poses(
    cam_rvecs: np.ndarray, cam_tvecs: np.ndarray, rtvecs: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """(F, 6) board -> rig pose per frame from the camera that saw most corners of it
    (its PnP pose moved into the rig frame); NaN where no camera has a pose."""
    import cv2

    poses = np.full((rtvecs.shape[1], 6), np.nan)
    for f in range(rtvecs.shape[1]):
        seen = np.flatnonzero(np.isfinite(rtvecs[:, f, 0]))
        if len(seen) == 0:
            continue
        c = seen[np.argmax(counts[seen, f])]
        R_c = cv2.Rodrigues(cam_rvecs[c])[0]
        # rig_from_board = inv(cam_from_rig) @ cam_from_board
        R = R_c.T @ cv2.Rodrigues(rtvecs[c, f, :3])[0]
        t = R_c.T @ (rtvecs[c, f, 3:] - cam_tvecs[c])
        poses[f] = np.concatenate([cv2.Rodrigues(R)[0].ravel(), t])
    return poses


def lens_terms(K: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """(fx, fy, cx, cy, k1, k2, p1, p2, k3): the lens terms the adjustment can refine."""
    return np.concatenate([[K[0, 0], K[1, 1], K[0, 2], K[1, 2]], np.asarray(dist, float)[:5]])


def _lens(x: np.ndarray, K: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """K, dist with the first len(x) of (fx, fy, cx, cy, k1, k2, p1, p2, k3) taken from x."""
    v = lens_terms(K, dist)
    v[: len(x)] = x
    return (np.array([[v[0], K[0, 1], v[2]], [0.0, v[1], v[3]], [0.0, 0.0, 1.0]]), v[4:])


def adjust(
    matrices: list[np.ndarray],
    dists: list[np.ndarray],
    cam_rvecs: np.ndarray,
    cam_tvecs: np.ndarray,
    board_poses: np.ndarray,
    imgp: np.ndarray,
    objp: np.ndarray,
    lens_params: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Refine camera poses (world -> camera; camera 0 fixed) and board poses (board -> rig),
    and with `lens_params` > 0 the first that many of each camera's (fx, fy, cx, cy, k1, k2,
    p1, p2, k3) too.

    imgp (C, F*n, 2), NaN = not seen; column f*n + i is corner i of frame f. Frames whose
    board pose is NaN are left out. Returns (cam_rvecs, cam_tvecs, board_poses, info);
    info["matrices"] / info["dists"]: the lens models after the fit."""
    n_cams, n = len(matrices), len(objp)
    n_frames = imgp.shape[1] // n
    obs_c, obs_col = np.nonzero(np.isfinite(imgp[:, :, 0]))
    obs_f, obs_i = obs_col // n, obs_col % n
    keep = np.isfinite(board_poses[obs_f, 0])
    obs_c, obs_f, obs_i = obs_c[keep], obs_f[keep], obs_i[keep]
    frames = np.unique(obs_f)
    frame_index = np.full(n_frames, -1)
    frame_index[frames] = np.arange(len(frames))
    obs_k = frame_index[obs_f]
    observed = imgp[obs_c, obs_f * n + obs_i]
    by_camera = [np.flatnonzero(obs_c == c) for c in range(n_cams)]

    n_pose_params = 6 * (n_cams - 1)
    n_cam_params = n_pose_params + lens_params * n_cams

    def unpack(x):
        cams = np.concatenate(
            [
                np.concatenate([cam_rvecs[:1], cam_tvecs[:1]], axis=1),
                x[:n_pose_params].reshape(-1, 6),
            ]
        )
        return cams, x[n_cam_params:].reshape(-1, 6)

    def lenses(x):
        if lens_params == 0:
            return matrices, dists
        fitted = [
            _lens(v, K, d)
            for v, K, d in zip(
                x[n_pose_params:n_cam_params].reshape(n_cams, lens_params), matrices, dists
            )
        ]
        return [f[0] for f in fitted], [f[1] for f in fitted]

    def residuals(x):
        cams, boards = unpack(x)
        Ks, ds = lenses(x)
        R_b = rodrigues(boards[:, :3])[obs_k]
        rig = np.einsum("mij,mj->mi", R_b, objp[obs_i]) + boards[obs_k, 3:]
        out = np.empty((len(obs_c), 2))
        R_c = rodrigues(cams[:, :3])
        for c, rows in enumerate(by_camera):
            if len(rows):
                pc = rig[rows] @ R_c[c].T + cams[c, 3:]
                out[rows] = _project(pc, Ks[c], ds[c]) - observed[rows]
        return out.ravel()

    sparsity = lil_matrix((2 * len(obs_c), n_cam_params + 6 * len(frames)), dtype=int)
    rows = np.arange(len(obs_c))
    for j in range(6):
        for r in (2 * rows, 2 * rows + 1):
            moving = obs_c > 0
            sparsity[r[moving], 6 * (obs_c[moving] - 1) + j] = 1
            sparsity[r, n_cam_params + 6 * obs_k + j] = 1
    for j in range(lens_params):
        for r in (2 * rows, 2 * rows + 1):
            sparsity[r, n_pose_params + lens_params * obs_c + j] = 1

    x0 = np.concatenate(
        [np.concatenate([cam_rvecs[1:], cam_tvecs[1:]], axis=1).ravel()]
        + [lens_terms(K, d)[:lens_params] for K, d in zip(matrices, dists)]
        + [board_poses[frames].ravel()]
    )
    start_rms = float(np.sqrt(np.mean(residuals(x0) ** 2)))
    tol = LENS_TOLERANCE if lens_params else TOLERANCE
    fit = least_squares(
        residuals,
        x0,
        jac_sparsity=sparsity,
        method="trf",
        x_scale="jac",
        ftol=tol,
        xtol=tol,
        gtol=tol,
        max_nfev=LENS_MAX_EVALUATIONS if lens_params else MAX_EVALUATIONS,
    )
    cams, boards = unpack(fit.x)
    out_boards = np.full_like(board_poses, np.nan)
    out_boards[frames] = boards
    err = np.linalg.norm(fit.fun.reshape(-1, 2), axis=1)
    info: dict[str, Any] = {
        "observations": int(len(obs_c)),
        "frames": int(len(frames)),
        "start_rms_px": start_rms,
        "rms_px": float(np.sqrt(np.mean(err**2))),
        "median_px": float(np.median(err)),
        "evaluations": int(fit.nfev),
    }
    Ks, ds = lenses(fit.x)
    info["matrices"], info["dists"] = [np.asarray(K) for K in Ks], [np.asarray(d) for d in ds]
    return cams[:, :3], cams[:, 3:], out_boards, info
