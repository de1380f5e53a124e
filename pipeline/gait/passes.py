"""Overground passes: the stretches of a trial where the runner crosses the volume, each with
its own direction of travel (a runner may run back and forth in one recording).

A pass is a run of frames where the pelvis centre (hip midpoint) moves horizontally at least
MIN_SPEED_MPS, measured over a WINDOW_S window, split where the heading turns by more than
TURN_DEG from the pass's heading so far (passes split at a turn share no frame); its direction
is its start-to-end displacement, horizontal, normalised, which the analysis replaces by the
stride-averaged pelvis velocity inside the pass (`refine_directions`: the endpoints carry the
sway and noise of two frames). Passes shorter than MIN_PASS_S are left out. A treadmill
runner, whose pelvis stays in place, has no pass.

Overground the analysis cuts strides per pass (`pass_stretches`): each pass's strides use its
own direction as forward (lateral measures, foot pitch, stride length along it) and only the
events inside it, so no stride crosses a pass's ends (a turn, a stop, the runner leaving the
volume). Frames outside every pass (standing, turning, walking back) give no stride.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipeline.gait.angles import hip_centre
from pipeline.gait.progression import pelvis_velocity
from pipeline.gait.records import Events, Pass, StandingReference

MIN_SPEED_MPS = 0.5
WINDOW_S = 0.2
TURN_DEG = 90.0
MIN_PASS_S = 0.5


def find_passes(points: np.ndarray, fps: float) -> list[Pass]:
    """The passes (frames [start, stop), direction (x, y, 0), speed); their `n_strides` is 0
    until the analysis counts the strides inside each."""
    centre = hip_centre(points)[:, :2]
    n = len(points)
    half = max(1, int(round(0.5 * WINDOW_S * fps)))
    velocity = np.full((n, 2), np.nan)
    if n > 2 * half:
        velocity[half:-half] = (centre[2 * half :] - centre[: -2 * half]) * fps / (2 * half)
    speed = np.linalg.norm(velocity, axis=1)
    with np.errstate(invalid="ignore"):
        moving = speed >= MIN_SPEED_MPS
    passes, start, heading = [], None, None
    for f in range(n + 1):
        if f < n and moving[f]:
            unit = velocity[f] / speed[f]
            if start is None:
                start, heading = f, unit
                continue
            if np.degrees(np.arccos(np.clip(unit @ heading, -1, 1))) <= TURN_DEG:
                heading = heading + 0.05 * (unit - heading)  # the pass's heading so far
                heading /= np.linalg.norm(heading)
                continue
            passes.append((start, f))
            start, heading = f, unit
        elif start is not None:
            passes.append((start, f))
            start = None
    out: list[Pass] = []
    for a, b in passes:
        a, b = max(0, a - half), min(n, b + half)  # each speed covers its window
        if out:  # passes split at a turn do not share frames
            a = max(a, out[-1].stop_frame)
        if (b - a) / fps < MIN_PASS_S:
            continue
        travel = centre[b - 1] - centre[a]
        if not np.isfinite(travel).all() or np.linalg.norm(travel) == 0:
            continue
        direction = travel / np.linalg.norm(travel)
        out.append(
            Pass(
                start_frame=int(a),
                stop_frame=int(b),
                direction=(float(direction[0]), float(direction[1]), 0.0),
                speed_mps=float(np.linalg.norm(travel) * fps / max(b - 1 - a, 1)),
                n_strides=0,
            )
        )
    return out


@dataclass(frozen=True)
class Stretch:
    """Frames [start, stop) analysed with one direction of travel: a pass overground, the
    whole trial on a treadmill. `events` holds only the events inside it, so no stride
    crosses its ends (a stance cut by an end is dropped, a swing cut by it has no stride
    time); `pelvis_speed` (m/s along `forward`, None when the pelvis is not seen) tells
    whether stride length can be the foot's travel (overground)."""

    start: int
    stop: int
    forward: np.ndarray
    events: Events
    pelvis_speed: float | None


def events_between(events: Events, start: float, stop: float) -> Events:
    """The events (side -> name -> frames) in [start, stop)."""
    return {
        side: {
            name: np.asarray(times, float)[
                (np.asarray(times, float) >= start) & (np.asarray(times, float) < stop)
            ]
            for name, times in named.items()
        }
        for side, named in events.items()
    }


def pass_velocity(points: np.ndarray, fps: float, events: Events, one: Pass) -> np.ndarray | None:
    """The pelvis's horizontal velocity within pass `one` (progression.py): averaged over its
    strides (whole strides cancel the sway), else the least-squares slope through its frames;
    None when the pelvis is not seen in it."""
    a, b = one.start_frame, one.stop_frame
    inside = events_between(events, a, b)
    shifted = {side: {n: t - a for n, t in named.items()} for side, named in inside.items()}
    try:
        return pelvis_velocity(points[a:b], fps, shifted)
    except ValueError:
        return None


def refine_directions(
    points: np.ndarray, fps: float, events: Events, passes: list[Pass]
) -> list[Pass]:
    """The passes with direction and speed from the pelvis velocity (`pass_velocity`) rather
    than the endpoints' displacement, which carries the pelvis's sway and noise at two frames."""
    out = []
    for one in passes:
        v = pass_velocity(points, fps, events, one)
        if v is None:
            out.append(one)
            continue
        speed = float(np.linalg.norm(v))
        if not speed >= MIN_SPEED_MPS or np.dot(v, one.direction) <= 0:
            out.append(one)
            continue
        x, y, z = (float(c) / speed for c in v)
        out.append(replace(one, direction=(x, y, z), speed_mps=speed))
    return out


def pass_stretches(
    points: np.ndarray,
    fps: float,
    events: Events,
    passes: list[Pass],
    given_forward: np.ndarray | None = None,
) -> list[Stretch]:
    """One Stretch per pass: its own direction, its events, its pelvis speed. With
    `given_forward` (a runway axis from the configuration) a pass runs along that line, the
    way the runner heads (a runner coming back runs along -axis)."""
    out = []
    for one in passes:
        forward = np.asarray(one.direction, float)
        if given_forward is not None:
            line = np.asarray(given_forward, float)
            forward = line if np.dot(line, forward) >= 0 else -line
        v = pass_velocity(points, fps, events, one)
        speed = None if v is None else float(v @ forward)
        inside = events_between(events, one.start_frame, one.stop_frame)
        out.append(Stretch(one.start_frame, one.stop_frame, forward, inside, speed))
    return out


def longest(passes: list[Pass]) -> Pass:
    """The pass with the most frames: it gives the trial's one direction where one is needed
    (the summary's `forward`, the stride-normalised curves)."""
    return max(passes, key=lambda one: one.stop_frame - one.start_frame)


def events_along(events: Events, passes: list[Pass], forward: np.ndarray) -> Events:
    """The events inside passes heading within TURN_DEG / 2 of `forward`: what one set of
    curves in one direction can be made of (a pass the other way would mirror them)."""
    kept = [
        one
        for one in passes
        if np.dot(one.direction[:2], forward[:2]) >= np.cos(np.radians(TURN_DEG / 2))
    ]
    parts = [events_between(events, one.start_frame, one.stop_frame) for one in kept]
    return {
        side: {
            name: np.concatenate([p[side][name] for p in parts]) if parts else np.array([])
            for name in named
        }
        for side, named in events.items()
    }


def richest_reference(
    references: list[dict[str, StandingReference]],
) -> dict[str, StandingReference]:
    """Of per-stretch standing references (side -> reference, landing.py), the one made of the
    most stances (a static trial's is the same in every stretch)."""
    return max(
        references,
        key=lambda ref: sum(entry.n_stances or 0 for entry in ref.values()),
    )
