"""A 3D view of the triangulated skeleton: behind, side and top views of the stick figure with
the floor and the midline, as a video and as a contact sheet at key events.

Orthographic views drawn with OpenCV (not matplotlib 3D), so a 3 s trial renders in seconds
and every panel has one fixed metric scale (a 10 cm tick bar in each panel).
Axes (docs/metrics.md): forward = running direction, lateral = up x forward (runner's left).
  behind: seen from behind the runner -> image right = runner's right (-lateral), up = Z
  side:   seen from the runner's right -> image right = forward, up = Z
  top:    seen from above -> image right = forward, image up = runner's left (+lateral)
The midline (dashed) is the pelvis centre (hip-centre midpoint) at that frame, the line
`foot_to_midline_m` is measured from.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.core.progress import progress
from pipeline.gait.angles import SIDES, body_axes, hip_centre
from pipeline.gait.records import Stride
from pipeline.io.video import write_image
from pipeline.report.overlay import BONE_COLOURS, draw_projected, open_video

PANEL_M = 2.0  # metres shown across a panel's width
BACKGROUND, FLOOR, TEXT, MIDLINE = (250, 250, 250), (150, 150, 150), (30, 30, 30), (160, 0, 160)
PANELS = ("behind", "side", "top")


def view_coordinates(points: np.ndarray, forward, centre: np.ndarray) -> dict[str, np.ndarray]:
    """(..., 3) world points -> per view (..., 2) metric coordinates (x right, y up), relative
    to `centre` (the trial's mean pelvis, or the pelvis of the frame for overground runs)."""
    fwd, lat = body_axes(forward)
    rel = np.asarray(points, float) - np.asarray(centre, float)
    f, l, z = rel @ fwd, rel @ lat, rel[..., 2] + centre[2]  # z stays absolute: floor at 0
    return {
        "behind": np.stack([-l, z], -1),
        "side": np.stack([f, z], -1),
        "top": np.stack([f, l], -1),
    }


def _to_pixels(xy: np.ndarray, panel: int, px_per_m: float, ymid_m: float) -> np.ndarray:
    """Metric (x right, y up) -> pixel coordinates of a square panel `panel` px wide."""
    return np.stack(
        [panel / 2 + xy[..., 0] * px_per_m, panel / 2 - (xy[..., 1] - ymid_m) * px_per_m], -1
    )


def render_frame(
    points: np.ndarray, forward, centre: np.ndarray, panel_px: int = 360, title: str = ""
) -> np.ndarray:
    """One (panel_px + header) x 3 panel_px BGR image of one frame's skeleton (K, 3)."""
    header = max(18, panel_px // 12)
    image = np.full((panel_px + header, 3 * panel_px, 3), BACKGROUND, np.uint8)
    px_per_m = panel_px / PANEL_M
    views = view_coordinates(points, forward, centre)
    pelvis = view_coordinates(hip_centre(points[None])[0], forward, centre)
    font = panel_px / 900
    for i, name in enumerate(PANELS):
        panel = image[header:, i * panel_px : (i + 1) * panel_px]
        ymid = 0.0 if name == "top" else 0.9  # side views show 0-1.8 m height
        if name != "top":  # floor line at z = 0
            y0 = int(round(_to_pixels(np.array([0.0, 0.0]), panel_px, px_per_m, ymid)[1]))
            cv2.line(panel, (0, y0), (panel_px, y0), FLOOR, 2)
        if name in ("behind", "top"):  # midline through the pelvis centre
            mid = _to_pixels(pelvis[name], panel_px, px_per_m, ymid)
            if np.isfinite(mid).all():
                a, b = (
                    ((mid[0], 0), (mid[0], panel_px))
                    if name == "behind"
                    else ((0, mid[1]), (panel_px, mid[1]))
                )
                _dashed(panel, a, b, MIDLINE)
        draw_projected(
            panel,
            _to_pixels(views[name], panel_px, px_per_m, ymid),
            max(1, panel_px // 180),
            max(1, panel_px // 150),
            BONE_COLOURS,
        )
        cv2.rectangle(panel, (0, 0), (panel_px - 1, panel_px - 1), FLOOR, 1)
        bar = int(round(0.1 * px_per_m))
        cv2.line(panel, (8, panel_px - 10), (8 + bar, panel_px - 10), TEXT, 2)
        cv2.putText(
            panel,
            "10 cm",
            (12 + bar, panel_px - 6),
            cv2.FONT_HERSHEY_SIMPLEX,
            font * 0.8,
            TEXT,
            1,
            cv2.LINE_AA,
        )
        caption = {
            "behind": "from behind (L on left)",
            "side": "from the right (running ->)",
            "top": "from above (running ->, L up)",
        }[name]
        cv2.putText(
            image,
            caption,
            (i * panel_px + 6, header - 5),
            cv2.FONT_HERSHEY_SIMPLEX,
            font,
            TEXT,
            1,
            cv2.LINE_AA,
        )
    if title:
        cv2.putText(
            image, title, (6, header + 16), cv2.FONT_HERSHEY_SIMPLEX, font, TEXT, 1, cv2.LINE_AA
        )
    return image


def _dashed(image, a, b, colour, dash: int = 8) -> None:
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = max(1, int(np.linalg.norm(b - a) // dash))
    for k in range(0, n, 2):
        p = a + (b - a) * k / n
        q = a + (b - a) * min(k + 1, n) / n
        cv2.line(image, tuple(int(round(v)) for v in p), tuple(int(round(v)) for v in q), colour, 1)


def trial_centre(points: np.ndarray) -> tuple[np.ndarray, bool]:
    """Mean pelvis over the trial, and whether the runner travels (overground: > 1 m), in
    which case each frame is centred on its own pelvis instead."""
    pelvis = hip_centre(points)
    finite = pelvis[np.isfinite(pelvis).all(axis=1)]
    if finite.size == 0:
        return np.zeros(3), False
    travels = bool(np.ptp(finite[:, :2], axis=0).max() > 1.0)
    centre = finite.mean(axis=0)
    centre[2] = 0.0
    return centre, travels


def write_views_video(
    points: np.ndarray,
    fps: float,
    forward,
    out_path: Path,
    panel_px: int = 320,
    max_frames: int | None = None,
    fmt: str = "webm",
) -> int:
    """The three views over the trial as a video; returns the frames written."""
    n = len(points) if max_frames is None else min(len(points), max_frames)
    centre, travels = trial_centre(points)
    frame0 = render_frame(points[0], forward, centre, panel_px)
    size = (frame0.shape[1], frame0.shape[0])
    with open_video(out_path, fps, size, fmt) as write:
        for k in progress(range(n), "3D view", total=n):
            c = centre
            if travels:
                c = hip_centre(points[k : k + 1])[0].copy()
                c[2] = 0.0
            write(
                render_frame(
                    points[k],
                    forward,
                    c if np.isfinite(c).all() else centre,
                    panel_px,
                    f"frame {k}  t = {k / fps:.2f} s",
                )
            )
    return n


def write_views_still(
    points: np.ndarray, forward, frame: int, out_png: Path, panel_px: int = 320
) -> Path:
    """One frame of the 3D view as PNG (the video's poster in the report)."""
    centre, travels = trial_centre(points)
    if travels:
        centre = hip_centre(points[frame : frame + 1])[0].copy()
        centre[2] = 0.0
    write_image(out_png, render_frame(points[frame], forward, centre, panel_px, f"frame {frame}"))
    return Path(out_png)


def key_event_frames(strides: list[Stride], side: str) -> dict[str, float] | None:
    """Foot strike, peak stance knee flexion and toe-off (fractional frames) of the middle
    stride of `side` whose peak is known (the analysis's `strides`); None when there is none."""
    own = [s for s in strides if s.side == side]
    for stride in own[len(own) // 2 :] + own[: len(own) // 2][::-1]:
        if stride.peak_knee_flexion_frame is not None:
            return {
                "foot strike": float(stride.strike_frame),
                "peak knee flexion": float(stride.peak_knee_flexion_frame),
                "toe-off": float(stride.toe_off_frame),
            }
    return None


def key_event_sheet(
    points: np.ndarray, strides: list[Stride], forward, out_png: Path, panel_px: int = 220
) -> Path | None:
    """PNG contact sheet: one row per side, one tile per key event (nearest frame) of one of
    the analysis's `strides`, each the three views. None when no stride has a known peak."""
    centre, travels = trial_centre(points)
    rows = []
    for side in SIDES:
        keys = key_event_frames(strides, side)
        if keys is None:
            continue
        tiles = []
        for label, t in keys.items():
            k = int(round(t))
            c = centre
            if travels:
                c = hip_centre(points[k : k + 1])[0].copy()
                c[2] = 0.0
            tile = render_frame(points[k], forward, c, panel_px, f"{side} {label}: frame {k}")
            tiles.append(
                cv2.copyMakeBorder(tile, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(90, 90, 90))
            )
        rows.append(np.hstack(tiles))
    if not rows:
        return None
    write_image(out_png, np.vstack(rows))
    return Path(out_png)
