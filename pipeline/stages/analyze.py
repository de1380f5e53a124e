"""`runlab analyze`: points3d.npz -> metrics.json + strides.csv per trial, study metrics."""
from __future__ import annotations

import numpy as np

from pipeline.config import Config
from pipeline.gait.metrics import analyze_trial
from pipeline.io import formats
from pipeline.stages.common import log
from pipeline.study import StudyPaths


def _side_means(summary: dict) -> dict[str, dict[str, float | None]]:
    return {side: {name: stats["mean"] for name, stats in block["metrics"].items()}
            for side, block in summary["sides"].items()}


def truth_errors(measured: dict, truth: dict) -> dict:
    """Measured minus true per side and metric, and cadence (synthetic studies only)."""
    got, true = _side_means(measured["summary"]), _side_means(truth["summary"])
    out: dict = {side: {name: {"measured": m, "true": true[side][name],
                               "error": None if m is None or true[side][name] is None else m - true[side][name]}
                        for name, m in metrics.items()} for side, metrics in got.items()}
    m, t = measured["summary"]["cadence_spm"], truth["summary"]["cadence_spm"]
    out["cadence_spm"] = {"measured": m, "true": t, "error": None if m is None or t is None else m - t}
    return out


def headline_metrics(result: dict) -> dict:
    """The numbers DVC shows in `dvc metrics show` / `dvc exp show`: per-side means."""
    summary = result["summary"]
    out: dict = {"cadence_spm": summary["cadence_spm"]}
    for side, metrics in _side_means(summary).items():
        out[side] = {**metrics, "n_strides": summary["sides"][side]["n_strides"]}
    out["flags"] = len(result["flags"])
    return out


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
