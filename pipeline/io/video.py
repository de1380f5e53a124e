"""Video probing and frame reading with errors that name the file."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import RunlabError
from pipeline.io.atomic import OutputError, atomic_path


class VideoError(RunlabError, RuntimeError):
    """A video is missing, unreadable or inconsistent with the others."""


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: float
    n_frames: int


def probe(path: Path | str) -> VideoInfo:
    path = Path(path)
    if not path.exists():
        raise VideoError(
            f"{path}: video not found. Check the study's data_dir and camera names "
            f"(rig.cameras); each camera needs <camera name>.mp4"
        )
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoError(
                f"{path}: cannot be decoded (corrupt file or unsupported codec); "
                f"re-export it as H.264 or MPEG-4 .mp4"
            )
        info = VideoInfo(
            path,
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            float(cap.get(cv2.CAP_PROP_FPS)),
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
        )
        ok, _ = cap.read()
    finally:
        cap.release()
    if not ok or info.n_frames <= 0:
        raise VideoError(f"{path}: no frame could be decoded (empty or truncated video)")
    return info


def probe_synchronized(paths: list[Path], fps_tolerance: float = 0.01) -> list[VideoInfo]:
    """Probe videos that must be synchronized: same frame count and frame rate."""
    infos = [probe(p) for p in paths]
    counts = {i.path.name: i.n_frames for i in infos}
    if len(set(counts.values())) > 1:
        raise VideoError(
            f"videos of one recording have different frame counts {counts}: "
            f"the cameras are not synchronized or a file is truncated; trim them to "
            f"the same synchronized frames"
        )
    rates = {i.path.name: round(i.fps, 3) for i in infos}
    if max(rates.values()) - min(rates.values()) > fps_tolerance * max(rates.values()):
        raise VideoError(
            f"videos of one recording have different frame rates {rates}; "
            f"record every camera at the same fps"
        )
    return infos


def iter_frames(path: Path | str, grayscale: bool = False) -> Iterator[np.ndarray]:
    """Decode a video once, streaming (constant memory)."""
    info = probe(path)
    cap = cv2.VideoCapture(str(info.path))
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if grayscale else frame
    finally:
        cap.release()


def write_image(path: Path | str, image: np.ndarray) -> Path:
    """An image file (format by suffix), atomically. OpenCV reports a failed write only by
    returning False (a full disk gave a silently truncated PNG): that is an OutputError."""
    path = Path(path)
    with atomic_path(path) as tmp:
        try:
            ok = cv2.imwrite(str(tmp), image)
        except cv2.error as exc:
            raise OutputError(
                f"cannot write image {path}: {str(exc).strip().splitlines()[-1]}"
            ) from None
        if not ok:
            raise OutputError(
                f"cannot write image {path}: check the free space on its disk and that "
                f"{path.parent} is writable, then run the stage again"
            )
    return path


@contextlib.contextmanager
def video_writer(
    path: Path | str, fps: float, size: tuple[int, int]
) -> Iterator[Callable[[np.ndarray], None]]:
    """Write an .mp4 (MPEG-4, BGR frames of `size` = (width, height)) atomically: frames go to a
    hidden temporary file that replaces `path` only when the block ends without an error."""
    path = Path(path)
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, tuple(size))
        if not writer.isOpened():
            raise VideoError(
                f"cannot write video {path}: check that {path.parent} is writable "
                "and OpenCV has an mp4v encoder"
            )
        try:
            yield writer.write
        finally:
            writer.release()
