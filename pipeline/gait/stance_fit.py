"""Stance values read from a local fit of the curve, not from single noisy samples.

The maximum of noisy samples is biased upward by the noise (on the real treadmill runner at a
real detector's level pelvic drop read +2.1 deg high). A stance extreme is instead the vertex of
a weighted quadratic fitted to the stride's samples within a window centred on the phase where
the trial's stride-aligned mean curve peaks (`aligned_phase`). Where the SDs are known and the
side's strides share one shape near the extreme (their own quadratics fit no better), the side
is read as one fit, each stride with its own level (`pooled_peak`): one parameter per stride
instead of three, about 0.8x the noise. A value at an event is a local line fitted on one side
of it. Both read a noise-free curve back (a quadratic exactly; a sine hump over a quarter of the
stance on each side 0.008 deg low, docs/metrics.md). Each value carries its SD propagated
linearly from the per-sample SDs (`series_sd`: the keypoints' 3D SDs through the curve's
Jacobian); at the vertex the slope is zero, so the vertex's own time adds nothing to first
order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.stats import chi2 as chi_square

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
# the strides of a side are read as one shape unless their own shapes fit better at this level
SAME_SHAPE_P = 0.05


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


def aligned_phase(stances: list[np.ndarray], pick: Callable[[np.ndarray], int | None]):
    """Phase (0..1 of the stance) of the feature `pick` finds on the trial's stride-aligned
    median curve; `stances` holds each stride's samples over its stance (strike .. toe-off).
    None when no stance is complete or `pick` finds nothing."""
    curves = [
        np.interp(PHASES, np.linspace(0.0, 1.0, len(s)), s)
        for s in stances
        if len(s) >= 3 and np.isfinite(s).all()
    ]
    if not curves:
        return None
    index = pick(np.median(np.asarray(curves), axis=0))
    return None if index is None else float(PHASES[index])


class PooledPeak(NamedTuple):
    """A side's stance extreme from one fit over all its strides (pooled_peak): the phase of
    the common vertex and its SD, and per stride (index) its value there and that value's
    SD."""

    phase: float
    phase_sd: float
    values: dict[int, tuple[float, float]]
    slope: float  # of the common shape at the phase read, per unit phase (0 at a vertex)


def pooled_peak(stances, centre, half_width, sign=1.0) -> PooledPeak | None:
    """The side's strides near their extreme as one quadratic shape, each stride with its own
    level, fitted to every stride's samples within `half_width` of `centre` (phases, 0..1 of
    the stance); `stances`: per stride (phases, values, SDs or None). A stride's value is its
    level plus the shape at the common vertex (at `centre` where the fit shows no bend, the
    phase's SD then unknown): one parameter per stride, where a quadratic of its own needs
    three from the same samples, and the vertex's phase comes from all strides' samples,
    where the argmax of their median curve is a noisy sample's position. The window is
    centred once more on the vertex found. A stride with fewer than MIN_SAMPLES samples in
    the window gets no value. None where the strides' own quadratics fit their samples
    better than the common shape beyond their SDs (chi-square, SAME_SHAPE_P), or without
    SDs: their shapes
    differ and each is read on its own."""
    first = _pooled_fit(stances, centre, half_width, sign)
    if first is None:
        return None
    peak = first
    if math.isfinite(first.phase_sd):
        again = _pooled_fit(stances, first.phase, half_width, sign)
        peak = again if again is not None and math.isfinite(again.phase_sd) else first
    timed = _skewed_peak_phase(stances, peak.phase, half_width, sign)
    return peak if timed is None else peak._replace(phase=timed[0], phase_sd=timed[1])


def _skewed_peak_phase(stances, centre, half_width, sign) -> tuple[float, float] | None:
    """(phase, SD) of the maximum of a cubic shape shared by the strides (each with its own
    level) within the window, or None where it has no maximum inside it. A stance hump is
    uneven (the knee bends faster under load than it straightens), so a quadratic's vertex
    sits off its peak: on the real runner's marker keypoints, read with the noisy level's
    SDs, the quadratic's vertex put knee over toe, read at that time, 11.9 / 39.3 mm off (mean
    / worst), the cubic's 7.2 / 16.9. The value stays the quadratic's: at a peak the value
    does not move with its time to first order, and the cubic's extra parameter adds noise."""
    fit = _shared_fit(stances, centre, centre - half_width, centre + half_width, 3, sign)
    if fit is None:
        return None
    b, c, d = fit.shape
    roots = np.roots([3.0 * d, 2.0 * c, b])  # leading zeros dropped: a quadratic, a line
    inside = [
        float(r.real)
        for r in np.atleast_1d(roots)
        if abs(r.imag) < 1e-12 and abs(r.real) <= half_width and 2.0 * c + 6.0 * d * r.real < 0
    ]
    if not inside:
        return None
    at = min(inside, key=abs)
    # b + 2 c x + 3 d x^2 = 0: dx / d(b, c, d) = -(1, 2x, 3x^2) / (2c + 6dx)
    gradient = -np.array([1.0, 2.0 * at, 3.0 * at * at]) / (2.0 * c + 6.0 * d * at)
    return float(centre + at), float(np.sqrt(gradient @ fit.shape_cov @ gradient))


class SharedFit(NamedTuple):
    """A polynomial shape shared by a side's strides, each with its own level (_shared_fit):
    the strides fitted (indices); per stride the weighted mean of its samples and of the
    shape's powers (1..degree of the phase from `origin`) and the variance of that mean; the
    shape's coefficients and their covariance. A stride's value at x is its mean plus the
    shape from its mean powers to x (exact least squares: the levels are eliminated by
    centring each stride on its own weighted means, so the shape and a stride's mean are
    independent)."""

    strides: np.ndarray
    means: np.ndarray
    mean_powers: np.ndarray
    mean_variance: np.ndarray
    shape: np.ndarray
    shape_cov: np.ndarray

    def read(self, x: float, sign: float = 1.0) -> dict[int, tuple[float, float]]:
        """Each stride's (value, SD) at phase `origin + x`."""
        row = x ** np.arange(1, len(self.shape) + 1)
        out = {}
        for j, n in enumerate(self.strides):
            lever = row - self.mean_powers[j]
            value = self.means[j] + lever @ self.shape
            variance = self.mean_variance[j] + lever @ self.shape_cov @ lever
            out[int(n)] = (sign * float(value), float(np.sqrt(variance)))
        return out

    def slope(self, x: float, sign: float = 1.0) -> float:
        """The shape's slope at phase `origin + x`, per unit phase."""
        return sign * float(sum((p + 1) * c * x**p for p, c in enumerate(self.shape)))


def _shared_fit(stances, origin, lo, hi, degree, sign=1.0) -> SharedFit | None:
    """A shape of `degree` shared by the strides, each with its own level, fitted by weighted
    least squares to every stride's samples with phases in [lo, hi] (gross outliers left out
    as in _robust_fit). None without the samples' SDs, with fewer than MIN_SAMPLES samples in
    every stride, or where the strides' own shapes fit better beyond their SDs
    (_shapes_differ): each is then read on its own."""
    rows = []
    for n, (phases, values, sds) in enumerate(stances):
        if sds is None:
            return None
        sd = np.asarray(sds, float)
        keep = (phases >= lo - 1e-9) & (phases <= hi + 1e-9) & np.isfinite(values)
        keep &= np.isfinite(sd) & (sd > 0)
        if keep.sum() >= MIN_SAMPLES:
            rows += [(n, p, sign * v, s) for p, v, s in zip(phases[keep], values[keep], sd[keep])]
    if not rows:
        return None
    stride = np.array([r[0] for r in rows])
    x, v, s = (np.array([r[i] for r in rows], float) for i in (1, 2, 3))
    powers = (x - origin)[:, None] ** np.arange(1, degree + 1)
    w = 1.0 / s**2
    keep = np.ones(len(v), bool)
    for _ in range(5):
        fit = _centred_fit(stride[keep], powers[keep], v[keep], w[keep])
        if fit is None:
            return None
        index = np.searchsorted(fit.strides, stride)
        known = np.isin(stride, fit.strides)
        level = np.where(known, fit.means[np.minimum(index, len(fit.strides) - 1)], np.nan)
        centre = fit.mean_powers[np.minimum(index, len(fit.strides) - 1)]
        residual = v - level - (powers - centre) @ fit.shape
        robust = 1.4826 * float(np.median(np.abs(residual[keep])))
        settled = np.abs(np.nan_to_num(residual, nan=np.inf)) <= (
            OUTLIER_SDS * max(robust, float(np.median(s))) + 1e-12
        )
        if np.array_equal(settled, keep) or settled.sum() < len(fit.strides) + degree + 2:
            break
        keep = settled
    if _shapes_differ(stride[keep], powers[keep], v[keep], w[keep], residual[keep], degree):
        return None
    return fit


def _centred_fit(stride, powers, values, w) -> SharedFit | None:
    strides = np.unique(stride)
    means, mean_powers, mean_variance = [], [], []
    centred_powers, centred_values = np.empty_like(powers), np.empty_like(values)
    for n in strides:
        at = stride == n
        total = w[at].sum()
        means.append(w[at] @ values[at] / total)
        mean_powers.append(w[at] @ powers[at] / total)
        mean_variance.append(1.0 / total)
        centred_powers[at] = powers[at] - mean_powers[-1]
        centred_values[at] = values[at] - means[-1]
    normal = centred_powers.T @ (centred_powers * w[:, None])
    if np.linalg.matrix_rank(normal) < powers.shape[1]:
        return None
    shape_cov = np.linalg.inv(normal)
    shape = shape_cov @ (centred_powers.T @ (w * centred_values))
    # a stride's mean of the samples, less the shape over its own mean powers, is its level
    return SharedFit(
        strides,
        np.asarray(means),
        np.asarray(mean_powers),
        np.asarray(mean_variance),
        shape,
        shape_cov,
    )


def _pooled_fit(stances, centre, half_width, sign) -> PooledPeak | None:
    fit = _shared_fit(stances, centre, centre - half_width, centre + half_width, 2, sign)
    if fit is None:
        return None
    b, c = fit.shape
    at, phase_sd = 0.0, np.nan
    if c < -2.0 * np.sqrt(fit.shape_cov[1, 1]) and abs(-b / (2.0 * c)) <= half_width:
        at = -b / (2.0 * c)
        gradient = np.array([-1.0 / (2.0 * c), b / (2.0 * c * c)])  # d(-b / 2c) / d(b, c)
        phase_sd = float(np.sqrt(gradient @ fit.shape_cov @ gradient))
    # slope per unit phase; 0 at the vertex
    return PooledPeak(float(centre + at), phase_sd, fit.read(at, sign), fit.slope(at, sign))


def pooled_start(stances, reach, sign=1.0) -> SharedFit | None:
    """A line shared by the strides, each with its own level, over the first `reach` of their
    stances (phases 0..reach), to be read at the strike (phase 0): a planted foot's position
    drifts the same way in every stance (the foot point settles 16-20 mm inward over the first
    8 frames on the real runner), so the strides share the slope, and each level is one
    parameter where a line of its own needs two. None as _shared_fit."""
    return _shared_fit(stances, 0.0, 0.0, reach, 1, sign)


def _shapes_differ(stride, powers, values, w, residual, degree) -> bool:
    """Do the strides' own polynomials (level and each power) explain their samples better
    than one shape with their own levels, beyond what the samples' SDs explain? The drop in
    the SD-weighted residual sum of squares is chi-square with the extra parameters' degrees
    of freedom where the shapes agree; slope and curvature over the window take up noise
    below the low-pass's cut-off, which the low-pass leaves as it was, so the unfiltered
    points' SDs are the right scale (an F-test on the residuals' own scatter is not: the
    low-passed residuals are correlated over ~3 frames, and the strides' wobbles read as
    shapes)."""
    own_rss, own_parameters = 0.0, 0
    for n in np.unique(stride):
        at = stride == n
        design = np.column_stack([np.ones(at.sum()), powers[at]])
        sw = np.sqrt(w[at])
        solution, _, rank, _ = np.linalg.lstsq(design * sw[:, None], values[at] * sw, rcond=None)
        own_rss += float(np.sum(w[at] * (values[at] - design @ solution) ** 2))
        own_parameters += int(rank)
    extra = own_parameters - (len(np.unique(stride)) + degree)
    if extra <= 0:
        return False
    drop = float(np.sum(w * residual**2)) - own_rss
    return bool(chi_square.sf(drop, extra) < SAME_SHAPE_P)


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
    """Per-axis keypoint SDs (F, K, 3, metres): points3d `sd_per_px` times each keypoint's
    median reprojection error over the trial (px), the pixel error the 3D shows. An
    approximation: residuals of a fit over few views understate the pixel error. None when
    either is missing (imported 3D: no pixels)."""
    if sd_per_px is None or reprojection_error is None:
        return None
    error = np.asarray(reprojection_error, float)
    if not np.isfinite(error).any():
        return None
    with warnings.catch_warnings():  # a keypoint never measured: all-NaN column, 0 px
        warnings.simplefilter("ignore", RuntimeWarning)
        pixel = np.nanmedian(np.where(np.isfinite(error), error, np.nan), axis=0)
    return np.asarray(sd_per_px, float) * np.nan_to_num(pixel)[None, :, None]
