"""Standing foot pitch throughput: 60 s of a 120 fps static trial measured once.

Prints one line: wall time and frames/s of `gait/standing.measure_standing` (the standing
stage's work after reading the points3d file) on the synthetic runner standing still with 5 mm
keypoint noise. No reference tool measures it; the comparison is against the analyze stage's
5 s target for 60 s of data (issue #6).
"""

from __future__ import annotations

import time

import numpy as np

from pipeline.config import RunnerConfig
from pipeline.gait.standing import measure_standing
from pipeline.synth.standing_pose import simulate_standing


def main() -> None:
    truth = simulate_standing(RunnerConfig(duration_s=60.0), fps=120.0)
    points = truth.points + np.random.default_rng(0).normal(0, 0.005, truth.points.shape)
    measure_standing(points[:240], 120.0)  # warm-up
    t0 = time.perf_counter()
    result = measure_standing(points, 120.0)
    dt = time.perf_counter() - t0
    pitch = result.pitch_deg() or {}
    print(
        f"standing: 60 s @ 120 fps ({len(points)} frames, {result.n_still_frames} still) | "
        f"runlab {dt:.3f} s = {len(points) / dt:,.0f} frames/s | target 5 s | "
        f"pitch {', '.join(f'{s} {v:+.2f} deg' for s, v in pitch.items()) or 'none'}"
    )


if __name__ == "__main__":
    main()
