"""3D keypoints for other tools: TRC (OpenSim), C3D (any biomechanics package), CSV, and the
joint angles as an OpenSim .mot.

Our world frame is Z up, X forward (docs/formats.md). OpenSim expects Y up, so TRC gets
(X, Y, Z)_opensim = (X, Z, -Y)_world: X forward, Y up, Z to the runner's right. C3D and CSV
keep the world frame. Missing points: empty fields in TRC/CSV, a residual of -1 in C3D.
OpenSim's inverse kinematics stops on a gap, so `write_trc_segments` writes TRCs without any:
short gaps interpolated, the rest cut into segments of complete frames (docs/exports.md).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.io.atomic import atomic_path, write_text

# world (Z up) -> OpenSim (Y up), a proper rotation about X.
WORLD_TO_OPENSIM = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def _number(value: float, digits: int = 6) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def write_trc(
    path: Path | str,
    points: np.ndarray,
    names: list[str] | tuple[str, ...],
    fps: float,
    first_frame: int = 0,
) -> None:
    """OpenSim marker file, metres, Y up. `first_frame`: the 0-based trial frame of row 1 (a
    segment keeps the trial's frame numbers and clock)."""
    path = Path(path)
    n_frames, n_markers, _ = points.shape
    opensim = points @ WORLD_TO_OPENSIM.T
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{fps:g}\t{fps:g}\t{n_frames}\t{n_markers}\tm\t{fps:g}\t{first_frame + 1}\t{n_frames}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, n_markers + 1)),
        "",
    ]
    for f in range(n_frames):
        values = "\t".join(_number(v) for v in opensim[f].ravel())
        lines.append(f"{first_frame + f + 1}\t{(first_frame + f) / fps:.6f}\t{values}")
    write_text(path, "\n".join(lines) + "\n")


def write_csv_points(
    path: Path | str, points: np.ndarray, names: list[str] | tuple[str, ...], fps: float
) -> None:
    """One row per frame: frame, time_s, then <name>_x, _y, _z in metres (world frame)."""
    header = ["frame", "time_s"] + [f"{n}_{axis}" for n in names for axis in "xyz"]
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for f in range(points.shape[0]):
        buf.write(
            ",".join([str(f), f"{f / fps:.6f}"] + [_number(v) for v in points[f].ravel()]) + "\n"
        )
    write_text(path, buf.getvalue())


@dataclass(frozen=True)
class GaitEvent:
    """A gait event written to a C3D file's EVENT group."""

    side: str  # left | right
    kind: str  # foot strike | toe-off
    frame: float  # 0-based, may be fractional


def write_c3d(
    path: Path | str,
    points: np.ndarray,
    names: list[str] | tuple[str, ...],
    fps: float,
    residuals: np.ndarray | None = None,
    events: Sequence[GaitEvent] | None = None,
) -> None:
    """C3D through the `c3d` package: millimetres, world frame, residual = reprojection error
    (px) where known, -1 where the point is missing. `events` (GaitEvent) are written as the EVENT group
    (labels "Foot Strike" / "Foot Off", contexts "Left" / "Right", Vicon's names)."""
    import c3d

    writer = c3d.Writer(point_rate=float(fps), analog_rate=0.0, point_units="mm  ")
    writer.set_point_labels(list(names))
    if events:
        _c3d_events(writer, events, float(fps))
    frames = []
    for f in range(points.shape[0]):
        block = np.zeros((points.shape[1], 5), np.float32)
        ok = np.isfinite(points[f]).all(axis=1)
        block[ok, :3] = points[f][ok] * 1000.0
        res = residuals[f] if residuals is not None else np.zeros(points.shape[1])
        block[:, 3] = np.where(ok, np.nan_to_num(res, nan=0.0), -1.0)
        frames.append((block, np.zeros((0, 0), np.float32)))
    writer.add_frames(frames)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No analog data found")  # none is meant: no force plates
        writer.write(handle)


C3D_EVENT_LABELS = {"foot strike": "Foot Strike", "toe-off": "Foot Off"}


def _c3d_events(writer, events: Sequence[GaitEvent], fps: float) -> None:
    """EVENT:USED, CONTEXTS, LABELS, TIMES ([2, n]: minutes, seconds), ICON_IDS, GENERIC_FLAGS.
    Time of 0-based frame f is (f + 1) / fps: frame number = time x rate with the first frame
    numbered 1 (TRIAL:ACTUAL_START_FIELD), as Vicon Nexus and btk read it."""
    import c3d

    n = len(events)
    group = writer.get_create("EVENT")
    group.add("USED", "number of events", 2, "<H", n)
    contexts, width = c3d.Writer.pack_labels([e.side.capitalize() for e in events])
    group.add_str("CONTEXTS", "side", contexts, width, n)
    labels, width = c3d.Writer.pack_labels([C3D_EVENT_LABELS[e.kind] for e in events])
    group.add_str("LABELS", "event", labels, width, n)
    subjects, width = c3d.Writer.pack_labels(["runner"] * n)
    group.add_str("SUBJECTS", "subject", subjects, width, n)
    seconds = np.array([(float(e.frame) + 1.0) / fps for e in events])
    times = np.stack([np.zeros(n), seconds], axis=1).astype("<f4")  # minutes, seconds
    group.add_param(
        "TIMES", desc="event times", bytes_per_element=4, bytes=times.tobytes(), dimensions=[2, n]
    )
    icons = np.array([1 if e.kind == "foot strike" else 2 for e in events], "<i2")
    group.add_param(
        "ICON_IDS", desc="icon", bytes_per_element=2, bytes=icons.tobytes(), dimensions=[n]
    )
    group.add_param(
        "GENERIC_FLAGS",
        desc="flags",
        bytes_per_element=2,
        bytes=np.zeros(n, "<i2").tobytes(),
        dimensions=[n],
    )


def fill_short_gaps(points: np.ndarray, max_gap_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of each coordinate over gaps of at most `max_gap_frames` frames
    with a measured frame on both sides; returns (points, filled (F, K) bool)."""
    out = np.array(points, float)
    filled = np.zeros(out.shape[:2], bool)
    frames = np.arange(len(out))
    for k in range(out.shape[1]):
        ok = np.isfinite(out[:, k]).all(axis=1)
        if ok.sum() < 2:
            continue
        gaps = _runs(~ok)
        for start, stop in gaps:
            if start == 0 or stop == len(out) or stop - start > max_gap_frames:
                continue
            for axis in range(3):
                out[start:stop, k, axis] = np.interp(
                    frames[start:stop], [start - 1, stop], out[[start - 1, stop], k, axis]
                )
            filled[start:stop, k] = True
    return out, filled


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


@dataclass(frozen=True)
class TrcSegment:
    path: Path
    start: int  # first frame (0-based, of the trial)
    stop: int  # one past the last frame
    n_filled: int  # keypoint-frames interpolated


@dataclass(frozen=True)
class TrcExport:
    segments: list[TrcSegment]
    dropped_markers: list[str]  # never measured: left out of every segment
    skipped: list[tuple[int, int]]  # complete runs shorter than the minimum: not written


def write_trc_segments(
    path: Path | str,
    points: np.ndarray,
    names: list[str] | tuple[str, ...],
    fps: float,
    max_gap_frames: int = 10,
    min_segment_frames: int = 10,
) -> TrcExport:
    """TRCs with no empty field, for OpenSim: gaps of at most `max_gap_frames` interpolated,
    markers never measured left out, then each run of complete frames of at least
    `min_segment_frames` written. One run covering the trial: `path`; else `<stem>_f<first>-<last>.trc`
    per run (0-based trial frames; the Time column keeps the trial's clock)."""
    path = Path(path)
    present = np.isfinite(points).all(axis=2).any(axis=0)
    dropped = [n for n, p in zip(names, present) if not p]
    kept = [n for n, p in zip(names, present) if p]
    filled, was_filled = fill_short_gaps(points[:, present], max_gap_frames)
    complete = np.isfinite(filled).all(axis=(1, 2))
    runs = _runs(complete)
    segments, skipped = [], []
    for start, stop in runs:
        if stop - start < min_segment_frames:
            skipped.append((start, stop))
            continue
        whole = len(runs) == 1 and (start, stop) == (0, len(points))
        out = (
            path
            if whole
            else path.with_name(f"{path.stem}_f{start:05d}-{stop - 1:05d}{path.suffix}")
        )
        write_trc(out, filled[start:stop], kept, fps, first_frame=start)
        segments.append(TrcSegment(out, start, stop, int(was_filled[start:stop].sum())))
    return TrcExport(segments, dropped, skipped)


def write_mot(path: Path | str, angles: dict[str, np.ndarray], fps: float) -> None:
    """OpenSim motion file (.mot, Storage format): a time column then one column per angle,
    degrees; a value the data cannot give is NaN (OpenSim reads it)."""
    names = list(angles)
    n = len(next(iter(angles.values()))) if angles else 0
    lines = [
        Path(path).name,
        "version=1",
        f"nRows={n}",
        f"nColumns={len(names) + 1}",
        "inDegrees=yes",
        "endheader",
        "\t".join(["time", *names]),
    ]
    columns = [np.asarray(angles[a], float) for a in names]
    for f in range(n):
        lines.append(
            "\t".join(
                [f"{f / fps:.6f}"]
                + [("NaN" if not np.isfinite(c[f]) else f"{c[f]:.4f}") for c in columns]
            )
        )
    write_text(path, "\n".join(lines) + "\n")
