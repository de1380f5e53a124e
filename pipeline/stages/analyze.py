"""`runlab analyze [--trial T]`: points3d -> analysis/<trial>.json + strides CSV + metrics.json
+ curves/<angle>_<side>.csv (normalized gait-cycle curves, DVC plots)."""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.calibration.quality_record import own_reprojection_px
from pipeline.config import Config, ImportedTrialConfig
from pipeline.core.json_types import JsonObject
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.compare import headline_metrics, truth_errors
from pipeline.gait.curves import curve_tables
from pipeline.gait.events import TOE_TIP_AHEAD_M
from pipeline.gait.landing import standing_reference
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import TrialSummary
from pipeline.gait.scale_checks import scale_checks
from pipeline.gait.stance_fit import point_sd_from_3d
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.quality.anatomy import skeleton_problems
from pipeline.quality.evidence import GaitCounts, imported_evidence, trial_evidence
from pipeline.quality.verdict import TrialEvidence, Verdict, trial_verdict
from pipeline.stages.common import log, trial_names
from pipeline.stages.standing import analyze_static, session_standing_pitch
from pipeline.study.paths import StudyPaths
from pipeline.study.provenance import trial_provenance
from pipeline.sync.result import read_sync_result


def run(cfg: Config, trial: str | None = None) -> None:
    for name in trial_names(cfg, trial) if trial else list(cfg.study.all_trials):
        analyze_one(cfg, name)


def toe_tip_ahead_m(cfg: Config, synthetic: bool, motion: str | None = None) -> float:
    """analysis.toe_tip_ahead_mm in metres; null: 0 for the parametric synthetic runner (its
    big toe is the tip), the events module's default for everything else, a synthetic
    session driven by a real runner's motion (`runner.motion`: toe markers) included."""
    value = cfg.analysis.toe_tip_ahead_mm
    if value is None:
        return 0.0 if synthetic and motion is None else TOE_TIP_AHEAD_M
    return value / 1000.0


def standing_pitch(cfg: Config, session: str, video_trial: bool = True) -> dict[str, float] | None:
    """The session's standing foot pitch when the study gives one: measured from its static
    trial (study.static_trials, the standing stage; video trials, which DVC runs after it) or
    typed (standing_foot_pitch_deg)."""
    entry = cfg.study.sessions.get(session)
    if entry is None:
        return None
    if session in cfg.study.static_trials:
        return session_standing_pitch(cfg, session) if video_trial else None
    return standing_reference(
        entry.standing_foot_pitch_deg, f"study.sessions.{session}.standing_foot_pitch_deg"
    )


def analyze_one(cfg: Config, name: str) -> None:
    if cfg.study.is_static(name):
        return analyze_static(cfg, name)
    paths = StudyPaths.from_config(cfg)
    trial = cfg.study.trial(name)
    synthetic = trial.session in cfg.study.synthesize
    forward = (
        None if cfg.analysis.forward_axis is None else np.asarray(cfg.analysis.forward_axis, float)
    )
    p3d = formats.read_points3d(paths.points3d(name))
    assert p3d.fps is not None  # read_points3d sets it (a file's)
    fps = float(p3d.fps)
    limit_ms = cfg.analysis.max_event_timing_sd_ms
    if limit_ms is not None and p3d.sd_per_px is None:
        log.warning(
            "trial %s: %s has no sd_per_px (written by an older runlab); events are not "
            "screened for observation quality: rerun `runlab triangulate`",
            name,
            paths.points3d(name),
        )
    analysis = analyze_trial(
        p3d.points,
        p3d.fps,
        forward,
        cfg.analysis.thresholds,
        belt_speed_mps=trial.treadmill_speed(synthetic),
        height_sd=None if p3d.sd_per_px is None else p3d.sd_per_px[..., 2],
        max_event_timing_sd_s=None if limit_ms is None else limit_ms / 1000,
        event_points=p3d.points_unfiltered,
        n_views=p3d.n_views,
        toe_tip_ahead_m=toe_tip_ahead_m(cfg, synthetic, trial.runner.motion),
        standing_pitch_deg=standing_pitch(cfg, trial.session, name in cfg.study.trials),
        point_sd=point_sd_from_3d(p3d.sd_per_px, p3d.reprojection_error),
    )
    checks = trial_scale_checks(cfg, name, p3d, analysis, synthetic)
    sync = read_sync_result(paths.sync(name)) if paths.sync(name).exists() else None
    # the calibration's quality.json changes only with calibration.toml, which reruns triangulate
    imported = name in cfg.study.imports  # 3D from a file: no calibration, no 2D
    summary = analysis.summary
    measured = np.where((np.asarray(p3d.n_views) > 0)[..., None], p3d.points, np.nan)

    def checked(evidence: TrialEvidence) -> TrialEvidence:
        return dataclasses.replace(
            evidence,
            observation=summary.observation,
            input_problems=list(summary.input_problems),
            contacts_not_found=sum(map(len, (summary.contacts_not_found or {}).values())),
            scale_checks=list(checks),
            fps=fps,
            skeleton_problems=skeleton_problems(measured, list(summary.forward)),
        )

    if imported:
        markerset = trial.markerset if isinstance(trial, ImportedTrialConfig) else None
        evidence = dataclasses.replace(
            checked(imported_evidence(p3d, gait_counts(analysis))),
            keypoint_model=f"imported {markerset or 'keypoint names'}",
        )
    else:
        calibration_id = formats.read_calibration(paths.trial_calibration(name)).metadata.get(
            "calibration_id"
        )
        evidence = dataclasses.replace(
            checked(trial_evidence(p3d, gait_counts(analysis))),
            sync_status=None if sync is None else sync.status,
            sync_reasons=[] if sync is None else list(sync.reasons),
            keypoint_model=keypoint_model(cfg, paths, name),
            calibration_own_px=own_reprojection_px(
                paths.calibration_quality(trial.session),
                None if calibration_id is None else str(calibration_id),
            ),
        )
    verdict = trial_verdict(evidence, cfg.analysis.verdict)
    result = {
        "trial": name,
        "session": trial.session,
        **analysis.to_dict(),
        "scale_checks": [c.to_dict() for c in checks],
        "verdict": verdict.to_dict(),
        "provenance": imported_provenance(cfg, paths, name)
        if imported
        else provenance_of(cfg, paths, name),
    }
    if imported:
        result["reference_events"] = reference_events_of(paths, name, analysis)
    if synthetic and paths.truth_metrics(name).exists():
        result["truth_errors"] = truth_errors(summary, read_truth(paths, name)).to_dict()
    assert analysis.curves is not None  # analyze_trial always computes them
    # analysis/, curves/ and metrics.json replaced as one set
    with staged(paths.analysis_dir(name), paths.curves_dir(name), paths.trial_metrics(name)) as (
        analysis_dir,
        curves_dir,
        metrics,
    ):
        formats.write_json(analysis_dir / paths.analysis(name).name, result)
        formats.write_csv(
            analysis_dir / paths.strides_csv(name).name, [s.to_dict() for s in analysis.strides]
        )
        formats.write_csv_dir(curves_dir, curve_tables(analysis.curves))
        formats.write_json(
            metrics,
            {
                "verdict": verdict.verdict,
                "verdict_reasons": [r.code for r in verdict.reasons],
                **headline_metrics(analysis),
                "provenance": result["provenance"],
            },
        )
    log.info(
        "trial %s: %d strides analysed, %d flags", name, len(analysis.strides), len(analysis.flags)
    )
    log_verdict(name, verdict)
    poor = analysis.summary.poorly_observed_events or {}
    n_poor = sum(n for side in poor.values() for n in side.values())
    if n_poor and limit_ms is not None:
        log.warning(
            "trial %s: %s",
            name,
            untimed_text(n_poor, analysis.summary.untimed_on_dropouts, limit_ms),
        )
    for side, windows in (analysis.summary.contacts_not_found or {}).items():
        if windows:
            log.warning(
                "trial %s: %d %s-foot contact(s) not detected (at %s): the rhythm puts a "
                "contact there and no event of the foot was found",
                name,
                len(windows),
                side,
                ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in windows),
            )


def log_verdict(name: str, verdict: Verdict) -> None:
    """A trial not ok: one warning with the reasons behind it. Each note too: it leaves the
    verdict as it is but loses part of the trial, a warning as the other partial losses."""
    if verdict.verdict != "ok":
        log.warning(
            "trial %s: %s: %s",
            name,
            verdict.verdict.upper(),
            "; ".join(r.message for r in verdict.reasons if r.severity != "note"),
        )
    for note in (r for r in verdict.reasons if r.severity == "note"):
        log.warning("trial %s: note (%s): %s", name, note.code, note.message)


def trial_scale_checks(cfg: Config, name: str, p3d: formats.Points3D, analysis, synthetic: bool):
    """The scale checks this trial's records allow (gait/scale_checks.py); a warning saying
    what to record when fewer than two are possible."""
    trial = cfg.study.trial(name)
    height = (
        cfg.study.sessions[trial.session].height_m if trial.session in cfg.study.sessions else None
    )
    if height is None and synthetic:
        height = trial.runner.height_m
    belt = trial.treadmill_speed(synthetic)
    speed = (
        trial.speed_mps
        if trial.speed_mps is not None
        else (trial.runner.speed_mps if synthetic and not trial.runner.treadmill else None)
    )
    assert p3d.fps is not None  # read_points3d sets it (a file's)
    measured = np.where((np.asarray(p3d.n_views) > 0)[..., None], p3d.points, np.nan)
    checks = scale_checks(
        measured,
        analysis.strides,
        p3d.fps,
        list(analysis.summary.forward),
        cfg.analysis.thresholds.min_strides,
        belt_speed_mps=belt,
        height_m=height,
        speed_mps=speed,
    )
    if len(checks) < 2:
        missing = [
            key
            for key, value in (
                (f"study.sessions.{trial.session}.height_m", height),
                (
                    f"study.trials.{name}.belt_speed_mps (treadmill) or "
                    f"study.trials.{name}.speed_mps (overground)",
                    belt or speed,
                ),
            )
            if value is None
        ]
        log.warning(
            "trial %s: the 3D's scale was checked against the world %d time(s) (%s)%s: a "
            "wrong calibration board size would go unnoticed",
            name,
            len(checks),
            ", ".join(c.name for c in checks) or "no check",
            f"; record {' and '.join(missing)}" if missing else " (too few strides for the others)",
        )
    return checks


def keypoint_model(cfg: Config, paths: StudyPaths, name: str) -> str:
    """The detector (and model) whose keypoint order the 3D assumes, for the verdict."""
    path = paths.keypoints2d(name)
    backend = (
        formats.read_keypoints2d(path).backend if path.exists() else cfg.detector.backend.value
    )
    if backend == "openpose_json":
        return f"detector openpose_json, detector.openpose_json.model={cfg.detector.openpose_json.model.value}"
    return f"detector {backend}"


def read_truth(paths: StudyPaths, name: str) -> TrialSummary:
    """The synthetic trial's true summary (the synth stage's analysis of its true 3D)."""
    path = paths.truth_metrics(name)
    try:
        return TrialSummary.from_dict(formats.read_json(path)["summary"])
    except KeyError as missing:
        raise formats.FormatError(
            f"{path}: no {missing} (written by an older runlab); rerun `runlab synth`"
        ) from None


def provenance_of(cfg: Config, paths: StudyPaths, name: str) -> JsonObject:
    """What produced this trial's numbers (docs/formats.md, "Provenance"): the backend and
    video hashes as detect recorded them in the keypoints file. dvc.lock is not read: DVC
    rewrites it while the pipeline runs, so what a stage found there would depend on the order
    the stages ran in (a parallel or cluster run)."""
    kp = (
        formats.read_keypoints2d(paths.keypoints2d(name))
        if paths.keypoints2d(name).exists()
        else None
    )
    cameras = list(kp.camera_names) if kp is not None else list(cfg.rig.cameras)
    return trial_provenance(
        cfg,
        name,
        paths.trial_calibration(name),
        paths.trial_videos(name, cameras),
        cameras,
        kp.video_sha256 if kp is not None else (),
        kp.backend if kp is not None else None,
    ).to_dict()


def imported_provenance(cfg: Config, paths: StudyPaths, name: str) -> JsonObject:
    """An imported trial's provenance: its source file's hash in place of video hashes."""
    entry = cfg.study.imports[name]
    source = paths.imported_file(name, entry.file)
    return trial_provenance(
        cfg, name, paths.trial_calibration(name), [source], ["imported"], (), "imported"
    ).to_dict()


def reference_events_of(paths: StudyPaths, name: str, analysis: TrialAnalysis) -> JsonObject:
    """The capture's own events (force plates or C3D, written by import-3d) beside runlab's:
    per foot, each runlab event's signed difference (frames, runlab minus reference) to the
    nearest reference event, where one lies within 10 frames."""
    path = paths.reference_events(name)
    if not path.exists():
        return {"source": "none"}
    ref = formats.read_json(path)
    out = {
        "source": ref.get("source", "none"),
        "foot_strikes": ref.get("foot_strikes", {}),
        "toe_offs": ref.get("toe_offs", {}),
        "differences_frames": {},
    }
    for kind, key in (("foot_strikes", "foot_strike"), ("toe_offs", "toe_off")):
        for side, frames in (ref.get(kind) or {}).items():
            mine = np.asarray(analysis.events.get(side, {}).get(key, []), float)
            theirs = np.asarray(frames, float)
            if mine.size and theirs.size:
                nearest = theirs[np.argmin(np.abs(mine[:, None] - theirs[None, :]), axis=1)]
                out["differences_frames"].setdefault(kind, {})[side] = [
                    float(d) for d in mine - nearest if abs(d) <= 10
                ]
    return out


def untimed_text(n_poor: int, on_dropouts: int | None, limit_ms: float) -> str:
    """Why events were not timed, by cause: a dropout is a dropout, not the volume."""
    dropouts = min(on_dropouts or 0, n_poor)
    parts = []
    if dropouts:
        parts.append(
            f"{dropouts} fell where a foot keypoint was not detected (a dropout: gap-"
            "filled, no camera saw it)"
        )
    if n_poor - dropouts:
        parts.append(
            f"{n_poor - dropouts} fell where the cameras do not pin the event's timing "
            f"down (outside the well-observed volume: seen by fewer than 3 cameras, "
            f"predicted timing SD above {limit_ms:.1f} ms/px)"
        )
    return f"{n_poor} foot strikes / toe-offs not timed: " + "; ".join(parts)


def gait_counts(analysis: TrialAnalysis) -> GaitCounts:
    """What the verdict needs from the gait analysis, as plain numbers."""
    poor = analysis.summary.poorly_observed_events or {}
    return GaitCounts(
        strides={side: block.n_strides for side, block in analysis.summary.sides.items()},
        events_found=sum(len(t) for ev in analysis.events.values() for t in ev.values()),
        events_untimed=sum(n for side in poor.values() for n in side.values()),
    )
