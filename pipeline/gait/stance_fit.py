"""Stance values read from a local fit of the curve, not from single noisy samples.

The maximum of noisy samples is biased upward by the noise (on the real treadmill runner at a
real detector's level pelvic drop read +2.1 deg high). A stance extreme is instead the vertex of
a weighted quadratic fitted to the stride's samples within a window centred on the phase where
the trial's stride-aligned mean curve peaks (`aligned_phase`); where the SDs are known and the
side's strides share one shape near the extreme, the side is read as one fit
(stance_pool.py). A value at an event is a local line fitted on one side of it. Both read a
noise-free curve back (a quadratic exactly; a sine hump over a quarter of the stance on each
side 0.008 deg low, docs/metrics.md). Each value carries its SD propagated linearly from the
per-sample SDs (`series_sd`: the keypoints' 3D SDs through the curve's Jacobian); at the
vertex the slope is zero, so the vertex's own time adds nothing to first order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from pipeline.core.skeleton import N_KEYPOINTS

# half-width of the fit window, a share of the stance; at least MIN_SAMPLES samples
HALF_WINDOW = 0.25
MIN_SAMPLES = 5
PHASES = np.linspace(0.0, 1.0, 51)
# a sample this many robust SDs (or per-sample SDs) off the fit is an outlier (a left/right
# swap that survived triangulation flips pelvic obliquity by 180 deg for a few frames)
OUTLIER_SDS = 4.0
FD_STEP_M = 1e-3
# below this noise SD a curve's own samples are read (deg for angles, m for distances): the
# quadratic fit reads a smooth hump a few hundredths of a degree low, which noise that small
# does not excuse; above it the sample extreme's noise bias is the larger error
NOISE_FLOOR = {"deg": 0.1, "m": 0.001}


def curve_noise(stances: list[np.ndarray]) -> float:
    """Noise SD of a curve from the third differences of its samples over the stances (a
    smooth curve's third difference at 60-240 fps is a few hundredths of its noise's; white
    noise's has variance 20 sd^2), median-based so a swap burst does not set it."""
    diffs = [np.diff(s, 3) for s in stances if len(s) > 4]
    d = np.concatenate(diffs) if diffs else np.array([])
    d = d[np.isfinite(d)]
    if d.size == 0:
        return np.nan
    return float(1.4826 * np.median(np.abs(d)) / np.sqrt(20.0))


def aligned_phase(
    stances: list[np.ndarray],
    pick: Callable[[np.ndarray], int | None],
    sign: float = 1.0,
    margin: float = 0.0,
):
    """Phase (0..1 of the stance) of the feature `pick` finds on the trial's stride-aligned
    median curve; `stances` holds each stride's samples over its stance (strike .. toe-off).
    With a `margin`, the highest local maximum (sign -1: minimum) of the median curve at least
    `margin` from both events where there is one: a window of that half-width centred nearer
    an event holds samples on one side only and its fit extrapolates to the edge, and a bend
    there is the swing's, pulled in by an event timed early, not the stance's (docs/metrics.md).
    None when no stance is complete or `pick` finds nothing."""
    curves = [
        np.interp(PHASES, np.linspace(0.0, 1.0, len(s)), s)
        for s in stances
        if len(s) >= 3 and np.isfinite(s).all()
    ]
    if not curves:
        return None
    median = np.median(np.asarray(curves), axis=0)
    if margin > 0.0:
        inner = sign * median[1:-1]
        local = (inner >= sign * median[:-2]) & (inner >= sign * median[2:])
        phase = PHASES[1:-1]
        local &= (phase >= margin - 1e-9) & (phase <= 1.0 - margin + 1e-9)
        if local.any():
            candidates = np.flatnonzero(local)
            return float(phase[candidates[np.argmax(inner[candidates])]])
    index = pick(median)
    return None if index is None else float(PHASES[index])


def _fit_weights(times, sds, degree):
    """Least-squares weights: coefficients = W @ values; inverse-variance weighted when the
    SDs are known and positive."""
    design = np.vander(times, degree + 1, increasing=True)
    w = np.ones(len(times))
    if sds is not None and np.all(np.isfinite(sds)) and np.all(sds > 0):
        w = 1.0 / sds**2
    normal = design.T @ (design * w[:, None])
    return np.linalg.solve(normal, design.T * w)


def _window(times, values, sds, centre, half_width, one_sided=0):
    """Samples within the window (one_sided +1: [centre, centre + 2 hw]), widened to at
    least MIN_SAMPLES; None when fewer finite samples exist."""
    lo, hi = centre - half_width, centre + half_width
    if one_sided > 0:
        lo, hi = centre, centre + 2 * half_width
    finite = np.isfinite(values)  # screened samples (NaN) are left out, and so are
    if sds is not None and np.isfinite(sds).any():  # samples of keypoints not measured
        finite &= np.isfinite(sds)
    keep = (times >= lo - 1e-9) & (times <= hi + 1e-9) & finite
    if keep.sum() < MIN_SAMPLES:
        keep = np.zeros(len(times), bool)
        distance = np.where(finite, np.abs(times - (centre if one_sided == 0 else lo)), np.inf)
        keep[np.argsort(distance)[:MIN_SAMPLES]] = True
    t, v = times[keep], values[keep]
    s = None if sds is None else sds[keep]
    if len(t) < MIN_SAMPLES or not np.isfinite(v).all():
        return None
    return t, v, s


def _robust_fit(t, v, s, degree):
    """Weighted polynomial fit without gross outliers; returns (t, s, W, coef, residual
    scale) of the samples kept. The start leaves out samples far from the window's median (a
    burst of swapped frames would pull a first least-squares fit towards itself), then
    samples beyond OUTLIER_SDS scales of the fit are left out until the set settles."""
    floor = float(np.median(s)) if s is not None and np.all(np.isfinite(s)) else 0.0
    spread = 1.4826 * float(np.median(np.abs(v - np.median(v))))
    keep = np.abs(v - np.median(v)) <= max(5.0 * spread, OUTLIER_SDS * floor, 1e-12)
    for _ in range(5):
        if keep.sum() < MIN_SAMPLES:
            keep = np.ones(len(t), bool)
        tk, sk = t[keep], None if s is None else s[keep]
        mid = tk.mean()
        weights = _fit_weights(tk - mid, sk, degree)
        coef = weights @ v[keep]
        residual = v - np.vander(t - mid, degree + 1, increasing=True) @ coef
        robust = 1.4826 * float(np.median(np.abs(residual[keep])))
        settled = np.abs(residual) <= OUTLIER_SDS * max(robust, floor) + 1e-12
        if np.array_equal(settled, keep):
            break
        keep = settled
    return tk, sk, weights, coef, robust


def _value_sd(weights, s, row):
    if s is None or not np.all(np.isfinite(s)):
        return np.nan
    return float(np.sqrt(np.sum((row @ weights) ** 2 * s**2)))


class LocalRead(NamedTuple):
    """A value read from a local fit: its SD from the samples' SDs, the time it was read at,
    that time's SD where the fit sets it (a vertex; NaN: a time the caller fixed, e.g. from
    events) and the fit's slope there (value per frame; 0 at a vertex), which turns an error
    in a fixed time into an error in the value."""

    value: float
    sd: float
    time: float
    time_sd: float
    slope: float
    # SD of the stride-aligned phase a value at a fixed time was read at (pooled_peak)
    phase_sd: float = np.nan


NO_READ = LocalRead(np.nan, np.nan, np.nan, np.nan, np.nan)


def local_extreme(times, values, sds, centre, half_width, sign=1.0):
    """(value, SD, time) of the maximum (sign +1) or minimum (-1) of a quadratic fitted to the
    samples within `half_width` of `centre` (the phase where the trial's stride-aligned curve
    peaks): its vertex where the fit shows the bend, else its value at `centre`.
    (nan, nan, nan) without enough samples."""
    return tuple(local_extreme_read(times, values, sds, centre, half_width, sign)[:3])


def local_extreme_read(times, values, sds, centre, half_width, sign=1.0) -> LocalRead:
    """local_extreme as a LocalRead: with the vertex time's SD (delta method on -b / 2c), or
    the slope at `centre` where the value is read there."""
    window = _window(np.asarray(times, float), np.asarray(values, float), sds, centre, half_width)
    if window is None:
        return NO_READ
    t, v, s = window
    t, s, weights, coef, scale = _robust_fit(t, sign * v, s, 2)
    mid = t.mean()
    # a vertex only where the data show the bend (curvature beyond 2 SDs, inside the window):
    # a flat hump's vertex, or a window edge, rides on the noise upward; otherwise the fit
    # at the trial's aligned phase, which is linear in the data and so unbiased
    known = s is not None and np.all(np.isfinite(s))
    bend = np.array([0.0, 0.0, 1.0])
    bend_sd = _value_sd(weights, s, bend) if known else float(np.linalg.norm(weights[2]) * scale)
    if coef[2] < -2.0 * bend_sd:
        at = float(-coef[1] / (2 * coef[2]))
        if t.min() - mid <= at <= t.max() - mid:
            row = np.array([1.0, at, at * at])
            # d(-b / 2c) / d(a, b, c) = (0, -1 / 2c, -at / c)
            vertex_gradient = np.array([0.0, -1.0, -2.0 * at]) / (2.0 * coef[2])
            return LocalRead(
                sign * float(row @ coef),
                _value_sd(weights, s, row),
                float(at + mid),
                _value_sd(weights, s, vertex_gradient),
                0.0,
            )
    x0 = centre - mid
    row = np.array([1.0, x0, x0 * x0])
    slope = sign * float(coef[1] + 2.0 * coef[2] * x0)
    return LocalRead(
        sign * float(row @ coef), _value_sd(weights, s, row), float(centre), np.nan, slope
    )


def local_value(times, values, sds, at, half_width, degree=1, one_sided=0):
    """(value, SD) at `at` of a polynomial fitted to the samples near it (one_sided +1: only
    those after it, e.g. a planted foot's position read at its strike)."""
    return local_value_read(times, values, sds, at, half_width, degree, one_sided)[:2]


def local_value_read(times, values, sds, at, half_width, degree=1, one_sided=0):
    """(value, SD, slope per frame at `at`) of local_value's fit."""
    window = _window(
        np.asarray(times, float), np.asarray(values, float), sds, at, half_width, one_sided
    )
    if window is None:
        return np.nan, np.nan, np.nan
    t, v, s = window
    t, s, weights, coef, _ = _robust_fit(t, v, s, degree)
    x = at - t.mean()
    row = x ** np.arange(degree + 1)
    slope = float(np.arange(1, degree + 1) * x ** np.arange(degree) @ coef[1:])
    return float(row @ coef), _value_sd(weights, s, row), slope


def series_sd(
    curve: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    point_sd: np.ndarray | None,
    step: int = 1,
) -> np.ndarray | None:
    """Per-frame SD of curve(points) (F,) from independent per-axis keypoint SDs `point_sd`
    (F, K, 3, metres), by a forward-difference Jacobian over the keypoints the curve uses,
    computed every `step` frames and interpolated between (pose and camera geometry change
    over tens of milliseconds). NaN where a keypoint the curve uses has no SD (not measured in
    that frame: its 3D was gap-filled, so the curve's sample there is not an observation).
    None without SDs."""
    if point_sd is None:
        return None
    base_all = curve(points)
    at: np.ndarray = np.arange(0, len(points), max(1, int(step)))
    if at[-1] != len(points) - 1:
        at = np.concatenate([at, [len(points) - 1]])
    sub, sub_sd = points[at], point_sd[at]
    base = base_all[at]
    variance = np.zeros(len(at))
    used = np.zeros(N_KEYPOINTS, bool)
    finite = np.flatnonzero(np.isfinite(base))[:20]
    for k in range(N_KEYPOINTS):
        for axis in range(3):
            moved = sub.copy()
            moved[:, k, axis] += FD_STEP_M
            if finite.size:  # skip keypoints the curve does not use (cheap probe)
                probe = curve(moved[finite]) - base[finite]
                if not np.any(np.abs(probe) > 1e-12):
                    continue
            used[k] = True
            slope = (curve(moved) - base) / FD_STEP_M
            variance += np.nan_to_num(slope * sub_sd[:, k, axis]) ** 2
    sd = np.sqrt(variance)
    measured = np.isfinite(point_sd[:, used]).all(axis=(1, 2))
    ok = np.isfinite(base) & measured[at]
    if not ok.any():
        return np.full(len(points), np.nan)
    full = np.interp(np.arange(len(points)), at[ok], sd[ok])
    return np.where(np.isfinite(base_all) & measured, full, np.nan)


def point_sd_from_3d(sd_per_px, reprojection_error) -> np.ndarray | None:
    """Per-axis keypoint SDs (F, K, 3, metres): points3d `sd_per_px` (per px of per-axis
    pixel noise) times each keypoint's median reprojection error over the trial (px). That
    error is a mean residual length against the final, low-passed point, which absorbs none
    of a frame's noise: for Gaussian noise sqrt(pi / 2) x the per-axis SD, plus the share of
    the cameras' constant offsets no point fits. So these SDs run 1.2-1.4 x (1 px) and
    1.2-1.8 x (a real detector) the error a fit over the samples averages; that excess
    stands in for error terms the metrics' SDs leave out, and narrowing it lost coverage
    (docs/metrics.md, "The point SDs' scale"; scripts/point_sd_check.py). None when either
    is missing (imported 3D: no pixels)."""
    if sd_per_px is None or reprojection_error is None:
        return None
    error = np.asarray(reprojection_error, float)
    if not np.isfinite(error).any():
        return None
    with warnings.catch_warnings():  # a keypoint never measured: all-NaN column, 0 px
        warnings.simplefilter("ignore", RuntimeWarning)
        pixel = np.nanmedian(np.where(np.isfinite(error), error, np.nan), axis=0)
    return np.asarray(sd_per_px, float) * np.nan_to_num(pixel)[None, :, None]
