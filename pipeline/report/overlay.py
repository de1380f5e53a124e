"""QA overlay videos: the triangulated 3D skeleton reprojected onto each camera's video.

Where the reprojected skeleton (thick, left blue / right red) leaves the person, the 3D is
wrong there; the thin yellow skeleton is what the 2D detector reported in that view.

Container/codec: Chromium plays VP8/VP9 in WebM but not MPEG-4 Part 2 ("mp4v", checked with
headless Chromium 150: "DEMUXER_ERROR_NO_SUPPORTED_STREAMS"), and this OpenCV build has no
H.264 encoder. So the default is WebM/VP8, which a report page can embed; "mp4" (mp4v)
encodes ~5x faster and plays in VLC and most desktop players, not in a browser.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from pipeline.core.geometry import Camera, project
from pipeline.core.progress import progress
from pipeline.core.skeleton import BONES, INDEX
from pipeline.io.atomic import atomic_path
from pipeline.io.video import VideoError, iter_frames, probe, write_image

# format -> (fourcc, file suffix)
VIDEO_FORMATS = {"webm": ("VP80", ".webm"), "mp4": ("mp4v", ".mp4")}
BROWSER_FORMATS = ("webm",)  # what a report page can play with <video>

LEFT, RIGHT, CENTRE = (255, 128, 0), (0, 0, 255), (0, 200, 0)  # BGR, as preview.py
DETECTION = (0, 230, 255)  # yellow, thin: the 2D detector's skeleton
JOINT = (255, 255, 255)
SHIFT = 4  # cv2 sub-pixel drawing: 1/16 px
BONE_INDEX = np.array([(INDEX[a], INDEX[b]) for a, b in BONES])


def bone_colour(a: str, b: str) -> tuple[int, int, int]:
    for prefix, colour in (("left", LEFT), ("right", RIGHT)):
        if a.startswith(prefix) or b.startswith(prefix):
            return colour
    return CENTRE


BONE_COLOURS = [bone_colour(a, b) for a, b in BONES]


@dataclass(frozen=True)
class OverlayResult:
    path: Path
    n_frames: int
    size: tuple[int, int]  # (width, height) written
    seconds: float  # wall time to decode, draw and encode
    still: Path | None = None  # the PNG of `still_frame`, when one was asked for


def output_size(size: tuple[int, int], width_px: int | None) -> tuple[tuple[int, int], float]:
    """(width, height) after downscaling to at most `width_px` wide (even sizes: VP8 and most
    players want them), and the scale factor used. None/0 = keep the size."""
    width, height = size
    scale = 1.0 if not width_px or width_px >= width else width_px / width
    out = (max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2))
    return out, out[0] / width


def scale_pixels(pixels: np.ndarray, scale: float) -> np.ndarray:
    """Full-resolution pixel coordinates -> coordinates in the resized image. Pixel centres sit
    at integers (OpenCV), so the scale applies about the top-left image corner (-0.5, -0.5)."""
    return (np.asarray(pixels, float) + 0.5) * scale - 0.5


@contextlib.contextmanager
def open_video(
    path: Path, fps: float, size: tuple[int, int], fmt: str = "webm"
) -> Iterator[Callable[[np.ndarray], None]]:
    """Atomic video writer for `fmt` in VIDEO_FORMATS; `path` must carry that format's suffix."""
    fourcc, suffix = VIDEO_FORMATS[fmt]
    path = Path(path)
    if path.suffix != suffix:
        raise ValueError(f"{path}: a {fmt} video needs the suffix {suffix}")
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*fourcc), fps, tuple(size))
        if not writer.isOpened():
            raise VideoError(
                f"cannot write {path}: OpenCV has no {fourcc} encoder here; "
                f"choose report.overlay_format: mp4"
            )
        try:
            yield writer.write
        finally:
            writer.release()
        if fmt == "webm":
            stable_track_uids(tmp)


# Matroska TrackUID / TagTrackUID elements (8-byte values): FFmpeg draws them at random, so
# the same frames gave a different file on every run (DVC saw a changed report).
_UID_ELEMENTS = (b"\x73\xc5\x88", b"\x63\xc5\x88")


def stable_track_uids(path: Path) -> None:
    """Replace the random track UID of a one-track WebM by 1, so equal frames give equal bytes."""
    data = bytearray(Path(path).read_bytes())
    head = data.find(_UID_ELEMENTS[0])
    if head < 0:
        return
    uid = bytes(data[head + 3 : head + 11])
    fixed = (1).to_bytes(8, "big")
    for element in _UID_ELEMENTS:
        data = data.replace(element + uid, element + fixed)
    Path(path).write_bytes(bytes(data))


def draw_projected(
    image: np.ndarray, pixels: np.ndarray, thickness: int = 2, joint_radius: int = 3, colours=None
) -> None:
    """Bones and joint dots at sub-pixel positions (K, 2); NaN or far-off points are skipped."""
    limit = 4 * max(image.shape[:2])
    ok = np.isfinite(pixels).all(axis=1)
    ok[ok] = (np.abs(pixels[ok]) < limit).all(axis=1)  # keeps cv2's int coordinates sane
    fixed = np.rint(np.nan_to_num(pixels) * (1 << SHIFT)).astype(np.int64)
    for (a, b), colour in zip(BONE_INDEX, colours or BONE_COLOURS):
        if ok[a] and ok[b]:
            cv2.line(
                image,
                tuple(map(int, fixed[a])),
                tuple(map(int, fixed[b])),
                colour,
                thickness,
                cv2.LINE_AA,
                SHIFT,
            )
    if joint_radius > 0:
        for p in fixed[ok]:
            cv2.circle(
                image, tuple(map(int, p)), joint_radius << SHIFT, JOINT, -1, cv2.LINE_AA, SHIFT
            )


def overlay_video(
    video: Path,
    camera: Camera,
    points3d: np.ndarray,
    out_path: Path,
    detections: np.ndarray | None = None,
    min_score: float = 0.3,
    width_px: int | None = 960,
    max_frames: int | None = None,
    fmt: str = "webm",
    still_frame: int | None = None,
    still_png: Path | None = None,
) -> OverlayResult:
    """Draw `points3d` (F, K, 3, world metres) reprojected through `camera` on every frame of
    `video` (and, thin, this camera's 2D `detections` (F, K, 3) with score >= min_score);
    write `out_path` downscaled to `width_px`, at most `max_frames` frames. With `still_frame`
    and `still_png`, that frame is also saved as PNG (shown where the video cannot play)
    from the same pass, so the video is decoded once."""
    start = time.perf_counter()
    info = probe(video)
    if (info.width, info.height) != tuple(camera.size):
        raise VideoError(
            f"{video}: {info.width}x{info.height} px but camera {camera.name} is "
            f"calibrated at {camera.size[0]}x{camera.size[1]}; recalibrate or use "
            f"the original videos"
        )
    n = (
        min(info.n_frames, len(points3d))
        if max_frames is None
        else min(info.n_frames, len(points3d), max_frames)
    )
    size, scale = output_size(camera.size, width_px)
    pixels = scale_pixels(project(camera, np.asarray(points3d[:n], float)), scale)
    detected = None
    if detections is not None:
        detected = scale_pixels(detections[:n, :, :2], scale)
        detected[detections[:n, :, 2] < min_score] = np.nan
    thick = max(1, round(2 * size[1] / 540))
    written, still = 0, None
    with open_video(out_path, info.fps, size, fmt) as write:
        frames = cast(Generator[np.ndarray, None, None], iter_frames(video))  # a generator
        for index in progress(range(n), f"overlay {camera.name}", total=n):
            frame = next(frames, None)
            if frame is None:  # the container over-reported its frame count
                break
            if size != camera.size:
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            if detected is not None:
                draw_projected(frame, detected[index], 1, 0, [DETECTION] * len(BONES))
            draw_projected(frame, pixels[index], thick, thick + 1)
            if still_png is not None and index == still_frame:
                image = frame.copy()
                _label(image, f"{camera.name}  frame {index}")
                write_image(still_png, image)
                still = Path(still_png)
            _label(
                frame,
                f"{camera.name}  frame {index}  3D reprojected (L blue, R red)"
                + ("; 2D detections thin yellow" if detected is not None else ""),
            )
            write(frame)
            written += 1
        frames.close()
    if still_png is not None and still is None:
        raise VideoError(f"{video}: has no frame {still_frame} among the {written} overlaid")
    return OverlayResult(Path(out_path), written, size, time.perf_counter() - start, still)


def _label(image: np.ndarray, text: str) -> None:
    scale = image.shape[0] / 1080
    org = (int(12 * max(scale, 0.5)), int(32 * max(scale, 0.5)))
    font = 0.9 * max(scale, 0.45)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, font, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, font, (255, 255, 255), 1, cv2.LINE_AA)
