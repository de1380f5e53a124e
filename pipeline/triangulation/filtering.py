"""Time-domain clean-up of triangulated trajectories: spike removal, short-gap filling, low-pass.

All functions take (F, ...) arrays with time on axis 0 (e.g. (F, K, 3) points), treat every
other index as an independent series, and keep NaN as "unknown". Order of use: `despike` (a
wrong point would be smeared by the filter), then `fill_gaps`, then `lowpass`.

Why each exists (what each costs, measured: docs/triangulation.md):
- despike: a point triangulated from views that agree by chance (e.g. 3 of 4 views wrong) is
  off by decimetres for one frame. Motion cannot do that: at >= 100 fps the body's second
  difference is ~1 cm at most, so a point far from the midpoint of its neighbours is removed,
  unless the triangulation's own noise explains the jump (`noise_sigmas`): cameras far from
  the runner (a runway rig at 7.6 m) scatter a point by centimetres from frame to frame.
- fill_gaps: rejection leaves isolated NaN frames; gait events and angles need continuous
  series. Only gaps up to `max_gap` frames are bridged (linear or cubic through the samples
  around them); longer gaps stay NaN, because inventing a foot strike is worse than missing it.
- lowpass: zero-lag Butterworth (second-order sections, forward-backward, so no phase shift of
  events). Each finite run is filtered on its own (filtfilt cannot cross NaN); runs too short
  for the filter's edge padding are left as they are.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt


def _series(points: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(points, dtype=float)
    if a.ndim < 1 or a.shape[0] == 0:
        raise ValueError(
            f"{name}: points must have time on axis 0 and at least one frame, got shape {a.shape}"
        )
    return a.reshape(a.shape[0], -1)


def _runs(finite: np.ndarray):
    """(start, stop) of each run of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], finite.astype(np.int8), [0]]))
    return zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))


def despike(
    points: np.ndarray, max_deviation_m: float, noise_sigmas: float | None = None
) -> np.ndarray:
    """NaN out samples farther than `max_deviation_m` (Euclidean over the last axis, e.g. xyz)
    from the midpoint of their two neighbours. That deviation is half the second difference:
    constant velocity gives 0 and 200 m/s^2 (a foot at strike) gives 7 mm at 120 fps, so genuine
    motion passes whatever its speed. A spike also pushes its neighbours' midpoints; only the
    local maximum of the deviation is removed, so they stay.

    `noise_sigmas`: a sample is a spike only if its deviation is also more than this many
    robust SDs of the series' own deviations (per series and axis: 1.4826 x the median
    absolute deviation; the distance is the root sum of the per-axis ratios squared). Noise
    cannot be told from motion one frame at a time, so a fixed distance removes the tail of
    ordinary triangulation noise wherever that noise is centimetres (a far camera's depth)."""
    if not max_deviation_m > 0:
        raise ValueError(f"max_deviation_m must be positive, got {max_deviation_m}")
    if noise_sigmas is not None and not noise_sigmas > 0:
        raise ValueError(f"noise_sigmas must be positive or None, got {noise_sigmas}")
    p = np.array(points, dtype=float)
    if p.ndim < 2 or p.shape[0] < 3:
        return p
    step = np.full(p.shape, np.nan)
    step[1:-1] = p[1:-1] - 0.5 * (p[:-2] + p[2:])
    dev = np.linalg.norm(step, axis=-1)
    around = np.fmax(np.roll(dev, 1, axis=0), np.roll(dev, -1, axis=0))
    with np.errstate(invalid="ignore"):
        spike = (dev > max_deviation_m) & ~(around > dev)
        if noise_sigmas is not None:
            spike &= ~(_in_noise_sds(step) <= noise_sigmas)
    p[spike] = np.nan
    return p


def _in_noise_sds(step: np.ndarray) -> np.ndarray:
    """Each deviation's size in robust SDs of its own series (axis 0 is time, the last axis the
    coordinates); NaN where a series has too few samples or no spread to scale by."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN series (never measured)
        centre = np.nanmedian(step, axis=0)
        scale = 1.4826 * np.nanmedian(np.abs(step - centre), axis=0)
        scale = np.where(scale > 0, scale, np.nan)
        return np.sqrt(np.sum(((step - centre) / scale) ** 2, axis=-1))


def fill_gaps(points: np.ndarray, max_gap: int, method: str = "linear") -> np.ndarray:
    """Fill interior NaN runs of at most `max_gap` frames, per series. `method`: 'linear'
    (between the two bounding samples) or 'cubic' (spline through all known samples of that
    finite stretch; needs >= 4 of them, else linear). Ends are never extrapolated."""
    if int(max_gap) != max_gap or max_gap < 0:
        raise ValueError(f"max_gap must be a non-negative whole number of frames, got {max_gap}")
    if method not in ("linear", "cubic"):
        raise ValueError(f"method must be 'linear' or 'cubic', got {method!r}")
    src = np.asarray(points, dtype=float)
    flat = _series(src, "fill_gaps").copy()
    t = np.arange(flat.shape[0], dtype=float)
    for j in range(flat.shape[1]):
        col = flat[:, j]
        known = np.isfinite(col)
        if known.all() or known.sum() < 2 or max_gap == 0:
            continue
        gaps = [(a, b) for a, b in _runs(~known) if a > 0 and b < len(col) and b - a <= max_gap]
        if not gaps:
            continue
        fill = np.zeros(len(col), bool)
        for a, b in gaps:
            fill[a:b] = True
        if method == "cubic" and known.sum() >= 4:
            col[fill] = CubicSpline(t[known], col[known])(t[fill])
        else:
            col[fill] = np.interp(t[fill], t[known], col[known])
    return flat.reshape(src.shape)


def lowpass(points: np.ndarray, fps: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Zero-lag Butterworth low-pass of every series along axis 0, NaN runs kept as NaN.
    `order` is the order of the designed filter; forward-backward doubles it effectively."""
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    if not (0 < cutoff_hz < fps / 2):
        raise ValueError(f"cutoff_hz must be in (0, fps/2 = {fps / 2:g}), got {cutoff_hz}")
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive whole number, got {order}")
    src = np.asarray(points, dtype=float)
    flat = _series(src, "lowpass").copy()
    sos = butter(int(order), cutoff_hz, btype="low", fs=fps, output="sos")
    pad = 3 * (2 * len(sos) + 1)  # scipy's default edge padding for sos
    finite = np.isfinite(flat)
    if finite.all():
        if flat.shape[0] > pad:
            flat = sosfiltfilt(sos, flat, axis=0)
        return flat.reshape(src.shape)
    for j in range(flat.shape[1]):
        for a, b in _runs(finite[:, j]):
            if b - a > pad:
                flat[a:b, j] = sosfiltfilt(sos, flat[a:b, j])
    return flat.reshape(src.shape)
