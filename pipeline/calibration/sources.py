"""Where each camera's lens model comes from: the calibration videos themselves (`board`),
separate per-camera board videos (`videos`), or an earlier calibration file (`file`).

With `videos` or `file` the calibration videos only pose the cameras (bundle adjustment with
the intrinsics held fixed), so a session that covers the image poorly (or a rig whose lenses
were calibrated once, in the lab) still gets a trustworthy lens model.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from pipeline.calibration.board import make_board
from pipeline.calibration.board_in_videos import (
    MAX_WORKERS,
    CalibrationError,
    VideoDetections,
    detect_video,
    usable_views,
)
from pipeline.calibration.intrinsics import calibrate_intrinsics
from pipeline.config import BoardConfig, CalibrationConfig, IntrinsicsSource, lens_board_config
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera
from pipeline.io.formats import FormatError
from pipeline.io.interop import read_any_calibration

# (detections, candidate frames, max count, board) -> chosen frames
FrameChooser = Callable[[VideoDetections, np.ndarray, int, cv2.aruco.CharucoBoard], np.ndarray]


def intrinsics_folder(calib_cfg: CalibrationConfig, calibration_videos: list[Path]) -> Path:
    """Folder of the per-camera intrinsic videos: the configured path, else `intrinsics/`
    beside the calibration videos' folder (<data_dir>/<session>/intrinsics)."""
    if calib_cfg.intrinsics.path:
        return Path(calib_cfg.intrinsics.path)
    return Path(calibration_videos[0]).resolve().parent.parent / "intrinsics"


def cameras_from_board(
    names: list[str],
    detections: list[VideoDetections],
    views: np.ndarray | list[np.ndarray],
    board,
    max_frames: int,
    choose: FrameChooser,
) -> tuple[CameraSet, dict]:
    """Lens model per camera from its own board views (`views`: per camera, (n_frames,) bool; the
    lens videos' lengths may differ). The
    cameras are fitted in parallel (OpenCV releases the GIL; 4 cameras x 120 views of 88
    corners: 8.6 s on 2 cores instead of 15.4 s, the same models)."""

    def fit(det, ok):
        frames = choose(det, np.flatnonzero(ok), max_frames, board)
        return frames, calibrate_intrinsics(det, frames, board)

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(names))) as pool:
        fits = list(pool.map(fit, detections, views))
    cameras, info = [], {}
    for name, det, (frames, (K, dist, rms, kept, std)) in zip(names, detections, fits):
        cameras.append(Camera(name, det.image_size, K, dist))
        info[name] = {
            "source": str(det.video),
            "rms_px": float(rms),
            "views": int(kept),
            "frames": np.asarray(frames),
            "std": std,
        }
    return CameraSet(cameras), info


def detect_lens_videos(
    calib_cfg: CalibrationConfig,
    board_cfg: BoardConfig,
    names: list[str],
    calibration_videos: list[Path],
) -> list[VideoDetections]:
    """Board detections in each camera's lens video `<folder>/<camera>.mp4`
    (`calibration.intrinsics.source = videos`). These videos need not be synchronized or of
    equal length."""
    folder = intrinsics_folder(calib_cfg, calibration_videos)
    lens_cfg = lens_board_config(calib_cfg, board_cfg)
    videos = [folder / f"{name}.mp4" for name in names]
    missing = [str(v) for v in videos if not v.exists()]
    if missing:
        raise CalibrationError(
            f"calibration.intrinsics.source = videos, but {', '.join(missing)} not found: record "
            f"one board video per camera into {folder} (named <camera>.mp4) or set "
            "calibration.intrinsics.path to the folder that holds them"
        )
    polarity = lens_cfg.inverted
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(videos))) as pool:
        return list(pool.map(lambda v: detect_video(v, lens_cfg, polarity), videos))


def cameras_from_videos(
    detections: list[VideoDetections],
    names: list[str],
    sizes: list[tuple[int, int]],
    board,
    max_frames: int,
    choose: FrameChooser,
) -> tuple[CameraSet, dict, list[VideoDetections]]:
    """Lens model per camera from the detections of its lens video; each must have the
    calibration videos' image size."""
    for name, det, size in zip(names, detections, sizes):
        if tuple(det.image_size) != tuple(size):
            raise CalibrationError(
                f"camera {name}: intrinsic video {det.video} is {det.image_size[0]}x"
                f"{det.image_size[1]} but its calibration video is {size[0]}x{size[1]}: "
                "record both at the same resolution (a lens model does not transfer between "
                "resolutions)"
            )
    cameras, info = cameras_from_board(
        names,
        detections,
        [usable_views(det, board) for det in detections],
        board,
        max_frames,
        choose,
    )
    return cameras, info, detections


def cameras_from_file(
    path: Path, names: list[str], sizes: list[tuple[int, int]]
) -> tuple[CameraSet, dict]:
    """Lens models of `names` from an earlier calibration (any format interop reads);
    matched by camera name (caliscope files name cameras cam_<id>)."""
    path = Path(path)
    try:
        calib = read_any_calibration(path)
    except FormatError as exc:
        raise CalibrationError(f"calibration.intrinsics.path: {exc}") from None
    by_name = {cam.name: cam for cam in calib.cameras}
    cameras, info = [], {}
    for name, size in zip(names, sizes):
        if name not in by_name:
            raise CalibrationError(
                f"camera {name} is not in the intrinsics file {path} (it has "
                f"{', '.join(by_name) or 'no cameras'}): calibrate that camera's lens, or "
                "rename the cameras in the file or in rig.cameras so that they match"
            )
        cam = by_name[name]
        if tuple(cam.size) != tuple(size):
            raise CalibrationError(
                f"camera {name}: the intrinsics file {path} is for {cam.size[0]}x{cam.size[1]} "
                f"images but its calibration video is {size[0]}x{size[1]}: use a lens "
                "calibration made at the same resolution, or calibration.intrinsics.source = "
                "board"
            )
        cameras.append(Camera(name, cam.size, cam.matrix, cam.dist))
        info[name] = {"source": str(path), "rms_px": None, "views": None, "frames": None}
    return CameraSet(cameras), info


def calibrate_lenses(
    calib_cfg: CalibrationConfig,
    board_cfg: BoardConfig,
    board,
    names: list[str],
    detections: list[VideoDetections],
    held_views: np.ndarray,
    lens_detections: list[VideoDetections] | None,
    choose: FrameChooser,
) -> tuple[CameraSet, dict, list[VideoDetections], cv2.aruco.CharucoBoard]:
    """Cameras with intrinsics (no pose yet) per `calibration.intrinsics`, what each came
    from, and the detections the lens models were fitted to with their board (for the
    coverage and distance measures). `lens_detections`: those of `detect_lens_videos`
    (`source = videos`)."""
    source = IntrinsicsSource(calib_cfg.intrinsics.source)
    sizes = [det.image_size for det in detections]
    if source == IntrinsicsSource.file:
        if calib_cfg.intrinsics.path is None:  # config validation names it; code may not
            raise CalibrationError("calibration.intrinsics.source = file needs intrinsics.path")
        cameras, info = cameras_from_file(Path(calib_cfg.intrinsics.path), names, sizes)
        return cameras, info, detections, board
    if source == IntrinsicsSource.videos:
        if lens_detections is None or len(lens_detections) != len(names):
            raise ValueError(
                "calibration.intrinsics.source = videos needs the detections of "
                "one lens video per camera (detect_lens_videos)"
            )
        lens_cfg = lens_board_config(calib_cfg, board_cfg)
        lens_board = board if lens_cfg is board_cfg else make_board(lens_cfg)
        return (
            *cameras_from_videos(
                lens_detections, names, sizes, lens_board, calib_cfg.max_frames, choose
            ),
            lens_board,
        )
    cameras, info = cameras_from_board(
        names, detections, held_views, board, calib_cfg.max_frames, choose
    )
    return cameras, info, detections, board
