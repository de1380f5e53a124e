"""Segment model of the synthetic runner's legs: anthropometry and the leg/foot geometry that
both the stance (ground-up) and swing (pelvis-down) solutions of `kinematics` use.

Proportions of standing height H from Winter DA (2009) Biomechanics and Motor Control of Human
Movement, 4th ed., Fig. 4.1: thigh 0.245 H, shank 0.246 H, hip width 0.191 H, foot length
0.152 H, foot width 0.055 H, ankle height 0.039 H.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDES = ("left", "right")
LATERAL_SIGN = {"left": 1.0, "right": -1.0}  # +Y is the runner's left
# Runners toe out by a few degrees (foot progression angle).
TOE_OUT_DEG = 5.0
FOOT_KEYPOINTS = ("ankle", "heel", "big_toe", "small_toe")
HEEL, BIG_TOE = 1, 2


@dataclass(frozen=True)
class Body:
    """Segment dimensions (m) from height, Winter (2009) Fig. 4.1."""

    thigh: float
    shank: float
    hip_width: float
    foot_points: dict[str, np.ndarray]  # side -> (4, 3) ankle, heel, big toe, small toe; foot frame

    @classmethod
    def from_height(cls, h: float) -> Body:
        foot_length, foot_width, ankle_height = 0.152 * h, 0.055 * h, 0.039 * h
        # The malleoli sit about a quarter of the foot length in front of the heel; the big-toe
        # tip is near the medial border, the small-toe tip laterally and ~a quarter width back.
        heel_x = -0.25 * foot_length
        toe_x = foot_length + heel_x
        points = {}
        for side in SIDES:
            medial = -LATERAL_SIGN[side]
            points[side] = np.array(
                [
                    [0.0, 0.0, 0.0],
                    [heel_x, 0.0, -ankle_height],
                    [toe_x, 0.25 * foot_width * medial, -ankle_height],
                    [toe_x - 0.4 * foot_width, -0.4 * foot_width * medial, -ankle_height],
                ]
            )
        return cls(0.245 * h, 0.246 * h, 0.191 * h, points)


def foot_offsets(body: Body, side: str, pitch_deg: np.ndarray) -> np.ndarray:
    """Foot keypoints minus ankle, (4, n, 3), for foot pitch (deg) and the side's toe-out."""
    p = np.radians(pitch_deg)[None, :]
    pts = body.foot_points[side][:, None, :]
    x = pts[..., 0] * np.cos(p) - pts[..., 2] * np.sin(p)
    z = pts[..., 0] * np.sin(p) + pts[..., 2] * np.cos(p)
    y = np.broadcast_to(pts[..., 1], x.shape)
    yaw = np.radians(TOE_OUT_DEG) * LATERAL_SIGN[side]
    return np.stack(
        [x * np.cos(yaw) - y * np.sin(yaw), x * np.sin(yaw) + y * np.cos(yaw), z], axis=-1
    )


def segment(length: float, inclination_deg: np.ndarray, lean: np.ndarray) -> np.ndarray:
    """Proximal -> distal vector (n, 3) of a segment inclined in the sagittal plane, then
    leaned about X (lean > 0 moves the distal end to +Y)."""
    a = np.radians(inclination_deg)
    return length * np.stack(
        [np.sin(a), np.cos(a) * np.sin(lean), -np.cos(a) * np.cos(lean)], axis=-1
    )


def leg_vertical_reach(body: Body, thigh: np.ndarray, knee: np.ndarray) -> np.ndarray:
    return body.thigh * np.cos(np.radians(thigh)) + body.shank * np.cos(np.radians(thigh - knee))


def thigh_from_reach(
    body: Body, knee_deg: np.ndarray, ankle_ahead_of_hip: np.ndarray
) -> np.ndarray:
    """Thigh inclination (deg) that puts the ankle `ankle_ahead_of_hip` (m, along X) ahead of the
    hip with the given knee flexion: Lt sin(a) + Ls sin(a - knee) = dx."""
    k = np.radians(knee_deg)
    along = body.thigh + body.shank * np.cos(k)
    across = body.shank * np.sin(k)
    reach = np.hypot(along, across)
    return np.degrees(np.arctan2(across, along) + np.arcsin(ankle_ahead_of_hip / reach))


def pitch_for_clearance(
    body: Body, side: str, ankle_z: np.ndarray, pitch_deg: np.ndarray, clearance: np.ndarray
) -> np.ndarray:
    """Swing foot pitch (deg) nearest `pitch_deg` that keeps the heel and the big toe at least
    `clearance` (m) above the floor, given the ankle height; unchanged where already clear.
    Height of a foot point (x, z) about the ankle at pitch p: x sin p + z cos p = r sin(p + a)."""
    pts = body.foot_points[side]
    limits = []
    for index in (BIG_TOE, HEEL):
        x, z = pts[index, 0], pts[index, 2]
        r, a = np.hypot(x, z), np.arctan2(z, x)
        reach = np.arcsin(np.clip((clearance - ankle_z) / r, -1.0, 1.0))
        # Toe: p + a >= reach (toe not too far down); heel: p + a <= pi - reach (heel not down).
        limits.append(reach - a if index == BIG_TOE else np.pi - reach - a)
    low, high = np.degrees(limits[0]), np.degrees(limits[1])
    # Where no pitch clears both (a very low ankle), split the shortfall evenly.
    low, high = np.minimum(low, 0.5 * (low + high)), np.maximum(high, 0.5 * (low + high))
    return np.clip(pitch_deg, low, high)
