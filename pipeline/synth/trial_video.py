"""Stick-figure videos of a synthetic trial, one per camera.

The `synthetic` detector reads keypoints from the ground truth, not from pixels, so these videos
only have to be real, correctly timed files (frame count, fps, image size of each camera) that a
person can watch: the true skeleton drawn through each camera's lens model on a grey scene with
a floor grid.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, camera_coordinates, project, undistort_to_normalized
from pipeline.core.progress import progress
from pipeline.core.skeleton import BONES, INDEX
from pipeline.io.video import video_writer

BACKGROUND_GREY = 120
FLOOR_GREY = 95
GRID_GREY = 140
GRID_SPACING_M = 0.5
GRID_HALF_EXTENT_M = 4.0
GRID_SAMPLES_PER_LINE = 161  # 5 cm steps: distortion bends the lines smoothly
HORIZON_STEP_PX = 8
# Beyond the image corners the polynomial lens model folds back; stay a little outside them.
FOV_MARGIN = 1.1
SUBPIXEL_BITS = 4  # cv2 drawing `shift`: 1/16 px resolution
COLORS = {"left": (60, 160, 255), "right": (255, 140, 60), "centre": (235, 235, 235)}  # BGR


def write_trial_videos(
    points: np.ndarray, cameras: CameraSet, fps: float, out_dir: Path
) -> list[Path]:
    """Write `<camera name>.mp4` per camera from 3D keypoints (F, K, 3); frame k of every
    video is frame k of `points`. Returns the paths in camera order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bones = np.array([(INDEX[a], INDEX[b]) for a, b in BONES])
    colors = [_bone_color(a, b) for a, b in BONES]
    paths = []
    for camera in cameras:
        pixels = np.rint(project(camera, points) * (1 << SUBPIXEL_BITS))
        scene = _scene(camera)
        frame = np.empty_like(scene)
        path = out_dir / f"{camera.name}.mp4"
        with video_writer(path, fps, camera.size) as write:
            for frame_pixels in progress(pixels, f"trial video {camera.name}"):
                np.copyto(frame, scene)
                _draw_skeleton(frame, frame_pixels, bones, colors)
                write(frame)
        paths.append(path)
    return paths


def _bone_color(a: str, b: str) -> tuple[int, int, int]:
    for side in ("left", "right"):
        if a.startswith(side) or b.startswith(side):
            return COLORS[side]
    return COLORS["centre"]


def _draw_skeleton(image: np.ndarray, pixels: np.ndarray, bones: np.ndarray, colors) -> None:
    width, height = image.shape[1], image.shape[0]
    limit = 4 * max(width, height) << SUBPIXEL_BITS  # keeps cv2's int coordinates sane
    ok = np.isfinite(pixels).all(axis=1) & (np.abs(np.nan_to_num(pixels)) < limit).all(axis=1)
    for (a, b), color in zip(bones, colors):
        if ok[a] and ok[b]:
            cv2.line(
                image,
                tuple(pixels[a].astype(int)),
                tuple(pixels[b].astype(int)),
                color,
                3,
                cv2.LINE_AA,
                SUBPIXEL_BITS,
            )
    for p in pixels[ok]:
        cv2.circle(
            image,
            tuple(p.astype(int)),
            4 << SUBPIXEL_BITS,
            (255, 255, 255),
            -1,
            cv2.LINE_AA,
            SUBPIXEL_BITS,
        )


def _scene(camera: Camera) -> np.ndarray:
    """Grey background, darker where the view ray hits the floor (z = 0), with a floor grid."""
    width, height = camera.size
    # Which pixels see the floor, on a coarse pixel grid (the horizon is smooth), then upsampled.
    u, v = np.meshgrid(
        np.arange(0, width, HORIZON_STEP_PX, dtype=float),
        np.arange(0, height, HORIZON_STEP_PX, dtype=float),
    )
    normalized = undistort_to_normalized(camera, np.stack([u, v], axis=-1))
    rays = np.concatenate([normalized, np.ones(normalized.shape[:2] + (1,))], axis=-1)
    floor = ((rays @ camera.rotation)[..., 2] < 0).astype(np.uint8)  # ray going down
    floor = cv2.resize(floor, (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
    image = np.full((height, width, 3), BACKGROUND_GREY, np.uint8)
    image[floor] = FLOOR_GREY

    # Grid lines: only the parts the lens model maps faithfully (in front of the camera and
    # within the field of view), drawn as polylines so distortion bends them.
    corners = undistort_to_normalized(
        camera, np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], float)
    )
    max_radius = FOV_MARGIN * np.linalg.norm(corners, axis=1).max()
    ticks = np.arange(-GRID_HALF_EXTENT_M, GRID_HALF_EXTENT_M + 1e-9, GRID_SPACING_M)
    along = np.linspace(-GRID_HALF_EXTENT_M, GRID_HALF_EXTENT_M, GRID_SAMPLES_PER_LINE)
    for tick in ticks:
        for line in (
            np.stack([along, np.full_like(along, tick), np.zeros_like(along)], 1),
            np.stack([np.full_like(along, tick), along, np.zeros_like(along)], 1),
        ):
            cam_pts = camera_coordinates(camera, line)
            with np.errstate(divide="ignore", invalid="ignore"):
                radius = np.linalg.norm(cam_pts[:, :2] / cam_pts[:, 2:], axis=1)
            faithful = (cam_pts[:, 2] > 0) & (radius < max_radius)
            px = np.rint(project(camera, line) * (1 << SUBPIXEL_BITS))
            for run in np.split(np.arange(len(line)), np.flatnonzero(np.diff(faithful)) + 1):
                if faithful[run[0]] and run.size >= 2:
                    cv2.polylines(
                        image,
                        [px[run].astype(np.int32)],
                        False,
                        (GRID_GREY,) * 3,
                        1,
                        cv2.LINE_AA,
                        SUBPIXEL_BITS,
                    )
    return image
