"""Left/right swaps of the feet that survived triangulation, told from both feet together.

A detector that swaps the feet in some views for a few frames can leave one foot's 3D on the
other foot and the other 150-250 mm off (seen on the real treadmill runner at a real
detector's level); each foot alone stays a rigid foot, so the rigid-foot check (events.py)
does not see it. Both feet together do: at the swap's onset and at its end both feet jump at
once, each leaving its own straight-line motion by more than a foot can. The frames between
such a pair of joint jumps are a swap; which foot is where is then unknown, and both feet's
heights are left out of the event detection there.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.angles import keypoint

FOOT_KEYPOINTS = ("heel", "ankle", "big_toe")
# a foot's departure from its own straight-line motion (second difference) beyond this is a
# jump no foot makes: at least JUMP_M, and more than MAX_FOOT_ACCEL at low frame rates
JUMP_M = 0.08
MAX_FOOT_ACCEL = 300.0  # m/s^2
# a swap lasts at most this long (a longer run between jumps is not a detector's burst)
MAX_SWAP_S = 0.3


def _foot_centre(points: np.ndarray, side: str) -> np.ndarray:
    stack = np.stack([keypoint(points, f"{side}_{name}") for name in FOOT_KEYPOINTS])
    return np.mean(stack, axis=0)  # NaN where any is missing: no jump is read there


def _jumps(centre: np.ndarray, limit: float) -> np.ndarray:
    """Frames where a foot leaves its own straight-line motion by more than `limit` (the
    first frame of each such run: a step in position shows on two frames)."""
    error = np.full(len(centre), np.nan)
    error[2:] = np.linalg.norm(centre[2:] - 2 * centre[1:-1] + centre[:-2], axis=1)
    with np.errstate(invalid="ignore"):
        big = error > limit
    return np.flatnonzero(big & ~np.concatenate([[False], big[:-1]]))


def swapped_frames(points: np.ndarray, fps: float) -> np.ndarray:
    """(F,) bool: frames inside a left/right swap of the feet: both feet jump at once (within
    a frame), and again at once within MAX_SWAP_S; the frames between are the swap."""
    out = np.zeros(len(points), bool)
    if len(points) < 4:
        return out
    limit = max(JUMP_M, MAX_FOOT_ACCEL / fps**2)
    left = _jumps(_foot_centre(points, "left"), limit)
    right = _jumps(_foot_centre(points, "right"), limit)
    both = np.array([f for f in left if right.size and np.min(np.abs(right - f)) <= 1], int)
    longest = int(round(MAX_SWAP_S * fps))
    i = 0
    while i + 1 < len(both):
        start, stop = both[i], both[i + 1]
        if stop - start <= longest:
            out[start:stop] = True
            i += 2
        else:
            i += 1
    return out
