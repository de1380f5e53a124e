"""Each detected event's timing SD (frames), from the same per-point SDs the metrics'
uncertainties are propagated from: a value read at an event, or at a phase of the stance
the events bound, inherits the event's timing error through the curve's slope there.

The SD is the event screen's Cramer-Rao timing SD (event_screen.timing_sd_per_px: the height
SD of the point an event is timed from over the foot's vertical speed through the corner fit)
with the points' vertical SDs in metres instead of per px, so it comes out in seconds. A
strike is timed from the heel, a toe-off from the shoe's tip (events.py); where the detector
timed one from the other cue the SD is that of the usual cue.

Where the events are aligned to the trial's mean event (event_template.py), all events of one
type also share the error of the corner read on that mean: its SD (the read's bootstrap SD
over the events, event_template.read_sd) is carried apart from the per-event SDs, under
SHARED, so that it is added where it does not cancel (shared_read_sd): in an interval from a
strike to a toe-off, in a value read at one strike, not in a stride time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from pipeline.gait.event_screen import cue_heights, timing_sd_per_px
from pipeline.gait.foot_contact import TOE_TIP_AHEAD_M

CUE = {"foot_strike": 0, "toe_off": 1}  # heel, tip (event_screen.cue_heights)
SHARED = "shared_read"  # timing key of {event name: SD (frames) its aligned events share}
Timing = TypeVar("Timing")  # the timing SD(s) a read takes: one event's, or several events'
Read = TypeVar("Read", float, tuple[float, float])  # a read's SD, or its (value, SD)


def event_timing_sd(
    points: np.ndarray,
    fps: float,
    point_sd: np.ndarray,
    events: dict,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
    read_sd: dict[str, float] | None = None,
) -> dict:
    """{side: {event name: {event frame: timing SD in frames}}, SHARED: {event name: SD}} of
    `events` detected on `points` (F, 26, 3); `point_sd` (F, 26, 3, metres). NaN where the
    cue's height or its SD is unknown around the event. `read_sd`: the shared read's SD per
    event type (events.detect_events_and_read_sd; None: unknown, NaN)."""
    vertical_sd = np.asarray(point_sd, float)[..., 2]
    out: dict = {}
    for side, named in events.items():
        heights = cue_heights(points, fps, side, toe_tip_ahead_m)
        out[side] = {
            name: {
                float(t): fps
                * timing_sd_per_px(
                    points,
                    fps,
                    vertical_sd,
                    side,
                    name,
                    float(t),
                    CUE[name],
                    toe_tip_ahead_m=toe_tip_ahead_m,
                    heights=heights,
                )
                for t in np.asarray(times, float).ravel()
            }
            for name, times in named.items()
        }
    out[SHARED] = {name: np.nan if read_sd is None else float(read_sd[name]) for name in CUE}
    return out


def timing_sd_of(timing: dict | None, side: str, name: str, frame: float) -> float:
    """An event's timing SD (frames); 0 when events were given (not detected), NaN unknown."""
    if timing is None:
        return 0.0
    return float(timing[side][name].get(float(frame), np.nan))


def shared_read_sd(timing: dict | None, name: str) -> float:
    """The SD (frames) all detected events of type `name` share (SHARED); 0 when events were
    given or each was timed on its own, NaN unknown."""
    if timing is None:
        return 0.0
    return float(timing.get(SHARED, {}).get(name, np.nan))


def shared_part(sd: float | None, alone_sd: float | None) -> float | None:
    """The part of a read's SD `sd` that all the trial's strides share: what the same read's
    SD without the shared reads (`alone_sd`) lacks, in quadrature; None where either is
    unknown."""
    if sd is None or alone_sd is None or not (np.isfinite(sd) and np.isfinite(alone_sd)):
        return None
    return float(np.sqrt(max(sd**2 - alone_sd**2, 0.0)))


def read_with_shared_part(
    read: Callable[[Timing], Read], timing_sd: Timing, alone_timing_sd: Timing
) -> tuple[Read, float | None]:
    """(read(timing_sd), the part of its SD all the trial's strides share). `read` maps its
    events' timing SDs (frames) to a value's SD, or to its (value, SD); `timing_sd` includes the
    trial's shared reads (SHARED), `alone_timing_sd` leaves them out, and the shared part is
    what the SD read at the latter lacks (shared_part)."""
    result = read(timing_sd)
    return result, shared_part(_sd_of(result), _sd_of(read(alone_timing_sd)))


def _sd_of(read: float | tuple[float, float]) -> float:
    return read[1] if isinstance(read, tuple) else read
