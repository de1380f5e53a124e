"""Is the 3D a person's skeleton in the keypoint order runlab assumes? Anatomical checks.

A keypoint model that does not fit the files (OpenPose BODY_25 chosen for BODY_25B output, a
custom model's order) still triangulates: every camera mislabels the same way, so the views
agree and the 3D is "measured". What it is not is a body: knees above hips, a "shank" three
times the "thigh", the left hip on the runner's right. Seen before: BODY_25 for BODY_25B files
ran with exit 0 and findings off by 126 deg of knee flexion. Checked on the medians over the
frames where the keypoints are measured (robust to a few bad frames; a real person passes
with a wide margin, see the bounds):
- order along the body: shoulders above hips above knees above ankles, each by at least
  MIN_DROP_M (a runner's thigh and shank are ~0.4 m long and never horizontal for long),
  "above" along the body's long axis (ankles to shoulders, the median over frames), so that
  a world frame that is not Z-up (a calibration without a floor board) is not taken for a
  wrong model;
- limb lengths: left and right thigh, and left and right shank, within MAX_SIDE_RATIO of
  each other; shank over thigh within SHANK_OVER_THIGH (Winter 2009, anthropometric table:
  0.246 / 0.245 of height, so ~1.0; anything outside 0.6-1.6 is not a leg);
- left and right: the left hip on the left of the direction of travel (needs the forward
  axis: given on a treadmill, estimated overground; checked only where the body's long axis
  is within MAX_TILT_DEG of the world's Z, the frame the forward axis is given in).
"""

from __future__ import annotations

import numpy as np

from pipeline.core.skeleton import INDEX

MIN_DROP_M = 0.05
MAX_SIDE_RATIO = 1.5
SHANK_OVER_THIGH = (0.6, 1.6)
MIN_FRAMES = 10
MAX_TILT_DEG = 30.0
UP = np.array([0.0, 0.0, 1.0])


def _kp(points, name):
    return points[:, INDEX[name], :]


def _median_length(points, a, b) -> float | None:
    length = np.linalg.norm(_kp(points, a) - _kp(points, b), axis=1)
    length = length[np.isfinite(length)]
    return float(np.median(length)) if length.size >= MIN_FRAMES else None


def _median_height(points, names, up) -> float | None:
    z = np.mean([_kp(points, n) for n in names], axis=0) @ up
    z = z[np.isfinite(z)]
    return float(np.median(z)) if z.size >= MIN_FRAMES else None


def _body_axis(points) -> np.ndarray | None:
    """Unit vector from the ankles' midpoint to the shoulders' (median over frames)."""
    axis = 0.5 * (_kp(points, "left_shoulder") + _kp(points, "right_shoulder")) - 0.5 * (
        _kp(points, "left_ankle") + _kp(points, "right_ankle")
    )
    axis = axis[np.isfinite(axis).all(axis=1)]
    if len(axis) < MIN_FRAMES:
        return None
    axis = np.median(axis, axis=0)
    norm = np.linalg.norm(axis)
    return axis / norm if norm > 0 else None


def skeleton_problems(points: np.ndarray, forward=None) -> list[str]:
    """What about the (F, 26, 3) 3D (metres, Z up) is not a person in runlab's keypoint
    order; empty when it passes or too little is measured to tell."""
    points = np.asarray(points, float)
    problems = []
    levels = [
        ("shoulders", ("left_shoulder", "right_shoulder")),
        ("hips", ("left_hip", "right_hip")),
        ("knees", ("left_knee", "right_knee")),
        ("ankles", ("left_ankle", "right_ankle")),
    ]
    up = _body_axis(points)
    heights = [
        (label, None if up is None else _median_height(points, names, up))
        for label, names in levels
    ]
    for (upper, z_up), (lower, z_low) in zip(heights, heights[1:]):
        if z_up is not None and z_low is not None and z_up - z_low < MIN_DROP_M:
            problems.append(
                f"the {lower} are not below the {upper} (median positions along "
                f"the body, ankles to shoulders: {z_low:.2f} m and {z_up:.2f} m)"
            )
    legs = {
        side: (
            _median_length(points, f"{side}_hip", f"{side}_knee"),
            _median_length(points, f"{side}_knee", f"{side}_ankle"),
        )
        for side in ("left", "right")
    }
    for k, segment in enumerate(("thigh", "shank")):
        left, right = legs["left"][k], legs["right"][k]
        if left and right and max(left, right) / min(left, right) > MAX_SIDE_RATIO:
            problems.append(
                f"the left and right {segment} differ in length ({left:.2f} m and {right:.2f} m)"
            )
    for side, (thigh, shank) in legs.items():
        if thigh and shank and not SHANK_OVER_THIGH[0] <= shank / thigh <= SHANK_OVER_THIGH[1]:
            problems.append(
                f"the {side} shank is {shank / thigh:.1f} times the {side} thigh "
                f"({shank:.2f} m and {thigh:.2f} m; a leg's are about equal)"
            )
    upright = up is not None and np.degrees(np.arccos(np.clip(up @ UP, -1, 1))) <= MAX_TILT_DEG
    if forward is not None and upright:
        forward = np.asarray(forward, float)
        forward = forward - (forward @ UP) * UP
        if np.linalg.norm(forward) > 1e-9:
            left_axis = np.cross(UP, forward / np.linalg.norm(forward))
            offset = (_kp(points, "left_hip") - _kp(points, "right_hip")) @ left_axis
            offset = offset[np.isfinite(offset)]
            if offset.size >= MIN_FRAMES and np.median(offset) < 0:
                problems.append("the left hip is on the runner's right of the direction of travel")
    return problems
