"""The trial report, its 3D viewer and the exports on the real Pose2Sim demo recording (a
person standing on one leg: no running, 0-1 strides, a degraded verdict) with the default
settings, through the CLI: figures without data say why in one line instead of empty axes,
the viewer opens clean and says what it lacks, and the exports are written without gaps.

Skipped when ../shared/data is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scenes import SHARED_DATA
from test_real_pose2sim import _runlab, _triangulated

from pipeline.io import formats

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "pose2sim-demo").exists(), reason="../shared/data/pose2sim-demo is absent"
)


@pytest.fixture(scope="module")
def reported(tmp_path_factory, repo_root):
    trial = _triangulated(tmp_path_factory.mktemp("real_report"), repo_root, "openpose_json")
    root = trial.parents[2]
    _runlab(root, "analyze", "--trial", "balancing")
    _runlab(root, "report", "--trial", "balancing")
    return trial


def test_figures_without_data_are_one_line_each(reported):
    report = reported / "report"
    page = (report / "index.html").read_text()
    analysis = formats.read_json(reported / "analysis" / "balancing.json")
    strides = {s: analysis["summary"]["sides"][s]["n_strides"] for s in ("left", "right")}
    lines = re.findall(r'<p class="note no-figure">(.*?)</p>', page)
    print(f"\nverdict {analysis['verdict']['verdict']}, strides {strides}")
    if sum(strides.values()) == 0:  # measured: 0 and 0 with the defaults (failed verdict)
        assert len(lines) == 4, lines
        assert all(
            "not drawn: no" in line and "strides found: left 0, right 0" in line for line in lines
        )
        assert not list(report.glob("curves_*.png")) and not (report / "knee_over_toe.png").exists()
    else:  # one stride: the panels that have it are drawn
        assert (report / "curves_sagittal.png").exists()
    assert 'src="overlay/views3d.webm"' in page  # the 3D is still shown


def test_exports_of_the_real_recording_have_no_gap(reported):
    exports = reported / "report" / "exports"
    trcs = sorted(exports.glob("balancing*.trc"))
    assert trcs
    for trc in trcs:
        rows = [line.split("\t") for line in trc.read_text().splitlines()[6:] if line]
        assert rows and all(v != "" and np.isfinite(float(v)) for row in rows for v in row)
    assert (exports / "balancing.c3d").exists() and (exports / "balancing_angles.mot").exists()
    page = (reported / "report" / "index.html").read_text()
    assert 'href="viewer.html"' in page and 'href="exports/balancing.c3d"' in page


def test_viewer_of_the_real_recording(reported):
    from browser_cdp import CHROMIUM, Browser

    if not CHROMIUM.exists():
        pytest.skip("no chromium (scripts/ensure_browser.sh)")
    with Browser() as browser:
        seconds = browser.open(
            (reported / "report" / "viewer.html").as_uri(),
            "window.runlabViewer && runlabViewer.ready",
        )
        assert browser.errors() == []
        browser.evaluate("runlabViewer.setFrame(50)")
        browser.wait_for(
            "runlabViewer.state().videos.every(function (v) { return v.shown === 50; })", 20
        )
        state = browser.evaluate("runlabViewer.state()")
        p3d = formats.read_points3d(reported / "points3d" / "balancing.npz")
        assert state["drawn3d"] and state["frame3d"] == 50
        np.testing.assert_allclose(state["hip"], p3d.points[50, 19], atol=0.001)
        shown = [v["camera"] for v in state["videos"]]
        for camera in set(p3d.camera_names) - set(shown):  # each one without video is named
            assert any(n.startswith(f"camera {camera}:") for n in state["notes"]), state["notes"]
        print("\n" + "\n".join(state["notes"]))
        browser.evaluate("runlabViewer.view('behind')")
        _keep(browser.screenshot(reported / "real_viewer.png"))
        assert any("no foot strike or toe-off" in n.lower() for n in state["notes"])
    print(f"\nreal viewer: opened in {seconds:.2f} s, {len(state['videos'])} videos at frame 50")


def _keep(png: Path) -> None:
    """RUNLAB_SCREENSHOTS=<dir> keeps the screenshot for a person to look at."""
    import os
    import shutil

    if os.environ.get("RUNLAB_SCREENSHOTS"):
        Path(os.environ["RUNLAB_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(os.environ["RUNLAB_SCREENSHOTS"]) / png.name)
