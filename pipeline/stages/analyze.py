"""`runlab analyze`: points3d.npz -> metrics.json + strides.csv per trial, study metrics."""
from __future__ import annotations

import numpy as np

from pipeline.config import Config
from pipeline.gait.compare import headline_metrics, truth_errors
from pipeline.gait.metrics import analyze_trial
from pipeline.io import formats
from pipeline.stages.common import log
from pipeline.study import StudyPaths


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    forward = None if cfg.analysis.forward_axis is None else np.asarray(cfg.analysis.forward_axis, float)
    study: dict = {}
    for trial in cfg.study.trials:
        p3d = formats.read_points3d(paths.points3d(trial.name))
        analysis = analyze_trial(p3d.points, p3d.fps, forward, cfg.analysis.thresholds,
                                 belt_speed_mps=trial.treadmill_speed(cfg.study.synthetic))
        result = {"trial": trial.name, **analysis.to_dict()}
        if cfg.study.synthetic and paths.truth_metrics(trial.name).exists():
            result["truth_errors"] = truth_errors(result, formats.read_json(paths.truth_metrics(trial.name)))
        formats.write_json(paths.metrics(trial.name), result)
        formats.write_csv(paths.strides_csv(trial.name), analysis.strides)
        study[trial.name] = headline_metrics(result)
        log.info("trial %s: %d strides analysed, %d flags", trial.name, len(analysis.strides), len(analysis.flags))
    formats.write_json(paths.study_metrics, {"trials": study})
