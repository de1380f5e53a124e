"""`runlab synth [--session S]`: render a synthetic session (board videos, trials, truth)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from pipeline.config import Config, ConfigError, ThresholdsConfig, lens_board_config
from pipeline.gait.metrics import analyze_trial
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.io.grf import force_plate_events
from pipeline.io.import3d import load_3d
from pipeline.stages.common import log
from pipeline.study.paths import StudyPaths
from pipeline.synth.board_video import write_calibration_videos, write_lens_videos
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.real_motion import motion_truth
from pipeline.synth.rig import make_rig
from pipeline.synth.standing_pose import simulate_standing
from pipeline.synth.trial_video import write_trial_videos

WORLD_FORWARD = np.array([1.0, 0.0, 0.0])  # the generator runs along +X


def run(cfg: Config, session: str | None = None) -> None:
    if not cfg.study.synthesize:
        raise ConfigError(
            "study.synthesize is empty: this study has real recordings, there is "
            "nothing to synthesize (run the pipeline from `calibrate`)"
        )
    for name in [session] if session else cfg.study.synthesize:
        if name not in cfg.study.synthesize:
            raise ConfigError(
                f"session '{name}' is not in study.synthesize ({cfg.study.synthesize}): "
                "its videos are recordings, not rendered"
            )
        synth_session(cfg, name)


def synth_session(cfg: Config, session: str) -> None:
    final = StudyPaths.from_config(cfg)
    # the session folder is rendered into a staging folder and replaces the old one as a whole
    with staged(final.session_dir(session)) as (stage_dir,):
        _render_session(cfg, session, dataclasses.replace(final, data_dir=stage_dir.parent))


def _render_session(cfg: Config, session: str, paths: StudyPaths) -> None:
    cameras = make_rig(cfg.rig)  # the same rig in every session; each session is calibrated anew
    formats.write_calibration(
        paths.truth_rig(session),
        dataclasses.replace(cameras, metadata={"source": "synthetic truth"}),
    )
    # Each session's board is waved differently (seed), as on a real calibration day.
    synth_cfg = dataclasses.replace(
        cfg.synth, seed=cfg.synth.seed + list(cfg.study.sessions).index(session)
    )
    t0 = time.perf_counter()
    write_calibration_videos(
        cameras,
        cfg.board,
        cfg.calibration,
        synth_cfg,
        paths.session_dir(session) / "calibration",
        cfg.rig.fps,
    )
    log.info("session %s: calibration videos rendered in %.1f s", session, time.perf_counter() - t0)
    if synth_cfg.lens_frames:  # close-up lens recordings, for calibration.intrinsics.source=videos
        t0 = time.perf_counter()
        write_lens_videos(
            cameras,
            lens_board_config(cfg.calibration, cfg.board),
            synth_cfg,
            paths.session_dir(session) / "intrinsics",
            cfg.rig.fps,
        )
        log.info(
            "session %s: lens videos (%d frames per camera) rendered in %.1f s",
            session,
            synth_cfg.lens_frames,
            time.perf_counter() - t0,
        )

    for name in cfg.study.trials_of(session):
        trial = cfg.study.trials[name]
        truth = runner_truth(cfg, name)
        write_trial_videos(truth.points, cameras, cfg.rig.fps, paths.trial_dir(name))
        formats.write_truth(
            paths.truth_trial(name),
            formats.TruthTrial(truth.points, cfg.rig.fps, truth.foot_strikes, truth.toe_offs),
        )
        if cfg.study.is_static(name):
            log.info("trial %s: the runner standing still (static trial)", name)
            continue  # no strides: its truth is the standing pitch, 0 (synth/standing_pose.py)
        if not any(len(v) for v in truth.foot_strikes.values()):
            log.warning(
                "trial %s: the imported motion has no force plates: no truth events, so "
                "no truth metrics (the analysis is not scored against truth)",
                name,
            )
            continue
        # True metric values: the analysis definitions applied to the true skeleton and events.
        events = truth.events()
        analysis = analyze_trial(
            truth.points,
            cfg.rig.fps,
            WORLD_FORWARD,
            ThresholdsConfig(),
            events=events,
            belt_speed_mps=trial.treadmill_speed(synthetic=True),
        )
        result = analysis.to_dict()
        result.pop("flags", None)  # flags depend on a study's thresholds, truth does not
        formats.write_json(
            paths.truth_metrics(name), {"trial": name, "runner": vars(trial.runner), **result}
        )
        log.info("trial %s: %d frames of ground truth", name, truth.points.shape[0])


def runner_truth(cfg: Config, name: str):
    """The trial's runner: the parametric model, standing still for a static trial, or an
    imported trial's real motion (`runner.motion`, docs/import3d.md) with the force plates'
    events as truth."""
    trial = cfg.study.trials[name]
    if cfg.study.is_static(name):
        return simulate_standing(trial.runner, cfg.rig.fps)
    if trial.runner.motion is None:
        return simulate_run(trial.runner, cfg.rig.fps)
    source = trial.runner.motion
    entry = cfg.study.imports[source]
    paths = StudyPaths.from_config(cfg)  # the import's folder, not the session's staging
    imported = load_3d(paths.imported_file(source, entry.file), entry.markerset)
    force = (
        force_plate_events(paths.imported_file(source, entry.force_file))
        if entry.force_file
        else None
    )
    truth = motion_truth(imported, cfg.rig.fps, trial.runner.duration_s, force)
    log.info(
        "trial %s: the runner moves as imported trial %s (%s, %g Hz resampled to %g fps, "
        "%d frames; truth events: %s)",
        name,
        source,
        imported.locomotion,
        imported.fps,
        cfg.rig.fps,
        len(truth.points),
        "force plates" if force else "none",
    )
    return truth
