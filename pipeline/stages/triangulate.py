"""`runlab triangulate`: keypoints2d.npz + calibration -> points3d.npz per trial."""
from __future__ import annotations

import numpy as np

from pipeline.config import Config
from pipeline.io import formats
from pipeline.stages.common import check_camera_set, log
from pipeline.study import StudyPaths
from pipeline.triangulation.dlt import triangulate_dlt


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    calib = formats.read_calibration(paths.calibration)
    for trial in cfg.study.trials:
        kp = formats.read_keypoints2d(paths.keypoints2d(trial.name))
        check_camera_set(calib, kp.camera_names, str(paths.keypoints2d(trial.name)))
        result = triangulate_dlt(kp.points, calib.cameras, cfg.triangulation.min_score,
                                 cfg.triangulation.min_views)
        formats.write_points3d(paths.points3d(trial.name), formats.Points3D(
            result.points, result.reprojection_error, result.n_views, kp.fps))
        ok = np.isfinite(result.points[..., 0])
        log.info("trial %s: %.1f%% of keypoints triangulated, median reprojection error %.2f px",
                 trial.name, 100 * ok.mean(), np.nanmedian(result.reprojection_error) if ok.any() else np.nan)
