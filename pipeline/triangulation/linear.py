"""Fast numeric core of robust triangulation: undistortion, normal equations, closed-form solve.

Why not the batched SVD of `pipeline/core/dlt.py`: LAPACK on millions of tiny 8x4 systems spends its time in
per-matrix overhead (~90k points/s). The same solution comes out of the 4x4 normal matrix
M = A^T A, whose smallest eigenvector is the right singular vector of A:
- M is assembled for all points by ONE matrix product. A view contributes
  w^2 [(x^2 + y^2) P2 P2^T - x (P2 P0^T + P0 P2^T) - y (P2 P1^T + P1 P2^T) + P0 P0^T + P1 P1^T],
  i.e. features [w^2 (x^2+y^2), w^2 x, w^2 y, w^2] times four constant matrices per camera, so
  per-view pieces can be added or removed (leave-one-out, swapped labels) at no extra cost.
- The eigenvector comes from elementwise arithmetic on arrays of points: an LDL^T factor of M
  (no pivoting: the 3x3 block is a well-conditioned ray geometry), whose back-substitution of
  e4 is the inhomogeneous least-squares point [p, 1]; then INVERSE_ITERATIONS steps of inverse
  iteration, each shrinking the error by lambda_min / lambda_2 (~1e-4 at 1 px noise), so the
  result equals the SVD solution to ~1e-11 m. The steps are scaled by d3 (the last pivot), so
  an exact, noise-free point (d3 = 0) needs no division by zero.
- Squaring A costs no accuracy that matters: the eigenvector's sensitivity is
  eps * |M| / (lambda_2 - lambda_min), and the gap is O(1) for any rig with a baseline.
Small matrix products use einsum, not BLAS: OpenBLAS threads a (10 x 16) @ (16 x n) product
and its spinning threads cost 20-30x on a busy 2-core machine. Layout is "structure of
arrays": x, y, w as (C, n), points as (3, n), M as (10, n), so every elementwise step runs on
contiguous rows; callers feed chunks of CHUNK points (cache-sized) from a thread pool.

Undistortion is OpenCV's fixed-point loop with a fixed step count per camera, chosen once from
the lens so the whole image converges (`undistort_iterations`); a vectorized numpy Newton solver
was tried and is 1.5-2x slower than OpenCV's C++ loop at equal accuracy.

Reprojection errors here are "undistorted pixels": the normalized-plane residual scaled by the
focal lengths. They equal pixel errors for a distortion-free lens and differ by the local
distortion scale otherwise (a few %; ~10-20 % only in the far corners of a 1080p image with
k1 = -0.12): cheap enough to evaluate for every view of every candidate solution.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from pipeline.core.geometry import Camera

INVERSE_ITERATIONS = 2
CHUNK = 8192  # points per work item: (C, CHUNK) rows of 64 kB stay in L2
UNDISTORT_TOL = 1e-8  # normalized (~1.5e-5 px, ~3e-8 m in 3D): far below any noise
UNDISTORT_MAX_ITERATIONS = 50
_PAIRS = [(i, j) for i in range(4) for j in range(i, 4)]  # 10 unique entries of symmetric 4x4


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(fn, items, workers: int):
    """map on a thread pool: numpy and OpenCV release the GIL in their inner loops."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


class Rig:
    """The solver's constants of a camera set (core/camera_set.py): normal-equation bases,
    extrinsics, intrinsics, undistortion steps. Not a camera set of its own: built from one
    (or its list of cameras) where the fast solver needs it, never stored or passed on."""

    def __init__(self, cameras: Iterable[Camera]):
        cameras = list(cameras)
        P = np.stack([cam.extrinsic[:3] for cam in cameras])  # (C, 3, 4)
        basis = np.zeros((len(cameras), 4, 10))
        p0, p1, p2 = P[:, 0], P[:, 1], P[:, 2]
        for e, (i, j) in enumerate(_PAIRS):
            basis[:, 0, e] = p2[:, i] * p2[:, j]
            basis[:, 1, e] = -(p2[:, i] * p0[:, j] + p0[:, i] * p2[:, j])
            basis[:, 2, e] = -(p2[:, i] * p1[:, j] + p1[:, i] * p2[:, j])
            basis[:, 3, e] = p0[:, i] * p0[:, j] + p1[:, i] * p1[:, j]
        self.cameras = cameras
        self.n = len(cameras)
        self.basis = basis  # (C, 4, 10)
        self.basis_t = basis.reshape(-1, 10).T.copy()  # (10, 4C)
        self.rotation = P[:, :, :3].reshape(-1, 3)  # (3C, 3)
        self.translation = P[:, :, 3].reshape(-1, 1)  # (3C, 1)
        K = np.stack([cam.matrix for cam in cameras])
        self.fx, self.fy = K[:, 0, 0].reshape(-1, 1), K[:, 1, 1].reshape(-1, 1)  # (C, 1)
        self.iterations = [undistort_iterations(cam) for cam in cameras]

    def in_units_of(self, scale_px: np.ndarray) -> Rig:
        """The same rig whose `view_errors` are in units of `scale_px` (C,) per camera instead
        of pixels: a per-camera threshold becomes 1 for every camera. Solutions are unchanged
        (they do not depend on the focal lengths)."""
        scaled = object.__new__(Rig)
        scaled.__dict__.update(self.__dict__)
        scale = np.asarray(scale_px, float).reshape(-1, 1)
        scaled.fx, scaled.fy = self.fx / scale, self.fy / scale
        return scaled


def undistort(pixels: np.ndarray, rig: Rig) -> tuple[np.ndarray, np.ndarray]:
    """(C, n, 2) pixels -> (C, n) ideal normalized x, y (NaN/inf in, NaN out)."""
    x = np.empty(pixels.shape[:2])
    y = np.empty(pixels.shape[:2])
    for c, cam in enumerate(rig.cameras):
        px = np.ascontiguousarray(pixels[c], dtype=np.float64).reshape(-1, 1, 2)
        und = cv2.undistortPointsIter(  # type: ignore[call-overload]  # stubs: R, P not None
            px, cam.matrix, cam.dist, None, None, (cv2.TERM_CRITERIA_COUNT, rig.iterations[c], 0.0)
        )
        und = und.reshape(-1, 2)
        x[c], y[c] = und[:, 0], und[:, 1]
    return x, y


def undistort_iterations(cam: Camera) -> int:
    """Fewest iterations of OpenCV's fixed-point undistortion that reach UNDISTORT_TOL over the
    whole image of this lens, checked once on a grid. OpenCV's own per-point convergence test
    (TERM_CRITERIA_EPS) re-projects every point on every step and is several times slower;
    its default of 5 steps (aniposelib's) is ~4e-9 off in the corners of a k1 = -0.12 lens."""
    w, h = cam.size
    gx, gy = np.meshgrid(np.linspace(0, w - 1, 33), np.linspace(0, h - 1, 19))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=-1).reshape(-1, 1, 2)
    run = lambda n, eps=0: cv2.undistortPointsIter(  # type: ignore[call-overload]
        grid,
        cam.matrix,
        cam.dist,
        None,
        None,
        (cv2.TERM_CRITERIA_COUNT | (cv2.TERM_CRITERIA_EPS if eps else 0), n, eps),
    )
    reference = run(200, 1e-15)
    for n in range(3, UNDISTORT_MAX_ITERATIONS):
        if np.nanmax(np.abs(run(n) - reference)) < UNDISTORT_TOL:
            return n
    return UNDISTORT_MAX_ITERATIONS


def features(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(C, n) normalized x, y and weights (0 = view unused) -> (C, 4, n) normal-eq. features."""
    w2 = w * w
    out = np.empty((x.shape[0], 4, x.shape[1]))
    np.multiply(w2, x, out=out[:, 1])
    np.multiply(w2, y, out=out[:, 2])
    out[:, 3] = w2
    out[:, 0] = out[:, 1] * x + out[:, 2] * y
    return out


def normal_matrices(feats: np.ndarray, rig: Rig) -> np.ndarray:
    """(C, 4, n) features -> (10, n) unique entries of M, summed over the views."""
    return np.einsum("ef,fn->en", rig.basis_t, feats.reshape(-1, feats.shape[-1]))


def view_matrices(feats: np.ndarray, rig: Rig) -> np.ndarray:
    """(C, 4, n) features -> (C, 10, n): each view's own contribution to M."""
    return np.einsum("cfe,cfn->cen", rig.basis, feats)


def solve_normal(m: np.ndarray) -> np.ndarray:
    """(10, n) normal matrices -> (3, n) points (smallest eigenvector, dehomogenized).
    NaN where M is degenerate (fewer than two independent rays) or the point is at infinity."""
    a00, a01, a02, a03, a11, a12, a13, a22, a23, a33 = m
    tiny = 1e-12 * (a00 + a11 + a22) + 1e-300
    with np.errstate(divide="ignore", invalid="ignore"):
        d0 = a00
        l10, l20, l30 = a01 / d0, a02 / d0, a03 / d0
        d1 = a11 - l10 * a01
        t12, t13 = a12 - l10 * a02, a13 - l10 * a03
        l21, l31 = t12 / d1, t13 / d1
        d2 = a22 - l20 * a02 - l21 * t12
        t23 = a23 - l20 * a03 - l21 * t13
        l32 = t23 / d2
        d3 = np.maximum(a33 - l30 * a03 - l31 * t13 - l32 * t23, 0.0)
        y2 = -l32  # M^-1 e4 up to scale: [p, 1]
        y1 = -l21 * y2 - l31
        y0 = -l10 * y1 - l20 * y2 - l30
        s0, s1, s2 = d3 / d0, d3 / d1, d3 / d2
        for _ in range(INVERSE_ITERATIONS):  # y <- d3 M^-1 y, rescaled to y3 = 1
            z1 = y1 - l10 * y0
            z2 = y2 - l20 * y0 - l21 * z1
            z3 = 1.0 - l30 * y0 - l31 * z1 - l32 * z2
            z0, z1, z2 = y0 * s0, z1 * s1, z2 * s2
            b2 = z2 - l32 * z3
            b1 = z1 - l21 * b2 - l31 * z3
            b0 = z0 - l10 * b1 - l20 * b2 - l30 * z3
            inv = 1.0 / z3
            y0, y1, y2 = b0 * inv, b1 * inv, b2 * inv
        points = np.stack([y0, y1, y2])
    bad = (d0 <= tiny) | (d1 <= tiny) | (d2 <= tiny) | ~np.isfinite(points).all(axis=0)
    points[:, bad] = np.nan
    return points


def view_errors(points: np.ndarray, x: np.ndarray, y: np.ndarray, rig: Rig) -> np.ndarray:
    """(3, n) points, (C, n) normalized observations -> (C, n) errors in undistorted pixels.
    A point behind a camera gets an infinite error there: it cannot be what that camera saw."""
    cam = np.einsum("ij,jn->in", rig.rotation, points)
    cam += rig.translation
    cam = cam.reshape(rig.n, 3, -1)  # (C, 3, n)
    z = cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / z
        dx = (cam[:, 0] * inv - x) * rig.fx
        dy = (cam[:, 1] * inv - y) * rig.fy
        err = np.sqrt(dx * dx + dy * dy)
    return np.where(z > 1e-9, err, np.inf)
