"""The errors that make the synthetic detector behave like a real one.

Each is a plain function used by `observe.py`; sizes come from `SyntheticNoiseConfig` and what
they were measured from is in docs/synthetic.md ("A real detector").

Streams: properties of a model or of a camera set-up (keypoint definition bias, per-camera
offsets, calibration error) are drawn from `noise.seed` alone, so every trial of a study sees
the same ones; per-frame errors (noise, bursts, hidden dropouts) from (seed, trial offset).
Each error has its own stream, so turning one on leaves the others' draws unchanged.
"""

from __future__ import annotations

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import rodrigues_to_matrix
from pipeline.core.skeleton import INDEX, KEYPOINTS

STREAM_BIAS, STREAM_OFFSET, STREAM_CALIBRATION = 1001, 1002, 1003  # per study
STREAM_TAILS, STREAM_BURSTS, STREAM_HIDDEN = 2001, 2002, 2003  # per trial

REFERENCE_SHORT_SIDE_PX = 1080.0  # camera_offset_px is given at 1080p
MAX_OFFSET_FACTOR = 2.0  # a camera's offset is at most this x camera_offset_px

# The person's size in the image (`person_height_px`): the vertical extent of the trunk and
# legs, neck to the lowest foot point. Face and arms are left out: marker-based truth has no
# face, and raised arms would make a balancing person look taller than a runner.
SIZE_KEYPOINTS = tuple(
    INDEX[n]
    for n in (
        "neck",
        "left_shoulder",
        "right_shoulder",
        "hip",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
        "left_heel",
        "right_heel",
        "left_big_toe",
        "right_big_toe",
        "left_small_toe",
        "right_small_toe",
    )
)

# Keypoint definition bias: (proximal, distal) keypoints whose direction is the long axis of
# the segment the keypoint sits on ('*' = the keypoint's own side; pelvis, trunk and head:
# neck -> hip centre, pointing down), and
# the share of keypoint_bias_m it gets. Needham et al. 2021 (Sci Rep 11:20673, OpenPose /
# AlphaPose / DeepLabCut vs markers, walking, running, jumping): hip and knee 30-50 mm
# systematic, ankle 1-15 mm; the upper body was not measured there (half, a guess).
_TRUNK = ("neck", "hip")
_SEGMENT = {
    "knee": ("*hip", "*knee"),
    "ankle": ("*knee", "*ankle"),
    "heel": ("*heel", "*big_toe"),
    "big_toe": ("*heel", "*big_toe"),
    "small_toe": ("*heel", "*big_toe"),
    "elbow": ("*shoulder", "*elbow"),
    "wrist": ("*elbow", "*wrist"),
}
_SHARE = {"hip": 1.0, "knee": 1.0, "ankle": 0.25, "heel": 0.25, "big_toe": 0.25, "small_toe": 0.25}
UPPER_BODY_SHARE = 0.5

# Hidden-limb dropouts: the keypoints of one side that vanish together.
HIDDEN_GROUPS = (
    ("eye", "ear"),
    ("shoulder", "elbow", "wrist"),
    ("hip", "knee", "ankle"),
    ("heel", "big_toe", "small_toe"),
)


def _side_and_part(name: str) -> tuple[int, str]:
    for prefix, side in (("left_", 1), ("right_", -1)):
        if name.startswith(prefix):
            return side, name[len(prefix) :]
    return 0, name


def bias_table(keypoint_bias_m: float, seed: int) -> np.ndarray:
    """(K, 3) offset of each keypoint in its segment frame: (along the segment, outward,
    normal). Left and right share one offset, mirrored (outward is +lateral on the left,
    -lateral on the right); midline keypoints have no outward part. Length: keypoint_bias_m
    x its share."""
    rng = np.random.default_rng([seed, STREAM_BIAS])
    table = np.zeros((len(KEYPOINTS), 3))
    drawn: dict[str, np.ndarray] = {}
    for k, name in enumerate(KEYPOINTS):
        side, part = _side_and_part(name)
        if part not in drawn:
            d = rng.normal(size=3)
            if side == 0:
                d[1] = 0.0
            drawn[part] = d / np.linalg.norm(d)
        table[k] = keypoint_bias_m * _SHARE.get(part, UPPER_BODY_SHARE) * drawn[part]
    table[INDEX["hip"]] = 0.0  # the hip centre: mean of the two hips, set per frame
    return table


def keypoint_bias(points: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(F, K, 3) world offsets of `table` on the true skeleton `points` (F, K, 3). Segment
    frame: u = long axis (proximal -> distal), l = the pelvis's left-right axis (right hip ->
    left hip) made orthogonal to u, n = u x l (forward for a vertical segment, up for the foot)."""
    points = np.asarray(points, float)
    lateral = points[:, INDEX["left_hip"]] - points[:, INDEX["right_hip"]]
    out = np.zeros_like(points)
    for k, name in enumerate(KEYPOINTS):
        side, part = _side_and_part(name)
        if part == "hip" and side == 0:
            continue
        prefix = "right_" if side < 0 else "left_"
        a, b = (
            points[:, INDEX[prefix + s[1:]] if s.startswith("*") else INDEX[s]]
            for s in _SEGMENT.get(part, _TRUNK)
        )
        u = _unit(b - a)
        lat = _unit(lateral - np.einsum("fi,fi->f", lateral, u)[:, None] * u)
        n = np.cross(u, lat)
        c = table[k]
        out[:, k] = c[0] * u + (side or 1) * c[1] * lat + c[2] * n
    out[:, INDEX["hip"]] = 0.5 * (out[:, INDEX["left_hip"]] + out[:, INDEX["right_hip"]])
    return out


def camera_offsets(
    cameras: CameraSet, offset_px: float, seed: int, scale_to_image: bool = True
) -> np.ndarray:
    """(C, 2) constant pixel shift per camera: a 2D Gaussian with rms length offset_px, at
    most MAX_OFFSET_FACTOR x that; given at 1080p (short image side) and scaled to each
    camera's image, unless `scale_to_image` is False (the caller scales it with the person's
    size in the image, which already carries the image's resolution)."""
    rng = np.random.default_rng([seed, STREAM_OFFSET])
    out = rng.normal(size=(len(cameras), 2)) * offset_px / np.sqrt(2.0)
    cap = MAX_OFFSET_FACTOR * offset_px
    length = np.linalg.norm(out, axis=1, keepdims=True)
    out = np.where(length > cap, out * cap / np.maximum(length, 1e-12), out)
    if not scale_to_image:
        return out
    scale = np.array([min(cam.size) / REFERENCE_SHORT_SIDE_PX for cam in cameras])
    return out * scale[:, None]


def person_height_px(xy: np.ndarray) -> np.ndarray:
    """(...,) the person's height in the image from keypoints `xy` (..., K, 2): the vertical
    extent of SIZE_KEYPOINTS (missing ones ignored; NaN where fewer than two are there)."""
    y = np.asarray(xy, float)[..., SIZE_KEYPOINTS, 1]
    enough = np.isfinite(y).sum(axis=-1) >= 2
    with np.errstate(invalid="ignore"):
        top = np.min(np.where(np.isfinite(y), y, np.inf), axis=-1)
        bottom = np.max(np.where(np.isfinite(y), y, -np.inf), axis=-1)
    return np.where(enough, bottom - top, np.nan)


def size_factor(xy: np.ndarray, reference_height_px: float) -> np.ndarray:
    """(...,) the person's height in the image (`person_height_px` of `xy`, (..., K, 2)) over
    the reference height the pixel errors were sized at; 1 where scaling is off
    (reference 0) or the person's height cannot be told."""
    height = person_height_px(xy)
    if reference_height_px <= 0:
        return np.ones_like(height)
    factor = height / reference_height_px
    return np.where(np.isfinite(factor) & (factor > 0), factor, 1.0)


def perturb_cameras(cameras: CameraSet, error_mm: float, error_deg: float, seed: int) -> CameraSet:
    """Each camera's centre moved error_mm in a random direction and its orientation turned
    error_deg about a random axis through the centre (exact sizes, random directions)."""
    if error_mm == 0 and error_deg == 0:
        return CameraSet(list(cameras))
    rng = np.random.default_rng([seed, STREAM_CALIBRATION])
    out = []
    for cam in cameras:
        move = _unit(rng.normal(size=3)) * error_mm / 1000.0
        turn = rodrigues_to_matrix(_unit(rng.normal(size=3)) * np.radians(error_deg))
        R = turn @ cam.rotation
        centre = cam.center + move
        out.append(cam.with_pose(R, -R @ centre))
    return CameraSet(out)


def student_t_factor(rng: np.random.Generator, dof: float, shape) -> np.ndarray:
    """Factor turning a standard normal 2D draw into a bivariate Student-t one (shape = the
    leading dims; one factor per point, so the tail is isotropic)."""
    return 1.0 / np.sqrt(rng.chisquare(dof, shape) / dof)


def burst_mask(rng: np.random.Generator, n_frames: int, rate: float, lengths) -> np.ndarray:
    """(F,) bool: runs of swapped frames, each of a length drawn uniformly in [lo, hi], the
    gaps between them geometric so that the expected swapped share is `rate` (a burst that
    would run past the trial's end is not started, so every burst has its full length)."""
    lo, hi = int(lengths[0]), int(lengths[1])
    mask = np.zeros(n_frames, bool)
    if rate <= 0:
        return mask
    mean_gap = 0.5 * (lo + hi) * (1 - rate) / rate
    t = int(rng.geometric(1.0 / max(mean_gap, 1.0))) - 1
    while t < n_frames:
        length = int(rng.integers(lo, hi + 1))
        if t + length > n_frames:
            break
        mask[t : t + length] = True
        t += length + int(rng.geometric(1.0 / max(mean_gap, 1.0)))
    return mask


def hidden_dropouts(
    rng: np.random.Generator, far: np.ndarray, rate: float, mean_run: float
) -> np.ndarray:
    """(F, K) bool: per side and limb group (HIDDEN_GROUPS), a two-state Markov chain that is
    'lost' a share `rate` of the time in runs of mean length `mean_run` frames; a keypoint is
    dropped where its group's chain is lost and it is on the far side (`far`, (F, K))."""
    n_frames, n_kp = far.shape
    lost = np.zeros((n_frames, n_kp), bool)
    if rate <= 0:
        return lost
    groups = [
        [INDEX[f"{s}_{p}"] for p in parts] for s in ("left", "right") for parts in HIDDEN_GROUPS
    ]
    leave = 1.0 / mean_run
    enter = min(1.0, rate * leave / (1.0 - rate))
    state = rng.random(len(groups)) < rate
    steps = rng.random((n_frames, len(groups)))
    for f in range(n_frames):
        if f:
            state = np.where(state, steps[f] >= leave, steps[f] < enter)
        for g, members in enumerate(groups):
            lost[f, members] = state[g]
    return lost & far


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)
