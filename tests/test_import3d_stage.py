"""`runlab import-3d` and imported trials in a study: the points3d file, analyze and the
reports on it unchanged, the DVC stage graph (import3d -> analyze_import -> report_import)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import configure, main
from pipeline.config import ConfigError, RunnerConfig, validate
from pipeline.core.skeleton import KEYPOINTS
from pipeline.io import formats
from pipeline.io.exports import write_trc
from pipeline.synth.kinematics import simulate_run

MOCAP = Path(__file__).resolve().parents[1] / "../shared/data/running-mocap"

STUDY = """\
name: mocap
data_dir: studies/mocap
results_dir: results/mocap
synthesize: []
sessions: {}
trials: {}
imports:
  run01:
    session: lab01
    subject: S01
    date: "2026-11-01"
    condition: treadmill 3.0 m/s
    belt_speed_mps: 3.0
    file: run01.trc
"""


@pytest.fixture(scope="module")
def truth():
    return simulate_run(RunnerConfig(duration_s=4.0, seed=3), 100.0)


def _study(lab: Path, truth) -> Path:
    (lab / "conf" / "study").mkdir(parents=True, exist_ok=True)
    (lab / "conf" / "study" / "mocap.yaml").write_text(STUDY)
    folder = lab / "studies" / "mocap" / "lab01" / "run01"
    folder.mkdir(parents=True)
    write_trc(folder / "run01.trc", truth.points, KEYPOINTS, truth.fps)
    return folder


def _events_match(analysis: dict, truth, tol_frames: float) -> None:
    for side in ("left", "right"):
        found = np.asarray(analysis["events"][side]["foot_strike"], float)
        true = np.asarray(truth.foot_strikes[side], float)
        assert found.size >= 3, side
        nearest = np.min(np.abs(found[:, None] - true[None, :]), axis=1)
        assert np.all(nearest < tol_frames), (side, nearest)


def test_import_analyze_report_from_the_command_line(tmp_path, repo_root, truth, monkeypatch):
    lab = tmp_path / "lab"
    shutil.copytree(repo_root / "conf", lab / "conf")
    _study(lab, truth)
    monkeypatch.chdir(lab)
    configure("conf", "params.yaml", ["study=mocap"])
    assert main(["import-3d", "--trial", "run01"]) == 0
    p3d = formats.read_points3d("results/mocap/trials/run01/points3d/run01.npz")
    assert p3d.fps == 100.0 and p3d.camera_names == ["imported"]
    assert np.nanmax(np.abs(p3d.points - truth.points)) < 1e-6
    assert main(["analyze", "--trial", "run01"]) == 0
    analysis = json.loads(Path("results/mocap/trials/run01/analysis/run01.json").read_text())
    # the parametric runner's true strikes, found on the imported 3D within a frame (10 ms)
    _events_match(analysis, truth, 1.0)
    codes = [r["code"] for r in analysis["verdict"]["reasons"]]
    assert "fewer_than_two_cameras" not in codes and "low_share_in_3d" not in codes, codes
    assert analysis["reference_events"]["source"] == "none"
    assert main(["report"]) == 0
    assert Path("results/mocap/trials/run01/report/index.html").exists()
    assert Path("results/mocap/report/index.html").exists()


def test_import_config_errors_are_named():
    base = {"sessions": {}, "trials": {}, "synthesize": []}
    entry = {"session": "lab01", "subject": "S", "file": "run.trc"}
    with pytest.raises(ConfigError, match="runlab imports .trc and .c3d"):
        validate({"study": {**base, "imports": {"r": {**entry, "file": "run.csv"}}}})
    with pytest.raises(ConfigError, match=r"file='../x.trc' must be a file name"):
        validate({"study": {**base, "imports": {"r": {**entry, "file": "../x.trc"}}}})
    with pytest.raises(ConfigError, match="give the import its subject"):
        validate({"study": {**base, "imports": {"r": {**entry, "subject": ""}}}})
    with pytest.raises(ConfigError, match="study.imports.r.markersett"):
        validate({"study": {**base, "imports": {"r": {**entry, "markersett": "x"}}}})


def test_import_3d_refuses_a_video_trial(tmp_path, monkeypatch, repo_root):
    monkeypatch.chdir(tmp_path)
    configure(str(repo_root / "conf"), "params.yaml", ["study=quick"])
    rc = main(["import-3d", str(tmp_path / "x.trc"), "--trial", "typical"])
    assert rc == 2  # a named error: its points3d comes from triangulate


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_imported_trial_runs_through_dvc(tmp_path, repo_root, truth, dvc_tools):
    """A study of one imported trial: DVC's graph is import3d -> analyze_import ->
    report_import -> report, with no video stage, and a rerun does nothing."""
    dvc_lab, _ = dvc_tools
    lab = dvc_lab(repo_root, tmp_path / "lab")
    _study(lab, truth)
    configure(str(lab / "conf"), str(lab / "params.yaml"), ["study=mocap"])
    stages = set(_dvc(lab, "stage", "list", "--name-only").stdout.split())
    assert stages == {"import3d@run01", "analyze_import@run01", "report_import@run01", "report"}, (
        stages
    )
    run = _dvc(lab, "repro")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    analysis = json.loads((lab / "results/mocap/trials/run01/analysis/run01.json").read_text())
    _events_match(analysis, truth, 1.0)
    assert (lab / "results/mocap/report/index.html").exists()
    again = _dvc(lab, "status", "--json")
    assert again.returncode == 0 and json.loads(again.stdout) == {}, again.stdout


@pytest.mark.skipif(not MOCAP.exists(), reason="../shared/data/running-mocap absent")
def test_shared_treadmill_trial_with_force_plates(tmp_path, repo_root, monkeypatch):
    """Hamner run300 imported with its marker set and force plates: runlab's foot strikes on
    the marker-based 3D lie within 2 frames (20 ms) of the force plates', and so do its
    toe-offs (issue #26). Measured: strikes -0.6 .. +0.8 frame; toe-offs -1.3 .. -0.3 frame
    (4-5 frames early before issue #26's toe tip)."""
    lab = tmp_path / "lab"
    shutil.copytree(repo_root / "conf", lab / "conf")
    (lab / "conf" / "study" / "mocap.yaml").write_text(
        STUDY.replace(
            "file: run01.trc",
            ("file: markers.trc\n    markerset: hamner2013\n    force_file: grf.mot"),
        )
    )
    folder = lab / "studies" / "mocap" / "lab01" / "run01"
    folder.mkdir(parents=True)
    for name in ("markers.trc", "grf.mot"):
        shutil.copy(MOCAP / "hamner-subject04" / "run300" / name, folder / name)
    monkeypatch.chdir(lab)
    configure("conf", "params.yaml", ["study=mocap"])
    assert main(["import-3d", "--trial", "run01"]) == 0
    assert main(["analyze", "--trial", "run01"]) == 0
    analysis = json.loads(Path("results/mocap/trials/run01/analysis/run01.json").read_text())
    ref = analysis["reference_events"]
    assert ref["source"].startswith("force plates")
    diffs = ref["differences_frames"]["foot_strikes"]
    assert sum(len(v) for v in diffs.values()) >= 4
    assert all(abs(d) < 2.0 for v in diffs.values() for d in v), diffs
    offs = ref["differences_frames"]["toe_offs"]
    assert sum(len(v) for v in offs.values()) >= 4
    assert all(abs(d) < 2.0 for v in offs.values() for d in v), offs
    assert main(["report", "--trial", "run01"]) == 0
    page = Path("results/mocap/trials/run01/report/index.html").read_text()
    assert "Reference events (force plates" in page and "runlab &minus; reference (ms)" in page
