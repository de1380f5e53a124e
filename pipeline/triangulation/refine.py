"""Spatiotemporal refinement of triangulated trajectories: reprojection + limb-length constancy +
smoothness, solved jointly over the whole recording (cf. aniposelib's
`triangulate_optim`).

Minimised over all points X (F, K, 3) and one length L_b per bone b (skeleton.BONES):
    sum_{f,k,c used}  (s_fkc * e_fkc / PIXEL_SIGMA)^2           reprojection, weighted by score
  + sum_{f,b}         ((|X_fa - X_fb| - L_b) / limb_sigma_m)^2   limb-length constancy
  + sum_{f,k}         (|X_f+1 - 2 X_f + X_f-1| fps^2 / accel_sigma_ms2)^2   smoothness
e = error in undistorted pixels (normalized-plane residual times focal length, as `linear.py`),
only over the views robust triangulation kept (`views_used`), so rejected outliers stay out.

Why not scipy least_squares over all unknowns (not tried): a 60 s trial at 120 fps has 560k
unknowns, and in frame order the normal matrix has a bandwidth of 2 frames x 78 coordinates, so
one exact Gauss-Newton step is a ~1e10-flop banded factorization. The structure allows much
less: with the other keypoints held fixed, one keypoint's trajectory is a banded system
(3 coordinates x second differences: bandwidth 6) solved in O(F). So each sweep takes one Gauss-Newton step per
keypoint (LAPACK banded Cholesky), keypoints in colour classes of the bone graph (no bone inside
a class: block Gauss-Seidel), then sets every L_b to its least-squares value (the mean length
over measured frames). A fixed number of sweeps keeps the time predictable.

Gaps: a NaN point is interpolated for the solver (only smoothness and bones act on it) and
returned as NaN: refinement does not invent points that gap filling left out.
Synthetic ground truth has rigid segments, which favours this prior. A detector's keypoints on
real people are joint-centre estimates whose distances are not constant (by how much was not
measured here), hence the deliberately loose default limb_sigma_m of 1 cm rather than the
~3 mm the synthetic data rewards (docs/triangulation.md).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solveh_banded

from pipeline.core.camera_set import CameraSet
from pipeline.core.skeleton import BONES, INDEX, N_KEYPOINTS, relabel_swapped
from pipeline.triangulation import linear

PIXEL_SIGMA = 1.0  # px: reprojection residual scale (unit score)
DAMPING = 1e-6  # Levenberg term, relative to the mean diagonal: regular in long gaps
MAX_STEP_M = 0.05  # per frame and sweep: a refinement, not a relocation


def refine_trajectories(
    points: np.ndarray,
    points2d: np.ndarray,
    cameras: CameraSet,
    views_used: np.ndarray,
    fps: float,
    limb_sigma_m: float = 0.01,
    accel_sigma_ms2: float = 100.0,
    sweeps: int = 4,
    bones: np.ndarray | None = None,
    min_score: float = 0.0,
    swaps_repaired: np.ndarray | None = None,
    residual_scale_px: np.ndarray | None = None,
    undistorted: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(F, K, 3) points (NaN = gap), (C, F, K, 3) detections [x_px, y_px, score], (F, K, C)
    views to use -> refined (F, K, 3) points, NaN where `points` is NaN.
    `bones` (B, 2) keypoint indices (default: skeleton.BONES for the 26-keypoint skeleton, none
    otherwise). limb_sigma_m <= 0 turns the limb term off, accel_sigma_ms2 <= 0 smoothness.
    `swaps_repaired` (C, F): views whose left/right labels robust triangulation exchanged back
    (its `views_used` refers to the repaired labels, so the same exchange is applied here).
    `residual_scale_px` (C, K): each view's error scale (the outlier gates); with it the
    reprojection term is a Cauchy loss of that scale, so one wrong view cannot drag a point.
    `undistorted`: (C, F, K) normalized x, y of `points2d` as detected (before the swap repair),
    when the caller already computed them (linear.undistort); else computed here.
    Every step is bounded (MAX_STEP_M per frame and sweep): the fit refines, it cannot move
    a point by metres."""
    pts = np.asarray(points, float)
    obs = np.asarray(points2d, float)
    n_frames, n_kp, _ = pts.shape
    _check(pts, obs, cameras, views_used, fps, sweeps)
    if undistorted is not None:  # relabelled with the observations below
        obs = np.concatenate([obs, np.stack(undistorted, axis=-1)], axis=-1)  # (C, F, K, 5)
    if swaps_repaired is not None and np.any(swaps_repaired):
        if n_kp != N_KEYPOINTS:
            raise ValueError("swaps_repaired needs the 26-keypoint skeleton's left/right pairs")
        obs = relabel_swapped(obs, swaps_repaired)
    known = np.isfinite(pts).all(axis=-1)  # (F, K)
    if n_frames == 0 or not known.any():
        return pts.copy()
    bones = _bones(bones, n_kp, limb_sigma_m)
    active = known.any(axis=0)
    bones = bones[active[bones].all(axis=1)] if bones.size else bones

    rig = linear.Rig(list(cameras))
    if undistorted is not None:
        x, y = obs[..., 3], obs[..., 4]
    else:
        x, y = linear.undistort(obs[..., :2].reshape(len(cameras), -1, 2), rig)
        x, y = x.reshape(obs.shape[:3]), y.reshape(obs.shape[:3])  # (C, F, K)
    use = np.moveaxis(np.asarray(views_used, bool), -1, 0) & known[None]
    score = obs[..., 2]
    use &= np.isfinite(x) & np.isfinite(y) & np.isfinite(score) & (score >= min_score)
    w2 = np.where(use, score, 0.0) ** 2 / PIXEL_SIGMA**2
    x, y = np.where(use, x, 0.0), np.where(use, y, 0.0)

    X = _interpolate(pts, known)
    scale = None if residual_scale_px is None else np.asarray(residual_scale_px, float)
    smooth = (fps**2 / accel_sigma_ms2) ** 2 if accel_sigma_ms2 > 0 else 0.0
    limb = 1.0 / limb_sigma_m**2 if limb_sigma_m > 0 else 0.0
    band = [smooth * a for a in _smoothness_band(n_frames)] if smooth and n_frames >= 3 else None
    lengths = _lengths(X, bones, known)
    colours = _colour_classes(n_kp, bones)
    for _ in range(sweeps):
        for group in colours:
            for k in group:
                if active[k]:
                    X[:, k] += _step(
                        k,
                        X,
                        x[:, :, k],
                        y[:, :, k],
                        w2[:, :, k],
                        rig,
                        bones,
                        lengths,
                        limb,
                        smooth,
                        band,
                        None if scale is None else scale[:, k],
                    )
        lengths = _lengths(X, bones, known)
    return np.where(known[..., None], X, np.nan)


def _step(k, X, x, y, w2, rig, bones, lengths, limb, smooth, band, scale=None):
    """One Gauss-Newton step (F, 3) for keypoint k's trajectory, the others held fixed, each
    frame's move at most MAX_STEP_M. `scale` (C,): Cauchy loss scale of the views (IRLS weight).
    Arrays are (C, 3, F) / (3, F) so every product runs on contiguous rows."""
    n_frames = X.shape[0]
    p = np.ascontiguousarray(X[:, k].T)  # (3, F)
    R = rig.rotation.reshape(rig.n, 3, 3)
    cam = np.einsum("cij,jf->cif", R, p) + rig.translation.reshape(rig.n, 3, 1)
    z = cam[:, 2]
    ok = z > 1e-9
    inv = np.where(ok, 1.0 / np.where(ok, z, 1.0), 0.0)  # (C, F)
    px, py = cam[:, 0] * inv, cam[:, 1] * inv
    sw = np.sqrt(np.where(ok, w2, 0.0))  # (C, F)
    if scale is not None:
        r2 = ((px - x) * rig.fx) ** 2 + ((py - y) * rig.fy) ** 2
        sw = sw / np.sqrt(1.0 + r2 / scale[:, None] ** 2)
    jx = (R[:, 0, :, None] - px[:, None] * R[:, 2, :, None]) * (rig.fx * inv * sw)[:, None]
    jy = (R[:, 1, :, None] - py[:, None] * R[:, 2, :, None]) * (rig.fy * inv * sw)[:, None]
    rx, ry = (px - x) * rig.fx * sw, (py - y) * rig.fy * sw  # (C, F)
    H = np.empty((3, 3, n_frames))
    for i in range(3):
        for j in range(i, 3):
            H[i, j] = (jx[:, i] * jx[:, j] + jy[:, i] * jy[:, j]).sum(axis=0)
    g = (jx * rx[:, None] + jy * ry[:, None]).sum(axis=0)  # (3, F)

    for b, (a, c) in enumerate(bones):
        if k not in (a, c):
            continue
        d = p - X[:, c if a == k else a].T  # (3, F)
        length = np.sqrt((d * d).sum(axis=0))
        u = d / np.maximum(length, 1e-9)
        for i in range(3):
            for j in range(i, 3):
                H[i, j] += limb * u[i] * u[j]
        g += limb * (length - lengths[b]) * u

    mu = DAMPING * max((H[0, 0] + H[1, 1] + H[2, 2]).mean() / 3, 1.0)
    ab = np.zeros((7, n_frames, 3))  # upper band form, 6 super-diagonals
    ab[6] = np.stack([H[0, 0], H[1, 1], H[2, 2]], axis=-1) + mu
    ab[5, :, 1], ab[5, :, 2] = H[0, 1], H[1, 2]
    ab[4, :, 2] = H[0, 2]
    ab = ab.reshape(7, 3 * n_frames)
    if band is not None:
        diag, off1, off2 = band  # already carry the weight
        ab[6] += np.repeat(diag, 3)
        ab[3, 3:] = np.repeat(off1, 3)
        ab[0, 6:] = np.repeat(off2, 3)
        acc = p[:, 2:] - 2 * p[:, 1:-1] + p[:, :-2]
        g[:, :-2] += smooth * acc
        g[:, 1:-1] -= 2 * smooth * acc
        g[:, 2:] += smooth * acc
    step = solveh_banded(ab, -g.T.ravel(), lower=False, check_finite=False).reshape(n_frames, 3)
    length = np.linalg.norm(step, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > MAX_STEP_M, step * (MAX_STEP_M / length), step)


def _smoothness_band(n_frames):
    """Diagonal and first two off-diagonals of D^T D, D the (F-2, F) second difference."""
    coef = np.array([1.0, -2.0, 1.0])
    diag = np.zeros(n_frames)
    off1 = np.zeros(n_frames - 1)
    rows = np.arange(n_frames - 2)
    for i in range(3):
        np.add.at(diag, rows + i, coef[i] ** 2)
    for i in range(2):
        np.add.at(off1, rows + i, coef[i] * coef[i + 1])
    return diag, off1, np.full(n_frames - 2, coef[0] * coef[2])


def _lengths(X, bones, known):
    """Least-squares bone lengths for fixed X: the mean over frames where both ends were
    measured."""
    out = np.zeros(len(bones))
    for b, (a, c) in enumerate(bones):
        both = known[:, a] & known[:, c]
        out[b] = np.linalg.norm(X[both, a] - X[both, c], axis=1).mean()
    return out


def _interpolate(pts, known):
    """Gaps linearly interpolated per keypoint (ends held constant): a start for the solver."""
    X = pts.copy()
    t = np.arange(pts.shape[0])
    for k in range(pts.shape[1]):
        if known[:, k].any() and not known[:, k].all():
            for d in range(3):
                X[~known[:, k], k, d] = np.interp(
                    t[~known[:, k]], t[known[:, k]], pts[known[:, k], k, d]
                )
    return np.nan_to_num(X)


def _colour_classes(n_kp, bones):
    """Greedy colouring of the bone graph: keypoints of one class share no bone, so a sweep
    can take their steps from the same state (block Gauss-Seidel over the classes)."""
    colour = np.full(n_kp, -1)
    for k in range(n_kp):
        taken = {colour[c if a == k else a] for a, c in bones if k in (a, c)}
        colour[k] = min(set(range(n_kp + 1)) - taken)
    return [np.flatnonzero(colour == c) for c in range(colour.max() + 1)]


def _bones(bones, n_kp, limb_sigma_m):
    if not limb_sigma_m > 0:
        return np.zeros((0, 2), int)
    if bones is None:
        if n_kp != N_KEYPOINTS:
            return np.zeros((0, 2), int)
        return np.array([(INDEX[a], INDEX[b]) for a, b in BONES])
    bones = np.asarray(bones, int).reshape(-1, 2)
    if bones.size and (
        bones.min() < 0 or bones.max() >= n_kp or (bones[:, 0] == bones[:, 1]).any()
    ):
        raise ValueError(f"bones must be pairs of distinct keypoint indices < {n_kp}")
    return bones


def _check(pts, obs, cameras, views_used, fps, sweeps):
    if pts.ndim != 3 or pts.shape[-1] != 3:
        raise ValueError(f"points must have shape (frames, keypoints, 3), got {pts.shape}")
    if obs.shape != (len(cameras),) + pts.shape[:2] + (3,):
        raise ValueError(
            f"points2d must have shape (cameras, frames, keypoints, 3) = "
            f"{(len(cameras),) + pts.shape[:2] + (3,)}, got {obs.shape}"
        )
    if np.shape(views_used) != pts.shape[:2] + (len(cameras),):
        raise ValueError(
            f"views_used must have shape {pts.shape[:2] + (len(cameras),)}, "
            f"got {np.shape(views_used)}"
        )
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    if int(sweeps) != sweeps or sweeps < 1:
        raise ValueError(f"sweeps must be a positive whole number, got {sweeps}")
