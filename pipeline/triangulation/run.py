"""Triangulation of one recording as configured: the solver, the time-domain clean-up and the
optional spatiotemporal refinement (after gap filling, so it starts from complete stretches;
before the low-pass, which then only removes what the fit left), then every point held to the
views that support it (evidence.py). Keypoints of another person are removed first
(identity.py)."""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.config import (
    RejectionMode,
    TriangulationConfig,
    TriangulationMethod,
    TriangulationRefine,
)
from pipeline.core.camera_set import CameraSet
from pipeline.core.dlt import triangulate_dlt
from pipeline.core.skeleton import relabel_swapped
from pipeline.triangulation import linear
from pipeline.triangulation.evidence import hold_to_evidence
from pipeline.triangulation.filtering import despike, fill_gaps, lowpass
from pipeline.triangulation.identity import other_person, other_person_views, runner_track
from pipeline.triangulation.refine import refine_trajectories
from pipeline.triangulation.result import Triangulation
from pipeline.triangulation.robust import triangulate_robust
from pipeline.triangulation.scale import ScaleRule, fixed_scale

LOWPASS_MAX_FRACTION_OF_FPS = 0.4  # 30 fps: 12 Hz at most; 40 fps and up: the configured 15 Hz
MAX_BODY_ACCEL_MS2 = 400.0  # twice a foot's ~200 m/s^2 at strike (filtering.despike)
# A spike is also a jump the point's own noise does not explain: 6 robust SDs of its frame-to-
# frame scatter (Gaussian noise: about 1 sample in 10^7). A runway camera 7.6 m away scatters a
# leg point 25-30 mm in depth, and 5 cm alone removed 9 % of ordinary samples there.
DESPIKE_NOISE_SIGMAS = 6.0


def lowpass_cutoff(cfg: TriangulationConfig, fps: float) -> float:
    """The low-pass cut-off used at this frame rate: the configured one, lowered to 0.4 x the
    frame rate (inside Nyquist, where a Butterworth still has its shape; a quarter, 7.5 Hz at
    30 fps, doubled the synthetic 3D error there); 0 = off."""
    if not cfg.lowpass_hz > 0:
        return 0.0
    return float(min(cfg.lowpass_hz, LOWPASS_MAX_FRACTION_OF_FPS * fps))


def despike_threshold(cfg: TriangulationConfig, fps: float) -> float:
    """The despike deviation used at this frame rate: never below what genuine motion produces
    in one frame (half the second difference of MAX_BODY_ACCEL_MS2): at 30 fps a foot's
    touchdown alone moves a sample 11 cm off its neighbours' midpoint; 0 = off."""
    if not cfg.despike_m > 0:
        return 0.0
    return float(max(cfg.despike_m, MAX_BODY_ACCEL_MS2 / (2 * fps**2)))


def scale_rule(cfg: TriangulationConfig) -> ScaleRule | None:
    """The adaptive gate's settings, or None for the fixed gate."""
    if cfg.rejection == RejectionMode.fixed:
        return None
    return ScaleRule(
        cfg.rejection_sigmas, cfg.rejection_min_px, cfg.rejection_max_px, cfg.max_reprojection_px
    )


def triangulate_recording(
    points2d: np.ndarray, cameras: CameraSet, fps: float, cfg: TriangulationConfig
) -> Triangulation:
    """(C, F, K, 3) detections -> 3D with per-point error, views used and repaired swaps; every
    point after post-processing still agrees with its views (evidence.py)."""
    rig = linear.Rig(list(cameras))
    undistorted = _undistort(points2d, rig)  # once, for the solve, refinement and evidence
    result = _solve(points2d, cameras, cfg, undistorted)
    track = runner_track(result.points, fps)
    strangers = other_person_views(points2d, track, cameras, cfg.min_score)
    if strangers.any():  # solve again without the views of another person
        points2d = np.array(points2d, float)
        points2d[strangers] = (np.nan, np.nan, 0.0)
        ux, uy = undistorted
        hidden = strangers[..., None]  # (C, F) views of another person, every keypoint
        undistorted = (np.where(hidden, np.nan, ux), np.where(hidden, np.nan, uy))
        result = _solve(points2d, cameras, cfg, undistorted)
        track = runner_track(result.points, fps)
    foreign = other_person(result.points, track)
    if foreign.any():
        result = dataclasses.replace(
            result,
            points=np.where(foreign[..., None], np.nan, result.points),
            n_views=np.where(foreign, 0, result.n_views),
            views_used=result.views_used & ~foreign[..., None],
            reprojection_error=np.where(foreign, np.nan, result.reprojection_error),
        )
    points = result.points
    if cfg.despike_m > 0:
        points = despike(points, despike_threshold(cfg, fps), DESPIKE_NOISE_SIGMAS)
    kept = np.isfinite(points[..., 0])  # measured and not removed as a spike
    if cfg.fill_max_gap_frames > 0:
        points = fill_gaps(points, cfg.fill_max_gap_frames, cfg.fill_method.value)
    if cfg.refine == TriangulationRefine.limb_length:
        points = refine_trajectories(
            points,
            points2d,
            cameras,
            result.views_used & kept[..., None],
            fps,
            cfg.refine_limb_sigma_m,
            cfg.refine_accel_sigma_ms2,
            min_score=cfg.min_score,
            swaps_repaired=result.swaps_repaired,
            residual_scale_px=result.scale.per_keypoint(),
            undistorted=undistorted,
        )
    unfiltered = None
    cutoff = lowpass_cutoff(cfg, fps)
    if cutoff > 0:
        # kept for gait events: a low-pass rounds the heel's touchdown and the toe's lift-off
        # and so delays strikes and advances toe-offs (measured: docs/metrics.md)
        unfiltered = points
        points = lowpass(points, fps, cutoff)
    x, y = _observed(undistorted, result.swaps_repaired)
    gate = result.scale.per_keypoint()
    held = hold_to_evidence(points, result.points, kept, result.views_used, x, y, rig, gate)
    if unfiltered is not None:
        unfiltered = np.where(held.check.reverted[..., None], result.points, unfiltered)
    return Triangulation(
        points=held.points,
        reprojection_error=held.reprojection_error,
        n_views=held.n_views,
        views_used=held.views_used,
        swaps_repaired=result.swaps_repaired,
        points_unfiltered=unfiltered,
        scale=result.scale,
        evidence=held.check,
        other_person=foreign,
        other_person_views=strangers,
    )


def _solve(
    points2d: np.ndarray,
    cameras: CameraSet,
    cfg: TriangulationConfig,
    undistorted: tuple[np.ndarray, np.ndarray] | None = None,
) -> Triangulation:
    if cfg.method == TriangulationMethod.robust:
        return triangulate_robust(
            points2d,
            cameras,
            cfg.min_score,
            cfg.min_views,
            cfg.max_reprojection_px,
            cfg.repair_swaps,
            cfg.max_dropped_views,
            cfg.min_ray_angle_deg,
            scale_rule=scale_rule(cfg),
            undistorted=undistorted,
        )
    plain = triangulate_dlt(points2d, cameras, cfg.min_score, cfg.min_views)
    return Triangulation(
        plain.points,
        plain.reprojection_error,
        plain.n_views,
        plain.views_used,
        swaps_repaired=np.zeros(points2d.shape[:2], bool),
        scale=fixed_scale(len(cameras), points2d.shape[2], cfg.max_reprojection_px),
    )


def _undistort(points2d: np.ndarray, rig: linear.Rig) -> tuple[np.ndarray, np.ndarray]:
    """(C, F, K) normalized x, y of the detections, as detected (NaN where a view is missing)."""
    obs = np.asarray(points2d, float)
    x, y = linear.undistort(obs[..., :2].reshape(obs.shape[0], -1, 2), rig)
    return x.reshape(obs.shape[:3]), y.reshape(obs.shape[:3])


def _observed(undistorted: tuple[np.ndarray, np.ndarray], swaps_repaired: np.ndarray):
    """(C, F, K) normalized observations with the repaired left/right labels."""
    xy = relabel_swapped(np.stack(undistorted, axis=-1), swaps_repaired)
    return xy[..., 0], xy[..., 1]
