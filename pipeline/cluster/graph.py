"""The stage graph of the targets, from DVC's own Repo API (the plan of `dvc repro`)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.core.errors import RunlabError

if TYPE_CHECKING:
    from dvc.repo import Repo
    from dvc.stage import Stage

log = logging.getLogger(__name__)


class ClusterError(RunlabError):
    """A problem the lab can fix before or during `runlab cluster repro`."""


@dataclass
class Plan:
    """Stages in an order where each comes after its upstream stages (DVC's post-order), and
    for each stage the stages of the plan it depends on (upstream) and that depend on it."""

    stages: list[Stage]
    upstream: dict[Stage, list[Stage]] = field(default_factory=dict)
    downstream: dict[Stage, list[Stage]] = field(default_factory=dict)


def open_repo(root: str | None = None) -> Repo:
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        repo = Repo(root)
    except NotDvcRepoError as exc:
        raise ClusterError(
            f"{exc}: run `runlab cluster repro` in the study's DVC project (the folder with .dvc/)"
        ) from exc
    reset_torn_rwlock(repo)
    return repo


def reset_torn_rwlock(repo: Repo) -> bool:
    """Reset DVC's stage-lock table (.dvc/tmp/rwlock) when it is not valid JSON.

    DVC rewrites that file in place under its guard file (rwlock.lock); a run killed in the
    middle of the write (a killed driver or `dvc repro`) leaves it torn, and every later DVC
    command then fails with "JSON structure is corrupted". Holding the same guard, no writer is
    mid-write, so a torn table can only be a dead writer's: it is reset to empty (the table only
    names running processes' locks, and DVC drops those of dead processes itself)."""
    from dvc.lock import make_lock

    tmp_dir = repo.tmp_dir
    if tmp_dir is None:
        return False
    path = os.path.join(tmp_dir, "rwlock")
    if not os.path.exists(path):
        return False
    hardlink = bool(repo.config["core"].get("hardlink_lock", False))
    with make_lock(os.path.join(tmp_dir, "rwlock.lock"), tmp_dir=tmp_dir, hardlink_lock=hardlink):
        try:
            with open(path, encoding="utf-8") as fobj:
                json.load(fobj)
            return False
        except json.JSONDecodeError:
            with open(path, "w", encoding="utf-8") as fobj:
                json.dump({}, fobj)
    log.warning(
        "%s was left half-written by a run that was killed while writing it; reset to empty",
        path,
    )
    return True


def plan(repo: Repo, targets: list[str] | None = None) -> Plan:
    """What `dvc repro [targets]` would evaluate: the targets' stages and all their upstream
    stages, collected and ordered by DVC (any dvc.yaml, e.g. studies/<name>/dvc.yaml, or a
    stage address such as detect@t01). Frozen stages cut their upstream edges, as in DVC."""
    from dvc.dvcfile import PROJECT_FILE
    from dvc.exceptions import DvcException
    from dvc.repo import lock_repo
    from dvc.repo.reproduce import collect_stages, get_active_graph, plan_repro

    with lock_repo(repo):
        try:
            # no target: the project's own dvc.yaml (a bare name would be read from the cwd)
            stages = collect_stages(
                repo, list(targets or [os.path.join(repo.root_dir, PROJECT_FILE)])
            )
            graph = get_active_graph(repo.index.graph)
        except DvcException as exc:
            raise ClusterError(
                f"cannot collect {' '.join(targets or [PROJECT_FILE])}: {exc}"
            ) from exc
        order = plan_repro(graph, stages)
    in_plan = set(order)
    # DVC's graph points from a stage to the stages it depends on.
    upstream = {s: [u for u in graph.successors(s) if u in in_plan] for s in order}
    downstream: dict = {s: [] for s in order}
    for s, ups in upstream.items():
        for u in ups:
            downstream[u].append(s)
    return Plan(order, upstream, downstream)


def dependents(p: Plan, stage: Stage) -> set[Stage]:
    """Every stage of the plan downstream of `stage` (skipped when it fails)."""
    seen: set = set()
    todo = list(p.downstream[stage])
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(p.downstream[s])
    return seen
