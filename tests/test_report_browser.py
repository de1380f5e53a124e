"""A real headless Chromium opens the trial and study reports built from a small synthetic
study: no broken image, no script or resource error, every video loads, the expected sections
exist, and a screenshot shows the page (not a blank PNG).

How: Chromium loads a test-only copy of each page with a checker script first in <head>; the
script records window errors (scripts and failed resources), then after load waits for the
videos' metadata and writes a JSON verdict into the DOM, which `--dump-dom` prints.
`--virtual-time-budget` lets the page settle without wall-clock sleeps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from scenes.report import FORWARD, small_trial

from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.config import ThresholdsConfig
from pipeline.quality.detection import detection_summary
from pipeline.report.media import render_media
from pipeline.report.study_records import TrialOverview
from pipeline.report.study_report import write_study_report
from pipeline.report.trial_report import SECTIONS, TrialInfo, write_trial_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent: run scripts/ensure_browser.sh "
    "(apt-get install -y --no-install-recommends chromium)",
)

CHECKER = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  if (t && t !== window && (t.src || t.href)) { __errors.push('resource: ' + (t.src || t.href)); }
  else { __errors.push('script: ' + e.message); }
}, true);
window.addEventListener('unhandledrejection', function (e) { __errors.push('promise: ' + e.reason); });
window.addEventListener('load', function () {
  var tries = 0;
  function done() {
    var videos = Array.from(document.querySelectorAll('video'));
    var pending = videos.filter(function (v) { return v.readyState < 1 && !v.error; });
    if (pending.length && tries++ < 50) { setTimeout(done, 100); return; }
    var out = {
      errors: __errors,
      images: Array.from(document.images).map(function (i) {
        return {src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth}; }),
      videos: videos.map(function (v) {
        return {src: v.getAttribute('src'), poster: v.getAttribute('poster'), ready: v.readyState, width: v.videoWidth,
                error: v.error ? v.error.code + ' ' + v.error.message : null}; }),
      sections: Array.from(document.querySelectorAll('section[id]')).map(function (s) { return s.id; }),
      links: Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.getAttribute('href'); })
    };
    var pre = document.createElement('pre');
    pre.id = '__check';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  done();
});
</script>"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]


def _chromium(tmp_dir: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_dir / f"profile-{time.monotonic_ns()}"
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_page(page: Path, tmp_dir: Path) -> dict:
    """Open a checker copy of `page` (same folder, so relative links resolve) and return the
    checker's verdict."""
    probe = page.with_name(f"_check_{page.name}")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("<head>", "<head>" + CHECKER, 1), encoding="utf-8"
    )
    try:
        result = _chromium(
            tmp_dir,
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.resolve().as_uri(),
        )
    finally:
        probe.unlink()
    match = re.search(r'<pre id="__check">(.*?)</pre>', result.stdout, re.S)
    assert match, (
        f"checker verdict missing; chromium rc={result.returncode}\n{result.stderr[-2000:]}"
    )
    return json.loads(
        match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def screenshot(page: Path, out_png: Path, tmp_dir: Path, size=(1280, 3000)) -> np.ndarray:
    result = _chromium(
        tmp_dir,
        f"--screenshot={out_png}",
        f"--window-size={size[0]},{size[1]}",
        "--virtual-time-budget=5000",
        page.resolve().as_uri(),
    )
    image = cv2.imread(str(out_png))
    assert image is not None, (
        f"no screenshot; chromium rc={result.returncode}\n{result.stderr[-2000:]}"
    )
    return image


def assert_clean(verdict: dict) -> None:
    assert verdict["errors"] == [], verdict["errors"]
    broken = [i["src"] for i in verdict["images"] if not i["ok"]]
    assert not broken, f"broken images: {broken}"
    bad_videos = [v for v in verdict["videos"] if v["error"] or v["ready"] < 1 or v["width"] == 0]
    assert not bad_videos, bad_videos


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Subject S01 before/after (typical, then crossover with knee ahead of toes), subject S02
    once; overlays (2 cameras, 480 px, 60 frames) for the 'after' trial only, to stay quick."""
    root = tmp_path_factory.mktemp("browser_study")
    start = time.perf_counter()
    specs = [
        ("s01_before", "S01", "s01a", "before", "2026-10-01", {}, False),
        (
            "s01_after",
            "S01",
            "s01b",
            "after",
            "2026-11-01",
            {"step_width_m": -0.02, "knee_over_toe_m": 0.03, "peak_knee_flexion_deg": 36.0},
            True,
        ),
        ("s02_base", "S02", "s02a", "before", "2026-11-02", {}, False),
    ]
    # a calibration quality summary as the calibrate stage writes it, and its session page
    quality = {
        "cameras": {
            c: {
                "frames": 65,
                "detected_frames": 34,
                "intrinsic_rms_px": 0.05,
                "reprojection_median_px": 0.21,
            }
            for c in ("cam_0", "cam_1")
        },
        "gates": [
            {
                "name": "reprojection cam_0",
                "value": 0.21,
                "threshold": 0.5,
                "verdict": "pass",
                "message": "median reprojection error 0.21 px",
            },
            {
                "name": "coverage cam_1",
                "value": 0.41,
                "threshold": 0.5,
                "verdict": "warn",
                "message": "the board covered 41 % of the image; move it to the corners",
            },
        ],
    }
    quality_page = root / "results" / "sessions" / "s01b" / "calibration" / "quality.html"
    quality_page.parent.mkdir(parents=True)
    quality_page.write_text("<!DOCTYPE html><html><body><p>calibration quality</p></body></html>")
    summaries = []
    trial = None
    for name, subject, session, label, date, runner, videos in specs:
        if name != "s02_base" or trial is None:  # S02 reuses the last trial's data: quicker
            trial = small_trial(root / "videos" / name, duration_s=3.0, **runner)
        out = root / "results" / "trials" / name / "report"
        media = render_media(
            out,
            trial.points,
            trial.fps,
            trial.analysis.strides,
            FORWARD,
            trial.videos,
            trial.cameras,
            trial.detections,
            width_px=480,
            max_frames=60,
            videos_enabled=videos,
        )
        info = TrialInfo(name, subject, session, label, date, "treadmill 3.0 m/s")
        write_trial_report(
            out,
            info,
            trial.analysis,
            trial.points,
            FORWARD,
            ThresholdsConfig(),
            CalibrationQuality.from_dict(quality) if videos else None,
            "../../../sessions/s01b/calibration/quality.html" if videos else None,
            detection_summary(trial.detections, ["cam_0", "cam_1"], 0.3, trial.views_used),
            media,
        )
        summary = json.loads((out / "summary.json").read_text())
        summary["href"] = f"../trials/{name}/report/index.html"
        summaries.append(TrialOverview.from_dict(summary))
    study_index = write_study_report(
        root / "results" / "report", summaries, "Running analysis", "browser"
    )
    return {
        "root": root,
        "trial": root / "results" / "trials" / "s01_after" / "report" / "index.html",
        "study": study_index,
        "build_s": time.perf_counter() - start,
    }


def test_trial_report_in_chromium(study, tmp_path):
    start = time.perf_counter()
    verdict = check_page(study["trial"], tmp_path)
    assert_clean(verdict)
    assert set(SECTIONS) <= set(verdict["sections"]), verdict["sections"]
    assert len(verdict["images"]) == 5  # 4 figures + the key-event sheet
    assert len(verdict["videos"]) == 3  # 3D view + 2 camera overlays, all playable
    assert "../../../sessions/s01b/calibration/quality.html" in verdict["links"]
    assert all(
        (study["trial"].parent / h).resolve().exists()
        for h in verdict["links"]
        if not h.startswith("#")
    )  # every link in the page resolves
    posters = [v["poster"] for v in verdict["videos"] if v["poster"]]
    assert len(posters) == 3 and all((study["trial"].parent / p).exists() for p in posters)
    shot = screenshot(study["trial"], tmp_path / "trial.png", tmp_path, (1280, 7000))
    _assert_not_blank(shot)
    _keep(tmp_path / "trial.png")
    print(
        f"\ntrial report: build {study['build_s']:.1f} s, chromium {time.perf_counter() - start:.1f} s"
    )


def test_study_report_in_chromium(study, tmp_path):
    verdict = check_page(study["study"], tmp_path)
    assert_clean(verdict)
    assert {"trials", "before-after"} <= set(verdict["sections"])
    assert len(verdict["images"]) == 1  # S01's before/after curves; S02 has one session
    trial_links = [h for h in verdict["links"] if h.endswith("index.html")]
    assert len(trial_links) == 3
    for href in trial_links:  # every trial link resolves to a report
        assert (study["study"].parent / href).resolve().exists(), href
    shot = screenshot(study["study"], tmp_path / "study.png", tmp_path, (1280, 6000))
    _assert_not_blank(shot, {"after session": (44, 160, 44)})  # tab:green curves
    _keep(tmp_path / "study.png")


def test_checker_catches_broken_image_and_script_error(tmp_path):
    """The harness is not vacuous: a page with a missing image and a throwing script fails."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<section id="x"><img src="missing.png"></section>'
        "<script>undefinedFunction();</script></body></html>"
    )
    verdict = check_page(page, tmp_path)
    assert [i["ok"] for i in verdict["images"]] == [False]
    assert any(e.startswith("script:") and "undefinedFunction" in e for e in verdict["errors"])
    assert any(e.startswith("resource:") and "missing.png" in e for e in verdict["errors"])


def _keep(png: Path) -> None:
    """RUNLAB_SCREENSHOTS=<dir> keeps the screenshots for a person to look at."""
    if os.environ.get("RUNLAB_SCREENSHOTS"):
        Path(os.environ["RUNLAB_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(os.environ["RUNLAB_SCREENSHOTS"]) / png.name)


# matplotlib's tab:blue / tab:red (left / right curves), BGR
PLOT_COLOURS = {"left": (180, 119, 31), "right": (40, 39, 214)}


def _assert_not_blank(image: np.ndarray, colours: dict = PLOT_COLOURS) -> None:
    assert image.std() > 20, image.std()  # not a blank page
    for side, colour in colours.items():  # the plots were drawn
        near = (np.abs(image.astype(int) - colour).max(axis=2) <= 12).sum()
        assert near > 1000, (side, near)
