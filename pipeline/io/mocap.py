"""Marker files from motion capture and other tools: TRC (OpenSim, Pose2Sim, OpenCap) and C3D.

A reader returns the file's own points in metres and in the FILE's axes (`MarkerData`);
`pipeline/io/import3d.py` then detects the up axis and the running direction and turns them
into runlab's frame. Units come from the file (TRC header `Units`, C3D `POINT:UNITS`); a file
without units, or with units this reader does not know, is an error, never a guess. Missing
markers (empty TRC fields, C3D residual < 0) are NaN and stay NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.core.errors import RunlabError

UNIT_SCALE = {
    "mm": 1e-3,
    "millimeters": 1e-3,
    "millimetres": 1e-3,
    "cm": 1e-2,
    "m": 1.0,
    "meters": 1.0,
    "metres": 1.0,
}


class MocapError(RunlabError, ValueError):
    """A marker file that cannot be read as it is (the message names the file and the fix)."""


class UnitsError(MocapError):
    """A marker file whose units are missing, unknown or contradicted by the marker positions."""


class UpAxisError(MocapError):
    """A marker file whose up axis cannot be told from the body (feet vs. shoulders)."""


class NoPointsError(MocapError):
    """A C3D (or TRC) file with no 3D points in it."""


@dataclass(frozen=True)
class ReferenceEvent:
    """An event stored in the file (C3D EVENT group): `frame` is a fractional 0-based index."""

    side: str  # left | right | general
    label: str  # as the file names it (e.g. "Foot Strike", "Foot Off")
    frame: float


@dataclass(frozen=True)
class MarkerData:
    """A marker file's contents: metres, the file's own axes, gaps NaN."""

    path: Path
    names: tuple[str, ...]
    points: np.ndarray  # (F, M, 3) metres, file axes
    fps: float
    time_s: np.ndarray  # (F,) the file's own time column (or frame / fps)
    units: str  # as written in the file
    events: tuple[ReferenceEvent, ...] = field(default_factory=tuple)

    def marker(self, name: str) -> np.ndarray:
        return self.points[:, self.names.index(name)]


def unit_scale(path: Path, units: str) -> float:
    key = units.strip().lower()
    if key not in UNIT_SCALE:
        raise UnitsError(
            f"{path}: units {units!r} are not known (expected mm, cm or m); "
            "write the units into the file's header (TRC: the Units column of "
            "line 3; C3D: POINT:UNITS)"
        )
    return UNIT_SCALE[key]


def _float(text: str) -> float:
    text = text.strip()
    if not text or text.lower() == "nan":
        return np.nan
    return float(text)


def read_trc(path: Path | str) -> MarkerData:
    """An OpenSim-style TRC file (tab separated; header lines 1-5; data from the first numeric
    line). Marker names are read from line 4, so the column order may differ between files."""
    path = Path(path)
    if not path.exists():
        raise MocapError(f"{path} not found")
    lines = path.read_text(errors="replace").splitlines()
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise MocapError(f"{path}: not a TRC file (line 1 should start with PathFileType)")
    keys = lines[1].split("\t")
    values = lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, values)}
    if "Units" not in header or not header["Units"]:
        raise UnitsError(f"{path}: the header has no Units (line 3); add mm or m there")
    scale = unit_scale(path, header["Units"])
    names = tuple(n.strip() for n in lines[3].split("\t")[2:] if n.strip())
    if not names:
        raise NoPointsError(f"{path}: no marker names on line 4")
    rows = []
    for line in lines[5:]:
        fields = line.rstrip("\n").split("\t")
        if not line.strip() or not fields[0].strip():
            continue
        try:
            row = [_float(x) for x in fields[: 2 + 3 * len(names)]]
        except ValueError as exc:
            raise MocapError(
                f"{path}: line {lines.index(line) + 1} is not numeric ({exc})"
            ) from None
        row += [np.nan] * (2 + 3 * len(names) - len(row))
        rows.append(row)
    if not rows:
        raise NoPointsError(f"{path}: no data rows after the header")
    data = np.array(rows, float)
    fps = _float(header.get("DataRate", "")) if header.get("DataRate") else np.nan
    time_s = data[:, 1]
    if not np.isfinite(fps) or fps <= 0:
        steps = np.diff(time_s[np.isfinite(time_s)])
        if steps.size == 0 or np.median(steps) <= 0:
            raise MocapError(
                f"{path}: no DataRate in the header and no usable Time column; "
                "write the frame rate into DataRate (line 3)"
            )
        fps = float(1.0 / np.median(steps))
    if not np.all(np.isfinite(time_s)):
        time_s = np.arange(len(data)) / fps
    points = data[:, 2:].reshape(len(data), len(names), 3) * scale
    return MarkerData(path, names, points, float(fps), time_s, header["Units"])


def _c3d_string(reader, key: str) -> str | None:
    param = reader.get(key)
    if param is None:
        return None
    try:
        return param.string_value.strip()
    except Exception:  # a parameter of another type
        return None


def _c3d_strings(reader, key: str) -> list[str]:
    param = reader.get(key)
    if param is None:
        return []
    try:
        return [s.strip() for s in param.string_array.ravel()]
    except Exception:
        return []


def _c3d_events(reader, fps: float) -> tuple[ReferenceEvent, ...]:
    times = reader.get("EVENT:TIMES")
    if times is None:
        return ()
    labels = _c3d_strings(reader, "EVENT:LABELS")
    contexts = _c3d_strings(reader, "EVENT:CONTEXTS")
    arr = np.asarray(times.float_array, float)
    arr = arr.reshape(-1, 2) if arr.ndim != 2 or arr.shape[-1] != 2 else arr
    first = int(reader.first_frame)
    events = []
    for i, (minutes, seconds) in enumerate(arr[: len(labels)]):
        t = 60.0 * minutes + seconds
        # a Vicon event at time t falls on frame t * rate + 1 (1-based); the file starts at
        # `first_frame`
        frame = t * fps + 1 - first
        side = contexts[i].lower() if i < len(contexts) and contexts[i] else "general"
        events.append(ReferenceEvent(side, labels[i], float(frame)))
    return tuple(events)


def read_c3d(path: Path | str) -> MarkerData:
    """A C3D file through the `c3d` package: every labelled point, residual < 0 = missing."""
    import c3d

    path = Path(path)
    if not path.exists():
        raise MocapError(f"{path} not found")
    try:
        with open(path, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the package's "no point data"
            reader = c3d.Reader(handle)
            n_points = int(reader.point_used)
            if n_points == 0:
                raise NoPointsError(
                    f"{path}: the C3D holds no 3D points (POINT:USED = 0); "
                    "export the markers or keypoints with the file"
                )
            labels = [str(s).strip() for s in reader.point_labels]
            fps = float(reader.point_rate)
            units = _c3d_string(reader, "POINT:UNITS")
            if not units:
                raise UnitsError(
                    f"{path}: the C3D has no POINT:UNITS; export it with units (mm or m)"
                )
            scale = unit_scale(path, units)
            frames = []
            for _, pts, _ in reader.read_frames(copy=True):
                block = np.array(pts[:, :3], float)
                block[pts[:, 3] < 0] = np.nan
                frames.append(block)
            events = _c3d_events(reader, fps)
    except MocapError:
        raise
    except Exception as exc:
        raise MocapError(f"{path}: not a readable C3D file ({type(exc).__name__}: {exc})") from None
    if not frames:
        raise NoPointsError(f"{path}: the C3D holds no frames")
    labels = labels[:n_points] + [f"point{i}" for i in range(len(labels), n_points)]
    names = tuple(labels)
    points = np.stack(frames) * scale
    return MarkerData(path, names, points, fps, np.arange(len(points)) / fps, units, events)


def read_markers(path: Path | str) -> MarkerData:
    """TRC or C3D by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".trc":
        return read_trc(path)
    if suffix == ".c3d":
        return read_c3d(path)
    raise MocapError(f"{path}: runlab imports .trc and .c3d files, not {suffix or 'this file'}")
