"""A small synthetic trial for the report tests, built with the pipeline's own functions:
synthetic runner -> stick-figure videos -> synthetic detector (1 px noise) -> robust
triangulation -> analysis. Two cameras at 960x540, 60 fps, so a test stays within seconds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import (
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,
    ThresholdsConfig,
    TriangulationConfig,
)
from pipeline.core.geometry import Camera
from pipeline.gait.metrics import TrialAnalysis, analyze_trial
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig
from pipeline.synth.trial_video import write_trial_videos
from pipeline.triangulation.run import triangulate_recording

FORWARD = np.array([1.0, 0.0, 0.0])


@dataclass
class SmallTrial:
    cameras: list[Camera]
    videos: list[Path]
    truth: np.ndarray  # (F, K, 3) true 3D
    detections: np.ndarray  # (C, F, K, 3)
    points: np.ndarray  # (F, K, 3) triangulated
    views_used: np.ndarray  # (F, K, C)
    fps: float
    analysis: TrialAnalysis


def small_rig(width: int = 960, height: int = 540) -> list[Camera]:
    scale = width / 1920
    return make_rig(
        RigConfig(
            cameras=["cam_0", "cam_1"],
            arc_deg=[300.0, 240.0],
            fps=60.0,
            width=width,
            height=height,
            focal_px=1500.0 * scale,
        )
    )


def small_trial(
    out_dir: Path, duration_s: float = 3.0, fps: float = 60.0, seed: int = 3, **runner
) -> SmallTrial:
    cameras = small_rig()
    truth = simulate_run(RunnerConfig(duration_s=duration_s, seed=seed, **runner), fps)
    videos = write_trial_videos(truth.points, cameras, fps, Path(out_dir))
    detections = observe(truth.points, cameras, SyntheticNoiseConfig(pixel_sigma=1.0))
    tri = triangulate_recording(detections, cameras, fps, TriangulationConfig(lowpass_hz=12.0))
    analysis = analyze_trial(
        tri.points,
        fps,
        FORWARD,
        ThresholdsConfig(),
        belt_speed_mps=runner.get("speed_mps", 3.0),
        toe_tip_ahead_m=0.0,
    )
    return SmallTrial(
        cameras, videos, truth.points, detections, tri.points, tri.views_used, fps, analysis
    )
