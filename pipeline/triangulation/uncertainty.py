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

from pipeline.geometry import Camera, project

STEP_M = 1e-4      # finite-difference step of the projection Jacobian (linear well beyond it)


def predicted_sd(points: np.ndarray, cameras: list[Camera], views_used: np.ndarray,
                 chunk: int = 200_000) -> np.ndarray:
    """(..., 3) SD in metres per pixel along world X, Y, Z of `points` (..., 3) triangulated
    from the views `views_used` (..., C); NaN where the point is missing or its views leave a
    direction unconstrained (fewer than two views)."""
    points = np.asarray(points, float)
    shape = points.shape[:-1]
    flat = points.reshape(-1, 3)
    used = np.asarray(views_used, bool).reshape(-1, len(cameras))
    out = np.full(flat.shape, np.nan)
    for start in range(0, flat.shape[0], chunk):
        sl = slice(start, start + chunk)
        out[sl] = _sd_block(flat[sl], cameras, used[sl])
    return out.reshape(shape + (3,))


def _sd_block(points: np.ndarray, cameras: list[Camera], used: np.ndarray) -> np.ndarray:
    information = np.zeros((points.shape[0], 3, 3))
    ok = np.isfinite(points).all(axis=1)
    base = np.where(ok[:, None], points, 0.0)
    for c, cam in enumerate(cameras):
        rows = ok & used[:, c]
        if not rows.any():
            continue
        p = base[rows]
        columns = []
        for axis in range(3):
            step = np.zeros(3)
            step[axis] = STEP_M
            columns.append((project(cam, p + step) - project(cam, p - step)) / (2 * STEP_M))
        jac = np.stack(columns, axis=-1)                                   # (n, 2, 3)
        jac = np.nan_to_num(jac)                                           # behind the camera
        information[rows] += np.einsum("nij,nik->njk", jac, jac)
    out = np.full(points.shape, np.nan)
    # Two or more views: invertible unless the rays coincide (then the SD is huge, not NaN).
    good = ok & (used.sum(axis=1) >= 2)
    if good.any():
        cov = np.linalg.pinv(information[good], hermitian=True)
        out[good] = np.sqrt(np.clip(np.einsum("nii->ni", cov), 0.0, None))
    return out
