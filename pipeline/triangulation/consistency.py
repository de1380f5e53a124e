"""Does the calibration describe the cameras that filmed this trial?

A detector's error changes from frame to frame; an error of the calibration (a camera moved
after calibrating, the calibration of another rig or session) does not: it puts every keypoint
of a camera a steady distance from where the other views place it. On a runner who stays on
the belt, that steady part is the per-keypoint median of the camera's reprojection residual
over the trial. Compared with the residual's scatter around it (the detector's own error), it
says whether the calibration, not the detector, limits this camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import project
from pipeline.core.skeleton import relabel_swapped

MIN_FRAMES_PER_KEYPOINT = 30  # a median over fewer frames is the detector's noise, not a bias
MIN_KEYPOINTS = 4  # keypoints with enough frames for a camera's figure


@dataclass(frozen=True)
class SystematicResidual:
    systematic_px: np.ndarray  # (C,) median over keypoints of |per-keypoint median residual|
    scatter_px: np.ndarray  # (C,) robust SD (1.4826 MAD) of the residual around those medians
    keypoints: np.ndarray  # (C,) keypoints with enough frames behind the figure


def systematic_residual(
    points3d: np.ndarray,
    views_used: np.ndarray,
    swaps_repaired: np.ndarray,
    points2d: np.ndarray,
    cameras: CameraSet,
) -> SystematicResidual:
    """Per camera: the steady part of its reprojection residual (px) and the scatter around it.
    `points3d` (F, K, 3) world metres; `views_used` (F, K, C); `swaps_repaired` (C, F);
    `points2d` (C, F, K, >=2) pixels as detected. NaN where a camera has too little evidence."""
    obs = relabel_swapped(np.asarray(points2d, float), swaps_repaired)[..., :2]
    n_cams = len(cameras)
    systematic, scatter = np.full(n_cams, np.nan), np.full(n_cams, np.nan)
    counted = np.zeros(n_cams, int)
    for i, cam in enumerate(cameras):
        residual = obs[i] - project(cam, points3d)  # NaN where a point is missing
        residual[~views_used[..., i]] = np.nan
        enough = np.sum(np.isfinite(residual[..., 0]), axis=0) >= MIN_FRAMES_PER_KEYPOINT
        counted[i] = int(enough.sum())
        if counted[i] < MIN_KEYPOINTS:
            continue
        bias = np.nanmedian(residual[:, enough], axis=0)  # (K', 2)
        around = np.linalg.norm(residual[:, enough] - bias, axis=-1)
        systematic[i] = float(np.median(np.linalg.norm(bias, axis=-1)))
        scatter[i] = float(1.4826 * np.nanmedian(around))
    return SystematicResidual(systematic, scatter, counted)
