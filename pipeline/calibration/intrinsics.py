"""Per-camera intrinsics from ChArUco views: fx, fy, cx, cy and k1, k2, p1, p2, k3."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.calibration.board import board_corners_3d
from pipeline.calibration.board_in_videos import MIN_VIEW_CORNERS, CalibrationError, VideoDetections
from pipeline.calibration.bundle import lens_terms
from pipeline.config import MIN_LENS_FRAMES
from pipeline.core.geometry import Camera

# 100 iterations to 1e-9: the same K and distortion to 0.001 px as (200, 1e-12), in a third
# of the time (measured on the synthetic rig).
_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-9)

# Corners on boards seen nearly edge-on are biased (the detector's refinement window reaches
# the markers), so steep views and corners far off the fitted model are left out.
MAX_INCIDENCE_DEG = 60.0
OUTLIER_MIN_PX = 0.5
OUTLIER_MEDIAN_FACTOR = 4.0
MIN_INTRINSIC_VIEWS = MIN_LENS_FRAMES  # one value: the config check asks synth for as many
# The first fit only finds steep views and outlier corners: on more views than this it runs on
# an even subset (OpenCV's fit grows with the cube of the view count: 200 views of 88 corners
# took 18 s per fit).
FIRST_FIT_MAX_VIEWS = 60


def lens_change_sd(before: Camera, after: Camera, std: np.ndarray) -> float:
    """Largest change of (fx, fy, cx, cy, k1, k2, p1, p2, k3) from `before` to `after`, in
    standard errors `std` of `before`'s fit (`calibrate_intrinsics`)."""
    std = np.asarray(std, float)
    change = np.abs(lens_terms(after.matrix, after.dist) - lens_terms(before.matrix, before.dist))
    return float(np.max(np.where(std > 0, change / np.where(std > 0, std, 1.0), 0.0)))


def incidence_deg(rvec: np.ndarray, tvec: np.ndarray) -> float:
    """Angle between the board normal and the line of sight to the board origin."""
    normal = cv2.Rodrigues(np.asarray(rvec, float))[0][:, 2]
    t = np.asarray(tvec, float).ravel()
    return float(np.degrees(np.arccos(abs(normal @ t) / np.linalg.norm(t))))


def inlier_corners(residual_px: list[np.ndarray]) -> list[np.ndarray]:
    """Per view, a mask of corners whose residual is within the outlier threshold."""
    all_residuals = np.concatenate(residual_px)
    limit = max(OUTLIER_MIN_PX, OUTLIER_MEDIAN_FACTOR * np.median(all_residuals))
    return [r <= limit for r in residual_px]


def calibrate_intrinsics(
    detections: VideoDetections, frames: np.ndarray, board
) -> tuple[np.ndarray, np.ndarray, float, int, np.ndarray]:
    """(K, dist, rms px, views kept, standard errors of fx, fy, cx, cy, k1, k2, p1, p2, k3)
    from the board views in `frames`.

    OpenCV's full 5-term model; a first fit finds steep views and outlier corners, a second
    fit runs without them."""
    objp = board_corners_3d(board).astype(np.float32)
    object_points = [objp[detections.ids[k]] for k in frames]
    image_points = [detections.corners[k].astype(np.float32) for k in frames]
    size = detections.image_size
    first = np.unique(
        np.linspace(0, len(frames) - 1, min(len(frames), FIRST_FIT_MAX_VIEWS)).astype(int)
    )
    _, K, dist, rvecs, tvecs = cv2.calibrateCamera(
        [object_points[i] for i in first],
        [image_points[i] for i in first],
        size,
        None,
        None,
        criteria=_CRITERIA,
    )
    if len(first) < len(frames):  # every view's pose under the first lens model
        poses = [cv2.solvePnP(o, i, K, dist)[1:] for o, i in zip(object_points, image_points)]
        rvecs, tvecs = [r for r, _ in poses], [t for _, t in poses]
    residuals = [
        np.linalg.norm(cv2.projectPoints(o, r, t, K, dist)[0].reshape(-1, 2) - i, axis=1)
        for o, i, r, t in zip(object_points, image_points, rvecs, tvecs)
    ]
    kept_objects, kept_images = [], []
    for o, i, r, t, inliers in zip(
        object_points, image_points, rvecs, tvecs, inlier_corners(residuals)
    ):
        if incidence_deg(r, t) <= MAX_INCIDENCE_DEG and inliers.sum() >= MIN_VIEW_CORNERS:
            kept_objects.append(o[inliers])
            kept_images.append(i[inliers])
    if len(kept_objects) < MIN_INTRINSIC_VIEWS:
        raise CalibrationError(
            f"{detections.video}: only {len(kept_objects)} board views are usable for the lens "
            f"model (need {MIN_INTRINSIC_VIEWS}); record the board facing this camera at "
            f"less than {MAX_INCIDENCE_DEG:.0f} deg, at several tilts and image positions"
        )
    rms, K, dist, _, _, std, _, _ = cv2.calibrateCameraExtended(
        kept_objects,
        kept_images,
        size,
        K,
        dist,
        flags=cv2.CALIB_USE_INTRINSIC_GUESS,
        criteria=_CRITERIA,
    )
    return K, dist.ravel()[:5], float(rms), len(kept_objects), std.ravel()[:9]
