"""3D keypoints for other tools: TRC (OpenSim), C3D (any biomechanics package), CSV.

Our world frame is Z up, X forward (docs/formats.md). OpenSim expects Y up, so TRC gets
(X, Y, Z)_opensim = (X, Z, -Y)_world: X forward, Y up, Z to the runner's right. C3D and CSV
keep the world frame. Missing points: empty fields in TRC/CSV, a residual of -1 in C3D.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from pipeline.io.atomic import atomic_path, write_text

# world (Z up) -> OpenSim (Y up), a proper rotation about X.
WORLD_TO_OPENSIM = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def _number(value: float, digits: int = 6) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def write_trc(path: Path | str, points: np.ndarray, names: list[str] | tuple[str, ...], fps: float) -> None:
    """OpenSim marker file, metres, Y up."""
    path = Path(path)
    n_frames, n_markers, _ = points.shape
    opensim = points @ WORLD_TO_OPENSIM.T
    lines = [f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
             "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
             f"{fps:g}\t{fps:g}\t{n_frames}\t{n_markers}\tm\t{fps:g}\t1\t{n_frames}",
             "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
             "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, n_markers + 1)),
             ""]
    for f in range(n_frames):
        values = "\t".join(_number(v) for v in opensim[f].ravel())
        lines.append(f"{f + 1}\t{f / fps:.6f}\t{values}")
    write_text(path, "\n".join(lines) + "\n")


def write_csv_points(path: Path | str, points: np.ndarray, names: list[str] | tuple[str, ...], fps: float) -> None:
    """One row per frame: frame, time_s, then <name>_x, _y, _z in metres (world frame)."""
    header = ["frame", "time_s"] + [f"{n}_{axis}" for n in names for axis in "xyz"]
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for f in range(points.shape[0]):
        buf.write(",".join([str(f), f"{f / fps:.6f}"] + [_number(v) for v in points[f].ravel()]) + "\n")
    write_text(path, buf.getvalue())


def write_c3d(path: Path | str, points: np.ndarray, names: list[str] | tuple[str, ...], fps: float,
              residuals: np.ndarray | None = None) -> None:
    """C3D through the `c3d` package: millimetres, world frame, residual = reprojection error
    (px) where known, -1 where the point is missing."""
    import c3d

    writer = c3d.Writer(point_rate=float(fps), analog_rate=0.0, point_units="mm  ")
    writer.set_point_labels(list(names))
    frames = []
    for f in range(points.shape[0]):
        block = np.zeros((points.shape[1], 5), np.float32)
        ok = np.isfinite(points[f]).all(axis=1)
        block[ok, :3] = points[f][ok] * 1000.0
        res = residuals[f] if residuals is not None else np.zeros(points.shape[1])
        block[:, 3] = np.where(ok, np.nan_to_num(res, nan=0.0), -1.0)
        frames.append((block, np.zeros((0, 0), np.float32)))
    writer.add_frames(frames)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        writer.write(handle)
