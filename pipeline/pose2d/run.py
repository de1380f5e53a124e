"""Detection of one recording: backend from config, candidates per camera, one runner per frame.

Plain functions for the `detect` stage; the synthetic backend lives with the synthetic
world, in `pipeline/synth/detector.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.config import DetectorBackend, DetectorConfig, PersonBoxes
from pipeline.core.camera_set import CameraSet
from pipeline.io.video import VideoError
from pipeline.pose2d.base import PoseBackend, select_runners
from pipeline.pose2d.parallel import detect_cameras_parallel, model_threads


def make_backend(cfg: DetectorConfig) -> PoseBackend:
    """The video backend named by `cfg.backend` (imports its heavy stack only when chosen)."""
    if cfg.backend == DetectorBackend.blazepose:
        from pipeline.pose2d.blazepose import BlazePoseBackend

        return BlazePoseBackend()
    if cfg.backend == DetectorBackend.rtmpose:
        from pipeline.pose2d.mmpose_backend import RTMPoseBackend

        r = cfg.rtmpose
        finder = None
        if r.person_boxes == PersonBoxes.blazepose:
            from pipeline.pose2d.person_boxes import BlazePersonDetector

            finder = BlazePersonDetector(r.person_detector_min_score)
        elif r.person_boxes == PersonBoxes.mmdet:
            from pipeline.pose2d.mmpose_backend import resolve_device
            from pipeline.pose2d.person_boxes import MMDetPersonDetector

            finder = MMDetPersonDetector(
                r.mmdet_model,
                r.mmdet_checkpoint,
                r.mmdet_checkpoint_sha256,
                r.person_detector_min_score,
                resolve_device(r.device),
                r.run_config_code,
            )
        return RTMPoseBackend(
            r.model,
            r.checkpoint,
            r.checkpoint_sha256,
            device=r.device,
            fp16=r.fp16,
            batch_size=r.batch_size,
            bbox_expand=r.bbox_expand,
            min_person_score=r.min_person_score,
            run_config_code=r.run_config_code,
            person_boxes=finder,
            cpu_threads=model_threads(r.cpu_threads),
        )
    raise ValueError(f"{cfg.backend.value} is not a video backend")


def detect_recording(
    videos: list[Path], cameras: CameraSet, cfg: DetectorConfig, n_frames: int, trial_dir: Path
) -> np.ndarray:
    """(C, F, 26, 3) keypoints of the runner in each camera; gaps are NaN with score 0."""
    if cfg.backend == DetectorBackend.openpose_json:
        from pipeline.pose2d.openpose_json import read_openpose_folder

        candidates = [
            read_openpose_folder(
                trial_dir / cfg.openpose_json.folder.format(camera=cam.name),
                cfg.openpose_json.model.value,
            )
            for cam in cameras
        ]
    else:
        # decoding ahead of inference; rtmpose batches crops of all cameras, blazepose runs
        # up to cfg.workers cameras at once (pose2d/parallel.py)
        candidates = detect_cameras_parallel(
            lambda: make_backend(cfg),
            videos,
            [cam.name for cam in cameras],
            cfg.workers,
            cfg.queue_depth,
        )
    for cam, frames in zip(cameras, candidates):
        if len(frames) != n_frames:
            raise VideoError(
                f"{trial_dir}: camera {cam.name} has keypoints for {len(frames)} frames, "
                f"its video has {n_frames}; export the keypoints of every frame"
            )
    return select_runners(candidates, cameras, cfg.selection)
