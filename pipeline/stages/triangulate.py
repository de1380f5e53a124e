"""`runlab triangulate [--trial T]`: keypoints2d + the session's calibration -> points3d/<trial>.*"""

from __future__ import annotations

import numpy as np

from pipeline.config import Config, SyncMode
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.io.exports import write_c3d, write_csv_points, write_trc
from pipeline.stages.calibration_use import load_calibration
from pipeline.stages.common import check_camera_set, log, trial_names
from pipeline.study.paths import StudyPaths
from pipeline.sync.result import read_sync_result
from pipeline.sync.shift import shift_keypoints
from pipeline.triangulation.qa import measured_share, triangulation_qa
from pipeline.triangulation.run import triangulate_recording
from pipeline.triangulation.uncertainty import predicted_sd


def run(cfg: Config, trial: str | None = None) -> None:
    for name in trial_names(cfg, trial):
        triangulate_trial(cfg, name)


def triangulate_trial(cfg: Config, name: str) -> None:
    paths = StudyPaths.from_config(cfg)
    calib = load_calibration(paths, paths.session_of(name))
    kp = formats.read_keypoints2d(paths.keypoints2d(name))
    check_camera_set(calib, kp.camera_names, str(paths.keypoints2d(name)))
    points2d = kp.points
    if cfg.sync.mode == SyncMode.correct:
        points2d = _synchronized(paths.sync(name), kp, name)
    result = triangulate_recording(points2d, calib, kp.fps, cfg.triangulation)
    qa = triangulation_qa(result, points2d, kp.camera_names, kp.fps, cfg.triangulation, calib)
    sd_per_px = predicted_sd(result.points, calib, result.views_used)
    with staged(paths.points3d_dir(name)) as (stage_dir,):  # .npz/.trc/.c3d/.csv as one set
        out = stage_dir / paths.points3d(name).name
        formats.write_points3d(
            out,
            result.to_points3d(kp.fps, kp.camera_names, sd_per_px=sd_per_px, qa=qa),
        )
        write_trc(out.with_suffix(".trc"), result.points, kp.keypoint_names, kp.fps)
        write_c3d(
            out.with_suffix(".c3d"),
            result.points,
            kp.keypoint_names,
            kp.fps,
            result.reprojection_error,
        )
        write_csv_points(out.with_suffix(".csv"), result.points, kp.keypoint_names, kp.fps)
    for warning in qa.warnings:
        log.warning("trial %s: %s", name, warning)
    share = measured_share(result.n_views, points2d, cfg.triangulation.min_score)
    swaps = ", ".join(
        f"{c} {n}" for c, n in zip(kp.camera_names, result.swaps_repaired.sum(axis=1))
    )
    log.info(
        "trial %s: %.1f%% of the keypoint-frames the detector provides measured in 3D "
        "(%d of %d keypoints provided; the rest of the 3D is gap-filled), median reprojection "
        "error %.2f px; view-frames with left/right repaired: %s; %d points put back after "
        "post-processing moved them off their views, %d one-frame spikes removed",
        name,
        100 * share.share,
        share.provided,
        share.total,
        np.nanmedian(result.reprojection_error) if (result.n_views > 0).any() else np.nan,
        swaps,
        int(qa.reverted.sum()),
        int(qa.despiked.sum()),
    )
    gates = "; ".join(
        f"{c} " + " ".join(f"{g} {v:.0f}" for g, v in zip(qa.gate_groups, row))
        for c, row in zip(kp.camera_names, qa.gate_px)
    )
    log.info("trial %s: outlier gates (%s, px): %s", name, qa.rejection, gates)


def _synchronized(sync_file, kp: formats.Keypoints2D, name: str) -> np.ndarray:
    """sync.mode = correct: each camera read at the reference camera's instants (sync.json's
    applied_frames; offsets that were not measured are 0 there and the trial is degraded)."""
    sync = read_sync_result(sync_file)
    applied = sync.applied_frames
    if sync.mode != "correct" or sorted(applied) != sorted(kp.camera_names):
        raise formats.FormatError(
            f"{sync_file}: written with sync.mode={sync.mode} for "
            f"cameras {sorted(applied)}; rerun `runlab sync --trial {name}`"
        )
    offsets = np.array([applied[c] for c in kp.camera_names], float)
    log.info(
        "trial %s: 2D read at the reference camera's instants, offsets %s frames",
        name,
        ", ".join(f"{c} {d:+.2f}" for c, d in zip(kp.camera_names, offsets)),
    )
    return shift_keypoints(kp.points, offsets)
