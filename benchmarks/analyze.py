"""Gait analysis throughput: 60 s of 120 fps 3D (the issue's yardstick) analysed once.

Prints one line: wall time and frames/s of the analysis with event screening (as the analyze
stage runs it), and the time the triangulate stage spends predicting each point's SD
(`sd_per_px`, 4 cameras, every view) for the same 60 s. No reference tool does this
analysis, so the comparison is against the 5 s target for 60 s of data (issue #6).
"""

from __future__ import annotations

import time

import numpy as np

from pipeline.config import RigConfig, RunnerConfig, ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.rig import make_rig
from pipeline.triangulation.uncertainty import predicted_sd

MAX_TIMING_SD_S = 0.003  # analysis.max_event_timing_sd_ms default


def main() -> None:
    truth = simulate_run(RunnerConfig(duration_s=60.0), fps=120.0)
    points = truth.points + np.random.default_rng(0).normal(0, 0.002, truth.points.shape)
    cameras = make_rig(RigConfig())
    views = np.ones(points.shape[:2] + (len(cameras),), bool)
    t0 = time.perf_counter()
    sd_per_px = predicted_sd(points, cameras, views)
    height_sd = sd_per_px[..., 2]
    dt_sd = time.perf_counter() - t0
    forward = np.array([1.0, 0, 0])
    analyze_trial(
        points[:240],
        120.0,
        forward,
        ThresholdsConfig(),
        height_sd=height_sd[:240],
        max_event_timing_sd_s=MAX_TIMING_SD_S,
        toe_tip_ahead_m=0.0,
    )  # warm-up
    t0 = time.perf_counter()
    result = analyze_trial(
        points,
        120.0,
        forward,
        ThresholdsConfig(),
        height_sd=height_sd,
        max_event_timing_sd_s=MAX_TIMING_SD_S,
        toe_tip_ahead_m=0.0,
        point_sd=sd_per_px * 1.0,  # 1 px: each metric's uncertainty propagated from the 3D
    )
    dt = time.perf_counter() - t0
    print(
        f"analyze: 60 s @ 120 fps ({len(points)} frames, {len(result.strides)} strides) | "
        f"runlab {dt:.2f} s = {len(points) / dt:,.0f} frames/s | target 5 s | ratio {5.0 / dt:.1f}x "
        f"under target | sd_per_px in triangulate {dt_sd:.2f} s"
    )


if __name__ == "__main__":
    main()
