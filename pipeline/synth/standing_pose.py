"""The synthetic runner standing still: a static trial (study.static_trials) to measure the
standing foot pitch from (gait/standing.py).

The runner of synth/kinematics.py stood upright: legs vertical under the hip joints, feet
flat (pitch 0: heel and big-toe keypoints at one height, on the floor) with the runner's
toe-out, the upper body as at left foot strike. A slow postural sway of the pelvis and trunk
(SWAY_M at SWAY_HZ, forward and sideways) keeps it from being a frozen frame; the feet do not
move. No gait events.
"""

from __future__ import annotations

import numpy as np

from pipeline.config import RunnerConfig
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.synth.body import FOOT_KEYPOINTS, SIDES, Body, foot_offsets
from pipeline.synth.kinematics import RunTruth
from pipeline.synth.upper_body import add_upper_body

SWAY_M = 0.004  # quiet standing sways a few mm (centre of pressure, Prieto 1996)
SWAY_HZ = 0.3


def simulate_standing(runner: RunnerConfig, fps: float) -> RunTruth:
    """3D keypoints of the runner standing still for runner.duration_s at `fps`."""
    body = Body.from_height(runner.height_m)
    n = int(round(runner.duration_s * fps))
    t = np.arange(n) / fps
    phase = 2 * np.pi * (SWAY_HZ * t + np.random.default_rng(runner.seed).uniform())
    ankle_height = -body.foot_points["left"][1, 2]
    sway = SWAY_M * np.stack([np.sin(phase), np.cos(phase), np.zeros(n)], axis=-1)
    points = np.full((n, N_KEYPOINTS, 3), np.nan)
    pelvis = np.array([0.0, 0.0, ankle_height + body.shank + body.thigh]) + sway
    points[:, INDEX["hip"]] = pelvis
    feet_pitch = np.zeros(n)
    for side in SIDES:
        lateral = 0.5 * body.hip_width * (1.0 if side == "left" else -1.0)
        ankle = np.tile([0.0, lateral, ankle_height], (n, 1))
        points[:, INDEX[f"{side}_hip"]] = ankle + [0.0, 0.0, body.shank + body.thigh] + sway
        points[:, INDEX[f"{side}_knee"]] = ankle + [0.0, 0.0, body.shank] + sway / 2
        for name, offset in zip(FOOT_KEYPOINTS, foot_offsets(body, side, feet_pitch), strict=True):
            points[:, INDEX[f"{side}_{name}"]] = ankle + offset
    add_upper_body(points, np.zeros(n), runner.height_m)
    no_events = {side: np.zeros(0) for side in SIDES}
    return RunTruth(points, float(fps), no_events, dict(no_events))
