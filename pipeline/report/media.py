"""The trial report's videos and stills: one overlay per camera, the 3D view and its key-event
sheet, written into <report dir>/overlay/ with links relative to the report dir."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pipeline.core.geometry import Camera
from pipeline.gait.records import Stride
from pipeline.io.video import VideoError
from pipeline.report.overlay import VIDEO_FORMATS, overlay_video
from pipeline.report.trial_report import TrialMedia
from pipeline.report.views3d import (
    key_event_frames,
    key_event_sheet,
    write_views_still,
    write_views_video,
)

log = logging.getLogger("runlab")


def render_media(
    out_dir: Path,
    points: np.ndarray,
    fps: float,
    strides: list[Stride],
    forward,
    videos: list[Path] | None = None,
    cameras: list[Camera] | None = None,
    detections: np.ndarray | None = None,
    min_score: float = 0.3,
    width_px: int | None = 960,
    max_frames: int | None = None,
    fmt: str = "webm",
    videos_enabled: bool = True,
) -> TrialMedia:
    """Key-event sheet (at a stride of the analysis's `strides`) always; with `videos_enabled`,
    the 3D view video and, where `videos` and `cameras` are given, one overlay video (+ a still
    at a foot strike) per camera.
    A camera whose video is missing or does not match its calibration is noted, not fatal:
    the report is still worth having without that overlay."""
    out_dir = Path(out_dir)
    media = TrialMedia()
    suffix = VIDEO_FORMATS[fmt][1]
    sheet = key_event_sheet(points, strides, forward, out_dir / "overlay" / "key_events.png")
    if sheet is not None:
        media.key_event_sheet = str(sheet.relative_to(out_dir))
    if not videos_enabled:
        return media
    views = out_dir / "overlay" / f"views3d{suffix}"
    # three square panels side by side: about as wide as one camera overlay
    panel = 320 if not width_px else max(160, min(320, width_px // 3))
    write_views_video(points, fps, forward, views, panel_px=panel, max_frames=max_frames, fmt=fmt)
    still_frame = _still_frame(points, strides, max_frames)
    poster = write_views_still(
        points, forward, still_frame, out_dir / "overlay" / "views3d_still.png", panel
    )
    media.views_video, media.views_format = str(views.relative_to(out_dir)), fmt
    media.views_still = str(poster.relative_to(out_dir))
    if not videos or not cameras:
        media.notes.append("No trial videos or calibration: no camera overlays.")
        return media
    for c, (video, camera) in enumerate(zip(videos, cameras)):
        out = out_dir / "overlay" / f"{camera.name}{suffix}"
        det = None if detections is None else detections[c]
        try:
            result = overlay_video(
                video,
                camera,
                points,
                out,
                det,
                min_score,
                width_px,
                max_frames,
                fmt,
                still_frame,
                out_dir / "overlay" / f"{camera.name}_still.png",
            )
        except VideoError as exc:
            media.notes.append(f"camera {camera.name}: no overlay ({exc})")
            log.warning("overlay %s: %s", camera.name, exc)
            continue
        log.info(
            "overlay %s: %d frames %dx%d in %.1f s",
            camera.name,
            result.n_frames,
            *result.size,
            result.seconds,
        )
        media.overlays.append(
            {
                "camera": camera.name,
                "href": str(out.relative_to(out_dir)),
                "format": fmt,
                "still": None if result.still is None else str(result.still.relative_to(out_dir)),
                "frames": result.n_frames,
                "seconds": round(result.seconds, 2),
            }
        )
    return media


def _still_frame(points: np.ndarray, strides: list[Stride], max_frames: int | None) -> int:
    """A left foot strike inside the rendered frames if there is one, else the middle frame."""
    last = len(points) - 1 if max_frames is None else min(len(points), max_frames) - 1
    keys = key_event_frames(strides, "left")
    if keys is not None and keys["foot strike"] <= last:
        return int(round(keys["foot strike"]))
    return last // 2
