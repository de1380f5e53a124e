"""The driver loop: judge each stage when it becomes ready, run the stale ones on Ray,
record each as it finishes; a failure skips its downstream stages, other trials go on."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.cluster import dispatch
from pipeline.cluster.graph import Plan, dependents, open_repo, plan
from pipeline.cluster.record import NotRecorded, record
from pipeline.cluster.staleness import Verdict, deps_snapshot, judge

if TYPE_CHECKING:
    from dvc.stage import Stage


@dataclass
class Outcome:
    stage: str
    status: str  # unchanged | restored | ran | failed | skipped
    detail: str = ""
    seconds: float = 0.0  # the command's own run time
    overhead: float = 0.0  # driver time on the stage (judge, submit, record) + result latency
    queued: float = 0.0  # submitted to started on a worker: waiting for a free CPU/GPU or worker
    node: str = ""


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0

    def by_status(self, status: str) -> list[str]:
        return [o.stage for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("failed") and not self.by_status("skipped")


def _cameras(stage: Stage) -> int:
    """rig.cameras from the stage's saved params (calibrate declares it), else 1."""
    for dep in stage.deps:
        value = getattr(dep, "hash_info", None) and dep.hash_info.value
        if isinstance(value, dict) and isinstance(value.get("rig.cameras"), list):
            return len(value["rig.cameras"])
    return 1


def repro(
    targets: list[str] | None = None,
    address: str | None = None,
    retries: int = 2,
    root: str | None = None,
    num_cpus: int | None = None,
    log: Callable[[str], None] = print,
) -> Summary:
    import ray
    from dvc.exceptions import DvcException
    from dvc.repo import lock_repo

    start = time.perf_counter()
    repo = open_repo(root)
    p: Plan = plan(repo, targets)
    commands = {
        s: dispatch.command(s) for s in p.stages if s.cmd and not s.frozen
    }  # bad cmd: fail now
    summary = Summary()
    waiting = {s: set(p.upstream[s]) for s in p.stages}
    ready = [s for s in p.stages if not waiting[s]]
    skipped: set = set()
    running: dict = {}  # ObjectRef -> (stage, deps snapshot, dispatch time)
    started_ray = dispatch.connect(address, num_cpus)
    try:
        cluster = dispatch.cluster_resources()

        def finish(stage, outcome: Outcome) -> None:
            summary.outcomes.append(outcome)
            log(
                f"{outcome.status:>9} {stage.addressing}"
                + (f": {outcome.detail}" if outcome.detail else "")
            )
            if outcome.status == "failed":
                for d in sorted(dependents(p, stage) - skipped, key=p.stages.index):
                    skipped.add(d)
                    summary.outcomes.append(
                        Outcome(d.addressing, "skipped", f"{stage.addressing} failed")
                    )
                    log(f"  skipped {d.addressing}: {stage.addressing} failed")
                return
            for d in p.downstream[stage]:
                waiting[d].discard(stage)
                if not waiting[d] and d not in skipped:
                    ready.append(d)

        while ready or running:
            if ready:
                batch, ready[:] = list(ready), []
                with lock_repo(repo):
                    for s in batch:
                        try:
                            t_judge = time.perf_counter()
                            verdict = judge(s, p.upstream[s])
                            if verdict is Verdict.UNCHANGED:
                                finish(s, Outcome(s.addressing, "unchanged"))
                            elif verdict is Verdict.RESTORED:
                                record(s, None)
                                finish(s, Outcome(s.addressing, "restored", "from the run-cache"))
                            else:
                                res = dispatch.resources(s, cluster, _cameras(s))
                                ref = dispatch.submit(commands[s], res, retries)
                                running[ref] = (
                                    s,
                                    deps_snapshot(s),
                                    time.time(),
                                    time.perf_counter() - t_judge,
                                )
                        except (DvcException, NotRecorded) as exc:
                            finish(s, Outcome(s.addressing, "failed", str(exc)))
                continue
            done, _ = ray.wait(list(running), num_returns=1)
            ref = done[0]
            s, before, submitted, driver_s = running.pop(ref)
            received = time.time()
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:  # worker died more often than retries allow
                finish(
                    s,
                    Outcome(
                        s.addressing,
                        "failed",
                        f"Ray task failed after {retries} retries: "
                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    ),
                )
                continue
            outcome = Outcome(
                s.addressing,
                "ran",
                seconds=result.seconds,
                node=result.node,
                queued=max(0.0, result.started - submitted),
                overhead=driver_s + max(0.0, received - result.ended),
            )
            if result.returncode != 0:
                outcome.status = "failed"
                outcome.detail = (
                    f"`{' '.join(commands[s].argv)}` exited with {result.returncode}; "
                    f"its output ends:\n{result.output.rstrip()}"
                )
            else:
                try:
                    t_record = time.perf_counter()
                    with lock_repo(repo):
                        record(s, before)
                    outcome.overhead += time.perf_counter() - t_record
                except (DvcException, NotRecorded) as exc:
                    outcome.status, outcome.detail = "failed", f"not recorded: {exc}"
            finish(s, outcome)
    finally:
        for ref in running:
            ray.cancel(ref, force=True)
        if started_ray:
            ray.shutdown()
    summary.wall_seconds = time.perf_counter() - start
    return summary
