"""Robust triangulation: confidence-weighted DLT plus L/R swap repair and outlier-view rejection.

Why: a 2D detector's gross errors (wrong limb, background) and left/right label swaps come with
normal-looking scores, so score weighting cannot remove them; only agreement between views can.
Plain DLT spreads one 80 px error over the point (centimetres in 3D).

Steps (numeric core in `linear.py`, swap test in `swaps.py`):
1. Undistort and solve every point with all its views (closed-form 4x4 normal equations; the
   SVD DLT of `pipeline/core/dlt.py` to ~1e-11 m, and aniposelib's `triangulate` when scores are 1).
2. Optionally repair per-view L/R swaps on frames whose lateral keypoints disagree.
3. Points whose worst used view is off by more than `max_reprojection_px` are re-solved without
   1, then 2, ... up to `max_dropped_views` views: every subset of that size is evaluated at
   once (normal-matrix pieces are subtracted, not rebuilt) and the first size at which some
   subset is consistent (all its views within the threshold) wins, lowest worst error first.
   Dropping as few views as possible keeps the geometry strong (a 2-view solution cannot see
   errors along the epipolar line). The search only runs on flagged points and its size is
   capped, so its cost is bounded: C <= 8 and max_dropped_views <= 3 is <= 92 subsets.
   A point no allowed subset makes consistent is returned as NaN (an explicit gap, for
   `filtering.fill_gaps`), not as a guess; so is a point left with two views when several
   pairs agree (which views are wrong is undecidable).
4. A point solved from two views whose rays cross at less than `min_ray_angle_deg` (e.g. two
   cameras facing each other across the runner) is NaN: its depth along the rays is
   unconstrained (1 px at 3 m and 10 deg is ~1 cm; near 0 deg, anything).
Points where nothing is rejected keep the all-view solution unchanged. Recommended use on a
session: triangulate_robust -> filtering.despike(0.05 m) -> fill_gaps(linear) -> lowpass.

Reprojection errors are in undistorted pixels (see `linear.py`): pixel errors for a pinhole
lens, within the local distortion scale otherwise.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.dlt import check_observations
from pipeline.core.skeleton import LEFT_RIGHT_SWAP
from pipeline.triangulation import jit as _jit
from pipeline.triangulation import linear
from pipeline.triangulation.result import Triangulation
from pipeline.triangulation.scale import ScaleRule, estimate_scale, fixed_scale
from pipeline.triangulation.swaps import repair_swaps as _repair_swaps

MAX_CAMERAS = 8


def triangulate_robust(
    points2d: np.ndarray,
    cameras: CameraSet,
    min_score: float = 0.3,
    min_views: int = 2,
    max_reprojection_px: float = 12.0,
    repair_swaps: bool = True,
    max_dropped_views: int = 2,
    min_ray_angle_deg: float = 20.0,
    scale_rule: ScaleRule | None = None,
    swap_permutation: np.ndarray | None = None,
    workers: int | None = None,
    jit: bool | None = None,
    undistorted: tuple[np.ndarray, np.ndarray] | None = None,
) -> Triangulation:
    """Triangulate (C, F, K, 3) detections [x_px, y_px, score] seen by `cameras` (C <= 8).

    A view is valid where x, y, score are finite and score >= min_score; missing views are NaN.
    `swap_permutation` (K,) maps each keypoint to its mirror (default: the Halpe-26 skeleton's
    LEFT_RIGHT_SWAP when K = 26; swap repair is skipped for other skeletons without one).
    `jit`: use the compiled kernels of `jit.py` (same results); None = its auto policy.
    `undistorted`: (C, F, K) normalized x, y of `points2d` (linear.undistort) when the caller
    already has them (run.py undistorts each point once for the solve, refinement and evidence
    check); the compiled kernels undistort inside their own loop and do not use them."""
    obs = _validate(
        points2d,
        cameras,
        min_score,
        min_views,
        max_reprojection_px,
        max_dropped_views,
        min_ray_angle_deg,
    )
    n_cams, n_frames, n_kp, _ = obs.shape
    n = n_frames * n_kp
    workers = linear.default_workers() if workers is None else max(1, int(workers))
    rig = linear.Rig(cameras)
    flat = np.ascontiguousarray(obs.reshape(n_cams, n, 3))
    kernels = _jit._kernels() if (_jit.should_use(n) if jit is None else jit) else None
    consts = _jit.constants(rig) if kernels is not None else None
    min_score, min_views = float(min_score), int(min_views)  # one compiled signature
    x, y, w = (np.empty((n_cams, n)) for _ in range(3))
    points = np.empty((3, n))
    errors = np.empty((n_cams, n))
    chunks = [slice(s, min(s + linear.CHUNK, n)) for s in range(0, n, linear.CHUNK)]
    if undistorted is not None:
        ux, uy = (np.asarray(u, float).reshape(n_cams, n) for u in undistorted)

    def first_pass(sl):
        if kernels is not None:
            return kernels.first_pass(
                flat, sl.start, sl.stop, *consts, min_score, min_views, x, y, w, points, errors
            )
        score = flat[:, sl, 2]
        xs, ys = (
            (ux[:, sl], uy[:, sl])
            if undistorted is not None
            else linear.undistort(flat[:, sl, :2], rig)
        )
        valid = np.isfinite(xs) & np.isfinite(ys) & np.isfinite(score) & (score >= min_score)
        x[:, sl] = np.where(valid, xs, 0.0)
        y[:, sl] = np.where(valid, ys, 0.0)
        w[:, sl] = np.where(valid, score, 0.0)
        _solve(sl, x, y, w, rig, min_views, points, errors)

    linear.parallel_map(first_pass, chunks, workers)

    shape = (n_cams, n_frames, n_kp)
    names = [cam.name for cam in cameras]
    scale = (
        estimate_scale(errors.reshape(shape), (w > 0).reshape(shape), scale_rule, names)
        if scale_rule is not None
        else fixed_scale(n_cams, n_kp, max_reprojection_px)
    )
    gate = scale.per_keypoint()  # (C, K) px

    swapped = np.zeros((n_cams, n_frames), bool)
    perm = _permutation(swap_permutation, n_kp)
    if repair_swaps and perm is not None:
        # in units of each camera's gate on its lateral keypoints: a swap is judged against
        # how well that camera's views usually agree
        lateral = perm != np.arange(n_kp)
        unit = np.median(gate[:, lateral], axis=1)
        unit_rig = rig.in_units_of(unit)
        swapped = _repair_swaps(
            x.reshape(shape),
            y.reshape(shape),
            w.reshape(shape),
            errors.reshape(shape) / unit[:, None, None],
            points.reshape((3,) + shape[1:]),
            unit_rig,
            perm,
            candidate_px=0.5,
            cap_px=1.0,
            workers=workers,
            kernels=kernels,
            consts=_scaled(consts, unit),
        )
        frames = np.flatnonzero(swapped.any(axis=0))
        if frames.size:
            idx = (frames[:, None] * n_kp + np.arange(n_kp)).ravel()
            if kernels is not None and consts is not None:  # consts are built with the kernels
                kernels.solve_points(idx, x, y, w, *consts[:4], min_views, points, errors)
            else:
                _solve(idx, x, y, w, rig, min_views, points, errors)

    used = w > 0
    keypoint = np.arange(n) % n_kp
    with np.errstate(invalid="ignore"):
        worst = np.where(used, errors / gate[:, keypoint], -np.inf).max(axis=0)
    flagged = np.flatnonzero(np.isfinite(points[0]) & (worst > 1.0))
    min_sine = np.sin(np.radians(min_ray_angle_deg))
    # one search per distinct column of gates (a keypoint group), errors in units of the gate
    table, sizes = _jit.subsets(n_cams, max_dropped_views) if kernels is not None else (None, None)
    columns, column_of = np.unique(gate.T, axis=0, return_inverse=True)
    column_of = np.asarray(column_of).ravel()
    for u, unit in enumerate(columns):
        idx_u = flagged[column_of[keypoint[flagged]] == u]
        if idx_u.size == 0:
            continue
        blocks = [idx_u[s : s + linear.CHUNK] for s in range(0, idx_u.size, linear.CHUNK)]
        if kernels is not None:
            c_u = _scaled(consts, unit)
            reject = lambda idx, c_u=c_u: kernels.reject(
                idx,
                x,
                y,
                w,
                used,
                points,
                errors,
                *c_u[:5],
                table,
                sizes,
                min_views,
                1.0,
                float(min_sine),
                int(max_dropped_views),
            )
        else:
            rig_u = rig.in_units_of(unit)
            reject = lambda idx, rig_u=rig_u: _reject(
                idx,
                x,
                y,
                w,
                used,
                points,
                errors,
                rig_u,
                min_views,
                1.0,
                max_dropped_views,
                min_sine,
            )
        linear.parallel_map(reject, blocks, workers)
    if flagged.size:  # back to pixels
        errors[:, flagged] = linear.view_errors(
            points[:, flagged], x[:, flagged], y[:, flagged], rig
        )

    used &= np.isfinite(points[0])[None]
    two = np.flatnonzero(used.sum(axis=0) == 2)  # any 2-view point, rejected or not
    weak = two[_ray_sine(points[:, two], used[:, two], rig) < min_sine]
    points[:, weak] = np.nan
    used[:, weak] = False
    n_used = used.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_error = np.where(used, errors, 0.0).sum(axis=0) / n_used
    mean_error[n_used == 0] = np.nan
    return Triangulation(
        points=points.T.reshape(n_frames, n_kp, 3),
        reprojection_error=mean_error.reshape(n_frames, n_kp),
        n_views=n_used.reshape(n_frames, n_kp),
        views_used=np.moveaxis(used, 0, -1).reshape(n_frames, n_kp, n_cams),
        swaps_repaired=swapped,
        scale=scale,
    )


def _scaled(consts, unit):
    """The compiled kernels' constants with errors in units of `unit` (C,) px per camera."""
    if consts is None:
        return None
    return consts[:3] + (np.ascontiguousarray(consts[3] / np.asarray(unit)[:, None]),) + consts[4:]


def _solve(idx, x, y, w, rig, min_views, points, errors):
    """All-view solution and per-view errors of the points `idx` (slice or index array)."""
    xs, ys, ws = x[:, idx], y[:, idx], w[:, idx]
    p = linear.solve_normal(linear.normal_matrices(linear.features(xs, ys, ws), rig))
    p[:, (ws > 0).sum(axis=0) < min_views] = np.nan
    points[:, idx] = p
    errors[:, idx] = linear.view_errors(p, xs, ys, rig)


def _reject(idx, x, y, w, used, points, errors, rig, min_views, threshold, max_dropped, min_angle):
    """Outlier-view search on flagged points `idx`; writes points, errors, used in place.
    Each level works on the points still open, gathered once; a subset that does not apply to
    a point (drops a view it lacks, or leaves too few) is masked, not gathered."""
    n_cams = rig.n
    for k in range(1, max_dropped + 1):
        if idx.size == 0:
            return
        xs, ys, ws = x[:, idx], y[:, idx], w[:, idx]
        valid = ws > 0
        n_valid = valid.sum(axis=0)
        enough = n_valid - k >= min_views
        views = linear.view_matrices(linear.features(xs, ys, ws), rig)  # (C, 10, m)
        total = views.sum(axis=0)
        best = np.full(idx.size, np.inf)
        n_ok = np.zeros(idx.size, int)
        best_keep = np.zeros((n_cams, idx.size), bool)
        best_points = np.full((3, idx.size), np.nan)
        best_errors = np.full((n_cams, idx.size), np.nan)
        for drop in combinations(range(n_cams), k):
            drop = list(drop)
            applies = enough & valid[drop].all(axis=0)
            if not applies.any():
                continue
            p = linear.solve_normal(total - views[drop].sum(axis=0))
            e = linear.view_errors(p, xs, ys, rig)
            keep = valid.copy()
            keep[drop] = False
            score = np.where(keep, e, -np.inf).max(axis=0)
            score[~applies | ~np.isfinite(p[0])] = np.inf
            n_ok += score <= threshold  # weak pairs count here: they are evidence
            two = np.flatnonzero(keep.sum(axis=0) == 2)
            if two.size:  # a 2-view solution needs rays that cross at a usable angle
                weak = two[_ray_sine(p[:, two], keep[:, two], rig) < min_angle]
                score[weak] = np.inf
            better = score < best
            best[better] = score[better]
            best_keep[:, better] = keep[:, better]
            best_points[:, better] = p[:, better]
            best_errors[:, better] = e[:, better]
        done = best <= threshold
        # two views left and several pairs agree: which views are wrong is undecidable
        ambiguous = done & (n_valid - k == 2) & (n_ok > 1)
        ok = done & ~ambiguous
        points[:, idx[ok]] = best_points[:, ok]
        errors[:, idx[ok]] = best_errors[:, ok]
        used[:, idx[ok]] = best_keep[:, ok]
        points[:, idx[ambiguous]] = np.nan
        used[:, idx[ambiguous]] = False
        idx = idx[~done]
    points[:, idx] = np.nan  # no allowed subset agrees: an explicit gap
    used[:, idx] = False


def _ray_sine(p, keep, rig):
    """(3, m) points seen by exactly two views (keep (C, m)) -> sine of the angle of the rays."""
    centers = -np.einsum(
        "cji,cj->ci", rig.rotation.reshape(rig.n, 3, 3), rig.translation.reshape(rig.n, 3)
    )  # (C, 3)
    first = np.argmax(keep, axis=0)
    order = np.stack([first, rig.n - 1 - np.argmax(keep[::-1], axis=0)])  # the two views
    rays = p[None] - centers[order].transpose(0, 2, 1)  # (2, 3, m)
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    return np.linalg.norm(np.cross(rays[0], rays[1], axis=0), axis=0)


def _permutation(perm, n_kp):
    if perm is None:
        return LEFT_RIGHT_SWAP if n_kp == len(LEFT_RIGHT_SWAP) else None
    perm = np.asarray(perm, int)
    if (
        perm.shape != (n_kp,)
        or not np.array_equal(np.sort(perm), np.arange(n_kp))
        or not np.array_equal(perm[perm], np.arange(n_kp))
    ):
        raise ValueError(
            f"swap_permutation must be a self-inverse permutation of the {n_kp} "
            f"keypoints, got {perm.tolist()}"
        )
    return perm


def _validate(points2d, cameras, min_score, min_views, threshold, max_dropped, min_angle):
    cameras = list(cameras)
    points2d = check_observations(points2d, cameras, min_views)
    if len(cameras) > MAX_CAMERAS:
        raise ValueError(
            f"robust triangulation supports at most {MAX_CAMERAS} cameras (its "
            f"view-subset search is sized for that), got {len(cameras)}"
        )
    if not np.isfinite(min_score):
        raise ValueError(f"min_score must be a finite number, got {min_score}")
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"max_reprojection_px must be a positive number, got {threshold}")
    if not (0 <= min_angle < 90):
        raise ValueError(f"min_ray_angle_deg must be in [0, 90), got {min_angle}")
    if not (0 <= max_dropped <= 3):
        raise ValueError(
            f"max_dropped_views must be 0..3 (cost grows as C choose k), got {max_dropped}"
        )
    return points2d
