"""What the interactive 3D viewer (viewer.html) shows, gathered in one place: the points and
how each was obtained, the cameras, the gait events, the overlay videos, and what is missing.

`gather_viewer_data` is the only function that reads the stage's inputs; the page
(report/viewer.py) is written from the plain `ViewerData` it returns.

Point status per keypoint-frame (docs/viewer.md):
  measured    triangulated from >= 2 views (n_views > 0) and left where its views put it
  gap-filled  no view measured it (n_views == 0) but a position was filled in (interpolation)
  put back    post-processing moved it off its views and the evidence check put it back
  missing     no position (NaN): not drawn
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.core.geometry import Camera
from pipeline.core.json_types import JsonObject
from pipeline.core.skeleton import BONES, INDEX, KEYPOINTS
from pipeline.gait.records import Stride

MISSING, MEASURED, GAP_FILLED, PUT_BACK = 0, 1, 2, 3
STATUS_NAMES = ("missing", "measured", "gap-filled", "put back by the evidence check")
# 60 s at 120 fps is the target; past this the page would grow beyond what opens quickly
MAX_VIEWER_FRAMES = 36_000


@dataclass
class ViewerData:
    trial: str
    fps: float
    n_frames_total: int  # frames in the trial (the viewer may hold fewer)
    keypoint_names: tuple[str, ...] = KEYPOINTS
    bones: list[tuple[int, int]] = field(default_factory=list)
    points: np.ndarray | None = None  # (F, K, 3) metres, world frame (Z up); NaN = missing
    status: np.ndarray | None = None  # (F, K) uint8, MISSING..PUT_BACK
    n_views: np.ndarray | None = None  # (F, K) views used
    reprojection_px: np.ndarray | None = None  # (F, K) mean reprojection error; NaN unknown
    sd_mm_per_px: np.ndarray | None = None  # (F, K) predicted 3D SD per px of 2D error
    forward: tuple[float, float, float] = (1.0, 0.0, 0.0)
    cameras: list[dict] = field(default_factory=list)  # name, centre, corners (4 x 3 world)
    events: list[dict] = field(default_factory=list)  # side, kind, frame (int)
    videos: list[dict] = field(default_factory=list)  # camera, href, frames, fps
    missing: list[str] = field(default_factory=list)  # what the page must say is not there
    verdict: str | None = None


def point_status(
    points: np.ndarray, n_views: np.ndarray | None, reverted: np.ndarray | None
) -> np.ndarray:
    """(F, K) uint8 status of each keypoint-frame (module docstring)."""
    finite = np.isfinite(points).all(axis=-1)
    status = np.where(finite, MEASURED, MISSING).astype(np.uint8)
    if n_views is not None:
        status[finite & (np.asarray(n_views) == 0)] = GAP_FILLED
    if reverted is not None:
        status[finite & np.asarray(reverted, bool)] = PUT_BACK
    return status


def camera_outline(camera: Camera, depth_m: float = 0.35) -> JsonObject:
    """The camera's centre and the four image corners' rays at `depth_m`, world metres: drawn
    as a small pyramid where the camera stands, pointing where it looks."""
    rotation = camera.rotation
    inverse = np.linalg.inv(camera.matrix)
    w, h = camera.size
    corners = []
    for u, v in ((0, 0), (w, 0), (w, h), (0, h)):
        ray = inverse @ np.array([u, v, 1.0])
        corners.append(camera.center + rotation.T @ (ray / ray[2] * depth_m))
    return {
        "name": camera.name,
        "centre": camera.center.tolist(),
        "corners": np.array(corners).tolist(),
    }


def gather_viewer_data(
    trial: str,
    fps: float,
    points3d=None,
    forward=None,
    strides: list[Stride] | None = None,
    cameras: list[Camera] | None = None,
    overlays: list[dict] | None = None,
    verdict: dict | None = None,
    camera_names: list[str] | None = None,
    notes: list[str] | None = None,
    max_frames: int = MAX_VIEWER_FRAMES,
) -> ViewerData:
    """Everything viewer.html shows, from the report stage's inputs.

    `points3d`: a formats.Points3D (or None: no 3D); `overlays`: TrialMedia.overlays (camera,
    href, format, frames); `camera_names`: the trial's cameras, to name those without an
    overlay; `notes`: why overlays are missing (TrialMedia.notes)."""
    verdict_state = (verdict or {}).get("verdict")
    data = ViewerData(
        trial, float(fps), 0, verdict=verdict_state, bones=[(INDEX[a], INDEX[b]) for a, b in BONES]
    )
    if forward is not None:
        fx, fy, fz = (float(v) for v in np.asarray(forward, float)[:3])
        data.forward = (fx, fy, fz)
    points = None if points3d is None else np.asarray(points3d.points, float)
    if points is None or not np.isfinite(points).any():
        why = "; ".join(
            r.get("message", "")
            for r in (verdict or {}).get("reasons", [])
            if r.get("severity") == "failed"
        )
        data.missing.append(
            "No 3D skeleton for this trial"
            + (
                f" (verdict {verdict_state}: {why})"
                if verdict_state == "failed" and why
                else " (the triangulation gave no point)"
            )
            + "."
        )
    else:
        data.n_frames_total = len(points)
        keep = min(len(points), max_frames)
        if keep < len(points):
            data.missing.append(
                f"The trial has {len(points)} frames ({len(points) / fps:.0f} s); "
                f"the viewer holds the first {keep} ({keep / fps:.0f} s): frames "
                f"{keep} to {len(points) - 1} are not shown."
            )
        data.keypoint_names = tuple(points3d.keypoint_names)
        data.points = points[:keep]
        qa = points3d.qa
        data.n_views = np.asarray(points3d.n_views[:keep])
        data.status = point_status(
            data.points, data.n_views, None if qa is None else qa.reverted[:keep]
        )
        if qa is None:
            data.missing.append(
                "This 3D file predates the evidence check: no point is marked as put back."
            )
        data.reprojection_px = np.asarray(points3d.reprojection_error[:keep], float)
        if points3d.sd_per_px is not None:
            data.sd_mm_per_px = (
                np.linalg.norm(np.asarray(points3d.sd_per_px[:keep], float), axis=-1) * 1000.0
            )
        else:
            data.missing.append(
                "This 3D file has no predicted uncertainty (written before it): "
                "hover shows the reprojection error only."
            )
    data.cameras = [camera_outline(c) for c in cameras or []]
    if not cameras:
        data.missing.append("No calibration for this trial: the cameras are not drawn.")
    limit = 0 if data.points is None else len(data.points)
    for s in strides or []:
        for kind, frame in (("foot strike", s.strike_frame), ("toe-off", s.toe_off_frame)):
            if frame is not None and np.isfinite(frame) and 0 <= round(frame) < max(limit, 1):
                data.events.append({"side": s.side, "kind": kind, "frame": int(round(frame))})
    data.events.sort(key=lambda e: (e["frame"], e["side"], e["kind"]))
    seen = set()
    for o in overlays or []:
        seen.add(o["camera"])
        if o.get("format") != "webm":
            data.missing.append(
                f"camera {o['camera']}: its overlay video is {o.get('format')} "
                "(mp4v), which a browser cannot play; choose "
                "report.overlay_format: webm to see it here."
            )
            continue
        data.videos.append(
            {
                "camera": o["camera"],
                "href": o["href"],
                "frames": int(o.get("frames") or 0),
                "fps": float(fps),
            }
        )
    notes = list(notes or [])
    for name in camera_names or []:
        if name not in seen and not any(n.startswith(f"camera {name}:") for n in notes):
            data.missing.append(f"camera {name}: no overlay video.")
    data.missing += notes
    return data
