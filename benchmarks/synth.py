"""Synthetic session generation: runner kinematics, 2D observation, board rendering.

Prints one line per part. There is no reference tool that renders ChArUco videos or running
kinematics, so the line reports absolute rates only.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pipeline.config import (
    BoardConfig,
    CalibrationConfig,
    RigConfig,
    RunnerConfig,
    SynthConfig,
    SyntheticNoiseConfig,
)
from pipeline.synth.board_video import write_calibration_videos
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig


def main() -> None:
    cameras = make_rig(RigConfig())
    t0 = time.perf_counter()
    truth = simulate_run(RunnerConfig(duration_s=60.0), fps=240.0)
    t_kin = time.perf_counter() - t0
    t0 = time.perf_counter()
    observe(truth.points, cameras, SyntheticNoiseConfig())
    t_obs = time.perf_counter() - t0
    frames = 20
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_calibration_videos(
            cameras[:1],
            BoardConfig(),
            CalibrationConfig(floor_frames=0),
            SynthConfig(calibration_frames=frames),
            Path(tmp),
            120.0,
        )
        t_render = time.perf_counter() - t0
    n = truth.points.shape[0]
    print(
        f"synth: kinematics 60 s @ 240 fps in {t_kin:.2f} s ({n / t_kin:,.0f} frames/s) | "
        f"observe 4 cams {4 * n / t_obs:,.0f} views/s | board video 1080p "
        f"{frames / t_render:.1f} frames/s incl. setup | no reference tool"
    )


if __name__ == "__main__":
    main()
