"""Ray side: which command a stage runs, with what resources, as a Ray task.

A stage's `cmd` is split with shlex and must start with `runlab`: nothing from dvc.yaml
reaches a shell (docs/security.md). The task runs it with shell=False in the stage's wdir,
with the variables DVC sets (DVC_ROOT, DVC_STAGE: `runlab <stage> --dvc-stage` reads its
session or trial from DVC_STAGE) on top of the worker's own environment; the driver's
RUNLAB_* variables travel with it.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.cluster.graph import ClusterError

if TYPE_CHECKING:
    from dvc.stage import Stage

ALLOWED_PROGRAM = "runlab"
OUTPUT_TAIL_CHARS = 4000
OBJECT_STORE_BYTES = (
    200 * 1024 * 1024
)  # tasks pass only small dicts; Ray's default takes 30% of RAM
_TASK = None  # run_command as a Ray remote function, made once


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    cwd: str
    env: tuple[tuple[str, str], ...]  # added to the worker's environment


def command(stage: Stage) -> Command:
    """The stage's own command, checked. A ClusterError names the stage and the dvc.yaml."""
    cmds = stage.cmd if isinstance(stage.cmd, list) else [stage.cmd]
    if len(cmds) != 1:
        raise ClusterError(
            f"{stage.addressing} in {stage.relpath}: cmd has {len(cmds)} commands; "
            "runlab cluster runs one `runlab ...` command per stage"
        )
    try:
        argv = shlex.split(cmds[0])
    except ValueError as exc:
        raise ClusterError(
            f"{stage.addressing} in {stage.relpath}: cmd {cmds[0]!r}: {exc}"
        ) from exc
    if not argv or argv[0] != ALLOWED_PROGRAM:
        raise ClusterError(
            f"{stage.addressing} in {stage.relpath}: cmd {cmds[0]!r} does not start "
            f"with `{ALLOWED_PROGRAM}`; runlab cluster runs only runlab's own commands "
            "(run other stages with `dvc repro`)"
        )
    env = {k: v for k, v in os.environ.items() if k.startswith("RUNLAB_")}
    env.update(DVC_ROOT=stage.repo.root_dir, DVC_STAGE=stage.addressing)
    return Command(tuple(argv), stage.wdir, tuple(sorted(env.items())))


def base_name(stage: Stage) -> str:
    return (getattr(stage, "name", None) or "").partition("@")[0]


def resources(stage: Stage, cluster: dict[str, float], cameras: int) -> dict[str, float]:
    """Ray resources of a stage: detect takes one GPU where the cluster has any, calibrate one
    CPU per camera (at most the CPUs of the biggest node, or it would never be scheduled),
    every other stage one CPU."""
    name = base_name(stage)
    if name == "detect" and cluster.get("GPU", 0) >= 1:
        return {"num_cpus": 1, "num_gpus": 1}
    if name == "calibrate":
        return {"num_cpus": max(1, min(cameras, int(cluster.get("_max_node_cpus", 1))))}
    return {"num_cpus": 1}


def cluster_resources() -> dict[str, float]:
    import ray

    res = dict(ray.cluster_resources())
    res["_max_node_cpus"] = max(
        (n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")), default=1
    )
    return res


@dataclass(frozen=True)
class CommandResult:
    """What a stage's command did on its node (returned through Ray to the driver)."""

    returncode: int
    output: str  # its last OUTPUT_TAIL_CHARS characters (stdout and stderr)
    seconds: float
    node: str  # host name
    started: float  # wall-clock time (s since the epoch)
    ended: float


def run_command(cmd: Command) -> CommandResult:
    """Body of the Ray task: run the command, return its exit code and the end of its output.
    A command that fails returns (no exception), so Ray does not retry it: a corrupt video
    fails the same way every time. A worker that dies is retried by Ray."""
    import socket
    import subprocess
    import time

    env = dict(os.environ)
    env.update(dict(cmd.env))
    started = time.time()
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd.argv),
        cwd=cmd.cwd,
        env=env,
        shell=False,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        preexec_fn=_die_with_parent,
    )
    return CommandResult(
        returncode=proc.returncode,
        output=proc.stdout[-OUTPUT_TAIL_CHARS:],
        seconds=time.perf_counter() - start,
        node=socket.gethostname(),
        started=started,
        ended=time.time(),
    )


def _die_with_parent() -> None:
    """In the child: SIGKILL it when the Ray worker dies (Linux), so a killed worker or driver
    leaves no command writing into outputs that a rerun is rewriting."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def submit(cmd: Command, res: dict[str, float], retries: int):
    """Start the stage's command as a Ray task; returns its ObjectRef."""
    global _TASK
    import ray

    if _TASK is None:
        _TASK = ray.remote(run_command)
    return _TASK.options(max_retries=retries, retry_exceptions=False, **res).remote(cmd)


def require_token_auth() -> None:
    """Token authentication unless the user chose otherwise (Ray 2.60: ~/.ray/auth_token or
    RAY_AUTH_TOKEN; a new local instance makes the token): whoever reaches Ray runs code.
    Set before Ray is imported: Ray reads the mode once, at import."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")


def connect(address: str | None, num_cpus: int | None = None) -> bool:
    """Join the cluster at `address` (e.g. `auto`, `10.0.0.1:6379`), or start a local Ray
    instance. Returns whether this call initialised Ray (and so should shut it down)."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(
            "Ray is not installed in this environment: run `make setup` "
            "(requirements/lock.txt pins it)"
        ) from exc

    if ray.is_initialized():
        return False
    kwargs: dict = {"log_to_driver": False}
    if address:
        kwargs["address"] = address
    else:
        # "local": a new instance even where `ray start` left an address in /tmp/ray; its
        # node address is loopback (cli: the driver runs in a loopback-only namespace)
        kwargs.update(
            address="local",
            include_dashboard=False,
            object_store_memory=OBJECT_STORE_BYTES,
            _node_ip_address="127.0.0.1",
        )
        if num_cpus:
            kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except ConnectionError as exc:
        raise ClusterError(
            f"--address {address}: no Ray cluster there ({exc}); start one with "
            "`ray start --head` (docs/cluster.md)"
        ) from exc
    return True
