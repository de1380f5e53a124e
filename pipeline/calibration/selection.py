"""Which board frames to calibrate on: evenly spaced in time, or chosen for diversity.

`diverse` picks frames that differ most in what constrains a lens model and the camera
poses: where the board is in the image, how large it appears (distance) and how it is tilted
(foreshortening). It needs no lens model: all three come from the board -> image homography
of each view. Greedy farthest-point sampling in that feature space, starting from the view
with most corners, so a few frames already span the recording.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.calibration.board import board_center, board_corners_3d
from pipeline.calibration.board_in_videos import VideoDetections, spread_over
from pipeline.config import FrameSelection

SEEN_WEIGHT = 3.0  # shared frames: which cameras see the board counts more than how


def view_features(det: VideoDetections, frame: int, board) -> np.ndarray | None:
    """[x, y, log size, tilt x, tilt y] of one board view: centroid as a fraction of the image,
    log of its apparent size, and the homography's perspective terms over the board's half
    size (0 = facing the camera; the direction says which edge is nearer)."""
    ids, px = det.ids[frame], det.corners[frame]
    if len(ids) < 4:
        return None
    width, height = det.image_size
    plane = board_corners_3d(board)[ids, :2] - board_center(board)[:2]
    H, _ = cv2.findHomography(plane, px)
    if H is None:
        return None
    H = H / H[2, 2]
    half = np.abs(plane).max()
    size = np.sqrt(np.prod(np.ptp(px, axis=0)) / (width * height))
    return np.array(
        [
            px[:, 0].mean() / width,
            px[:, 1].mean() / height,
            np.log(max(size, 1e-3)),
            H[2, 0] * half,
            H[2, 1] * half,
        ]
    )


def farthest_point(
    features: np.ndarray, count: int, first: int = 0, weights: np.ndarray | None = None
) -> np.ndarray:
    """Indices of `count` rows of `features` (standardized, then times `weights`), each the
    farthest from those already chosen (ties: earliest row)."""
    if count >= len(features):
        return np.arange(len(features))
    scale = features.std(axis=0)
    f = features / np.where(scale > 1e-12, scale, 1.0)
    if weights is not None:
        f = f * weights
    chosen = [first]
    dist = np.linalg.norm(f - f[first], axis=1)
    for _ in range(count - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(f - f[nxt], axis=1))
    return np.sort(np.array(chosen))


def choose_views(
    det: VideoDetections, frames: np.ndarray, count: int, board, method: FrameSelection
) -> np.ndarray:
    """At most `count` of one camera's usable `frames` for its lens model."""
    frames = np.asarray(frames, int)
    if FrameSelection(method) == FrameSelection.even or len(frames) <= count:
        return spread_over(frames, count)
    found = [view_features(det, k, board) for k in frames]
    ok = np.array([f is not None for f in found])
    frames, feats = frames[ok], np.array([f for f in found if f is not None])
    first = int(np.argmax([len(det.ids[k]) for k in frames]))
    return frames[farthest_point(feats, count, first)]


def choose_shared(
    detections: list[VideoDetections],
    usable: np.ndarray,
    frames: np.ndarray,
    count: int,
    board,
    method: FrameSelection,
) -> np.ndarray:
    """At most `count` of `frames` (seen by two or more cameras) for the camera poses: spread
    over which cameras see the board and, per camera, where and how (view_features)."""
    frames = np.asarray(frames, int)
    if FrameSelection(method) == FrameSelection.even or len(frames) <= count:
        return spread_over(frames, count)
    n_cams = len(detections)
    feats = np.zeros((len(frames), 6 * n_cams))
    for j, k in enumerate(frames):
        for c, det in enumerate(detections):
            f = view_features(det, k, board) if usable[c, k] else None
            if f is not None:
                feats[j, 6 * c] = 1.0
                feats[j, 6 * c + 1 : 6 * c + 6] = f
    first = int(np.argmax(usable[:, frames].sum(axis=0)))
    weights = np.tile([SEEN_WEIGHT, 1, 1, 1, 1, 1], n_cams)
    return frames[farthest_point(feats, count, first, weights)]
