"""How well the camera geometry pins down each triangulated point: its predicted 3D SD.

For a point seen by a set of views, each with isotropic 2D error of 1 px, the first-order
(Gauss-Newton) covariance of the least-squares 3D point is  (sum_v J_v^T J_v)^-1  with J_v the
2x3 Jacobian of camera v's projection (lens distortion included) at the point. Its diagonal
gives the SD along world X, Y, Z in metres per pixel of detection error. Two cameras looking
along nearly the same line, or a point far from every camera (overground runways leaving the
capture volume), give a large SD even though each view reprojects well: the reprojection
error cannot show this, the geometry can. Multiply by the detector's pixel error to get metres.
"""

from __future__ import annotations

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, camera_coordinates, distort_normalized

STEP = 1e-6  # finite-difference step of the lens distortion's Jacobian (normalized units)


def predicted_sd(
    points: np.ndarray, cameras: CameraSet, views_used: np.ndarray, chunk: int = 200_000
) -> np.ndarray:
    """(..., 3) SD in metres per pixel along world X, Y, Z of `points` (..., 3) triangulated
    from the views `views_used` (..., C); NaN where the point is missing or seen by fewer than
    two views (inf where the views' rays coincide)."""
    points = np.asarray(points, float)
    shape = points.shape[:-1]
    flat = points.reshape(-1, 3)
    used = np.asarray(views_used, bool).reshape(-1, len(cameras))
    out = np.full(flat.shape, np.nan)
    for start in range(0, flat.shape[0], chunk):
        sl = slice(start, start + chunk)
        out[sl] = _sd_block(flat[sl], cameras, used[sl])
    return out.reshape(shape + (3,))


def projection_jacobian(cam: Camera, points: np.ndarray) -> np.ndarray:
    """(n, 2, 3) d(pixel)/d(world point) of `points` (n, 3): the pinhole part in closed form,
    the lens distortion's 2x2 part by central differences; NaN behind the camera."""
    pc = camera_coordinates(cam, points)
    z = pc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        xy = pc[:, :2] / z[:, None]
    R = cam.rotation
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_z = (1.0 / z)[:, None]
    # rows of d(x/z, y/z)/d(world point)
    n0 = inv_z * (R[0] - xy[:, :1] * R[2])
    n1 = inv_z * (R[1] - xy[:, 1:] * R[2])
    d_dist = []  # d(distorted)/dx, d(distorted)/dy: (n, 2) each
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = STEP
        d_dist.append(
            (distort_normalized(xy + step, cam.dist) - distort_normalized(xy - step, cam.dist))
            / (2 * STEP)
        )
    K = cam.matrix
    # pixel (u, v) by normalized (x, y): K's 2x2 part times the distortion's Jacobian
    u_x = K[0, 0] * d_dist[0][:, :1] + K[0, 1] * d_dist[0][:, 1:]
    u_y = K[0, 0] * d_dist[1][:, :1] + K[0, 1] * d_dist[1][:, 1:]
    v_x = K[1, 1] * d_dist[0][:, 1:]
    v_y = K[1, 1] * d_dist[1][:, 1:]
    jac = np.stack([u_x * n0 + u_y * n1, v_x * n0 + v_y * n1], axis=1)  # (n, 2, 3)
    jac[z <= 1e-9] = np.nan  # behind the camera: no projection
    return jac


def _sd_block(points: np.ndarray, cameras: CameraSet, used: np.ndarray) -> np.ndarray:
    ok = np.isfinite(points).all(axis=1)
    p = np.where(ok[:, None], points, 0.0)
    # the six distinct entries of the symmetric 3x3 information matrix sum_v J_v^T J_v
    pairs = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
    info = np.zeros((6, len(points)))
    for c, cam in enumerate(cameras):
        weight = (ok & used[:, c]).astype(float)
        if weight.any():
            jac = np.nan_to_num(projection_jacobian(cam, p))  # behind the camera: 0
            for i, (j, k) in enumerate(pairs):
                info[i] += weight * (jac[:, 0, j] * jac[:, 0, k] + jac[:, 1, j] * jac[:, 1, k])
    a00, a11, a22, a01, a02, a12 = info
    # the diagonal of the inverse: cofactor / determinant
    cof = np.stack([a11 * a22 - a12 * a12, a00 * a22 - a02 * a02, a00 * a11 - a01 * a01], axis=1)
    det = a00 * cof[:, 0] - a01 * (a01 * a22 - a12 * a02) + a02 * (a01 * a12 - a11 * a02)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(det[:, None] > 0, cof / det[:, None], np.inf)
    out = np.sqrt(np.clip(variance, 0.0, None))
    out[~(ok & (used.sum(axis=1) >= 2))] = np.nan
    return out
