"""Joint and segment angles from 3D Halpe-26 keypoints (F, 26, 3), world frame Z up.

Everything is per frame and NaN wherever a needed keypoint is NaN.
"""
from __future__ import annotations

import numpy as np

from pipeline.skeleton import INDEX

UP = np.array([0.0, 0.0, 1.0])
SIDES = ("left", "right")


def body_axes(forward) -> tuple[np.ndarray, np.ndarray]:
    """Unit horizontal forward and lateral (= up x forward, pointing left) directions."""
    forward = np.asarray(forward, float).reshape(3)
    horizontal = forward - (forward @ UP) * UP
    norm = np.linalg.norm(horizontal)
    if norm < 1e-9:
        raise ValueError(f"forward axis {forward.tolist()} has no horizontal component")
    horizontal = horizontal / norm
    return horizontal, np.cross(UP, horizontal)


def keypoint(points: np.ndarray, name: str) -> np.ndarray:
    return np.asarray(points, float)[:, INDEX[name], :]


def foot_point(points: np.ndarray, side: str) -> np.ndarray:
    """Midpoint of heel and big toe, (F, 3)."""
    return 0.5 * (keypoint(points, f"{side}_heel") + keypoint(points, f"{side}_big_toe"))


def knee_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    """180 deg minus the 3D hip-knee-ankle angle, (F,); 0 = straight leg."""
    knee = keypoint(points, f"{side}_knee")
    thigh = keypoint(points, f"{side}_hip") - knee
    shank = keypoint(points, f"{side}_ankle") - knee
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.sum(thigh * shank, axis=-1) / (
            np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1))
    return 180.0 - np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def pelvic_obliquity_deg(points: np.ndarray, forward) -> np.ndarray:
    """Angle of the right-hip -> left-hip vector above horizontal in the frontal plane, (F,).

    Positive = left hip higher than the right hip.
    """
    _, lateral = body_axes(forward)
    across = keypoint(points, "left_hip") - keypoint(points, "right_hip")
    return np.degrees(np.arctan2(across @ UP, across @ lateral))


def contralateral_pelvic_drop_deg(obliquity_deg: np.ndarray, stance_side: str) -> np.ndarray:
    """How far the swing-side hip sits below the stance-side hip, deg; positive = swing lower."""
    return obliquity_deg if stance_side == "left" else -obliquity_deg
