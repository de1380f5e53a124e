"""Strides never cross frames that were not observed; cadence only from observed strides.

A stride is strike to next strike of one foot. When the runner leaves every camera's view
(or the feet drop out of the detection, or a sync segment fails) for longer than the event
detector bridges, no event can be found in the gap, so the strikes either side of it pair
up into one "stride" of two or more real ones (seen: frames 200-319 empty at 120 fps gave a
2,119 ms right stride, cadence 102 steps/min for a true 170). Here:
- a frame is observed when each foot has its heel or big toe measured in 3D (n_views > 0;
  without view counts: a finite position), the keypoints the events are found on;
- an unobserved run longer than MAX_UNOBSERVED_S (what the event detector bridges,
  gait/events.py FILL_GAP_S) is a gap;
- a stride whose stance (strike to toe-off) touches a gap is dropped ("stance_in_gap"); one
  whose stance is observed but whose swing to the next strike crosses a gap keeps its
  stance measures and loses the quantities spanning the gap: stride time, stride length,
  flight time ("split_at_gap");
- cadence comes from the intervals between consecutive strikes of opposite feet that do not
  cross a gap, and only when at least `min_strides` strides have an observed stride time (the
  minimum every other measure needs): a cadence from one stride is not reported.
The summary says how much of the trial the analysis used (`observation`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.core.trial_notes import ObservationSummary
from pipeline.gait.angles import SIDES
from pipeline.gait.records import Events, StrideDraft

MAX_UNOBSERVED_S = 0.05  # the event detector's linear bridging (events.FILL_GAP_S)
SPANNING = ("stride_time_ms", "stride_length_m", "flight_time_ms")


def observed_frames(points: np.ndarray, n_views: np.ndarray | None = None) -> np.ndarray:
    """(F,) bool: each foot has its heel or big toe measured (n_views > 0, else finite)."""
    seen = (
        np.asarray(n_views) > 0
        if n_views is not None
        else np.isfinite(np.asarray(points, float)).all(axis=-1)
    )
    feet = [
        seen[:, [INDEX[f"{side}_heel"], INDEX[f"{side}_big_toe"]]].any(axis=1) for side in SIDES
    ]
    return np.logical_and.reduce(feet)


def gaps(
    observed: np.ndarray, fps: float, max_unobserved_s: float = MAX_UNOBSERVED_S
) -> list[tuple[int, int]]:
    """[first, last] frames of each unobserved run longer than `max_unobserved_s`."""
    runs, start = [], None
    for k, seen in enumerate(list(np.asarray(observed, bool)) + [True]):
        if not seen and start is None:
            start = k
        elif seen and start is not None:
            if (k - start) / fps > max_unobserved_s:
                runs.append((start, k - 1))
            start = None
    return runs


def _touches(runs, a: float, b: float) -> bool:
    """Does any gap lie (partly) between fractional frames a and b?"""
    return any(first < b and last > a for first, last in runs)


def split_strides_at_gaps(
    strides: list[StrideDraft], runs: list[tuple[int, int]], fps: float
) -> tuple[list[StrideDraft], dict[str, int]]:
    """The strides with none crossing a gap, and the count of each reason (see module doc)."""
    kept, counts = [], {"stance_in_gap": 0, "split_at_gap": 0}
    for stride in strides:
        strike, toe_off = stride.strike_frame, stride.toe_off_frame
        if _touches(runs, strike - 1, toe_off + 1):
            counts["stance_in_gap"] += 1
            continue
        stride_time_ms = stride.values["stride_time_ms"]
        if stride_time_ms is not None:
            next_strike = strike + stride_time_ms * fps / 1000.0
            if _touches(runs, toe_off, next_strike + 1):
                stride = replace(stride, values={**stride.values, **dict.fromkeys(SPANNING)})
                counts["split_at_gap"] += 1
        kept.append(stride)
    for side in SIDES:  # renumbered per side, as metrics numbers them
        for i, stride in enumerate(s for s in kept if s.side == side):
            stride.index = i
    return kept, counts


def observed_cadence(
    events: Events,
    fps: float,
    runs: list[tuple[int, int]],
    strides: list[StrideDraft],
    min_strides: int,
) -> tuple[float | None, str | None]:
    """(steps per minute, None) or (None, why not): see the module doc."""
    timed = sum(1 for s in strides if s.values["stride_time_ms"] is not None)
    if timed < min_strides:
        return None, f"insufficient strides (n={timed}, need {min_strides})"
    cadence = step_rhythm_cadence(events, fps, runs)
    if cadence is None:
        return None, "no step between observed strikes of opposite feet"
    return cadence, None


# An event more than half a usual step from any whole number of steps after the last one kept
# is out of the rhythm (a false or doubled contact) and left out of the cadence fit: counted,
# it shifts every later event's step number by one or two and the slope with them (one false
# contact on a 40-stride treadmill trial moved cadence 5.7 steps/min; docs/metrics.md).
MAX_STEP_MISFIT = 0.5


def step_rhythm_cadence(
    events: Events, fps: float, runs: list[tuple[int, int]] | None = None
) -> float | None:
    """Steps per minute: the slope of every strike's and toe-off's time against its step
    number, one least-squares line with its own offset per event type and per stretch between
    gaps. A trial's events share an offset (where the detector puts a contact's edge) that
    the slope does not see, and each event counts, not only the first and last strike: on a
    2 s trial of 4-5 steps the rate between the first and last strike moves 1.5 steps/min
    per frame of either's error (docs/metrics.md). An event no whole number of steps reaches
    (MAX_STEP_MISFIT) is left out. None without a step of opposite feet between observed
    strikes."""
    runs = runs or []
    blocks = []
    for name in ("foot_strike", "toe_off"):
        timeline = sorted((float(t), side) for side in SIDES for t in events[side][name])
        stretch: list[tuple[float, str]] = []
        for event in timeline:
            if stretch and _touches(runs, stretch[-1][0], event[0]):
                blocks.append(stretch)
                stretch = []
            stretch.append(event)
        blocks.append(stretch)
    steps = [
        b - a
        for block in blocks
        for (a, sa), (b, sb) in zip(block, block[1:])
        if sa != sb and b > a
    ]
    if not steps:
        return None
    usual = float(np.median(steps))
    rows, times = [], []
    for j, block in enumerate(b for b in blocks if len(b) > 1):
        number, last = 0, block[0]
        rows.append((number, j))
        times.append(last[0])
        for event in block[1:]:
            steps_to, misfit = _steps_between(last, event, usual)
            if misfit > MAX_STEP_MISFIT:
                continue  # a false or doubled contact: no whole number of steps reaches it
            number += steps_to
            last = event
            rows.append((number, j))
            times.append(event[0])
    numbers = np.array([r[0] for r in rows], float)
    design = np.zeros((len(rows), 1 + max(r[1] for r in rows) + 1))
    design[:, 0] = numbers
    design[np.arange(len(rows)), 1 + np.array([r[1] for r in rows])] = 1.0
    slope = np.linalg.lstsq(design, np.asarray(times), rcond=None)[0][0]
    return float(60.0 * fps / slope) if slope > 0 else None


def _steps_between(a: tuple[float, str], b: tuple[float, str], usual: float) -> tuple[int, float]:
    """(steps, misfit) from event a to the next event b of the same type: an odd number
    between opposite feet, an even one between the same foot (an event not timed in between),
    the one nearest their interval in usual steps; misfit = |steps - interval / usual|."""
    ratio = (b[0] - a[0]) / usual
    odd = a[1] != b[1]
    candidates = range(1 if odd else 2, max(int(np.ceil(ratio)) + 2, 3), 2)
    steps = min(candidates, key=lambda n: abs(n - ratio))
    return steps, abs(steps - ratio)


def observation_summary(
    observed: np.ndarray,
    runs: list[tuple[int, int]],
    fps: float,
    strides: list[StrideDraft],
    counts: dict[str, int],
) -> ObservationSummary:
    """How much of the trial the analysis used (summary `observation`)."""
    n = len(observed)
    used = np.zeros(n, bool)
    for s in strides:
        stride_time_ms = s.values["stride_time_ms"]
        end = (
            s.toe_off_frame
            if stride_time_ms is None
            else (s.strike_frame + stride_time_ms * fps / 1000.0)
        )
        used[int(np.floor(s.strike_frame)) : int(np.ceil(end)) + 1] = True
    return ObservationSummary(
        observed_share=float(np.mean(observed)) if n else 0.0,
        analysed_share=float(np.mean(used)) if n else 0.0,
        gaps_s=tuple((first / fps, (last + 1) / fps) for first, last in runs),
        strides_dropped_in_gaps=counts["stance_in_gap"],
        strides_split_at_gaps=counts["split_at_gap"],
    )
