"""`runlab calibrate [--session S]`: a session's board videos -> calibration.toml + quality.json/.html."""

from __future__ import annotations

from dataclasses import replace

from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.gates import blocking_failures
from pipeline.calibration.measures import compare_with_truth
from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.config import Config
from pipeline.core.errors import RunlabError
from pipeline.io import formats
from pipeline.io.atomic import write_text
from pipeline.io.video import probe_synchronized
from pipeline.report.calibration_report import quality_html
from pipeline.stages.calibration_use import ACCEPTED, REJECTED, calibration_id
from pipeline.stages.common import log, reproducible, session_names
from pipeline.study.paths import StudyPaths


class CalibrationGateError(RunlabError):
    """A quality gate failed; the calibration is not written."""


def run(cfg: Config, session: str | None = None) -> None:
    for name in session_names(cfg, session):
        calibrate_session(cfg, name)


def calibrate_session(cfg: Config, session: str) -> None:
    paths = StudyPaths.from_config(cfg)
    videos = paths.calibration_videos(session)
    try:
        probe_synchronized(videos)
        result = calibrate(videos, list(cfg.rig.cameras), cfg.board, cfg.calibration)
    except RunlabError:
        # The recording was refused: an earlier calibration.toml is not this recording's
        # (DVC removes it before the run too), so no later stage may take it as current,
        # and an earlier quality.json/.html saying "accepted" must not remain beside it (a
        # copied-back calibration.toml would match its id).
        for stale in (
            paths.calibration(session),
            paths.calibration_quality(session),
            paths.calibration_report(session),
        ):
            stale.unlink(missing_ok=True)
        raise
    record, timings = reproducible(
        result.quality.to_dict()
    )  # no timings or absolute paths in tracked files
    quality = CalibrationQuality.from_dict(record)
    log.info(
        "session %s: calibration steps (s): %s",
        session,
        ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
    )
    if session in cfg.study.synthesize and paths.truth_rig(session).exists():
        truth = formats.read_calibration(paths.truth_rig(session))
        quality.truth_comparison = compare_with_truth(result.cameras, truth)
    gates = quality.gates or []  # solve_calibration always decides them
    for gate in gates:
        if gate.verdict != "pass":
            log.warning("calibration gate %s: %s", gate.verdict.upper(), gate.message)
    stops = blocking_failures(gates, cfg.calibration.allow_failed_gates)
    calibration = replace(
        result.cameras,
        metadata={"board": f"{cfg.board.squares_x}x{cfg.board.squares_y}", "session": session},
    )
    # calibration.toml and quality.json are one set (pipeline/stages/calibration_use.py):
    # a rejected run leaves no calibration.toml behind (an earlier one would be used as if
    # current); an accepted one writes it first, then the quality with the same id.
    if stops:
        quality.verdict = REJECTED
        paths.calibration(session).unlink(missing_ok=True)
    else:
        quality.verdict = ACCEPTED
        quality.calibration_id = calibration.metadata["calibration_id"] = calibration_id(
            calibration
        )
        formats.write_calibration(paths.calibration(session), calibration)
    formats.write_json(paths.calibration_quality(session), quality.to_dict())
    # Written also when the gates stop the stage: a failed calibration needs it most.
    write_text(
        paths.calibration_report(session),
        quality_html(quality, f"Calibration quality: session {session}"),
    )
    if stops:
        raise CalibrationGateError(
            "calibration rejected by its quality gates (details in "
            f"{paths.calibration_quality(session)}):\n  - "
            + "\n  - ".join(g.message for g in stops)
            + f"\nNo calibration is left for session {session} (a rejected one is never "
            "used by the later stages). Record again as the messages say, or list the gate "
            "in calibration.allow_failed_gates to accept this calibration anyway."
        )
    worst = max(
        (
            q.reprojection_median_px
            for q in quality.cameras.values()
            if q.reprojection_median_px is not None  # else its reprojection gate failed
        ),
        default=float("nan"),
    )
    log.info(
        "session %s: calibration written to %s (worst median reprojection error %.2f px)",
        session,
        paths.calibration(session),
        worst,
    )
