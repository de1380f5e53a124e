"""A small synthetic trial for the report tests, built with the pipeline's own functions:
synthetic runner -> stick-figure videos -> synthetic detector (1 px noise) -> robust
triangulation -> analysis. Two cameras at 960x540, 60 fps, so a test stays within seconds."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import (RigConfig, RunnerConfig, SyntheticNoiseConfig, ThresholdsConfig,
                             TriangulationConfig)
from pipeline.gait.metrics import TrialAnalysis, analyze_trial
from pipeline.geometry import Camera
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
    truth: np.ndarray          # (F, K, 3) true 3D
    detections: np.ndarray     # (C, F, K, 3)
    points: np.ndarray         # (F, K, 3) triangulated
    views_used: np.ndarray     # (F, K, C)
    fps: float
    analysis: TrialAnalysis


def small_rig(width: int = 960, height: int = 540) -> list[Camera]:
    scale = width / 1920
    return make_rig(RigConfig(cameras=["cam_0", "cam_1"], arc_deg=[300.0, 240.0], fps=60.0,
                              width=width, height=height, focal_px=1500.0 * scale))


def small_trial(out_dir: Path, duration_s: float = 3.0, fps: float = 60.0, seed: int = 3,
                **runner) -> SmallTrial:
    cameras = small_rig()
    truth = simulate_run(RunnerConfig(duration_s=duration_s, seed=seed, **runner), fps)
    videos = write_trial_videos(truth.points, cameras, fps, Path(out_dir))
    detections = observe(truth.points, cameras, SyntheticNoiseConfig(pixel_sigma=1.0))
    tri = triangulate_recording(detections, cameras, fps, TriangulationConfig(lowpass_hz=12.0))
    analysis = analyze_trial(tri.points, fps, FORWARD, ThresholdsConfig(),
                             belt_speed_mps=runner.get("speed_mps", 3.0))
    return SmallTrial(cameras, videos, truth.points, detections, tri.points, tri.views_used,
                      fps, analysis)


def test_small_trial_is_analysable(tmp_path):
    trial = small_trial(tmp_path, duration_s=2.0)
    assert len(trial.videos) == 2 and all(v.exists() for v in trial.videos)
    assert np.isfinite(trial.points[..., 0]).mean() > 0.9
    assert trial.analysis.summary["cadence_spm"] is not None


def test_triangulation_quality_block_shows_gates_repairs_and_warnings():
    from pipeline.io.formats import TriangulationQA
    from pipeline.report.quality import triangulation_html, triangulation_stats
    qa = TriangulationQA("adaptive", ("head", "feet"), np.array([[20.0, 35.0], [40.0, 60.0]]),
                         np.array([[8.0, 12.0], [15.0, np.nan]]), np.ones((2, 2)),
                         np.array([["group", "group"], ["group", "camera"]]),
                         np.zeros((5, 26), bool), np.zeros((5, 26), bool), 15.0,
                         ("cam_b: its views disagree <a lot>",),
                         systematic_px=np.array([0.4, 12.5]), scatter_px=np.array([3.0, 7.25]))
    stats = triangulation_stats(qa, ["cam_a", "cam_b"], np.ones((5, 26), int),
                                np.array([[False] * 5, [True] * 3 + [False] * 2]), 0.991)
    html = triangulation_html(stats)
    assert "99 %" in html and "<th>feet</th>" in html
    assert ("<td>cam_b</td><td>40 <span class=\"note\">(15)</span></td><td>60</td><td>3</td>"
            "<td>12.5 / 7.2</td>") in html
    assert "<th>steady / scatter (px)</th>" in html
    assert "cam_b: its views disagree &lt;a lot&gt;" in html         # escaped, shown as a warning
