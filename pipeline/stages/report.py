"""`runlab report --trial T`: one trial's report folder (HTML, figures, overlay videos);
`runlab report --study`: the study report over all trials + the study metrics.json.

The trial report reads the trial's analysis, 3D and 2D files, its session's calibration and
quality, and the trial videos; the study report reads only the trials' report summaries and
metrics, so it is quick to rebuild.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from pipeline.calibration.quality_record import read_calibration_quality
from pipeline.config import Config, ImportedTrialConfig
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.compare import TruthErrors
from pipeline.gait.standing import StandingMeasurement
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.io.import3d import analysed_reference_events
from pipeline.quality.detection import detection_summary, triangulation_summary
from pipeline.quality.verdict import Verdict
from pipeline.report.media import render_media
from pipeline.report.standing_report import write_standing_report
from pipeline.report.study_records import TrialOverview
from pipeline.report.study_report import (
    measurement_error_summary,
    sessions_by_subject,
    write_study_report,
)
from pipeline.report.trial_report import TrialInfo, write_trial_report
from pipeline.report.viewer import write_viewer
from pipeline.report.viewer_data import gather_viewer_data
from pipeline.stages.calibration_use import load_calibration
from pipeline.stages.common import log
from pipeline.stages.export import LABELS, write_exports
from pipeline.study.paths import StudyPaths
from pipeline.study.provenance import study_provenance
from pipeline.sync.result import read_sync_result
from pipeline.triangulation.qa import measured_share


def run(cfg: Config) -> None:
    """Every trial's report, then the study report."""
    for name in cfg.study.all_trials:
        run_trial(cfg, name)
    run_study(cfg)


def trial_info(cfg: Config, name: str) -> TrialInfo:
    trial = cfg.study.trial(name)
    if (
        isinstance(trial, ImportedTrialConfig)
        and name in cfg.study.imports
        and trial.session not in cfg.study.sessions
    ):
        return TrialInfo(
            name, trial.subject, trial.session, trial.label, trial.date, trial.condition
        )
    session = cfg.study.session(trial.session)
    return TrialInfo(
        name, session.subject, trial.session, session.label, session.date, trial.condition
    )


def run_trial(cfg: Config, name: str) -> Path:
    paths = StudyPaths.from_config(cfg)
    info = trial_info(cfg, name)
    data = formats.read_json(paths.analysis(name))
    if cfg.study.is_static(name):
        return static_trial_report(paths, name, info.session, data)
    analysis = TrialAnalysis.from_dict(data, str(paths.analysis(name)))
    if analysis.curves is None:
        raise formats.FormatError(
            f"{paths.analysis(name)}: written by an older runlab (no curves); "
            f"rerun `runlab analyze --trial {name}`"
        )
    p3d = formats.read_points3d(paths.points3d(name))
    # read_points3d sets a file's fps, camera names and swaps (None only on the solver's result)
    assert p3d.fps is not None and p3d.camera_names is not None
    assert p3d.swaps_repaired is not None
    forward = list(analysis.summary.forward)  # the line of progression the analysis used
    out = paths.trial_report_dir(name)

    quality_file = paths.calibration_quality(info.session)
    quality = read_calibration_quality(quality_file) if quality_file.exists() else None
    quality_html = paths.calibration_report(info.session)
    quality_href = os.path.relpath(quality_html, out) if quality_html.exists() else None

    kp = (
        formats.read_keypoints2d(paths.keypoints2d(name))
        if paths.keypoints2d(name).exists()
        else None
    )
    min_score = cfg.triangulation.min_score
    detection = sync = None
    if kp is not None:
        triangulation = (
            None
            if p3d.qa is None
            else triangulation_summary(
                p3d.qa,
                p3d.camera_names,
                p3d.n_views,
                p3d.swaps_repaired,
                measured_share(p3d.n_views, kp.points, min_score).share,
            )
        )
        detection = detection_summary(
            kp.points, kp.camera_names, min_score, p3d.views_used, p3d.n_views, triangulation
        )
        sync = read_sync_result(paths.sync(name)) if paths.sync(name).exists() else None
    imported = name in cfg.study.imports  # 3D from a file: no videos, no cameras
    videos = None if imported else paths.trial_videos(name)
    cameras = None
    calibration_file = paths.trial_calibration(name)
    if calibration_file.exists() and not imported:
        calibration = load_calibration(paths, info.session)
        missing = [c for c in p3d.camera_names if c not in calibration.names]
        if missing:
            raise formats.FormatError(
                f"{paths.points3d(name)}: cameras {missing} are not in "
                f"{calibration_file}; rerun triangulate with this calibration (dvc repro)"
            )
        cameras = [calibration.camera(c) for c in p3d.camera_names]
        videos = paths.trial_videos(name, p3d.camera_names)
    if videos is not None and not all(v.exists() for v in videos):
        log.warning(
            "trial %s: trial videos missing (%s): report without camera overlays",
            name,
            ", ".join(str(v) for v in videos if not v.exists()),
        )
        videos = None
    rc = cfg.report
    detections = kp.points if kp is not None and rc.overlay_detections else None
    if detections is not None and kp is not None and kp.camera_names != p3d.camera_names:
        detections = None  # another camera order: do not mix views up
    # written into a staging folder that replaces the report as a whole: no stale overlays,
    # and a crash leaves the previous report (links are relative, so they hold after the move)
    with staged(out) as (stage_out,):
        media = render_media(
            stage_out,
            p3d.points,
            p3d.fps,
            analysis.strides,
            forward,
            videos,
            cameras,
            detections,
            min_score,
            rc.overlay_width_px or None,
            rc.overlay_max_frames or None,
            rc.overlay_format.value,
            rc.overlay_videos,
        )
        viewer = gather_viewer_data(
            name,
            p3d.fps,
            p3d,
            forward,
            analysis.strides,
            cameras,
            media.overlays,
            data.get("verdict"),
            p3d.camera_names,
            media.notes,
        )
        media.viewer = write_viewer(stage_out, viewer).name
        if rc.exports:
            for result in write_exports(
                stage_out / "exports",
                name,
                p3d,
                analysis.strides,
                forward,
                [f.value for f in rc.exports],
                rc.export_max_gap_s,
                rc.export_min_segment_s,
            ):
                media.exports.append(
                    {
                        "label": LABELS[result.fmt],
                        "note": result.note,
                        "hrefs": [str(f.relative_to(stage_out)) for f in result.files],
                    }
                )
        index = write_trial_report(
            stage_out,
            info,
            analysis,
            p3d.points,
            forward,
            cfg.analysis.thresholds,
            quality,
            quality_href,
            detection,
            media,
            None if not data.get("truth_errors") else TruthErrors.from_dict(data["truth_errors"]),
            rc.title,
            Verdict.from_dict(data.get("verdict")),
            data.get("provenance"),
            sync,
            analysed_reference_events(data.get("reference_events")),
        )
        index = out / index.relative_to(stage_out)
    log.info("trial %s: report written to %s", name, index)
    return index


def static_trial_report(paths: StudyPaths, name: str, session: str, data: dict) -> Path:
    """A static trial's page (its standing measurement); the study report leaves it out."""
    if "standing" not in data:
        raise formats.FormatError(
            f"{paths.analysis(name)}: no standing measurement (analysed before the trial was "
            f"named a static trial); rerun `runlab analyze --trial {name}`"
        )
    measurement = StandingMeasurement.from_dict(data["standing"])
    out = paths.trial_report_dir(name)
    with staged(out) as (stage_out,):
        index = write_standing_report(stage_out, session, measurement)
    index = out / index.relative_to(stage_out)
    log.info("trial %s: static trial report written to %s", name, index)
    return index


def run_study(cfg: Config) -> Path:
    paths = StudyPaths.from_config(cfg)
    out = paths.study_report_dir
    summaries, metrics = [], {}
    for name in [t for t in cfg.study.all_trials if not cfg.study.is_static(t)]:
        summary_file = paths.trial_report_dir(name) / "summary.json"
        # who/when from the config as it is now (a relabelled session needs no trial rerun)
        info = trial_info(cfg, name)
        summary = replace(
            TrialOverview.from_dict(formats.read_json(summary_file)),
            subject=info.subject,
            session=info.session,
            session_label=info.session_label,
            session_date=info.session_date,
            condition=info.condition,
            href=os.path.relpath(paths.trial_report_dir(name) / "index.html", out),
        )
        summaries.append(summary)
        if paths.trial_metrics(name).exists():
            trial_metrics = formats.read_json(paths.trial_metrics(name))
            trial_metrics.pop("schema_version", None)
            metrics[name] = trial_metrics
    provenance = study_provenance(cfg).to_dict()
    with staged(out, paths.study_metrics) as (stage_out, stage_metrics):  # replaced as one set
        index = write_study_report(
            stage_out, summaries, cfg.report.title, cfg.study.name, provenance
        )
        formats.write_json(
            stage_metrics,
            {
                "trials": metrics,
                # issue #29: each compared metric's SEM, mdc95 and whether the change is real
                "measurement_error": measurement_error_summary(sessions_by_subject(summaries)),
                "provenance": provenance,
            },
        )
        index = out / index.relative_to(stage_out)
    log.info("study report written to %s", index)
    return index
