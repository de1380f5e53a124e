"""Decode calibration videos once and find the ChArUco board in every frame."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from pipeline.calibration.back_views import find_board
from pipeline.calibration.board import (
    board_corners_3d,
    detect_board_in_image,
    make_board,
    square_length,
)
from pipeline.calibration.detections import (
    MIN_VIEW_CORNERS,
    CalibrationError,  # noqa: F401  (re-exported)
    VideoDetections,
)
from pipeline.config import BoardConfig
from pipeline.io.video import VideoError, iter_frames, probe, probe_synchronized

MAX_WORKERS = 2


def detect_video(
    video: Path, board_cfg: BoardConfig, inverted: bool | None = None, back: bool = True
) -> VideoDetections:
    """Board corners in every frame of `video`.

    `inverted`: True/False = the print's polarity is known; None = find out: until the board
    is first found, each frame is searched in both polarities (normal first), and the one
    that finds it is kept for the rest of the video. A frame where the board's front is not
    found but its markers show mirrored is searched flipped (seen from behind: back_views.py);
    `back` = False skips that search (benchmarks/back_views.py measures its cost)."""
    board = make_board(board_cfg)
    info = probe(video)
    all_ids, all_corners, all_back = [], [], []
    found_polarity = inverted
    for frame in iter_frames(video, grayscale=True):
        if found_polarity is None:
            ids, corners, seen_back = find_board(frame, board, False, back=back)
            polarity = False
            if len(ids) == 0:
                ids, corners, seen_back = find_board(frame, board, True, back=back)
                polarity = True
            if len(ids):
                found_polarity = polarity
        else:
            ids, corners, seen_back = find_board(frame, board, found_polarity, back=back)
        all_ids.append(ids)
        all_corners.append(corners)
        all_back.append(seen_back)
    seen = any(len(ids) for ids in all_ids)
    return VideoDetections(
        Path(video),
        (info.width, info.height),
        all_ids,
        all_corners,
        found_polarity if seen else None,
        all_back,
    )


def detect_videos(
    videos: list[Path], board_cfg: BoardConfig, inverted: bool | None = None
) -> list[VideoDetections]:
    """Detections for every video (in parallel); all videos must have the same frame count,
    since frame k of each is the same instant.

    `inverted`: the print's polarity (True = white markers on black); None = detect it per
    video (see `detect_video`); `VideoDetections.inverted` says which one found the board."""
    probe_synchronized(videos)
    # Threads, not processes: decoding and ChArUco detection run in OpenCV with the GIL
    # released, and a thread costs nothing to start (spawned processes took ~3 s each to import
    # the stack; forking after JAX has started can deadlock).
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(videos))) as pool:
        detections = list(
            pool.map(detect_video, videos, [board_cfg] * len(videos), [inverted] * len(videos))
        )
    counts = {str(d.video): d.n_frames for d in detections}
    if len(set(counts.values())) > 1:  # container frame counts can lie; decoded ones do not
        raise VideoError(
            f"calibration videos decode to different frame counts {counts}: "
            "the cameras must be synchronized and cut to the same frames"
        )
    return detections


def diagnose_unseen(
    video: Path, board_cfg: BoardConfig, polarity: bool | None, samples: int = 30
) -> str | None:
    """Why a video shows no board, when the frames tell: "mirrored" (the board is found in
    the horizontally flipped frames: a camera or capture tool set to mirror, ArUco markers
    are then unreadable), "polarity" (found only in the other print polarity than the
    configured `board.inverted`), else None. Tries `samples` evenly spaced frames."""
    board = make_board(board_cfg)
    n = probe(video).n_frames
    wanted = set(np.linspace(0, max(n - 1, 0), samples).round().astype(int).tolist())
    for k, frame in enumerate(iter_frames(video, grayscale=True)):
        if k not in wanted:
            continue
        flipped = cv2.flip(frame, 1)
        if any(
            len(detect_board_in_image(flipped, board, p, refine=False)[0]) for p in (False, True)
        ):
            return "mirrored"
        if polarity is not None and len(
            detect_board_in_image(frame, board, not polarity, refine=False)[0]
        ):
            return "polarity"
    return None


def unseen_advice(name: str, video: Path, diagnosis: str | None, board_cfg: BoardConfig) -> str:
    """The sentence telling a technician what a `diagnose_unseen` result means."""
    if diagnosis == "mirrored":
        return (
            f"camera {name}'s video looks mirrored ({video}), or the camera sees the board "
            "only from behind: the board is found only in the horizontally flipped image, "
            "in too few frames to tell which by the rig's geometry. If the camera's image "
            "is mirrored, turn off its mirror / flip setting and record again, or flip the "
            "video back (e.g. ffmpeg -vf hflip); if the board is see-through and this "
            f"camera saw its back, record more frames where {name} and another camera "
            "both see the board"
        )
    if diagnosis == "polarity":
        printed = (
            "normal: black markers on white"
            if board_cfg.inverted
            else "inverted: white markers on black"
        )
        return (
            f"camera {name} ({video}) finds the board only as the other print ({printed}), but "
            f"board.inverted = {str(board_cfg.inverted).lower()}: set board.inverted: null "
            "(auto, found per video) or to the print's polarity"
        )
    return ""


def usable_views(detections: VideoDetections, board) -> np.ndarray:
    """(n_frames,) bool: enough corners, not all on one line, for a board pose."""
    objp = board_corners_3d(board)
    side = square_length(board)
    usable = np.zeros(detections.n_frames, bool)
    for k, ids in enumerate(detections.ids):
        if len(ids) >= MIN_VIEW_CORNERS:
            spread = np.linalg.svd(objp[ids, :2] - objp[ids, :2].mean(0), compute_uv=False)
            usable[k] = spread[1] > 0.5 * side
    return usable


def spread_over(frames: np.ndarray, max_count: int) -> np.ndarray:
    """At most `max_count` of `frames`, evenly spaced over the list."""
    frames = np.asarray(frames, int)
    if len(frames) <= max_count:
        return frames
    return frames[np.unique(np.linspace(0, len(frames) - 1, max_count).round().astype(int))]
