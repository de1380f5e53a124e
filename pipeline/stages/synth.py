"""`runlab synth`: render the synthetic ground-truth session of a study."""
from __future__ import annotations

import time

import numpy as np

from pipeline.config import Config, ConfigError, ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.io import formats
from pipeline.stages.common import log
from pipeline.study import StudyPaths
from pipeline.synth.board_video import write_calibration_videos
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.rig import make_rig
from pipeline.synth.trial_video import write_trial_videos

WORLD_FORWARD = np.array([1.0, 0.0, 0.0])  # the generator runs along +X


def run(cfg: Config) -> None:
    if not cfg.study.synthetic:
        raise ConfigError("study.synthetic is false: this study has real recordings, there is "
                          "nothing to synthesize (run the pipeline from `calibrate`)")
    paths = StudyPaths.from_config(cfg)
    cameras = make_rig(cfg.rig)
    formats.write_calibration(paths.truth_rig, formats.Calibration(cameras, metadata={"source": "synthetic truth"}))

    t0 = time.perf_counter()
    write_calibration_videos(cameras, cfg.board, cfg.calibration, cfg.synth,
                             paths.data_dir / "calibration", cfg.rig.fps)
    log.info("calibration videos rendered in %.1f s", time.perf_counter() - t0)

    for trial in cfg.study.trials:
        truth = simulate_run(trial.runner, cfg.rig.fps)
        write_trial_videos(truth.points, cameras, cfg.rig.fps, paths.trial_dir(trial.name))
        formats.write_truth(paths.truth_trial(trial.name), formats.TruthTrial(
            truth.points, cfg.rig.fps, truth.foot_strikes, truth.toe_offs))
        # True metric values: the analysis definitions applied to the true skeleton and events.
        events = {s: {"foot_strike": truth.foot_strikes[s], "toe_off": truth.toe_offs[s]}
                  for s in ("left", "right")}
        analysis = analyze_trial(truth.points, cfg.rig.fps, WORLD_FORWARD, ThresholdsConfig(), events=events,
                                 belt_speed_mps=trial.treadmill_speed(synthetic=True))
        result = analysis.to_dict()
        result.pop("flags", None)  # flags depend on a study's thresholds, truth does not
        formats.write_json(paths.truth_metrics(trial.name), {"trial": trial.name, "runner": vars(trial.runner), **result})
        log.info("trial %s: %d frames of ground truth", trial.name, truth.points.shape[0])
