"""A trial's per-side summary of its strides: statistics per metric, symmetry, the running
assessment's variability (issue #29), cadence, and the flags of checks.CHECKS. The metric
names, labels and units every report reads are defined here (METRICS)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from pipeline.config import ThresholdsConfig
from pipeline.gait.angles import SIDES
from pipeline.gait.bounce import BOUNCE_METRICS
from pipeline.gait.checks import CHECKS
from pipeline.gait.landing import LANDING_METRICS, pattern_summary
from pipeline.gait.measurement_error import mean_half_width95
from pipeline.gait.records import (
    Flag,
    MetricStatistics,
    SideSummary,
    StandingReference,
    Stride,
    Symmetry,
)
from pipeline.gait.variability import add_variability, symmetry

# name -> (label for people, unit)
METRICS: dict[str, tuple[str, str]] = {
    "step_width_m": ("step width", "m"),
    "peak_stance_knee_flexion_deg": ("peak stance knee flexion", "deg"),
    "knee_flexion_at_strike_deg": ("knee flexion at foot strike", "deg"),
    "knee_flexion_at_toe_off_deg": ("knee flexion at toe-off", "deg"),
    "knee_over_toe_m": ("knee over toe", "m"),
    "pelvic_drop_deg": ("contralateral pelvic drop", "deg"),
    "foot_to_midline_m": ("foot to midline at contact", "m"),
    "calf_clearance_m": ("calf clearance (keypoint centres)", "m"),
    "peak_stance_hip_adduction_deg": ("peak stance hip adduction", "deg"),
    "peak_stance_knee_fppa_deg": ("peak stance knee frontal-plane projection angle", "deg"),
    "tibia_inclination_at_strike_deg": ("tibia inclination at foot strike", "deg"),
    "hip_extension_at_toe_off_deg": ("hip extension at toe-off", "deg"),
    "ankle_plantarflexion_at_toe_off_deg": ("ankle plantarflexion at toe-off", "deg"),
    "leg_trunk_alignment_at_toe_off_deg": ("leg-trunk alignment at toe-off", "deg"),
    "knee_off_leg_line_at_toe_off_m": ("knee ahead of ankle-hip line at toe-off", "m"),
    "hip_ahead_of_toe_m": ("hip ahead of toe at peak knee flexion", "m"),
    "ground_contact_time_ms": ("ground contact time", "ms"),
    "flight_time_ms": ("flight time", "ms"),
    "stride_time_ms": ("stride time", "ms"),
    "stride_length_m": ("stride length", "m"),
    **LANDING_METRICS,  # issue #29: landing.py, bounce.py
    **BOUNCE_METRICS,
}

# Metrics whose left/right symmetry index is reported (positive quantities only: the index
# of a metric whose mean can be near zero, such as step width or hip adduction, is meaningless).
SYMMETRY_METRICS = (
    "ground_contact_time_ms",
    "flight_time_ms",
    "stride_length_m",
    "peak_stance_knee_flexion_deg",
    "knee_flexion_at_toe_off_deg",
    "pelvic_drop_deg",
)


def number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def side_summaries(
    strides: list[Stride], standing: Mapping[str, StandingReference], thresholds: ThresholdsConfig
) -> dict[str, SideSummary]:
    """Per side: each metric's statistics with its variability and MDC (issue #29,
    gait/variability.py), the crossover shares and the foot-strike pattern with its standing
    reference (`standing`: landing.add_landing's, per side)."""
    needed = max(thresholds.min_strides, thresholds.min_strides_variability)
    sides: dict[str, SideSummary] = {}
    for side in SIDES:
        own = [s for s in strides if s.side == side]
        metrics = {
            name: metric_statistics(own, name, thresholds.min_strides, needed) for name in METRICS
        }
        widths = [w for s in own if (w := s.value("step_width_m")) is not None]
        crossover_share = (
            float(np.mean(np.array(widths) <= thresholds.crossover_step_width_m))
            if len(widths) >= thresholds.min_strides
            else None
        )
        midline = [m for s in own if (m := s.value("foot_to_midline_m")) is not None]
        midline_limit = thresholds.crossover_midline_m
        midline_share = (
            float(np.mean(np.array(midline) <= midline_limit))
            if len(midline) >= thresholds.min_strides
            else None
        )
        sides[side] = SideSummary(
            n_strides=len(own),
            crossover_share=crossover_share,
            midline_crossover_share=midline_share,
            metrics=metrics,
            foot_strike=pattern_summary(
                strides, side, metrics["foot_strike_angle_deg"].mean, standing[side]
            ),
        )
    return sides


def symmetry_indices(sides: Mapping[str, SideSummary]) -> dict[str, float | None]:
    """The symmetry index of each of SYMMETRY_METRICS (summary `symmetry_index_pct`)."""
    return {
        name: symmetry_index(sides["left"].metrics[name].mean, sides["right"].metrics[name].mean)
        for name in SYMMETRY_METRICS
    }


def symmetries(sides: Mapping[str, SideSummary]) -> dict[str, Symmetry]:
    """Every metric's left-right symmetry (summary `symmetry`, gait/variability.py)."""
    return {name: symmetry(sides, name) for name in METRICS}


def symmetry_index(left, right) -> float | None:
    """Symmetry index, % = 100 (L - R) / ((L + R) / 2) (Robinson 1987); + = left larger.
    None when either side has no mean or the mean of both is not positive."""
    if left is None or right is None or not 0.5 * (left + right) > 0:
        return None
    return float(100.0 * (left - right) / (0.5 * (left + right)))


def sd_of_mean(strides: list[Stride], name: str) -> float | None:
    """SD of the mean of `name` over the strides that have it, from their propagated SDs.
    Stride i's error is e_i + a_i d: its own part e_i (SD u_i, independent between strides)
    and the shift d (SD 1) of the reads all the trial's strides share (the events' shared
    read, event_timing.SHARED) through its own coefficient, |a_i| = c_i its carried shared
    part (Stride.shared_uncertainty), u_i^2 = s_i^2 - c_i^2 of its SD s_i. The mean's error
    is mean(e_i) + mean(a_i) d: variance sum(u_i^2) / n^2 + mean(a_i)^2, and mean(c_i)^2 in
    its place (exact where the a_i share a sign, as one shift moves every stride's read the
    same way, else an upper bound): the shared part does not shrink with n. None when a
    stride's SD or its shared part is unknown, or no stride has the value."""
    parts = _sd_parts(strides, name)
    known = [(sd, part) for sd, part in parts if sd is not None and part is not None]
    if not parts or len(known) < len(parts):
        return None
    sds = [sd for sd, _ in known]
    shared = [min(part, sd) for sd, part in known]
    total, common = np.asarray(sds, float), np.asarray(shared, float)
    own_variance = float(np.sum(total**2 - common**2)) / total.size**2
    return float(np.sqrt(own_variance + float(np.mean(common)) ** 2))


def shared_sd_of_mean(strides: list[Stride], name: str) -> float | None:
    """The part of the side mean's SD that all its strides share: the mean of the strides'
    shared parts (Stride.shared_uncertainty, at most each stride's SD), the term of
    sd_of_mean that does not shrink with n. 0 where no stride carries one (1 px, markers,
    given events); None when a stride's shared part is unknown or no stride has the value."""
    parts = _sd_parts(strides, name)
    if any(part is None for _, part in parts):
        return None
    shared = [part if sd is None else min(part, sd) for sd, part in parts if part is not None]
    return float(np.mean(shared)) if shared else None


def _sd_parts(strides: list[Stride], name: str) -> list[tuple[float | None, float | None]]:
    """(SD, shared part) of `name` in each stride that has the value; a stride without a
    shared part carries none (0)."""
    return [
        (stride.uncertainty.get(name), stride.shared_uncertainty.get(name, 0.0))
        for stride in strides
        if stride.value(name) is not None
    ]


def within_measurement_error(mean: float, limit: float, half: float | None) -> bool | None:
    """Is the threshold (cut-off) inside the mean's 95 % interval of half-width `half`
    (MetricStatistics.interval95)? None when the half-width is unknown."""
    return None if half is None else abs(mean - limit) <= half


def metric_statistics(
    strides: list[Stride], name: str, min_strides: int, min_strides_variability: int
) -> MetricStatistics:
    """One metric's statistics over one side's strides (mean, SD, variability, the SD of the
    mean, its shared part and the mean's 95 % half-width)."""
    values = [s.value(name) for s in strides]
    valid = np.array([v for v in values if v is not None], float)
    stats: dict[str, Any] = {
        "mean": None,
        "sd": None,
        "n": int(valid.size),
        "n_missing": len(values) - int(valid.size),
        "note": None,
    }
    if valid.size < min_strides:
        stats["note"] = f"insufficient strides (n={valid.size}, need {min_strides})"
    else:
        stats["mean"] = float(valid.mean())
        stats["sd"] = float(valid.std(ddof=1)) if valid.size > 1 else 0.0
    has_mean = stats["mean"] is not None
    stats["sd_of_mean"] = sd_of_mean(strides, name) if has_mean else None
    stats["shared_sd"] = shared_sd_of_mean(strides, name) if has_mean else None
    add_variability(stats, name, min_strides_variability, stats["shared_sd"])
    stats["interval95"] = mean_half_width95(stats["sem"], stats["n"], stats["shared_sd"])
    return MetricStatistics.from_dict(stats)


def threshold_flags(sides: Mapping[str, SideSummary], thresholds: ThresholdsConfig) -> list[Flag]:
    """The raised checks of checks.CHECKS, per side (a None threshold switches one off)."""
    flags = []
    for side in SIDES:
        for check in CHECKS:
            limit = check.limit(thresholds)
            stats = sides[side].metrics[check.metric]
            mean = stats.mean
            if limit is None or mean is None or not check.flagged(mean, limit):
                continue
            label, unit = METRICS[check.metric]
            digits = 3 if unit == "m" else 1
            half = stats.interval95
            near = within_measurement_error(mean, limit, half)
            caveat = (
                f" The threshold lies within measurement error of the mean "
                f"(95 % interval +-{half:.{digits}f} {unit}: {interval_parts(stats)})."
                if near and half is not None
                else ""
            )
            flags.append(
                Flag(
                    name=check.key,
                    side=side,
                    metric=check.metric,
                    value=mean,
                    threshold=float(limit),
                    n_strides=stats.n,
                    message=(
                        f"{side.capitalize()} side: mean {label} {mean:.{digits}f} "
                        f"{unit} {check.wording} {limit:.{digits}f} {unit} "
                        f"(mean of {stats.n} strides)." + caveat
                    ),
                    within_measurement_error=near,
                )
            )
    return flags


def interval_parts(stats: MetricStatistics) -> str:
    """What a mean's 95 % half-width (interval95) is made of, in words, for the flag message,
    the findings and the foot-strike pattern finding."""
    parts = f"stride scatter, t with {stats.n - 1} dof"
    return parts + (" + the strides' shared event timing" if stats.shared_sd else "")
