"""Bounce and timing per stride (issue #29): vertical oscillation, vertical ratio, step length,
duty factor; treadmill and overground alike.

- vertical_oscillation_m: highest minus lowest height of the pelvis centre (midpoint of the
  hip centres) from this strike to the next strike of the same foot (both bounces of the
  stride; the larger one decides). None when the stride time is unknown or the pelvis is
  not seen throughout.
- step_length_m: distance along forward between the footprint of the previous strike of the
  other foot and this one (foot point = heel-toe midpoint): (this foot - other foot) . forward
  at their strikes, plus the belt's travel between them on a treadmill (a footprint moves
  with the belt). Overground only when the pelvis progresses (as stride length, metrics.py):
  a treadmill trial without its belt speed has none.
- vertical_ratio: 100 x vertical oscillation / step length, % (the running-watch definition).
- duty_factor: ground contact time / stride time (the share of the stride the foot is down).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from pipeline.gait.angles import body_axes, foot_point, hip_centre
from pipeline.gait.records import Events, StrideDraft
from pipeline.gait.sampling import sample_at
from pipeline.gait.set_aside import SetAside

BOUNCE_METRICS: dict[str, tuple[str, str]] = {
    "vertical_oscillation_m": ("vertical oscillation of the pelvis centre", "m"),
    "vertical_ratio": ("vertical ratio (oscillation / step length)", "%"),
    "step_length_m": ("step length", "m"),
    "duty_factor": ("duty factor (contact / stride time)", "1"),
}


def _stride_samples(n_frames: int, start: float, end: float) -> np.ndarray:
    inner: np.ndarray = np.arange(math.ceil(start), math.floor(end) + 1, dtype=float)
    inner = inner[(inner > start) & (inner < end) & (inner <= n_frames - 1)]
    return np.concatenate([[start], inner, [end]])


def oscillation_extremes(height: np.ndarray, start: float, end: float) -> tuple[float, float]:
    """(time of the highest, time of the lowest) pelvis-centre sample from `start` to `end`
    (fractional frames, both included); NaN times where a sample is not seen."""
    times = _stride_samples(len(height), start, end)
    z = np.array([sample_at(height, t) for t in times])
    if not np.isfinite(z).all():
        return np.nan, np.nan
    return float(times[int(np.argmax(z))]), float(times[int(np.argmin(z))])


def step_start(
    events: Events, side: str, strike: float, gap_runs: list[tuple[int, int]]
) -> float | None:
    """The other foot's strike a step to `strike` starts at: its latest before `strike`,
    None where there is none, the step crosses an unobserved run or a strike of this foot
    comes between (one was not timed)."""
    other = "right" if side == "left" else "left"
    before = events[other]["foot_strike"]
    before = before[before < strike]
    if not before.size:
        return None
    previous = float(before[-1])
    if any(a < strike + 1 and b > previous - 1 for a, b in gap_runs):
        return None
    own_before = events[side]["foot_strike"]
    if bool(((own_before > previous) & (own_before < strike)).any()):
        return None
    return previous


# read from both feet at their strikes: left out where one foot's points there are the other
# leg's (a swap the stance screen found whose window holds the strike: strides.swap_note)
STEP_READS = ("step_length_m", "vertical_ratio")


def swapped_at_strike(strides: list[StrideDraft], side: str, frame: float) -> SetAside | None:
    """The set-aside record of `side`'s stride striking at `frame` whose window holds it."""
    for s in strides:
        found = s.set_aside
        if s.side == side and abs(s.strike_frame - frame) < 1e-6 and found is not None:
            return found if found.reason == "suspect_swap" and found.holds(frame) else None
    return None


def add_bounce(
    strides: list[StrideDraft],
    points: np.ndarray,
    fps: float,
    forward,
    events: Events,
    belt_speed_mps: float | None,
    overground: bool,
    gap_runs: list[tuple[int, int]],
) -> None:
    """Adds the four BOUNCE_METRICS to each stride (in place). `gap_runs`: the trial's
    unobserved frame runs (observation.gaps); a step must not cross one. Their SDs:
    spatial_sd.py."""
    forward_axis, _ = body_axes(forward)
    height = hip_centre(points)[:, 2]
    along = {side: foot_point(points, side) @ forward_axis for side in ("left", "right")}
    for stride in strides:
        side, strike, values = stride.side, stride.strike_frame, stride.values
        other = "right" if side == "left" else "left"
        contact, stride_ms = values["ground_contact_time_ms"], values["stride_time_ms"]
        values["duty_factor"] = contact / stride_ms if contact is not None and stride_ms else None
        oscillation = None
        if stride_ms is not None:
            end = strike + stride_ms * fps / 1000.0
            highest, lowest = oscillation_extremes(height, strike, end)
            if np.isfinite([highest, lowest]).all():
                oscillation = float(sample_at(height, highest) - sample_at(height, lowest))
        values["vertical_oscillation_m"] = oscillation

        step = None
        previous = step_start(events, side, strike, gap_runs)
        if previous is not None and (belt_speed_mps is not None or overground):
            belt = 0.0 if belt_speed_mps is None else belt_speed_mps * (strike - previous) / fps
            value = float(sample_at(along[side], strike) - sample_at(along[other], previous))
            step = value + belt if np.isfinite(value) else None
        values["step_length_m"] = step
        values["vertical_ratio"] = (
            100.0 * oscillation / step
            if oscillation is not None and step is not None and step > 0
            else None
        )
        start = None if previous is None else swapped_at_strike(strides, other, previous)
        if start is not None and stride.set_aside is None:  # its stance its own: named
            first, last = start.frames
            stride.set_aside = replace(
                start,
                reason="suspect_swap_step",
                metrics=(),
                message=f"the step starts at the {other} foot's strike, whose points over "
                f"frames {first}-{last} were the other leg's (a swap): step length left out",
            )
        if start is not None or swapped_at_strike(strides, side, strike) is not None:
            stride.leave_out(STEP_READS)
