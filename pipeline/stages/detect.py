"""`runlab detect [--trial T]`: a trial's videos -> keypoints2d/<trial>.npz (+ QA previews)."""

from __future__ import annotations

import numpy as np

from pipeline.config import Config, ConfigError, DetectorBackend
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.io.hashing import sha256
from pipeline.io.video import VideoError, probe_synchronized
from pipeline.pose2d.run import detect_recording
from pipeline.report.preview import write_previews
from pipeline.stages.calibration_use import check_image_sizes, load_calibration
from pipeline.stages.common import check_camera_set, log, trial_names
from pipeline.study.paths import StudyPaths
from pipeline.synth.detector import detect_synthetic

FPS_TOLERANCE = 0.01  # 29.97 vs 30 passes; 60 vs 120 does not


def run(cfg: Config, trial: str | None = None) -> None:
    for name in trial_names(cfg, trial):
        detect_trial(cfg, name)


def detect_trial(cfg: Config, name: str) -> None:
    paths = StudyPaths.from_config(cfg)
    session = paths.session_of(name)
    calib = load_calibration(paths, session)
    check_camera_set(calib, cfg.rig.cameras, str(paths.calibration(session)))
    backend = cfg.detector.backend
    if backend == DetectorBackend.synthetic and session not in cfg.study.synthesize:
        raise ConfigError(
            f"detector.backend=synthetic needs a synthetic session; session '{session}' "
            "is recorded (not in study.synthesize): choose blazepose, rtmpose or openpose_json"
        )
    videos = paths.trial_videos(name)
    _check_no_extra_videos(paths.trial_dir(name), videos)
    infos = probe_synchronized(videos)
    check_frame_rate(infos[0].fps, cfg.rig.fps, paths.trial_dir(name))
    check_image_sizes(calib, list(cfg.rig.cameras), infos, str(paths.trial_dir(name)))
    n_frames = infos[0].n_frames
    if backend == DetectorBackend.synthetic:
        truth = formats.read_truth(paths.truth_trial(name))
        if truth.points.shape[0] != n_frames:
            raise VideoError(
                f"{paths.trial_dir(name)}: videos have {n_frames} frames, "
                f"the ground truth {truth.points.shape[0]}; rerun `runlab synth`"
            )
        # each trial its own noise stream, stable when other trials are added or removed
        stream = list(cfg.study.trials).index(name)
        points = detect_synthetic(
            truth,
            formats.read_calibration(paths.truth_rig(session)),
            cfg.detector.synthetic,
            stream,
        )
    else:
        points = detect_recording(videos, calib, cfg.detector, n_frames, paths.trial_dir(name))
    out_dir = paths.keypoints2d_dir(name)
    with staged(out_dir) as (stage_dir,):  # keypoints and previews replaced as one set
        formats.write_keypoints2d(
            stage_dir / paths.keypoints2d(name).relative_to(out_dir),
            formats.Keypoints2D(
                points=points,
                camera_names=list(cfg.rig.cameras),
                fps=infos[0].fps,
                backend=backend.value,
                video_sha256=[sha256(v) for v in videos],
            ),
        )
        if cfg.detector.preview_frames > 0:
            frames = (
                np.linspace(0, n_frames - 1, cfg.detector.preview_frames + 2)[1:-1]
                .round()
                .astype(int)
            )
            for cam, video, kp in zip(cfg.rig.cameras, videos, points):
                write_previews(
                    video,
                    kp,
                    sorted(set(frames.tolist())),
                    stage_dir / paths.preview(name, cam).relative_to(out_dir),
                )
    seen = np.isfinite(points[..., 0]).mean()
    log.info(
        "trial %s: %s keypoints for %d cameras x %d frames (%.0f%% present)",
        name,
        backend.value,
        len(videos),
        n_frames,
        100 * seen,
    )


def check_frame_rate(video_fps: float, rig_fps: float, where) -> None:
    """The videos' frame rate must be the rig's: every time and speed (cadence, contact time,
    stride length) scales with it, so a mismatch is an error, not a warning."""
    if abs(video_fps - rig_fps) > FPS_TOLERANCE * rig_fps:
        raise VideoError(
            f"{where}: the videos say {video_fps:g} fps, rig.fps is {rig_fps:g}. If the cameras "
            f"recorded at {rig_fps:g} fps (high-speed and slow-motion files often store their "
            f"playback rate instead), re-export the videos with their true rate; if they recorded "
            f"at {video_fps:g} fps, set rig.fps={video_fps:g}. Every time and speed the analysis "
            "reports depends on it"
        )


def _check_no_extra_videos(trial_dir, expected) -> None:
    extra = sorted(p.name for p in trial_dir.glob("*.mp4") if p not in expected)
    if extra:
        raise VideoError(
            f"{trial_dir}: videos {extra} belong to no camera in rig.cameras "
            f"({', '.join(p.stem for p in expected)}); the calibration and the trial "
            f"must use the same cameras"
        )
