"""Left/right label swap repair, per view and frame, before the final solve.

A 2D detector that confuses the runner's sides reports every left keypoint at the right one's
place in ONE view of a frame. Triangulated as is, the swapped view pulls every lateral point
toward the mid-line; outlier rejection would then drop that view for every lateral point (a
good view lost) and fails when two views of a frame are swapped. Exchanging labels back keeps
all views.

Geometry: on a candidate frame, every assignment S of "swapped" views with |S| <= max_swapped
is tried at once for all lateral keypoints (normal-matrix pieces of a view and of its mirrored
labels are precomputed, so an assignment is a sum and one closed-form solve), and scored by
    cost(S) = sum over lateral keypoints and views of min(reprojection error, cap),
capped so a gross outlier cannot decide. The best S must save at least MIN_GAIN x cap per
lateral point it relabels (cap = the camera's outlier gate: errors are in units of it).
Time: geometry cannot tell S from its complement (all views swapped = a consistent mirror
image). The one whose lateral 3D points lie nearer those of the nearest untouched frames
before and after that keep their labels is taken (at 120 fps a point moves < 7 cm a frame;
left and right are 15-40 cm apart); with no neighbour the smaller change wins. This also decides two-view frames.

Only frames where more than half the lateral points of some view are off by `candidate_px` are
tested (a swap moves most lateral points of a view; noise and single outliers do not), so the
search costs a few % of the solve: C = 4 and max_swapped = 2 is at most 11 assignments per
candidate, tried by size; a frame that one assignment already explains (mean capped error per
view < SETTLED * cap) is not searched further.
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np

from pipeline.triangulation import linear

BLOCK_FRAMES = 512  # candidate frames per work item on the thread pool
SETTLED = 0.25  # mean capped error per view below this x cap: no bigger search
MIN_GAIN = 0.5  # cost a swap must save per relabelled lateral point, x cap


def repair_swaps(
    x,
    y,
    w,
    errors,
    points,
    rig: linear.Rig,
    perm: np.ndarray,
    candidate_px: float,
    cap_px: float,
    max_swapped: int = 2,
    workers: int = 1,
    kernels=None,
    consts=None,
) -> np.ndarray:
    """Detect and undo per-view L/R swaps IN PLACE on x, y, w: (C, F, K) normalized coordinates
    and weights (w = 0: view unused). errors (C, F, K): per-view error of the all-view solution
    `points` (3, F, K). Returns the (C, F) bool mask of views whose labels were exchanged.
    `kernels`, `consts`: the compiled path of `jit.py` (same results), or None for numpy."""
    n_cams, n_frames, n_kp = x.shape
    lateral = np.flatnonzero(perm != np.arange(n_kp))
    swapped = np.zeros((n_cams, n_frames), bool)
    if lateral.size == 0 or n_frames == 0:
        return swapped
    seen = w[:, :, lateral] > 0
    off = (seen & (errors[:, :, lateral] > candidate_px)).sum(axis=2)  # (C, F)
    candidate = (2 * off > seen.sum(axis=2)).any(axis=0)  # most lateral points of a view off
    frames = np.flatnonzero(candidate)
    blocks = [frames[s : s + BLOCK_FRAMES] for s in range(0, frames.size, BLOCK_FRAMES)]
    linear.parallel_map(
        lambda block: _repair_block(
            x,
            y,
            w,
            points,
            rig,
            perm,
            lateral,
            candidate,
            block,
            cap_px,
            max_swapped,
            swapped,
            kernels,
            consts,
        ),
        blocks,
        workers,
    )
    return swapped


def _repair_block(
    x,
    y,
    w,
    points,
    rig,
    perm,
    lateral,
    candidate,
    frames,
    cap_px,
    max_swapped,
    swapped,
    kernels=None,
    consts=None,
):
    """The assignment search on candidate `frames`; repairs x, y, w and marks `swapped`."""
    n_cams = x.shape[0]
    mirror = np.searchsorted(lateral, perm[lateral])  # lateral index -> partner
    take = lambda a, idx: a[:, frames][:, :, idx].reshape(n_cams, -1)
    xs, ys, ws = (take(a, lateral) for a in (x, y, w))
    xm, ym, wm = (take(a, lateral[mirror]) for a in (x, y, w))
    shape = (frames.size, lateral.size)

    assignments = [()] + [
        s for k in range(1, min(max_swapped, n_cams) + 1) for s in combinations(range(n_cams), k)
    ]
    costs = np.full((len(assignments), frames.size), np.inf)
    solutions = np.full((len(assignments), 3) + shape, np.nan)
    n_obs = np.maximum((ws > 0).reshape((n_cams,) + shape).sum(axis=(0, 2)), 1)
    search = _search if kernels is None else _search_compiled
    search(
        assignments, (xs, ys, ws, xm, ym, wm), rig, kernels, consts, cap_px, n_obs, costs, solutions
    )
    best = np.argmin(costs, axis=0)
    cols = np.arange(frames.size)
    table = np.zeros((len(assignments), n_cams), bool)
    for a, s in enumerate(assignments):
        table[a, list(s)] = True
    # a swap must pay for itself: on average over the relabelled views' lateral points, it
    # brings them at least half a gate closer (real views agree only to a fraction of the
    # gate, so "halve the total cost" missed swaps that every other view confirms)
    per_view = (ws > 0).reshape((n_cams,) + shape).sum(axis=2)  # (C, n_f)
    relabelled = (table.astype(float) @ per_view)[best, cols]
    significant = costs[0] - costs[best, cols] >= MIN_GAIN * cap_px * relabelled
    best = np.where(significant & (relabelled > 0), best, 0)

    # mirror twins: S or its complement, by nearness to the neighbouring frames that keep
    # their labels (not candidates, or candidates no assignment improved)
    untouched = ~candidate
    untouched[frames[best == 0]] = True
    reference = _neighbour_reference(points, untouched, frames, lateral)  # (3, n_f, L)
    chosen = solutions[best, :, cols].transpose(1, 0, 2)  # (3, n_f, L)
    near = _distance(chosen, reference)
    far = _distance(chosen[:, :, mirror], reference)
    use_complement = far < 0.5 * near

    flip = table[best] ^ use_complement[:, None]  # (n_f, C)
    for c in range(n_cams):
        fc = frames[flip[:, c]]
        for arr in (x, y, w):
            arr[c, fc] = arr[c, fc][:, perm]
    swapped[:, frames] = flip.T


def _search(assignments, obs, rig, kernels, consts, cap_px, n_obs, costs, solutions):
    """Assignments by size on numpy; a frame one assignment already explains (errors at noise
    level: settled) is not searched further. Fills costs (A, n_f), solutions (A, 3, n_f, L)."""
    xs, ys, ws, xm, ym, wm = obs
    views = linear.view_matrices(linear.features(xs, ys, ws), rig)  # (C, 10, m)
    views_m = linear.view_matrices(linear.features(xm, ym, wm), rig)
    total = views.sum(axis=0)
    shape = solutions.shape[2:]
    todo = np.arange(costs.shape[1])
    for size in range(max(len(s) for s in assignments) + 1):
        sub = lambda a: a.reshape(a.shape[:-1] + shape)[..., todo, :].reshape(a.shape[:-1] + (-1,))
        arrays = [sub(a) for a in (xs, ys, ws, xm, ym, wm, views, views_m, total)]
        for a, s in enumerate(assignments):
            if len(s) == size:
                costs[a, todo], solutions[a][:, todo] = _evaluate(
                    list(s), *arrays, rig, cap_px, todo.size
                )
        best_cost = costs[:, todo].min(axis=0)
        settled = (best_cost < 0.5 * costs[0, todo]) & (best_cost < SETTLED * cap_px * n_obs[todo])
        todo = todo[~settled] if size > 0 else todo
        if todo.size == 0:
            break


def _search_compiled(assignments, obs, rig, kernels, consts, cap_px, n_obs, costs, solutions):
    """_search's result from one compiled pass over every assignment: a frame settled at some
    size keeps inf for the larger ones, exactly as if they had not been evaluated."""
    n_cams, n = obs[0].shape
    table = np.zeros((len(assignments), n_cams), np.bool_)
    for a, s in enumerate(assignments):
        table[a, list(s)] = True
    every = np.empty((len(assignments), n))
    sols = np.empty((len(assignments), 3, n))
    kernels.swap_costs(
        *(np.ascontiguousarray(a) for a in obs), table, *consts[:4], float(cap_px), every, sols
    )
    every = every.reshape(costs.shape + (-1,)).sum(axis=2)
    sols = sols.reshape(solutions.shape)
    sizes = np.array([len(s) for s in assignments])
    todo = np.arange(costs.shape[1])
    for size in range(sizes.max() + 1):
        rows = np.flatnonzero(sizes == size)
        costs[np.ix_(rows, todo)] = every[np.ix_(rows, todo)]
        solutions[rows[:, None], :, todo[None, :]] = sols[rows[:, None], :, todo[None, :]]
        best_cost = costs[:, todo].min(axis=0)
        settled = (best_cost < 0.5 * costs[0, todo]) & (best_cost < SETTLED * cap_px * n_obs[todo])
        todo = todo[~settled] if size > 0 else todo
        if todo.size == 0:
            break


def _evaluate(s, xs, ys, ws, xm, ym, wm, views, views_m, total, rig, cap_px, n_frames):
    """Cost (n_f,) and lateral solution (3, n_f, L) of swapping the views in `s`."""
    m = total + (views_m[s] - views[s]).sum(axis=0) if s else total
    p = linear.solve_normal(m)
    use_x, use_y, use_w = xs.copy(), ys.copy(), ws.copy()
    use_x[s], use_y[s], use_w[s] = xm[s], ym[s], wm[s]
    e = linear.view_errors(p, use_x, use_y, rig)
    e = np.where(use_w > 0, np.minimum(np.nan_to_num(e, nan=cap_px), cap_px), 0.0)
    return e.reshape(len(xs), n_frames, -1).sum(axis=(0, 2)), p.reshape(3, n_frames, -1)


def _neighbour_reference(points, untouched, frames, lateral):
    """Mean of the lateral 3D points of the nearest untouched frame before and after each frame
    (NaN where there is none)."""
    good = np.flatnonzero(untouched)
    ref = np.full((3, frames.size, lateral.size), np.nan)
    if good.size == 0:
        return ref
    pos = np.searchsorted(good, frames)
    before = np.where(pos > 0, good[np.maximum(pos - 1, 0)], -1)
    after = np.where(pos < good.size, good[np.minimum(pos, good.size - 1)], -1)
    stack = []
    for nb in (before, after):
        p = points[:, np.maximum(nb, 0)][:, :, lateral]
        p[:, nb < 0] = np.nan
        stack.append(p)
    # the mean of what is there, written out: np.nanmean warns where neither neighbour exists,
    # and a warnings filter is process-wide state, not safe beside the triangulation's threads
    both = np.stack(stack)
    seen = np.isfinite(both)
    count = seen.sum(axis=0)
    total = np.where(seen, both, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _distance(p, ref):
    """(n_f,) mean distance over keypoints where both are known; NaN if none."""
    d = np.linalg.norm(p - ref, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(d, axis=1)
