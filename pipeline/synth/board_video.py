"""Render ChArUco calibration videos as real pixels through each camera's true lens model.

Every pixel's ray is undistorted once per camera; per frame the rays are intersected with the
board plane (a homography) and the board texture is resampled there, so lens distortion and
perspective are exact. The texture is taken from a pre-blurred pyramid level matched to the
board's scale in the image (as GPU mipmapping does) so small, tilted boards do not alias.

Frames: first `floor_frames` show the board lying flat on the floor in the world-frame pose
(printed face up, grid centre at the origin, board x along world X); the rest show a board
held by a person around the treadmill, each facing a pair of neighbouring cameras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.calibration.board import board_center, make_board, square_length
from pipeline.config import BoardConfig, CalibrationConfig, SynthConfig
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import (
    Camera,
    look_at,
    optical_axis_angle_deg,
    project,
    undistort_to_normalized,
)
from pipeline.core.progress import progress
from pipeline.io.video import video_writer

TEXTURE_PX_PER_SQUARE = 160  # finest level: ~2 texels per pixel for the closest boards
MARGIN_SQUARES = 0.5  # white border printed around the square grid
BACKGROUND_GREY = 128.0

# Hand-held board, as the recording protocol asks (docs/calibration.md): every frame faces a
# pair of neighbouring cameras (turned between them, so both see the print), and is placed by
# its "lead" camera of the pair (the two alternate): at a distance from it spread over
# HELD_DISTANCE (near and far views: focal length vs distance) and at an image position
# spread over the lead camera's whole image, corners and edges included (lens model).
HELD_DISTANCE = (0.4, 1.3)  # lead camera to board centre, times the camera's distance from
# the rig's axis (demo rig: 1.28-4.16 m), stratified per camera
# (denser towards both ends: the gate judges 10th / 90th pct)
HELD_WIDE_DISTANCE = (0.7, 1.0)  # the same for frames of a camera's wider pairs (2.24-3.2 m)
HELD_WIDE_PAIR_DEG = 90.0  # pairs whose optical axes are further apart ...
HELD_WIDE_PAIR_SHARE = 0.85  # ... get this share of the frames of the other pairs
HELD_IMAGE_SPREAD = 0.8  # board centre within this share of the half-width / half-height
HELD_LEAD_WEIGHT = (0.5, 0.75)  # face turned this share of the way towards the lead camera
HELD_YAW_JITTER_DEG = 10.0  # around that facing direction
HELD_TILT_DEG = 25.0  # up / down around it
HELD_ROLL_DEG = 40.0  # in-plane rotation
HELD_MAX_VIEW_DEG = 60.0  # both cameras of the pair see the print within this of its normal
# Plausible for a person holding it: print between these heights (m) and at least
# HELD_CLEARANCE_M from every camera; poses outside are drawn again.
HELD_HEIGHT_M = (0.05, 2.1)
HELD_CLEARANCE_M = 1.0

# Close-up lens recording, one camera at a time (`calibration.intrinsics.source = videos`):
# the board would fill LENS_FILL of the image width face-on, its centre over the middle
# 2 x LENS_IMAGE_SPREAD of the image (the print reaches the corners), its face turned
# LENS_TILT_DEG away from the camera about a random axis in its plane. Near, tilted
# views are what separate the focal length and principal point from the board's pose: from
# the rig videos alone (boards 1.3-4 m away, 10-25 % of the image) a camera's principal point
# is poorly determined (standard errors: docs/calibration.md).
LENS_FILL = (0.5, 1.0)
LENS_TILT_DEG = (30.0, 55.0)
LENS_ROLL_DEG = 30.0
LENS_IMAGE_SPREAD = 0.4


@dataclass(frozen=True)
class BoardPose:
    """Board -> world: X_world = rotation @ X_board + translation (OpenCV board axes)."""

    rotation: np.ndarray
    translation: np.ndarray

    def world_points(self, board_points: np.ndarray) -> np.ndarray:
        return board_points @ self.rotation.T + self.translation


def floor_pose(board: cv2.aruco.CharucoBoard) -> BoardPose:
    """Flat on the floor, printed face up (board z = -world Z), grid centre at the origin."""
    R = np.diag([1.0, -1.0, -1.0])
    return BoardPose(R, -R @ board_center(board))


def held_pose(
    board: cv2.aruco.CharucoBoard,
    center: np.ndarray,
    yaw_deg: float,
    tilt_deg: float,
    roll_deg: float,
) -> BoardPose:
    """Board centred at `center`, printed face looking along azimuth `yaw_deg`, tilted up by
    `tilt_deg` and turned in its plane by `roll_deg`."""
    yaw, tilt = np.radians(yaw_deg), np.radians(tilt_deg)
    face = np.array([np.cos(yaw) * np.cos(tilt), np.sin(yaw) * np.cos(tilt), np.sin(tilt)])
    # Axes of someone facing the print: x right, y down, z into the board (= board axes).
    R_viewer, _ = look_at(center + face, center)
    roll = cv2.Rodrigues(np.array([0.0, 0.0, np.radians(roll_deg)]))[0]
    R = R_viewer.T @ roll
    return BoardPose(R, center - R @ board_center(board))


def calibration_board_poses(
    cameras: CameraSet,
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
    synth_cfg: SynthConfig,
) -> list[BoardPose]:
    """The true board pose of every frame of the calibration videos (seeded)."""
    board = make_board(board_cfg)
    rng = np.random.default_rng(synth_cfg.seed)
    poses = [floor_pose(board)] * calib_cfg.floor_frames
    pairs = _neighbour_pairs(cameras)
    n = synth_cfg.calibration_frames
    frames = _pair_frames(cameras, pairs, n)
    # Each camera's lead frames get image spots from corner to corner, and distances
    # stratified over HELD_DISTANCE for its narrowest pair, over HELD_WIDE_DISTANCE for wider
    # pairs (cameras far apart cannot both see a board close to one of them, and a far board
    # turned half away from both is small and steep for both), shuffled.
    plan: dict[int, tuple[float, np.ndarray]] = {}
    for c in sorted({lead for lead, _ in frames}):
        mine = [k for k, (lead, _) in enumerate(frames) if lead == c]
        width = {k: optical_axis_angle_deg(cameras[c], cameras[frames[k][1]]) for k in mine}
        narrowest = min(width.values()) + 1e-6
        distances: dict[int, float] = {}
        for group, (near, far) in (
            ([k for k in mine if width[k] <= narrowest], HELD_DISTANCE),
            ([k for k in mine if width[k] > narrowest], HELD_WIDE_DISTANCE),
        ):
            spread = (np.arange(len(group)) + rng.uniform(size=len(group))) / max(len(group), 1)
            spread = (1 - np.cos(np.pi * spread)) / 2  # denser towards near and far
            distances.update(
                zip(rng.permutation(group), _radius(cameras[c]) * (near + spread * (far - near)))
            )
        spots = _image_spots(len(mine))[rng.permutation(len(mine))]
        plan.update({k: (distances[k], spot) for k, spot in zip(mine, spots)})
    outline = np.column_stack([BoardTexture.outline(board), np.zeros(4)])
    mid = board_center(board)
    for k, (lead, partner) in enumerate(frames):
        distance, spot = plan[k]
        pose = None
        for attempt in range(101):  # not seen by both / out of reach: the board moves
            step = attempt / 100  # towards the image centre and the rig's axis
            reach = distance + step * (_radius(cameras[lead]) - distance)
            draw = _held_pose_from(
                board, cameras[lead], cameras[partner], reach, spot * (1 - step), rng
            )
            if _plausible(draw, outline, cameras):
                pose = pose or draw
                if all(
                    _faces(draw, cameras[c], mid, HELD_DISTANCE[1] * _radius(cameras[c]))
                    for c in (lead, partner)
                ):
                    pose = draw
                    break
        if pose is None:
            raise RuntimeError(
                f"no plausible board pose for frame {k} (lead "
                f"{cameras[lead].name}, {distance:.2f} m)"
            )
        poses.append(pose)
    return poses


def lens_board_poses(
    camera: Camera, board_cfg: BoardConfig, frames: int, rng: np.random.Generator
) -> list[BoardPose]:
    """True board poses of a close-up lens recording of `camera` (LENS_* above)."""
    board = make_board(board_cfg)
    print_width = float(np.ptp(BoardTexture.outline(board)[:, 0]))
    width = camera.size[0]
    spots = _image_spots(frames)[rng.permutation(frames)]
    poses = []
    for spot in spots:
        xy = _jittered_spot(spot, LENS_IMAGE_SPREAD, rng)
        distance = camera.matrix[0, 0] * print_width / (rng.uniform(*LENS_FILL) * width)
        center = _point_at(camera, xy, distance)
        face = (camera.center - center) / np.linalg.norm(camera.center - center)
        axis = np.cross(face, rng.normal(size=3))
        axis *= np.radians(rng.uniform(*LENS_TILT_DEG)) / np.linalg.norm(axis)
        yaw, tilt = _azimuth_elevation_deg(cv2.Rodrigues(axis)[0] @ face)
        poses.append(
            held_pose(board, center, yaw, tilt, rng.uniform(-LENS_ROLL_DEG, LENS_ROLL_DEG))
        )
    return poses


def _pair_frames(cameras: CameraSet, pairs: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """(lead, partner) camera indices for each of `n` held frames: the pairs interleaved, a
    pair's two cameras leading in turn. Pairs whose optical axes are more than
    HELD_WIDE_PAIR_DEG apart get HELD_WIDE_PAIR_SHARE as many frames as the others: a board
    both of them see is turned ~55 deg or more from each, where corners are least accurate,
    so they get fewer, enough to link them (demo rig: 14 of 60 frames each, 16 for the
    narrower pairs)."""
    weight = np.array(
        [
            HELD_WIDE_PAIR_SHARE
            if optical_axis_angle_deg(cameras[a], cameras[b]) > HELD_WIDE_PAIR_DEG
            else 1.0
            for a, b in pairs
        ]
    )
    counts = np.floor(n * weight / weight.sum()).astype(int)
    for p in np.argsort(-(n * weight / weight.sum() - counts), kind="stable")[: n - counts.sum()]:
        counts[p] += 1
    slots = sorted(
        ((i + 0.5) / count, p, i) for p, count in enumerate(counts) for i in range(count)
    )
    return [(pairs[p][i % 2], pairs[p][1 - i % 2]) for _, p, i in slots]


def _radius(camera: Camera) -> float:
    """Horizontal distance from the rig's vertical axis (the treadmill centre)."""
    return float(np.hypot(*camera.center[:2]))


def _faces(pose: BoardPose, camera: Camera, board_mid: np.ndarray, max_distance: float) -> bool:
    """The print's centre is in `camera`'s image, at most `max_distance` away, and seen within
    HELD_MAX_VIEW_DEG of its normal."""
    center = pose.world_points(board_mid)
    to_cam = camera.center - center
    if np.linalg.norm(to_cam) > max_distance:
        return False
    cos = -pose.rotation[:, 2] @ to_cam / np.linalg.norm(to_cam)
    if cos < np.cos(np.radians(HELD_MAX_VIEW_DEG)):
        return False
    px = project(camera, center[None])[0]
    return bool(
        np.isfinite(px).all() and (0 <= px[0] < camera.size[0]) and (0 <= px[1] < camera.size[1])
    )


def _neighbour_pairs(cameras: CameraSet) -> list[tuple[int, int]]:
    """Indices of cameras next to each other by azimuth around the treadmill, as pairs."""
    az = [np.arctan2(c.center[1], c.center[0]) for c in cameras]
    order = list(np.argsort(az))
    if len(order) == 2:
        return [(int(order[0]), int(order[1]))]
    return [(int(order[i]), int(order[(i + 1) % len(order)])) for i in range(len(order))]


def _image_spots(count: int) -> np.ndarray:
    """`count` board-centre spots in [-1, 1]^2 image units: a 3 x 3 pattern (corners, edge
    middles, centre) repeated, so every camera's image is covered out to its corners."""
    grid = np.array([(x, y) for y in (-1, 0, 1) for x in (-1, 0, 1)], float)
    return grid[np.arange(count) % len(grid)]


def _held_pose_from(
    board,
    lead: Camera,
    partner: Camera,
    distance: float,
    spot: np.ndarray,
    rng: np.random.Generator,
) -> BoardPose:
    """Board centred `distance` from `lead` at image spot `spot` (+ jitter), facing between
    `lead` and `partner` (more towards the lead), then jittered in yaw, tilt and roll."""
    center = _point_at(lead, _jittered_spot(spot, HELD_IMAGE_SPREAD, rng), distance)
    to_lead = (lead.center - center) / np.linalg.norm(lead.center - center)
    to_partner = (partner.center - center) / np.linalg.norm(partner.center - center)
    weight = rng.uniform(*HELD_LEAD_WEIGHT)
    yaw, tilt = _azimuth_elevation_deg(weight * to_lead + (1 - weight) * to_partner)
    return held_pose(
        board,
        center,
        yaw + rng.uniform(-HELD_YAW_JITTER_DEG, HELD_YAW_JITTER_DEG),
        tilt + rng.uniform(-HELD_TILT_DEG, HELD_TILT_DEG),
        rng.uniform(-HELD_ROLL_DEG, HELD_ROLL_DEG),
    )


def _jittered_spot(spot: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Image spot (in [-1, 1]^2 image units) moved by up to +-0.25, then scaled by `spread`."""
    return np.clip(spot + rng.uniform(-0.25, 0.25, 2), -1, 1) * spread


def _point_at(camera: Camera, xy: np.ndarray, distance: float) -> np.ndarray:
    """The world point `distance` from `camera` along the (undistorted) ray through image
    spot `xy` ([-1, 1]^2: image corners at +-1)."""
    half = np.array(camera.size) / 2
    ray = np.array([*(xy * half / np.diag(camera.matrix)[:2]), 1.0])
    return camera.center + distance * (camera.rotation.T @ ray) / np.linalg.norm(ray)


def _azimuth_elevation_deg(direction: np.ndarray) -> tuple[float, float]:
    """(azimuth, elevation) of a world direction: `held_pose`'s yaw and tilt."""
    direction = np.asarray(direction, float)
    return (
        np.degrees(np.arctan2(direction[1], direction[0])),
        np.degrees(np.arcsin(np.clip(direction[2] / np.linalg.norm(direction), -1, 1))),
    )


def _plausible(pose: BoardPose, outline: np.ndarray, cameras: CameraSet) -> bool:
    """The printed outline between HELD_HEIGHT_M and HELD_CLEARANCE_M from every camera."""
    points = pose.world_points(outline)
    if points[:, 2].min() < HELD_HEIGHT_M[0] or points[:, 2].max() > HELD_HEIGHT_M[1]:
        return False
    return all(np.linalg.norm(points - c.center, axis=1).min() >= HELD_CLEARANCE_M for c in cameras)


class BoardTexture:
    """The printed board (grid plus white margin) as a pyramid of pre-blurred float images."""

    def __init__(self, board: cv2.aruco.CharucoBoard):
        nx, ny = board.getChessboardSize()
        self.px_per_m = TEXTURE_PX_PER_SQUARE / square_length(board)
        self.margin_px = int(round(MARGIN_SQUARES * TEXTURE_PX_PER_SQUARE))
        grid = board.generateImage(
            (nx * TEXTURE_PX_PER_SQUARE, ny * TEXTURE_PX_PER_SQUARE), marginSize=0
        )
        m = self.margin_px
        level = cv2.copyMakeBorder(grid, m, m, m, m, cv2.BORDER_CONSTANT, value=255)
        self.levels: list[np.ndarray] = [level.astype(np.float32)]
        while min(self.levels[-1].shape) > 32:
            self.levels.append(cv2.pyrDown(self.levels[-1]))
        self.outline_m = self.outline(board)

    @staticmethod
    def outline(board: cv2.aruco.CharucoBoard) -> np.ndarray:
        """(4, 2) board-plane corners (m) of the print: the grid plus its white margin."""
        nx, ny = board.getChessboardSize()
        side = square_length(board)
        lo, hi = -MARGIN_SQUARES * side, np.array([nx + MARGIN_SQUARES, ny + MARGIN_SQUARES]) * side
        return np.array([[lo, lo], [hi[0], lo], [hi[0], hi[1]], [lo, hi[1]]])

    def texel(self, board_xy: np.ndarray) -> np.ndarray:
        """Level-0 texture coordinates of board points (metres), texel k spanning [k, k+1)."""
        return board_xy * self.px_per_m + self.margin_px

    def level_for(self, texels_per_pixel: float) -> int:
        if not np.isfinite(texels_per_pixel) or texels_per_pixel <= 1.0:
            return 0
        return int(min(np.floor(np.log2(texels_per_pixel)), len(self.levels) - 1))


def pixel_rays(camera: Camera) -> np.ndarray:
    """(h, w, 2) float32 undistorted normalized coordinates of every pixel centre."""
    w, h = camera.size
    grid = np.stack(np.meshgrid(np.arange(w, dtype=float), np.arange(h, dtype=float)), -1)
    return undistort_to_normalized(camera, grid).astype(np.float32)


def background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Grey, smoothly mottled background (floor, walls) so the scene is not a flat field."""
    w, h = size
    coarse = rng.normal(0.0, 1.0, (h // 24 + 2, w // 24 + 2)).astype(np.float32)
    smooth = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)).astype(np.float32), (0, 0), 2.0)
    return BACKGROUND_GREY + 20.0 * smooth + 15.0 * fine


def render_board(
    image: np.ndarray,
    camera: Camera,
    rays: np.ndarray,
    texture: BoardTexture,
    pose: BoardPose,
    see_through: bool = False,
) -> None:
    """Paint the board into `image` (float32, in place) where the camera sees its print;
    `see_through`: also from behind (a print on clear film or glass), where it shows mirrored."""
    R_cam, t_cam = camera.rotation, camera.tvec
    R = R_cam @ pose.rotation
    t = R_cam @ pose.translation + t_cam
    if R[:, 2] @ t <= 0 and not see_through:
        return  # camera behind the print: the back of a board carries no pattern
    box = _image_box(camera, texture, pose)
    if box is None:
        return
    x0, y0, x1, y1 = box
    board_from_ray = np.linalg.inv(np.column_stack([R[:, 0], R[:, 1], t]))
    r = rays[y0:y1, x0:x1]
    bh = r @ board_from_ray[:, :2].T + board_from_ray[:, 2]
    in_front = bh[..., 2] > 0
    board_xy = bh[..., :2] / np.where(in_front, bh[..., 2], np.nan)[..., None]

    level = texture.level_for(_texels_per_pixel(camera, texture, board_from_ray, box))
    tex = (texture.texel(board_xy) - 0.5) / 2**level  # level-L pixel j: centre 2^L j + 0.5
    tex = np.nan_to_num(tex, nan=-1e6).astype(np.float32)
    patch = cv2.remap(
        texture.levels[level],
        tex[..., 0],
        tex[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=np.nan,
    )
    region = image[y0:y1, x0:x1]
    np.copyto(region, patch, where=~np.isnan(patch))


def _image_box(
    camera: Camera, texture: BoardTexture, pose: BoardPose
) -> tuple[int, int, int, int] | None:
    """Pixel bounding box (x0, y0, x1, y1) of the board's print, or None if out of view."""
    edge = np.linspace(0.0, 1.0, 25)[:, None]
    corners = texture.outline_m
    outline = np.concatenate([a + edge * (b - a) for a, b in zip(corners, np.roll(corners, -1, 0))])
    px = project(camera, pose.world_points(np.column_stack([outline, np.zeros(len(outline))])))
    px = px[np.isfinite(px).all(axis=1)]
    if len(px) == 0:
        return None
    w, h = camera.size
    x0, y0 = np.clip(np.floor(px.min(0)).astype(int) - 2, 0, [w, h])
    x1, y1 = np.clip(np.ceil(px.max(0)).astype(int) + 3, 0, [w, h])
    return None if x1 <= x0 or y1 <= y0 else (x0, y0, x1, y1)


def _texels_per_pixel(
    camera: Camera,
    texture: BoardTexture,
    board_from_ray: np.ndarray,
    box: tuple[int, int, int, int],
) -> float:
    """Texture footprint of one pixel at the box centre, along its most compressed axis."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    pixels = np.array([[cx, cy], [cx + 1, cy], [cx, cy + 1]])
    rays = np.column_stack([undistort_to_normalized(camera, pixels), np.ones(3)])
    bh = rays @ board_from_ray.T
    tex = texture.texel(bh[:, :2] / bh[:, 2:])
    return float(max(np.linalg.norm(tex[1] - tex[0]), np.linalg.norm(tex[2] - tex[0])))


def render_frame(
    camera: Camera,
    rays: np.ndarray,
    texture: BoardTexture,
    pose: BoardPose,
    scene: np.ndarray,
    synth_cfg: SynthConfig,
    rng: np.random.Generator,
    see_through: bool = False,
) -> np.ndarray:
    """One grey uint8 frame: background, board, optics blur, sensor noise."""
    image = scene.copy()
    render_board(image, camera, rays, texture, pose, see_through)
    if synth_cfg.blur_sigma_px > 0:
        image = cv2.GaussianBlur(image, (0, 0), synth_cfg.blur_sigma_px)
    if synth_cfg.image_noise_sigma > 0:
        image += synth_cfg.image_noise_sigma * rng.standard_normal(image.shape, dtype=np.float32)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def write_calibration_videos(
    cameras: CameraSet,
    board_cfg: BoardConfig,
    calib_cfg: CalibrationConfig,
    synth_cfg: SynthConfig,
    out_dir: Path,
    fps: float,
    poses: list[BoardPose] | None = None,
    see_through: bool = False,
) -> list[Path]:
    """Write `<camera name>.mp4` per camera (frame k of every video is the same instant).
    The true board poses are `calibration_board_poses(...)` with the same arguments, or
    `poses`; `see_through`: the print shows (mirrored) to cameras behind it too."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texture = BoardTexture(make_board(board_cfg))
    if poses is None:
        poses = calibration_board_poses(cameras, board_cfg, calib_cfg, synth_cfg)
    paths = []
    for index, camera in enumerate(cameras):
        rng = np.random.default_rng([synth_cfg.seed, index])
        paths.append(
            _write_board_video(
                out_dir / f"{camera.name}.mp4",
                camera,
                texture,
                poses,
                synth_cfg,
                rng,
                fps,
                f"render {camera.name}",
                see_through,
            )
        )
    return paths


def write_lens_videos(
    cameras: CameraSet, board_cfg: BoardConfig, synth_cfg: SynthConfig, out_dir: Path, fps: float
) -> list[Path]:
    """Write `<camera name>.mp4`: each camera's close-up lens recording, `lens_frames`
    frames (lens_board_poses, seeded per camera; not synchronized with the other cameras)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texture = BoardTexture(make_board(board_cfg))
    paths = []
    for index, camera in enumerate(cameras):
        rng = np.random.default_rng([synth_cfg.seed, index, 1])
        poses = lens_board_poses(camera, board_cfg, synth_cfg.lens_frames, rng)
        paths.append(
            _write_board_video(
                out_dir / f"{camera.name}.mp4",
                camera,
                texture,
                poses,
                synth_cfg,
                rng,
                fps,
                f"render {camera.name} lens",
            )
        )
    return paths


def _write_board_video(
    path: Path,
    camera: Camera,
    texture: BoardTexture,
    poses: list[BoardPose],
    synth_cfg: SynthConfig,
    rng: np.random.Generator,
    fps: float,
    label: str,
    see_through: bool = False,
) -> Path:
    """One camera's video of the board at `poses` (background and noise drawn from `rng`)."""
    rays = pixel_rays(camera)
    scene = background(camera.size, rng)
    with video_writer(path, fps, camera.size) as write:
        for pose in progress(poses, label):
            frame = render_frame(camera, rays, texture, pose, scene, synth_cfg, rng, see_through)
            write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    return path
