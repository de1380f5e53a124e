"""Foot strikes and toe-offs from 3D keypoint heights (treadmill or overground, Z up).

Method, per foot:
1. Stance level of the heel and of the big toe: the median of the lowest 15 % of that
   keypoint's heights over the trial (a foot spends roughly a third of running on the ground,
   so these samples are stance samples; the median keeps pose noise from biasing it low).
2. Clearance = min(heel height - heel level, toe height - toe level): how far the lowest part
   of the foot is above where it rests in stance. Contact = clearance below a small threshold.
3. Contacts shorter than `min_contact_s` and flights shorter than `min_flight_s` are noise
   and are merged into their surroundings.
4. Sub-frame timing: the threshold crossing is located by linear interpolation, then moved
   along the local slope to where the clearance reaches zero (the crossing itself is early
   for a strike and late for a toe-off by threshold / speed), never past the first (strike)
   or last (toe-off) frame whose clearance is at or below zero.

Events are fractional frame indices. A contact cut by the start or end of the trial, or by
missing keypoints, yields only the events actually seen.
"""
from __future__ import annotations

import numpy as np

from pipeline.gait.angles import SIDES, UP, keypoint

STANCE_LEVEL_QUANTILE = 0.15
FLIGHT, CONTACT, UNKNOWN = 0, 1, -1


def detect_events(points: np.ndarray, fps: float, contact_threshold_m: float = 0.02,
                  min_contact_s: float = 0.06, min_flight_s: float = 0.03
                  ) -> dict[str, dict[str, np.ndarray]]:
    """{side: {"foot_strike": frames, "toe_off": frames}} from (F, 26, 3) keypoints."""
    events = {}
    for side in SIDES:
        clearance = foot_clearance(points, side)
        state = np.where(np.isfinite(clearance), (clearance < contact_threshold_m).astype(int),
                         UNKNOWN)
        state = _remove_short_runs(state, FLIGHT, CONTACT, round(min_flight_s * fps))
        state = _remove_short_runs(state, CONTACT, FLIGHT, round(min_contact_s * fps))
        events[side] = _edges_to_events(clearance, state, contact_threshold_m)
    return events


def foot_clearance(points: np.ndarray, side: str) -> np.ndarray:
    """Height of the lowest of heel and big toe above its own stance level, (F,) metres."""
    heights = [keypoint(points, f"{side}_{name}") @ UP for name in ("heel", "big_toe")]
    return np.minimum(*(h - _stance_level(h) for h in heights))


def _stance_level(height: np.ndarray) -> float:
    finite = height[np.isfinite(height)]
    if finite.size == 0:
        return np.nan
    return float(np.median(finite[finite <= np.quantile(finite, STANCE_LEVEL_QUANTILE)]))


def _runs(state: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, value) of each run of equal values."""
    change = np.flatnonzero(np.diff(state)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [state.size]])
    return [(int(a), int(b), int(state[a])) for a, b in zip(starts, stops)]


def _remove_short_runs(state: np.ndarray, value: int, fill: int, min_length: int) -> np.ndarray:
    """Relabel runs of `value` shorter than min_length, lying between two `fill` runs, as fill."""
    out = state.copy()
    runs = _runs(state)
    for i in range(1, len(runs) - 1):
        start, stop, v = runs[i]
        if v == value and stop - start < min_length and runs[i - 1][2] == runs[i + 1][2] == fill:
            out[start:stop] = fill
    return out


def _edges_to_events(clearance: np.ndarray, state: np.ndarray, threshold: float
                     ) -> dict[str, np.ndarray]:
    strikes, toe_offs = [], []
    runs = _runs(state)
    for i, (start, stop, value) in enumerate(runs):
        if value != CONTACT:
            continue
        grounded = np.flatnonzero(clearance[start:stop] <= 0.0) + start
        if i > 0 and runs[i - 1][2] == FLIGHT:
            latest = grounded[0] if grounded.size else stop - 1
            strikes.append(_crossing(clearance, start - 1, threshold, latest, strike=True))
        if i < len(runs) - 1 and runs[i + 1][2] == FLIGHT:
            earliest = grounded[-1] if grounded.size else start
            toe_offs.append(_crossing(clearance, stop - 1, threshold, earliest, strike=False))
    return {"foot_strike": np.array(strikes, float), "toe_off": np.array(toe_offs, float)}


def _crossing(clearance: np.ndarray, frame: int, threshold: float, bound: int, strike: bool
              ) -> float:
    """Time the clearance reaches zero near the threshold crossing between frame and frame+1."""
    before, after = clearance[frame], clearance[frame + 1]
    slope = after - before                      # metres per frame
    if slope == 0.0 or not (min(before, after) <= threshold <= max(before, after)):
        return float(frame + 1 if strike else frame)
    at_threshold = frame + (threshold - before) / slope
    at_zero = at_threshold - threshold / slope
    return float(min(at_zero, bound) if strike else max(at_zero, bound))
