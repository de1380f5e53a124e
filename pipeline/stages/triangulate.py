"""`runlab triangulate [--trial T]`: keypoints2d + the session's calibration -> points3d/<trial>.*"""
from __future__ import annotations

from typing import Optional

import numpy as np

from pipeline.config import Config
from pipeline.io import formats
from pipeline.io.exports import write_c3d, write_csv_points, write_trc
from pipeline.stages.calibration_use import load_calibration
from pipeline.stages.common import check_camera_set, log, trial_names
from pipeline.study import StudyPaths
from pipeline.triangulation.run import triangulate_recording
from pipeline.triangulation.uncertainty import predicted_sd


def run(cfg: Config, trial: Optional[str] = None) -> None:
    for name in trial_names(cfg, trial):
        triangulate_trial(cfg, name)


def triangulate_trial(cfg: Config, name: str) -> None:
    paths = StudyPaths.from_config(cfg)
    calib = load_calibration(paths, paths.session_of(name))
    kp = formats.read_keypoints2d(paths.keypoints2d(name))
    check_camera_set(calib, kp.camera_names, str(paths.keypoints2d(name)))
    result = triangulate_recording(kp.points, calib.cameras, kp.fps, cfg.triangulation)
    out = paths.points3d(name)
    formats.write_points3d(out, formats.Points3D(
        result.points, result.reprojection_error, result.n_views, kp.fps,
        result.views_used, kp.camera_names, result.swaps_repaired,
        sd_per_px=predicted_sd(result.points, calib.cameras, result.views_used),
        points_unfiltered=result.unfiltered))
    write_trc(out.with_suffix(".trc"), result.points, kp.keypoint_names, kp.fps)
    write_c3d(out.with_suffix(".c3d"), result.points, kp.keypoint_names, kp.fps, result.reprojection_error)
    write_csv_points(out.with_suffix(".csv"), result.points, kp.keypoint_names, kp.fps)
    present = np.isfinite(result.points[..., 0])
    measured = result.n_views > 0
    log.info("trial %s: %.1f%% of keypoints in 3D (%.1f%% measured, the rest gap-filled), "
             "median reprojection error %.2f px, %d view-frames with left/right repaired",
             name, 100 * present.mean(), 100 * measured.mean(),
             np.nanmedian(result.reprojection_error) if measured.any() else np.nan,
             int(result.swaps_repaired.sum()))
