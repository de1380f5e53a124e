"""Joint and segment angles from 3D Halpe-26 keypoints (F, 26, 3), world frame Z up.

Everything is per frame and NaN wherever a needed keypoint is NaN. Each function states its
convention (sign, zero, plane) in its docstring; docs/metrics.md collects them.
"""

from __future__ import annotations

import numpy as np

from pipeline.core.skeleton import INDEX

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
            np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1)
        )
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


# --- frames -----------------------------------------------------------------------------------
# Conventions (docs/metrics.md, "Joint and segment angles"): world Z up; `forward` = line of
# progression (horizontal); lateral = up x forward (runner's left). "Sagittal plane" = the
# vertical plane containing forward (normal to lateral); "frontal plane" = the vertical plane
# normal to forward. The pelvis frame is built from the keypoints the skeleton has: the two hip
# joint centres and the trunk (neck minus hip centre), ISB-like (Wu et al. 2002):
#   Z_p = left hip -> right hip (unit; ISB: Z to the right),
#   Y_p = trunk direction made perpendicular to Z_p (superior),
#   X_p = Y_p x Z_p (anterior).
# The pelvis therefore tilts with the trunk: a trunk-based, not a landmark-based, pelvis.


def _unit(v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def hip_centre(points: np.ndarray) -> np.ndarray:
    """Pelvis centre: midpoint of the two hip joint centres, (F, 3)."""
    return 0.5 * (keypoint(points, "left_hip") + keypoint(points, "right_hip"))


def shoulder_centre(points: np.ndarray) -> np.ndarray:
    """Midpoint of the two shoulders, (F, 3)."""
    return 0.5 * (keypoint(points, "left_shoulder") + keypoint(points, "right_shoulder"))


def pelvis_frame(points: np.ndarray) -> np.ndarray:
    """(F, 3, 3) rows X_p (anterior), Y_p (superior), Z_p (right); NaN where undefined."""
    z = _unit(keypoint(points, "right_hip") - keypoint(points, "left_hip"))
    trunk = keypoint(points, "neck") - hip_centre(points)
    y = _unit(trunk - np.sum(trunk * z, axis=-1, keepdims=True) * z)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=1)


def _sagittal_inclination(vector: np.ndarray, forward) -> np.ndarray:
    """Angle (deg) of `vector` from the upward vertical in the sagittal plane, + = tipped
    forward (its head ahead of its tail)."""
    forward_axis, _ = body_axes(forward)
    return np.degrees(np.arctan2(vector @ forward_axis, vector @ UP))


def hip_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    """Hip flexion (+) / extension (-), deg, (F,): the femur (hip -> knee) relative to the
    pelvis frame in the pelvis sagittal plane (rotation about Z_p, Grood & Suntay first axis).
    0 = thigh along the trunk line (standing straight); + = knee ahead of the trunk line.
    Hip extension = -hip_flexion."""
    frame = pelvis_frame(points)
    femur = keypoint(points, f"{side}_knee") - keypoint(points, f"{side}_hip")
    anterior = np.sum(femur * frame[:, 0], axis=-1)
    inferior = -np.sum(femur * frame[:, 1], axis=-1)
    return np.degrees(np.arctan2(anterior, inferior))


def hip_adduction_deg(points: np.ndarray, side: str) -> np.ndarray:
    """Hip adduction (+) / abduction (-), deg, (F,): angle between the femur long axis
    (hip -> knee) and the pelvis sagittal plane, + = knee toward the midline. This is the
    Grood & Suntay ab/adduction (angle between the pelvis medio-lateral axis and the femur
    axis, minus 90 deg); it needs no femoral rotation axis, which keypoints do not give."""
    frame = pelvis_frame(points)
    femur = _unit(keypoint(points, f"{side}_knee") - keypoint(points, f"{side}_hip"))
    medial = frame[:, 2] * (1.0 if side == "left" else -1.0)  # Z_p points right
    return np.degrees(np.arcsin(np.clip(np.sum(femur * medial, axis=-1), -1.0, 1.0)))


def tibia_inclination_deg(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Shank (ankle -> knee) from vertical in the sagittal plane, deg, (F,); + = knee ahead of
    the ankle, 0 = vertical shank."""
    shank = keypoint(points, f"{side}_knee") - keypoint(points, f"{side}_ankle")
    return _sagittal_inclination(shank, forward)


def foot_pitch_deg(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Heel -> big toe line above horizontal in the sagittal plane, deg, (F,); + = toes up."""
    forward_axis, _ = body_axes(forward)
    foot = keypoint(points, f"{side}_big_toe") - keypoint(points, f"{side}_heel")
    return np.degrees(np.arctan2(foot @ UP, foot @ forward_axis))


def ankle_dorsiflexion_deg(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Ankle dorsiflexion (+) / plantarflexion (-), deg, (F,), in the sagittal plane: 90 deg minus
    the angle between the shank (ankle -> knee) and the foot (heel -> big toe) line, i.e.
    foot pitch + tibia inclination. 0 = foot line perpendicular to the shank (neutral standing);
    plantarflexion = -dorsiflexion. The heel-toe line is a keypoint line, not the ISB foot axis:
    an offset of a few degrees against marker models is expected."""
    return foot_pitch_deg(points, side, forward) + tibia_inclination_deg(points, side, forward)


def knee_fppa_deg(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Knee frontal-plane projection angle, deg, (F,): in the frontal plane, the thigh
    (hip -> knee) and shank (knee -> ankle) angles from the downward vertical toward the
    midline, thigh minus shank. 0 = hip, knee, ankle in line; + = valgus (knee medial of the
    hip-ankle line), - = varus (Willson & Davis 2008 style, 180 deg minus the projected angle)."""
    _, lateral = body_axes(forward)
    medial = lateral * (-1.0 if side == "left" else 1.0)
    hip, knee, ankle = (keypoint(points, f"{side}_{n}") for n in ("hip", "knee", "ankle"))

    def toward_midline(v):
        return np.degrees(np.arctan2(v @ medial, -(v @ UP)))

    return toward_midline(knee - hip) - toward_midline(ankle - knee)


def leg_trunk_alignment_deg(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Triple-extension alignment, deg, (F,): in the sagittal plane, the angle of the trunk line
    (side hip -> shoulder centre) minus that of the leg line (ankle -> side hip), both from
    vertical, + = forward. 0 = ankle, hip and shoulders on one straight line (full triple
    extension with an aligned trunk); + = trunk bent forward of the leg line."""
    hip = keypoint(points, f"{side}_hip")
    leg = _sagittal_inclination(hip - keypoint(points, f"{side}_ankle"), forward)
    trunk = _sagittal_inclination(shoulder_centre(points) - hip, forward)
    return trunk - leg


def knee_off_leg_line_m(points: np.ndarray, side: str, forward) -> np.ndarray:
    """Knee distance from the ankle-hip line in the sagittal plane, m, (F,); + = knee ahead of
    the line (flexed knee), 0 = straight leg."""
    forward_axis, _ = body_axes(forward)
    hip, knee, ankle = (keypoint(points, f"{side}_{n}") for n in ("hip", "knee", "ankle"))
    ax, az = (hip - ankle) @ forward_axis, (hip - ankle) @ UP
    kx, kz = (knee - ankle) @ forward_axis, (knee - ankle) @ UP
    with np.errstate(invalid="ignore", divide="ignore"):
        return (kx * az - kz * ax) / np.hypot(ax, az)


def point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points p to segments a-b, all (..., 3) broadcast; NaN propagates."""
    ab = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(np.sum((p - a) * ab, axis=-1) / np.sum(ab * ab, axis=-1), 0.0, 1.0)
    return np.linalg.norm(p - a - s[..., None] * ab, axis=-1)


SWING_FOOT_POINTS = ("ankle", "heel", "big_toe")


def calf_gap_m(points: np.ndarray, stance_side: str) -> np.ndarray:
    """(F,) smallest distance from the other foot's ankle, heel and big toe to the
    `stance_side` shank segment (knee-ankle). Distances between keypoint centres, not skin:
    contact happens at roughly calf radius + foot half-width, several cm."""
    other = "right" if stance_side == "left" else "left"
    knee = keypoint(points, f"{stance_side}_knee")[:, None]
    ankle = keypoint(points, f"{stance_side}_ankle")[:, None]
    swing = np.asarray(points, float)[:, [INDEX[f"{other}_{n}"] for n in SWING_FOOT_POINTS]]
    return np.min(point_segment_distance(swing, knee, ankle), axis=-1)  # NaN propagates
