"""`runlab import-3d [FILE] --trial T [--markerset NAME]`: a TRC/C3D file -> the trial's
points3d (docs/import3d.md). In DVC (stage import3d) the file, marker set and force plates
come from `study.imports.<trial>`; by hand, FILE and --markerset override them."""

from __future__ import annotations

import warnings
from pathlib import Path

from pipeline.config import Config, ConfigError
from pipeline.core.skeleton import KEYPOINTS
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.io.exports import write_csv_points
from pipeline.io.grf import force_plate_events
from pipeline.io.import3d import load_3d, reference_events, to_points3d
from pipeline.stages.common import log
from pipeline.study.paths import StudyPaths


def run(
    cfg: Config,
    trial: str | None = None,
    file: str | None = None,
    markerset: str | None = None,
) -> None:
    if file is not None and trial is None:
        raise ConfigError("runlab import-3d FILE: name the trial it is (--trial T)")
    for name in [trial] if trial else list(cfg.study.imports):
        import_trial(cfg, name, file, markerset)


def import_trial(
    cfg: Config, name: str, file: str | None = None, markerset: str | None = None
) -> Path:
    paths = StudyPaths.from_config(cfg)
    entry = cfg.study.imports.get(name)
    if name in cfg.study.trials:
        raise ConfigError(
            f"trial {name} is a video trial (study.trials): its points3d comes from "
            "triangulate; declare the imported one under study.imports with its own id"
        )
    if entry is None and file is None:
        raise ConfigError(
            f"no trial '{name}' in study.imports (known: "
            f"{', '.join(cfg.study.imports) or 'none'}); declare it there or pass FILE"
        )
    if file is not None:
        source = Path(file)
    else:
        assert entry is not None  # checked above: one of the two is given
        source = paths.imported_file(name, entry.file)
    markerset = markerset or (entry.markerset if entry is not None else None)
    force = None
    if file is None and entry is not None and entry.force_file:
        force = force_plate_events(paths.imported_file(name, entry.force_file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imported = load_3d(source, markerset)
    for note in imported.frame_notes:
        log.info("trial %s: %s", name, note)
    for note in imported.notes:
        log.info("trial %s: %s", name, note)
    for warning in caught:
        log.warning("trial %s: %s", name, warning.message)
    events = reference_events(imported, force)
    out = paths.points3d(name)
    with staged(paths.points3d_dir(name)) as (stage_dir,):
        formats.write_points3d(stage_dir / out.name, to_points3d(imported))
        formats.write_json(
            stage_dir / paths.reference_events(name).name,
            {
                "trial": name,
                "source_file": source.name,
                "fps": imported.fps,
                "frame": list(imported.frame_notes),
                **events.to_dict(),
            },
        )
        write_csv_points(
            stage_dir / out.with_suffix(".csv").name, imported.points, KEYPOINTS, imported.fps
        )
    n = sum(len(v) for v in events.foot_strikes.values())
    log.info(
        "trial %s: %d frames at %g Hz imported from %s; reference events: %s (%d foot strikes)",
        name,
        len(imported.points),
        imported.fps,
        source,
        events.source,
        n,
    )
    if entry is None:
        log.warning(
            "trial %s is not in study.imports: `runlab analyze` and DVC will not see it "
            "until it is declared there (docs/import3d.md)",
            name,
        )
    return out
