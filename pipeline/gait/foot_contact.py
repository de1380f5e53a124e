"""One foot's contact with the floor, frame by frame: the cue heights (heel and the shoe's
tip), gross keypoint errors removed and short gaps bridged, the stance level, and the contact
state from height and ground speed (steps 0-2 of the method in events.py, which times the
events on these states)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, filtfilt

from pipeline.core.skeleton import INDEX
from pipeline.gait.angles import UP, keypoint
from pipeline.gait.swaps import swapped_frames

FOOT = ("heel", "big_toe")
ALIGN_EXTRA = ("ankle", "small_toe")
STANCE_LEVEL_QUANTILE = 0.15
FLIGHT, CONTACT, UNKNOWN = 0, 1, -1
# (at 0.1-0.3 mm noise-free strikes of a 3 m/s runner took the speed term and came 1.4 frames early)
# The toe keypoint sits on the toe box behind and above the shoe's tip; it rises as the foot
# rolls over the tip, so its own height leaves the floor 30-45 ms before the tip does (real
# running against force plates, docs/metrics.md). The toe cue is the point this far ahead of
# it along the heel -> toe line, which stays down while the foot pivots about the tip.
TOE_TIP_AHEAD_M = 0.04
# A foot keypoint moving with the ground (the belt's velocity on a treadmill, still overground)
# within this speed and this close to its stance level is in contact even when a height alone
# says not (a contact level that changes between steps, a heel already raised).
CONTACT_SPEED_MPS = 0.5
SPEED_CONTACT_CLEARANCE_M = 0.03
OUTLIER_MIN_M = 0.05  # foot segment length change that marks a keypoint as an outlier
FILL_GAP_S = 0.05  # gaps (NaN or outlier) up to this long are bridged linearly


@dataclass
class FootState:
    """One foot's cue heights and contact state (foot_state); `state` is revised in place
    (undo_swapped_runs) or replaced (merge_unsupported_flights) by the event detector."""

    raw: np.ndarray  # (2, F) cue heights, gap-filled
    above: np.ndarray  # (2, F) low-passed, above the stance level
    near: np.ndarray  # (2, F) above, with the speed test's contacts at or below 0
    state: np.ndarray  # (F,) CONTACT / FLIGHT
    seen: np.ndarray  # heights the events are aligned on, NaN where not triangulated
    noise: float  # robust SD of raw minus low-passed heights in contact (m)


def foot_state(
    points, side, fps, threshold, min_contact_s, min_flight_s, cutoff_hz, toe_tip_ahead_m, observed
) -> FootState:
    """One foot's cue heights (raw, seen-only, low-passed above the stance level), contact
    state per frame and height noise (robust SD of raw minus low-passed heights in contact)."""
    cues = foot_cues(points, side, toe_tip_ahead_m)  # (2, F, 3)
    unknown = foot_outliers(points, side) | swapped_frames(points, fps)[None]
    cues = np.where(unknown[..., None], np.nan, cues)
    # heights the events are aligned on (event_template.py): the two cues, then the other foot
    # keypoints, which move with them and add their own independent errors to average
    extra = np.stack([keypoint(points, f"{side}_{name}") @ UP for name in ALIGN_EXTRA])
    seen = np.concatenate([cues @ UP, extra])
    if observed is not None:
        both = observed[:, [INDEX[f"{side}_{name}"] for name in FOOT]]
        unseen = [~both[:, 0], ~both.all(axis=1)]  # the tip needs both
        unseen += [~observed[:, INDEX[f"{side}_{name}"]] for name in ALIGN_EXTRA]
        seen = np.where(np.stack(unseen), np.nan, seen)
    cues = np.stack(
        [[fill_gaps(c, int(round(FILL_GAP_S * fps))) for c in cue.T] for cue in cues]
    ).transpose(0, 2, 1)
    raw = cues @ UP  # (2, F)
    smooth = np.stack([lowpass(h, fps, cutoff_hz) for h in raw])
    above = smooth - np.array([stance_level(h) for h in smooth])[:, None]
    moving = speed_off_ground(cues, above, fps, cutoff_hz, threshold)
    with np.errstate(invalid="ignore"):
        grounded = (above < SPEED_CONTACT_CLEARANCE_M) & (moving < CONTACT_SPEED_MPS)
    near = np.where(grounded, np.minimum(above, 0.0), above)  # per cue, speed included
    clearance = np.fmin(above.min(axis=0), near.min(axis=0))
    state = hysteresis(clearance, threshold, 2 * threshold)
    state = remove_short_runs(state, FLIGHT, CONTACT, round(min_flight_s * fps))
    state = remove_short_runs(state, CONTACT, FLIGHT, round(min_contact_s * fps))
    residual = (raw - smooth)[:, state == CONTACT]
    residual = residual[np.isfinite(residual)]
    noise = 1.4826 * float(np.median(np.abs(residual))) if residual.size else np.nan
    return FootState(raw=raw, above=above, near=near, state=state, seen=seen, noise=noise)


def undo_swapped_runs(state: np.ndarray, other: np.ndarray) -> None:
    """In place: a left/right swap of the detector that survives triangulation shows as a
    short flight of one foot inside its stance overlapping a short contact of the other foot
    inside its swing. Short: under half that foot's typical contact (the upper quartile of its
    contacts: the split pieces of stances must not make "typical" short). A real swing
    outlasts a stance and a real stance is not half the others, so a real pair never
    qualifies. Such a pair goes back to stance / swing."""

    def inner(runs, value, around):
        return [
            (a, b)
            for i, (a, b, v) in enumerate(runs)
            if 0 < i < len(runs) - 1 and v == value and runs[i - 1][2] == runs[i + 1][2] == around
        ]

    runs, other_runs = runs_of(state), runs_of(other)
    stance = [b - a for a, b, v in runs if v == CONTACT]
    other_stance = [b - a for a, b, v in other_runs if v == CONTACT]
    if not stance or not other_stance:
        return
    for start, stop in inner(runs, FLIGHT, CONTACT):
        for other_start, other_stop in inner(other_runs, CONTACT, FLIGHT):
            overlap = min(stop, other_stop) - max(start, other_start)
            if (
                overlap >= 0.5 * min(stop - start, other_stop - other_start)
                and stop - start < 0.5 * np.percentile(stance, 75)
                and other_stop - other_start < 0.5 * np.percentile(other_stance, 75)
            ):
                state[start:stop] = CONTACT
                other[other_start:other_stop] = FLIGHT


def merge_unsupported_flights(state: np.ndarray, other: np.ndarray) -> np.ndarray:
    """A flight of one foot between two of its contacts during which the other foot never
    touches the floor is not a step: in running (and walking) the other foot lands while this
    one swings. It is noise splitting a stance, and becomes contact. Left as is where the
    other foot's state is unknown there."""
    out = state.copy()
    runs = runs_of(state)
    for i in range(1, len(runs) - 1):
        start, stop, value = runs[i]
        if (
            value == FLIGHT
            and runs[i - 1][2] == runs[i + 1][2] == CONTACT
            and not (other[start:stop] == CONTACT).any()
            and (other[start:stop] == FLIGHT).all()
        ):
            out[start:stop] = CONTACT
    return out


def foot_cues(
    points: np.ndarray, side: str, toe_tip_ahead_m: float = TOE_TIP_AHEAD_M
) -> np.ndarray:
    """(2, F, 3): the heel, and the toe tip (`toe_tip_ahead_m` ahead of the big-toe keypoint
    along the heel -> toe line), the two points of the foot that touch the floor."""
    heel = keypoint(points, f"{side}_heel")
    toe = keypoint(points, f"{side}_big_toe")
    along = toe - heel
    with np.errstate(invalid="ignore"):
        along = along / np.linalg.norm(along, axis=-1, keepdims=True)
    return np.stack([heel, toe + toe_tip_ahead_m * along])


def speed_off_ground(
    cues: np.ndarray, above: np.ndarray, fps: float, cutoff_hz: float, threshold: float
) -> np.ndarray:
    """(2, F) horizontal speed of each cue point relative to the ground, m/s: the ground's
    velocity is the median horizontal velocity of the cue points while they are at their
    stance level (the belt on a treadmill, ~0 overground), so no belt speed is needed."""
    horizontal = np.stack([horizontal_velocity(cue, fps, cutoff_hz) for cue in cues])  # (2, F, 3)
    with np.errstate(invalid="ignore"):
        low = above < threshold
    samples = horizontal[low]
    samples = samples[np.isfinite(samples).all(axis=1)]
    ground = np.median(samples, axis=0) if len(samples) else np.zeros(3)
    return np.linalg.norm(horizontal - ground[None, None, :], axis=2)


def horizontal_velocity(point: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """(F, 3) low-passed velocity (m/s) of a (F, 3) point with its vertical part removed."""
    smooth = np.stack([lowpass(c, fps, cutoff_hz) for c in point.T], axis=1)
    velocity = np.gradient(smooth, axis=0) * fps
    return velocity - (velocity @ UP)[:, None] * UP[None]


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


def stance_level(height: np.ndarray) -> float:
    finite = height[np.isfinite(height)]
    if finite.size == 0:
        return np.nan
    return float(np.median(finite[finite <= np.quantile(finite, STANCE_LEVEL_QUANTILE)]))


def hysteresis(clearance: np.ndarray, low: float, high: float) -> np.ndarray:
    """CONTACT below `low`, FLIGHT above `high`, the previous state in between, UNKNOWN at NaN
    (and before the first decided sample)."""
    decided = np.where(clearance < low, CONTACT, np.where(clearance > high, FLIGHT, UNKNOWN))
    finite = np.isfinite(clearance)
    idx = np.where((decided != UNKNOWN) | ~finite, np.arange(clearance.size), 0)
    state = decided[np.maximum.accumulate(idx)]
    return np.where(finite, state, UNKNOWN)


def runs_of(state: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, value) of each run of equal values."""
    change = np.flatnonzero(np.diff(state)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [state.size]])
    return [(int(a), int(b), int(state[a])) for a, b in zip(starts, stops)]


def remove_short_runs(state: np.ndarray, value: int, fill: int, min_length: int) -> np.ndarray:
    """Relabel runs of `value` shorter than min_length, lying between two `fill` runs, as fill;
    one lying between a `fill` run and an UNKNOWN one as UNKNOWN (its other edge is not seen,
    so neither it nor an event at its seen edge is known: the few frames after a foot swap
    left out, swaps.py, read as a contact in the swing and made a false toe-off)."""
    out = state.copy()
    runs = runs_of(state)
    for i in range(1, len(runs) - 1):
        start, stop, v = runs[i]
        if v != value or stop - start >= min_length:
            continue
        around = {runs[i - 1][2], runs[i + 1][2]}
        if around == {fill}:
            out[start:stop] = fill
        elif around == {fill, UNKNOWN}:
            out[start:stop] = UNKNOWN
    return out


def foot_outliers(points: np.ndarray, side: str) -> np.ndarray:
    """(2, F) bool for FOOT: the keypoint's distances to both other foot keypoints (heel, big
    toe, ankle: a rigid foot) are off their trial medians by more than the outlier limit."""
    names = FOOT + ("ankle",)
    p = [keypoint(points, f"{side}_{name}") for name in names]
    off = {}
    for i in range(3):
        for j in range(i + 1, 3):
            d = np.linalg.norm(p[i] - p[j], axis=1)
            off[i, j] = off[j, i] = np.zeros(d.size, bool)  # NaN distances: not an outlier
            if np.isfinite(d).any():
                dev = np.abs(d - np.nanmedian(d))
                limit = max(OUTLIER_MIN_M, 6 * 1.4826 * np.nanmedian(dev))
                with np.errstate(invalid="ignore"):
                    off[i, j] = off[j, i] = dev > limit
    return np.stack([off[0, 1] & off[0, 2], off[1, 0] & off[1, 2]])


def fill_gaps(height: np.ndarray, max_gap: int) -> np.ndarray:
    """Linear bridge over NaN runs of at most max_gap samples with data on both sides."""
    out = height.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.isnan(height).astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        if start > 0 and stop < height.size and stop - start <= max_gap:
            out[start:stop] = np.interp(
                np.arange(start, stop), [start - 1, stop], [height[start - 1], height[stop]]
            )
    return out
