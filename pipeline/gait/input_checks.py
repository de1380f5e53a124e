"""Inputs the gait analysis cannot read a runner from, each named (a verdict reason), never
answered with a silent default: a trial too short for a stride, a foot never seen in contact,
a runner who stops or turns, a belt speed the feet disagree with.

Each problem is an `InputProblem` (core/trial_notes.py: code, severity, message); the verdict
turns them into reasons (quality/verdict.py).
"""

from __future__ import annotations

import numpy as np

from pipeline.core.trial_notes import InputProblem
from pipeline.gait.angles import SIDES, body_axes, foot_point, hip_centre
from pipeline.gait.records import Events, Pass, StrideDraft
from pipeline.gait.strides import set_aside_problems

# a running stride lasts 0.5-0.9 s; a trial shorter than one holds no strike-to-strike pair
MIN_TRIAL_S = 1.0
# overground: the pelvis below this speed over a window, or its heading this far off the
# trial's direction of travel, is a runner who stopped or turned
STOP_SPEED_MPS = 0.5
TURN_DEG = 45.0
WINDOW_S = 0.5
# treadmill: the stance feet must move backwards at the belt's speed within this share
BELT_TOLERANCE = 0.2


def input_problems(
    points: np.ndarray,
    fps: float,
    events: Events,
    strides: list[StrideDraft],
    forward,
    belt_speed_mps: float | None,
    passes: list[Pass] | None = None,
) -> list[InputProblem]:
    """The named problems of one trial's input (empty when none). `passes` (overground,
    passes.py): each window is held to the direction of the pass it lies in, and the frames
    between passes (a turn, a stop) are no problem: no stride is cut there."""
    problems = []
    duration = len(points) / fps
    if duration < MIN_TRIAL_S:
        problems.append(
            _problem(
                "trial_too_short",
                "failed",
                f"the trial lasts {duration:.2f} s, shorter than a running stride "
                f"(at least {MIN_TRIAL_S:g} s holds one foot's strike-to-strike): record longer",
            )
        )
    for side in SIDES:
        if not len(events[side]["foot_strike"]) and not len(events[side]["toe_off"]):
            problems.append(
                _problem(
                    f"foot_never_in_contact:{side}",
                    "degraded",
                    f"the {side} foot was never seen in contact with the floor (no foot strike "
                    "or toe-off timed): its keypoints are missing, hidden, or the runner is not "
                    "running on the floor the analysis assumes (Z up, floor level constant)",
                )
            )
    if belt_speed_mps is None:
        problems.extend(_stops_or_turns(points, fps, forward, passes or []))
    else:
        problems.extend(_belt_disagrees(points, fps, strides, forward, belt_speed_mps))
    problems.extend(set_aside_problems(strides))  # a detector's swap (strides.py)
    return problems


def _problem(code: str, severity: str, message: str) -> InputProblem:
    return InputProblem(code, severity, message)


def _stops_or_turns(points, fps, forward, passes: list[Pass]) -> list[InputProblem]:
    """Overground: per half-second window, the pelvis's horizontal velocity; a window slower
    than STOP_SPEED_MPS (the runner stopped) or heading more than TURN_DEG off `forward` (the
    runner turned) while the trial as a whole progresses. With passes, only the windows inside
    a pass count, each against that pass's direction."""
    forward_axis, _ = body_axes(forward)
    centre = hip_centre(points)[:, :2]
    step = max(1, int(round(WINDOW_S * fps)))
    starts = np.arange(0, len(points) - step, step)
    velocity = (centre[starts + step] - centre[starts]) * fps / step
    ok = np.isfinite(velocity).all(axis=1)
    heading_of = np.tile(forward_axis[:2], (len(starts), 1))
    if passes:
        inside = np.zeros(len(starts), bool)
        for one in passes:
            within = (starts >= one.start_frame) & (starts + step <= one.stop_frame)
            inside |= within
            heading_of[within] = one.direction[:2]
        ok &= inside
    if ok.sum() < 2:
        return []
    speed = np.linalg.norm(velocity[ok], axis=1)
    if np.median(speed) < STOP_SPEED_MPS:
        return []  # not progressing at all: a treadmill without its belt speed, or standing
    along = np.sum(velocity[ok] * heading_of[ok], axis=1)
    heading = np.degrees(np.arccos(np.clip(along / np.maximum(speed, 1e-9), -1.0, 1.0)))
    times = starts[ok] / fps
    out = []
    stopped = times[speed < STOP_SPEED_MPS]
    if stopped.size:
        out.append(
            _problem(
                "runner_stops",
                "degraded",
                f"the runner slows below {STOP_SPEED_MPS:g} m/s at {stopped[0]:.1f} s "
                f"({stopped.size} of {times.size} half-second windows): strides there are "
                "not running strides; trim the trial to the run",
            )
        )
    turned = times[(speed >= STOP_SPEED_MPS) & (heading > TURN_DEG)]
    if turned.size:
        out.append(
            _problem(
                "runner_turns",
                "degraded",
                f"the runner's heading turns more than {TURN_DEG:g} deg off the direction of "
                f"travel at {turned[0]:.1f} s ({turned.size} half-second windows): lateral "
                "measures (step width, pelvic drop) use one direction for each straight pass "
                "(a turn of more than 90 deg starts a new pass); trim the trial to straight "
                "passes",
            )
        )
    return out


def _belt_disagrees(points, fps, strides, forward, belt_speed_mps) -> list[InputProblem]:
    """Treadmill: the feet in mid-stance move backwards at the belt's speed; a belt speed off
    by more than BELT_TOLERANCE of it (a typo, km/h for m/s) would scale stride length."""
    forward_axis, _ = body_axes(forward)
    speeds = []
    for stride in strides:
        a, b = stride.strike_frame, stride.toe_off_frame
        lo, hi = int(np.ceil(a + 0.25 * (b - a))), int(np.floor(b - 0.25 * (b - a)))
        if hi - lo < 2:
            continue
        foot = foot_point(points[lo : hi + 1], stride.side) @ forward_axis
        if np.isfinite(foot).all():
            speeds.append(-(foot[-1] - foot[0]) * fps / (hi - lo))
    if len(speeds) < 2:
        return []
    feet = float(np.median(speeds))
    if abs(feet - belt_speed_mps) <= BELT_TOLERANCE * max(abs(belt_speed_mps), 0.5):
        return []
    return [
        _problem(
            "belt_speed_disagrees",
            "degraded",
            f"the stance feet move backwards at {feet:.2f} m/s but the belt speed given is "
            f"{belt_speed_mps:.2f} m/s (more than {100 * BELT_TOLERANCE:.0f} % apart): stride "
            "length is belt speed x stride time, so it is off by the same factor; check the "
            "trial's treadmill speed (m/s) in the study config",
        )
    ]
