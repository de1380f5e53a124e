"""The canonical skeleton every stage speaks: Halpe-26 keypoint names and order.

Halpe-26 is COCO-17 plus head, neck, hip centre, big toes, small toes and heels, which is
what running analysis needs (foot strike, toe-off, knee-over-toe). Every pose backend maps
its own keypoints onto this order; a keypoint a backend cannot see is NaN with score 0.
"""
from __future__ import annotations

import numpy as np

SKELETON_ID = "halpe26"

KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
    "head", "neck", "hip",
    "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINTS)}
N_KEYPOINTS = len(KEYPOINTS)

# Segments drawn in previews and used for limb-length checks.
BONES: tuple[tuple[str, str], ...] = (
    ("head", "neck"), ("neck", "hip"),
    ("neck", "left_shoulder"), ("neck", "right_shoulder"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("hip", "left_hip"), ("hip", "right_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_big_toe"),
    ("left_big_toe", "left_small_toe"), ("left_ankle", "left_big_toe"),
    ("right_ankle", "right_heel"), ("right_heel", "right_big_toe"),
    ("right_big_toe", "right_small_toe"), ("right_ankle", "right_big_toe"),
    ("nose", "left_eye"), ("nose", "right_eye"),
    ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)


def _mirror_permutation() -> np.ndarray:
    perm = np.arange(N_KEYPOINTS)
    for i, name in enumerate(KEYPOINTS):
        for a, b in (("left_", "right_"), ("right_", "left_")):
            if name.startswith(a):
                perm[i] = INDEX[b + name[len(a):]]
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


def indices(names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Indices of the named keypoints, with a clear error for an unknown name."""
    unknown = [n for n in names if n not in INDEX]
    if unknown:
        raise KeyError(f"unknown keypoint(s) {unknown}; valid names: {', '.join(KEYPOINTS)}")
    return np.array([INDEX[n] for n in names], dtype=int)
