"""What a triangulation did, in numbers a lab can check: the gates it used, the share of the
detector's keypoints it measured, what post-processing had to undo, its warnings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.config import TriangulationConfig
from pipeline.core.camera_set import CameraSet
from pipeline.io.formats import TriangulationQA
from pipeline.triangulation.consistency import systematic_residual
from pipeline.triangulation.result import Triangulation
from pipeline.triangulation.run import lowpass_cutoff

MIN_CAMERAS_FOR_REJECTION = 3  # with two views a disagreement cannot say which view is wrong


@dataclass(frozen=True)
class MeasuredShare:
    share: float  # measured keypoint-frames / keypoint-frames of the provided keypoints
    provided: int  # keypoints some camera detected at least once (a model without small
    total: int  # toes, e.g. BlazePose, provides 24 of 26)
    per_camera: np.ndarray | None = None  # (C,) share of those each camera's views entered


def measured_share(
    n_views: np.ndarray,
    points2d: np.ndarray,
    min_score: float,
    views_used: np.ndarray | None = None,
) -> MeasuredShare:
    """Share of keypoint-frames triangulated from views (not gap-filled), over the keypoints the
    detector provides at all; with `views_used` (F, K, C) also each camera's share."""
    score = np.nan_to_num(np.asarray(points2d)[..., 2], nan=0.0)
    provided = (score >= min_score).any(axis=(0, 1))  # (K,)
    measured = np.asarray(n_views)[:, provided] > 0
    share = float(measured.mean()) if measured.size else 0.0
    per_camera = None
    if views_used is not None:
        used = np.asarray(views_used)[:, provided]
        per_camera = used.mean(axis=(0, 1)) if used.size else np.zeros(used.shape[-1])
    return MeasuredShare(share, int(provided.sum()), int(provided.size), per_camera)


def triangulation_qa(
    result: Triangulation,
    points2d: np.ndarray,
    camera_names: list[str],
    fps: float,
    cfg: TriangulationConfig,
    cameras: CameraSet | None = None,
) -> TriangulationQA:
    """The QA record of the points3d file, with every named warning. With the `cameras`, also
    each camera's steady residual (does the calibration describe it?)."""
    scale, evidence = result.scale, result.evidence
    if evidence is None:
        raise ValueError(
            "triangulation_qa needs a result held to its views (triangulate_recording)"
        )
    warnings = list(scale.warnings)
    score = np.nan_to_num(np.asarray(points2d)[..., 2], nan=0.0)
    for c, name in enumerate(camera_names):
        if not (score[c] >= cfg.min_score).any():
            warnings.append(
                f"{name}: no keypoint with a score of at least "
                f"triangulation.min_score = {cfg.min_score:g} in the whole trial: "
                "this camera contributes nothing (runner out of view, wrong video, "
                "or a detector that failed on it)"
            )
    active = sum(bool((score[c] >= cfg.min_score).any()) for c in range(len(camera_names)))
    if active < MIN_CAMERAS_FOR_REJECTION:
        warnings.append(
            f"only {active} camera(s) with detections: a view that is wrong cannot be "
            "told from one that is right, so no outlier is rejected and no left/right "
            "swap repaired; treat this 3D as unchecked"
        )
    strangers = result.other_person_views
    if strangers is not None and strangers.any():
        for c in np.flatnonzero(strangers.any(axis=1)):
            frames = np.flatnonzero(strangers[c])
            warnings.append(
                f"{camera_names[c]}: {frames.size} frames ({frames[0]}-{frames[-1]}) "
                "show another person where the other cameras place the runner (the "
                "runner hidden, a bystander detected): those views were left out"
            )
    foreign = (
        result.other_person
        if result.other_person is not None
        else np.zeros(result.points.shape[:2], bool)
    )
    if foreign.any():
        frames = np.flatnonzero(foreign.any(axis=1))
        warnings.append(
            f"{int(foreign.sum())} keypoints in frames {frames[0]}-{frames[-1]} were "
            "triangulated more than 1.5 m from the runner's body: another person seen "
            "where the runner was hidden; left out (gaps), not fused"
        )
    if evidence.reverted.any():
        warnings.append(
            f"{int(evidence.reverted.sum())} points were moved by post-processing "
            "(gap filling, refinement, low-pass) away from the views that support "
            "them and were put back where the views place them"
        )
    share = measured_share(result.n_views, points2d, cfg.min_score, result.views_used)
    cutoff = lowpass_cutoff(cfg, fps)
    if 0 < cutoff < cfg.lowpass_hz:
        warnings.append(
            f"low-pass at {cutoff:g} Hz instead of triangulation.lowpass_hz = "
            f"{cfg.lowpass_hz:g} Hz: at {fps:g} fps a higher cut-off is too close to "
            "the frame rate's limit; fast foot motion is smoothed more"
        )
    steady = (
        None
        if cameras is None
        else systematic_residual(
            result.points, result.views_used, result.swaps_repaired, points2d, cameras
        )
    )
    return TriangulationQA(
        rejection=cfg.rejection.value if cfg.method.value == "robust" else "none (dlt)",
        gate_groups=scale.group_names,
        gate_px=scale.threshold_px,
        gate_median_px=scale.median_px,
        gate_spread_px=scale.spread_px,
        gate_source=np.asarray(scale.source, dtype=str),
        reverted=evidence.reverted,
        despiked=evidence.despiked,
        lowpass_hz=cutoff,
        warnings=tuple(warnings),
        measured_share=share.share,
        camera_share=share.per_camera,
        camera_disagrees=(
            np.zeros(len(camera_names), bool) if scale.camera_far is None else scale.camera_far
        ),
        other_person=foreign,
        other_person_views=(
            np.zeros((len(camera_names), len(foreign)), bool) if strangers is None else strangers
        ),
        systematic_px=None if steady is None else steady.systematic_px,
        scatter_px=None if steady is None else steady.scatter_px,
    )
