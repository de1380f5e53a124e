"""The canonical skeleton every stage speaks: Halpe-26 keypoint names and order.

Halpe-26 is COCO-17 plus head, neck, hip centre, big toes, small toes and heels, which is
what running analysis needs (foot strike, toe-off, knee-over-toe). Every pose backend maps
its own keypoints onto this order; a keypoint a backend cannot see is NaN with score 0.
"""

from __future__ import annotations

import numpy as np

SKELETON_ID = "halpe26"

KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "head",
    "neck",
    "hip",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINTS)}
N_KEYPOINTS = len(KEYPOINTS)

# Segments drawn in previews and used for limb-length checks.
BONES: tuple[tuple[str, str], ...] = (
    ("head", "neck"),
    ("neck", "hip"),
    ("neck", "left_shoulder"),
    ("neck", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("hip", "left_hip"),
    ("hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_big_toe"),
    ("left_big_toe", "left_small_toe"),
    ("left_ankle", "left_big_toe"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_big_toe"),
    ("right_big_toe", "right_small_toe"),
    ("right_ankle", "right_big_toe"),
    ("nose", "left_eye"),
    ("nose", "right_eye"),
    ("left_eye", "left_ear"),
    ("right_eye", "right_ear"),
)


def _mirror_permutation() -> np.ndarray:
    perm = np.arange(N_KEYPOINTS)
    for i, name in enumerate(KEYPOINTS):
        for a, b in (("left_", "right_"), ("right_", "left_")):
            if name.startswith(a):
                perm[i] = INDEX[b + name[len(a) :]]
    return perm


# keypoints[..., LEFT_RIGHT_SWAP, :] exchanges every left/right pair (a detector's L/R swap).
LEFT_RIGHT_SWAP: np.ndarray = _mirror_permutation()


def relabel_swapped(points2d: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """(C, F, K, ...) detections with the left/right labels of the view-frames `swapped` (C, F)
    exchanged (a copy; the input itself when none is swapped)."""
    if not np.any(swapped):
        return points2d
    out = np.array(points2d, float)
    c, f = np.nonzero(swapped)
    out[c, f] = out[c, f][:, LEFT_RIGHT_SWAP]
    return out


# The face keypoints a detector can only guess when the person turns their back to the camera.
FACE: tuple[str, ...] = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")

# A view shows the person's back when the sine of the image angle from their upward direction to
# their left-to-right direction (+1 seen from the front, -1 from behind) is below minus this...
BACK_VIEW_MIN_SINE = 0.5
# ... and the torso is seen wide: half the summed shoulder and hip widths over the torso height
# (about 0.7 seen square on, 0 in profile; 0.3 is about 65 deg from square on).
BACK_VIEW_MIN_WIDTH = 0.3


def seen_from_behind(points2d: np.ndarray, min_score: float = 0.0) -> np.ndarray:
    """(..., K, 3) detections -> (...) bool: the view clearly shows the person's back.

    Seen from the front, the person's left is on the image's right of their upward direction
    (hips to shoulders); from behind, on its left. Measured from the shoulders and hips, in the
    body's own orientation (a camera on its side is fine). Side views (a narrow torso) and
    missing shoulders or hips give False. A frame whose left/right labels the detector swapped
    reads as the other side.
    """
    p = np.asarray(points2d, float)
    ok = np.nan_to_num(p[..., 2], nan=0.0) >= min_score
    xy = np.where(ok[..., None], p[..., :2], np.nan)
    ls, rs, lh, rh = (
        xy[..., INDEX[n], :] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    )
    left_to_right = (ls - rs) + (lh - rh)
    up = 0.5 * (ls + rs) - 0.5 * (lh + rh)
    cross = up[..., 0] * left_to_right[..., 1] - up[..., 1] * left_to_right[..., 0]
    width = np.linalg.norm(left_to_right, axis=-1)
    height = np.linalg.norm(up, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sine = cross / (width * height)
        wide = 0.5 * width > BACK_VIEW_MIN_WIDTH * height
    # image y points down: seen from the front, the cross product is positive
    return (np.nan_to_num(sine, nan=0.0) < -BACK_VIEW_MIN_SINE) & wide


def without_face_from_behind(points2d: np.ndarray, min_score: float = 0.0) -> np.ndarray:
    """A copy of (C, F, K, 3) detections with the FACE keypoints' scores set to 0 in the
    view-frames that show the person's back. Some detectors (BlazePose) report the face from
    behind with full confidence; what they give there is a guess that moves with the pose, not
    with the face."""
    out = np.array(points2d, float)
    back = seen_from_behind(out, min_score)
    face = indices(FACE)
    scores = out[..., face, 2]
    scores[back] = 0.0
    out[..., face, 2] = scores
    return out


def indices(names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Indices of the named keypoints, with a clear error for an unknown name."""
    unknown = [n for n in names if n not in INDEX]
    if unknown:
        raise KeyError(f"unknown keypoint(s) {unknown}; valid names: {', '.join(KEYPOINTS)}")
    return np.array([INDEX[n] for n in names], dtype=int)
