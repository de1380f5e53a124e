"""Is the printed board the configured one? Its rows and columns, read from its markers.

A board configured with the wrong number of squares still shows markers of the right
dictionary, so the ChArUco search fails or finds few corners, and the later diagnoses
(a mirrored video, a board seen from behind) would be reached with the wrong cause. The
markers' ids and positions tell the layout: ChArUco numbers its markers row by row, so the
decoded markers of a view fit (one homography, a flat board) the layout of the printed
board and of no board with another row length. Checked before any mirror advice.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.calibration.board import make_board
from pipeline.config import BoardConfig
from pipeline.io.video import iter_frames, probe

MIN_MARKERS = 4  # decoded markers a view needs to tell a layout
FIT_FRACTION = 0.1  # median corner misfit, as a fraction of a marker's side, that fits
MAX_SQUARES = 16


def _layout(cfg: BoardConfig, squares_x: int, squares_y: int) -> dict[int, np.ndarray] | None:
    """Marker id -> (4, 2) corners in board metres for a board of that shape, or None when
    that shape cannot exist with this dictionary."""
    try:
        board = make_board(replace(cfg, squares_x=squares_x, squares_y=squares_y))
    except (ValueError, cv2.error):
        return None
    ids = np.asarray(board.getIds()).ravel()
    return {int(i): np.asarray(c, float)[:, :2] for i, c in zip(ids, board.getObjPoints())}


def _markers(gray: np.ndarray, dictionary) -> tuple[np.ndarray, np.ndarray]:
    """Decoded markers (ids, (n, 4, 2) corners) in either print polarity, the one with more."""
    best = (np.zeros(0, int), np.zeros((0, 4, 2)))
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    for image in (gray, cv2.bitwise_not(gray)):
        corners, ids, _ = detector.detectMarkers(image)
        if ids is not None and len(ids) > len(best[0]):
            best = (ids.ravel().astype(int), np.asarray(corners, float).reshape(-1, 4, 2))
    return best


def _fits(layout: dict[int, np.ndarray], ids: np.ndarray, corners: np.ndarray) -> bool:
    if any(int(i) not in layout for i in ids):
        return False
    board = np.concatenate([layout[int(i)] for i in ids]).astype(np.float32)
    image = corners.reshape(-1, 2).astype(np.float32)
    H, _ = cv2.findHomography(board, image, 0)
    if H is None:
        return False
    mapped = cv2.perspectiveTransform(board[None], H)[0]
    misfit = np.median(np.linalg.norm(mapped - image, axis=1))
    side = np.median(np.linalg.norm(np.diff(corners, axis=1, append=corners[:, :1]), axis=2))
    return bool(misfit <= FIT_FRACTION * side)


def seen_board_shape(video: Path, cfg: BoardConfig, samples: int = 8) -> tuple[int, int] | None:
    """(squares_x, squares_y) of the board in `video` when its markers fit another shape
    than the configured one; None when they fit the configured shape or tell nothing."""
    dictionary = make_board(cfg).getDictionary()
    n = probe(video).n_frames
    wanted = set(np.linspace(0, max(n - 1, 0), samples).round().astype(int).tolist())
    views = []
    for k, frame in enumerate(iter_frames(video, grayscale=True)):
        if k not in wanted:
            continue
        # the flipped image too: a board seen from behind (or a mirrored video) shows the
        # configured board there, and is not a board of another shape
        for image in (frame, cv2.flip(frame, 1)):
            ids, corners = _markers(image, dictionary)
            if len(ids) >= MIN_MARKERS:
                views.append((ids, corners))
    if not views:
        return None
    configured = _layout(cfg, cfg.squares_x, cfg.squares_y)
    if configured is not None and any(_fits(configured, *v) for v in views):
        return None
    best, best_count = None, 0
    # smallest boards first: a board's rows are the first rows of a taller one of that width
    shapes = sorted(
        ((x, y) for x in range(3, MAX_SQUARES + 1) for y in range(3, MAX_SQUARES + 1)),
        key=lambda s: (s[0] * s[1], s),
    )
    for shape in shapes:
        layout = _layout(cfg, *shape)
        if layout is None:
            continue
        count = sum(_fits(layout, *v) for v in views)
        if count > best_count:
            best, best_count = shape, count
    return best


def board_shape_advice(name: str, video: Path, cfg: BoardConfig) -> str:
    """The sentence naming a board whose rows and columns are not the configured ones, or ""."""
    seen = seen_board_shape(video, cfg)
    if seen is None:
        return ""
    return (
        f"camera {name} ({video}) shows a board of {seen[0]}x{seen[1]} squares (its markers "
        f"fit that layout and not the configured one), but board.squares_x x squares_y = "
        f"{cfg.squares_x}x{cfg.squares_y}: set board.squares_x={seen[0]} "
        f"board.squares_y={seen[1]} (count the printed board's squares along its long and "
        "short side; a taller board of the same width cannot be told apart when its lower "
        "rows are not in view), then calibrate again"
    )
