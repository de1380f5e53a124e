"""Triangulation throughput: runlab's DLT vs aniposelib's CameraGroup.triangulate, same data.

Prints one line: keypoint triangulations per second for both and their ratio.
Data: the synthetic rig (4 cameras, 1080p) and runner, 1 px noise, all views valid.
"""
from __future__ import annotations

import time

import numpy as np

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig
from pipeline.triangulation.dlt import triangulate_dlt


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from aniposelib.cameras import Camera as AniposeCamera, CameraGroup

    cameras = make_rig(RigConfig())
    truth = simulate_run(RunnerConfig(duration_s=10.0), fps=120.0)
    obs = observe(truth.points, cameras, SyntheticNoiseConfig(pixel_sigma=1.0))
    n_points = obs.shape[1] * obs.shape[2]

    ours = best_of(lambda: triangulate_dlt(obs, cameras, min_score=0.0, min_views=2))
    group = CameraGroup([AniposeCamera(matrix=c.matrix, dist=c.dist, size=c.size, rvec=c.rvec,
                                       tvec=c.tvec, name=c.name) for c in cameras])
    flat = obs[..., :2].reshape(len(cameras), -1, 2)
    group.triangulate(flat[:, :100], undistort=True)  # JIT warm-up, not timed
    theirs = best_of(lambda: group.triangulate(flat, undistort=True), repeats=1)
    print(f"triangulate: {len(cameras)} cams, {n_points} keypoints | runlab dlt "
          f"{n_points / ours:,.0f} pts/s | aniposelib triangulate {n_points / theirs:,.0f} pts/s "
          f"| ratio {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
