"""Per-stride running metrics, per-side summaries and threshold flags for one trial.

Definitions (docs/metrics.md has the full text): stance = foot strike .. toe-off of a foot;
values taken at an event are linearly interpolated at its fractional frame time. A value
whose keypoints are NaN anywhere it is needed is None ("missing"), never a number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.config import ThresholdsConfig
from pipeline.gait.angles import (SIDES, body_axes, contralateral_pelvic_drop_deg, foot_point,
                                  keypoint, knee_flexion_deg, pelvic_obliquity_deg)
from pipeline.gait.events import detect_events
from pipeline.skeleton import N_KEYPOINTS

# name -> (label for people, unit)
METRICS: dict[str, tuple[str, str]] = {
    "step_width_m": ("step width", "m"),
    "peak_stance_knee_flexion_deg": ("peak stance knee flexion", "deg"),
    "knee_flexion_at_strike_deg": ("knee flexion at foot strike", "deg"),
    "knee_flexion_at_toe_off_deg": ("knee flexion at toe-off", "deg"),
    "knee_over_toe_m": ("knee over toe", "m"),
    "pelvic_drop_deg": ("contralateral pelvic drop", "deg"),
}


@dataclass
class TrialAnalysis:
    fps: float
    n_frames: int
    events: dict[str, dict[str, np.ndarray]]  # side -> {"foot_strike", "toe_off"}: frames
    strides: list[dict]
    summary: dict
    flags: list[dict]

    def to_dict(self) -> dict:
        """JSON-ready: arrays become lists, missing values None."""
        return {
            "fps": self.fps, "n_frames": self.n_frames,
            "events": {side: {name: [float(t) for t in times] for name, times in ev.items()}
                       for side, ev in self.events.items()},
            "strides": self.strides, "summary": self.summary, "flags": self.flags,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TrialAnalysis":
        """Inverse of to_dict (extra keys, such as a file's schema_version, are ignored)."""
        events = {side: {name: np.asarray(times, float) for name, times in ev.items()}
                  for side, ev in data["events"].items()}
        return cls(fps=float(data["fps"]), n_frames=int(data["n_frames"]), events=events,
                   strides=list(data["strides"]), summary=data["summary"], flags=list(data["flags"]))


def analyze_trial(points: np.ndarray, fps: float, forward, thresholds: ThresholdsConfig,
                  events: dict | None = None) -> TrialAnalysis:
    """Analyse (F, 26, 3) keypoints (metres, Z up) with the belt/running direction `forward`.

    `events` (side -> {"foot_strike", "toe_off"} in frames) is detected when None.
    """
    points = np.asarray(points, float)
    if points.ndim != 3 or points.shape[1:] != (N_KEYPOINTS, 3):
        raise ValueError(f"points must have shape (frames, {N_KEYPOINTS}, 3), got {points.shape}")
    if events is None:
        events = detect_events(points, fps)
    events = {side: {name: np.sort(np.asarray(events[side][name], float).ravel())
                     for name in ("foot_strike", "toe_off")} for side in SIDES}

    strides = [stride for side in SIDES
               for stride in _side_strides(points, fps, forward, events, side)]
    summary = _summary(strides, events, fps, thresholds)
    return TrialAnalysis(fps=float(fps), n_frames=len(points), events=events, strides=strides,
                         summary=summary, flags=_flags(summary, thresholds))


def sample_at(series: np.ndarray, frame: float) -> np.ndarray:
    """Linear interpolation of a (F, ...) series at a fractional frame; NaN outside/at gaps."""
    if not 0.0 <= frame <= len(series) - 1:
        return np.full(series.shape[1:], np.nan)
    lower = int(math.floor(frame))
    fraction = frame - lower
    if fraction == 0.0:               # on a frame: a NaN neighbour must not spoil it
        return series[lower]
    return (1.0 - fraction) * series[lower] + fraction * series[lower + 1]


def stance_samples(frames_count: int, strike: float, toe_off: float) -> np.ndarray:
    """Fractional frame times covering a stance: both events plus every whole frame between."""
    inner = np.arange(math.ceil(strike), math.floor(toe_off) + 1, dtype=float)
    inner = inner[(inner > strike) & (inner < toe_off) & (inner <= frames_count - 1)]
    return np.concatenate([[strike], inner, [toe_off]])


def _side_strides(points, fps, forward, events, side) -> list[dict]:
    forward_axis, lateral_axis = body_axes(forward)
    other = "right" if side == "left" else "left"
    strikes, toe_offs = events[side]["foot_strike"], events[side]["toe_off"]
    flexion = knee_flexion_deg(points, side)
    drop = contralateral_pelvic_drop_deg(pelvic_obliquity_deg(points, forward), side)
    knee_ahead = (keypoint(points, f"{side}_knee")
                  - keypoint(points, f"{side}_big_toe")) @ forward_axis
    lateral = {s: foot_point(points, s) @ lateral_axis for s in SIDES}

    strides = []
    for i, strike in enumerate(strikes):
        next_strike = strikes[i + 1] if i + 1 < len(strikes) else np.inf
        later = toe_offs[(toe_offs > strike) & (toe_offs < next_strike)]
        if later.size == 0:
            continue                      # stance not seen to its end
        toe_off = later[0]
        times = stance_samples(len(points), strike, toe_off)
        stance_flexion = np.array([sample_at(flexion, t) for t in times])
        # NaN anywhere in stance makes the peak, and so its frame, unknown
        complete = bool(np.isfinite(stance_flexion).all())
        peak_time = times[np.argmax(stance_flexion)] if complete else None

        foot_lateral = float(sample_at(lateral[side], strike))
        previous_other = _previous_opposite_strike(events[other]["foot_strike"], strike,
                                                   strikes[i - 1] if i > 0 else -np.inf)
        step_width = np.nan
        if previous_other is not None:
            other_lateral = float(sample_at(lateral[other], previous_other))
            step_width = (foot_lateral - other_lateral) * (1.0 if side == "left" else -1.0)

        strides.append({
            "side": side, "stride": len(strides),
            "strike_frame": float(strike), "strike_time_s": float(strike) / fps,
            "toe_off_frame": float(toe_off), "toe_off_time_s": float(toe_off) / fps,
            "foot_lateral_m": _number(foot_lateral),
            "step_width_m": _number(step_width),
            "peak_stance_knee_flexion_deg": _number(np.max(stance_flexion)),
            "knee_flexion_at_strike_deg": _number(stance_flexion[0]),
            "knee_flexion_at_toe_off_deg": _number(stance_flexion[-1]),
            "knee_over_toe_m": _number(sample_at(knee_ahead, peak_time) if complete else np.nan),
            "pelvic_drop_deg": _number(np.max([sample_at(drop, t) for t in times])),
        })
    return strides


def _previous_opposite_strike(opposite: np.ndarray, strike: float, previous_same: float):
    """Latest opposite-foot strike before `strike`, if it follows this foot's previous strike."""
    earlier = opposite[(opposite < strike) & (opposite > previous_same)]
    return float(earlier[-1]) if earlier.size else None


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _summary(strides, events, fps, thresholds: ThresholdsConfig) -> dict:
    all_strikes = np.sort(np.concatenate([events[s]["foot_strike"] for s in SIDES]))
    cadence = None
    if all_strikes.size >= 2 and all_strikes[-1] > all_strikes[0]:
        cadence = float(60.0 * fps * (all_strikes.size - 1) / (all_strikes[-1] - all_strikes[0]))

    sides = {}
    for side in SIDES:
        own = [s for s in strides if s["side"] == side]
        metrics = {name: _statistics([s[name] for s in own], thresholds.min_strides)
                   for name in METRICS}
        widths = [s["step_width_m"] for s in own if s["step_width_m"] is not None]
        crossover_share = (float(np.mean(np.array(widths) <= thresholds.crossover_step_width_m))
                           if len(widths) >= thresholds.min_strides else None)
        sides[side] = {"n_strides": len(own), "crossover_share": crossover_share,
                       "metrics": metrics}
    return {"cadence_spm": cadence, "n_foot_strikes": int(all_strikes.size), "sides": sides}


def _statistics(values: list, min_strides: int) -> dict:
    valid = np.array([v for v in values if v is not None], float)
    stats = {"mean": None, "sd": None, "n": int(valid.size),
             "n_missing": len(values) - int(valid.size), "note": None}
    if valid.size < min_strides:
        stats["note"] = f"insufficient strides (n={valid.size}, need {min_strides})"
        return stats
    stats["mean"] = float(valid.mean())
    stats["sd"] = float(valid.std(ddof=1)) if valid.size > 1 else 0.0
    return stats


def _flags(summary: dict, thresholds: ThresholdsConfig) -> list[dict]:
    rules = (  # name, metric, threshold, is flagged, wording
        ("crossover", "step_width_m", thresholds.crossover_step_width_m,
         lambda mean, limit: mean <= limit, "is at or below the crossover threshold of"),
        ("low_peak_knee_flexion", "peak_stance_knee_flexion_deg",
         thresholds.min_peak_knee_flexion_deg,
         lambda mean, limit: mean < limit, "is below the minimum of"),
        ("knee_over_toe", "knee_over_toe_m", thresholds.max_knee_over_toe_m,
         lambda mean, limit: mean > limit, "is above the maximum of"),
    )
    flags = []
    for side in SIDES:
        for name, metric, limit, flagged, wording in rules:
            stats = summary["sides"][side]["metrics"][metric]
            if stats["mean"] is None or not flagged(stats["mean"], limit):
                continue
            label, unit = METRICS[metric]
            digits = 3 if unit == "m" else 1
            flags.append({
                "name": name, "side": side, "metric": metric, "value": stats["mean"],
                "threshold": float(limit), "n_strides": stats["n"],
                "message": (f"{side.capitalize()} side: mean {label} {stats['mean']:.{digits}f} "
                            f"{unit} {wording} {limit:.{digits}f} {unit} "
                            f"(mean of {stats['n']} strides)."),
            })
    return flags
