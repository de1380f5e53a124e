"""A plausibility check of a trial's foot strikes against the heel's motion along the ground.

At a real detector's noise the strikes of a trial are all timed by one read on the trial's
mean event (event_template.py), so a read the height noise pulled early moves every strike
of the trial together, and the read's own statistics do not show it (docs/metrics.md,
Events). The heel's horizontal motion is a witness the read never used: before a strike the
heel swings forward over the ground at up to twice the running speed; once down it moves
with the ground (the belt), a heel on the floor does not slide. So a strike time at which the
heel still moves fast over the ground is early; a heel that slowed before touching down says
nothing (one-sided: the synthetic runner's heel reaches half the running speed 20-45 ms
before its strikes, so a two-sided test would flag its correct ones).

Per strike: the time its heel's ground speed (foot_contact.speed_off_ground, low-passed)
first falls below HALF_SPEED_FRACTION x the running speed in the window around it, plus
HEEL_SPEED_LAG_S (on the clean force-plate treadmill trials that time lies that far after
the plate's strike: the low-pass carries the swing's speed past the touchdown). The trial's
strikes are off by the mean of (strike - that time) over its strikes; they are flagged early
when that mean lies more than TOLERANCE_S before 0 by more than the one-sided CONFIDENCE t
quantile times its standard error (the spread over the strikes / sqrt n): a noise-based test
of "earlier than the event target", not a cut fitted to trials known to be bad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

from pipeline.core.trial_notes import InputProblem
from pipeline.gait.angles import SIDES, keypoint
from pipeline.gait.event_template import sample
from pipeline.gait.events import DEFAULT_OPTIONS, EventOptions
from pipeline.gait.foot_contact import (
    CONTACT,
    FootState,
    foot_cues,
    foot_state,
    horizontal_velocity,
    runs_of,
    speed_off_ground,
)

HALF_SPEED_FRACTION = 0.5  # of the running speed
# measured on the clean marker keypoints at the force-plate strikes, 2-5 m/s: 0.27, 0.29,
# 0.92, 0.31 frames at 100 Hz
HEEL_SPEED_LAG_S = 0.0045
WINDOW_S = (-0.08, 0.12)  # searched around each strike (the heel swings fast before it)
GRID_FRAMES = 0.05  # sub-frame resolution of the crossing
TOLERANCE_S = 0.02  # the real-level event target (2 frames at 100 Hz)
CONFIDENCE = 0.95  # one-sided
MIN_STRIKES = 3


@dataclass(frozen=True)
class StrikeCheck:
    """The trial's strikes against the heel's ground speed (module docstring)."""

    offset_frames: float  # mean (strike - heel-speed strike), frames; NaN when not made
    standard_error_frames: float  # of that mean
    n_strikes: int  # strikes the heel speed could time
    running_speed_mps: float
    early: bool  # earlier than TOLERANCE_S at the CONFIDENCE level


def check_strikes(
    points: np.ndarray, fps: float, events: dict, options: EventOptions = DEFAULT_OPTIONS
) -> StrikeCheck:
    """The check of the module docstring on (F, 26, 3) points (those the events were detected
    on) and `events` ({side: {"foot_strike": frames, ...}})."""
    feet = {
        side: foot_state(
            points,
            side,
            fps,
            options.contact_threshold_m,
            options.min_contact_s,
            options.min_flight_s,
            options.cutoff_hz,
            options.toe_tip_ahead_m,
            None,
        )
        for side in SIDES
    }
    cues = {side: foot_cues(points, side, options.toe_tip_ahead_m) for side in SIDES}
    speed = running_speed(points, fps, feet, cues, options.cutoff_hz)
    grid = np.arange(WINDOW_S[0] * fps, WINDOW_S[1] * fps + GRID_FRAMES / 2, GRID_FRAMES)
    offsets = []
    for side in SIDES:
        strikes = np.asarray(events.get(side, {}).get("foot_strike", []), float)
        if not strikes.size or not np.isfinite(speed):
            continue
        heel = speed_off_ground(
            cues[side], feet[side].above, fps, options.cutoff_hz, options.contact_threshold_m
        )[:1]
        for strike in strikes:
            ground_speed = sample(heel, strike + grid)[0]
            if not np.isfinite(ground_speed).all():
                continue  # the window leaves the trial or crosses a gap
            below = np.flatnonzero(ground_speed < HALF_SPEED_FRACTION * speed)
            if below.size and below[0] > 0:  # swinging at the window's start, then slowed
                offsets.append(-grid[below[0]] + HEEL_SPEED_LAG_S * fps)
    n = len(offsets)
    if n < MIN_STRIKES:
        return StrikeCheck(np.nan, np.nan, n, speed, False)
    mean = float(np.mean(offsets))
    error = float(np.std(offsets, ddof=1) / np.sqrt(n))
    early = -mean - TOLERANCE_S * fps > student_t.ppf(CONFIDENCE, n - 1) * error
    return StrikeCheck(mean, error, n, speed, bool(early))


def strike_problems(
    points: np.ndarray, fps: float, events: dict, options: EventOptions = DEFAULT_OPTIONS
) -> list[InputProblem]:
    """The verdict reason "strikes_early:heel_still_moving" where check_strikes flags the
    trial's strikes; none otherwise."""
    check = check_strikes(points, fps, events, options)
    if not check.early:
        return []
    ms = 1000 * check.offset_frames / fps
    return [
        InputProblem(
            "strikes_early:heel_still_moving",
            "degraded",
            f"the foot strikes are {-ms:.0f} ms (SE {1000 * check.standard_error_frames / fps:.0f}"
            f" ms, {check.n_strikes} strikes) earlier than the heels slow onto the ground "
            "(their ground speed falling through half the running speed): the strikes of this "
            "trial were timed together on its mean event and that read came out early, so "
            "contact time, duty factor, flight time, step width and foot-strike angle are off "
            "by more than their SDs say",
        )
    ]


def running_speed(
    points: np.ndarray,
    fps: float,
    feet: dict[str, FootState],
    cues: dict[str, np.ndarray],
    cutoff_hz: float,
) -> float:
    """The runner's speed over the ground (m/s): the median horizontal velocity of the hip
    centre relative to the foot points in the middle half of their contacts (next to a
    contact's edges the heel still slows and the toe speeds up: 10-15 % low with them on the
    force-plate trials); the belt on a treadmill, the floor overground. NaN where none."""
    grounds = []
    for side in SIDES:
        middle = np.zeros(feet[side].state.size, bool)
        for start, stop, value in runs_of(feet[side].state):
            if value == CONTACT:
                quarter = (stop - start) // 4
                middle[start + quarter : stop - quarter] = True
        for cue in cues[side]:
            velocity = horizontal_velocity(cue, fps, cutoff_hz)
            grounds.append(velocity[middle & np.isfinite(velocity).all(axis=1)])
    ground = np.concatenate(grounds)
    hip = horizontal_velocity(keypoint(points, "hip"), fps, cutoff_hz)
    hip = hip[np.isfinite(hip).all(axis=1)]
    if not len(ground) or not len(hip):
        return np.nan
    return float(np.linalg.norm(np.median(hip, axis=0) - np.median(ground, axis=0)))
