"""QA previews: the detected skeleton drawn on video frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.core.skeleton import BONES, INDEX
from pipeline.io.video import iter_frames, write_image

LEFT, RIGHT, CENTRE = (255, 128, 0), (0, 0, 255), (0, 200, 0)  # BGR: left blue, right red


def _colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left") or b.startswith("left"):
        return LEFT
    if a.startswith("right") or b.startswith("right"):
        return RIGHT
    return CENTRE


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray, min_score: float = 0.0) -> np.ndarray:
    """Bones between keypoints that are present (finite, score >= min_score); a copy."""
    out = image.copy()
    ok = np.isfinite(keypoints[:, :2]).all(axis=1) & (keypoints[:, 2] >= min_score)
    scale = max(1, round(image.shape[0] / 540))
    for a, b in BONES:
        i, j = INDEX[a], INDEX[b]
        if ok[i] and ok[j]:
            cv2.line(
                out,
                tuple(np.round(keypoints[i, :2]).astype(int)),
                tuple(np.round(keypoints[j, :2]).astype(int)),
                _colour(a, b),
                2 * scale,
                cv2.LINE_AA,
            )
    for k in np.flatnonzero(ok):
        cv2.circle(
            out, tuple(np.round(keypoints[k, :2]).astype(int)), 3 * scale, (255, 255, 255), -1
        )
    return out


def write_previews(
    video: Path, keypoints: np.ndarray, frames: list[int], out_png: Path, min_score: float = 0.0
) -> Path:
    """One PNG with the chosen frames side by side (each scaled to 480 px high)."""
    wanted = set(frames)
    tiles = []
    for index, frame in enumerate(iter_frames(video)):
        if index in wanted:
            drawn = draw_skeleton(frame, keypoints[index], min_score)
            cv2.putText(
                drawn, f"frame {index}", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3
            )
            h, w = drawn.shape[:2]
            tiles.append(cv2.resize(drawn, (round(w * 480 / h), 480), interpolation=cv2.INTER_AREA))
        if index >= max(wanted):
            break
    write_image(out_png, np.hstack(tiles))
    return out_png
