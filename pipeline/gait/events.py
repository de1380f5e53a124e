"""Foot strikes and toe-offs from 3D keypoint heights (treadmill or overground, Z up).

Kinematic event detection from the vertical trajectories of the foot keypoints, the family
of methods reviewed in `../shared/reference/gait-metrics.md` ("Frames and events": heel or
foot vertical position / velocity for the strike, toe height and velocity for the toe-off;
Fellin 2010, Handsaker 2016). Only heights are used: the stance foot moves backward at belt
speed on a treadmill and stands still overground, so horizontal velocity would need both
cases; the height above the floor behaves the same in both.

Per foot:
1. Stance level of the heel and of the big toe: the median of the lowest 15 % of that
   keypoint's low-passed heights (keypoints sit above the floor by an unknown, person- and
   detector-dependent amount, so the floor height itself is not used).
2. Coarse contacts: the heights are low-passed (2nd-order Butterworth run forward and back,
   `cutoff_hz`, clamped below Nyquist; Winter 2009 for kinematic data). Clearance =
   min over the two keypoints of (height - level); contact when it falls below
   `contact_threshold_m`, flight when it rises above twice that (hysteresis), contacts
   shorter than `min_contact_s` and flights shorter than `min_flight_s` merged away.
3. Refinement, on the raw (unfiltered) heights: a foot meets the ground along a smooth
   path whose vertical speed may be finite (heel impact) or nearly zero (a heel lowered
   onto the floor), so a threshold crossing is early by threshold / speed and filtering
   rounds the corner further. Near the event the height of the first keypoint down (strike)
   or the last one up (toe-off) is fitted by least squares, over `fit_window_s` either side,
   with h = L + a s + b s^2 on the flight side (s = time from the event, a, b >= 0) and
   h = L on the ground side; the event time is the best of a sub-frame grid of candidates.
   The fit uses every sample around the corner, so noise averages out instead of deciding
   which frame first passes a threshold, and a free local level L absorbs level error.
   Only samples less than STRIKE_FIT_CAP_M / TOE_OFF_FIT_CAP_M above the level are fitted
   (the Taylor model holds near contact only). Known limit: strikes stay ~0.5 frame early
   at 120 fps on the synthetic runner (docs/metrics.md, tests/test_gait_events.py).

Events are fractional frame indices. A contact cut by the start or end of the trial, or by
missing keypoints, yields only the events actually seen.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, filtfilt

from pipeline.gait.angles import SIDES, UP, keypoint

FOOT = ("heel", "big_toe")
STANCE_LEVEL_QUANTILE = 0.15
FLIGHT, CONTACT, UNKNOWN = 0, 1, -1
GRID_STEP = 0.05          # frames, sub-frame resolution of the event fit
# Heights (above the stance level) the corner model is fitted to: the touchdown of the heel
# is quadratic only in its last ~15 mm; the toe leaves quadratically over more.
STRIKE_FIT_CAP_M, TOE_OFF_FIT_CAP_M = 0.015, 0.025


def detect_events(points: np.ndarray, fps: float, contact_threshold_m: float = 0.01,
                  min_contact_s: float = 0.06, min_flight_s: float = 0.03,
                  cutoff_hz: float = 12.0, fit_window_s: float = 0.04
                  ) -> dict[str, dict[str, np.ndarray]]:
    """{side: {"foot_strike": frames, "toe_off": frames}} from (F, 26, 3) keypoints."""
    events = {}
    for side in SIDES:
        raw = np.stack([keypoint(points, f"{side}_{name}") @ UP for name in FOOT])   # (2, F)
        smooth = np.stack([lowpass(h, fps, cutoff_hz) for h in raw])
        above = smooth - np.array([_stance_level(h) for h in smooth])[:, None]
        clearance = above.min(axis=0)
        state = _hysteresis(clearance, contact_threshold_m, 2 * contact_threshold_m)
        state = _remove_short_runs(state, FLIGHT, CONTACT, round(min_flight_s * fps))
        state = _remove_short_runs(state, CONTACT, FLIGHT, round(min_contact_s * fps))
        half = max(3, int(round(fit_window_s * fps)))
        strikes, toe_offs = [], []
        runs = _runs(state)
        for i, (start, stop, value) in enumerate(runs):
            if value != CONTACT:
                continue
            if i > 0 and runs[i - 1][2] == FLIGHT:
                edges = [_first_below(a, start, stop, contact_threshold_m) for a in above]
                k = int(np.argmin(edges))
                strikes.append(_fit_event(raw[k], above[k], int(edges[k]), half,
                                          STRIKE_FIT_CAP_M, True))
            if i < len(runs) - 1 and runs[i + 1][2] == FLIGHT:
                edges = [_last_below(a, start, stop, contact_threshold_m) for a in above]
                k = int(np.argmax(edges))
                toe_offs.append(_fit_event(raw[k], above[k], int(edges[k]), half,
                                           TOE_OFF_FIT_CAP_M, False))
        events[side] = {"foot_strike": np.array([t for t in strikes if np.isfinite(t)]),
                        "toe_off": np.array([t for t in toe_offs if np.isfinite(t)])}
    return events


def lowpass(height: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """Zero-lag Butterworth low-pass of each finite run; runs too short to filter stay raw."""
    b, a = butter(2, min(cutoff_hz, 0.45 * fps) / (0.5 * fps))
    out = height.astype(float).copy()
    finite = np.isfinite(out).astype(int)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite, [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        if stop - start > 3 * max(len(a), len(b)):
            out[start:stop] = filtfilt(b, a, out[start:stop])
    return out


def _stance_level(height: np.ndarray) -> float:
    finite = height[np.isfinite(height)]
    if finite.size == 0:
        return np.nan
    return float(np.median(finite[finite <= np.quantile(finite, STANCE_LEVEL_QUANTILE)]))


def _first_below(above, start, stop, threshold) -> float:
    hit = np.flatnonzero(above[start:stop] < threshold)
    return start + hit[0] if hit.size else np.inf


def _last_below(above, start, stop, threshold) -> float:
    hit = np.flatnonzero(above[start:stop] < threshold)
    return start + hit[-1] if hit.size else -np.inf


def _hysteresis(clearance: np.ndarray, low: float, high: float) -> np.ndarray:
    """CONTACT below `low`, FLIGHT above `high`, the previous state in between, UNKNOWN at NaN
    (and before the first decided sample)."""
    decided = np.where(clearance < low, CONTACT, np.where(clearance > high, FLIGHT, UNKNOWN))
    finite = np.isfinite(clearance)
    idx = np.where((decided != UNKNOWN) | ~finite, np.arange(clearance.size), 0)
    state = decided[np.maximum.accumulate(idx)]
    return np.where(finite, state, UNKNOWN)


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


def _fit_event(height: np.ndarray, above: np.ndarray, edge: int, half: int, cap: float,
               strike: bool) -> float:
    """Event time (frames) near `edge` from the corner fit of the module docstring, on the
    samples within 2 * half of edge that are (with edge) less than `cap` above the stance
    level; NaN when that stretch is cut by a gap or the trial's ends."""
    lo, hi = edge - 2 * half, edge + 2 * half + 1
    if lo < 0 or hi > height.size or not np.isfinite(height[lo:hi]).all():
        return np.nan
    low = above[lo:hi] <= cap
    rel = edge - lo
    first = rel - np.argmin(low[rel::-1]) + 1 if not low[:rel + 1].all() else 0
    last = rel + np.argmin(low[rel:]) if not low[rel:].all() else low.size
    frames = np.arange(lo + first, lo + last, dtype=float)
    y = height[lo + first:lo + last]
    grid = np.arange(max(edge - half, frames[0]), min(edge + half, frames[-1]) + GRID_STEP / 2,
                     GRID_STEP)
    s = np.maximum((grid[:, None] - frames[None]) * (1 if strike else -1), 0.0) / half
    design = np.stack([np.ones_like(s), s, s * s], axis=-1)          # (G, N, 3)
    best = np.full(grid.size, np.inf)
    for cols in ([0, 1, 2], [0, 1], [0, 2], [0]):                  # a, b >= 0: active sets
        X = design[..., cols]
        coef = np.einsum("gij,j->gi", np.linalg.pinv(X), y)
        ok = (coef[:, 1:] >= 0).all(axis=1)
        sse = ((np.einsum("gnj,gj->gn", X, coef) - y) ** 2).sum(axis=1)
        best = np.where(ok & (sse < best), sse, best)
    return float(grid[np.argmin(best)])
