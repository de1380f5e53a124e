"""`runlab export --trial T --format trc|mot|c3d|bvh`: one trial's 3D and results for other
tools (docs/exports.md), into results/trials/<T>/exports/ (or --out). The report stage
writes the same files into the trial report's exports/ for the formats in `report.exports`.

Reads the trial's points3d and analysis; an export the data cannot give (no 3D, no frame
with the whole skeleton) is logged and named, not written half.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import Config
from pipeline.core.errors import RunlabError
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.records import Stride
from pipeline.gait.series import angle_series
from pipeline.io import formats
from pipeline.io.bvh import write_bvh
from pipeline.io.exports import GaitEvent, write_c3d, write_mot, write_trc_segments
from pipeline.stages.common import log, trial_names
from pipeline.study.paths import StudyPaths

EXPORT_FORMATS = ("trc", "mot", "c3d", "bvh")
LABELS = {
    "trc": "TRC for OpenSim",
    "mot": "joint angles (.mot)",
    "c3d": "C3D with gait events",
    "bvh": "BVH for animation tools",
}


@dataclass
class ExportResult:
    fmt: str
    files: list[Path]
    note: str = ""  # what was left out, or why nothing was written


def run(
    cfg: Config, trial: str | None = None, fmt: str | None = None, out: str | None = None
) -> None:
    chosen = EXPORT_FORMATS if fmt is None else (fmt,)
    for name in trial_names(cfg, trial):
        paths = StudyPaths.from_config(cfg)
        target = Path(out) if out else paths.trial_results(name) / "exports"
        for result in export_trial(cfg, name, chosen, target):
            for f in result.files:
                print(f"wrote {f}")
            if not result.files:
                raise RunlabError(f"trial {name}: no {result.fmt} written: {result.note}")


def export_trial(cfg: Config, name: str, chosen, out_dir: Path) -> list[ExportResult]:
    unknown = [f for f in chosen if f not in EXPORT_FORMATS]
    if unknown:
        raise RunlabError(
            f"unknown export format {unknown}: choose from {', '.join(EXPORT_FORMATS)}"
        )
    paths = StudyPaths.from_config(cfg)
    if cfg.study.is_static(name):
        raise RunlabError(
            f"trial {name} is a static (standing) trial: no gait events to export; its 3D "
            f"is in {paths.points3d_dir(name)}"
        )
    p3d = formats.read_points3d(paths.points3d(name))
    data = formats.read_json(paths.analysis(name))
    analysis = TrialAnalysis.from_dict(data)
    forward = data["summary"]["forward"]
    return write_exports(
        Path(out_dir),
        name,
        p3d,
        analysis.strides,
        forward,
        chosen,
        cfg.report.export_max_gap_s,
        cfg.report.export_min_segment_s,
    )


def gait_events(strides: list[Stride]) -> list[GaitEvent]:
    """Foot strikes and toe-offs of the analysis's strides (fractional frames), in time order."""
    events = []
    for s in strides:
        events.append(GaitEvent(s.side, "foot strike", s.strike_frame))
        if s.toe_off_frame is not None:
            events.append(GaitEvent(s.side, "toe-off", s.toe_off_frame))
    return sorted(events, key=lambda e: e.frame)


def write_exports(
    out_dir: Path,
    name: str,
    p3d,
    strides: list[Stride],
    forward,
    chosen,
    max_gap_s: float = 0.1,
    min_segment_s: float = 0.25,
) -> list[ExportResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    fps, names, points = p3d.fps, tuple(p3d.keypoint_names), p3d.points
    max_gap, min_run = max(1, round(max_gap_s * fps)), max(2, round(min_segment_s * fps))
    results = []
    if not np.isfinite(points).any():
        return [ExportResult(f, [], "the trial has no 3D point") for f in chosen]
    for fmt in chosen:
        if fmt == "trc":
            trc = write_trc_segments(out_dir / f"{name}.trc", points, names, fps, max_gap, min_run)
            notes = [f"gaps of up to {max_gap} frames interpolated"]
            for seg in trc.segments:
                log.info(
                    "trial %s: TRC %s: frames %d-%d, %d keypoint-frames interpolated",
                    name,
                    seg.path.name,
                    seg.start,
                    seg.stop - 1,
                    seg.n_filled,
                )
            if len(trc.segments) > 1 or trc.skipped:
                notes.append(f"cut into {len(trc.segments)} segments of complete frames")
            if trc.skipped:
                notes.append(f"{len(trc.skipped)} runs shorter than {min_run} frames left out")
            if trc.dropped_markers:
                notes.append("never measured, left out: " + ", ".join(trc.dropped_markers))
            note = "; ".join(notes)
            log.info("trial %s: TRC: %s", name, note)
            results.append(
                ExportResult(
                    "trc",
                    [s.path for s in trc.segments],
                    note if trc.segments else "no run of complete frames",
                )
            )
        elif fmt == "mot":
            path = out_dir / f"{name}_angles.mot"
            write_mot(path, angle_series(points, forward, strides), fps)
            results.append(ExportResult("mot", [path]))
        elif fmt == "c3d":
            path = out_dir / f"{name}.c3d"
            write_c3d(path, points, names, fps, p3d.reprojection_error, gait_events(strides))
            results.append(ExportResult("c3d", [path], f"{len(gait_events(strides))} gait events"))
        elif fmt == "bvh":
            path = out_dir / f"{name}.bvh"
            try:
                held, left_out = write_bvh(path, points, names, fps, max_gap)
            except ValueError as exc:
                log.warning("trial %s: BVH not written: %s", name, exc)
                results.append(ExportResult("bvh", [], str(exc)))
                continue
            notes = (
                [f"{held} frames with a keypoint missing hold the last pose"] if held else []
            ) + ([f"never measured, left out: {', '.join(left_out)}"] if left_out else [])
            if notes:
                log.warning("trial %s: BVH: %s", name, "; ".join(notes))
            results.append(ExportResult("bvh", [path], "; ".join(notes)))
    return results
