"""`runlab calibrate`: board videos -> calibration.toml + quality.json."""
from __future__ import annotations

import numpy as np

from pipeline.calibration.calibrate import calibrate
from pipeline.config import Config
from pipeline.errors import RunlabError
from pipeline.geometry import rotation_angle_deg
from pipeline.io import formats
from pipeline.io.video import probe_synchronized
from pipeline.stages.common import log
from pipeline.study import StudyPaths


class CalibrationGateError(RunlabError):
    """A quality gate failed; the calibration is not written."""


def compare_with_truth(cameras, truth: formats.Calibration) -> dict:
    """Per-camera centre (mm) and orientation (deg) errors against the true rig."""
    out = {}
    for cam in cameras:
        true = truth.camera(cam.name)
        out[cam.name] = {
            "center_error_mm": float(np.linalg.norm(cam.center - true.center) * 1000),
            "orientation_error_deg": rotation_angle_deg(cam.rotation, true.rotation),
        }
    return out


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    videos = paths.calibration_videos()
    probe_synchronized(videos)
    result = calibrate(videos, list(cfg.rig.cameras), cfg.board, cfg.calibration)
    quality = dict(result.quality)
    if cfg.study.synthetic and paths.truth_rig.exists():
        quality["truth_comparison"] = compare_with_truth(result.cameras, formats.read_calibration(paths.truth_rig))
    formats.write_json(paths.calibration_quality, quality)

    worst = max(q["reprojection_median_px"] for q in quality["cameras"].values())
    if not quality["passed"]:
        raise CalibrationGateError(
            f"calibration rejected: median reprojection error {worst:.2f} px exceeds "
            f"calibration.max_reprojection_px={cfg.calibration.max_reprojection_px} "
            f"(details in {paths.calibration_quality}). Check the board definition and that the "
            f"videos are synchronized, or raise the gate if you accept this calibration.")
    formats.write_calibration(paths.calibration, formats.Calibration(
        result.cameras, result.world_from_rig, {"board": f"{cfg.board.squares_x}x{cfg.board.squares_y}"}))
    log.info("calibration written to %s (worst median reprojection error %.2f px)", paths.calibration, worst)
