"""The 3D viewer's data (report/viewer_data.py) and page (report/viewer.py), without a browser:
point status, the binary encoding read back, three.js as a classic script, and what the page
says when something is missing (no 3D, a camera without video, a trial too long)."""

from __future__ import annotations

import base64
import json
import re

import numpy as np

from pipeline.core.geometry import Camera
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.gait.records import Stride
from pipeline.io.formats import Points3D
from pipeline.report.viewer import (
    NO_VALUE,
    THREE_VERSION,
    VENDOR,
    classic_three,
    page_data,
    write_viewer,
)
from pipeline.report.viewer_data import (
    GAP_FILLED,
    MEASURED,
    MISSING,
    PUT_BACK,
    camera_outline,
    gather_viewer_data,
    point_status,
)


def _points3d(n_frames: int = 40, seed: int = 0) -> Points3D:
    rng = np.random.default_rng(seed)
    points = rng.normal(0, 0.3, (n_frames, N_KEYPOINTS, 3)) + [5.0, -2.0, 1.0]
    n_views = np.full((n_frames, N_KEYPOINTS), 3)
    points[7, INDEX["left_wrist"]] = np.nan
    n_views[7, INDEX["left_wrist"]] = 0
    n_views[8:10, INDEX["right_knee"]] = 0  # filled in
    p = Points3D(
        points=points,
        reprojection_error=np.full((n_frames, N_KEYPOINTS), 1.25),
        n_views=n_views,
        views_used=np.ones((n_frames, N_KEYPOINTS, 3), bool),
        fps=120.0,
        sd_per_px=np.full((n_frames, N_KEYPOINTS, 3), 0.002),
    )
    return p


def test_point_status_marks_measured_filled_put_back_and_missing():
    p = _points3d()
    reverted = np.zeros(p.points.shape[:2], bool)
    reverted[3, INDEX["nose"]] = True
    status = point_status(p.points, p.n_views, reverted)
    assert status[7, INDEX["left_wrist"]] == MISSING
    assert (status[8:10, INDEX["right_knee"]] == GAP_FILLED).all()
    assert status[3, INDEX["nose"]] == PUT_BACK
    assert (status == MEASURED).sum() == status.size - 4


def test_page_data_round_trips_points_in_millimetres():
    p = _points3d()
    data = gather_viewer_data("t1", 120.0, p, [1, 0, 0], camera_names=[])
    out = page_data(data)
    raw = np.frombuffer(base64.b64decode(out["points"]), "<i2").reshape(40, N_KEYPOINTS, 3)
    missing = raw[..., 0] == NO_VALUE
    assert missing.sum() == 1 and missing[7, INDEX["left_wrist"]]
    back = raw / 1000.0 + out["origin"]
    ok = ~missing
    np.testing.assert_allclose(back[ok], p.points[ok], atol=0.0006)  # int16 mm: <= 0.5 mm
    reproj = np.frombuffer(base64.b64decode(out["reprojection"]), "<u2")
    assert set(reproj.tolist()) == {125}  # 0.01 px units
    sd = np.frombuffer(base64.b64decode(out["sd"]), "<u2").reshape(40, N_KEYPOINTS)
    assert sd[0, 0] == round(np.linalg.norm([2.0, 2.0, 2.0]) * 100)  # 0.01 mm/px units


def test_page_is_compact_for_a_minute_at_120_fps(tmp_path):
    p = _points3d(7200)
    page = write_viewer(tmp_path, gather_viewer_data("long", 120.0, p, [1, 0, 0]))
    size_mb = page.stat().st_size / 1e6
    three_mb = len(classic_three()) / 1e6
    # points 1.1 MB + status, views, error, SD 0.75 MB in base64: well under the per-frame JSON's
    assert size_mb - three_mb < 4.0, size_mb
    payload = json.loads(
        re.search(r'id="runlab-data">(.*?)</script>', page.read_text(), re.S).group(1)
    )
    assert isinstance(payload["points"], str)  # binary, not nested lists
    assert len(base64.b64decode(payload["points"])) == 7200 * N_KEYPOINTS * 3 * 2  # int16


def test_three_is_vendored_pinned_and_becomes_a_classic_script():
    assert (VENDOR / "LICENSE").read_text().startswith("The MIT License")
    source = (VENDOR / "three.module.min.js").read_text()
    assert f'const t="{THREE_VERSION.split(".")[1]}"' in source[:400]  # REVISION 160
    script = classic_three()
    assert "window.THREE={" in script and "THREE.OrbitControls = OrbitControls;" in script
    assert not re.search(r"^\s*(import|export)\s*\{", script, re.M)
    assert "</script" not in script


def test_no_3d_says_why_with_the_failed_verdict(tmp_path):
    p = _points3d()
    p.points[:] = np.nan
    verdict = {
        "verdict": "failed",
        "reasons": [{"name": "no_strides", "severity": "failed", "message": "no stride was found"}],
    }
    data = gather_viewer_data("t1", 120.0, p, [1, 0, 0], verdict=verdict)
    assert data.points is None
    assert "No 3D skeleton" in data.missing[0] and "no stride was found" in data.missing[0]
    page = write_viewer(tmp_path, data).read_text()
    payload = json.loads(re.search(r'id="runlab-data">(.*?)</script>', page, re.S).group(1))
    assert payload["nFrames"] == 0 and "No 3D skeleton" in payload["missing"][0]


def test_camera_without_overlay_and_trial_too_long_are_named():
    p = _points3d(50)
    overlays = [
        {"camera": "cam_0", "href": "overlay/cam_0.webm", "format": "webm", "frames": 50},
        {"camera": "cam_1", "href": "overlay/cam_1.mp4", "format": "mp4", "frames": 50},
    ]
    data = gather_viewer_data(
        "t1",
        120.0,
        p,
        [1, 0, 0],
        overlays=overlays,
        camera_names=["cam_0", "cam_1", "cam_2", "cam_3"],
        max_frames=30,
        notes=["camera cam_2: no overlay (video missing)"],
    )
    text = "\n".join(data.missing)
    assert "holds the first 30" in text and "frames 30 to 49 are not shown" in text
    assert "cam_1: its overlay video is mp4" in text
    assert [m for m in data.missing if m.startswith("camera cam_2")] == [
        "camera cam_2: no overlay (video missing)"
    ]  # the reason, once
    assert "camera cam_3: no overlay video." in text
    assert [v["camera"] for v in data.videos] == ["cam_0"]
    assert len(data.points) == 30
    assert "No calibration for this trial" in text


def test_camera_outline_is_where_the_camera_stands_and_looks():
    cam = Camera(
        "c",
        (640, 480),
        [[500, 0, 320], [0, 500, 240], [0, 0, 1]],
        np.zeros(5),
        rvec=np.zeros(3),
        tvec=np.array([0.0, 0.0, 4.0]),
    )
    outline = camera_outline(cam, depth_m=0.5)
    np.testing.assert_allclose(outline["centre"], [0, 0, -4.0])
    corners = np.array(outline["corners"])
    np.testing.assert_allclose(corners[:, 2], -3.5)  # 0.5 m along the optical axis
    np.testing.assert_allclose(corners.mean(axis=0)[:2], [0, 0], atol=1e-9)


def test_events_are_whole_frames_inside_the_trial():
    p = _points3d(40)

    def stride(side, strike, toe_off):
        return Stride(side, 0, strike, strike / 120, toe_off, toe_off / 120, None, None, {}, {})

    strides = [stride("left", 3.4, 12.6), stride("right", 39.7, float("nan"))]  # toe-off unknown
    data = gather_viewer_data("t1", 120.0, p, [1, 0, 0], strides)
    assert data.events == [
        {"side": "left", "kind": "foot strike", "frame": 3},
        {"side": "left", "kind": "toe-off", "frame": 13},
    ]
