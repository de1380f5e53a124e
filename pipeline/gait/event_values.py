"""Joint angles and distances read at one event of a stride (issue #26): at its strike (knee
flexion, tibia inclination) and at its toe-off (knee flexion, hip extension, ankle
plantarflexion, leg-trunk alignment, the knee off the ankle-hip line), each with its SD.

A value read at an event inherits the event's timing error through the curve's slope there
(stance_reader.StanceReader.at_timed). Where the events are aligned to the trial's mean event,
every strike (toe-off) of the trial also carries the one read on that mean
(event_timing.shared_read_sd): it moves each stride's read by its curve's slope times the same
shift, so it is added in quadrature to the stride's SD and carried apart as the part of that
SD all the trial's strides share (records.Stride.shared_uncertainty), which a side's mean
does not average out (summary.sd_of_mean).
"""

from __future__ import annotations

import math

from pipeline.gait.event_timing import shared_read_sd
from pipeline.gait.stance_reader import StanceReader

# metric -> (stance_reader curve, sign: hip extension and plantarflexion are the curves negated)
AT_STRIKE = {
    "knee_flexion_at_strike_deg": ("flexion", 1.0),
    "tibia_inclination_at_strike_deg": ("tibia", 1.0),
}
AT_TOE_OFF = {
    "knee_flexion_at_toe_off_deg": ("flexion", 1.0),
    "hip_extension_at_toe_off_deg": ("hip_flexion", -1.0),
    "ankle_plantarflexion_at_toe_off_deg": ("ankle", -1.0),
    "leg_trunk_alignment_at_toe_off_deg": ("alignment", 1.0),
    "knee_off_leg_line_at_toe_off_m": ("knee_off_line", 1.0),
}


def event_values(
    read: StanceReader,
    strike: float,
    toe_off: float,
    strike_sd: float,
    toe_off_sd: float,
    timing: dict | None,
) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """({metric: (value, SD)}, {metric: the SD's shared part}) of AT_STRIKE and AT_TOE_OFF for
    one stride; `strike_sd`, `toe_off_sd`: the events' own timing SDs (frames), `timing`:
    event_timing.event_timing_sd (None: events given, nothing shared)."""
    values: dict[str, tuple[float, float]] = {}
    shared: dict[str, float] = {}
    for table, frame, own_sd, name in (
        (AT_STRIKE, strike, strike_sd, "foot_strike"),
        (AT_TOE_OFF, toe_off, toe_off_sd, "toe_off"),
    ):
        common = shared_read_sd(timing, name)
        for metric, (curve, sign) in table.items():
            value, sd = read.at_timed(curve, frame, math.hypot(own_sd, common))
            values[metric] = (sign * value, sd)
            shared[metric] = abs(read.slope(curve, frame)) * common
    return values, shared
