"""Applying measured offsets to 2D keypoints (sync.mode = correct).

Camera c's frame k shows the reference instant k + d_c, so at reference frame t it is read at
its own frame t - d_c: the integer part is a shift, the rest a linear interpolation between the
two neighbouring frames. A reference frame whose instant the camera did not film (before its
first or after its last frame), or whose neighbour is missing, is a missing view (NaN, score 0):
never extrapolated, never invented.
"""

from __future__ import annotations

import numpy as np


def shift_keypoints(points2d: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(C, F, K, 3) [x, y, score] -> the same cameras on the reference camera's frames."""
    pts = np.asarray(points2d, float)
    out = np.empty_like(pts)
    n_frames = pts.shape[1]
    t = np.arange(n_frames, dtype=float)
    for c in range(pts.shape[0]):
        d = float(offsets[c]) if np.isfinite(offsets[c]) else 0.0
        out[c] = read_at(pts[c], t - d)
    return out


def read_at(view: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(F, K, 3) one camera read at fractional `frames` (n,) -> (n, K, 3)."""
    n_frames = view.shape[0]
    a = np.floor(frames + 1e-9).astype(int)
    w = np.clip(frames - a, 0.0, 1.0)
    w[np.abs(w) < 1e-9] = 0.0
    b = np.where(w > 0, a + 1, a)
    inside = (a >= 0) & (b <= n_frames - 1)
    a0, b0 = np.clip(a, 0, n_frames - 1), np.clip(b, 0, n_frames - 1)
    pa, pb = view[a0], view[b0]
    ww = w[:, None, None]
    xy = (1.0 - ww) * pa[..., :2] + ww * pb[..., :2]
    score = np.minimum(np.nan_to_num(pa[..., 2], nan=0.0), np.nan_to_num(pb[..., 2], nan=0.0))
    out = np.concatenate([xy, score[..., None]], axis=-1)
    bad = ~inside[:, None] | ~np.isfinite(xy).all(axis=-1) | (score <= 0)
    out[bad] = (np.nan, np.nan, 0.0)
    return out
