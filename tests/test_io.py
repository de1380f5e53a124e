"""Stage file formats and bad-input handling at the stage edges."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.errors import RunlabError
from pipeline.core.geometry import Camera
from pipeline.io import formats
from pipeline.io.atomic import atomic_path, write_text
from pipeline.io.video import VideoError, probe, probe_synchronized
from pipeline.stages.common import check_camera_set


def _camera(name: str) -> Camera:
    return Camera(
        name,
        (1920, 1080),
        [[1500, 0, 960], [0, 1500, 540], [0, 0, 1]],
        [-0.1, 0.05, 0.001, -0.001, 0.0],
        rvec=[0.1, -0.2, 0.3],
        tvec=[0.2, 1.0, 3.0],
    )


def test_interrupted_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "metrics.json"
    write_text(target, "old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary left behind


def test_calibration_round_trip_and_aniposelib_reads_it(tmp_path):
    from aniposelib.cameras import CameraGroup

    cams = [_camera(f"cam_{i}") for i in range(3)]
    path = tmp_path / "calibration.toml"
    formats.write_calibration(path, formats.CameraSet(cams, np.eye(4)))
    back = formats.read_calibration(path)
    for a, b in zip(cams, back.cameras):
        np.testing.assert_allclose(a.matrix, b.matrix)
        np.testing.assert_allclose(a.rvec, b.rvec)
        np.testing.assert_allclose(a.dist, b.dist)
    group = CameraGroup.load(str(path))
    assert group.get_names() == ["cam_0", "cam_1", "cam_2"]
    np.testing.assert_allclose(group.cameras[1].get_translation(), cams[1].tvec)


def test_reader_refuses_another_schema_version(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"schema_version": 99}')
    with pytest.raises(formats.FormatError, match="schema_version 99"):
        formats.read_json(path)


def test_json_has_no_nan(tmp_path):
    path = tmp_path / "m.json"
    formats.write_json(path, {"a": float("nan"), "b": np.float64(1.5), "c": np.array([1, np.nan])})
    assert "NaN" not in path.read_text()
    assert formats.read_json(path) == {"schema_version": 1, "a": None, "b": 1.5, "c": [1.0, None]}


def test_keypoints_shape_is_checked():
    with pytest.raises(formats.FormatError, match="2 cameras x 26 keypoints"):
        formats.Keypoints2D(np.zeros((3, 10, 26, 3)), ["a", "b"], 120.0, "synthetic", ["", ""])


def test_camera_sets_must_match():
    calib = formats.CameraSet([_camera("cam_0"), _camera("cam_1")])
    check_camera_set(calib, ["cam_0", "cam_1"], "here")
    with pytest.raises(RunlabError, match=r"not calibrated: \['cam_2'\].*Recalibrate"):
        check_camera_set(calib, ["cam_0", "cam_1", "cam_2"], "trial T01")


def test_missing_and_corrupt_videos_are_named(tmp_path):
    with pytest.raises(VideoError, match="cam_9.mp4: video not found"):
        probe(tmp_path / "cam_9.mp4")
    bad = tmp_path / "cam_0.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoError, match="cam_0.mp4: cannot be decoded"):
        probe(bad)


def test_unsynchronized_videos_are_refused(tmp_path):
    import cv2

    def write(path, frames, fps):
        w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
        for _ in range(frames):
            w.write(np.full((48, 64, 3), 128, np.uint8))
        w.release()
        return path

    a, b, c = (
        write(tmp_path / "a.mp4", 5, 60),
        write(tmp_path / "b.mp4", 6, 60),
        write(tmp_path / "c.mp4", 5, 30),
    )
    assert probe_synchronized([a, a])[0].n_frames == 5
    with pytest.raises(VideoError, match="different frame counts"):
        probe_synchronized([a, b])
    with pytest.raises(VideoError, match="different frame rates"):
        probe_synchronized([a, c])


def test_points3d_optional_arrays_round_trip_and_old_files_still_read(tmp_path):
    rng = np.random.default_rng(0)
    f, k, c = 5, 26, 4
    base = dict(
        points=rng.normal(size=(f, k, 3)),
        reprojection_error=np.ones((f, k)),
        n_views=np.full((f, k), 4),
        fps=120.0,
        views_used=np.ones((f, k, c), bool),
        camera_names=[f"cam_{i}" for i in range(c)],
        swaps_repaired=np.zeros((c, f), bool),
    )
    full = formats.Points3D(
        **base, sd_per_px=np.full((f, k, 3), 0.0012), points_unfiltered=base["points"] + 0.001
    )
    formats.write_points3d(tmp_path / "t.npz", full)
    got = formats.read_points3d(tmp_path / "t.npz")
    np.testing.assert_allclose(got.sd_per_px, 0.0012, rtol=1e-6)  # float32 on disk
    np.testing.assert_allclose(got.points_unfiltered, full.points_unfiltered, atol=1e-6)
    formats.write_points3d(tmp_path / "old.npz", formats.Points3D(**base))  # as before them
    old = formats.read_points3d(tmp_path / "old.npz")
    assert old.sd_per_px is None and old.points_unfiltered is None
    # a triangulation result without the recording's rate and cameras is not a file
    with pytest.raises(ValueError, match=r"needs fps, camera_names"):
        formats.write_points3d(
            tmp_path / "bare.npz",
            formats.Points3D(
                base["points"],
                base["reprojection_error"],
                base["n_views"],
                base["views_used"],
                swaps_repaired=base["swaps_repaired"],
            ),
        )
    assert not (tmp_path / "bare.npz").exists()


def test_curve_directory_is_replaced_whole(tmp_path):
    target = tmp_path / "curves"
    formats.write_csv_dir(target, {"a": [{"x": 1}], "stale": [{"x": 2}]})
    formats.write_csv_dir(target, {"a": [{"x": 3}]})
    assert sorted(p.name for p in target.iterdir()) == ["a.csv"]
    assert (target / "a.csv").read_text().splitlines() == ["x", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves"]  # no staging left behind
