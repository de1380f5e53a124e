"""Triangulation of one recording as configured: the solver, the time-domain clean-up and the
optional spatiotemporal refinement (after gap filling, so it starts from complete stretches;
before the low-pass, which then only removes what the fit left)."""
from __future__ import annotations

import numpy as np

from pipeline.config import TriangulationConfig, TriangulationMethod, TriangulationRefine
from pipeline.geometry import Camera
from pipeline.triangulation.dlt import triangulate_dlt
from pipeline.triangulation.filtering import despike, fill_gaps, lowpass
from pipeline.triangulation.refine import refine_trajectories
from pipeline.triangulation.robust import RobustTriangulated, triangulate_robust


def triangulate_recording(points2d: np.ndarray, cameras: list[Camera], fps: float,
                          cfg: TriangulationConfig) -> RobustTriangulated:
    """(C, F, K, 3) detections -> 3D with per-point error, views used and repaired swaps."""
    if cfg.method is TriangulationMethod.robust:
        result = triangulate_robust(points2d, cameras, cfg.min_score, cfg.min_views,
                                    cfg.max_reprojection_px, cfg.repair_swaps,
                                    cfg.max_dropped_views, cfg.min_ray_angle_deg)
    else:
        plain = triangulate_dlt(points2d, cameras, cfg.min_score, cfg.min_views)
        result = RobustTriangulated(plain.points, plain.reprojection_error, plain.n_views,
                                    plain.views_used, np.zeros(points2d.shape[:2], bool))
    points = result.points
    if cfg.despike_m > 0:
        points = despike(points, cfg.despike_m)
    kept = np.isfinite(points[..., 0])                  # measured and not removed as a spike
    if cfg.fill_max_gap_frames > 0:
        points = fill_gaps(points, cfg.fill_max_gap_frames, cfg.fill_method.value)
    if cfg.refine is TriangulationRefine.limb_length:
        points = refine_trajectories(points, points2d, cameras,
                                     result.views_used & kept[..., None], fps,
                                     cfg.refine_limb_sigma_m, cfg.refine_accel_sigma_ms2,
                                     min_score=cfg.min_score,
                                     swaps_repaired=result.swaps_repaired)
    unfiltered = None
    if cfg.lowpass_hz > 0:
        # kept for gait events: a low-pass rounds the heel's touchdown and the toe's lift-off
        # (15 Hz on this stage's output: strikes up to +0.51 frame late at 120 fps and +0.89
        # at 240 fps, toe-offs down to -0.97; docs/metrics.md)
        unfiltered = points
        points = lowpass(points, fps, cfg.lowpass_hz)
    measured = np.isfinite(result.points[..., 0]) & np.isfinite(points[..., 0])
    return RobustTriangulated(
        points=points,
        reprojection_error=np.where(measured, result.reprojection_error, np.nan),
        n_views=np.where(measured, result.n_views, 0),
        views_used=result.views_used & measured[..., None],
        swaps_repaired=result.swaps_repaired,
        unfiltered=unfiltered)
