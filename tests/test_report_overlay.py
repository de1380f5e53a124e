"""Overlay videos: the reprojected skeleton lands where the cameras see the true skeleton.

Drawn on a black video, the joint dots are the only white pixels; the centroid of the white
blob around each expected position is where the overlay put that joint."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scenes.report import FORWARD, small_trial

from pipeline.core.geometry import project
from pipeline.core.skeleton import INDEX
from pipeline.io.video import iter_frames, probe, video_writer
from pipeline.report.overlay import overlay_video, scale_pixels
from pipeline.report.views3d import key_event_sheet, write_views_video

CHECKED = (
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_knee",
    "right_knee",
    "left_wrist",
    "right_wrist",
)
WINDOW = 5  # px half-size of the search window (dots have radius 2-3 px at 480 px)


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    return small_trial(tmp_path_factory.mktemp("overlay"), duration_s=2.0)


def _black_video(path, camera, n_frames, fps):
    with video_writer(path, fps, camera.size) as write:
        for _ in range(n_frames):
            write(np.zeros((camera.size[1], camera.size[0], 3), np.uint8))
    return path


def _dot_offsets(video, expected: np.ndarray) -> np.ndarray:
    """Distance (px) between each CHECKED joint's expected position (from `expected`, all
    keypoints (F, K, 2)) and the centroid of the near-white pixels around it; NaN where the
    window is ambiguous (any other keypoint near) or off the image; inf where no dot is."""
    out = []
    for index, frame in enumerate(iter_frames(video)):
        white = (frame.min(axis=2) > 150).astype(float) * frame.min(axis=2)
        row = []
        for j in (INDEX[k] for k in CHECKED):
            x, y = expected[index, j]
            others = np.delete(expected[index], j, axis=0)
            crowded = (np.linalg.norm(others - (x, y), axis=1) < 2.5 * WINDOW).any()
            x0, y0 = int(round(x)) - WINDOW, int(round(y)) - WINDOW
            if (
                crowded
                or x0 < 0
                or y0 < 0
                or x0 + 2 * WINDOW >= frame.shape[1]
                or y0 + 2 * WINDOW >= frame.shape[0]
            ):
                row.append(np.nan)
                continue
            patch = white[y0 : y0 + 2 * WINDOW + 1, x0 : x0 + 2 * WINDOW + 1]
            if patch.sum() == 0:
                row.append(np.inf)  # no dot at all
                continue
            ys, xs = np.mgrid[y0 : y0 + 2 * WINDOW + 1, x0 : x0 + 2 * WINDOW + 1]
            cx, cy = (xs * patch).sum() / patch.sum(), (ys * patch).sum() / patch.sum()
            row.append(np.hypot(cx - x, cy - y))
        out.append(row)
    return np.array(out)


@pytest.mark.parametrize("fmt", ["webm", "mp4"])
def test_reprojected_truth_lands_on_its_projection(tmp_path, trial, fmt):
    """Overlaying the true 3D: every checked joint dot within 0.5 px (480 px wide output) of
    the true projection, scaled; the frame count is the max_frames limit."""
    camera, n = trial.cameras[0], 40
    black = _black_video(tmp_path / "black.mp4", camera, len(trial.truth), trial.fps)
    result = overlay_video(
        black, camera, trial.truth, tmp_path / f"overlay.{fmt}", width_px=480, max_frames=n, fmt=fmt
    )
    assert result.n_frames == n and result.size == (480, 270)
    assert probe(result.path).n_frames == n
    assert sum(1 for _ in iter_frames(result.path)) == n
    expected = scale_pixels(project(camera, trial.truth[:n]), 480 / camera.size[0])
    offsets = _dot_offsets(result.path, expected)
    measured = offsets[np.isfinite(offsets) | np.isinf(offsets)]
    assert measured.size > 0.5 * offsets.size  # most joints were checked
    assert np.all(measured < 0.5), np.nanmax(measured)


def test_triangulated_skeleton_lands_on_truth_within_2px(tmp_path, trial):
    """The triangulated skeleton (1 px detector noise, 2 views, 12 Hz low-pass) reprojected
    at full resolution: median joint offset from the truth's projection <= 1 px, 95th
    percentile <= 2 px (the 3D error seen through the camera)."""
    camera, n = trial.cameras[1], 60
    black = _black_video(tmp_path / "black.mp4", camera, len(trial.truth), trial.fps)
    result = overlay_video(
        black,
        camera,
        trial.points,
        tmp_path / "overlay.webm",
        detections=None,
        width_px=None,
        max_frames=n,
    )
    assert result.size == camera.size
    expected = project(camera, trial.truth[:n])
    offsets = _dot_offsets(result.path, expected)
    measured = offsets[np.isfinite(offsets)]
    assert not np.isinf(offsets).any()  # every dot was found
    assert np.median(measured) <= 1.0 and np.percentile(measured, 95) <= 2.0, (
        np.median(measured),
        np.percentile(measured, 95),
    )


def test_detections_are_drawn_thin_and_yellow(tmp_path, trial):
    camera = trial.cameras[0]
    black = _black_video(tmp_path / "black.mp4", camera, 5, trial.fps)
    result = overlay_video(
        black,
        camera,
        np.full_like(trial.truth, np.nan),
        tmp_path / "o.webm",
        detections=trial.detections[0],
        width_px=None,
        max_frames=5,
    )
    frame = next(iter_frames(result.path))[60:]  # below the white caption
    b, g, r = cv2.split(frame.astype(int))
    yellow = (r > 150) & (g > 150) & (b < 100)
    assert yellow.sum() > 200  # the detected skeleton's bones
    assert (frame.min(axis=2) > 200).sum() < 50  # no reprojected joints (3D all NaN)


def test_views_video_and_key_event_sheet(tmp_path, trial):
    n = write_views_video(
        trial.points, trial.fps, FORWARD, tmp_path / "views.webm", panel_px=200, max_frames=30
    )
    assert n == 30 and probe(tmp_path / "views.webm").n_frames == 30
    sheet = key_event_sheet(trial.points, trial.analysis.strides, FORWARD, tmp_path / "sheet.png")
    image = cv2.imread(str(sheet))
    assert image is not None and image.std() > 10
    assert image.shape[0] > image.shape[1] / 10  # two rows of tiles (left, right)
