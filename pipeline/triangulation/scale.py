"""Outlier-rejection thresholds estimated from the trial itself, per camera and keypoint group.

Why: how well the views of a real recording agree depends on the calibration and the detector,
not on a constant. On the shared Pose2Sim lab trial (a marker-system calibration, OpenPose or
BlazePose) the views agree only to 9-24 px, and systematically per camera, so a fixed 12 px gate
drops 29-43 % of good keypoint-frames; on a ChArUco-calibrated rig with a good detector the same
gate is loose. A view is an outlier when it disagrees with the others much more than that
camera's views of that part of the body usually do.

Estimate: the per-view reprojection errors of the all-view solution (before any rejection) of
every point seen by at least MIN_VIEWS_FOR_SCALE views are pooled per camera and keypoint group
(a model's face points and its feet are not equally precise), over at most MAX_FRAMES evenly
spaced frames. For each pool,
    threshold = median + sigmas * 1.4826 * MAD,
clipped to [min_px, max_px]. Median and MAD ignore up to half the pool being wrong: a
consistent per-camera offset moves the median and is tolerated, a gross error (a wrong limb, a
bystander, a swap) sits far in the tail and is not. A pool with fewer than MIN_SAMPLES errors
takes the camera's pooled estimate; a camera with too few, the fixed `fallback_px` (with a named
warning). A camera whose median error alone exceeds half of max_px disagrees with the others
more than a detector's error explains (moved camera, foreign calibration): a named warning.
Measured gates per group: docs/triangulation.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.core.skeleton import INDEX, N_KEYPOINTS

MIN_VIEWS_FOR_SCALE = 3  # a 2-view point splits one disagreement over both views
MIN_SAMPLES = 50  # errors per pool for a median and MAD worth the name
MAD_TO_SD = 1.4826
MAX_FRAMES = 2000  # evenly spaced frames are plenty for a median; bounds the cost

KEYPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "head": ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "head"),
    "trunk": ("neck", "left_shoulder", "right_shoulder", "hip", "left_hip", "right_hip"),
    "arms": ("left_elbow", "right_elbow", "left_wrist", "right_wrist"),
    "legs": ("left_knee", "right_knee", "left_ankle", "right_ankle"),
    "feet": (
        "left_heel",
        "right_heel",
        "left_big_toe",
        "right_big_toe",
        "left_small_toe",
        "right_small_toe",
    ),
}


@dataclass(frozen=True)
class ScaleRule:
    """How thresholds follow the data (TriangulationConfig's `rejection_*` keys)."""

    sigmas: float = 4.0
    min_px: float = 4.0
    max_px: float = 60.0
    fallback_px: float = 12.0


@dataclass(frozen=True)
class ResidualScale:
    """What was estimated, per camera (rows) and keypoint group (columns)."""

    group_names: tuple[str, ...]
    group_of_keypoint: np.ndarray  # (K,) column of each keypoint
    median_px: np.ndarray  # (C, G) NaN where the pool was too small
    spread_px: np.ndarray  # (C, G) robust SD (1.4826 MAD)
    n_samples: np.ndarray  # (C, G)
    threshold_px: np.ndarray  # (C, G) the gate used
    source: np.ndarray  # (C, G) str: group | camera | fixed
    warnings: list[str] = field(default_factory=list)
    camera_far: np.ndarray | None = None  # (C,) bool: median error far above a detector's

    def per_keypoint(self) -> np.ndarray:
        """(C, K) threshold of each camera and keypoint."""
        return self.threshold_px[:, self.group_of_keypoint]


def keypoint_groups(n_kp: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Group names and (K,) group index; one group 'all' for skeletons other than Halpe-26."""
    if n_kp != N_KEYPOINTS:
        return ("all",), np.zeros(n_kp, int)
    names = tuple(KEYPOINT_GROUPS)
    of = np.empty(n_kp, int)
    for g, members in enumerate(KEYPOINT_GROUPS.values()):
        of[[INDEX[m] for m in members]] = g
    return names, of


def estimate_scale(
    errors: np.ndarray, used: np.ndarray, rule: ScaleRule, camera_names: list[str] | None = None
) -> ResidualScale:
    """Thresholds from the per-view errors (C, F, K) of the all-view solution; `used` (C, F, K)
    marks the views it used. See the module docstring."""
    n_cams, n_frames, n_kp = errors.shape
    names = camera_names or [f"camera {c}" for c in range(n_cams)]
    step = max(1, -(-n_frames // MAX_FRAMES))
    errors, used = errors[:, ::step], used[:, ::step]
    groups, of = keypoint_groups(n_kp)
    n_used = used.sum(axis=0)  # (F, K)
    pool = used & (n_used >= MIN_VIEWS_FOR_SCALE)[None] & np.isfinite(errors)
    shape = (n_cams, len(groups))
    median, spread = np.full(shape, np.nan), np.full(shape, np.nan)
    count = np.zeros(shape, int)
    threshold = np.full(shape, float(rule.fallback_px))
    source = np.full(shape, "fixed", dtype=object)
    warnings: list[str] = []
    camera_median = np.full(n_cams, np.nan)
    for c in range(n_cams):
        camera_errors = errors[c][pool[c]]
        camera_gate = None
        if camera_errors.size >= MIN_SAMPLES:
            camera_median[c], _, camera_gate = _gate(camera_errors, rule, stats=True)
        else:
            warnings.append(
                f"{names[c]}: only {camera_errors.size} keypoint views agree with at least "
                f"{MIN_VIEWS_FOR_SCALE - 1} other cameras (a residual scale needs {MIN_SAMPLES}); "
                f"its outlier gate is the fixed {rule.fallback_px:g} px "
                "(triangulation.max_reprojection_px)"
            )
        for g in range(len(groups)):
            e = errors[c][:, of == g][pool[c][:, of == g]]
            count[c, g] = e.size
            if e.size >= MIN_SAMPLES:
                median[c, g], spread[c, g], threshold[c, g] = _gate(e, rule, stats=True)
                source[c, g] = "group"
            elif camera_gate is not None:
                threshold[c, g], source[c, g] = camera_gate, "camera"
    # a camera whose typical disagreement alone is half the largest gate: not a detector's noise
    far = camera_median > 0.5 * rule.max_px
    for c in np.flatnonzero(far):
        warnings.append(
            f"{names[c]}: its views disagree with the other cameras far more than a detector's "
            f"error explains (median {camera_median[c]:.0f} px over all keypoints; gates are held "
            f"at triangulation.rejection_max_px = {rule.max_px:g} px): check that the camera did "
            "not move after calibration and that the calibration is this rig's"
        )
    return ResidualScale(groups, of, median, spread, count, threshold, source, warnings, far)


def _gate(e: np.ndarray, rule: ScaleRule, stats: bool = False):
    med = float(np.median(e))
    sd = MAD_TO_SD * float(np.median(np.abs(e - med)))
    gate = float(np.clip(med + rule.sigmas * sd, rule.min_px, rule.max_px))
    return (med, sd, gate) if stats else gate


def fixed_scale(n_cams: int, n_kp: int, threshold_px: float) -> ResidualScale:
    """The same gate everywhere (triangulation.rejection = fixed)."""
    groups, of = keypoint_groups(n_kp)
    shape = (n_cams, len(groups))
    return ResidualScale(
        groups,
        of,
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.zeros(shape, int),
        np.full(shape, float(threshold_px)),
        np.full(shape, "fixed", dtype=object),
    )
