"""Each detected event's timing SD (frames), from the same per-point SDs the metrics'
uncertainties are propagated from: a value read at an event, or at a phase of the stance
the events bound, inherits the event's timing error through the curve's slope there.

The SD is the event screen's Cramer-Rao timing SD (event_screen.timing_sd_per_px: the height
SD of the point an event is timed from over the foot's vertical speed through the corner fit)
with the points' vertical SDs in metres instead of per px, so it comes out in seconds. A
strike is timed from the heel, a toe-off from the shoe's tip (events.py); where the detector
timed one from the other cue the SD is that of the usual cue.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.event_screen import cue_heights, timing_sd_per_px
from pipeline.gait.foot_contact import TOE_TIP_AHEAD_M

CUE = {"foot_strike": 0, "toe_off": 1}  # heel, tip (event_screen.cue_heights)


def event_timing_sd(
    points: np.ndarray,
    fps: float,
    point_sd: np.ndarray,
    events: dict,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
) -> dict:
    """{side: {event name: {event frame: timing SD in frames}}} of `events` detected on
    `points` (F, 26, 3); `point_sd` (F, 26, 3, metres). NaN where the cue's height or its
    SD is unknown around the event."""
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
    return out


def timing_sd_of(timing: dict | None, side: str, name: str, frame: float) -> float:
    """An event's timing SD (frames); 0 when events were given (not detected), NaN unknown."""
    if timing is None:
        return 0.0
    return float(timing[side][name].get(float(frame), np.nan))
