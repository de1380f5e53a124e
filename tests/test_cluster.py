"""Issue #19: `runlab cluster repro` runs the stale stages as Ray tasks and DVC stays the judge.

A real local Ray instance (2 CPUs; no GPU: detect's GPU request applies only where a cluster
has GPUs) on a synthetic study of one session and three trials (640x360 cameras, 1.5 s
trials, no overlay videos, detector=synthetic), whose synth and calibrate stages run once
serially through `dvc repro`. Faults are played by a clearly named test double of the
`runlab` command (tests/doubles/runlab_faulty.py) put first on the workers' PATH.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import configure

STUDY = """\
name: cl
data_dir: studies/cl
results_dir: results/cl
synthesize: [s01]
sessions:
  s01: {subject: S01, date: "2026-11-01"}
trials:
  t01: {session: s01, condition: treadmill 3.0 m/s, runner: {speed_mps: 3.0, duration_s: 1.5, seed: 1}}
  t02: {session: s01, condition: treadmill 3.2 m/s, runner: {speed_mps: 3.2, duration_s: 1.5, seed: 2}}
  t03: {session: s01, condition: treadmill 3.4 m/s, runner: {speed_mps: 3.4, duration_s: 1.5, seed: 3}}
"""
OVERRIDES = [
    "study=cl",
    "report.overlay_videos=false",
    "rig.width=640",
    "rig.height=360",
    "rig.focal_px=500",
    "calibration.floor_frames=0",
]
TRIAL_KINDS = ("detect", "sync", "triangulate", "analyze", "report_trial")
AFTER_CALIBRATION = {f"{k}@{t}" for k in TRIAL_KINDS for t in ("t01", "t02", "t03")} | {"report"}
GIT_ID = {
    "GIT_AUTHOR_NAME": "runlab tests",
    "GIT_AUTHOR_EMAIL": "tests@runlab.invalid",
    "GIT_COMMITTER_NAME": "runlab tests",
    "GIT_COMMITTER_EMAIL": "tests@runlab.invalid",
}
BIN = Path(sys.executable).parent


def _env(**extra) -> dict:
    env = dict(
        os.environ,
        **GIT_ID,
        PYTHONUNBUFFERED="1",
        OMP_NUM_THREADS="1",
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


def _run(
    cwd: Path, *argv: str, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(argv), cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=timeout
    )


def _dvc(lab: Path, *args: str) -> subprocess.CompletedProcess:
    return _run(lab, str(BIN / "dvc"), *args)


def _outcomes(output: str) -> dict[str, str]:
    """stage -> status, from the driver's lines ('      ran detect@t01', '  skipped sync@t02: ...')."""
    found = {}
    for m in re.finditer(
        r"^\s*(unchanged|restored|ran|failed|skipped) (\S+?)(?::|$)", output, re.M
    ):
        found[m.group(2)] = m.group(1)
    return found


def _status(lab: Path) -> set[str]:
    out = _dvc(lab, "status", "--json")
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout or "{}"))


def _lock_outs(lab: Path, stages: set[str]) -> dict:
    import yaml

    lock = yaml.safe_load((lab / "dvc.lock").read_text())["stages"]
    return {s: [(o["path"], o.get("md5")) for o in lock[s].get("outs", [])] for s in stages}


@pytest.fixture(scope="module")
def base(tmp_path_factory, repo_root, dvc_tools) -> Path:
    """The study after `dvc repro calibrate` (synth and calibrate, serially), committed."""
    dvc_lab, _ = dvc_tools
    lab = tmp_path_factory.mktemp("cluster") / "lab"
    lab.mkdir()
    dvc_lab(repo_root, lab)
    (lab / "conf" / "study" / "cl.yaml").write_text(STUDY)
    configure(str(lab / "conf"), str(lab / "params.yaml"), OVERRIDES)
    first = _dvc(lab, "repro", "calibrate")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert _run(lab, "git", "add", "-A").returncode == 0
    assert _run(lab, "git", "commit", "-qm", "calibrated").returncode == 0
    return lab


def _copy(base: Path, tmp_path: Path) -> Path:
    lab = tmp_path / "lab"
    shutil.copytree(base, lab, symlinks=True)
    return lab


def _driver(lab: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "cluster", "repro", *args],
        cwd=lab,
        env=env or _env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- what the driver takes from DVC -------------------------------------------------------------
def test_dvc_internals_the_driver_uses_are_pinned():
    """The driver calls DVC's own planning, judging and recording functions (pipeline/cluster).
    They are internals: this fails, naming the function, when a DVC upgrade changes them;
    re-read dvc/repo/reproduce.py, dvc/stage/__init__.py and dvc/stage/run.py then."""
    import dvc
    from dvc.repo import lock_repo
    from dvc.repo.reproduce import collect_stages, get_active_graph, plan_repro
    from dvc.stage import Stage
    from dvc.stage.cache import RunCacheNotFoundError, StageCache
    from dvc.stage.run import run_stage

    assert dvc.__version__ == "3.67.1", "DVC changed: check pipeline/cluster against its repro"
    params = {
        f: list(inspect.signature(f).parameters)
        for f in (
            collect_stages,
            plan_repro,
            get_active_graph,
            Stage.changed,
            Stage.save,
            Stage.commit,
            Stage.remove_outs,
            StageCache.restore,
        )
    }
    assert params[collect_stages][:2] == ["repo", "targets"]
    assert params[plan_repro][:2] == ["graph", "stages"]
    assert params[Stage.changed][1:3] == ["allow_missing", "upstream"]
    assert "run_cache" in params[Stage.save]
    assert params[Stage.remove_outs][1:] == ["ignore_remove", "force"]
    assert params[StageCache.restore][1] == "stage"
    assert issubclass(RunCacheNotFoundError, Exception) and callable(lock_repo)
    # What Stage.run does around the command, which record() repeats: outputs removed, the
    # run-cache tried (deps saved on a miss), then save (+ run-cache), commit; then dump.
    run_src, stage_src = inspect.getsource(Stage.run), inspect.getsource(run_stage)
    for needle in (
        "self.remove_outs(ignore_remove=False, force=False)",
        "self.save(",
        "run_cache=not no_commit and not no_cache_outs",
        "self.commit(",
    ):
        assert needle in run_src, f"Stage.run no longer has {needle!r}"
    for needle in ("stage.repo.stage_cache.restore(stage", "stage.save_deps()", "DVC_STAGE"):
        assert needle in stage_src + inspect.getsource(
            __import__("dvc.stage.run", fromlist=["x"])
        ), needle
    from dvc.repo import reproduce

    assert "stage.dump(update_pipeline=False)" in inspect.getsource(reproduce._reproduce_stage)


def test_only_plain_runlab_commands_are_dispatched(tmp_path, monkeypatch):
    """A stage whose cmd is not `runlab ...` (or is a shell line) is refused before anything
    runs, naming the stage; Ray is never started."""
    from pipeline.cluster.dispatch import command
    from pipeline.cluster.graph import ClusterError, open_repo, plan

    assert _run(tmp_path, str(BIN / "dvc"), "init", "--no-scm", "-q").returncode == 0
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  good:\n    cmd: runlab report --study\n"
        "  evil:\n    cmd: runlab report; touch PWNED\n  other:\n    cmd: sh -c 'touch PWNED'\n"
    )
    monkeypatch.chdir(tmp_path)
    repo = open_repo()
    try:
        stages = {s.addressing: s for s in plan(repo).stages}
        assert command(stages["good"]).argv == ("runlab", "report", "--study")
        assert dict(command(stages["good"]).env)["DVC_STAGE"] == "good"
        with pytest.raises(
            ClusterError, match="other in dvc.yaml: cmd .* does not start with `runlab`"
        ):
            command(stages["other"])
        # no shell: `;` is only a character of runlab's argument (which runlab then refuses)
        assert command(stages["evil"]).argv == ("runlab", "report;", "touch", "PWNED")
    finally:
        repo.close()
    cli = _run(
        tmp_path,
        sys.executable,
        "-m",
        "pipeline.cli",
        "cluster",
        "repro",
        "other",
        env=_env(PYTHONPATH=str(Path(__file__).resolve().parents[1])),
    )
    assert cli.returncode == 2 and "does not start with `runlab`" in cli.stderr, (
        cli.stdout + cli.stderr
    )
    assert not list(tmp_path.rglob("PWNED"))


# --- on a real Ray instance ------------------------------------------------------------------
@pytest.mark.slow
def test_cli_on_ray_start_head_matches_dvc_and_a_threshold_reruns_only_analysis(base, tmp_path):
    """Through the CLI against `ray start --head` on 127.0.0.1: every stage after calibrate
    runs once and is recorded, so `dvc status` is clean and `dvc repro` runs nothing; the
    outputs are those a serial, forced `dvc repro` writes again (same hashes in dvc.lock).
    Then a changed analysis threshold dispatches only analyze, report_trial and report."""
    lab = _copy(base, tmp_path)
    port = _free_port()
    head = subprocess.Popen(
        [
            str(BIN / "ray"),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=2",
            "--include-dashboard=false",
            f"--object-store-memory={80 * 1024 * 1024}",
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while (
            _run(lab, str(BIN / "ray"), "status", f"--address={address}", timeout=60).returncode
            != 0
        ):
            assert head.poll() is None and time.time() < deadline, (
                "ray start --head did not come up"
            )
            time.sleep(2)
        first = _run(
            lab, sys.executable, "-m", "pipeline.cli", "cluster", "repro", "--address", address
        )
        out = first.stdout + first.stderr
        assert first.returncode == 0, out[-4000:]
        outcomes = _outcomes(out)
        assert {s for s, v in outcomes.items() if v == "ran"} == AFTER_CALIBRATION, out[-4000:]
        assert {s for s, v in outcomes.items() if v == "unchanged"} == {
            "synth@s01",
            "calibrate@s01",
        }
        assert _status(lab) == set()
        again = _dvc(lab, "repro")
        assert again.returncode == 0 and "Running stage" not in again.stdout, again.stdout

        # parity: a serial, forced `dvc repro` of one trial's chain writes the same outputs
        chain = {f"{k}@t01" for k in TRIAL_KINDS}
        before = _lock_outs(lab, chain)
        serial = _dvc(
            lab,
            "repro",
            "-f",
            "-s",
            *sorted(chain, key=lambda s: TRIAL_KINDS.index(s.split("@")[0])),
        )
        assert serial.returncode == 0, serial.stdout[-3000:] + serial.stderr[-3000:]
        assert _lock_outs(lab, chain) == before
        assert _status(lab) == set()

        params = lab / "params.yaml"
        params.write_text(
            params.read_text().replace("max_pelvic_drop_deg: 7.0", "max_pelvic_drop_deg: 6.0")
        )
        second = _run(
            lab, sys.executable, "-m", "pipeline.cli", "cluster", "repro", "--address", address
        )
        assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
        ran = {s for s, v in _outcomes(second.stdout).items() if v == "ran"}
        assert ran == {
            f"{k}@{t}" for k in ("analyze", "report_trial") for t in ("t01", "t02", "t03")
        } | {"report"}
        assert _status(lab) == set()
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # --block: ray start stops the processes it started
        try:
            head.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


@pytest.mark.slow
def test_faults_are_retried_or_skipped_and_a_killed_driver_finishes_on_rerun(base, tmp_path):
    """With the faulty `runlab` test double on the workers' PATH: the driver is SIGKILLed
    after its first recorded stage; the rerun reruns only what was not recorded, finishes the
    other trials while detect@t02 (a corrupt video) fails and its downstream stages are
    skipped, a worker killed under sync@t03 is retried by Ray, and analyze@t01, whose input
    changed while it ran, is not recorded. Nothing failed looks finished to `dvc status`."""
    lab = _copy(base, tmp_path)
    bindir, markers = tmp_path / "bin", tmp_path / "markers"
    bindir.mkdir(), markers.mkdir()
    double = Path(__file__).parent / "doubles" / "runlab_faulty.py"
    (bindir / "runlab").write_text(f"#!{sys.executable}\n" + double.read_text())
    (bindir / "runlab").chmod(0o755)
    env = _env(PATH=f"{bindir}{os.pathsep}{_env()['PATH']}", RUNLAB_TEST_FAIL_STAGE="detect@t02")

    killed = _driver(lab, "--num-cpus", "2", env=env)
    recorded_before_kill, first_output = set(), []
    for line in killed.stdout:
        first_output.append(line)
        found = _outcomes(line)
        if "ran" in found.values():
            recorded_before_kill = {s for s, v in found.items() if v == "ran"}
            os.killpg(killed.pid, signal.SIGKILL)
            break
    killed.wait(60)
    assert recorded_before_kill, (
        "the driver recorded nothing before it was killed:\n" + "".join(first_output)[-3000:]
    )

    env.update(
        RUNLAB_TEST_KILL_WORKER_STAGE="sync@t03",
        RUNLAB_TEST_MARKERS=str(markers),
        RUNLAB_TEST_TOUCH_STAGE="analyze@t01",
        RUNLAB_TEST_TOUCH_FILE=str(lab / "results" / "cl" / "trials" / "t01" / "sync.json"),
    )
    rerun = _driver(lab, "--num-cpus", "2", env=env)
    out, _ = rerun.communicate(timeout=600)
    outcomes = _outcomes(out)
    assert rerun.returncode == 1, out[-4000:]
    assert all(outcomes[s] == "unchanged" for s in recorded_before_kill), out[-4000:]
    assert outcomes["detect@t02"] == "failed" and "the video is corrupt" in out
    t02_downstream = {f"{k}@t02" for k in TRIAL_KINDS[1:]} | {"report"}
    assert {s for s, v in outcomes.items() if v == "skipped"} == t02_downstream | {
        "report_trial@t01"
    }
    assert (markers / "killed-sync@t03").exists()  # the worker did die once
    assert outcomes["sync@t03"] == "ran" and outcomes["report_trial@t03"] == "ran"
    assert outcomes["analyze@t01"] == "failed" and "changed while analyze@t01 ran" in out
    stale = _status(lab)
    assert {"detect@t02", "analyze@t01", "report_trial@t01", "report"} <= stale
    assert not stale & {f"{k}@t03" for k in TRIAL_KINDS}


def test_resources_detect_takes_a_gpu_where_there_is_one_calibrate_a_cpu_per_camera():
    from types import SimpleNamespace

    from pipeline.cluster.dispatch import resources

    gpu_cluster = {"CPU": 32, "GPU": 4, "_max_node_cpus": 16}
    cpu_cluster = {"CPU": 2, "_max_node_cpus": 2}
    detect, calibrate, analyze = (
        SimpleNamespace(name=n) for n in ("detect@t01", "calibrate@s01", "analyze@t01")
    )
    assert resources(detect, gpu_cluster, cameras=4) == {"num_cpus": 1, "num_gpus": 1}
    assert resources(detect, cpu_cluster, cameras=4) == {"num_cpus": 1}
    assert resources(calibrate, gpu_cluster, cameras=4) == {"num_cpus": 4}
    assert resources(calibrate, cpu_cluster, cameras=4) == {
        "num_cpus": 2
    }  # never more than a node has
    assert resources(analyze, gpu_cluster, cameras=4) == {"num_cpus": 1}
