"""Boards seen from behind, and mirrored videos: telling one from the other by geometry.

A camera that looks at the back of a see-through (or double-sided, mirror-printed) board sees
the print mirrored: ArUco markers do not decode, and the board is found only in the
horizontally flipped image. A camera whose video is mirrored (a webcam's "mirror" setting)
gives the same picture. Both are found the same way: in a frame where the board was not
found, the marker-shaped quads that did not decode are read mirrored, and if at least
MIN_MIRRORED_MARKERS of them are markers of this board, the flipped image is searched. The
corners found there are flipped back (x -> width - 1 - x): they are then the board's own
corners, seen through it from the back, at their pixels in the recorded image.

Which reading is right is a question about the rig, not the image: for a board seen from
behind, the camera's pose relative to the other cameras is the same in every shared frame;
for a mirrored video (all of that camera's pixels flipped) it is consistent only once the
video is flipped back. `judge_back_views` fits both and keeps the one whose relative poses
agree; a mirrored video stops the calibration with the advice to flip it, and a camera for
which the rig cannot tell (no varied views shared with another camera) is told so.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.calibration.board import board_corners_3d, detect_board_and_candidates
from pipeline.calibration.detections import MIN_VIEW_CORNERS, CalibrationError, VideoDetections
from pipeline.calibration.measure_records import BackViewJudgement

MIN_MIRRORED_MARKERS = 2  # mirrored board markers among a frame's undecoded quads
_CELL_PX = 4  # pixels per marker cell when reading a quad's bits
_MIN_CONTRAST = 30.0  # grey levels between a quad's darkest and brightest cells
# A hypothesis is chosen when its relative-pose scatter is at most this fraction of the
# other's (measured: see docs/calibration.md, "Boards seen from behind").
DECISIVE_RATIO = 0.5
MIN_SHARED_VIEWS = 4  # shared frames with another camera needed to judge
MIN_SCATTER = 0.02  # below this for both readings the views are too alike to judge
_FIT_VIEWS = 25  # views per camera for the quick lens fit used to judge


def mirrored_markers(gray: np.ndarray, candidates, board) -> int:
    """How many of `candidates` (undecoded marker quads in `gray`, the polarity searched)
    read as markers of `board` once mirrored."""
    if candidates is None or len(candidates) == 0:
        return 0
    dictionary = board.getDictionary()
    cells = dictionary.markerSize + 2  # marker bits plus a black border cell each side
    side = cells * _CELL_PX
    square = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    board_ids = set(np.asarray(board.getIds()).ravel().tolist())
    found = 0
    for quad in candidates:
        warp = cv2.getPerspectiveTransform(np.asarray(quad, np.float32).reshape(4, 2), square)
        patch = cv2.warpPerspective(gray, warp, (side, side), flags=cv2.INTER_LINEAR)
        means = patch.reshape(cells, _CELL_PX, cells, _CELL_PX)[:, 1:-1, :, 1:-1].mean(axis=(1, 3))
        lo, hi = float(means.min()), float(means.max())
        if hi - lo < _MIN_CONTRAST:
            continue
        bits = means > (lo + hi) / 2
        if bits[0].any() or bits[-1].any() or bits[:, 0].any() or bits[:, -1].any():
            continue  # no black border: not a marker
        ok, idx, _ = dictionary.identify(np.fliplr(bits[1:-1, 1:-1]).astype(np.uint8), 0.0)
        if ok and idx in board_ids:
            found += 1
            if found >= MIN_MIRRORED_MARKERS:
                break
    return found


def find_board(
    frame: np.ndarray, board, inverted: bool, refine: bool = True, back: bool = True
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(ids, corners, seen from behind) in one frame and polarity: the front first; the
    flipped image only when the front search found too few corners for a view (a mirrored
    marker can read as another marker of the dictionary) and left mirrored markers of this
    board; the flipped reading is kept if it finds more corners."""
    ids, corners, candidates = detect_board_and_candidates(frame, board, inverted, refine)
    if len(ids) >= MIN_VIEW_CORNERS or not back:
        return ids, corners, False
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    if (
        mirrored_markers(cv2.bitwise_not(gray) if inverted else gray, candidates, board)
        < MIN_MIRRORED_MARKERS
    ):
        return ids, corners, False
    flipped_ids, flipped, _ = detect_board_and_candidates(
        cv2.flip(frame, 1), board, inverted, refine
    )
    if len(flipped_ids) <= len(ids):
        return ids, corners, False
    unflipped = flipped.copy()
    unflipped[:, 0] = frame.shape[1] - 1 - flipped[:, 0]
    return flipped_ids, unflipped, True


def mirror_video(det: VideoDetections) -> VideoDetections:
    """The detections as they would be in the horizontally flipped video."""
    width = det.image_size[0]
    corners = []
    for c in det.corners:
        c = c.copy()
        if len(c):
            c[:, 0] = width - 1 - c[:, 0]
        corners.append(c)
    back = [not b if len(i) else False for b, i in zip(det.back, det.ids)]
    return replace(det, corners=corners, back=back)


def _quick_poses(det: VideoDetections, frames: np.ndarray, board) -> dict[int, np.ndarray]:
    """Board -> camera 4x4 pose per frame in `frames`, from a quick lens fit on at most
    _FIT_VIEWS of them (only to compare hypotheses, not kept)."""
    objp = board_corners_3d(board).astype(np.float32)
    chosen = [int(k) for k in frames]
    if len(chosen) < 4:
        return {}
    pick = [
        chosen[i]
        for i in np.unique(
            np.linspace(0, len(chosen) - 1, min(len(chosen), _FIT_VIEWS)).astype(int)
        )
    ]
    try:
        _, K, dist, _, _ = cv2.calibrateCamera(  # type: ignore[call-overload]  # stubs: no None
            [objp[det.ids[k]] for k in pick],
            [det.corners[k].astype(np.float32) for k in pick],
            det.image_size,
            None,
            None,
        )
    except cv2.error:
        return {}  # degenerate views (e.g. a still board): nothing to judge
    poses = {}
    for k in chosen:
        ok, rvec, tvec = cv2.solvePnP(objp[det.ids[k]], det.corners[k], K, dist)
        if ok:
            T = np.eye(4)
            T[:3, :3], T[:3, 3] = cv2.Rodrigues(rvec)[0], tvec.ravel()
            poses[k] = T
    return poses


def relative_pose_scatter(poses_a: dict, poses_b: dict) -> float | None:
    """Scatter of camera b's centre in camera a's frame over their shared frames, as a
    fraction of its distance (median absolute deviation / median distance); None with fewer
    than MIN_SHARED_VIEWS shared frames."""
    shared = sorted(set(poses_a) & set(poses_b))
    if len(shared) < MIN_SHARED_VIEWS:
        return None
    centres = np.array([(poses_a[k] @ np.linalg.inv(poses_b[k]))[:3, 3] for k in shared])
    middle = np.median(centres, axis=0)
    distance = np.linalg.norm(middle)
    if distance <= 0:
        return None
    return float(np.median(np.linalg.norm(centres - middle, axis=1)) / distance)


def judge_back_views(
    detections: list[VideoDetections], names: list[str], usable: np.ndarray, board
) -> tuple[list[VideoDetections], dict[str, BackViewJudgement]]:
    """For each camera with views found in the flipped image: back views of the board, or a
    mirrored video? Returns the detections to calibrate with (unchanged: back views are
    already at their recorded pixels) and the report (`quality.json` `back_views`). Raises
    CalibrationError for a mirrored video, and for a camera seen only flipped whose case the
    rig cannot decide."""
    report: dict[str, BackViewJudgement] = {}
    flagged = [c for c, det in enumerate(detections) if any(det.back)]
    if not flagged:
        return detections, report
    poses = [
        _quick_poses(det, np.flatnonzero(usable[c]), board) for c, det in enumerate(detections)
    ]
    for c in flagged:
        det, name = detections[c], names[c]
        back_frames = int(sum(len(i) >= MIN_VIEW_CORNERS and b for i, b in zip(det.ids, det.back)))
        front_frames = int(
            sum(len(i) >= MIN_VIEW_CORNERS and not b for i, b in zip(det.ids, det.back))
        )
        mirrored_poses = _quick_poses(mirror_video(det), np.flatnonzero(usable[c]), board)
        scatter: dict[str, list[float]] = {"back": [], "mirrored": []}
        for o in range(len(detections)):
            if o == c:
                continue
            for key, own in (("back", poses[c]), ("mirrored", mirrored_poses)):
                s = relative_pose_scatter(own, poses[o])
                if s is not None:
                    scatter[key].append(s)
        back_s = float(np.median(scatter["back"])) if scatter["back"] else None
        mirror_s = float(np.median(scatter["mirrored"])) if scatter["mirrored"] else None
        if back_s is None or mirror_s is None or max(back_s, mirror_s) < MIN_SCATTER:
            verdict = "undecided"
        elif mirror_s <= DECISIVE_RATIO * back_s:
            verdict = "mirrored video"
        elif back_s <= DECISIVE_RATIO * mirror_s:
            verdict = "seen from behind"
        else:
            verdict = "undecided"
        report[name] = BackViewJudgement(
            frames_seen_from_behind=back_frames,
            frames_seen_from_front=front_frames,
            relative_pose_scatter_as_back_views=back_s,
            relative_pose_scatter_as_mirrored_video=mirror_s,
            verdict=verdict,
        )
        if verdict == "mirrored video" and back_s is not None and mirror_s is not None:
            raise CalibrationError(
                f"camera {name}'s video looks mirrored ({det.video}): the board is found only "
                f"in the horizontally flipped image in {back_frames} frames, and the rig is "
                "consistent only with the video flipped back (the camera's position relative "
                f"to the others scatters by {100 * back_s:.0f} % of their distance when those "
                f"frames are read as the board seen from behind, {100 * mirror_s:.1f} % when "
                "the video is flipped). Turn off the mirror / flip setting of that camera or "
                "capture software and record again, or flip the video back (e.g. ffmpeg -vf "
                "hflip) before calibrating"
            )
        if verdict == "undecided" and front_frames == 0:
            raise CalibrationError(
                f"camera {name}'s video looks mirrored ({det.video}), or the camera sees the "
                f"board only from behind: it is found only in the horizontally flipped image "
                f"({back_frames} frames), and the board's views shared with the other cameras "
                "do not tell which (too few, or too alike). If the camera's image is mirrored, "
                "turn off its mirror setting or flip the video back (e.g. ffmpeg -vf hflip); if "
                "the board is see-through and this camera saw its back, record the board "
                f"moving and turning where {name} and another camera both see it"
            )
    return detections, report
