"""End to end through DVC on a small synthetic study, asserted against the ground truth.

One `dvc repro` renders board videos, calibrates from real pixels with the real ChArUco
detector and aniposelib, detects (synthetic backend, 1 px noise), triangulates, analyses
and reports; a second `dvc repro` must do nothing. Tolerances are the foundation's
acceptance targets (issue #2), not fitted to the results.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import configure
from pipeline.config import load_params
from pipeline.io import formats
from pipeline.study.paths import StudyPaths

pytestmark = pytest.mark.slow

GIT_ID = {
    "GIT_AUTHOR_NAME": "runlab tests",
    "GIT_AUTHOR_EMAIL": "tests@runlab.invalid",
    "GIT_COMMITTER_NAME": "runlab tests",
    "GIT_COMMITTER_EMAIL": "tests@runlab.invalid",
}


def _env() -> dict:
    return dict(
        os.environ, **GIT_ID, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )


def _dvc(project: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, env=_env(), check=True, capture_output=True)


def _stages_run(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


@pytest.fixture(scope="module")
def project(tmp_path_factory, repo_root) -> Path:
    """A throwaway DVC project: this repo's pipeline files and the `quick` study, committed
    after the first `dvc repro` as a lab would commit it (dvc exp needs a baseline commit)."""
    proj = tmp_path_factory.mktemp("lab")
    for name in ("dvc.yaml", "conf", "pipeline", ".dvc/config", ".dvcignore"):
        src = repo_root / name
        dst = proj / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(
            src, dst, **({"ignore": shutil.ignore_patterns("__pycache__")} if src.is_dir() else {})
        )
    _git(proj, "init", "-q")
    configure(str(proj / "conf"), str(proj / "params.yaml"), ["study=quick"])
    first = _dvc(proj, "repro")
    assert first.returncode == 0, first.stdout + first.stderr
    _git(proj, "add", "-A")
    _git(proj, "commit", "-q", "-m", "quick study, first run")
    return proj


@pytest.fixture(scope="module")
def study(project):
    cfg = load_params(project / "params.yaml")
    paths = StudyPaths.from_config(cfg)
    paths = StudyPaths(
        project / paths.data_dir, project / paths.results_dir, paths.cameras, paths.trial_sessions
    )
    return cfg, paths


def test_second_repro_does_nothing(project):
    second = _dvc(project, "repro")
    assert second.returncode == 0, second.stderr
    out = second.stdout + second.stderr
    stages = _dvc(project, "stage", "list", "--name-only").stdout.split()
    assert {
        "synth@s01",
        "calibrate@s01",
        "detect@typical",
        "sync@typical",
        "triangulate@typical",
        "analyze@typical",
        "report_trial@typical",
        "report",
    } == set(stages)
    for stage in stages:
        assert f"Stage '{stage}' didn't change, skipping" in out, out
    assert not _stages_run(out)


def test_calibrated_camera_centres_within_5mm(study):
    _, paths = study
    quality = formats.read_json(paths.calibration_quality("s01"))
    errors = {name: q["center_error_mm"] for name, q in quality["truth_comparison"].items()}
    assert max(errors.values()) < 5.0, errors


def test_calibration_loads_in_aniposelib(study):
    from aniposelib.cameras import CameraGroup

    _, paths = study
    group = CameraGroup.load(str(paths.calibration("s01")))
    ours = formats.read_calibration(paths.calibration("s01"))
    assert group.get_names() == ours.names
    X = np.array([[0.1, 0.2, 0.9], [-0.3, 0.1, 0.1]])
    from pipeline.core.geometry import project

    np.testing.assert_allclose(
        group.project(X)[:, :, :].reshape(len(ours.cameras), -1, 2),
        np.stack([project(c, X) for c in ours.cameras]),
        atol=1e-6,
    )


def test_3d_rmse_below_10mm(study):
    cfg, paths = study
    for trial in cfg.study.trials:
        truth = formats.read_truth(paths.truth_trial(trial))
        got = formats.read_points3d(paths.points3d(trial))
        err = np.linalg.norm(got.points - truth.points, axis=-1)
        assert np.isfinite(err).mean() > 0.99
        rmse = float(np.sqrt(np.nanmean(err**2)))
        assert rmse < 0.010, f"{trial}: 3D RMSE {rmse * 1000:.1f} mm"


def test_knee_flexion_and_step_width_match_truth(study):
    cfg, paths = study
    for trial in cfg.study.trials:
        errors = formats.read_json(paths.analysis(trial))["truth_errors"]
        for side in ("left", "right"):
            knee = errors[side]["peak_stance_knee_flexion_deg"]
            assert abs(knee["error"]) < 2.0, (side, knee)
            width = errors[side]["step_width_m"]
            assert abs(width["error"]) < 0.01, (side, width)


def test_report_written(study):
    _, paths = study
    html = (paths.trial_report_dir("typical") / "index.html").read_text()
    assert "typical" in html and "<img" in html
    study_html = (paths.study_report_dir / "index.html").read_text()
    assert "typical" in study_html and "S01" in study_html


def _runlab(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "runlab"), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_trial_with_other_cameras_than_the_calibration_is_refused(project):
    run = _runlab(project, "detect", "rig.cameras=[cam_0,cam_1,cam_2]", "rig.arc_deg=[0,120,240]")
    assert run.returncode == 2
    assert "calibrated but not recorded: ['cam_3']" in run.stderr and "Recalibrate" in run.stderr


def test_missing_and_foreign_trial_videos_are_named(project, study, tmp_path):
    cfg, paths = study
    data, results = tmp_path / "data", tmp_path / "results"
    shutil.copytree(paths.data_dir, data)
    shutil.copytree(paths.results_dir / "sessions", results / "sessions")
    trial = data / "s01" / "typical"
    (trial / "cam_3.mp4").rename(trial / "cam_9.mp4")
    args = ("detect", f"study.data_dir={data}", f"study.results_dir={results}")
    run = _runlab(project, *args)
    assert run.returncode == 2 and "['cam_9.mp4'] belong to no camera" in run.stderr, run.stderr
    (trial / "cam_9.mp4").unlink()
    run = _runlab(project, *args)
    assert run.returncode == 2 and "cam_3.mp4: video not found" in run.stderr, run.stderr
    assert not (results / "trials").exists()  # nothing half-written


def test_rejected_recalibration_under_dvc_repro_is_never_used(project, study):
    """Issue 14, item 3, the DVC flow (the by-hand flow: test_calibration_current.py): a
    recalibration its gates reject (here a 0.001 px reprojection limit) stops `dvc repro` at
    calibrate@s01; calibration.toml is gone, quality.json says rejected, and detect refuses,
    naming the session and the fix. The old limit brings everything back."""
    cfg, paths = study
    params = project / "params.yaml"
    original = params.read_text()
    try:
        configure(
            str(project / "conf"),
            str(params),
            ["study=quick", "calibration.max_reprojection_px=0.001"],
        )
        run = _dvc(project, "repro")
        assert run.returncode != 0 and "calibration rejected by its quality gates" in run.stderr, (
            run.stderr
        )
        assert not paths.calibration("s01").exists()
        assert formats.read_json(paths.calibration_quality("s01"))["verdict"] == "rejected"
        detect = _runlab(project, "detect", "--trial", "typical")
        assert detect.returncode == 2, detect.stderr
        assert "session s01's calibration was rejected by its quality gates" in detect.stderr
        assert "runlab calibrate --session s01" in detect.stderr
    finally:
        params.write_text(original)
        restore = _dvc(project, "repro")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert formats.read_json(paths.calibration_quality("s01"))["verdict"] == "accepted"


def test_threshold_change_reruns_only_analysis_and_reports(project):
    """Issue #7: a changed analysis threshold reruns analyze and the reports, nothing upstream
    (asserted from DVC's own output), and the flag appears in the metrics."""
    configure(
        str(project / "conf"),
        str(project / "params.yaml"),
        ["study=quick", "analysis.thresholds.max_pelvic_drop_deg=3.0"],
    )
    try:
        run = _dvc(project, "repro")
        assert run.returncode == 0, run.stdout + run.stderr
        assert _stages_run(run.stdout) == {"analyze@typical", "report_trial@typical", "report"}, (
            run.stdout
        )
        metrics = json.loads((project / "results/quick/trials/typical/metrics.json").read_text())
        assert metrics["flags"] > 0  # the quick runner drops the pelvis 5 deg > 3 deg
    finally:
        configure(str(project / "conf"), str(project / "params.yaml"), ["study=quick"])
        restore = _dvc(project, "repro")  # outputs come back from DVC's run cache
    assert restore.returncode == 0 and not _stages_run(restore.stdout), restore.stdout


def test_queued_sweep_gives_two_experiments(project):
    """Issue #7: `dvc exp run --queue` with a two-value Hydra sweep + `dvc queue start` gives
    two experiments whose metrics differ in `dvc exp show`."""
    queued = _dvc(
        project, "exp", "run", "--queue", "-S", "study=quick", "-S", "triangulation.lowpass_hz=8,12"
    )
    assert queued.returncode == 0, queued.stdout + queued.stderr
    started = _dvc(project, "queue", "start", "--jobs", "1")
    assert started.returncode == 0, started.stdout + started.stderr
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        status = _dvc(project, "queue", "status").stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(5)
    assert "Failed" not in status, status + _dvc(project, "queue", "logs", "--fail").stdout
    shown = json.loads(_dvc(project, "exp", "show", "--json").stdout)
    knees = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            for rev in exp["revs"]:
                data = rev["data"]
                cutoff = data["params"]["params.yaml"]["data"]["triangulation"]["lowpass_hz"]
                metrics = data["metrics"]["results/quick/trials/typical/metrics.json"]["data"]
                knees[cutoff] = metrics["left"]["peak_stance_knee_flexion_deg"]
    assert set(knees) == {8, 12}, shown
    assert knees[8] != knees[12]
    # and the experiments changed nothing in the lab's workspace
    assert _stages_run(_dvc(project, "repro").stdout) == set()


RECORDED_STUDY = """\
name: recorded
data_dir: studies/recorded
results_dir: results/recorded
synthesize: []
sessions:
  s01:
    subject: S01
trials:
  typical:
    session: s01
"""


def test_recorded_study_runs_from_dvc_added_videos(project, tmp_path, repo_root):
    """Issue #7's layout for real recordings: the session folder is tracked with `dvc add`,
    there is no synth stage, and calibrate runs on the tracked videos."""
    lab = tmp_path / "lab"
    for name in ("dvc.yaml", "conf", "pipeline", ".dvc/config", ".dvcignore"):
        src, dst = repo_root / name, lab / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    session = lab / "studies" / "recorded" / "s01"
    shutil.copytree(
        project / "studies" / "quick" / "s01", session, ignore=shutil.ignore_patterns("truth")
    )
    (lab / "conf" / "study" / "recorded.yaml").write_text(RECORDED_STUDY)
    _git(lab, "init", "-q")
    configure(str(lab / "conf"), str(lab / "params.yaml"), ["study=recorded"])
    added = _dvc(lab, "add", "studies/recorded/s01")
    assert added.returncode == 0, added.stdout + added.stderr
    assert (lab / "studies" / "recorded" / "s01.dvc").exists()
    stages = _dvc(lab, "stage", "list", "--name-only").stdout.split()
    assert not [s for s in stages if s.startswith("synth")], stages
    run = _dvc(lab, "repro", "calibrate@s01")
    assert run.returncode == 0, run.stdout + run.stderr
    assert _stages_run(run.stdout) == {"calibrate@s01"}
    calib = formats.read_calibration(
        lab / "results/recorded/sessions/s01/calibration/calibration.toml"
    )
    assert calib.names == ["cam_0", "cam_1", "cam_2", "cam_3"]
    status = _dvc(lab, "status", "calibrate@s01")
    assert "changed" not in status.stdout, status.stdout


def test_normalized_curves_are_dvc_plots_and_match_truth(project, study):
    """`dvc plots show` finds each trial's gait-cycle curves (one file per angle and side),
    and the mean knee flexion curve matches the one from the true skeleton and true events
    (RMS over the cycle <= 1.5 deg: the issue's knee-angle tolerance)."""
    from pipeline.gait.curves import normalized_curves

    cfg, paths = study
    shown = _dvc(project, "plots", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    plotted = json.loads(shown.stdout)["data"]
    for trial in cfg.study.trials:
        truth = formats.read_truth(paths.truth_trial(trial))
        events = {
            s: {"foot_strike": truth.foot_strikes[s], "toe_off": truth.toe_offs[s]}
            for s in ("left", "right")
        }
        true_curves = normalized_curves(truth.points, truth.fps, events, [1.0, 0.0, 0.0])
        for side in ("left", "right"):
            csv_path = paths.curves_dir(trial) / f"knee_flexion_deg_{side}.csv"
            assert str(csv_path.relative_to(project)) in plotted
            rows = np.genfromtxt(csv_path, delimiter=",", names=True)
            assert rows["n_strides"][0] >= 3
            true_mean = true_curves.angles["knee_flexion_deg"][side].mean(axis=0)
            rms = float(np.sqrt(np.mean((rows["mean_deg"] - true_mean) ** 2)))
            assert rms <= 1.5, f"{trial} {side}: knee curve RMS {rms:.2f} deg"
