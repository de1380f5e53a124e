"""DVC's verdict on one stage, the checks `dvc repro` makes (dvc/stage/__init__.py
Stage.reproduce and dvc/stage/run.py run_stage), taken when the stage becomes ready."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from pipeline.core.json_types import JsonObject

if TYPE_CHECKING:
    from dvc.stage import Stage


class Verdict(Enum):
    UNCHANGED = "unchanged"  # nothing to do: `dvc repro` would print "didn't change"
    RESTORED = "restored"  # outputs checked out from the run-cache; still to record
    RUN = "run"  # the command must run


def judge(stage: Stage, upstream: list[Stage]) -> Verdict:
    """Call with the repository locked (dvc.repo.lock_repo). As `dvc repro` does: a stage
    that did not change is skipped; otherwise its outputs are removed, the run-cache is tried,
    and on a miss the dependencies' hashes are saved (what `record` compares against)."""
    from dvc.stage.cache import RunCacheNotFoundError

    if stage.frozen or not stage.cmd:
        return Verdict.UNCHANGED
    if not stage.changed(False, upstream):
        return Verdict.UNCHANGED
    stage.remove_outs(ignore_remove=False, force=False)
    try:
        stage.repo.stage_cache.restore(stage)
        return Verdict.RESTORED
    except RunCacheNotFoundError:
        stage.save_deps()
        return Verdict.RUN


def deps_snapshot(stage: Stage) -> JsonObject:
    """The saved dependency hashes (files: md5; params: their values) by dependency."""
    return {str(d): _plain(d.hash_info) for d in stage.deps}


def _plain(hash_info) -> object:
    return None if hash_info is None else hash_info.to_dict()
