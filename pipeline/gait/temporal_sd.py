"""SDs of a stride's temporal metrics, propagated from its events' timing SDs (issue #26).

Each detected event has a timing SD (gait/event_timing.py, frames) from the 3D's per-point
SDs. Events at different instants are timed from different frames, so their errors are
taken as independent: a difference of two events has the SD of both in quadrature, and a
ratio (duty factor) adds the terms of its three events by the delta method. Where the
events are aligned to the trial's mean event, all strikes (toe-offs) of the trial also share
the error of the read on that mean (event_timing.shared_read_sd): it cancels in a same-type
interval (stride time, treadmill stride length) but not in contact or flight time, which mix
a strike and a toe-off, so there both types' shared SDs are added in quadrature; in the duty
factor a shift of both strikes moves contact / stride by -shift / stride, of the toe-off by
+shift / stride. Unknown where an event's SD is unknown (NaN) or the events were given (no
detected timing): None, never 0.
"""

from __future__ import annotations

import math

from pipeline.gait.event_timing import shared_read_sd, timing_sd_of

TEMPORAL_SD_METRICS = (
    "ground_contact_time_ms",
    "flight_time_ms",
    "stride_time_ms",
    "stride_length_m",
    "duty_factor",
)


def _unknown(*sds: float | None) -> bool:
    return any(sd is None or not math.isfinite(sd) for sd in sds)


def interval_sd_ms(
    start_sd: float | None, end_sd: float | None, fps: float, shared_sd: float = 0.0
) -> float | None:
    """SD (ms) of the time between two independent events with timing SDs in frames, plus
    `shared_sd` (frames): the shared reads' SD where the two are of different types."""
    if start_sd is None or end_sd is None or _unknown(start_sd, end_sd, shared_sd):
        return None
    return math.hypot(start_sd, end_sd, shared_sd) / fps * 1000.0


def duty_factor_sd(
    contact_frames: float,
    stride_frames: float,
    strike_sd: float | None,
    toe_off_sd: float | None,
    next_strike_sd: float | None,
    shared_sd: float = 0.0,
) -> float | None:
    """SD of contact / stride = (toe-off - strike) / (next strike - strike) by the delta
    method; the strike is in both, so its term is (stride - contact) / stride^2. `shared_sd`
    (frames): both types' shared reads in quadrature, a term shared_sd / stride."""
    if strike_sd is None or toe_off_sd is None or next_strike_sd is None:
        return None
    if _unknown(strike_sd, toe_off_sd, next_strike_sd, shared_sd) or not stride_frames > 0:
        return None
    t, c = stride_frames, contact_frames
    return math.sqrt(
        (toe_off_sd / t) ** 2
        + (c * next_strike_sd / t**2) ** 2
        + ((t - c) * strike_sd / t**2) ** 2
        + (shared_sd / t) ** 2
    )


def temporal_uncertainty(
    timing: dict | None,
    side: str,
    strike: float,
    toe_off: float,
    next_strike: float,
    next_other,
    fps: float,
    belt_speed_mps: float | None = None,
) -> dict[str, float | None]:
    """{metric: SD or None} of one stride of `side`'s TEMPORAL_SD_METRICS. `timing`:
    event_timing.event_timing_sd of the detected events (None: events given, their timing
    error unknown here, so no SD rather than 0). `next_strike` inf when not timed;
    `next_other`: the other foot's strikes after `strike`; the first ends the flight when it
    comes before `next_strike` (as metrics measures the flight).
    The caller keeps an SD only where its value exists (records.StrideDraft.stride)."""
    out: dict[str, float | None] = dict.fromkeys(TEMPORAL_SD_METRICS)
    if timing is None:
        return out
    other = "right" if side == "left" else "left"
    strike_sd = timing_sd_of(timing, side, "foot_strike", strike)
    toe_off_sd = timing_sd_of(timing, side, "toe_off", toe_off)
    shared = _strike_and_toe_off_shared(timing)
    out["ground_contact_time_ms"] = interval_sd_ms(strike_sd, toe_off_sd, fps, shared)
    if len(next_other) and next_other[0] < next_strike:
        out["flight_time_ms"] = interval_sd_ms(
            toe_off_sd, timing_sd_of(timing, other, "foot_strike", next_other[0]), fps, shared
        )
    if math.isfinite(next_strike):
        next_sd = timing_sd_of(timing, side, "foot_strike", next_strike)
        stride_sd = interval_sd_ms(strike_sd, next_sd, fps)
        out["stride_time_ms"] = stride_sd
        if stride_sd is not None and belt_speed_mps is not None:
            # treadmill stride length = belt speed x stride time; overground it is the
            # foot's travel, a 3D distance this module does not propagate
            out["stride_length_m"] = abs(belt_speed_mps) * stride_sd / 1000.0
        out["duty_factor"] = duty_factor_sd(
            toe_off - strike, next_strike - strike, strike_sd, toe_off_sd, next_sd, shared
        )
    return out


def temporal_shared_sd(
    timing: dict | None,
    strike: float,
    next_strike: float,
    next_other,
    fps: float,
) -> dict[str, float | None]:
    """{metric: the part of temporal_uncertainty's SD that all strides of the trial share}:
    the shared reads' term of contact and flight time and duty factor (none in a same-type
    interval); {} without detected timing or where the shared reads' SD is unknown."""
    if timing is None:
        return {}
    shared = _strike_and_toe_off_shared(timing)
    if not math.isfinite(shared):
        return {}
    out: dict[str, float | None] = {"ground_contact_time_ms": shared / fps * 1000.0}
    if len(next_other) and next_other[0] < next_strike:
        out["flight_time_ms"] = shared / fps * 1000.0
    if math.isfinite(next_strike) and next_strike > strike:
        out["duty_factor"] = shared / (next_strike - strike)
    return out


def _strike_and_toe_off_shared(timing: dict | None) -> float:
    """SD (frames) of the shared reads in an interval from a strike to a toe-off: both feet's
    strikes share one read, as do their toe-offs (events.py pools them); 0 without timing."""
    return math.hypot(shared_read_sd(timing, "foot_strike"), shared_read_sd(timing, "toe_off"))
