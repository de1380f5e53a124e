"""The per-frame curves a stride's metrics are read from, and how each is read: from its own
samples when it is smooth, from a local fit (stance_fit.py) when it is noisy; each value with
its SD propagated from the 3D's per-point SDs.

A curve is read from a fit when its sample noise (third differences over the stances) or the
SD the 3D predicts for it is above the floor (stance_fit.NOISE_FLOOR); the analyze stage's
triangulated points are low-passed, which hides their noise from the third differences, so
the predicted SD is what switches the fit on there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pipeline.gait.angles import (
    ankle_dorsiflexion_deg,
    body_axes,
    calf_gap_m,
    contralateral_pelvic_drop_deg,
    foot_point,
    hip_adduction_deg,
    hip_centre,
    hip_flexion_deg,
    keypoint,
    knee_flexion_deg,
    knee_fppa_deg,
    knee_off_leg_line_m,
    leg_trunk_alignment_deg,
    pelvic_obliquity_deg,
    tibia_inclination_deg,
)
from pipeline.gait.stance_fit import (
    HALF_WINDOW,
    NO_READ,
    NOISE_FLOOR,
    LocalRead,
    aligned_phase,
    curve_noise,
    local_extreme_read,
    local_value_read,
    series_sd,
)
from pipeline.gait.stance_pool import (
    PooledPeak,
    own_vertices,
    pooled_peak,
    pooled_stance_peak,
    pooled_strike,
)

MAX_OBLIQUITY_DEG = 90.0


def hips_in_order(obliquity_deg: np.ndarray) -> np.ndarray:
    """Pelvic obliquity with NaN where the left hip lies to the right of the right hip: a
    running pelvis never turns 90 deg off its direction of travel, so that is a left/right
    swap of the hip keypoints that survived triangulation (on the real treadmill runner at a
    real detector's level, 9 frames at 178 deg read 66 deg of pelvic drop)."""
    return np.where(np.abs(obliquity_deg) <= MAX_OBLIQUITY_DEG, obliquity_deg, np.nan)


def hips_swapped(points: np.ndarray, forward) -> np.ndarray:
    """(F,) bool: frames whose hips are in the wrong left/right order (hips_in_order): the
    detector's left/right labels swapped for the whole body, so every side's curve is read
    from the other leg there and is left out (on the real runner one such burst read 61 deg
    of peak knee flexion for 39)."""
    obliquity = pelvic_obliquity_deg(points, forward)
    return np.isfinite(obliquity) & np.isnan(hips_in_order(obliquity))


def side_curves(side: str, forward) -> dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]]:
    """name -> (points -> (F,) curve, unit) of the curves one side's strides are read from."""
    forward_axis, lateral_axis = body_axes(forward)
    other = "right" if side == "left" else "left"
    sign = 1.0 if side == "left" else -1.0  # + = toward this side, away from midline

    def ahead(name):
        return lambda p: (
            (keypoint(p, f"{side}_{name}") - keypoint(p, f"{side}_big_toe")) @ (forward_axis)
        )

    return {
        "flexion": (lambda p: knee_flexion_deg(p, side), "deg"),
        "drop": (
            lambda p: contralateral_pelvic_drop_deg(
                hips_in_order(pelvic_obliquity_deg(p, forward)), side
            ),
            "deg",
        ),
        "knee_ahead": (ahead("knee"), "m"),
        "hip_ahead": (ahead("hip"), "m"),
        "lateral": (lambda p: foot_point(p, side) @ lateral_axis, "m"),
        "other_lateral": (lambda p: foot_point(p, other) @ lateral_axis, "m"),
        "midline": (
            lambda p: sign * (foot_point(p, side) - hip_centre(p)) @ lateral_axis,
            "m",
        ),
        "hip_flexion": (lambda p: hip_flexion_deg(p, side), "deg"),
        "hip_adduction": (lambda p: hip_adduction_deg(p, side), "deg"),
        "fppa": (lambda p: knee_fppa_deg(p, side, forward), "deg"),
        "tibia": (lambda p: tibia_inclination_deg(p, side, forward), "deg"),
        "ankle": (lambda p: ankle_dorsiflexion_deg(p, side, forward), "deg"),
        "alignment": (lambda p: leg_trunk_alignment_deg(p, side, forward), "deg"),
        "knee_off_line": (lambda p: knee_off_leg_line_m(p, side, forward), "m"),
        "calf_gap": (lambda p: calf_gap_m(p, side), "m"),
    }


def _sample_at(series: np.ndarray, frame: float) -> float:
    if not 0.0 <= frame <= len(series) - 1:
        return np.nan
    lower = int(math.floor(frame))
    fraction = frame - lower
    if fraction == 0.0:
        return float(series[lower])
    return float((1.0 - fraction) * series[lower] + fraction * series[lower + 1])


class StanceReader:
    """Reads one side's curves over its stances. `stances`: per stride (strike, toe-off,
    fractional sample times over the stance); `point_sd` (F, 26, 3) or None."""

    def __init__(
        self, points, point_sd, fps, curves: dict, stances: list[tuple], screen=None, partner=None
    ):
        """`screen` (F,) bool: frames left out of every curve (hips_swapped). `partner`: the
        other leg's reader, whose strides join an interior extreme's peak time (_pooled)."""
        self.values = {name: fn(points) for name, (fn, _) in curves.items()}
        if screen is not None and screen.any():
            self.values = {name: np.where(screen, np.nan, v) for name, v in self.values.items()}
        step = max(1, round(fps / 30.0))
        self.sd = {name: series_sd(fn, points, point_sd, step) for name, (fn, _) in curves.items()}
        self.stances = stances
        frames = [np.arange(math.ceil(s), math.floor(t) + 1) for s, t, _ in stances]
        self.noisy = {}
        for name, (_, unit) in curves.items():
            values, sd = self.values[name], self.sd[name]
            noise = curve_noise([values[f] for f in frames if f.size])
            predicted = np.nan
            if sd is not None and frames:
                inside = np.concatenate(frames) if frames else np.array([], int)
                inside = inside[inside < len(sd)]
                finite = sd[inside][np.isfinite(sd[inside])]
                predicted = float(np.median(finite)) if finite.size else np.nan
            self.noisy[name] = bool(noise > NOISE_FLOOR[unit] or predicted > NOISE_FLOOR[unit])
        self._samples: dict = {}
        self._phase: dict = {}
        self.partner: StanceReader | None = partner

    def samples(self, name: str) -> list[np.ndarray]:
        """Each stance's samples of a curve (at the stance's sample times)."""
        if name not in self._samples:
            values = self.values[name]
            self._samples[name] = [
                np.array([_sample_at(values, t) for t in times]) for _, _, times in self.stances
            ]
        return self._samples[name]

    def extreme(
        self,
        name: str,
        n: int,
        pick: Callable[[np.ndarray], int | None],
        sign=1.0,
        interior: bool = False,
    ) -> LocalRead:
        """Stride n's stance maximum (sign -1: minimum) that `pick` finds on the samples
        (argmax; the knee's loading peak) and on the trial's stride-aligned median curve:
        value, SD, time, the time's SD where the fit sets it, the slope where it does not.
        `interior`: an extreme that is never at an event (the loading peak): the aligned
        phase is sought a fit window's half-width inside the stance (stance_fit.aligned_phase)."""
        samples = self.samples(name)[n]
        strike, toe_off, times = self.stances[n]
        finite = np.isfinite(samples)
        own = None
        if finite.all():
            own = pick(samples)
        elif self.noisy[name] and finite.mean() >= 2 / 3:
            # samples screened out (a swap): fit the rest, picked among the finite ones
            own = pick(np.where(finite, samples, np.nanmin(sign * samples) * sign))
        if own is None:
            return NO_READ
        sd = self.sd[name]
        sds = None if sd is None else np.array([_sample_at(sd, t) for t in times])
        half_width = HALF_WINDOW * (toe_off - strike)
        if not self.noisy[name]:  # a sample's own extreme
            own_sd = np.nan if sds is None else float(sds[own])
            at, at_sd = float(times[own]), 0.0
            if interior:
                # the loading peak's time as on a noisy curve: the vertex of the quadratic over
                # the window about the aligned phase (a top flat within a few tenths of a
                # degree over 3-4 frames has its largest sample anywhere on it, docs/metrics.md)
                key = ("aligned", name)
                if key not in self._phase:
                    self._phase[key] = aligned_phase(self.samples(name), pick, sign, HALF_WINDOW)
                start = self._phase[key]
                centre = at if start is None else strike + start * (toe_off - strike)
                vertex = local_extreme_read(times, samples, sds, centre, half_width, sign)
                if vertex.slope == 0.0:  # a vertex (else the fit's value at the centre)
                    at = vertex.time
                    at_sd = vertex.time_sd if math.isfinite(vertex.time_sd) else 0.0
            return LocalRead(float(samples[own]), own_sd, at, at_sd, 0.0)
        if name not in self._phase:
            self._phase[name] = self._pooled(name, pick, sign, interior)
        start, pooled = self._phase[name]
        centre = times[own] if start is None else strike + start * (toe_off - strike)
        if pooled is not None and n in pooled.values:
            # the side's common shape at its vertex (slope zero: an error in the time does
            # not move the value, first order) or at the aligned phase
            value, value_sd = pooled.values[n]
            at = strike + pooled.phase * (toe_off - strike)
            slope = pooled.slope / (toe_off - strike)  # per frame
            return LocalRead(value, value_sd, float(at), np.nan, slope, pooled.phase_sd)
        return local_extreme_read(times, samples, sds, centre, half_width, sign)

    def _pooled(
        self, name: str, pick, sign: float, interior: bool
    ) -> tuple[float | None, PooledPeak | None]:
        """(phase where the strides' median curve peaks, the side's pooled fit there or None)
        of a noisy curve (stance_pool.pooled_peak)."""
        start = aligned_phase(self.samples(name), pick, sign, HALF_WINDOW if interior else 0.0)
        if start is None:
            return None, None
        timing = None
        if interior and self.partner is not None and name in self.partner.values:
            timing = self.phase_stances(name) + self.partner.phase_stances(name)
        return start, pooled_peak(self.phase_stances(name), start, HALF_WINDOW, sign, timing)

    def own_peak(self, name: str, n: int, sign=1.0) -> tuple[float, float] | None:
        """(time, SD) of stride n's own peak about the side's pooled peak time, from its own
        level and slope with the strides' shared curvature (stance_pool.own_vertices), for a
        noisy curve whose extreme `extreme` read pooled; None where there is none."""
        key = ("own", name)
        if key not in self._phase:
            _, pooled = self._phase.get(name, (None, None))
            own: dict = {}
            sd = self.sd[name]
            if pooled is not None and sd is not None:
                read = [k for k in range(len(self.stances)) if k in pooled.values]
                stances = [
                    (times, self.samples(name)[k], np.array([_sample_at(sd, t) for t in times]))
                    for k, (_, _, times) in enumerate(self.stances)
                ]
                centres = [s + pooled.phase * (t - s) for s, t, _ in self.stances]
                widths = [HALF_WINDOW * (t - s) for s, t, _ in self.stances]
                own = own_vertices(stances, centres, widths, sign, read)
            self._phase[key] = own
        return self._phase[key].get(n)

    def phase_stances(self, name: str) -> list[tuple]:
        """Per stride (phases 0..1 of its stance, samples, their SDs or None) of a curve."""
        sd = self.sd[name]
        return [
            (
                (times - strike) / (toe_off - strike),
                values,
                None if sd is None else np.array([_sample_at(sd, t) for t in times]),
            )
            for (strike, toe_off, times), values in zip(self.stances, self.samples(name))
        ]

    def strike_values(self, name: str, stances: list[tuple]) -> dict[float, tuple]:
        """{strike: (value, SD, slope per frame)} of a noisy curve at the strikes of
        `stances` (strike, toe-off, sample times), from one quadratic shared by those stances
        from HALF_WINDOW of a stance before each strike to the middle of the stance
        (stance_pool.pooled_strike); {} where the curve is smooth or the stances differ in
        their shape. For a foot's lateral position (step width)."""
        if not self.noisy[name] or self.sd[name] is None or not stances:
            return {}
        rows = self.phase_rows(name, stances, past_toe_off=False)
        fit = pooled_strike(rows, HALF_WINDOW, 2 * HALF_WINDOW)
        if fit is None:
            return {}
        slope = fit.slope(0.0)
        return {
            stances[n][0]: (value, value_sd, slope / (stances[n][1] - stances[n][0]))
            for n, (value, value_sd) in fit.read(0.0).items()
        }

    def spanned_extreme(
        self, name: str, n: int, pick: Callable[[np.ndarray], int | None], sign=1.0
    ) -> LocalRead:
        """Stride n's stance maximum (sign -1: minimum) of a noisy curve from one shape shared
        by the side's strides over their whole stances and HALF_WINDOW of a stance beyond
        each event (stance_pool.pooled_stance_peak): value, SD, time, and the shape's slope
        there (zero inside the stance; at an event it carries the event's timing SD). Where
        the curve is smooth, or the strides' shapes differ, as `extreme`; for pelvic drop,
        whose peak moves between strike and mid-stance from stride to stride."""
        key = ("spanned", name)
        if not self.noisy[name] or self.sd[name] is None:
            return self.extreme(name, n, pick, sign)
        finite = np.isfinite(self.samples(name)[n])
        if not finite.all() and finite.mean() < 2 / 3:
            return NO_READ  # as `extreme`: too much of the stance screened out
        if key not in self._phase:
            self._phase[key] = pooled_stance_peak(
                self.phase_rows(name, self.stances, past_toe_off=True), HALF_WINDOW, sign
            )
        pooled = self._phase[key]
        if pooled is None or n not in pooled.values:
            return self.extreme(name, n, pick, sign)
        strike, toe_off, _ = self.stances[n]
        value, value_sd = pooled.values[n]
        at = strike + pooled.phase * (toe_off - strike)
        return LocalRead(value, value_sd, float(at), np.nan, pooled.slope / (toe_off - strike))

    def phase_rows(self, name: str, stances: list[tuple], past_toe_off: bool) -> list[tuple]:
        """(phases, values, SDs) of each of `stances` (strike, toe-off, sample times): its
        samples plus the whole frames within HALF_WINDOW of a stance before the strike (phases
        below 0) and, with `past_toe_off`, after the toe-off (above 1)."""
        values, sd = self.values[name], self.sd[name]
        out = []
        for strike, toe_off, times in stances:
            reach = HALF_WINDOW * (toe_off - strike)
            parts = [np.arange(math.ceil(strike - reach), math.ceil(strike), dtype=float), times]
            if past_toe_off:
                parts.append(
                    np.arange(math.floor(toe_off) + 1, math.floor(toe_off + reach) + 1, dtype=float)
                )
            every = np.concatenate(parts)
            every = every[(every >= 0) & (every <= len(values) - 1)]
            out.append(
                (
                    (every - strike) / (toe_off - strike),
                    np.array([_sample_at(values, t) for t in every]),
                    None if sd is None else np.array([_sample_at(sd, t) for t in every]),
                )
            )
        return out

    def at(self, name: str, frame: float) -> tuple[float, float]:
        """(value, SD) of a curve at a fractional frame, its samples interpolated."""
        sd = self.sd[name]
        return _sample_at(self.values[name], frame), (
            np.nan if sd is None else _sample_at(sd, frame)
        )

    def slope(self, name: str, frame: float) -> float:
        """The curve's slope (per frame) at a fractional frame, from its samples."""
        values = self.values[name]
        if len(values) < 2:
            return np.nan
        return _sample_at(np.gradient(values), frame)

    def at_timed(self, name: str, frame: float, frame_sd: float) -> tuple[float, float]:
        """(value, SD) at a frame whose own SD is `frame_sd` (an event's timing SD): the
        curve's slope there turns the time's error into the value's."""
        value, sd = self.at(name, frame)
        return value, _with_time_sd(sd, self.slope(name, frame), frame_sd)

    def near(self, name: str, at: float, half: float, degree=1, one_sided=0):
        """(value, SD, slope per frame) at a fractional frame from a local fit (a smooth
        curve: its samples). one_sided +1: only the samples after it (a planted foot read at
        its strike)."""
        if not self.noisy[name]:
            return (*self.at(name, at), self.slope(name, at))
        values, sd = self.values[name], self.sd[name]
        lo = int(max(0, np.floor(at - 2 * half - 1)))
        hi = int(min(len(values) - 1, np.ceil(at + 2 * half + 1)))
        frames = np.arange(lo, hi + 1, dtype=float)
        sds = None if sd is None else sd[lo : hi + 1]
        return local_value_read(frames, values[lo : hi + 1], sds, at, half, degree, one_sided)


def _with_time_sd(sd: float, slope: float, time_sd: float) -> float:
    """A value's SD with its read time's SD added (independent; no time error: unchanged)."""
    if time_sd == 0.0:
        return sd
    return math.hypot(sd, slope * time_sd)


def timed_read(
    read: LocalRead,
    strike: float,
    toe_off: float,
    strike_sd: float,
    toe_off_sd: float,
    own: tuple[float, float] | None = None,
):
    """(value, SD, time, time SD) of a stance read whose time the fit set (a vertex: its own
    time SD, the value's first-order unmoved) or the events set (strike + phase x stance:
    the events' timing SDs, times the fit's slope there, join the value's SD). `own`: the
    stride's own (time, SD) of the same extreme (StanceReader.own_peak), weighed against the
    events' time by their inverse variances (their errors are independent: the events' timing
    and the phase against the stride's noise about its own peak)."""
    if math.isfinite(read.time_sd):
        return read.value, read.sd, read.time, read.time_sd
    phase = (read.time - strike) / (toe_off - strike)
    time_sd = math.hypot((1.0 - phase) * strike_sd, phase * toe_off_sd)
    if math.isfinite(read.phase_sd):  # the aligned phase's own error, over this stance
        time_sd = math.hypot(time_sd, read.phase_sd * (toe_off - strike))
    time = read.time
    if own is not None and time_sd > 0.0 and own[1] > 0.0:
        weight = time_sd**2 / (time_sd**2 + own[1] ** 2)
        time += weight * (own[0] - read.time)
        time_sd = time_sd * own[1] / math.hypot(time_sd, own[1])
    return read.value, _with_time_sd(read.sd, read.slope, time_sd), time, time_sd
