"""A trial's per-side summary of its strides: statistics per metric, symmetry, the running
assessment's variability (issue #29), cadence, and the flags of checks.CHECKS. The metric
names, labels and units every report reads are defined here (METRICS)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipeline.config import ThresholdsConfig
from pipeline.gait.angles import SIDES
from pipeline.gait.bounce import BOUNCE_METRICS
from pipeline.gait.checks import CHECKS
from pipeline.gait.landing import LANDING_METRICS, pattern_summary
from pipeline.gait.variability import add_variability, symmetry, within_error

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


def summarize(strides, events, fps, thresholds: ThresholdsConfig) -> dict:
    all_strikes = np.sort(np.concatenate([events[s]["foot_strike"] for s in SIDES]))
    cadence = step_cadence(events, fps)

    sides: dict[str, dict[str, Any]] = {}
    for side in SIDES:
        own = [s for s in strides if s["side"] == side]
        metrics = {
            name: _statistics([s[name] for s in own], thresholds.min_strides) for name in METRICS
        }
        for name, stats in metrics.items():
            stats["sd_of_mean"] = _sd_of_mean(own, name, stats)
        widths = [s["step_width_m"] for s in own if s["step_width_m"] is not None]
        crossover_share = (
            float(np.mean(np.array(widths) <= thresholds.crossover_step_width_m))
            if len(widths) >= thresholds.min_strides
            else None
        )
        midline = [s["foot_to_midline_m"] for s in own if s["foot_to_midline_m"] is not None]
        midline_limit = thresholds.crossover_midline_m
        midline_share = (
            float(np.mean(np.array(midline) <= midline_limit))
            if len(midline) >= thresholds.min_strides
            else None
        )
        sides[side] = {
            "n_strides": len(own),
            "crossover_share": crossover_share,
            "midline_crossover_share": midline_share,
            "metrics": metrics,
        }
    return {
        "cadence_spm": cadence,
        "n_foot_strikes": int(all_strikes.size),
        "sides": sides,
        "symmetry_index_pct": {
            name: symmetry_index(
                sides["left"]["metrics"][name]["mean"], sides["right"]["metrics"][name]["mean"]
            )
            for name in SYMMETRY_METRICS
        },
    }


def add_running_assessment(summary, strides, standing, thresholds: ThresholdsConfig) -> None:
    """Issue #29: variability and MDC per side and metric, symmetry of every metric, the
    foot-strike pattern and its standing reference (gait/variability.py, landing.py)."""
    needed = max(thresholds.min_strides, thresholds.min_strides_variability)
    for side in SIDES:
        block = summary["sides"][side]
        for name, stats in block["metrics"].items():
            add_variability(stats, name, needed)
        fsa = block["metrics"]["foot_strike_angle_deg"]
        block["foot_strike"] = {
            **pattern_summary(strides, side, fsa["mean"]),
            "standing": standing[side],
        }
    summary["symmetry"] = {name: symmetry(summary["sides"], name) for name in METRICS}


def step_cadence(events: dict, fps: float) -> float | None:
    """Steps per minute from the intervals between consecutive strikes of opposite feet.
    A strike that was not timed (a gap, a poorly observed contact) leaves two strikes of the
    same foot in a row; that interval holds two steps and is left out, so it cannot bias the
    count. None with no such interval."""
    strikes = sorted((t, side) for side in SIDES for t in events[side]["foot_strike"])
    steps = [b[0] - a[0] for a, b in zip(strikes, strikes[1:]) if a[1] != b[1] and b[0] > a[0]]
    return float(60.0 * fps / np.mean(steps)) if steps else None


def symmetry_index(left, right) -> float | None:
    """Symmetry index, % = 100 (L - R) / ((L + R) / 2) (Robinson 1987); + = left larger.
    None when either side has no mean or the mean of both is not positive."""
    if left is None or right is None or not 0.5 * (left + right) > 0:
        return None
    return float(100.0 * (left - right) / (0.5 * (left + right)))


def _sd_of_mean(strides: list[dict], name: str, stats: dict) -> float | None:
    """SD of a side's mean from the strides' propagated SDs (independent strides); None when
    the mean or any of its strides' SDs is unknown."""
    if stats["mean"] is None:
        return None
    sds = [s.get("uncertainty", {}).get(name) for s in strides if s[name] is not None]
    if not sds or any(v is None for v in sds):
        return None
    return float(np.sqrt(np.sum(np.square(sds))) / len(sds))


def _statistics(values: list, min_strides: int) -> dict:
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
        return stats
    stats["mean"] = float(valid.mean())
    stats["sd"] = float(valid.std(ddof=1)) if valid.size > 1 else 0.0
    return stats


def threshold_flags(summary: dict, thresholds: ThresholdsConfig) -> list[dict]:
    """The raised checks of checks.CHECKS, per side (a None threshold switches one off)."""
    flags = []
    for side in SIDES:
        for check in CHECKS:
            limit = check.limit(thresholds)
            stats = summary["sides"][side]["metrics"][check.metric]
            if limit is None or stats["mean"] is None or not check.flagged(stats["mean"], limit):
                continue
            label, unit = METRICS[check.metric]
            digits = 3 if unit == "m" else 1
            near = within_error(stats["mean"], limit, stats)
            caveat = (
                f" The threshold lies within measurement error of the mean "
                f"(95 % interval +-{1.96 * stats['sem']:.{digits}f} {unit})."
                if near
                else ""
            )
            flags.append(
                {
                    "name": check.key,
                    "side": side,
                    "metric": check.metric,
                    "value": stats["mean"],
                    "threshold": float(limit),
                    "n_strides": stats["n"],
                    "message": (
                        f"{side.capitalize()} side: mean {label} {stats['mean']:.{digits}f} "
                        f"{unit} {check.wording} {limit:.{digits}f} {unit} "
                        f"(mean of {stats['n']} strides)." + caveat
                    ),
                    "within_measurement_error": near,
                }
            )
    return flags
