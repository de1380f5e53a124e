"""Gait analysis throughput: 60 s of 120 fps 3D (the issue's yardstick) analysed once.

Prints one line: wall time and frames/s. No reference tool does this analysis, so the
comparison is against the 5 s target for 60 s of data (issue #6).
"""
from __future__ import annotations

import time

import numpy as np

from pipeline.config import RunnerConfig, ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.synth.kinematics import simulate_run


def main() -> None:
    truth = simulate_run(RunnerConfig(duration_s=60.0), fps=120.0)
    points = truth.points + np.random.default_rng(0).normal(0, 0.002, truth.points.shape)
    analyze_trial(points[:240], 120.0, np.array([1.0, 0, 0]), ThresholdsConfig())  # warm-up
    t0 = time.perf_counter()
    result = analyze_trial(points, 120.0, np.array([1.0, 0, 0]), ThresholdsConfig())
    dt = time.perf_counter() - t0
    print(f"analyze: 60 s @ 120 fps ({len(points)} frames, {len(result.strides)} strides) | "
          f"runlab {dt:.2f} s = {len(points) / dt:,.0f} frames/s | target 5 s | ratio {5.0 / dt:.1f}x under target")


if __name__ == "__main__":
    main()
