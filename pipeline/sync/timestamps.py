"""Camera offsets from per-frame capture timestamps, where a lab records them.

Two layouts of `<trial folder>/timestamps.csv`, told apart by the header:
- runlab's own: `camera,frame,time_s` (camera = a name of rig.cameras, frame = the video frame
  index from 0, time_s = capture time in seconds on ONE clock shared by all cameras);
- caliscope's: `sync_index,cam_id,frame_index,frame_time` (cam_id = position in rig.cameras;
  a camera's rows in sync_index order are its video frames 0, 1, ...).

A camera whose frames are not one per period (an interval over DROP_FACTOR x the median: a
dropped frame) or whose times do not increase is refused with a named error: its video frame
index no longer tells the time, so no single offset can describe it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pipeline.core.errors import RunlabError

DROP_FACTOR = 1.5
OURS = ("camera", "frame", "time_s")
CALISCOPE = ("sync_index", "cam_id", "frame_index", "frame_time")


class TimestampError(RunlabError, ValueError):
    """A timestamp file that cannot time its cameras (layout, gaps, non-monotonic times)."""


def read_timestamps(path: Path | str, cameras: list[str]) -> dict[str, np.ndarray]:
    """camera -> (n_frames,) capture times in seconds, video frame order."""
    path = Path(path)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise TimestampError(
            f"{path}: empty; expected a header {','.join(OURS)} or {','.join(CALISCOPE)}"
        )
    header = tuple(h.strip() for h in rows[0])
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    try:
        if header == OURS:
            times = _ours(body, cameras, path)
        elif header == CALISCOPE:
            times = _caliscope(body, cameras, path)
        else:
            raise TimestampError(
                f"{path}: header {','.join(header)} is neither runlab's "
                f"{','.join(OURS)} nor caliscope's {','.join(CALISCOPE)}"
            )
    except (ValueError, IndexError) as exc:
        if isinstance(exc, TimestampError):
            raise
        raise TimestampError(
            f"{path}: a row is not numbers in the header's columns ({exc})"
        ) from None
    missing = [c for c in cameras if c not in times]
    if missing:
        raise TimestampError(
            f"{path}: no timestamps for cameras {missing} (rig.cameras = {cameras})"
        )
    for cam, t in times.items():
        check_times(t, f"{path}: camera {cam}")
    return times


def _ours(body, cameras, path) -> dict[str, np.ndarray]:
    by_cam: dict[str, list[tuple[int, float]]] = {}
    for r in body:
        cam = r[0].strip()
        if cam not in cameras:
            raise TimestampError(
                f"{path}: camera '{cam}' is not in rig.cameras ({', '.join(cameras)})"
            )
        by_cam.setdefault(cam, []).append((int(r[1]), float(r[2])))
    out = {}
    for cam, rows in by_cam.items():
        rows.sort()
        frames = np.array([f for f, _ in rows])
        if not np.array_equal(frames, np.arange(frames.size)):
            gap = int(np.nonzero(frames != np.arange(frames.size))[0][0])
            raise TimestampError(
                f"{path}: camera {cam} has no row for frame {gap} (frames must "
                f"run 0, 1, 2, ... once each)"
            )
        out[cam] = np.array([t for _, t in rows])
    return out


def _caliscope(body, cameras, path) -> dict[str, np.ndarray]:
    by_cam: dict[int, list[tuple[int, float]]] = {}
    for r in body:
        by_cam.setdefault(int(r[1]), []).append((int(r[0]), float(r[3])))
    out = {}
    for cam_id, rows in by_cam.items():
        if not 0 <= cam_id < len(cameras):
            raise TimestampError(
                f"{path}: cam_id {cam_id} has no camera in rig.cameras "
                f"({len(cameras)} cameras: cam_id 0..{len(cameras) - 1})"
            )
        rows.sort()
        out[cameras[cam_id]] = np.array([t for _, t in rows])
    return out


def check_times(t: np.ndarray, where: str) -> None:
    """Named error for non-increasing times or a dropped frame."""
    if t.size < 2:
        raise TimestampError(f"{where}: {t.size} timestamps; at least 2 are needed")
    step = np.diff(t)
    if not np.isfinite(t).all() or (step <= 0).any():
        k = int(np.argmax(~(step > 0)))
        raise TimestampError(
            f"{where}: times do not increase at frame {k + 1} "
            f"({t[k]:.6f} s then {t[k + 1]:.6f} s): a clock reset or rows out of "
            "order; re-export the timestamps"
        )
    period = float(np.median(step))
    late = np.nonzero(step > DROP_FACTOR * period)[0]
    if late.size:
        k = int(late[0])
        raise TimestampError(
            f"{where}: {late.size} gap(s) in the frame times, the first between frames {k} and "
            f"{k + 1} ({step[k] * 1000:.1f} ms for a {period * 1000:.1f} ms period, about "
            f"{step[k] / period - 1:.0f} dropped frame(s)): this camera's frames after it show other "
            "instants than its frame numbers say; cut the trial before the drop or re-record"
        )


def offsets_from_timestamps(
    times: dict[str, np.ndarray], cameras: list[str], n_frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """(C,) offsets in reference frames (median over the shared frames of (t_c[k] - t_0[k]) /
    the reference period) and (C,) their spread (robust SD of that difference, frames)."""
    ref = times[cameras[0]]
    for cam in cameras:
        if times[cam].size < n_frames:
            raise TimestampError(
                f"timestamps: camera {cam} has {times[cam].size} times for "
                f"{n_frames} video frames; every frame needs its time"
            )
    period = float(np.median(np.diff(ref)))
    offsets, spread = np.zeros(len(cameras)), np.zeros(len(cameras))
    for c, cam in enumerate(cameras):
        d = (times[cam][:n_frames] - ref[:n_frames]) / period
        offsets[c] = float(np.median(d))
        spread[c] = float(1.4826 * np.median(np.abs(d - offsets[c])))
    return offsets, spread
