"""Synthetic camera rig: cameras on an arc around the treadmill, with realistic intrinsics."""

from __future__ import annotations

import numpy as np

from pipeline.config import RigConfig
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, look_at

AIM_POINT = np.array([0.0, 0.0, 0.8])  # about the runner's pelvis height, metres

# Unit-to-unit spread of real lenses and sensors of one model.
FOCAL_SPREAD = 0.02  # relative, per camera
ASPECT_SPREAD = 0.002  # relative fy/fx difference
PRINCIPAL_SPREAD_PX = 25.0  # principal point offset from the image centre, uniform +-
DISTORTION_SPREAD = 0.1  # relative, per coefficient


def make_rig(cfg: RigConfig) -> CameraSet:
    """One camera per name in `cfg.cameras`, at azimuth `cfg.arc_deg[i]` (degrees from +X,
    counter-clockwise seen from above), aimed at AIM_POINT."""
    if len(cfg.arc_deg) != len(cfg.cameras):
        raise ValueError(
            f"rig.arc_deg has {len(cfg.arc_deg)} angles for "
            f"{len(cfg.cameras)} cameras; give one angle per camera"
        )
    rng = np.random.default_rng(cfg.seed)
    base_dist = np.asarray(cfg.distortion, float)
    image_center = np.array([cfg.width - 1, cfg.height - 1]) / 2
    cameras = []
    for name, azimuth_deg in zip(cfg.cameras, cfg.arc_deg):
        fx = cfg.focal_px * (1 + rng.normal(0, FOCAL_SPREAD))
        fy = fx * (1 + rng.normal(0, ASPECT_SPREAD))
        cx, cy = image_center + rng.uniform(-PRINCIPAL_SPREAD_PX, PRINCIPAL_SPREAD_PX, 2)
        dist = base_dist * (1 + rng.normal(0, DISTORTION_SPREAD, base_dist.size))
        a = np.radians(azimuth_deg)
        center = np.array(
            [cfg.distance_m * np.cos(a), cfg.distance_m * np.sin(a), cfg.camera_height_m]
        )
        R, t = look_at(center, AIM_POINT)
        K = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
        cameras.append(Camera(name, (cfg.width, cfg.height), K, dist).with_pose(R, t))
    return CameraSet(cameras)
