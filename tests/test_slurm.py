"""scripts/slurm_cluster_repro.sbatch on a one-node Slurm (issue #28, "Also verify").

The test starts MUNGE and a one-node Slurm (slurmctld + slurmd, Debian packages `munge` and
`slurm-wlm`) as root with a configuration of its own (its own ports and state folders), submits
the recipe unchanged except for the allocation's size (one node, its CPUs, no GPU: command-line
options over the script's #SBATCH lines, as a site adjusts them), and checks: the quick study's
stages ran and were recorded, `dvc status` is clean afterwards, and no Ray process is left.
Skipped, with the reason, where these cannot start (not root, packages absent, no daemon).
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

import pytest
from test_cluster import OVERRIDES  # the same small synthetic lab

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
"""
STAGES = {
    "synth@s01",
    "calibrate@s01",
    "detect@t01",
    "sync@t01",
    "triangulate@t01",
    "analyze@t01",
    "report_trial@t01",
    "report",
}
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,comm=,args="], capture_output=True, text=True).stdout
    return [
        line
        for line in out.splitlines()
        if any(name in line.split(None, 2)[1] for name in ("raylet", "gcs_server", "ray::"))
    ]


@pytest.fixture
def slurm(tmp_path):
    """A one-node Slurm of this test's own (SLURM_CONF), torn down afterwards."""
    if os.geteuid() != 0:
        pytest.skip("starting munged/slurmctld/slurmd needs root")
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch") if not shutil.which(b)]
    if missing:
        pytest.skip(
            f"Slurm/MUNGE not installed ({', '.join(missing)}): apt-get install slurm-wlm munge"
        )
    folder = tmp_path / "slurm"
    (folder / "state").mkdir(parents=True)
    (folder / "spool").mkdir()
    host = socket.gethostname()
    conf = folder / "slurm.conf"
    conf.write_text(f"""ClusterName=runlabtest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=runlab Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(os.environ, SLURM_CONF=str(conf))
    started = []
    if subprocess.run(["munge", "-n"], capture_output=True).returncode != 0:  # no munged yet
        Path("/run/munge").mkdir(exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        run = subprocess.run(
            ["runuser", "-u", "munge", "--", "munged"], capture_output=True, text=True
        )
        if run.returncode != 0:
            pytest.skip(f"munged does not start here: {run.stderr.strip()[:300]}")
        started.append(Path("/run/munge/munged.pid"))
    for daemon in ("slurmctld", "slurmd"):
        run = subprocess.run([daemon, "-f", str(conf)], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            pytest.skip(f"{daemon} does not start here: {run.stderr.strip()[:300]}")
        started.append(folder / f"{daemon}.pid")
    try:
        deadline = time.time() + 60
        while (
            "idle"
            not in subprocess.run(
                ["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True
            ).stdout
        ):
            if time.time() > deadline:
                pytest.skip(
                    "the one-node Slurm did not come up: "
                    + (folder / "slurmctld.log").read_text()[-500:]
                )
            time.sleep(1)
        yield env
    finally:
        for pid_file in reversed(started):  # only the daemons this test started
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError):
                pass


@pytest.mark.slow
def test_sbatch_recipe_on_one_node_runs_records_and_leaves_no_ray(
    slurm, tmp_path, repo_root, dvc_tools
):
    dvc_lab, _ = dvc_tools
    lab = tmp_path / "lab"
    lab.mkdir()
    dvc_lab(repo_root, lab)
    shutil.copytree(repo_root / "scripts", lab / "scripts")
    (lab / "conf" / "study" / "cl.yaml").write_text(STUDY)
    configure(str(lab / "conf"), str(lab / "params.yaml"), OVERRIDES)
    env = dict(
        slurm,
        GIT_AUTHOR_NAME="runlab tests",
        GIT_AUTHOR_EMAIL="tests@runlab.invalid",
        GIT_COMMITTER_NAME="runlab tests",
        GIT_COMMITTER_EMAIL="tests@runlab.invalid",
        RUNLAB_VENV=str(BIN.parent),
        OMP_NUM_THREADS="1",
        RAY_USAGE_STATS_ENABLED="0",
        RAY_PORT=str(_free_port()),
        PYTHONPATH=str(repo_root),
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    for cmd in (["git", "add", "-A"], ["git", "commit", "-qm", "lab"]):
        subprocess.run(cmd, cwd=lab, env=env, check=True)
    assert not _ray_processes(), "a Ray instance runs already: " + "; ".join(_ray_processes())
    job = subprocess.run(
        [
            "sbatch",
            "--wait",
            "--nodes=1",
            f"--cpus-per-task={os.cpu_count()}",
            "--gpus-per-node=0",
            "--time=30",
            "--output=job.log",
            "scripts/slurm_cluster_repro.sbatch",
        ],
        cwd=lab,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    log = (lab / "job.log").read_text() if (lab / "job.log").exists() else ""
    assert job.returncode == 0, job.stderr + log[-4000:]
    ran = {line.split()[1] for line in log.splitlines() if line.strip().startswith("ran ")}
    assert ran == STAGES, log[-4000:]
    assert "ran 8, restored 0, unchanged 0, failed 0, skipped 0" in log
    status = subprocess.run(
        [str(BIN / "dvc"), "status", "--json"], cwd=lab, env=env, capture_output=True, text=True
    )
    assert status.returncode == 0 and status.stdout.strip() in ("{}", ""), status.stdout
    deadline = time.time() + 60  # Slurm ends the job's steps: Ray goes with them
    while _ray_processes() and time.time() < deadline:
        time.sleep(2)
    assert not _ray_processes(), _ray_processes()
