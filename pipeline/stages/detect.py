"""`runlab detect`: trial videos -> keypoints2d/<trial>.npz (+ QA previews) per trial."""
from __future__ import annotations

import numpy as np

from pipeline.config import Config, ConfigError, DetectorBackend
from pipeline.io import formats
from pipeline.io.video import VideoError, probe_synchronized, sha256
from pipeline.pose2d.run import detect_recording
from pipeline.pose2d.synthetic import detect_synthetic
from pipeline.report.preview import write_previews
from pipeline.stages.common import check_camera_set, log
from pipeline.study import StudyPaths


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    calib = formats.read_calibration(paths.calibration)
    check_camera_set(calib, cfg.rig.cameras, str(paths.calibration))
    backend = cfg.detector.backend
    if backend is DetectorBackend.synthetic and not cfg.study.synthetic:
        raise ConfigError("detector.backend=synthetic needs a synthetic study (study.synthetic=true); "
                          "choose blazepose, rtmpose or openpose_json for recordings")
    for index, trial in enumerate(cfg.study.trials):
        videos = paths.trial_videos(trial.name)
        _check_no_extra_videos(paths.trial_dir(trial.name), videos)
        infos = probe_synchronized(videos)
        n_frames = infos[0].n_frames
        if backend is DetectorBackend.synthetic:
            truth = formats.read_truth(paths.truth_trial(trial.name))
            if truth.points.shape[0] != n_frames:
                raise VideoError(f"{paths.trial_dir(trial.name)}: videos have {n_frames} frames, "
                                 f"the ground truth {truth.points.shape[0]}; rerun `runlab synth`")
            points = detect_synthetic(truth, formats.read_calibration(paths.truth_rig),
                                      cfg.detector.synthetic, index)
        else:
            points = detect_recording(videos, calib.cameras, cfg.detector, n_frames,
                                      paths.trial_dir(trial.name))
        formats.write_keypoints2d(paths.keypoints2d(trial.name), formats.Keypoints2D(
            points=points, camera_names=list(cfg.rig.cameras), fps=infos[0].fps,
            backend=backend.value, video_sha256=[sha256(v) for v in videos]))
        if cfg.detector.preview_frames > 0:
            frames = np.linspace(0, n_frames - 1, cfg.detector.preview_frames + 2)[1:-1].round().astype(int)
            for cam, video, kp in zip(cfg.rig.cameras, videos, points):
                write_previews(video, kp, sorted(set(frames.tolist())), paths.preview(trial.name, cam))
        seen = np.isfinite(points[..., 0]).mean()
        log.info("trial %s: %s keypoints for %d cameras x %d frames (%.0f%% present)",
                 trial.name, backend.value, len(videos), n_frames, 100 * seen)


def _check_no_extra_videos(trial_dir, expected) -> None:
    extra = sorted(p.name for p in trial_dir.glob("*.mp4") if p not in expected)
    if extra:
        raise VideoError(f"{trial_dir}: videos {extra} belong to no camera in rig.cameras "
                         f"({', '.join(p.stem for p in expected)}); the calibration and the trial "
                         f"must use the same cameras")
