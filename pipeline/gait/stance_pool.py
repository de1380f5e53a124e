"""A side's strides read as one fit (stance_fit.py reads a stride alone): a shape shared by
the strides near a stance extreme or over the start of the stance, each stride with its own
level, where the strides' own shapes fit their samples no better beyond the samples' SDs.
One parameter per stride instead of three: about 0.8x the noise (docs/metrics.md, "Pooled
reads over a side's strides").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.stats import chi2 as chi_square

from pipeline.gait.stance_fit import MIN_SAMPLES, OUTLIER_SDS

# the strides of a side are read as one shape unless their own shapes fit better at this level
SAME_SHAPE_P = 0.05


class PooledPeak(NamedTuple):
    """A side's stance extreme from one fit over all its strides (pooled_peak): the phase of
    the common vertex and its SD, and per stride (index) its value there and that value's
    SD."""

    phase: float
    phase_sd: float
    values: dict[int, tuple[float, float]]
    slope: float  # of the common shape at the phase read, per unit phase (0 at a vertex)


def pooled_peak(stances, centre, half_width, sign=1.0, timing=None) -> PooledPeak | None:
    """The side's strides near their extreme as one quadratic shape, each stride with its own
    level, fitted to every stride's samples within `half_width` of `centre` (phases, 0..1 of
    the stance); `stances`: per stride (phases, values, SDs or None). A stride's value is its
    level plus the shape at the common vertex (at `centre` where the fit shows no bend):
    one parameter per stride, where a quadratic of its own needs three from the same samples.
    The window is centred once more on the vertex found. The phase of the peak (the time a
    value such as knee over toe is read at) and its SD are _peak_phase's, on the strides of
    `timing` (e.g. both legs' strides: the knee's peak sits at the same share of the stance
    on both unless their shapes differ beyond their SDs) where it reads one, else on
    `stances`. A stride with fewer than MIN_SAMPLES samples in the window gets no value. None
    where the strides' own quadratics fit their samples better than the common shape beyond
    their SDs (chi-square, SAME_SHAPE_P), or without SDs: their shapes differ and each is
    read on its own."""
    first = _pooled_fit(stances, centre, half_width, sign)
    if first is None:
        return None
    peak = first
    if math.isfinite(first.phase_sd):
        again = _pooled_fit(stances, first.phase, half_width, sign)
        peak = again if again is not None and math.isfinite(again.phase_sd) else first
    timed = None
    for group in [timing, stances] if timing else [stances]:
        timed = _peak_phase(group, peak.phase, half_width, sign)
        if timed is not None:
            break
    return peak if timed is None else peak._replace(phase=timed[0], phase_sd=timed[1])


def _peak_phase(stances, centre, half_width, sign) -> tuple[float, float] | None:
    """(phase, SD) of the peak of a shape shared by the strides (each with its own level)
    within the window: the shared cubic's maximum where its skew is shown (cubic term beyond 2
    of its SDs: an uneven hump, the knee bending faster under load than it straightens, puts
    a quadratic's vertex off its peak), else the shared quadratic's vertex. A cubic whose skew
    the noise hides spends a parameter on noise: at the real level on the real runner it put
    the knee's peak 0.6 frame early (RMS 1.2), the quadratic 0.1 (RMS 0.9; docs/metrics.md).
    None where the shape has no maximum inside the window."""
    window = (centre - half_width, centre + half_width)
    cubic = _shared_fit(stances, centre, *window, 3, sign)
    if cubic is not None and abs(cubic.shape[2]) > 2.0 * np.sqrt(cubic.shape_cov[2, 2]):
        return _cubic_peak(cubic, centre, half_width)
    fit = _shared_fit(stances, centre, *window, 2, sign)
    if fit is None:
        return None
    b, c = fit.shape
    if not c < 0.0 or abs(b / (2.0 * c)) > half_width:
        return None
    gradient = np.array([-1.0 / (2.0 * c), b / (2.0 * c * c)])  # d(-b / 2c) / d(b, c)
    return float(centre - b / (2.0 * c)), float(np.sqrt(gradient @ fit.shape_cov @ gradient))


def _cubic_peak(fit, centre, half_width) -> tuple[float, float] | None:
    """(phase, SD) of the maximum of a shared cubic (_shared_fit of degree 3 about `centre`)
    nearest `centre` within the window, or None where it has none."""
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


def own_vertices(
    stances, centres, half_widths, sign=1.0, only=None
) -> dict[int, tuple[float, float]]:
    """Each stride's own peak time (frames) and its SD from a quadratic with the stride's own
    level and slope and a curvature shared by the strides, fitted to every stride's samples
    within its `half_widths[n]` of `centres[n]` (its pooled peak time); `stances`: per stride
    (sample times, values, SDs). The pooled time sits at one share of each stance, so a
    stride's events carry their timing errors into it (about a frame at the real level); the
    stride's own slope across its peak does not, at two parameters a stride instead of a
    quadratic's three; its SD is the delta method's on -slope / 2 curvature, so a stride whose
    vertex the noise hides weighs little against the events' time (timed_read). {} without
    SDs or where the shared curvature does not bend down; a stride with fewer than MIN_SAMPLES
    samples, or whose vertex leaves its window, is left out; `only`: the strides to fit
    (default all)."""
    parts = []
    for n, (times, values, sds) in enumerate(stances):
        if only is not None and n not in only:
            continue
        if sds is None:
            return {}
        x = np.asarray(times, float) - centres[n]
        v, s = sign * np.asarray(values, float), np.asarray(sds, float)
        keep = (np.abs(x) <= half_widths[n] + 1e-9) & np.isfinite(v) & np.isfinite(s) & (s > 0)
        if keep.sum() >= MIN_SAMPLES:
            parts.append((n, x[keep], v[keep], 1.0 / s[keep] ** 2))
    if not parts:
        return {}
    # each stride's level and slope eliminated by projecting its samples off (1, x): the
    # shared curvature from what is left, then each stride's level and slope given it
    solved, bend_sum, bend_dot = [], 0.0, 0.0
    for n, x, v, w in parts:
        design = np.column_stack([np.ones_like(x), x])
        inverse = np.linalg.pinv(design.T @ (design * w[:, None]))
        project = inverse @ (design.T * w)  # (level, slope) = project @ data
        square, value = x * x - design @ (project @ (x * x)), v - design @ (project @ v)
        bend_sum += float(w @ (square * square))
        bend_dot += float(w @ (square * value))
        solved.append((n, project, inverse, x, v))
    if bend_sum <= 0.0:
        return {}
    curvature, curvature_var = bend_dot / bend_sum, 1.0 / bend_sum
    if not curvature < 0.0:
        return {}
    out = {}
    for n, project, inverse, x, v in solved:
        lever = float((project @ (x * x))[1])  # the slope's share of the curvature
        slope = float((project @ v)[1]) - lever * curvature
        # the slope of the projected data and the curvature are uncorrelated (the projection
        # leaves what the curvature is fitted on orthogonal to (1, x))
        slope_var = float(inverse[1, 1]) + lever**2 * curvature_var
        covariance = -lever * curvature_var
        at = -slope / (2.0 * curvature)
        if abs(at) > half_widths[n]:
            continue
        gradient = np.array([-1.0 / (2.0 * curvature), slope / (2.0 * curvature**2)])
        cov = np.array([[slope_var, covariance], [covariance, curvature_var]])
        out[n] = (float(centres[n] + at), float(np.sqrt(gradient @ cov @ gradient)))
    return out


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


def pooled_strike(stances, before, after, sign=1.0) -> SharedFit | None:
    """A quadratic shared by the strides, each with its own level, from `before` of a stance
    ahead of the strike to `after` into it (phases -before..after), to be read at the strike
    (phase 0): a foot's lateral position passes through the strike without a break, the swing
    bringing it in and the planted foot settling 16-20 mm inward over about 8 frames (the
    heel-toe midpoint, real runner), alike in every stance, so the strides share the shape and
    each level is one parameter. The strike is read inside the window, where a line over the
    stance alone extrapolates to its end across the settling's bend (docs/metrics.md). None as
    _shared_fit."""
    return _shared_fit(stances, 0.0, -before, after, 2, sign)


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


# the stance's extreme read over the whole stance (pooled_stance_peak): a quartic has room for
# the flight's turn before the strike, a dip at the strike, the loading hump and the fall to
# the toe-off (and the turn after it)
SPANNED_DEGREE = 4


def pooled_stance_peak(stances, margin, sign=1.0, degree=SPANNED_DEGREE) -> PooledPeak | None:
    """A side's stance maximum (sign -1: minimum) from one shape of `degree` shared by its
    strides over each whole stance and `margin` of it beyond both events (phases -margin ..
    1 + margin; `stances` as pooled_peak's, with those samples), each stride with its own level,
    read at the shape's maximum inside the stance (0..1). A window around a peak phase read
    from 2-3 noisy strides is set by their noise; the whole stance holds twice the samples, and
    the samples beyond the events keep the polynomial's loose ends off the strike, where a drop
    often peaks (docs/metrics.md). phase_sd is NaN: the value does not move with the phase at
    an interior maximum (first order), and at the stance's ends `slope` carries the events'
    timing. None as _shared_fit (no SDs, or the strides' own shapes fit better)."""
    fit = _shared_fit(stances, 0.5, -margin, 1.0 + margin, degree, sign)
    if fit is None:
        return None
    at = _shape_maximum(fit.shape, -0.5, 0.5)
    return PooledPeak(0.5 + at, np.nan, fit.read(at, sign), fit.slope(at, sign))


def _shape_maximum(shape: np.ndarray, lo: float, hi: float) -> float:
    """Where the polynomial sum(shape[p - 1] x^p) is highest on [lo, hi]: at an end or at a
    root of its derivative inside."""
    curve = np.polynomial.Polynomial(np.concatenate([[0.0], shape]))
    inside = [
        float(r.real)
        for r in np.atleast_1d(curve.deriv().roots())
        if abs(r.imag) < 1e-9 and lo < r.real < hi
    ]
    return max([lo, hi, *inside], key=lambda x: float(curve(x)))
