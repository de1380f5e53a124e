"""Joint-angle curves time-normalised to 0-100 % of the gait cycle (foot strike to the next
strike of the same foot), 101 samples, with each side's mean toe-off instant in %."""
from __future__ import annotations

import numpy as np

from pipeline.gait.angles import (SIDES, ankle_dorsiflexion_deg, contralateral_pelvic_drop_deg,
                                  hip_adduction_deg, hip_flexion_deg, knee_flexion_deg,
                                  knee_fppa_deg, pelvic_obliquity_deg, tibia_inclination_deg)

CYCLE_PCT = np.linspace(0.0, 100.0, 101)

# angle name -> (function(points, side, forward) -> (F,) deg, convention)
CURVE_ANGLES = {
    "knee_flexion_deg": (lambda p, s, f: knee_flexion_deg(p, s), "+ flexion, 0 = straight"),
    "hip_flexion_deg": (lambda p, s, f: hip_flexion_deg(p, s), "+ flexion, - extension"),
    "hip_adduction_deg": (lambda p, s, f: hip_adduction_deg(p, s), "+ adduction"),
    "ankle_dorsiflexion_deg": (ankle_dorsiflexion_deg, "+ dorsiflexion, - plantarflexion"),
    "tibia_inclination_deg": (tibia_inclination_deg, "+ knee ahead of ankle"),
    "knee_fppa_deg": (knee_fppa_deg, "+ valgus"),
    "pelvic_drop_deg": (lambda p, s, f: contralateral_pelvic_drop_deg(
        pelvic_obliquity_deg(p, f), s), "+ opposite (swing-side) hip lower"),
}


def normalized_curves(points: np.ndarray, fps: float, events: dict, forward) -> dict:
    """{angle: {side: (n_strides, 101) array}} plus "toe_off_pct": {side: mean toe-off % or
    None}. A stride runs from a strike to the next strike of the same foot; strides with a NaN
    angle anywhere in them are left out (so n_strides can differ between angles). Samples
    between frames are linearly interpolated. `fps` is unused (times are in frames) but kept
    for a uniform signature."""
    points = np.asarray(points, float)
    frames = np.arange(len(points), dtype=float)
    result: dict = {"toe_off_pct": {}}
    spans = {}
    for side in SIDES:
        strikes = np.sort(np.asarray(events[side]["foot_strike"], float))
        toe_offs = np.sort(np.asarray(events[side]["toe_off"], float))
        pairs = [(a, b) for a, b in zip(strikes[:-1], strikes[1:])
                 if a >= 0 and b <= len(points) - 1]
        spans[side] = pairs
        pct = []
        for a, b in pairs:
            inside = toe_offs[(toe_offs > a) & (toe_offs < b)]
            if inside.size:
                pct.append(100.0 * (inside[0] - a) / (b - a))
        result["toe_off_pct"][side] = float(np.mean(pct)) if pct else None
    for name, (function, _) in CURVE_ANGLES.items():
        result[name] = {}
        for side in SIDES:
            series = function(points, side, forward)
            rows = []
            for a, b in spans[side]:
                t = a + (b - a) * CYCLE_PCT / 100.0
                lo, hi = int(np.floor(a)), int(np.ceil(b))
                if not np.isfinite(series[lo:hi + 1]).all():
                    continue
                rows.append(np.interp(t, frames[lo:hi + 1], series[lo:hi + 1]))
            result[name][side] = np.array(rows).reshape(-1, CYCLE_PCT.size)
    return result
