"""Trunk, head and arms of the synthetic runner, attached to the pelvis centre.

Nothing here is measured by the pipeline; it only has to look like running so detectors,
triangulation and previews see a whole body. Heights and lengths are fractions of standing
height H from Winter (2009) Fig. 4.1 (shoulder 0.818 H, hip 0.530 H, eye 0.936 H, chin 0.870 H,
shoulder width 0.259 H, upper arm 0.186 H, forearm 0.146 H).
"""

from __future__ import annotations

import numpy as np

from pipeline.core.skeleton import INDEX

# Distance runners lean the trunk forward a few degrees (Novacheck 1998).
TRUNK_LEAN_DEG = 8.0
# The thorax counter-rotates against the pelvis (Novacheck 1998): shoulders swing +-7 deg.
THORAX_YAW_DEG = 7.0
# Arm swing opposite to the legs, elbows held near 90 deg (Hinrichs 1987, in Biomechanics of
# Distance Running, Human Kinetics): shoulder flexion about -10 +- 30 deg, elbow 90 +- 10 deg.
SHOULDER_MEAN_DEG, SHOULDER_SWING_DEG = -10.0, 30.0
ELBOW_MEAN_DEG, ELBOW_SWING_DEG = 90.0, 10.0
ARM_ABDUCTION_DEG = 10.0  # keeps the arms clear of the trunk

# Face keypoints relative to the neck, (forward, lateral, up) in units of H: eyes at eye
# height, nose between eyes and chin, ears at the sides of the head.
FACE = {
    "nose": (0.055, 0.0, 0.095),
    "left_eye": (0.045, 0.018, 0.118),
    "right_eye": (0.045, -0.018, 0.118),
    "left_ear": (0.0, 0.045, 0.110),
    "right_ear": (0.0, -0.045, 0.110),
    "head": (0.0, 0.0, 0.182),
}


def add_upper_body(points: np.ndarray, left_phase: np.ndarray, height: float) -> None:
    """Fill neck, head, face and arm keypoints of `points` (F, 26, 3) in place from the pelvis
    centre ('hip') and the left leg's gait phase (0 = left foot strike)."""
    h = height
    pelvis = points[:, INDEX["hip"]]
    lean = np.radians(TRUNK_LEAN_DEG)
    trunk = (0.818 - 0.530) * h * np.array([np.sin(lean), 0.0, np.cos(lean)])
    neck = pelvis + trunk
    points[:, INDEX["neck"]] = neck
    # The head is held level and facing forward, carried by the neck.
    for name, (fwd, lat, up) in FACE.items():
        points[:, INDEX[name]] = neck + h * np.array([fwd, lat, up])

    cycle = np.cos(2 * np.pi * left_phase)  # +1 at left strike, -1 at right strike
    yaw = np.radians(THORAX_YAW_DEG) * cycle  # right shoulder forward when the left leg is
    half = 0.5 * 0.259 * h
    lateral = np.stack([-np.sin(yaw), np.cos(yaw), np.zeros_like(yaw)], axis=-1)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        shoulder = neck + sign * half * lateral
        # Each arm swings forward with the opposite leg.
        flexion = np.radians(SHOULDER_MEAN_DEG + sign * -SHOULDER_SWING_DEG * cycle)
        elbow_flex = np.radians(ELBOW_MEAN_DEG - sign * ELBOW_SWING_DEG * cycle)
        abduction = sign * np.radians(ARM_ABDUCTION_DEG)
        upper = np.stack(
            [np.sin(flexion), np.full_like(flexion, np.sin(abduction)), -np.cos(flexion)], axis=-1
        )
        upper /= np.linalg.norm(upper, axis=-1, keepdims=True)
        fore_angle = flexion + elbow_flex
        fore = np.stack(
            [np.sin(fore_angle), np.zeros_like(fore_angle), -np.cos(fore_angle)], axis=-1
        )
        elbow = shoulder + 0.186 * h * upper
        points[:, INDEX[f"{side}_shoulder"]] = shoulder
        points[:, INDEX[f"{side}_elbow"]] = elbow
        points[:, INDEX[f"{side}_wrist"]] = elbow + 0.146 * h * fore
