"""The trial report's 3D viewer for a 60 s trial at 120 fps (7200 frames, 26 keypoints, 4
calibrated cameras, the synthetic runner): time to gather and write viewer.html, its size,
and the time headless Chromium (software WebGL) takes to open it until the 3D is drawn.

Prints one line. No overlay videos (the report renders at most report.overlay_max_frames of
them; their loading is the browser's and does not hold the page). The target (issue 31):
opens in under 3 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from browser_cdp import CHROMIUM, Browser  # noqa: E402

from pipeline.config import RigConfig, RunnerConfig, ThresholdsConfig  # noqa: E402
from pipeline.gait.metrics import analyze_trial  # noqa: E402
from pipeline.io.formats import Points3D  # noqa: E402
from pipeline.report.viewer import classic_three, write_viewer  # noqa: E402
from pipeline.report.viewer_data import gather_viewer_data  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402
from pipeline.synth.rig import make_rig  # noqa: E402

FPS, SECONDS = 120.0, 60.0


def main() -> None:
    cameras = make_rig(RigConfig())
    points = simulate_run(RunnerConfig(duration_s=SECONDS), FPS).points
    forward = np.array([1.0, 0.0, 0.0])
    strides = analyze_trial(points, FPS, forward, ThresholdsConfig(), belt_speed_mps=3.0).strides
    shape = points.shape[:2]
    p3d = Points3D(
        points=points,
        reprojection_error=np.full(shape, 1.0),
        n_views=np.full(shape, 4),
        views_used=np.ones((*shape, 4), bool),
        fps=FPS,
        sd_per_px=np.full((*shape, 3), 0.002),
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        data = gather_viewer_data("bench", FPS, p3d, forward, strides, cameras)
        page = write_viewer(Path(tmp), data)
        build_s = time.perf_counter() - start
        size_mb = page.stat().st_size / 1e6
        opened = "chromium absent"
        if CHROMIUM.exists():
            best = np.inf
            for _ in range(3):
                with Browser() as browser:
                    seconds = browser.open(
                        page.as_uri(),
                        "window.runlabViewer && runlabViewer.ready && runlabViewer.state().drawn3d",
                    )
                    assert browser.errors() == [], browser.errors()
                best = min(best, seconds)
            opened = f"opens in {best:.2f} s (best of 3, headless Chromium, SwiftShader)"
    print(
        f"report viewer: {len(points)} frames x {points.shape[1]} keypoints, {len(data.events)} events | "
        f"build {build_s:.2f} s | viewer.html {size_mb:.1f} MB (three.js {len(classic_three()) / 1e6:.1f} MB) "
        f"| {opened}"
    )


if __name__ == "__main__":
    main()
