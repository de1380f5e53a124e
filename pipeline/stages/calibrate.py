"""`runlab calibrate`: board videos -> calibration.toml + quality.json + quality.html."""
from __future__ import annotations

from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.measures import compare_with_truth
from pipeline.calibration.gates import blocking_failures
from pipeline.calibration.report_html import quality_html
from pipeline.io.atomic import write_text
from pipeline.config import Config
from pipeline.errors import RunlabError
from pipeline.io import formats
from pipeline.io.video import probe_synchronized
from pipeline.stages.common import log
from pipeline.study import StudyPaths


class CalibrationGateError(RunlabError):
    """A quality gate failed; the calibration is not written."""


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    videos = paths.calibration_videos()
    probe_synchronized(videos)
    result = calibrate(videos, list(cfg.rig.cameras), cfg.board, cfg.calibration)
    quality = dict(result.quality)
    if cfg.study.synthetic and paths.truth_rig.exists():
        quality["truth_comparison"] = compare_with_truth(result.cameras, formats.read_calibration(paths.truth_rig).cameras)
    formats.write_json(paths.calibration_quality, quality)
    # Written before the gates can stop the stage: a failed calibration needs it most.
    write_text(paths.calibration_quality.with_name("quality.html"),
               quality_html(quality, f"Calibration quality: {cfg.study.name}"))

    for gate in quality["gates"]:
        if gate["verdict"] != "pass":
            log.warning("calibration gate %s: %s", gate["verdict"].upper(), gate["message"])
    stops = blocking_failures(quality["gates"], cfg.calibration.allow_failed_gates)
    if stops:
        raise CalibrationGateError(
            "calibration rejected by its quality gates (details in "
            f"{paths.calibration_quality}):\n  - " + "\n  - ".join(g["message"] for g in stops)
            + "\nRecord again as the messages say, or list the gate in "
              "calibration.allow_failed_gates to accept this calibration anyway.")
    worst = max(q["reprojection_median_px"] for q in quality["cameras"].values())
    formats.write_calibration(paths.calibration, formats.Calibration(
        result.cameras, result.world_from_rig, {"board": f"{cfg.board.squares_x}x{cfg.board.squares_y}"}))
    log.info("calibration written to %s (worst median reprojection error %.2f px)", paths.calibration, worst)
