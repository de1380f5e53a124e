"""Multi-camera calibration from synchronized ChArUco videos.

Two public steps: `detect_board_in_videos` (the board in every frame of the videos) and
`solve_calibration` (everything else, from those detections); `calibrate` runs both.
Solving: intrinsics per camera (OpenCV, from these videos,
separate intrinsic videos or an earlier calibration: sources.py); relative poses by
aniposelib bundle adjustment; world frame from the board lying on the floor in the first
`floor_frames` frames, or, with `floor_frames = 0`, the frame of the first camera.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np

from pipeline.calibration.back_views import judge_back_views
from pipeline.calibration.board import make_board
from pipeline.calibration.board_in_videos import (
    CalibrationError,
    VideoDetections,
    detect_videos,
    diagnose_unseen,
    spread_over,
    unseen_advice,
    usable_views,
)
from pipeline.calibration.board_shape import board_shape_advice
from pipeline.calibration.duplicates import identical_files, near_identical_recordings
from pipeline.calibration.extrinsics import (
    board_views,
    calibrate_extrinsics,
    floor_view,
    triangulate,
)
from pipeline.calibration.gates import GateThresholds, evaluate_gates, overall_verdict
from pipeline.calibration.intrinsics import lens_change_sd
from pipeline.calibration.measure_records import BoardPolarity, WorldFrame
from pipeline.calibration.measures import (
    COVERAGE_GRID,
    axis_angles,
    board_distances,
    centre_distances,
    coverage_counts,
    distance_spread,
    triangulated_square_size,
)
from pipeline.calibration.quality_record import CalibrationQuality, CameraQuality
from pipeline.calibration.selection import choose_shared, choose_views
from pipeline.calibration.sources import calibrate_lenses, detect_lens_videos
from pipeline.calibration.world import floor_observations, world_from_camera, world_from_floor
from pipeline.config import BoardConfig, CalibrationConfig, IntrinsicsSource
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import project, to_homogeneous, transform_rig

# Lens models fitted from the calibration videos themselves (`intrinsics.source = board`)
# are refined in a bundle adjustment of the held-board views, all 9 terms (fx, fy, cx, cy,
# k1, k2, p1, p2, k3): there every camera's single pose and the board poses seen by several
# cameras pin down what one camera's views leave loose (synthetic seed 4: cam_3's principal
# point 4.1 px off before). The refinement is kept only if no term moved by more than
# LENS_CHANGE_MAX_SD standard errors of the camera's own fit: on the synthetic rigs (1080p
# seeds 0-5, the half-resolution rig) the terms moved by at most 4.5, on the caliscope
# webcams (not synchronized to the frame, board in 10-25 % of the image) by 19-104 per camera,
# the lenses soaking up what the rigid-rig model cannot explain (the rig then moved 20 mm /
# 15 deg from caliscope's). Lenses from separate videos or a file stay as given.
BUNDLE_LENS_PARAMS = 9
LENS_CHANGE_MAX_SD = 8.0


@dataclass
class CalibrationResult:
    cameras: CameraSet  # in the world frame
    quality: CalibrationQuality  # quality.json

    @property
    def world_from_rig(self) -> np.ndarray:
        """4x4, bundle-adjustment frame -> world (held by the camera set)."""
        return self.cameras.world_from_rig


@dataclass
class BoardDetections:
    """What `detect_board_in_videos` found, all that `solve_calibration` needs from the videos."""

    videos: list[VideoDetections]  # the calibration videos, in camera order
    polarity: BoardPolarity  # which print polarity found the board
    lens: list[VideoDetections] | None = None  # lens videos (intrinsics.source = videos)


def calibrate(
    videos: list[Path],
    camera_names: list[str],
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
) -> CalibrationResult:
    """`detect_board_in_videos`, then `solve_calibration`."""
    start = time.perf_counter()
    detections = detect_board_in_videos(videos, camera_names, board_cfg, calib_cfg)
    seconds = round(time.perf_counter() - start, 3)
    result = solve_calibration(detections, camera_names, board_cfg, calib_cfg)
    result.quality.timings_s = {"detect": seconds, **(result.quality.timings_s or {})}
    return result


def detect_board_in_videos(
    videos: list[Path],
    camera_names: list[str],
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
) -> BoardDetections:
    """The board in every frame of the calibration videos (one per camera, in the order of
    `camera_names`), and of each camera's lens video when `intrinsics.source = videos`."""
    if len(videos) != len(camera_names):
        raise ValueError(f"{len(videos)} videos for {len(camera_names)} camera names")
    detections, polarity = _detect(videos, board_cfg)
    lens = None
    if IntrinsicsSource(calib_cfg.intrinsics.source) == IntrinsicsSource.videos:
        lens = detect_lens_videos(calib_cfg, board_cfg, camera_names, videos)
    return BoardDetections(detections, polarity, lens)


def solve_calibration(
    found: BoardDetections,
    camera_names: list[str],
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
) -> CalibrationResult:
    """The rig from the board detections: checks of the recording, lens models, bundle
    adjustment, world frame and the quality report (`timings_s` without detection)."""
    if len(found.videos) != len(camera_names):
        raise ValueError(
            f"detections of {len(found.videos)} videos for {len(camera_names)} camera names"
        )
    board = make_board(board_cfg)
    clock = [time.perf_counter()]
    timings = {}

    def lap(step):  # seconds per step, for the report and the benchmark
        clock.append(time.perf_counter())
        timings[step] = round(clock[-1] - clock[-2], 3)

    detections, polarity = found.videos, found.polarity
    videos = [det.video for det in detections]
    usable = np.array([usable_views(det, board) for det in detections])
    held = np.zeros(usable.shape[1], bool)
    held[calib_cfg.floor_frames :] = True
    _check_board_shape(detections, camera_names, usable & held, board_cfg, calib_cfg)
    _check_board_seen(detections, camera_names, usable & held, board_cfg, calib_cfg)
    detections, back_views = judge_back_views(detections, camera_names, usable & held, board)
    identical_files(videos, camera_names)
    near_identical_recordings(detections, camera_names)

    cameras, lens_info, lens_detections, lens_board = calibrate_lenses(
        calib_cfg,
        board_cfg,
        board,
        camera_names,
        detections,
        usable & held,
        found.lens,
        lambda det, frames, count, on_board: choose_views(
            det, frames, count, on_board, calib_cfg.frame_selection
        ),
    )
    intrinsic_rms = {name: info["rms_px"] for name, info in lens_info.items()}
    lap("intrinsics")

    shared = (usable & held).sum(axis=0) >= 2
    frames = choose_shared(
        detections,
        usable & held,
        np.flatnonzero(shared),
        calib_cfg.max_frames,
        board,
        calib_cfg.frame_selection,
    )
    imgp, rtvecs, objp = board_views(cameras, detections, frames, usable, board)
    observed, floor_px = (imgp, rtvecs), None
    if calib_cfg.floor_frames > 0:
        # The floor board joins the bundle adjustment as one more view: its fitted pose
        # sets the world frame (a rigid fit to DLT-triangulated corners tilted it ~0.04 deg).
        floor_px = floor_observations(detections, calib_cfg.floor_frames, len(objp))
        floor_imgp, floor_rt = floor_view(cameras, floor_px, objp)
        observed = (
            np.concatenate([imgp, floor_imgp], axis=1),
            np.concatenate([rtvecs, floor_rt[:, None]], axis=1),
        )
    lens_params = (
        BUNDLE_LENS_PARAMS
        if IntrinsicsSource(calib_cfg.intrinsics.source) == IntrinsicsSource.board
        else 0
    )
    posing = cameras
    lens_check: dict[str, object] = {"lens_refined": False}
    if lens_params:
        # Lens terms from the held-board views only: the floor board, one grazing view in a
        # small part of each image, bent them (half-resolution rig: a term of cam_0 moved by
        # 20 standard errors and cameras ended 7-12 mm off; 3.7 mm at most without it).
        fitted, _, fit = calibrate_extrinsics(cameras, imgp, rtvecs, objp, lens_params)
        change = {
            cam.name: lens_change_sd(cam, lens, lens_info[cam.name]["std"])
            for cam, lens in zip(cameras, fitted)
        }
        lens_check = {
            "lens_refined": max(change.values()) <= LENS_CHANGE_MAX_SD,
            "lens_change_max_sd": change,
            "lens_fit_evaluations": fit["evaluations"],
        }
        if lens_check["lens_refined"]:  # else the rig model does not hold: keep the lenses
            posing = CameraSet(
                [
                    replace(cam, matrix=lens.matrix, dist=lens.dist)
                    for cam, lens in zip(cameras, fitted)
                ]
            )
    rig_cameras, boards, bundle = calibrate_extrinsics(posing, *observed, objp)
    bundle.update(lens_check)
    floor_checks: WorldFrame
    if floor_px is not None:
        floor_pose = None
        if np.isfinite(boards[-1, 0]):
            floor_pose = to_homogeneous(cv2.Rodrigues(boards[-1, :3])[0], boards[-1, 3:])
        world_from_rig, floor_checks = world_from_floor(rig_cameras, floor_px, board, floor_pose)
    else:
        world_from_rig, floor_checks = world_from_camera(rig_cameras)
    lap("extrinsics")
    world_cameras = CameraSet(
        transform_rig(rig_cameras, world_from_rig[:3, :3], world_from_rig[:3, 3]), world_from_rig
    )

    camera_quality = _camera_quality(world_cameras, detections, usable, imgp, intrinsic_rms)
    # Coverage and distance range judge the lens model: measured on the videos it came from,
    # and not at all for lenses from a file (their recording is not here to judge).
    lens_views = (
        usable & held
        if lens_detections is detections
        else [usable_views(det, lens_board) for det in lens_detections]
    )
    from_file = IntrinsicsSource(calib_cfg.intrinsics.source) == IntrinsicsSource.file
    for cam, det, views in zip(cameras, lens_detections, lens_views):
        lens_checks: dict[str, object] = {"intrinsics_from": lens_info[cam.name]["source"]}
        if not from_file:
            own = spread_over(np.flatnonzero(views), calib_cfg.max_frames)
            counts = coverage_counts(det, np.flatnonzero(views))
            lens_checks["board_coverage"] = float((counts > 0).mean())
            lens_checks["coverage_counts"] = counts.tolist()
            lens_checks["image_size"] = list(det.image_size)
            spread = distance_spread(board_distances(cam, det, own, lens_board))
            lens_checks.update(spread.to_dict())
        camera_quality[cam.name] = camera_quality[cam.name].with_values(lens_checks)
    quality = CalibrationQuality(
        cameras=camera_quality,
        coverage_grid=list(COVERAGE_GRID),
        board_polarity=polarity,
        back_views=back_views,
        board_size=triangulated_square_size(world_cameras, imgp, board),
        pairwise_shared_frames={
            f"{camera_names[a]}/{camera_names[b]}": int(np.sum(usable[a] & usable[b] & held))
            for a, b in combinations(range(len(camera_names)), 2)
        },
        pairwise_axis_angle_deg=axis_angles(world_cameras),
        pairwise_centre_distance_m=centre_distances(world_cameras),
        intrinsics_source=IntrinsicsSource(calib_cfg.intrinsics.source).value,
        views_used_for_intrinsics={n: i["views"] for n, i in lens_info.items()},
        frames_used_for_extrinsics=int(len(frames)),
        bundle_adjustment=bundle,
        floor=floor_checks,
    )
    medians = [q.reprojection_median_px for q in quality.cameras.values()]
    quality.max_reprojection_px = calib_cfg.max_reprojection_px
    quality.passed = all(m is not None and m <= calib_cfg.max_reprojection_px for m in medians)
    quality.gate_thresholds = gate_thresholds(calib_cfg)
    quality.gates = evaluate_gates(quality, quality.gate_thresholds)
    quality.gates_verdict = overall_verdict(quality.gates)
    lap("quality")
    quality.timings_s = timings
    return CalibrationResult(world_cameras, quality)


def gate_thresholds(calib_cfg: CalibrationConfig) -> GateThresholds:
    """Gate thresholds from the calibration config; the fail limits for reprojection and
    detections are `max_reprojection_px` and `min_detections_per_camera`."""
    return GateThresholds(
        **asdict(calib_cfg.gates),
        reprojection_fail_px=calib_cfg.max_reprojection_px,
        min_detections_fail=calib_cfg.min_detections_per_camera,
    )


def _detect(
    videos: list[Path], board_cfg: BoardConfig
) -> tuple[list[VideoDetections], BoardPolarity]:
    """Detections, and which print polarity found the board. `board.inverted` None = find
    out per video; True/False = use it, but if the board is found in no video at all, try
    the other polarity before giving up."""
    videos = [Path(v) for v in videos]
    configured = board_cfg.inverted
    detections = detect_videos(videos, board_cfg, configured)
    fallback = False
    if configured is not None and not any(len(i) for d in detections for i in d.ids):
        detections = detect_videos(videos, board_cfg, None)
        fallback = True
    names = {None: "not found", True: "inverted", False: "normal"}
    polarity = BoardPolarity(
        configured="auto" if configured is None else names[configured],
        found={str(d.video.name): names[d.inverted] for d in detections},
        fell_back_to_other_polarity=fallback,
    )
    return detections, polarity


def _check_board_shape(
    detections: list[VideoDetections],
    names: list[str],
    usable: np.ndarray,
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
) -> None:
    """A camera that sees the board too little, or only flipped, may see a board of other
    rows and columns than configured: that is said before any mirror or visibility advice."""
    for name, det, views in zip(names, detections, usable):
        suspect = views.sum() < calib_cfg.min_detections_per_camera or any(det.back)
        if suspect and Path(det.video).is_file():
            advice = board_shape_advice(name, det.video, board_cfg)
            if advice:
                raise CalibrationError(advice)


def _check_board_seen(
    detections: list[VideoDetections],
    names: list[str],
    usable: np.ndarray,
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
) -> None:
    blind = [
        (name, det) for name, det in zip(names, detections) if not any(len(ids) for ids in det.ids)
    ]
    for name, det in blind:  # a named cause beats "not detected" (cheap: sampled frames)
        advice = unseen_advice(
            name, det.video, diagnose_unseen(det.video, board_cfg, board_cfg.inverted), board_cfg
        )
        if advice:
            raise CalibrationError(advice)
    if len(blind) == len(detections):
        raise CalibrationError(
            "the ChArUco board was not detected in any frame of any calibration video "
            f"({', '.join(str(d.video) for d in detections)}): check board.squares_x/"
            f"squares_y ({board_cfg.squares_x}x{board_cfg.squares_y}), board.dictionary "
            f"({board_cfg.dictionary.value}), board.legacy_pattern and board.inverted against "
            "the printed board"
        )
    for name, det, views in zip(names, detections, usable):
        if views.sum() < calib_cfg.min_detections_per_camera:
            raise CalibrationError(
                f"camera {name} sees the board in only {int(views.sum())} frames after the "
                f"floor frames of {det.video} (need calibration.min_detections_per_camera = "
                f"{calib_cfg.min_detections_per_camera}): check that the camera is aimed at "
                "the capture volume and record the board moving in front of it"
            )


def _camera_quality(
    cameras: CameraSet,
    detections: list[VideoDetections],
    usable: np.ndarray,
    imgp: np.ndarray,
    intrinsic_rms: dict,
) -> dict[str, CameraQuality]:
    """Per camera: reprojection of the corners triangulated from all cameras seeing them."""
    points = triangulate(cameras, imgp)
    out = {}
    for c, (cam, det) in enumerate(zip(cameras, detections)):
        error = np.linalg.norm(project(cam, points) - imgp[c], axis=1)
        error = error[np.isfinite(error)]
        out[cam.name] = CameraQuality.from_dict(
            {
                "video": str(det.video),
                "frames": det.n_frames,
                "detected_frames": int(sum(len(ids) > 0 for ids in det.ids)),
                "usable_frames": int(usable[c].sum()),
                "intrinsic_rms_px": intrinsic_rms[cam.name],
                "reprojection_mean_px": float(error.mean()) if error.size else None,
                "reprojection_median_px": float(np.median(error)) if error.size else None,
                "reprojected_corners": int(error.size),
            }
        )
    return out
