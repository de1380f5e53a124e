"""The rules the stages used to hold, in their domain packages with plain-data interfaces:
the calibration acceptance rules (calibration/acceptance.py: paths and a session name in, a
camera set or a named refusal out) and the verdict's evidence (quality/evidence.py: the
points3d record and the gait counts in, `TrialEvidence` out; no gait or calibration import)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pipeline.calibration.acceptance import ACCEPTED, accepted_calibration, calibration_id
from pipeline.calibration.quality_record import own_reprojection_px
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera
from pipeline.io import formats
from pipeline.io.formats import FormatError, Points3D, TriangulationQA
from pipeline.quality.evidence import GaitCounts, imported_evidence, trial_evidence

ROOT = Path(__file__).resolve().parents[1]


def _cameras() -> CameraSet:
    K = np.array([[800.0, 0, 320], [0, 800, 240], [0, 0, 1]])
    return CameraSet(
        [Camera(n, (640, 480), K, np.zeros(5), tvec=[0, 0, 3 + i]) for i, n in enumerate("ab")]
    )


def _accepted_pair(tmp_path) -> tuple[Path, Path, Path]:
    cams = _cameras()
    own = calibration_id(cams)
    calib = tmp_path / "calibration.toml"
    formats.write_calibration(calib, CameraSet(cams.cameras, metadata={"calibration_id": own}))
    quality = tmp_path / "quality.json"
    cameras = {"a": {"reprojection_mean_px": 0.4}, "b": {"reprojection_mean_px": 0.6}}
    formats.write_json(quality, {"calibration_id": own, "verdict": ACCEPTED, "cameras": cameras})
    return calib, quality, tmp_path / "quality.html"


def test_accepted_calibration_from_plain_paths(tmp_path):
    calib, quality, report = _accepted_pair(tmp_path)
    cams = accepted_calibration(calib, quality, report, "s07")
    assert cams.names == ["a", "b"]
    own = cams.metadata["calibration_id"]
    assert isinstance(own, str)
    assert own_reprojection_px(quality, own) == {"a": 0.4, "b": 0.6}
    assert own_reprojection_px(quality, "another id") == {}
    assert own_reprojection_px(quality, None) == {}


def test_edited_calibration_is_refused_naming_the_session(tmp_path):
    calib, quality, report = _accepted_pair(tmp_path)
    cams = formats.read_calibration(calib)
    moved = dataclasses.replace(cams.cameras[0], tvec=np.array([0.0, 0.0, 9.0]))
    formats.write_calibration(calib, CameraSet([moved, cams.cameras[1]], metadata=cams.metadata))
    with pytest.raises(FormatError, match="session s07: .* was changed after it was calibrated"):
        accepted_calibration(calib, quality, report, "s07")


def test_rejected_calibration_names_its_report(tmp_path):
    calib, quality, report = _accepted_pair(tmp_path)
    calib.unlink()
    formats.write_json(quality, {"verdict": "rejected"})
    with pytest.raises(FormatError, match=f"the page {report} says why"):
        accepted_calibration(calib, quality, report, "s07")


def _points3d(qa: TriangulationQA | None) -> Points3D:
    F, K, C = 4, 3, 2
    n_views = np.full((F, K), 2)
    n_views[0, 0] = 0
    return Points3D(
        np.zeros((F, K, 3)),
        np.zeros((F, K)),
        n_views,
        np.ones((F, K, C), bool),
        fps=100.0,
        camera_names=["a", "b"],
        swaps_repaired=np.zeros((C, F), bool),
    )


def test_evidence_from_the_record_and_the_gait_counts():
    gait = GaitCounts(strides={"left": 3, "right": 2}, events_found=10, events_untimed=2)
    ev = trial_evidence(_points3d(None), gait)
    assert ev.camera_names == ["a", "b"]
    assert ev.measured_share == pytest.approx(11 / 12)  # before the QA record: all keypoints
    assert ev.camera_share == {"a": 1.0, "b": 1.0}
    assert ev.strides == {"left": 3, "right": 2}
    assert (ev.events_found, ev.events_untimed) == (12, 2)  # found counts the untimed too
    imported = imported_evidence(_points3d(None), gait)
    assert imported.imported and imported.camera_names == [] and imported.camera_share == {}


def test_domain_modules_import_no_sibling_and_stages_hold_no_rules():
    for module, banned in (
        ("pipeline/quality/evidence.py", ("pipeline.gait", "pipeline.calibration")),
        ("pipeline/calibration/acceptance.py", ("pipeline.stages", "pipeline.study")),
    ):
        tree = ast.parse((ROOT / module).read_text())
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in imported if m.startswith(banned)], (module, imported)
    stage = ast.parse((ROOT / "pipeline/stages/calibration_use.py").read_text())
    assert not [n for n in ast.walk(stage) if isinstance(n, ast.Raise)]  # rules live elsewhere
