"""Line of progression overground: the stride-averaged horizontal velocity of the pelvis.

On a treadmill the line of progression is the belt axis (configuration); overground it is
estimated here from the pelvis centre (midpoint of the hip joint centres). Averaging the
displacement over whole strides cancels the periodic sway and yaw of the pelvis.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.angles import SIDES, hip_centre
from pipeline.gait.records import Events

# Below this stride-averaged pelvis speed there is no line of progression to estimate (a
# treadmill runner, or standing): the caller must give the belt axis.
MIN_PROGRESSION_SPEED_MPS = 0.5


def _interp(series: np.ndarray, frame: float) -> np.ndarray:
    lower = int(np.floor(frame))
    if lower < 0 or frame > len(series) - 1:
        return np.full(series.shape[1:], np.nan)
    if lower == frame:
        return series[lower]
    w = frame - lower
    return (1 - w) * series[lower] + w * series[lower + 1]


def pelvis_velocity(points: np.ndarray, fps: float, events: Events | None = None) -> np.ndarray:
    """Stride-averaged horizontal pelvis velocity (3,) in m/s (z = 0).

    With events: the mean over every stride (strike to next strike of the same foot, both
    feet) of the pelvis-centre displacement divided by the stride time; strides with a NaN
    pelvis at either strike are skipped. Without events (or no usable stride): least-squares
    slope of the pelvis position over the frames where it is known.
    """
    centre = hip_centre(points)
    velocities = []
    if events is not None:
        for side in SIDES:
            strikes = np.sort(np.asarray(events[side]["foot_strike"], float))
            for a, b in zip(strikes[:-1], strikes[1:]):
                d = _interp(centre, b) - _interp(centre, a)
                if np.isfinite(d).all() and b > a:
                    velocities.append(d * fps / (b - a))
    if velocities:
        v = np.mean(velocities, axis=0)
    else:
        known = np.isfinite(centre).all(axis=1)
        if known.sum() < 2:
            raise ValueError("cannot estimate the line of progression: pelvis not seen")
        t = np.flatnonzero(known) / fps
        v = np.polyfit(t, centre[known], 1)[0]
    v = np.asarray(v, float).copy()
    v[2] = 0.0
    return v


def estimate_forward(
    points: np.ndarray,
    fps: float,
    events: Events | None = None,
    min_speed_mps: float = MIN_PROGRESSION_SPEED_MPS,
) -> np.ndarray:
    """Unit horizontal line of progression (3,) from `pelvis_velocity`; ValueError when the
    pelvis does not progress (treadmill): give the belt axis instead."""
    v = pelvis_velocity(points, fps, events)
    speed = float(np.linalg.norm(v))
    if not speed >= min_speed_mps:
        raise ValueError(
            f"pelvis progresses at {speed:.2f} m/s (< {min_speed_mps} m/s): no line "
            "of progression overground; pass forward (treadmill belt axis)"
        )
    return v / speed
