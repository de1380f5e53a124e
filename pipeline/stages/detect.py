"""`runlab detect`: trial videos -> keypoints2d.npz per trial."""
from __future__ import annotations

from pipeline.config import Config, ConfigError, DetectorBackend
from pipeline.io import formats
from pipeline.io.video import VideoError, probe_synchronized, sha256
from pipeline.pose2d.synthetic import detect_synthetic
from pipeline.stages.common import check_camera_set, log
from pipeline.study import StudyPaths


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    calib = formats.read_calibration(paths.calibration)
    check_camera_set(calib, cfg.rig.cameras, str(paths.calibration))
    if cfg.detector.backend is DetectorBackend.synthetic and not cfg.study.synthetic:
        raise ConfigError("detector.backend=synthetic needs a synthetic study (study.synthetic=true)")
    for index, trial in enumerate(cfg.study.trials):
        videos = paths.trial_videos(trial.name)
        _check_no_extra_videos(paths.trial_dir(trial.name), videos)
        infos = probe_synchronized(videos)
        truth = formats.read_truth(paths.truth_trial(trial.name))
        if truth.points.shape[0] != infos[0].n_frames:
            raise VideoError(f"{paths.trial_dir(trial.name)}: videos have {infos[0].n_frames} frames, "
                             f"the ground truth {truth.points.shape[0]}; rerun `runlab synth`")
        points = detect_synthetic(truth, formats.read_calibration(paths.truth_rig), cfg.detector.synthetic, index)
        formats.write_keypoints2d(paths.keypoints2d(trial.name), formats.Keypoints2D(
            points=points, camera_names=list(cfg.rig.cameras), fps=infos[0].fps,
            backend=cfg.detector.backend.value, video_sha256=[sha256(v) for v in videos]))
        log.info("trial %s: 2D keypoints for %d cameras x %d frames", trial.name, len(videos), infos[0].n_frames)


def _check_no_extra_videos(trial_dir, expected) -> None:
    extra = sorted(p.name for p in trial_dir.glob("*.mp4") if p not in expected)
    if extra:
        raise VideoError(f"{trial_dir}: videos {extra} belong to no camera in rig.cameras "
                         f"({', '.join(p.stem for p in expected)}); the calibration and the trial "
                         f"must use the same cameras")
