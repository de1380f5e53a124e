"""Joint-angle curves time-normalised to 0-100 % of the gait cycle (foot strike to the next
strike of the same foot), 101 samples, with each side's mean toe-off instant in %."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.gait.angles import (
    SIDES,
    ankle_dorsiflexion_deg,
    contralateral_pelvic_drop_deg,
    foot_pitch_deg,
    hip_adduction_deg,
    hip_flexion_deg,
    knee_flexion_deg,
    knee_fppa_deg,
    pelvic_obliquity_deg,
    tibia_inclination_deg,
)
from pipeline.gait.events import skips_a_cycle
from pipeline.gait.records import Events

CYCLE_PCT = np.linspace(0.0, 100.0, 101)

# angle name -> (function(points, side, forward) -> (F,) deg, convention)
CURVE_ANGLES = {
    "knee_flexion_deg": (lambda p, s, f: knee_flexion_deg(p, s), "+ flexion, 0 = straight"),
    "hip_flexion_deg": (lambda p, s, f: hip_flexion_deg(p, s), "+ flexion, - extension"),
    "hip_adduction_deg": (lambda p, s, f: hip_adduction_deg(p, s), "+ adduction"),
    "ankle_dorsiflexion_deg": (ankle_dorsiflexion_deg, "+ dorsiflexion, - plantarflexion"),
    "tibia_inclination_deg": (tibia_inclination_deg, "+ knee ahead of ankle"),
    # issue #29: the foot's sagittal angle over the cycle, heel -> big toe (not relative to
    # standing: the foot-strike angle in the analysis summary is)
    "foot_pitch_deg": (foot_pitch_deg, "+ toes up"),
    "knee_fppa_deg": (knee_fppa_deg, "+ valgus"),
    "pelvic_drop_deg": (
        lambda p, s, f: contralateral_pelvic_drop_deg(pelvic_obliquity_deg(p, f), s),
        "+ opposite (swing-side) hip lower",
    ),
}
# Angles defined in stance only: the frontal-plane projection of a knee flexed 90-120 deg in
# swing, with the shank near horizontal, is degenerate; their curves are NaN after toe-off.
STANCE_ONLY = frozenset({"knee_fppa_deg"})


@dataclass(frozen=True)
class NormalizedCurves:
    """Every stride's angles over the gait cycle, before they are summarised: `angles`: name
    (CURVE_ANGLES order) -> side -> (n_strides, 101) deg; `toe_off_pct`: side -> the mean
    toe-off instant in % (None: none timed)."""

    toe_off_pct: Mapping[str, float | None]
    angles: Mapping[str, Mapping[str, np.ndarray]]


def normalized_curves(points: np.ndarray, fps: float, events: Events, forward) -> NormalizedCurves:
    """Each angle's (n_strides, 101) cycles per side and each side's mean toe-off %. A stride runs from a strike to the next strike of the same foot, never across an
    untimed strike (`skips_a_cycle`); strides with a NaN angle anywhere in them are left out
    (so n_strides can differ between angles). Angles in STANCE_ONLY are NaN after each
    stride's toe-off, and strides without a toe-off are left out of them. Samples between
    frames are linearly interpolated. `fps` is unused (times are in frames) but kept for a
    uniform signature."""
    points = np.asarray(points, float)
    frames = np.arange(len(points), dtype=float)
    toe_off_pct: dict[str, float | None] = {}
    angles: dict[str, dict[str, np.ndarray]] = {}
    spans: dict[
        str, list[tuple[float, float, float | None]]
    ] = {}  # side -> [(strike, next strike, first toe-off between them or None)]
    for side in SIDES:
        strikes = np.sort(np.asarray(events[side]["foot_strike"], float))
        toe_offs = np.sort(np.asarray(events[side]["toe_off"], float))
        other = np.asarray(events["right" if side == "left" else "left"]["foot_strike"], float)
        spans[side] = []
        for a, b in zip(strikes[:-1], strikes[1:]):
            if a >= 0 and b <= len(points) - 1 and not skips_a_cycle(a, b, other, toe_offs):
                inside = toe_offs[(toe_offs > a) & (toe_offs < b)]
                spans[side].append((a, b, inside[0] if inside.size else None))
        pct = [
            100.0 * (toe_off - a) / (b - a) for a, b, toe_off in spans[side] if toe_off is not None
        ]
        toe_off_pct[side] = float(np.mean(pct)) if pct else None
    for name, (function, _) in CURVE_ANGLES.items():
        angles[name] = {}
        for side in SIDES:
            series = function(points, side, forward)
            rows = []
            for a, b, toe_off in spans[side]:
                end = b
                if name in STANCE_ONLY:
                    if toe_off is None:
                        continue
                    end = toe_off
                lo, hi = int(np.floor(a)), int(np.ceil(end))
                if not np.isfinite(series[lo : hi + 1]).all():
                    continue
                t = a + (b - a) * CYCLE_PCT / 100.0
                row = np.interp(t, frames[lo : hi + 1], series[lo : hi + 1])
                rows.append(np.where(t <= end, row, np.nan))
            angles[name][side] = np.array(rows).reshape(-1, CYCLE_PCT.size)
    return NormalizedCurves(toe_off_pct=toe_off_pct, angles=angles)


@dataclass(frozen=True)
class CycleCurve:
    """One angle of one side over the normalized gait cycle: mean and SD over `n` strides at
    each of the 101 % (NaN where no stride, or for the SD one, has a value)."""

    n: int
    mean: np.ndarray  # (101,) deg
    sd: np.ndarray  # (101,) deg


@dataclass(frozen=True)
class CurveSummary:
    """Each angle's mean and SD over the gait cycle per side (`angles`: name -> side ->
    CycleCurve, in CURVE_ANGLES order) and each side's mean toe-off in % (None: not timed):
    what analyze stores and the report draws."""

    toe_off_pct: Mapping[str, float | None]
    angles: Mapping[str, Mapping[str, CycleCurve]]

    def to_dict(self) -> JsonObject:
        """Lists for arrays, None for NaN (the analysis file's `curves`)."""

        def values(array):
            return [float(v) if np.isfinite(v) else None for v in array]

        return {
            "toe_off_pct": dict(self.toe_off_pct),
            **{
                name: {
                    side: {"n": c.n, "mean": values(c.mean), "sd": values(c.sd)}
                    for side, c in per_side.items()
                }
                for name, per_side in self.angles.items()
            },
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> CurveSummary:
        def array(values):
            return np.array([np.nan if v is None else v for v in values], float)

        return cls(
            toe_off_pct=dict(data["toe_off_pct"]),
            angles={
                name: {
                    side: CycleCurve(int(block["n"]), array(block["mean"]), array(block["sd"]))
                    for side, block in data[name].items()
                }
                for name in CURVE_ANGLES
            },
        )


def curve_summary(curves: NormalizedCurves) -> CurveSummary:
    """From `normalized_curves`: each angle's mean and SD per side, and the toe-off instants."""
    angles: dict[str, dict[str, CycleCurve]] = {}
    for name in CURVE_ANGLES:
        angles[name] = {}
        for side in SIDES:
            cycles = curves.angles[name][side]
            mean, sd = cycle_mean_sd(cycles)
            angles[name][side] = CycleCurve(int(len(cycles)), mean, sd)
    return CurveSummary(toe_off_pct=dict(curves.toe_off_pct), angles=angles)


def curve_tables(summary: CurveSummary) -> dict[str, list[JsonObject]]:
    """{"<angle>_<side>": rows of cycle_pct, mean_deg, sd_deg, n_strides} from
    `curve_summary`: the DVC plots files of a trial (y = mean_deg). An angle with no
    complete stride on a side has empty mean/sd cells and n_strides 0."""
    tables = {}
    for name in CURVE_ANGLES:
        for side in SIDES:
            curve = summary.angles[name][side]
            tables[f"{name}_{side}"] = [
                {
                    "cycle_pct": float(pct),
                    "mean_deg": _cell(m),
                    "sd_deg": _cell(d),
                    "n_strides": curve.n,
                }
                for pct, m, d in zip(CYCLE_PCT, curve.mean, curve.sd)
            ]
    return tables


def cycle_mean_sd(cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample SD over strides at each % of the cycle, ignoring NaN (a stance-only
    angle after each stride's toe-off); NaN where no stride (or, for the SD, one) has a value."""
    finite = np.isfinite(cycles)
    count = finite.sum(axis=0)
    total = np.where(finite, cycles, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        squares = np.where(finite, (cycles - mean) ** 2, 0.0).sum(axis=0)
        sd = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
    return mean, sd


def _cell(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
