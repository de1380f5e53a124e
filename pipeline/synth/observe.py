"""The `synthetic` 2D detector: true keypoints seen through each camera, with detector errors.

`observe(points, cameras, noise)` -> (C, F, K, 3) array of [x_px, y_px, score], the same layout
a real pose backend produces. Missing keypoints are NaN with score 0.

Error model (`SyntheticNoiseConfig`) and why its defaults are what they are:
- Projection: the true 3D point through the full camera model (lens distortion included).
  Points behind the camera or outside the image are missing.
- Pixel noise: isotropic Gaussian, `pixel_sigma` px per axis. The default 1 px at 1080p is a
  good 2D detector on a sharp frame (top-down HRNet/RTMPose-class models land within a few px of
  annotations; annotator spread itself is ~1-2 px at this scale).
- Score: Beta distributed around `score_mean` (concentration BETA_CONCENTRATION, sd ~0.07 at
  the default 0.9), like the peaked confidence of a detector on a clearly visible joint.
- Far-side occlusion (`far_side_occlusion`): when a camera sees the runner from the side, the
  keypoints of the limb side facing away are NOT removed: detectors still guess them, with a low
  score and a larger error (OCCLUDED_SCORE_MEAN, OCCLUDED_NOISE_FACTOR x pixel_sigma). This is
  what score weighting and `min_score` in triangulation must cope with.
- Left/right swaps (`swap_rate`): on that share of frames, independently per camera, every
  left/right label pair is exchanged (LEFT_RIGHT_SWAP), the classic detector failure on a runner
  seen from the side or back. Scores look normal.
- Gross outliers (`outlier_rate`): that share of keypoints is moved `outlier_px` in a uniformly
  random direction (a detector locking onto the wrong limb or a background object); the score
  looks normal, so only geometry can reject them.
- Dropouts (`dropout_rate`): that share of keypoints is missing at random.

A real detector (`detector_errors.py`; all off by default, on in
conf/detector/synthetic_real.yaml, sizes measured in docs/synthetic.md):
- Keypoint definition bias (`keypoint_bias_m`): a model's "hip" or "knee" is not the joint
  centre. Each keypoint is moved by a fixed 3D offset in the frame of its segment (long axis,
  the pelvis's left-right axis, their normal), mirrored between left and right, before it is
  projected: the same point in every view, so no geometry can see it.
- Calibration error (`calibration_error_mm`, `calibration_error_deg`): the detector sees
  through cameras moved and turned from the ones given (the true rig here; in a study, the
  pipeline uses its own calibration of the true rig). The observations are then consistent
  with a slightly different rig than the one the triangulation is given.
- Per-camera offsets (`camera_offset_px`): a constant 2D shift per camera.
- Heavy tails (`noise_dof`): the pixel noise is a bivariate Student-t with that many degrees
  of freedom and scale `pixel_sigma` (0 = Gaussian).
- Swap bursts (`swap_burst_rate`, `swap_burst_frames`): runs of consecutive frames, in one
  view at a time, with every left/right pair exchanged.
- Hidden-limb dropouts (`hidden_dropout_rate`, `hidden_dropout_frames`): far-side limbs
  vanish in runs (a Markov chain per camera, side and limb), not frame by frame.
- Person size (`reference_height_px`, `min_pixel_sigma`): the pixel errors (noise scale,
  per-camera offsets, gross errors) are sized for a person `reference_height_px` tall in the
  image; per camera and frame they are multiplied by the person's height there over it
  (`detector_errors.size_factor`), as a top-down model's errors follow its crop. The noise
  scale never drops below `min_pixel_sigma`.

Everything is drawn from one generator seeded with (noise.seed, rng_seed_offset), so the same
inputs give the same observations; pass a different offset per trial for independent noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.config import SyntheticNoiseConfig
from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, project
from pipeline.core.skeleton import INDEX, KEYPOINTS, LEFT_RIGHT_SWAP
from pipeline.synth import detector_errors as real

BETA_CONCENTRATION = 20.0
OCCLUDED_SCORE_MEAN = 0.3
OCCLUDED_NOISE_FACTOR = 4.0
# A camera sees the runner "from the side" when its horizontal viewing direction is within
# 60 deg of the body's left-right axis; nearer the front or back both sides are visible.
SIDE_VIEW_COS = np.cos(np.radians(60.0))

_LEFT = np.array([name.startswith("left_") for name in KEYPOINTS])
_RIGHT = np.array([name.startswith("right_") for name in KEYPOINTS])


@dataclass(frozen=True)
class Observation:
    keypoints: np.ndarray  # (C, F, K, 3) x_px, y_px, score; NaN, NaN, 0 where missing
    swapped: np.ndarray  # (C, F) bool: frames whose left/right labels were exchanged
    outlier: np.ndarray  # (C, F, K) bool: gross errors, indexed by the REPORTED label
    dropped: np.ndarray  # (C, F, K) bool: dropouts (random and hidden-limb)
    occluded: np.ndarray  # (C, F, K) bool: far-side keypoints (low score, larger error)
    offset_px: np.ndarray  # (C, 2) each camera's constant pixel shift (at the reference height)
    bias_m: np.ndarray  # (F, K, 3) keypoint definition bias added to the true 3D
    cameras: CameraSet  # the cameras the detector saw through (calibration error applied)


def observe(
    points: np.ndarray, cameras: CameraSet, noise: SyntheticNoiseConfig, rng_seed_offset: int = 0
) -> np.ndarray:
    """(C, F, K, 3) [x_px, y_px, score] observations of 3D `points` (F, K, 3); see module doc."""
    return observe_with_truth(points, cameras, noise, rng_seed_offset).keypoints


def observe_with_truth(
    points: np.ndarray, cameras: CameraSet, noise: SyntheticNoiseConfig, rng_seed_offset: int = 0
) -> Observation:
    """`observe`, plus masks of the errors it injected (for tests and error analyses)."""
    points = np.asarray(points, float)
    rng = np.random.default_rng([noise.seed, rng_seed_offset])
    extra = [
        np.random.default_rng([noise.seed, rng_seed_offset, stream])
        for stream in (real.STREAM_TAILS, real.STREAM_BURSTS, real.STREAM_HIDDEN)
    ]
    bias = (
        real.keypoint_bias(points, real.bias_table(noise.keypoint_bias_m, noise.seed))
        if noise.keypoint_bias_m > 0
        else np.zeros_like(points)
    )
    seen = real.perturb_cameras(
        cameras, noise.calibration_error_mm, noise.calibration_error_deg, noise.seed
    )
    offsets = real.camera_offsets(
        cameras, noise.camera_offset_px, noise.seed, scale_to_image=noise.reference_height_px == 0
    )
    views = [
        _observe_view(points, bias, cam, view, offset, noise, rng, extra)
        for cam, view, offset in zip(cameras, seen, offsets)
    ]
    keypoints, swapped, outlier, dropped, occluded = (np.stack(parts) for parts in zip(*views))
    return Observation(
        keypoints, swapped, outlier, dropped, occluded, offset_px=offsets, bias_m=bias, cameras=seen
    )


def _observe_view(
    points: np.ndarray,
    bias: np.ndarray,
    cam: Camera,
    view: Camera,
    offset: np.ndarray,
    noise: SyntheticNoiseConfig,
    rng: np.random.Generator,
    extra: list[np.random.Generator],
):
    """One camera: `cam` as given, `view` the camera the detector actually sees through."""
    n_frames, n_kp = points.shape[:2]
    tails, bursts, hidden_rng = extra
    xy = project(view, points + bias)
    size = real.size_factor(xy, noise.reference_height_px)[:, None]  # (F, 1)
    xy = xy + offset * size[..., None]
    far = far_side_mask(points, cam)
    occluded = far.copy() if noise.far_side_occlusion else np.zeros((n_frames, n_kp), bool)

    sigma = np.where(occluded, OCCLUDED_NOISE_FACTOR * noise.pixel_sigma, noise.pixel_sigma)
    sigma = np.maximum(noise.min_pixel_sigma, sigma * size)
    draw = rng.normal(size=xy.shape)
    if noise.noise_dof > 0:
        draw *= real.student_t_factor(tails, noise.noise_dof, (n_frames, n_kp))[..., None]
    xy = xy + draw * sigma[..., None]
    score = np.where(
        occluded,
        _beta(rng, OCCLUDED_SCORE_MEAN, (n_frames, n_kp)),
        _beta(rng, noise.score_mean, (n_frames, n_kp)),
    )

    outlier = rng.random((n_frames, n_kp)) < noise.outlier_rate
    angle = rng.uniform(0.0, 2 * np.pi, (n_frames, n_kp))
    shift = noise.outlier_px * size[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    xy = np.where(outlier[..., None], xy + shift, xy)

    swapped = rng.random(n_frames) < noise.swap_rate
    swapped |= real.burst_mask(bursts, n_frames, noise.swap_burst_rate, noise.swap_burst_frames)
    hidden = real.hidden_dropouts(
        hidden_rng, far, noise.hidden_dropout_rate, noise.hidden_dropout_frames
    )
    obs = np.concatenate([xy, score[..., None]], axis=-1)
    obs[swapped] = obs[swapped][:, LEFT_RIGHT_SWAP]
    # The masks follow the labels as reported, so they line up with `obs`.
    outlier[swapped] = outlier[swapped][:, LEFT_RIGHT_SWAP]
    occluded[swapped] = occluded[swapped][:, LEFT_RIGHT_SWAP]
    hidden[swapped] = hidden[swapped][:, LEFT_RIGHT_SWAP]

    dropped = (rng.random((n_frames, n_kp)) < noise.dropout_rate) | hidden
    width, height = cam.size
    x, y = obs[..., 0], obs[..., 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)  # False for NaN
    missing = dropped | ~inside
    obs[missing] = (np.nan, np.nan, 0.0)
    return obs, swapped, outlier & ~missing, dropped, occluded & ~missing


def far_side_mask(points: np.ndarray, cam: Camera) -> np.ndarray:
    """(F, K) True for keypoints on the body side facing away from `cam`, on frames where the
    camera sees the runner from the side. Body left-right axis from the hips and shoulders."""
    lateral = (
        points[:, INDEX["left_hip"]]
        - points[:, INDEX["right_hip"]]
        + points[:, INDEX["left_shoulder"]]
        - points[:, INDEX["right_shoulder"]]
    )
    to_camera = cam.center - points[:, INDEX["hip"]]
    lateral[:, 2] = 0.0
    to_camera[:, 2] = 0.0
    cos = np.einsum("fi,fi->f", lateral, to_camera) / (
        np.linalg.norm(lateral, axis=1) * np.linalg.norm(to_camera, axis=1)
    )
    left_far = cos < -SIDE_VIEW_COS  # the camera is on the runner's right
    right_far = cos > SIDE_VIEW_COS
    return (left_far[:, None] & _LEFT[None]) | (right_far[:, None] & _RIGHT[None])


def _beta(rng: np.random.Generator, mean: float, shape) -> np.ndarray:
    """Scores in (0, 1) with the given mean (mean clipped away from 0 and 1)."""
    m = float(np.clip(mean, 1e-3, 1 - 1e-3))
    return rng.beta(m * BETA_CONCENTRATION, (1 - m) * BETA_CONCENTRATION, shape)
