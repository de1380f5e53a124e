"""Defects found reading the code as a newcomer (issue #27), one test each."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import (
    ConfigError,
    RejectionMode,
    TriangulationConfig,
    TriangulationMethod,
    TriangulationRefine,
    validate,
)
from pipeline.core.geometry import Camera
from pipeline.io.formats import CameraSet
from pipeline.io.interop import read_pose2sim_calibration, write_pose2sim_calibration
from pipeline.triangulation import linear
from pipeline.triangulation.run import scale_rule

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"


def test_modes_given_as_strings_in_code_take_their_branch():
    """`TriangulationConfig(rejection="fixed")` used to fall to the adaptive gate: the mode
    was compared by identity with the enum member."""
    cfg = TriangulationConfig(rejection="fixed", method="dlt", refine="none")
    assert cfg.rejection is RejectionMode.fixed
    assert cfg.method is TriangulationMethod.dlt
    assert cfg.refine is TriangulationRefine.none
    assert scale_rule(cfg) is None
    assert scale_rule(TriangulationConfig(rejection="adaptive")) is not None


def test_a_mode_typo_in_code_is_named():
    with pytest.raises(ConfigError, match=r"triangulation.rejection = 'fxed' is not one of"):
        TriangulationConfig(rejection="fxed")


def test_a_groups_own_check_names_the_file():
    """`validate` promises errors prefixed with their source; the checks a config group runs
    on itself (IntrinsicsConfig.__post_init__) lacked it."""
    with pytest.raises(
        ConfigError,
        match=r"^params-x\.yaml: calibration.intrinsics.source = "
        r"file needs calibration.intrinsics.path",
    ):
        validate({"calibration": {"intrinsics": {"source": "file"}}}, source="params-x.yaml")


def test_compiled_solve_follows_the_inverse_iteration_count(monkeypatch):
    """The numba kernel's inverse-iteration count is linear.INVERSE_ITERATIONS, not a copy:
    the kernel's Python body, run with another count, equals the numpy solve with it."""
    pytest.importorskip("numba")
    from pipeline.triangulation import _jit_kernels

    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 4))
    full = a.T @ a + np.diag([0.0, 0.0, 0.0, 1e-3])
    m = full[np.triu_indices(4)].reshape(10, 1)
    assert _jit_kernels.INVERSE_ITERATIONS == linear.INVERSE_ITERATIONS
    for n in (0, 1, 3):
        monkeypatch.setattr(linear, "INVERSE_ITERATIONS", n)
        monkeypatch.setattr(_jit_kernels, "INVERSE_ITERATIONS", n)
        want = linear.solve_normal(m)[:, 0]
        got = np.array(_jit_kernels._solve.py_func(*m[:, 0]))
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_no_private_function_is_dead():
    """A private function (leading underscore) that no module of pipeline/ uses is dead code
    (there were `report/html._format` and `_jit_kernels._undistort`)."""
    defined, used = [], set()
    for path in sorted(PIPELINE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        defined += [
            (path, n.name) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        ]
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    dead = [
        f"{path.relative_to(PIPELINE.parent)}: {name}"
        for path, name in defined
        if name.startswith("_") and not name.startswith("__") and name not in used
    ]
    assert not dead, "never used: " + ", ".join(dead)


def test_studies_lock_file_is_gone():
    """`studies.lock_file` had no caller (the cluster reads DVC's own status)."""
    import pipeline.study.studies as studies

    assert not hasattr(studies, "lock_file")


def test_pose2sim_export_orders_cameras_as_aniposelib_loads_them(tmp_path):
    """aniposelib sorts the camera tables by name on load and Pose2Sim takes them in file
    order: a rig listed out of name order was exported so that camera i differed."""
    from aniposelib.cameras import CameraGroup

    cams = [
        Camera(
            name,
            (640, 480),
            [[500 + i, 0, 320], [0, 500, 240], [0, 0, 1]],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            rvec=[0.0, 0.1 * i, 0.0],
            tvec=[float(i), 0, 2],
        )
        for i, name in enumerate(["cam_b", "cam_c", "cam_a"])
    ]
    path = tmp_path / "calib.toml"
    write_pose2sim_calibration(path, CameraSet(cams))
    ours = read_pose2sim_calibration(path)
    theirs = CameraGroup.load(str(path))
    assert ours.names == theirs.get_names() == ["cam_a", "cam_b", "cam_c"]
    for mine, other in zip(ours.cameras, theirs.cameras):
        np.testing.assert_allclose(mine.matrix, other.get_camera_matrix())
