"""numba kernels behind `jit.py` (imported only when the compiled path is taken: importing
this module imports numba). Per point, the arithmetic of `linear.solve_normal`,
`linear.view_errors`, OpenCV's `undistortPointsIter` (fixed step count) and `robust._reject`,
in the same order, so results agree to rounding. nogil: callers run chunks on threads.
error_model="numpy": a division by zero gives inf/NaN as in numpy, which the checks expect."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# numba compiles a module global in as a constant; the cache (cache=True) is keyed on this
# file, so after changing the constant in linear.py clear __pycache__/*.nbi to recompile
from pipeline.triangulation.linear import INVERSE_ITERATIONS

_opts = dict(cache=True, nogil=True, error_model="numpy")


@njit(inline="always", **_opts)
def _solve(a00, a01, a02, a03, a11, a12, a13, a22, a23, a33):
    """Smallest eigenvector of one 4x4 normal matrix, dehomogenized (linear.solve_normal)."""
    tiny = 1e-12 * (a00 + a11 + a22) + 1e-300
    d0 = a00
    l10, l20, l30 = a01 / d0, a02 / d0, a03 / d0
    d1 = a11 - l10 * a01
    t12, t13 = a12 - l10 * a02, a13 - l10 * a03
    l21, l31 = t12 / d1, t13 / d1
    d2 = a22 - l20 * a02 - l21 * t12
    t23 = a23 - l20 * a03 - l21 * t13
    l32 = t23 / d2
    d3 = max(a33 - l30 * a03 - l31 * t13 - l32 * t23, 0.0)
    y2 = -l32
    y1 = -l21 * y2 - l31
    y0 = -l10 * y1 - l20 * y2 - l30
    s0, s1, s2 = d3 / d0, d3 / d1, d3 / d2
    for _ in range(INVERSE_ITERATIONS):
        z1 = y1 - l10 * y0
        z2 = y2 - l20 * y0 - l21 * z1
        z3 = 1.0 - l30 * y0 - l31 * z1 - l32 * z2
        z0, z1, z2 = y0 * s0, z1 * s1, z2 * s2
        b2 = z2 - l32 * z3
        b1 = z1 - l21 * b2 - l31 * z3
        b0 = z0 - l10 * b1 - l20 * b2 - l30 * z3
        inv = 1.0 / z3
        y0, y1, y2 = b0 * inv, b1 * inv, b2 * inv
    # no branch (selects only), so loops over points calling this can use SIMD;
    # y - y == 0 is isfinite(y)
    ok = (
        (d0 > tiny)
        & (d1 > tiny)
        & (d2 > tiny)
        & (y0 - y0 == 0.0)
        & (y1 - y1 == 0.0)
        & (y2 - y2 == 0.0)
    )
    return (y0 if ok else np.nan), (y1 if ok else np.nan), (y2 if ok else np.nan)


@njit(inline="always", **_opts)
def _error(p0, p1, p2, c, x, y, rotation, translation, focal):
    """Undistorted-pixel error of point p in view c (linear.view_errors); inf behind it."""
    R = rotation[c]
    cx = R[0, 0] * p0 + R[0, 1] * p1 + R[0, 2] * p2 + translation[c, 0]
    cy = R[1, 0] * p0 + R[1, 1] * p1 + R[1, 2] * p2 + translation[c, 1]
    cz = R[2, 0] * p0 + R[2, 1] * p1 + R[2, 2] * p2 + translation[c, 2]
    if not cz > 1e-9:
        return np.inf
    inv = 1.0 / cz
    dx = (cx * inv - x) * focal[c, 0]
    dy = (cy * inv - y) * focal[c, 1]
    return math.sqrt(dx * dx + dy * dy)


@njit(inline="always", **_opts)
def _add_view(m, basis, c, x, y, w, sign):
    """m += sign * view c's normal-matrix piece (linear.features + view_matrices)."""
    w2 = w * w
    f1 = w2 * x
    f2 = w2 * y
    f0 = f1 * x + f2 * y
    for e in range(10):
        m[e] += sign * (
            basis[c, 0, e] * f0 + basis[c, 1, e] * f1 + basis[c, 2, e] * f2 + basis[c, 3, e] * w2
        )


BLOCK = 256  # points per inner block: loops over a block have independent iterations


@njit(**_opts)
def first_pass(
    obs,
    lo,
    hi,
    basis,
    rotation,
    translation,
    focal,
    centres,
    intr,
    dist,
    iters,
    min_score,
    min_views,
    x,
    y,
    w,
    points,
    errors,
):
    """Points lo..hi of obs (C, n, 3): undistort, weight, solve with all views, view errors.
    Loops run over a block of points innermost, not over views: undistortion and the solve are
    chains of dependent divisions, fast only when many independent points are in flight."""
    n_cams = obs.shape[0]
    m = np.empty((10, BLOCK))
    nv = np.empty(BLOCK, np.int64)
    x0, y0, ux, uy = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    live = np.empty(BLOCK, np.bool_)
    feat = np.empty((4, BLOCK))
    for start in range(lo, hi, BLOCK):
        stop = min(start + BLOCK, hi)
        nb = stop - start
        m[:, :nb] = 0.0
        nv[:nb] = 0
        for c in range(n_cams):
            fx, fy, cx, cy = intr[c, 0], intr[c, 1], intr[c, 2], intr[c, 3]
            k1, k2, p1, p2, k3 = dist[c, 0], dist[c, 1], dist[c, 2], dist[c, 3], dist[c, 4]
            ifx, ify = 1.0 / fx, 1.0 / fy
            for j in range(nb):
                x0[j] = (obs[c, start + j, 0] - cx) * ifx
                y0[j] = (obs[c, start + j, 1] - cy) * ify
                ux[j], uy[j], live[j] = x0[j], y0[j], True
            for _ in range(iters[c]):  # OpenCV's fixed-point step, block at a time
                for j in range(nb):  # (local arrays and selects: SIMD-friendly)
                    xi, yi = ux[j], uy[j]
                    r2 = xi * xi + yi * yi
                    icdist = 1.0 / (1.0 + ((k3 * r2 + k2) * r2 + k1) * r2)
                    ddx = 2 * p1 * xi * yi + p2 * (r2 + 2 * xi * xi)
                    ddy = p1 * (r2 + 2 * yi * yi) + 2 * p2 * xi * yi
                    ok = live[j] & (icdist >= 0)  # OpenCV gives up: the distorted point
                    ux[j] = (x0[j] - ddx) * icdist if ok else x0[j]
                    uy[j] = (y0[j] - ddy) * icdist if ok else y0[j]
                    live[j] = ok
            for j in range(nb):
                i = start + j
                xs, ys, sc = ux[j], uy[j], obs[c, i, 2]
                ok = (xs - xs == 0.0) & (ys - ys == 0.0) & (sc - sc == 0.0) & (sc >= min_score)
                xv = xs if ok else 0.0
                yv = ys if ok else 0.0
                wv = sc if ok else 0.0
                x[c, i], y[c, i], w[c, i] = xv, yv, wv
                nv[j] += 1 if ok else 0
                w2 = wv * wv  # features of the normal matrix (linear.py)
                f1 = w2 * xv
                f2 = w2 * yv
                feat[0, j], feat[1, j], feat[2, j], feat[3, j] = f1 * xv + f2 * yv, f1, f2, w2
            for e in range(10):  # m += basis^T features, points innermost
                b0, b1, b2, b3 = basis[c, 0, e], basis[c, 1, e], basis[c, 2, e], basis[c, 3, e]
                for j in range(nb):
                    m[e, j] += b0 * feat[0, j] + b1 * feat[1, j] + b2 * feat[2, j] + b3 * feat[3, j]
        for j in range(nb):
            i = start + j
            p0, p1_, p2_ = _solve(
                m[0, j],
                m[1, j],
                m[2, j],
                m[3, j],
                m[4, j],
                m[5, j],
                m[6, j],
                m[7, j],
                m[8, j],
                m[9, j],
            )
            ok = nv[j] >= min_views
            points[0, i] = p0 if ok else np.nan
            points[1, i] = p1_ if ok else np.nan
            points[2, i] = p2_ if ok else np.nan
        for c in range(n_cams):
            fxc, fyc = focal[c, 0], focal[c, 1]
            R = rotation[c]
            for j in range(nb):
                i = start + j
                q0, q1, q2 = points[0, i], points[1, i], points[2, i]
                cxx = R[0, 0] * q0 + R[0, 1] * q1 + R[0, 2] * q2 + translation[c, 0]
                cyy = R[1, 0] * q0 + R[1, 1] * q1 + R[1, 2] * q2 + translation[c, 1]
                czz = R[2, 0] * q0 + R[2, 1] * q1 + R[2, 2] * q2 + translation[c, 2]
                inv = 1.0 / czz
                dx = (cxx * inv - x[c, i]) * fxc
                dy = (cyy * inv - y[c, i]) * fyc
                errors[c, i] = math.sqrt(dx * dx + dy * dy) if czz > 1e-9 else np.inf


@njit(inline="always", **_opts)
def _finish(i, m, n_valid, min_views, x, y, rotation, translation, focal, points, errors):
    p0, p1, p2 = _solve(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9])
    if n_valid < min_views:
        p0, p1, p2 = np.nan, np.nan, np.nan
    points[0, i], points[1, i], points[2, i] = p0, p1, p2
    for c in range(x.shape[0]):
        errors[c, i] = _error(p0, p1, p2, c, x[c, i], y[c, i], rotation, translation, focal)


@njit(**_opts)
def solve_points(idx, x, y, w, basis, rotation, translation, focal, min_views, points, errors):
    """All-view solution and view errors of the points idx (robust._solve)."""
    m = np.empty(10)
    for i in idx:
        m[:] = 0.0
        n_valid = 0
        for c in range(x.shape[0]):
            n_valid += w[c, i] > 0
            _add_view(m, basis, c, x[c, i], y[c, i], w[c, i], 1.0)
        _finish(i, m, n_valid, min_views, x, y, rotation, translation, focal, points, errors)


@njit(inline="always", **_opts)
def _ray_sine(p0, p1, p2, a, b, centres):
    """Sine of the angle between the rays from camera centres a and b to the point."""
    ax, ay, az = p0 - centres[a, 0], p1 - centres[a, 1], p2 - centres[a, 2]
    bx, by, bz = p0 - centres[b, 0], p1 - centres[b, 1], p2 - centres[b, 2]
    na = math.sqrt(ax * ax + ay * ay + az * az)
    nb = math.sqrt(bx * bx + by * by + bz * bz)
    ax, ay, az, bx, by, bz = ax / na, ay / na, az / na, bx / nb, by / nb, bz / nb
    cx, cy, cz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
    return math.sqrt(cx * cx + cy * cy + cz * cz)


@njit(**_opts)
def reject(
    idx,
    x,
    y,
    w,
    used,
    points,
    errors,
    basis,
    rotation,
    translation,
    focal,
    centres,
    table,
    sizes,
    min_views,
    threshold,
    min_sine,
    max_dropped,
):
    """robust._reject per point: drop 1, then 2, ... views; the first size with a consistent
    subset wins (lowest worst error; ties: first in combinations order); an ambiguous 2-view
    choice or no consistent subset gives NaN."""
    n_cams = x.shape[0]
    views = np.empty((n_cams, 10))
    total = np.empty(10)
    m = np.empty(10)
    e = np.empty(n_cams)
    best_e = np.empty(n_cams)
    valid = np.empty(n_cams, np.bool_)
    keep = np.empty(n_cams, np.bool_)
    best_keep = np.empty(n_cams, np.bool_)
    for i in idx:
        total[:] = 0.0
        n_valid = 0
        for c in range(n_cams):
            views[c, :] = 0.0
            _add_view(views[c], basis, c, x[c, i], y[c, i], w[c, i], 1.0)
            valid[c] = w[c, i] > 0
            n_valid += valid[c]
        for c in range(n_cams):
            for j in range(10):
                total[j] += views[c, j]
        done = False
        for k in range(1, max_dropped + 1):
            if n_valid - k < min_views:
                break  # no subset of this size (or larger) applies
            best = np.inf
            n_ok = 0
            bp0 = bp1 = bp2 = np.nan
            for s in range(table.shape[0]):
                if sizes[s] != k:
                    continue
                ok = True
                for c in range(n_cams):
                    if table[s, c] and not valid[c]:
                        ok = False
                if not ok:
                    continue
                m[:] = 0.0
                for c in range(n_cams):
                    if table[s, c]:
                        for j in range(10):
                            m[j] += views[c, j]
                p0, p1, p2 = _solve(
                    total[0] - m[0],
                    total[1] - m[1],
                    total[2] - m[2],
                    total[3] - m[3],
                    total[4] - m[4],
                    total[5] - m[5],
                    total[6] - m[6],
                    total[7] - m[7],
                    total[8] - m[8],
                    total[9] - m[9],
                )
                score = -np.inf
                n_keep = 0
                first = last = 0
                for c in range(n_cams):
                    e[c] = _error(p0, p1, p2, c, x[c, i], y[c, i], rotation, translation, focal)
                    keep[c] = valid[c] and not table[s, c]
                    if keep[c]:
                        if n_keep == 0:
                            first = c
                        last = c
                        n_keep += 1
                        if e[c] != e[c] or score != score:
                            score = np.nan
                        elif e[c] > score:
                            score = e[c]
                if not math.isfinite(p0):
                    score = np.inf
                if score <= threshold:
                    n_ok += 1  # weak pairs count here: they are evidence
                if n_keep == 2 and _ray_sine(p0, p1, p2, first, last, centres) < min_sine:
                    score = np.inf
                if score < best:
                    best = score
                    bp0, bp1, bp2 = p0, p1, p2
                    for c in range(n_cams):
                        best_keep[c] = keep[c]
                        best_e[c] = e[c]
            if best <= threshold:
                done = True
                if n_valid - k == 2 and n_ok > 1:  # several pairs agree: undecidable
                    points[0, i] = points[1, i] = points[2, i] = np.nan
                    for c in range(n_cams):
                        used[c, i] = False
                else:
                    points[0, i], points[1, i], points[2, i] = bp0, bp1, bp2
                    for c in range(n_cams):
                        errors[c, i] = best_e[c]
                        used[c, i] = best_keep[c]
                break
        if not done:
            points[0, i] = points[1, i] = points[2, i] = np.nan
            for c in range(n_cams):
                used[c, i] = False


@njit(**_opts)
def swap_costs(
    xs, ys, ws, xm, ym, wm, table, basis, rotation, translation, focal, cap, costs, solutions
):
    """swaps._evaluate for every assignment (table (A, C): views read with mirrored labels) of
    every point: capped error sum over the views (costs (A, m)) and solution (A, 3, m)."""
    n_cams, n = xs.shape
    views = np.empty((n_cams, 10))
    mirrored = np.empty((n_cams, 10))
    total = np.empty(10)
    m = np.empty(10)
    for i in range(n):
        total[:] = 0.0
        for c in range(n_cams):
            views[c, :] = 0.0
            mirrored[c, :] = 0.0
            _add_view(views[c], basis, c, xs[c, i], ys[c, i], ws[c, i], 1.0)
            _add_view(mirrored[c], basis, c, xm[c, i], ym[c, i], wm[c, i], 1.0)
            for j in range(10):
                total[j] += views[c, j]
        for a in range(table.shape[0]):
            m[:] = 0.0
            for c in range(n_cams):
                if table[a, c]:
                    for j in range(10):
                        m[j] += mirrored[c, j] - views[c, j]
            p0, p1, p2 = _solve(
                total[0] + m[0],
                total[1] + m[1],
                total[2] + m[2],
                total[3] + m[3],
                total[4] + m[4],
                total[5] + m[5],
                total[6] + m[6],
                total[7] + m[7],
                total[8] + m[8],
                total[9] + m[9],
            )
            cost = 0.0
            for c in range(n_cams):
                if table[a, c]:
                    u, v, wt = xm[c, i], ym[c, i], wm[c, i]
                else:
                    u, v, wt = xs[c, i], ys[c, i], ws[c, i]
                if wt > 0:
                    e = _error(p0, p1, p2, c, u, v, rotation, translation, focal)
                    cost += e if e <= cap else cap  # NaN and inf count as the cap
            costs[a, i] = cost
            solutions[a, 0, i], solutions[a, 1, i], solutions[a, 2, i] = p0, p1, p2
