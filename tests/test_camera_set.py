"""The one camera-set type (core/camera_set.py), its file formats (io/camera_files.py) and the
solver's result apart from the points3d file record (triangulation/result.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, look_at, project, undistort_to_normalized
from pipeline.io import formats
from pipeline.io.camera_files import dump_camera_set, load_camera_set
from pipeline.io.formats import FormatError
from pipeline.triangulation.linear import Rig
from pipeline.triangulation.result import Triangulation
from pipeline.triangulation.scale import fixed_scale


def _cameras() -> CameraSet:
    cams = []
    for i, angle in enumerate((0.0, 1.7, 3.4)):
        centre = np.array([4 * np.cos(angle), 4 * np.sin(angle), 1.2])
        R, t = look_at(centre, np.zeros(3))
        K = np.array([[900.0 + 10 * i, 0, 640], [0, 905.0, 360], [0, 0, 1]])
        cam = Camera(f"cam_{i}", (1280, 720), K, [-0.1, 0.02, 0.001, -0.001, 0.0])
        cams.append(cam.with_pose(R, t))
    return CameraSet(cams, metadata={"source": "test"})


def test_project_and_undistort_are_the_per_camera_functions():
    cams = _cameras()
    X = np.array([[0.1, 0.2, 0.9], [-0.3, 0.1, 0.1]])
    px = cams.project(X)
    assert px.shape == (3, 2, 2)
    for c, cam in enumerate(cams):
        np.testing.assert_array_equal(px[c], project(cam, X))
        np.testing.assert_array_equal(cams.undistort(px)[c], undistort_to_normalized(cam, px[c]))
    # undistorted, then through K without distortion: the ideal pinhole projection
    xy = cams.undistort(px)
    for c, cam in enumerate(cams):
        pc = X @ cam.rotation.T + cam.tvec
        np.testing.assert_allclose(xy[c], pc[:, :2] / pc[:, 2:], atol=1e-9)
    with pytest.raises(ValueError, match="2 pixel sets for 3 cameras"):
        cams.undistort(px[:2])


def test_subset_keeps_the_order_asked_for_and_names_a_missing_camera():
    cams = _cameras()
    sub = cams.subset(["cam_2", "cam_0"])
    assert sub.names == ["cam_2", "cam_0"] and len(sub) == 2
    assert sub.camera("cam_2") is cams.camera("cam_2")
    with pytest.raises(KeyError, match="cam_9"):
        cams.subset(["cam_9"])


def test_index_gives_a_camera_and_a_slice_a_camera_set_with_the_same_world():
    world = np.eye(4)
    world[:3, 3] = (0.5, 0.0, 0.0)
    cams = CameraSet(_cameras().cameras, world, {"session": "s1"})
    assert cams[1] is cams.cameras[1] and cams[-1].name == cams.names[-1]
    head = cams[:2]
    assert isinstance(head, CameraSet) and head.names == cams.names[:2]
    np.testing.assert_array_equal(head.world_from_rig, world)
    assert head.metadata == {"session": "s1"}


def test_transformed_moves_the_world_not_the_images():
    cams = _cameras()
    R, _ = look_at(np.array([1.0, 2.0, 3.0]), np.zeros(3))
    t = np.array([0.5, -0.2, 0.1])
    X = np.array([[0.1, 0.2, 0.9]])
    moved = cams.transformed(R, t)
    np.testing.assert_allclose(moved.project(X @ R.T + t), cams.project(X), atol=1e-9)


@pytest.mark.parametrize("fmt", ["runlab", "pose2sim", "aniposelib", "caliscope"])
def test_each_format_round_trips(tmp_path, fmt):
    cams = _cameras()
    path = tmp_path / f"{fmt}.toml"
    dump_camera_set(path, cams, fmt)
    back = load_camera_set(path, fmt, names=cams.names)
    assert back.names == cams.names
    for a, b in zip(cams, back):
        np.testing.assert_allclose(a.matrix, b.matrix)
        np.testing.assert_allclose(a.dist, b.dist)
        np.testing.assert_allclose(a.rotation, b.rotation, atol=1e-12)
        np.testing.assert_allclose(a.tvec, b.tvec)
        assert a.size == b.size
    auto = load_camera_set(path, "auto", names=cams.names)
    np.testing.assert_allclose(auto.project(np.zeros(3)), cams.project(np.zeros(3)))


def test_runlab_file_keeps_metadata_and_world_transform(tmp_path):
    cams = _cameras()
    world = np.eye(4)
    world[:3, 3] = (1.0, 2.0, 3.0)
    cams = CameraSet(cams.cameras, world, {"source": "test"})
    dump_camera_set(tmp_path / "c.toml", cams)
    back = load_camera_set(tmp_path / "c.toml", "runlab")
    np.testing.assert_array_equal(back.world_from_rig, world)
    assert back.metadata["source"] == "test"
    imported = load_camera_set(tmp_path / "c.toml", "auto")  # as an import: cameras only
    assert "source" not in imported.metadata and imported.names == cams.names
    assert not hasattr(formats, "Calibration")  # one camera-set type, no second name for it


def test_unknown_formats_are_named(tmp_path):
    with pytest.raises(FormatError, match="cannot write calibration format 'caliscope-config'"):
        dump_camera_set(tmp_path / "c.toml", _cameras(), "caliscope-config")
    with pytest.raises(FormatError, match="unknown calibration format 'opensim'"):
        load_camera_set(tmp_path / "c.toml", "opensim")


def test_solver_constants_from_a_camera_set_equal_those_from_its_list():
    cams = _cameras()
    a, b = Rig(cams), Rig(cams.cameras)
    np.testing.assert_array_equal(a.basis, b.basis)
    assert a.iterations == b.iterations and a.cameras == b.cameras


def test_solver_result_becomes_the_file_record(tmp_path):
    rng = np.random.default_rng(0)
    F, K, C = 5, 26, 3
    result = Triangulation(
        points=rng.normal(size=(F, K, 3)),
        reprojection_error=rng.random((F, K)),
        n_views=np.full((F, K), 3),
        views_used=np.ones((F, K, C), bool),
        swaps_repaired=np.zeros((C, F), bool),
        scale=fixed_scale(C, K, 20.0),
        other_person=np.zeros((F, K), bool),
    )
    record = result.to_points3d(100.0, ["a", "b", "c"])
    assert not hasattr(record, "scale") and not hasattr(record, "other_person")
    formats.write_points3d(tmp_path / "p.npz", record)
    back = formats.read_points3d(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.points, result.points)
    assert back.fps == 100.0 and back.camera_names == ["a", "b", "c"]
