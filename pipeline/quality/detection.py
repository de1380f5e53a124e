"""How well the 2D detections fed the 3D, per camera and keypoint, and what the triangulation
did with them: the numbers the trial report's detection section shows (report/quality_sections.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.core.skeleton import KEYPOINTS


@dataclass(frozen=True)
class KeypointDetection:
    """One keypoint; the view shares are None when the 3D file was not given."""

    confident: dict[str, float]  # per camera: share of frames >= min_score
    used_by_camera: dict[str, float] | None = None  # per camera: share its view entered the 3D
    mean_views: float | None = None  # views the 3D used, mean over frames
    triangulated: float | None = None  # share of frames from >= 2 views
    gap_filled_or_missing: float | None = None  # share of frames with no view (n_views 0)


@dataclass(frozen=True)
class TriangulationSummary:
    """The points3d file's QA record (formats.TriangulationQA) as plain numbers per camera."""

    rejection: str  # adaptive | fixed
    groups: list[str]  # keypoint groups of the gates
    gates_px: dict[str, list[float]]  # per camera, per group
    median_px: dict[str, list[float | None]]
    swaps_repaired: dict[str, int]  # frames with left/right repaired
    measured_share: float
    gap_filled: int  # keypoint-frames
    reverted: int
    despiked: int
    lowpass_hz: float | None
    warnings: list[str]
    steady_px: dict[str, list[float | None]] = field(default_factory=dict)  # (steady, scatter)


@dataclass(frozen=True)
class DetectionSummary:
    min_score: float
    n_frames: int
    cameras: dict[str, float]  # per camera: share of confident keypoints
    keypoints: dict[str, KeypointDetection]  # in skeleton order
    triangulation: TriangulationSummary | None = None


def detection_summary(
    keypoints2d: np.ndarray,
    camera_names: list[str],
    min_score: float,
    views_used: np.ndarray | None = None,
    n_views: np.ndarray | None = None,
    triangulation: TriangulationSummary | None = None,
) -> DetectionSummary:
    """Per camera: share of keypoint detections (frames x keypoints) with score >= min_score;
    per keypoint: that share per camera, the mean number of views the 3D used (views_used
    (F, K, C)), and the share of frames triangulated from >= 2 views."""
    scores = np.nan_to_num(np.asarray(keypoints2d)[..., 2], nan=0.0)  # (C, F, K)
    confident = scores >= min_score
    keypoints = {}
    for k, name in enumerate(KEYPOINTS):
        row: dict = {
            "confident": {
                cam: float(confident[c, :, k].mean()) for c, cam in enumerate(camera_names)
            }
        }
        if views_used is not None:
            used = np.asarray(views_used)[:, k, :]
            row["used_by_camera"] = {
                cam: float(used[:, c].mean()) for c, cam in enumerate(camera_names)
            }
            row["mean_views"] = float(used.sum(axis=1).mean())
            row["triangulated"] = float((used.sum(axis=1) >= 2).mean())
        if n_views is not None:
            row["gap_filled_or_missing"] = float((np.asarray(n_views)[:, k] == 0).mean())
        keypoints[name] = KeypointDetection(**row)
    return DetectionSummary(
        float(min_score),
        int(scores.shape[1]),
        {name: float(confident[c].mean()) for c, name in enumerate(camera_names)},
        keypoints,
        triangulation,
    )


def triangulation_summary(
    qa,
    camera_names: list[str],
    n_views: np.ndarray,
    swaps_repaired: np.ndarray,
    measured_share: float,
) -> TriangulationSummary:
    """`qa`: the points3d file's formats.TriangulationQA."""
    return TriangulationSummary(
        rejection=qa.rejection,
        groups=list(qa.gate_groups),
        gates_px={c: [float(v) for v in row] for c, row in zip(camera_names, qa.gate_px)},
        median_px={
            c: [None if not np.isfinite(v) else float(v) for v in row]
            for c, row in zip(camera_names, qa.gate_median_px)
        },
        swaps_repaired={c: int(n) for c, n in zip(camera_names, swaps_repaired.sum(axis=1))},
        measured_share=float(measured_share),
        gap_filled=int((np.asarray(n_views) == 0).sum()),
        reverted=int(qa.reverted.sum()),
        despiked=int(qa.despiked.sum()),
        lowpass_hz=qa.lowpass_hz,
        warnings=list(qa.warnings),
        steady_px=(
            {}
            if qa.systematic_px is None
            else {
                c: [None if not np.isfinite(v) else float(v) for v in (s, d)]
                for c, s, d in zip(camera_names, qa.systematic_px, qa.scatter_px)
            }
        ),
    )
