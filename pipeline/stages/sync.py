"""`runlab sync [--trial T]`: keypoints2d + calibration (+ timestamps.csv) -> sync.json."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.config import Config, SyncMode
from pipeline.io import formats
from pipeline.stages.calibration_use import load_calibration
from pipeline.stages.common import check_camera_set, log, trial_names
from pipeline.study.paths import StudyPaths
from pipeline.sync.estimate import MIN_FRAMES, SyncTooShort, estimate_offsets
from pipeline.sync.result import (
    SyncResult,
    off_result,
    sync_result,
    unmeasured_result,
    write_sync_result,
)
from pipeline.sync.timestamps import offsets_from_timestamps, read_timestamps


def run(cfg: Config, trial: str | None = None) -> None:
    for name in trial_names(cfg, trial):
        sync_trial(cfg, name)


def sync_trial(cfg: Config, name: str) -> SyncResult:
    paths = StudyPaths.from_config(cfg)
    kp = formats.read_keypoints2d(paths.keypoints2d(name))
    calib = load_calibration(paths, paths.session_of(name))
    check_camera_set(calib, kp.camera_names, str(paths.keypoints2d(name)))
    cameras, mode = kp.camera_names, cfg.sync.mode
    stamps = paths.trial_timestamps(name)
    if mode == SyncMode.off:
        result = off_result(cameras, kp.fps)
    elif cfg.sync.use_timestamps and stamps.exists():
        times = read_timestamps(stamps, cameras)
        offsets, spread = offsets_from_timestamps(times, cameras, kp.points.shape[1])
        # the spread of the per-frame differences is the capture jitter, not an error of the
        # median: its standard error is what the confidence speaks of
        sd = spread / np.sqrt(kp.points.shape[1])
        result = sync_result(
            cameras,
            kp.fps,
            mode.value,
            "timestamps",
            offsets,
            sd,
            {},
            {
                "timestamps_file": str(stamps),
                "jitter_frames": {c: float(v) for c, v in zip(cameras, spread)},
            },
        )
    else:
        motion = _motion(kp.points, cfg.triangulation.min_score)
        extra: dict[str, object] = {"motion_px_per_frame": {c: v for c, v in zip(cameras, motion)}}
        try:
            est = estimate_offsets(
                kp.points, calib, kp.fps, cfg.sync.max_offset_s, cfg.triangulation.min_score
            )
        except SyncTooShort as exc:
            result = unmeasured_result(
                cameras, kp.fps, mode.value, f"trial too short to time the cameras: {exc}", extra
            )
        else:
            extra.update(
                search_frames=est.search_frames,
                pairs=[
                    {
                        "cameras": [cameras[p.i], cameras[p.j]],
                        "lag_frames": p.lag,
                        "se_frames": p.se,
                        "used": p.used,
                        "note": p.note,
                    }
                    for p in est.pairs
                ],
            )
            result = sync_result(
                cameras, kp.fps, mode.value, "keypoints", est.offsets, est.sd, est.notes, extra
            )
            if result.status == "degraded" and not any(result.measured[c] for c in cameras[1:]):
                why = (
                    f"no camera could be timed: the keypoints move {np.nanmedian(motion):.1f} px "
                    f"per frame (median); timing needs at least {MIN_FRAMES} frames in which the "
                    "person moves visibly (running, or a few arm swings at the start) and views "
                    "whose keypoints agree to a fraction of that motion"
                )
                # before the closing reason on timestamps, which sync_result puts last
                result = replace(result, reasons=[*result.reasons[:-1], why, result.reasons[-1]])
    write_sync_result(paths.sync(name), result)
    offsets_text = ", ".join(
        f"{c} {'-' if v is None else f'{v:+.2f}'} (conf {result.confidence[c] or 0:.2f})"
        for c, v in result.offsets_frames.items()
    )
    log.info(
        "trial %s: camera offsets (%s, frames vs %s): %s",
        name,
        result.method,
        result.reference,
        offsets_text,
    )
    for reason in result.reasons if result.status == "degraded" else []:
        log.warning("trial %s: sync: %s", name, reason)
    return result


def _motion(points2d: np.ndarray, min_score: float) -> list[float]:
    """Median keypoint displacement between consecutive frames per camera, px."""
    p = np.asarray(points2d, float)
    xy = np.where((np.nan_to_num(p[..., 2:3], nan=0.0) >= min_score), p[..., :2], np.nan)
    step = np.linalg.norm(np.diff(xy, axis=1), axis=-1)
    return [float(np.nanmedian(s)) if np.isfinite(s).any() else 0.0 for s in step]
