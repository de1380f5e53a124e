"""`runlab detect [--trial T]`: a trial's videos -> keypoints2d/<trial>.npz (+ QA previews)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from pipeline.config import Config, ConfigError, DetectorBackend
from pipeline.io import formats
from pipeline.io.video import VideoError, probe_synchronized, sha256
from pipeline.pose2d.run import detect_recording
from pipeline.pose2d.synthetic import detect_synthetic
from pipeline.report.preview import write_previews
from pipeline.stages.calibration_use import check_image_sizes, load_calibration
from pipeline.stages.common import check_camera_set, log, trial_names
from pipeline.study import StudyPaths


def run(cfg: Config, trial: Optional[str] = None) -> None:
    for name in trial_names(cfg, trial):
        detect_trial(cfg, name)


def detect_trial(cfg: Config, name: str) -> None:
    paths = StudyPaths.from_config(cfg)
    session = paths.session_of(name)
    calib = load_calibration(paths, session)
    check_camera_set(calib, cfg.rig.cameras, str(paths.calibration(session)))
    backend = cfg.detector.backend
    if backend is DetectorBackend.synthetic and session not in cfg.study.synthesize:
        raise ConfigError(f"detector.backend=synthetic needs a synthetic session; session '{session}' "
                          "is recorded (not in study.synthesize): choose blazepose, rtmpose or openpose_json")
    videos = paths.trial_videos(name)
    _check_no_extra_videos(paths.trial_dir(name), videos)
    infos = probe_synchronized(videos)
    check_image_sizes(calib, list(cfg.rig.cameras), infos, str(paths.trial_dir(name)))
    n_frames = infos[0].n_frames
    if backend is DetectorBackend.synthetic:
        truth = formats.read_truth(paths.truth_trial(name))
        if truth.points.shape[0] != n_frames:
            raise VideoError(f"{paths.trial_dir(name)}: videos have {n_frames} frames, "
                             f"the ground truth {truth.points.shape[0]}; rerun `runlab synth`")
        # each trial its own noise stream, stable when other trials are added or removed
        stream = list(cfg.study.trials).index(name)
        points = detect_synthetic(truth, formats.read_calibration(paths.truth_rig(session)),
                                  cfg.detector.synthetic, stream)
    else:
        points = detect_recording(videos, calib.cameras, cfg.detector, n_frames, paths.trial_dir(name))
    formats.write_keypoints2d(paths.keypoints2d(name), formats.Keypoints2D(
        points=points, camera_names=list(cfg.rig.cameras), fps=infos[0].fps,
        backend=backend.value, video_sha256=[sha256(v) for v in videos]))
    if cfg.detector.preview_frames > 0:
        frames = np.linspace(0, n_frames - 1, cfg.detector.preview_frames + 2)[1:-1].round().astype(int)
        for cam, video, kp in zip(cfg.rig.cameras, videos, points):
            write_previews(video, kp, sorted(set(frames.tolist())), paths.preview(name, cam))
    seen = np.isfinite(points[..., 0]).mean()
    log.info("trial %s: %s keypoints for %d cameras x %d frames (%.0f%% present)",
             name, backend.value, len(videos), n_frames, 100 * seen)


def _check_no_extra_videos(trial_dir, expected) -> None:
    extra = sorted(p.name for p in trial_dir.glob("*.mp4") if p not in expected)
    if extra:
        raise VideoError(f"{trial_dir}: videos {extra} belong to no camera in rig.cameras "
                         f"({', '.join(p.stem for p in expected)}); the calibration and the trial "
                         f"must use the same cameras")
