"""The fault matrix (issue #28): inputs and operations that used to give a result that looks
fine, each through the real CLI (`pipeline.cli.main`, as `runlab ...` runs it) or DVC,
asserting the named reason a user sees and that nothing a lab could misread was written.
docs/verdicts.md ("Fault matrix") lists these with the earlier cases of the verdict,
calibration, security and data-safety tests.

Where the stage's numeric step is not what is under test, it is replaced by a clearly named
test double (`calibrate_double` from test_calibration_current.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import toml
import yaml
from test_calibration_current import CAMERAS, _video, calibrate_double

from pipeline import cli
from pipeline.calibration.board_in_videos import CalibrationError
from pipeline.calibration.gates import PASS
from pipeline.config import validate
from pipeline.io import formats
from pipeline.stages import calibrate as calibrate_stage
from pipeline.study.paths import StudyPaths

CONFIG = {
    "study": {
        "name": "faults",
        "data_dir": "data",
        "results_dir": "results",
        "sessions": {"s01": {"subject": "R01", "date": "2026-10-01"}},
        "trials": {"t1": {"session": "s01", "condition": "3.0 m/s"}},
    },
    "rig": {"cameras": CAMERAS, "fps": 60.0, "width": 320, "height": 240},
    "triangulation": {"lowpass_hz": 12.0},
    "detector": {"backend": "openpose_json"},
}


def _runlab(capsys, *argv) -> tuple[int, str]:
    """`runlab ARGV` in this process; (exit status, what it printed to stderr)."""
    capsys.readouterr()
    rc = cli.main(list(argv))
    return rc, capsys.readouterr().err


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A two-camera study with its videos, params.yaml in the working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(CONFIG))
    cfg = validate(CONFIG)
    paths = StudyPaths.from_config(cfg)
    for cam in CAMERAS:
        _video(paths.calibration_videos("s01")[CAMERAS.index(cam)])
        _video(paths.trial_dir("t1") / f"{cam}.mp4")
    return paths


def _calibrated(lab, monkeypatch, capsys):
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    rc, err = _runlab(capsys, "calibrate")
    assert rc == 0, err
    return lab.calibration("s01")


# --- calibration -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field,value,named",
    [
        (
            "matrix",
            [[float("nan"), 0.0, 160.0], [0.0, 300.0, 120.0], [0.0, 0.0, 1.0]],
            "cam_1.matrix",
        ),
        ("translation", [0.0, float("inf"), 3.0], "cam_1.translation"),
    ],
)
def test_nan_or_infinite_calibration_is_refused_naming_camera_and_field(
    lab, monkeypatch, capsys, field, value, named
):
    """A NaN put into an accepted calibration.toml (its stored id unchanged) was used: 12,480
    points put back, numpy warnings, the NaN never named."""
    path = _calibrated(lab, monkeypatch, capsys)
    doc = toml.load(path)
    doc["cam_1"][field] = value
    path.write_text(toml.dumps(doc))
    rc, err = _runlab(capsys, "detect", "--trial", "t1")
    assert rc == 2
    assert f"NaN or infinite values in {named}" in err and "calibration.toml" in err
    assert not lab.keypoints2d("t1").exists()


def test_calibration_edited_after_it_was_calibrated_is_refused(lab, monkeypatch, capsys):
    """Its id is a hash of its numbers: an edit (a finite one too) is caught, not trusted."""
    path = _calibrated(lab, monkeypatch, capsys)
    doc = toml.load(path)
    doc["cam_1"]["translation"][0] += 0.05
    path.write_text(toml.dumps(doc))
    rc, err = _runlab(capsys, "detect", "--trial", "t1")
    assert rc == 2
    assert "was changed after it was calibrated" in err and "runlab calibrate --session s01" in err


def test_refused_recalibration_leaves_no_accepted_quality_behind(lab, monkeypatch, capsys):
    """A refused recording removed calibration.toml but left the old quality.json saying
    "accepted": copying the old calibration.toml back was then accepted."""
    path = _calibrated(lab, monkeypatch, capsys)
    backup = path.read_text()

    def refuse(*args):
        raise CalibrationError(
            "the calibration videos of cameras cam_0 and cam_1 are the same file"
        )

    monkeypatch.setattr(calibrate_stage, "calibrate", refuse)
    rc, err = _runlab(capsys, "calibrate")
    assert rc == 2 and "are the same file" in err
    assert not path.exists()
    assert not lab.calibration_quality("s01").exists()  # no stale "accepted"
    assert not lab.calibration_report("s01").exists()
    path.write_text(backup)  # copied back by hand
    rc, err = _runlab(capsys, "detect", "--trial", "t1")
    assert rc == 2 and "is not the calibration its quality report accepted" in err
    assert "quality.json is missing" in err


def test_board_of_other_rows_and_columns_is_named_before_mirror_advice(lab, capsys):
    """board.squares_x=8 for a printed 7x5 board: the board size is named (it was told
    the video looks mirrored or the board is seen from behind)."""
    from test_calibration_bad_input import _board_video

    for video in lab.calibration_videos("s01"):
        _board_video(video)
    rc, err = _runlab(
        capsys,
        "calibrate",
        "board.squares_x=8",
        "calibration.floor_frames=0",
        "calibration.min_detections_per_camera=1",
    )
    assert rc == 2
    assert "shows a board of 7x5 squares" in err and "board.squares_x=7 board.squares_y=5" in err
    assert "mirror" not in err
    assert not lab.calibration("s01").exists() and not lab.calibration_quality("s01").exists()


# --- leftovers -------------------------------------------------------------------------------
def _stage_writer(folder, then: str) -> subprocess.Popen:
    """A process inside `staged(folder)`, writing, that then kills itself or sleeps."""
    code = f"""
import os, signal, sys, time
from pathlib import Path
from pipeline.io.atomic import staged
with staged(Path({str(folder)!r})) as (out,):
    out.mkdir(); (out / "half.npz").write_bytes(b"half")
    print("writing", flush=True)
    {"os.kill(os.getpid(), signal.SIGKILL)" if then == "kill" else "time.sleep(60)"}
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])),
    )
    assert proc.stdout.readline().strip() == "writing"
    return proc


def test_staging_left_by_a_killed_stage_goes_with_the_next_stage_run(lab, capsys):
    """kill -9 under `dvc repro` left a `.points3d.staging-*` folder (mode 0700) in the trial's
    results; DVC restoring the stage from its run-cache runs no runlab code, so the next
    stage run on the trial (here analyze) removes it. A live writer's folder stays."""
    results = lab.trial_results("t1")
    killed = _stage_writer(lab.points3d_dir("t1"), "kill")
    assert killed.wait(30) == -signal.SIGKILL
    live = _stage_writer(lab.analysis_dir("t1"), "sleep")
    try:
        hidden = sorted(p.name for p in results.iterdir() if p.name.startswith("."))
        assert [h.split(".staging-")[0] for h in hidden] == [".analysis", ".points3d"]
        rc, err = _runlab(capsys, "analyze", "--trial", "t1")
        assert rc == 2 and "points3d" in err  # nothing to analyse: named
        left = sorted(p.name for p in results.iterdir() if p.name.startswith("."))
        assert [h.split(".staging-")[0] for h in left] == [".analysis"]  # the live one only
    finally:
        live.kill()
        live.wait(30)


# --- strides and gaps ------------------------------------------------------------------------
def _write_points3d(paths, points, fps, n_views=None):
    """A points3d file of `points` (F, 26, 3) as triangulate writes one, two cameras."""
    n_views = np.where(np.isfinite(points).all(axis=2), 2, 0) if n_views is None else n_views
    views = np.repeat((n_views > 0)[..., None], 2, axis=2)
    formats.write_points3d(
        paths.points3d("t1"),
        formats.Points3D(
            points,
            np.where(n_views > 0, 0.5, np.nan),
            n_views,
            views,
            fps=fps,
            camera_names=CAMERAS,
            swaps_repaired=np.zeros((2, len(points)), bool),
        ),
    )


def _runner(duration_s=4.0, fps=120.0, seed=0, **knobs):
    """The synthetic runner's 3D with 2 mm of noise (a triangulated runner's scatter)."""
    from pipeline.config import RunnerConfig
    from pipeline.synth.kinematics import simulate_run

    points = simulate_run(RunnerConfig(duration_s=duration_s, seed=seed, **knobs), fps).points
    return points + np.random.default_rng(seed).normal(0, 0.002, points.shape)


def _analyzed(lab, capsys, *overrides) -> tuple[dict, dict]:
    rc, err = _runlab(capsys, "analyze", "--trial", "t1", *overrides)
    assert rc == 0, err
    return (formats.read_json(lab.trial_metrics("t1")), formats.read_json(lab.analysis("t1")))


def test_runner_out_of_view_is_never_bridged_by_a_stride(lab, monkeypatch, capsys):
    """Frames 200-319 empty in every camera (1 s out of view at 120 fps): a right "stride" of
    2,119 ms spanned the gap and cadence read 102 steps/min for a true 170."""
    _calibrated(lab, monkeypatch, capsys)
    points = _runner(duration_s=6.0)
    points[200:320] = np.nan
    _write_points3d(lab, points, 120.0)
    metrics, analysis = _analyzed(lab, capsys, "study.trials.t1.belt_speed_mps=3.0")
    assert abs(metrics["cadence_spm"] - 170.0) < 3.0, metrics["cadence_spm"]
    times = [s["stride_time_ms"] for s in analysis["strides"] if s["stride_time_ms"] is not None]
    assert times and max(times) < 1.2 * 120_000 / 170  # none spans the gap
    for side in ("left", "right"):
        mean = analysis["summary"]["sides"][side]["metrics"]["stride_time_ms"]["mean"]
        assert abs(mean - 120_000 / 170) < 15, (side, mean)
    observation = analysis["summary"]["observation"]
    assert observation["gaps_s"] == [[200 / 120, 320 / 120]]
    assert observation["strides_dropped_in_gaps"] + observation["strides_split_at_gaps"] >= 1
    assert 0.6 < observation["analysed_share"] < 0.83
    assert "unobserved_gap" in metrics["verdict_reasons"]
    reason = next(r for r in analysis["verdict"]["reasons"] if r["code"] == "unobserved_gap")
    assert "1.67-2.67 s" in reason["message"] and "% of the trial" in reason["message"]


def test_cadence_is_not_reported_from_one_stride(lab, monkeypatch, capsys):
    """A short recording with one stride per side showed "Cadence: 187 steps/min" beside
    running norms while every other measure said "insufficient strides"."""
    _calibrated(lab, monkeypatch, capsys)
    _write_points3d(lab, _runner(duration_s=1.6), 120.0)
    metrics, analysis = _analyzed(lab, capsys, "study.trials.t1.belt_speed_mps=3.0")
    summary = analysis["summary"]
    timed = sum(s["stride_time_ms"] is not None for s in analysis["strides"])
    assert 0 < timed < 3
    assert metrics["cadence_spm"] is None
    assert summary["cadence_note"] == f"insufficient strides (n={timed}, need 3)"
    rc, err = _runlab(capsys, "report", "--trial", "t1", "report.overlay_videos=false")
    assert rc == 0, err
    page = (lab.trial_report_dir("t1") / "index.html").read_text()
    assert f"No cadence: insufficient strides (n={timed}, need 3)" in page
    assert "The analysed strides cover" in page


def test_frame_rate_too_low_for_events_is_named(lab, monkeypatch, capsys):
    """A 30 fps recording measured 100 % of points in 3D and found no stride; the verdict blamed
    the trial length or the running, never the frame rate."""
    _calibrated(lab, monkeypatch, capsys)
    _write_points3d(lab, _runner(duration_s=4.0, fps=30.0), 30.0)
    metrics, analysis = _analyzed(lab, capsys, "study.trials.t1.belt_speed_mps=3.0", "rig.fps=30")
    assert "frame_rate_too_low" in metrics["verdict_reasons"]
    reason = next(r for r in analysis["verdict"]["reasons"] if r["code"] == "frame_rate_too_low")
    assert "recorded at 30 fps, below the 60 fps" in reason["message"]
    assert reason["severity"] == ("failed" if not analysis["strides"] else "degraded")


# --- wrong keypoint model --------------------------------------------------------------------
def test_keypoints_in_another_models_order_fail_by_name(lab, monkeypatch, capsys):
    """The synthetic runner's 3D with its keypoints in another order (BODY_25's slots read as
    Halpe-26: a model that does not fit the files): failed, naming the model to check."""
    from pipeline.core.skeleton import INDEX

    _calibrated(lab, monkeypatch, capsys)
    points = _runner()
    wrong = points.copy()
    # the order a wrong mapping gives: eyes/ears where the hips and knees are read, and so on
    for a, b in (
        ("left_hip", "left_ear"),
        ("right_knee", "right_shoulder"),
        ("left_ankle", "nose"),
    ):
        wrong[:, INDEX[a]], wrong[:, INDEX[b]] = points[:, INDEX[b]], points[:, INDEX[a]]
    _write_points3d(lab, wrong, 120.0)
    metrics, analysis = _analyzed(lab, capsys, "study.trials.t1.belt_speed_mps=3.0")
    assert (
        metrics["verdict"] == "failed" and "keypoint_model_mismatch" in metrics["verdict_reasons"]
    )
    reason = next(
        r for r in analysis["verdict"]["reasons"] if r["code"] == "keypoint_model_mismatch"
    )
    assert "detector.openpose_json.model" in reason["message"] and "not below" in reason["message"]

    _write_points3d(lab, points, 120.0)  # the right order passes
    metrics, _ = _analyzed(lab, capsys, "study.trials.t1.belt_speed_mps=3.0")
    assert "keypoint_model_mismatch" not in metrics["verdict_reasons"]


@pytest.mark.slow
@pytest.mark.skipif(
    not (Path(__file__).parents[1] / ".." / "shared" / "data" / "pose2sim-demo").exists(),
    reason="shared data not present",
)
def test_body25_chosen_for_body25b_files_fails_naming_the_model(tmp_path, repo_root):
    """The shared Pose2Sim recording's OpenPose BODY_25B files read as BODY_25: exit 0 and
    findings off by 126 deg of knee flexion, degraded only for post_processing_reverted.
    With the right model the same recording passes the anatomical checks."""
    import shutil

    import test_real_pose2sim as real

    found = {}
    for model in ("BODY_25", "BODY_25B"):
        root = tmp_path / model
        trial = root / "data" / "lab" / "balancing"
        (trial / "openpose").mkdir(parents=True)
        for cam in real.CAMERAS:
            (trial / f"{cam}.mp4").symlink_to(real.DEMO / "balancing" / "videos" / f"{cam}.mp4")
            (trial / "openpose" / f"{cam}_json").symlink_to(
                real.DEMO / "balancing" / "openpose" / f"{cam}_json"
            )
        real._runlab(
            root,
            "import-calibration",
            str(real.DEMO / "calibration" / "Calib_qualisys.toml"),
            "--format",
            "pose2sim",
            "--names",
            ",".join(real.CAMERAS),
            "--out",
            str(root / "results" / "sessions" / "lab" / "calibration" / "calibration.toml"),
        )
        shutil.copytree(repo_root / "conf", root / "conf")
        (root / "conf" / "study" / "pose2sim_demo.yaml").write_text(
            real.STUDY_YAML.format(data=root / "data", results=root / "results")
        )
        real._runlab(
            root,
            "configure",
            "--config-dir",
            str(root / "conf"),
            "--out",
            "params.yaml",
            "study=pose2sim_demo",
            f"rig.cameras=[{','.join(real.CAMERAS)}]",
            "detector=openpose_json",
            "rig.fps=60",
            f"detector.openpose_json.model={model}",
        )
        for stage in ("detect", "triangulate", "analyze"):
            real._runlab(root, stage)
        found[model] = formats.read_json(
            root / "results" / "trials" / "balancing" / "analysis" / "balancing.json"
        )
    reasons = {
        m: {r["code"]: r["message"] for r in a["verdict"]["reasons"]} for m, a in found.items()
    }
    assert "keypoint_model_mismatch" in reasons["BODY_25"]
    assert "detector.openpose_json.model=BODY_25)" in reasons["BODY_25"]["keypoint_model_mismatch"]
    assert "keypoint_model_mismatch" not in reasons["BODY_25B"]


@pytest.mark.slow
@pytest.mark.skipif(
    not (Path(__file__).parents[1] / ".." / "shared" / "data" / "pose2sim-demo").exists(),
    reason="shared data not present",
)
def test_standing_recording_through_the_defaults_reports_no_cadence(tmp_path, repo_root):
    """The shared standing-balance recording through the defaults (BlazePose) showed "Cadence:
    187 steps/min" from a single stride. Now no cadence, the reason given, and BlazePose's
    3D passes the anatomical checks."""
    import test_real_pose2sim as real

    root = real._make_study(tmp_path, repo_root, "blazepose")
    for stage in ("triangulate", "analyze"):
        real._runlab(root, stage)
    analysis = formats.read_json(
        root / "results" / "trials" / "balancing" / "analysis" / "balancing.json"
    )
    timed = sum(s["stride_time_ms"] is not None for s in analysis["strides"])
    assert timed < 3
    assert analysis["summary"]["cadence_spm"] is None
    assert analysis["summary"]["cadence_note"] == f"insufficient strides (n={timed}, need 3)"
    assert "keypoint_model_mismatch" not in {r["code"] for r in analysis["verdict"]["reasons"]}


# --- scale against the world -----------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 0.8])
def test_wrong_board_size_is_caught_by_the_belt_and_the_subjects_height(
    lab, monkeypatch, capsys, scale
):
    """board.square_length_m=0.12 for a board printed at 0.15 scales the whole 3D by 0.8 and
    was accepted with verdict ok (step width 48 mm for 60). The runner's 3D at 0.8 of its size:
    the stance foot's speed (belt 3.0 m/s) and thigh + shank (subject 1.75 m) both disagree."""
    _calibrated(lab, monkeypatch, capsys)
    _write_points3d(lab, _runner(duration_s=4.0) * scale, 120.0)
    metrics, analysis = _analyzed(
        lab, capsys, "study.trials.t1.belt_speed_mps=3.0", "study.sessions.s01.height_m=1.75"
    )
    checks = {c["name"]: c for c in analysis["scale_checks"]}
    assert set(checks) == {"belt", "height"}
    for check in checks.values():
        assert abs(check["ratio"] - scale) < 0.03, check
    if scale == 1.0:
        assert "scale_mismatch" not in metrics["verdict_reasons"]
    else:
        assert "scale_mismatch" in metrics["verdict_reasons"] and metrics["verdict"] != "ok"
        reason = next(r for r in analysis["verdict"]["reasons"] if r["code"] == "scale_mismatch")
        assert "board.square_length_m" in reason["message"] and "x0.79" in reason["message"]


def test_overground_stride_length_is_checked_against_a_recorded_speed(lab, monkeypatch, capsys):
    """Overground, stride length comes from the 3D: against the speed timing gates recorded."""
    _calibrated(lab, monkeypatch, capsys)
    _write_points3d(lab, _runner(duration_s=4.0, treadmill=False) * 0.8, 120.0)
    metrics, analysis = _analyzed(
        lab, capsys, "study.trials.t1.speed_mps=3.0", "analysis.forward_axis=null"
    )
    checks = {c["name"]: c for c in analysis["scale_checks"]}
    assert set(checks) == {"speed"} and abs(checks["speed"]["ratio"] - 0.8) < 0.03, checks
    assert "scale_mismatch" in metrics["verdict_reasons"]


# --- a local Ray off the network -------------------------------------------------------------
def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of the listening TCP sockets process `pid` holds, read in its own
    network namespace (/proc/<pid>/net/tcp{,6}: state 0A = LISTEN)."""
    owned = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            owned.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in owned:
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = bytes.fromhex(hex_addr)
            if table == "tcp":
                addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                addr = socket.inet_ntop(
                    socket.AF_INET6, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                )
            found.append((addr, int(hex_port, 16)))
    return found


@pytest.mark.slow
def test_local_ray_listens_on_loopback_only(tmp_path):
    """`runlab cluster repro` without --address started Ray whose GCS, raylet and workers
    bound *:port for the length of the run. Now every Ray process runs in a network namespace
    whose only interface is lo: what they listen on is reachable from this machine's loopback
    of that namespace only, and nothing of theirs listens in this machine's namespace."""
    import psutil

    lab = tmp_path / "lab"
    lab.mkdir()
    shutil.copytree(Path(__file__).resolve().parents[1] / "conf", lab / "conf")
    (lab / "dvc.yaml").write_text(
        "stages:\n  board:\n    cmd: runlab board-image --out board.png\n    outs: [board.png]\n"
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        RAY_USAGE_STATS_ENABLED="0",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@runlab.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@runlab.invalid",
    )
    bindir = tmp_path / "bin"  # a slow `runlab` first on PATH: time to look
    bindir.mkdir()
    (bindir / "runlab").write_text(
        f'#!/bin/sh\nsleep 8\nexec {Path(sys.executable).parent / "runlab"} "$@"\n'
    )
    (bindir / "runlab").chmod(0o755)
    env["PATH"] = f"{bindir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for cmd in (["git", "init", "-q"], [str(Path(sys.executable).parent / "dvc"), "init", "-q"]):
        subprocess.run(cmd, cwd=lab, env=env, check=True)
    driver = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "cluster", "repro", "--num-cpus", "1"],
        cwd=lab,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: dict[str, list] = {}
    try:
        deadline = time.time() + 240
        while driver.poll() is None and time.time() < deadline and "raylet" not in seen:
            for proc in psutil.Process(driver.pid).children(recursive=True):
                try:
                    if proc.name() in ("gcs_server", "raylet") and _listening(proc.pid):
                        seen[proc.name()] = (
                            proc.pid,
                            _listening(proc.pid),
                            os.readlink(f"/proc/{proc.pid}/ns/net"),
                            Path(f"/proc/{proc.pid}/net/dev").read_text(),
                        )
                except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
                    continue
            time.sleep(0.5)
        out, _ = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    if "cannot start the local Ray instance in a private network namespace" in out:
        pytest.skip("no network namespaces here: " + out.strip().splitlines()[-1][:200])
    if not seen:
        pytest.skip("Ray did not start here:\n" + out[-2000:])
    assert driver.returncode == 0 and "ran board" in out, out[-3000:]
    ours = os.readlink("/proc/self/ns/net")
    for name, (pid, listening, netns, devices) in seen.items():
        assert netns != ours, f"{name} runs in this machine's network namespace"
        interfaces = [
            line.split(":")[0].strip() for line in devices.splitlines()[2:] if ":" in line
        ]
        assert interfaces == ["lo"], (name, interfaces)
        for addr, port in listening:  # wildcard or loopback, in a namespace that has only lo
            assert addr in ("0.0.0.0", "::", "127.0.0.1", "::ffff:127.0.0.1", "::1"), (
                name,
                addr,
                port,
            )
    assert (lab / "board.png").exists()


def test_the_fault_matrix_in_docs_names_tests_that_exist(repo_root):
    """docs/verdicts.md's fault matrix lists each case with its test: every test named there
    exists, and every test of this file is in it."""
    import ast
    import re

    text = (repo_root / "docs" / "verdicts.md").read_text().split("## Fault matrix", 1)[1]
    named = set(re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", text))
    assert named
    for path, name in named:
        tree = ast.parse((repo_root / path).read_text())
        assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, (path, name)
    here = {
        n.name
        for n in ast.parse(Path(__file__).read_text()).body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }
    listed = {name for path, name in named if path == "tests/test_faults.py"}
    assert here - listed == {"test_the_fault_matrix_in_docs_names_tests_that_exist"}
