"""End to end through DVC on a small synthetic study, asserted against the ground truth.

One `dvc repro` renders board videos, calibrates from real pixels with the real ChArUco
detector and aniposelib, detects (synthetic backend, 1 px noise), triangulates, analyses
and reports; a second `dvc repro` must do nothing. Tolerances are the foundation's
acceptance targets (issue #2), not fitted to the results.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import configure
from pipeline.config import load_params
from pipeline.io import formats
from pipeline.study import StudyPaths

pytestmark = pytest.mark.slow

STAGES = ("synth", "calibrate", "detect", "triangulate", "analyze", "report")


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([str(Path(sys.executable).parent / "dvc"), *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def project(tmp_path_factory, repo_root) -> Path:
    """A throwaway DVC project: this repo's pipeline files and the `quick` study."""
    proj = tmp_path_factory.mktemp("lab")
    for name in ("dvc.yaml", "conf", "pipeline", ".dvc/config", ".dvcignore"):
        src = repo_root / name
        dst = proj / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    configure(str(proj / "conf"), str(proj / "params.yaml"), ["study=quick"])
    first = _dvc(proj, "repro")
    assert first.returncode == 0, first.stdout + first.stderr
    return proj


@pytest.fixture(scope="module")
def study(project):
    cfg = load_params(project / "params.yaml")
    paths = StudyPaths(project / cfg.study.data_dir, project / cfg.study.results_dir, tuple(cfg.rig.cameras))
    return cfg, paths


def test_second_repro_does_nothing(project):
    second = _dvc(project, "repro")
    assert second.returncode == 0, second.stderr
    out = second.stdout + second.stderr
    for stage in STAGES:
        assert f"Stage '{stage}' didn't change, skipping" in out, out
    assert "Running stage" not in out


def test_calibrated_camera_centres_within_5mm(study):
    _, paths = study
    quality = formats.read_json(paths.calibration_quality)
    errors = {name: q["center_error_mm"] for name, q in quality["truth_comparison"].items()}
    assert max(errors.values()) < 5.0, errors


def test_calibration_loads_in_aniposelib(study):
    from aniposelib.cameras import CameraGroup

    _, paths = study
    group = CameraGroup.load(str(paths.calibration))
    ours = formats.read_calibration(paths.calibration)
    assert group.get_names() == ours.names
    X = np.array([[0.1, 0.2, 0.9], [-0.3, 0.1, 0.1]])
    from pipeline.geometry import project
    np.testing.assert_allclose(group.project(X)[:, :, :].reshape(len(ours.cameras), -1, 2),
                               np.stack([project(c, X) for c in ours.cameras]), atol=1e-6)


def test_3d_rmse_below_10mm(study):
    cfg, paths = study
    for trial in cfg.study.trials:
        truth = formats.read_truth(paths.truth_trial(trial.name))
        got = formats.read_points3d(paths.points3d(trial.name))
        err = np.linalg.norm(got.points - truth.points, axis=-1)
        assert np.isfinite(err).mean() > 0.99
        rmse = float(np.sqrt(np.nanmean(err ** 2)))
        assert rmse < 0.010, f"{trial.name}: 3D RMSE {rmse * 1000:.1f} mm"


def test_knee_flexion_and_step_width_match_truth(study):
    cfg, paths = study
    for trial in cfg.study.trials:
        errors = formats.read_json(paths.metrics(trial.name))["truth_errors"]
        for side in ("left", "right"):
            knee = errors[side]["peak_stance_knee_flexion_deg"]
            assert abs(knee["error"]) < 2.0, (side, knee)
            width = errors[side]["step_width_m"]
            assert abs(width["error"]) < 0.01, (side, width)


def test_report_written(study):
    _, paths = study
    html = (paths.report_dir / "index.html").read_text()
    assert "typical" in html and "<img" in html


def _runlab(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "runlab"), *args], cwd=project,
                          capture_output=True, text=True, timeout=600)


def test_trial_with_other_cameras_than_the_calibration_is_refused(project):
    run = _runlab(project, "detect", "rig.cameras=[cam_0,cam_1,cam_2]", "rig.arc_deg=[0,120,240]")
    assert run.returncode == 2
    assert "calibrated but not recorded: ['cam_3']" in run.stderr and "Recalibrate" in run.stderr


def test_missing_and_foreign_trial_videos_are_named(project, study, tmp_path):
    cfg, paths = study
    data, results = tmp_path / "data", tmp_path / "results"
    shutil.copytree(paths.data_dir, data)
    shutil.copytree(paths.results_dir / "calibration", results / "calibration")
    trial = data / "trials" / cfg.study.trials[0].name
    (trial / "cam_3.mp4").rename(trial / "cam_9.mp4")
    args = ("detect", f"study.data_dir={data}", f"study.results_dir={results}")
    run = _runlab(project, *args)
    assert run.returncode == 2 and "['cam_9.mp4'] belong to no camera" in run.stderr, run.stderr
    (trial / "cam_9.mp4").unlink()
    run = _runlab(project, *args)
    assert run.returncode == 2 and "cam_3.mp4: video not found" in run.stderr, run.stderr
    assert not (results / "keypoints2d").exists()  # nothing half-written
