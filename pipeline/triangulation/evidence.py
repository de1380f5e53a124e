"""Post-processing held to the 2D evidence: what despike, gap filling, refinement and low-pass
return must still agree with the views that support each point.

Why: every step after the solve works on the 3D alone (time smoothness, limb lengths) and can
move a point away from what the cameras saw; on a real recording an unchecked refinement moved
heel points by metres, below the floor, while the file still carried the reprojection error of
the point before it moved. So the final points are reprojected into the views robust
triangulation kept for them (its `views_used`, the evidence), and:
- a measured point whose final position is farther than TOLERANCE x its outlier gate from any
  of those views is put back where triangulation placed it (counted as `reverted`); the gate
  times the point's predicted SD per px (`uncertainty.py`) is thus also how far it may move;
- a point despike removed is a gap (no views), whatever filling put there;
- `reprojection_error`, `n_views` and `views_used` describe the final points.
Errors are in undistorted pixels, as the gates (`linear.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.triangulation import linear

TOLERANCE = 1.5  # x gate: a smoothing filter may move a point a little beyond its gate


@dataclass(frozen=True)
class EvidenceCheck:
    reverted: np.ndarray  # (F, K) bool: moved away from its views, put back
    despiked: np.ndarray  # (F, K) bool: measured but removed as a spike (now a gap)
    max_error_ratio: float  # largest final error / gate over supporting views, after it


@dataclass(frozen=True)
class HeldPoints:
    points: np.ndarray  # (F, K, 3)
    reprojection_error: np.ndarray  # (F, K) mean px over views_used; NaN without views
    n_views: np.ndarray  # (F, K)
    views_used: np.ndarray  # (F, K, C)
    check: EvidenceCheck


def hold_to_evidence(
    final: np.ndarray,
    triangulated: np.ndarray,
    kept: np.ndarray,
    views_used: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    rig: linear.Rig,
    gate: np.ndarray,
) -> HeldPoints:
    """final (F, K, 3) post-processed points; triangulated (F, K, 3) the solver's points;
    kept (F, K) False where despike removed a measured point; views_used (F, K, C) the solver's
    views; x, y (C, F, K) normalized observations as the solver used them (swaps repaired);
    gate (C, K) outlier gates in px."""
    n_frames, n_kp, n_cams = views_used.shape
    support = np.moveaxis(views_used, -1, 0) & kept[None] & np.isfinite(triangulated[..., 0])[None]
    ratio_of = lambda p: (
        linear.view_errors(
            p.reshape(-1, 3).T, x.reshape(n_cams, -1), y.reshape(n_cams, -1), rig
        ).reshape(x.shape)
        / gate[:, None, :]
    )
    with np.errstate(invalid="ignore"):
        ratio = np.where(support, ratio_of(final), 0.0)
        worst = ratio.max(axis=0)
        finite_final = np.isfinite(final[..., 0])
        reverted = support.any(axis=0) & (~finite_final | ~(worst <= TOLERANCE))
    points = np.where(reverted[..., None], triangulated, final)
    with np.errstate(invalid="ignore"):
        ratio = np.where(support, ratio_of(points), 0.0)
    error = ratio * gate[:, None, :]
    n_views = support.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_error = np.where(n_views > 0, error.sum(axis=0) / n_views, np.nan)
    despiked = np.isfinite(triangulated[..., 0]) & ~kept
    max_ratio = float(np.nanmax(ratio)) if support.any() else float("nan")
    return HeldPoints(
        points,
        mean_error,
        n_views,
        np.moveaxis(support, 0, -1),
        EvidenceCheck(reverted, despiked, max_ratio),
    )
