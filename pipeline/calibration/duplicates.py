"""Recordings that are not what their names say: the same video saved under two cameras'
names (a copy over another camera's file), or two files of one camera. Such a pair passes
every other gate: both cameras are solved at one pose, and the camera that was not recorded
then sits where its twin is (3.7 m from its real place in the issue's case) and is never
used in the trials."""

from __future__ import annotations

import filecmp
from itertools import combinations
from pathlib import Path

import numpy as np

from pipeline.calibration.board_in_videos import CalibrationError, VideoDetections

# Near-identical: in at least this share of the frames where either video shows the board,
# both show it with the same corners within MAX_SAME_PX (median over the corners). Two real
# cameras differ by far more: 1 px at 1 m is a 1 mm baseline at f = 1000 px.
MIN_SAME_SHARE = 0.8
MAX_SAME_PX = 1.0
MIN_SAME_FRAMES = 3


def identical_files(videos: list[Path], names: list[str]) -> None:
    """Byte-identical calibration videos: a named error listing both files."""
    for (a, va), (b, vb) in combinations(zip(names, videos), 2):
        va, vb = Path(va), Path(vb)
        if not (va.is_file() and vb.is_file()):
            continue  # a missing video is named by the video probe
        if va.stat().st_size == vb.stat().st_size and filecmp.cmp(va, vb, shallow=False):
            raise CalibrationError(_message(a, va, b, vb, "are the same file byte for byte"))


def near_identical_recordings(detections: list[VideoDetections], names: list[str]) -> None:
    """Two videos in which the board's corners are found at the same pixels in (nearly)
    every frame: one recording saved twice (re-encoded, or copied and cut)."""
    for (a, da), (b, db) in combinations(zip(names, detections), 2):
        same, either = same_corner_frames(da, db)
        if either and same >= MIN_SAME_FRAMES and same >= MIN_SAME_SHARE * either:
            raise CalibrationError(
                _message(
                    a,
                    da.video,
                    b,
                    db.video,
                    f"show the board's corners at the same pixels (within {MAX_SAME_PX:g} px) in "
                    f"{same} of the {either} frames where either shows it: they are one recording "
                    "saved twice",
                )
            )


def same_corner_frames(da: VideoDetections, db: VideoDetections) -> tuple[int, int]:
    """(frames where both videos show the board with the same corners, frames where either
    shows it)."""
    same = either = 0
    for ids_a, pa, ids_b, pb in zip(da.ids, da.corners, db.ids, db.corners):
        if len(ids_a) == 0 and len(ids_b) == 0:
            continue
        either += 1
        common, ia, ib = np.intersect1d(ids_a, ids_b, return_indices=True)
        if len(common) and len(common) >= 0.8 * max(len(ids_a), len(ids_b)):
            same += np.median(np.linalg.norm(pa[ia] - pb[ib], axis=1)) <= MAX_SAME_PX
    return same, either


def _message(a: str, va: Path, b: str, vb: Path, what: str) -> str:
    return (
        f"the calibration videos of cameras {a} ({va}) and {b} ({vb}) {what}. Each "
        "camera needs its own recording: copy each camera's file from that camera "
        "again (check the file names against the cameras), then calibrate"
    )
