"""Is the 3D at the world's scale? Checks against what the study knows of the world.

A calibration made with the wrong board size (board.square_length_m 0.12 for a board printed
at 0.15) is self-consistent: every view agrees, every gate passes, and the whole 3D is 0.8
of the truth (a step width of 48 mm for 60). Stride length on a treadmill is belt speed x
stride time, so nothing compared the 3D with the world. Each check here compares one length
or speed from the 3D with one the study records, independently of the others:
- **belt** (treadmill): the stance foot travels backward with the belt. Measured: the
  median over strides of the foot point's (heel / big-toe midpoint) speed along the belt
  in the middle half of stance (strike and toe-off themselves roll the foot). Against the
  belt speed the study records.
- **height** (the subject's height, when the session gives it): thigh (hip-knee) plus shank
  (knee-ankle), medians over the measured frames, both sides averaged, against
  0.245 + 0.246 = 0.491 of the height (Winter 2009, Biomechanics and Motor Control of Human
  Movement, 4th ed., Table 4.1, after Dempster 1955 / Drillis & Contini 1966). Individual
  ratios vary by a few %, and detectors place hip and knee centres a few cm off the joint
  centres, hence the wider tolerance.
- **speed** (overground, when the trial records a speed, e.g. timing gates): stride length
  from the 3D (the foot's travel) over stride time, against that speed.
A check disagrees when measured / expected is outside 1 +- its tolerance; the verdict then
names it (quality/verdict.py `scale_mismatch`). The tolerances are above what the synthetic
runner through the real triangulation shows at the right scale (docs/metrics.md, "Scale
checks") and below the 20 % a wrong board size gives.
"""

from __future__ import annotations

import numpy as np

from pipeline.core.trial_notes import ScaleCheck
from pipeline.gait.angles import SIDES, body_axes, foot_point, keypoint
from pipeline.gait.records import Stride

THIGH_OVER_HEIGHT, SHANK_OVER_HEIGHT = 0.245, 0.246  # Winter 2009, Table 4.1
TOLERANCE = {"belt": 0.12, "height": 0.15, "speed": 0.10}
MIN_FRAMES = 10


def belt_check(
    points: np.ndarray,
    strides: list[Stride],
    fps: float,
    forward,
    belt_speed_mps: float | None,
    min_strides: int,
) -> ScaleCheck | None:
    """Stance foot speed along the belt against the belt speed (treadmill trials)."""
    if not belt_speed_mps:
        return None
    forward_axis, _ = body_axes(forward)
    per_stride = []
    for stride in strides:
        foot = foot_point(points, stride.side) @ forward_axis
        velocity = np.gradient(foot) * fps
        strike, toe_off = stride.strike_frame, stride.toe_off_frame
        lo = int(np.ceil(strike + 0.25 * (toe_off - strike)))
        hi = int(np.floor(strike + 0.75 * (toe_off - strike)))
        middle = velocity[lo : hi + 1]
        middle = middle[np.isfinite(middle)]
        if middle.size >= 2:
            per_stride.append(float(np.median(middle)))
    if len(per_stride) < min_strides:
        return None
    return ScaleCheck(
        "belt",
        -float(np.median(per_stride)),
        float(belt_speed_mps),
        "m/s",
        TOLERANCE["belt"],
        f"stance foot speed along the belt over {len(per_stride)} strides against the belt speed",
    )


def height_check(points: np.ndarray, height_m: float | None) -> ScaleCheck | None:
    """Thigh plus shank from the 3D against the subject's height x Winter's ratios."""
    if not height_m:
        return None
    lengths = []
    for upper, lower in (("hip", "knee"), ("knee", "ankle")):
        sides = []
        for side in SIDES:
            length = np.linalg.norm(
                keypoint(points, f"{side}_{upper}") - keypoint(points, f"{side}_{lower}"), axis=1
            )
            length = length[np.isfinite(length)]
            if length.size >= MIN_FRAMES:
                sides.append(float(np.median(length)))
        if not sides:
            return None
        lengths.append(float(np.mean(sides)))
    return ScaleCheck(
        "height",
        sum(lengths),
        (THIGH_OVER_HEIGHT + SHANK_OVER_HEIGHT) * height_m,
        "m",
        TOLERANCE["height"],
        f"thigh + shank from the 3D against "
        f"{THIGH_OVER_HEIGHT + SHANK_OVER_HEIGHT:.3f} x the subject's height "
        f"{height_m:.2f} m (Winter 2009)",
    )


def speed_check(
    strides: list[Stride], speed_mps: float | None, min_strides: int
) -> ScaleCheck | None:
    """Overground: stride length from the 3D over stride time against a recorded speed."""
    if not speed_mps:
        return None
    pairs = [
        (length, time)
        for s in strides
        if (length := s.value("stride_length_m")) is not None
        and (time := s.value("stride_time_ms")) is not None
    ]
    if len(pairs) < min_strides:
        return None
    length, time_ms = np.mean(pairs, axis=0)
    return ScaleCheck(
        "speed",
        float(length / (time_ms / 1000.0)),
        float(speed_mps),
        "m/s",
        TOLERANCE["speed"],
        f"stride length from the 3D over stride time "
        f"({len(pairs)} strides) against the recorded speed",
    )


def scale_checks(
    points: np.ndarray,
    strides: list[Stride],
    fps: float,
    forward,
    min_strides: int,
    belt_speed_mps: float | None = None,
    height_m: float | None = None,
    speed_mps: float | None = None,
) -> list[ScaleCheck]:
    """Every check the study's records allow (module doc)."""
    found = (
        belt_check(points, strides, fps, forward, belt_speed_mps, min_strides),
        height_check(points, height_m),
        speed_check(strides, None if belt_speed_mps else speed_mps, min_strides),
    )
    return [c for c in found if c is not None]
