"""Record a finished stage the way `dvc repro` / `dvc commit` do: hashes of dependencies and
outputs into dvc.lock, outputs into the DVC cache, the run into the run-cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.cluster.staleness import deps_snapshot

if TYPE_CHECKING:
    from dvc.stage import Stage


class NotRecorded(Exception):
    """The stage ran but cannot be recorded: a dependency changed while it ran (its outputs
    may mix old and new inputs), or it did not write an output it declares."""


def record(stage: Stage, before: dict[str, object] | None) -> None:
    """Call with the repository locked. `before`: deps_snapshot(stage) taken when the
    command was dispatched (None for a run-cache restore). A stage whose inputs changed in
    between is not recorded (NotRecorded), so it stays stale for the next run."""
    from dvc.output import OutputDoesNotExistError

    no_cache_outs = any(not o.use_cache for o in stage.outs if not (o.is_metric or o.is_plot))
    stage.save_deps()
    if before is not None:
        after = deps_snapshot(stage)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if changed:
            raise NotRecorded(f"{', '.join(changed)} changed while {stage.addressing} ran")
    try:
        stage.save(run_cache=not no_cache_outs)
    except OutputDoesNotExistError as exc:
        raise NotRecorded(f"{stage.addressing}: {exc}") from exc
    stage.commit()
    stage.dump(update_pipeline=False)
