"""`choose_box` picks the runner among a frame's person boxes: the one overlapping the last
known box most (after a loss), else the best score x area x (1 - centre distance / half
diagonal) (start)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection / area of the smaller box (a box inside another overlaps it fully)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix * iy / small) if small > 0 else 0.0


def choose_box(
    detections: Sequence[tuple[np.ndarray, float]],
    image_size: tuple[int, int],
    last: np.ndarray | None = None,
) -> np.ndarray | None:
    """The runner's box among `detections` ((box, score) pairs), None when there is none.
    After a loss (`last` = the runner's last box): the detection overlapping it most, if any
    does; else (start, or it moved away) score x area x (1 - centre distance / half diagonal)."""
    if not detections:
        return None
    if last is not None and np.isfinite(last).all():
        overlaps = [_overlap(b, last) for b, _ in detections]
        if max(overlaps) > 0:
            return detections[int(np.argmax(overlaps))][0]
    w, h = image_size

    def merit(det):
        b, score = det
        dist = np.hypot((b[0] + b[2]) / 2 - w / 2, (b[1] + b[3]) / 2 - h / 2) / (
            0.5 * np.hypot(w, h)
        )
        return score * (b[2] - b[0]) * (b[3] - b[1]) * max(0.0, 1.0 - dist)

    return max(detections, key=merit)[0]
