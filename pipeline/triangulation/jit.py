"""Compiled (numba) kernels of robust triangulation: the same arithmetic as `linear.py` and
`robust._reject`, fused per point.

Why: the numpy path streams every intermediate (undistorted coordinates, features, 10 normal-
matrix entries, factor, errors) through memory and OpenCV's undistortion costs ~130 ns a view;
fused per point the same work stays in registers. Results equal the numpy path to rounding
(tests/test_triangulation_robust.py compares them).

When it is used (`robust.triangulate_robust(jit=None)`): importing numba and loading even
cached machine code costs a fresh process more than the numpy path needs for a whole trial,
and a first-ever compile far more (measured: docs/triangulation.md). So the compiled path is taken only after `warm_up()` ran in this process
(the benchmark calls it and reports its time separately), or for inputs of AUTO_MIN_POINTS or
more when numba's on-disk cache (cache=True: __pycache__ next to this file, or
NUMBA_CACHE_DIR) already holds the kernels. RUNLAB_TRIANGULATION_JIT=0/1 forces it off/on.
Without numba everything runs on the numpy path.
"""

from __future__ import annotations

import importlib.util
import os
import time
from itertools import combinations

import numpy as np

AUTO_MIN_POINTS = 2_000_000  # above this many keypoints the numba import + load pays off
_KERNELS = None
_WARM = False  # kernels loaded and run once in this process
KERNELS = ("first_pass", "solve_points", "reject", "swap_costs")


def available() -> bool:
    return importlib.util.find_spec("numba") is not None


def _kernels():
    """Compile-on-first-use (or load from cache) of the numba kernels; None without numba."""
    global _KERNELS
    if _KERNELS is None and available():
        from pipeline.triangulation import _jit_kernels

        _KERNELS = _jit_kernels
    return _KERNELS


def cached() -> bool:
    """True if numba's on-disk cache holds an index for each kernel. An index left by an older
    version of _jit_kernels.py also counts (numba then recompiles once, on a large input)."""
    if not available():
        return False
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:
        names = [n for _, _, files in os.walk(custom) for n in files]
    else:
        try:
            names = os.listdir(os.path.join(os.path.dirname(__file__), "__pycache__"))
        except OSError:
            return False
    wanted = [f"_jit_kernels.{name}" for name in KERNELS]
    return all(any(n.startswith(w) and n.endswith(".nbi") for n in names) for w in wanted)


def should_use(n_points: int) -> bool:
    """The auto policy described in the module docstring."""
    if os.environ.get("RUNLAB_TRIANGULATION_JIT") == "0" or not available():
        return False
    if os.environ.get("RUNLAB_TRIANGULATION_JIT") == "1":
        return True
    return _WARM or (n_points >= AUTO_MIN_POINTS and cached())


def warm_up() -> float:
    """Compile (or load) every kernel on a tiny problem; returns the seconds it took. After it,
    the auto policy uses the kernels for any size in this process."""
    global _WARM
    from pipeline.core.geometry import Camera, look_at

    t0 = time.perf_counter()
    k = _kernels()
    if k is None:
        return 0.0
    cams = []
    for a in (0.0, 1.6, 3.2):
        R, t = look_at(np.array([3 * np.cos(a), 3 * np.sin(a), 1.0]), np.zeros(3))
        cams.append(
            Camera(
                f"c{a}",
                (640, 480),
                np.array([[500, 0, 320], [0, 500, 240], [0, 0, 1]], float),
                np.array([-0.1, 0.01, 0, 0, 0]),
            ).with_pose(R, t)
        )
    from pipeline.triangulation import linear

    rig = linear.Rig(cams)
    consts = constants(rig)
    obs = np.full((3, 4, 3), 1.0)
    obs[..., 0], obs[..., 1] = 320.0, 240.0
    x, y, w, e = (np.zeros((3, 4)) for _ in range(4))
    p = np.zeros((3, 4))
    idx = np.arange(4, dtype=np.int64)
    k.first_pass(obs, 0, 4, *consts, 0.3, 2, x, y, w, p, e)
    k.solve_points(idx, x, y, w, *consts[:4], 2, p, e)
    table, sizes = subsets(3, 2)
    k.reject(idx, x, y, w, w > 0, p, e, *consts[:5], table, sizes, 2, 12.0, 0.3, 2)
    xm, ym, wm = x.copy(), y.copy(), w.copy()
    k.swap_costs(
        x,
        y,
        w,
        xm,
        ym,
        wm,
        table,
        *consts[:4],
        12.0,
        np.zeros((len(table), 4)),
        np.zeros((len(table), 3, 4)),
    )
    _WARM = True
    return time.perf_counter() - t0


def constants(rig) -> tuple:
    """Per-camera arrays the kernels take: basis (C,4,10), rotation (C,3,3), translation (C,3),
    focal (C,2), centres (C,3) of the camera, intrinsics (C,4) fx fy cx cy, dist (C,5),
    undistortion iterations (C,)."""
    n = rig.n
    rotation = np.ascontiguousarray(rig.rotation.reshape(n, 3, 3))
    translation = np.ascontiguousarray(rig.translation.reshape(n, 3))
    focal = np.ascontiguousarray(np.hstack([rig.fx, rig.fy]))
    centres = -np.einsum("cji,cj->ci", rotation, translation)
    intr = np.array(
        [[c.matrix[0, 0], c.matrix[1, 1], c.matrix[0, 2], c.matrix[1, 2]] for c in rig.cameras]
    )
    dist = np.ascontiguousarray(np.stack([c.dist for c in rig.cameras]))
    iters = np.asarray(rig.iterations, np.int64)
    return (
        np.ascontiguousarray(rig.basis),
        rotation,
        translation,
        focal,
        centres,
        intr,
        dist,
        iters,
    )


def subsets(n_cams: int, max_dropped: int) -> tuple[np.ndarray, np.ndarray]:
    """Views to drop, in `itertools.combinations` order by size (the numpy path's order, so ties
    resolve alike): (S, C) bool table and (S,) sizes."""
    rows = [c for k in range(1, max_dropped + 1) for c in combinations(range(n_cams), k)]
    table = np.zeros((max(len(rows), 1), n_cams), np.bool_)
    for i, c in enumerate(rows):
        table[i, list(c)] = True
    return table, np.array([len(c) for c in rows] or [0], np.int64)
