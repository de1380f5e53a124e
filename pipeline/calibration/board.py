"""The ChArUco calibration board: construction from config, corner geometry, detection.

Board coordinates follow OpenCV: origin at the board's outer top-left corner as printed,
x along `squares_x`, y along `squares_y` (down the printed page), z = x cross y, which points
*into* the board, away from the printed face. Corner ids index `board_corners_3d(board)`.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from pipeline.calibration.corners import refine_corners
from pipeline.config import BoardConfig, board_marker_problem


def make_board(cfg: BoardConfig) -> cv2.aruco.CharucoBoard:
    problem = board_marker_problem(cfg)
    if problem:
        raise ValueError(problem)
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, cfg.dictionary.value))
    board = cv2.aruco.CharucoBoard(
        (cfg.squares_x, cfg.squares_y), cfg.square_length_m, cfg.marker_length_m, dictionary
    )
    board.setLegacyPattern(cfg.legacy_pattern)
    return board


def square_length(board: cv2.aruco.CharucoBoard) -> float:
    """Square side in metres. OpenCV stores it as float32; printed boards are specified to
    the micrometre, so rounding there restores the configured value."""
    return round(float(board.getSquareLength()), 6)


def board_corners_3d(board: cv2.aruco.CharucoBoard) -> np.ndarray:
    """(n, 3) inner chessboard corners in board coordinates, metres; row i is corner id i."""
    side = square_length(board)
    grid = np.round(np.asarray(board.getChessboardCorners(), float).reshape(-1, 3) / side)
    return grid * side


def board_center(board: cv2.aruco.CharucoBoard) -> np.ndarray:
    """Centre of the square grid in board coordinates (the world origin of a floor board)."""
    nx, ny = board.getChessboardSize()
    side = square_length(board)
    return np.array([nx * side / 2, ny * side / 2, 0.0])


@lru_cache(maxsize=8)
def _detector(board: cv2.aruco.CharucoBoard) -> cv2.aruco.CharucoDetector:
    # Building a detector allocates its parameter sets; the detection loop runs per frame.
    charuco_params = cv2.aruco.CharucoParameters()
    charuco_params.tryRefineMarkers = True
    return cv2.aruco.CharucoDetector(board, charuco_params)


@lru_cache(maxsize=8)
def _corner_offset_px(board: cv2.aruco.CharucoBoard) -> float:
    """Constant offset of the detector's corners: +0.5 px in OpenCV <= 4.12
    (opencv/opencv#25539, fixed by #28380), 0 after the fix. Measured once on an ideal
    image of the board rather than guessed from the version string."""
    px_per_square, margin = 40, 20
    nx, ny = board.getChessboardSize()
    image = board.generateImage((nx * px_per_square, ny * px_per_square), marginSize=0)
    image = cv2.copyMakeBorder(image, *[margin] * 4, cv2.BORDER_CONSTANT, value=255)
    corners, ids, _, _ = _detector(board).detectBoard(image)
    if ids is None:
        return 0.0
    # A corner on the boundary between pixels k-1 and k lies at k - 0.5 (pixel centres at k).
    truth = board_corners_3d(board)[ids.ravel(), :2] / square_length(board) * px_per_square
    offset = np.mean(corners.reshape(-1, 2) - (truth + margin - 0.5))
    return round(2 * offset) / 2


@lru_cache(maxsize=8)
def _marker_detector(board: cv2.aruco.CharucoBoard) -> cv2.aruco.ArucoDetector:
    charuco = _detector(board)
    return cv2.aruco.ArucoDetector(
        board.getDictionary(), charuco.getDetectorParameters(), charuco.getRefineParameters()
    )


def detect_board_in_image(
    image: np.ndarray, board: cv2.aruco.CharucoBoard, inverted: bool, refine: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Chessboard corners of `board` in a grey or BGR image.

    Returns (ids (n,), corners (n, 2) pixels, pixel centres at integers); both empty when
    the board is not found. `inverted`: the board is printed white-on-black, so the image is
    inverted first. `refine`: re-estimate OpenCV's corners away from the markers
    (`pipeline.calibration.corners`; OpenCV's own refinement is biased on foreshortened boards).
    """
    ids, corners, _ = detect_board_and_candidates(image, board, inverted, refine)
    return ids, corners


def board_gray(image: np.ndarray, inverted: bool) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.bitwise_not(gray) if inverted else gray


def detect_board_and_candidates(
    image: np.ndarray, board: cv2.aruco.CharucoBoard, inverted: bool, refine: bool = True
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """`detect_board_in_image`, plus the marker-shaped quads that did not decode (OpenCV's rejected
    candidates, in the polarity searched): a board seen from behind leaves its mirrored
    markers there (pipeline/calibration/back_views.py). The markers are found and refined
    exactly as CharucoDetector.detectBoard does (identical corners, same time), only in
    two calls so that the rejected quads are kept."""
    gray = board_gray(image, inverted)
    markers = _marker_detector(board)
    marker_corners, marker_ids, rejected = markers.detectMarkers(gray)
    if _detector(board).getCharucoParameters().tryRefineMarkers:
        marker_corners, marker_ids, rejected, _ = markers.refineDetectedMarkers(
            gray, board, marker_corners, marker_ids, rejected
        )
    if marker_ids is None or len(marker_ids) == 0:
        return np.zeros(0, int), np.zeros((0, 2)), rejected
    corners, ids, _, _ = _detector(board).detectBoard(
        gray, markerCorners=marker_corners, markerIds=marker_ids
    )
    if ids is None or len(ids) == 0:
        return np.zeros(0, int), np.zeros((0, 2)), rejected
    ids = ids.ravel().astype(int)
    corners = corners.reshape(-1, 2).astype(float) - _corner_offset_px(board)
    if refine:
        corners = refine_corners(
            gray,
            board_corners_3d(board)[ids, :2],
            corners,
            square_length(board),
            float(board.getMarkerLength()),
        )
    return ids, corners, rejected


def board_image(board: cv2.aruco.CharucoBoard, dpi: float) -> np.ndarray:
    """Printable grey image of the board at `dpi`, with a white margin of one square."""
    px_per_m = dpi / 0.0254
    nx, ny = board.getChessboardSize()
    side_px = int(round(square_length(board) * px_per_m))
    return board.generateImage(((nx + 2) * side_px, (ny + 2) * side_px), marginSize=side_px)
