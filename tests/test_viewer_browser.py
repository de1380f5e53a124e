"""viewer.html in a real headless Chromium (software WebGL), driven through the DevTools
protocol (tests/browser_cdp.py) so that video seeks run in real time:
- it opens from file:// with no console error, and the index links to it;
- scrubbing to frame k shows frame k in the 3D (the hip drawn is the hip of frame k) and in
  every overlay video: the picture the page decoded is compared with OpenCV's decode of the
  same file at frames k-1, k, k+1, and must be closest to k;
- screenshots at two frames differ where the runner moved; the event buttons jump to the
  foot strikes of the analysis; a gap-filled point says so on hover;
- a trial with no 3D and a camera without video: the page says what is missing.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from browser_cdp import CHROMIUM, Browser
from scenes.report import FORWARD, small_rig

from pipeline.config import (
    RunnerConfig,
    SyntheticNoiseConfig,
    ThresholdsConfig,
    TriangulationConfig,
)
from pipeline.core.skeleton import INDEX
from pipeline.gait.metrics import analyze_trial
from pipeline.io.video import iter_frames
from pipeline.report.media import render_media
from pipeline.report.trial_report import TrialInfo, write_trial_report
from pipeline.report.viewer import write_viewer
from pipeline.report.viewer_data import gather_viewer_data
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.trial_video import write_trial_videos
from pipeline.triangulation.qa import triangulation_qa
from pipeline.triangulation.run import triangulate_recording
from pipeline.triangulation.uncertainty import predicted_sd

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: run scripts/ensure_browser.sh"
)

FPS, VIDEO_FRAMES = 60.0, 60
GAP = (slice(20, 25), INDEX["left_wrist"])  # cam_1 loses the left wrist: filled in 3D
READY = "window.runlabViewer && runlabViewer.ready"


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    root = tmp_path_factory.mktemp("viewer")
    cameras = small_rig()
    truth = simulate_run(RunnerConfig(duration_s=3.0, seed=3), FPS)
    videos = write_trial_videos(truth.points, cameras, FPS, root / "videos")
    detections = observe(truth.points, cameras, SyntheticNoiseConfig(pixel_sigma=1.0))
    detections[1, GAP[0], GAP[1]] = (np.nan, np.nan, 0.0)
    cfg = TriangulationConfig(lowpass_hz=12.0)
    tri = triangulate_recording(detections, cameras, FPS, cfg)
    names = [c.name for c in cameras]
    p3d = tri.to_points3d(
        FPS,
        names,
        qa=triangulation_qa(tri, detections, names, FPS, cfg, cameras),
        sd_per_px=predicted_sd(tri.points, cameras, tri.views_used),
    )
    analysis = analyze_trial(p3d.points, FPS, FORWARD, ThresholdsConfig(), belt_speed_mps=3.0)
    out = root / "report"
    media = render_media(
        out,
        p3d.points,
        FPS,
        analysis.strides,
        FORWARD,
        videos,
        cameras,
        detections,
        width_px=480,
        max_frames=VIDEO_FRAMES,
    )
    data = gather_viewer_data(
        "t1", FPS, p3d, FORWARD, analysis.strides, cameras, media.overlays, None, names, media.notes
    )
    media.viewer = write_viewer(out, data).name
    index = write_trial_report(
        out, TrialInfo("t1"), analysis, p3d.points, FORWARD, ThresholdsConfig(), media=media
    )
    return {
        "root": root,
        "page": out / "viewer.html",
        "index": index,
        "p3d": p3d,
        "data": data,
        "overlays": media.overlays,
        "cameras": cameras,
        "analysis": analysis,
    }


@pytest.fixture(scope="module")
def browser():
    with Browser(1400, 1000) as b:
        yield b


def _goto(browser: Browser, page: Path, frame: int | None = None) -> float:
    browser.events.clear()
    url = page.resolve().as_uri() + (f"#frame={frame}" if frame is not None else "")
    browser.send("Page.navigate", {"url": "about:blank"})
    return browser.open(url, READY)


def _show(browser: Browser, k: int) -> dict:
    browser.evaluate(f"runlabViewer.setFrame({k})")
    browser.wait_for(
        "runlabViewer.state().videos.every(function (v) { return v.ready >= 2 && "
        f"!v.seeking && v.shown === {k}; }})",
        20,
    )
    return browser.evaluate("runlabViewer.state()")


def _video_picture(browser: Browser, i: int) -> np.ndarray:
    url = browser.evaluate(
        "(function () { var v = document.querySelectorAll('#videos video')[" + str(i) + "];"
        " var c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;"
        " c.getContext('2d').drawImage(v, 0, 0); return c.toDataURL('image/png'); })()"
    )
    raw = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return cv2.imdecode(raw, cv2.IMREAD_COLOR).astype(float)


def test_viewer_opens_clean_and_is_linked(trial, browser):
    seconds = _goto(browser, trial["page"])
    assert browser.errors() == []
    state = browser.evaluate("runlabViewer.state()")
    assert state["drawn3d"] and state["frame3d"] == 0 and state["label3d"] == "frame 0"
    assert 'href="viewer.html"' in trial["index"].read_text()
    n_events = browser.evaluate("document.querySelectorAll('#track .ev').length")
    assert n_events == len(trial["data"].events) > 4
    print(f"\nviewer: {trial['page'].stat().st_size / 1e6:.2f} MB, open {seconds:.2f} s")


@pytest.mark.parametrize("k", [7, 33, 58])
def test_scrub_to_frame_k_shows_k_in_3d_and_every_video(trial, browser, k):
    _goto(browser, trial["page"])
    state = _show(browser, k)
    assert state["frame3d"] == k and state["label3d"] == f"frame {k}"
    np.testing.assert_allclose(state["hip"], trial["p3d"].points[k, INDEX["hip"]], atol=0.001)
    assert [v["label"] for v in state["videos"]] == [str(k)] * len(trial["overlays"])
    for i, overlay in enumerate(trial["overlays"]):
        picture = _video_picture(browser, i)
        frames = _decoded(trial["page"].parent / overlay["href"], k)
        diffs = {j: np.abs(picture - f).mean() for j, f in frames.items()}
        assert min(diffs, key=diffs.get) == k, diffs
        assert diffs[k] < 3.0, diffs  # same bitstream, two decoders
    assert browser.errors() == []


def _decoded(video: Path, k: int) -> dict[int, np.ndarray]:
    out = {}
    for j, frame in enumerate(iter_frames(video)):
        if j > k + 1:
            break
        if j >= k - 1:
            out[j] = frame.astype(float)
    return out


def test_frames_past_the_video_say_so(trial, browser):
    _goto(browser, trial["page"])
    browser.evaluate(f"runlabViewer.setFrame({VIDEO_FRAMES + 10})")
    state = browser.evaluate("runlabViewer.state()")
    assert state["frame3d"] == VIDEO_FRAMES + 10
    assert all(v["label"] == "-" for v in state["videos"])
    text = browser.evaluate("document.getElementById('videos').textContent")
    assert f"the video ends at frame {VIDEO_FRAMES - 1}" in text


def test_screenshots_at_two_frames_differ_where_the_runner_moved(trial, browser, tmp_path):
    shots = []
    for k in (10, 25):
        _goto(browser, trial["page"], k)
        assert browser.evaluate("runlabViewer.state().frame3d") == k
        browser.evaluate("runlabViewer.view('side')")
        png = browser.screenshot(tmp_path / f"viewer_{k}.png")
        _keep(png)
        shots.append(cv2.imread(str(png)))
    box = browser.evaluate(
        "(function () { var r = document.querySelector('#view3d canvas')"
        ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()"
    )
    x, y, w, h = (int(v) for v in box)
    a, b = (s[y + 20 : y + h, x : x + w].astype(int) for s in shots)  # below the frame label
    assert a.std() > 5  # the 3D was drawn, not a blank canvas
    changed = (np.abs(a - b).max(axis=2) > 40).sum()
    assert changed > 200, changed


def test_events_jump_and_hover_names_a_gap_filled_point(trial, browser):
    _goto(browser, trial["page"])
    events = trial["data"].events
    browser.evaluate("document.getElementById('nextEvent').click()")
    assert browser.evaluate("runlabViewer.state().frame") == events[0]["frame"]
    browser.evaluate("document.querySelectorAll('#track .ev')[2].click()")
    assert browser.evaluate("runlabViewer.state().frame") == events[2]["frame"]
    frames, k = GAP[0], GAP[1]
    filled = [f for f in range(frames.start, frames.stop) if trial["p3d"].n_views[f, k] == 0]
    assert filled, "the gap was not filled: the scene no longer tests gap-filled points"
    text = browser.evaluate(f"runlabViewer.describe({filled[0]}, {k})")
    assert "left_wrist" in text and "status: gap-filled" in text and "views used: 0" in text
    text = browser.evaluate(f"runlabViewer.describe(5, {INDEX['hip']})")
    assert "status: measured" in text and "predicted SD" in text and "mm here" in text


def test_hover_shows_the_point_under_the_mouse_and_play_advances(trial, browser):
    _goto(browser, trial["page"], 12)
    browser.evaluate("runlabViewer.view('side')")
    k = INDEX["right_knee"]
    x, y = browser.evaluate(f"runlabViewer.screenOf({k})")
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    tip = browser.wait_for(
        "document.getElementById('tip').style.display === 'block' && "
        "document.getElementById('tip').textContent",
        5,
    )
    assert tip.startswith("right_knee at frame 12") and "reprojection error" in tip, tip
    browser.evaluate("document.getElementById('play').click()")
    browser.wait_for("runlabViewer.state().frame > 20", 10)
    browser.evaluate("document.getElementById('play').click()")  # pause
    stopped = browser.evaluate("runlabViewer.state().frame")
    assert (
        browser.evaluate(
            "new Promise(function (ok) { setTimeout(function () {"
            " ok(runlabViewer.state().frame); }, 300); })"
        )
        == stopped
    )
    assert browser.errors() == []


def test_no_3d_and_a_camera_without_video_are_said_not_blank(trial, browser, tmp_path):
    p3d = dataclasses.replace(trial["p3d"], points=np.full_like(trial["p3d"].points, np.nan))
    verdict = {
        "verdict": "failed",
        "reasons": [{"severity": "failed", "message": "the cameras saw no runner"}],
    }
    data = gather_viewer_data(
        "t2",
        FPS,
        p3d,
        FORWARD,
        [],
        trial["cameras"],
        trial["overlays"][:1],
        verdict,
        ["cam_0", "cam_1"],
    )
    shutil.copytree(trial["page"].parent / "overlay", tmp_path / "overlay")
    page = write_viewer(tmp_path, data)
    _goto(browser, page)
    assert browser.errors() == []
    state = browser.evaluate("runlabViewer.state()")
    assert not state["drawn3d"]
    assert any("No 3D skeleton" in n and "the cameras saw no runner" in n for n in state["notes"])
    assert "camera cam_1: no overlay video." in state["notes"]
    shown = browser.evaluate("document.getElementById('empty3d').textContent")
    assert shown.startswith("No 3D to show")


def _keep(png: Path) -> None:
    """RUNLAB_SCREENSHOTS=<dir> keeps the screenshots for a person to look at."""
    if os.environ.get("RUNLAB_SCREENSHOTS"):
        Path(os.environ["RUNLAB_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(os.environ["RUNLAB_SCREENSHOTS"]) / png.name)
