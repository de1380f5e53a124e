"""Report media throughput: the QA overlay video of one 1080p camera (decode + reproject +
draw + encode), as the report stage writes it, in the browser format (WebM/VP8) and in mp4v.

Prints one line: frames/s per format at the default 640 px width. No reference tool writes
these overlays, so the ratio is WebM against plain mp4v encoding of the same frames (what
playing in a browser costs).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pipeline.config import ReportConfig, RigConfig, RunnerConfig
from pipeline.report.overlay import overlay_video
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.rig import make_rig
from pipeline.synth.trial_video import write_trial_videos

FRAMES = 240  # the default report.overlay_max_frames


def main() -> None:
    width = ReportConfig().overlay_width_px
    camera = make_rig(RigConfig())[0]
    truth = simulate_run(RunnerConfig(duration_s=FRAMES / 120.0 + 0.1), fps=120.0)
    with tempfile.TemporaryDirectory() as tmp:
        video = write_trial_videos(truth.points, [camera], 120.0, Path(tmp) / "trial")[0]
        rates = {}
        for fmt in ("webm", "mp4"):
            best = np.inf
            for _ in range(2):
                result = overlay_video(
                    video,
                    camera,
                    truth.points,
                    Path(tmp) / f"overlay.{fmt}",
                    width_px=width,
                    max_frames=FRAMES,
                    fmt=fmt,
                )
                best = min(best, result.seconds)
            rates[fmt] = result.n_frames / best
    print(
        f"report overlay: 1 camera, 1920x1080 -> {width} px, {FRAMES} frames | "
        f"webm {rates['webm']:.1f} frames/s | mp4v {rates['mp4']:.1f} frames/s | "
        f"ratio webm/mp4v {rates['webm'] / rates['mp4']:.2f}x"
    )


if __name__ == "__main__":
    main()
