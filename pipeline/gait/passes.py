"""Overground passes: the stretches of a trial where the runner crosses the volume, each with
its own direction of travel (a runner may run back and forth in one recording).

A pass is a run of frames where the pelvis centre (hip midpoint) moves horizontally at least
MIN_SPEED_MPS, measured over a WINDOW_S window, split where the heading turns by more than
TURN_DEG from the pass's heading so far; its direction is its start-to-end displacement,
horizontal, normalised. Passes shorter than MIN_PASS_S are left out. A treadmill runner, whose
pelvis stays in place, has no pass.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.angles import hip_centre

MIN_SPEED_MPS = 0.5
WINDOW_S = 0.2
TURN_DEG = 90.0
MIN_PASS_S = 0.5


def find_passes(points: np.ndarray, fps: float) -> list[dict]:
    """[{"start_frame", "stop_frame" (exclusive), "direction" [x, y, 0], "speed_mps"}]."""
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
    out = []
    for a, b in passes:
        a, b = max(0, a - half), min(n, b + half)  # each speed covers its window
        if (b - a) / fps < MIN_PASS_S:
            continue
        travel = centre[b - 1] - centre[a]
        if not np.isfinite(travel).all() or np.linalg.norm(travel) == 0:
            continue
        direction = travel / np.linalg.norm(travel)
        out.append(
            {
                "start_frame": int(a),
                "stop_frame": int(b),
                "direction": [float(direction[0]), float(direction[1]), 0.0],
                "speed_mps": float(np.linalg.norm(travel) * fps / max(b - 1 - a, 1)),
            }
        )
    return out
