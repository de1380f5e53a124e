"""One person in the 3D: keypoints triangulated from another person are left out, never fused.

Why: when the runner is hidden in some views, a detector (and the runner selection) may report
a bystander there. Where two such views agree with each other and no view of the runner is left
for that keypoint, triangulation returns a consistent 3D point of the bystander, metres from the
runner's body (seen on the shared lab recording: docs/triangulation.md). Geometry per frame cannot tell; the body over time can.

Rule: the runner's track is the body centre (median of the measured trunk keypoints) per frame,
then a running robust straight line over +-TRACK_WINDOW_S (its level: the median of the centre
less the slope times the time; its slope: from the medians of the window's two halves), so that
another person present in less than a quarter of any window does not move it, and the track
follows a runner who crosses the volume (issue #26: a running median sat mid-runway where the
runner was seen in only part of its window, at the clip's ends and the volume's edges, and
called 48-90 % of an overground sprinter's views another person). On a treadmill the slope is
about zero and the line is the median. Then, per view: a camera whose detected trunk centre in a frame lies on a ray that
passes farther than MAX_TRUNK_OFFSET_M from the track shows someone else in that frame, and all
its keypoints of that frame are left out (the trial is triangulated again without them: a view
of another person mixed with one of the runner gives a point between the two). Last, per point:
a keypoint farther than MAX_BODY_RADIUS_M from the track cannot be the runner's (feet and raised
hands are within ~1.2 m of the mid-trunk) and is removed (a gap). A bystander closer than that
is not caught.
"""

from __future__ import annotations

import warnings

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.triangulation import linear

TRUNK = [
    INDEX[k] for k in ("neck", "left_shoulder", "right_shoulder", "hip", "left_hip", "right_hip")
]
MAX_BODY_RADIUS_M = 1.5
MAX_TRUNK_OFFSET_M = 0.6  # the 2D trunk centre's ray passes within ~0.2 m of the 3D one
TRACK_WINDOW_S = 1.0
MIN_TRUNK_POINTS = 2


def runner_track(points: np.ndarray, fps: float) -> np.ndarray:
    """(F, 3) robust body-centre track (NaN where no trunk was measured within the window).
    The running median is taken every ~TRACK_WINDOW_S / 10 and interpolated linearly between
    (exact for steady motion), so a 60 s trial costs a few hundred medians, not thousands."""
    n = len(points)
    if points.ndim != 3 or points.shape[1] != N_KEYPOINTS or n == 0:
        return np.full((n, 3), np.nan)  # no trunk keypoints known: no track
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        trunk = points[:, TRUNK]
        enough = np.isfinite(trunk[..., 0]).sum(axis=1) >= MIN_TRUNK_POINTS
        centre = np.where(enough[:, None], np.nanmedian(trunk, axis=1), np.nan)
        half = max(1, int(round(TRACK_WINDOW_S * fps)))
        grid = np.unique(np.r_[np.arange(0, n, max(1, half // 10)), n - 1])
        at = np.array([_robust_line_at(centre, f, half) for f in grid])
    track = np.full((n, 3), np.nan)
    known = np.isfinite(at[:, 0])
    if known.any():
        frames = np.arange(n)
        for d in range(3):
            track[:, d] = np.interp(frames, grid[known], at[known, d])
        # no trunk anywhere within a window: no track there
        covered = np.zeros(n, bool)
        for f in np.flatnonzero(enough):
            covered[max(0, f - half) : f + half + 1] = True
        track[~covered] = np.nan
        # where a frame's own trunk centre agrees with the line it is the runner's, exactly
        # (a runner who brakes or turns bends away from a line over +-1 s by up to ~0.5 m)
        with np.errstate(invalid="ignore"):
            agrees = np.linalg.norm(centre - track, axis=1) <= MAX_TRUNK_OFFSET_M
        track[agrees] = centre[agrees]
    return track


def _robust_line_at(centre: np.ndarray, frame: int, half: int) -> np.ndarray:
    """(3,) value at `frame` of a robust straight line through the finite `centre` rows within
    +-half frames: slope from the medians of the window's earlier and later halves (equal
    counts, so a bystander in under a quarter of the window cannot hold either half), level
    the median of centre - slope * time. NaN with no sample."""
    lo = max(0, frame - half)
    window = centre[lo : frame + half + 1]
    seen = np.isfinite(window[:, 0])
    if not seen.any():
        return np.full(3, np.nan)
    t = (np.arange(lo, lo + len(window)) - frame)[seen].astype(float)
    c = window[seen]
    early, late = t < np.median(t), t > np.median(t)
    slope = np.zeros(3)
    if early.sum() >= 2 and late.sum() >= 2:
        dt = np.median(t[late]) - np.median(t[early])
        slope = (np.median(c[late], axis=0) - np.median(c[early], axis=0)) / dt
    return np.median(c - slope * t[:, None], axis=0)


def other_person(points: np.ndarray, track: np.ndarray) -> np.ndarray:
    """(F, K) True for measured keypoints too far from the runner's `track` (F, 3, runner_track)
    to be the runner's. Skeletons other than Halpe-26 are not checked (no trunk keypoints)."""
    points = np.asarray(points, float)
    if points.shape[1] != N_KEYPOINTS or len(points) == 0:
        return np.zeros(points.shape[:2], bool)
    with np.errstate(invalid="ignore"):
        distance = np.linalg.norm(points - track[:, None], axis=-1)
        return distance > MAX_BODY_RADIUS_M


def other_person_views(
    points2d: np.ndarray, track: np.ndarray, cameras: CameraSet, min_score: float
) -> np.ndarray:
    """(C, F) True where a camera's detections in a frame are of someone else than the runner
    whose `track` (F, 3, runner_track of the 3D the views mostly agree on) is given."""
    obs = np.asarray(points2d, float)
    n_cams, n_frames, n_kp, _ = obs.shape
    out = np.zeros((n_cams, n_frames), bool)
    if n_kp != N_KEYPOINTS or n_frames == 0:
        return out
    rig = linear.Rig(list(cameras))
    trunk = obs[:, :, TRUNK]
    valid = np.isfinite(trunk[..., 0]) & (np.nan_to_num(trunk[..., 2]) >= min_score)
    x, y = linear.undistort(trunk[..., :2].reshape(n_cams, -1, 2), rig)
    shape = (n_cams, n_frames, len(TRUNK))
    x, y = np.where(valid, x.reshape(shape), np.nan), np.where(valid, y.reshape(shape), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cx, cy = np.nanmedian(x, axis=2), np.nanmedian(y, axis=2)  # (C, F)
    enough = valid.sum(axis=2) >= MIN_TRUNK_POINTS
    for c, cam in enumerate(cameras):
        rays = np.stack([cx[c], cy[c], np.ones(n_frames)], axis=-1) @ cam.rotation  # world dirs
        rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
        to_track = track - cam.center
        miss = np.linalg.norm(np.cross(to_track, rays), axis=-1)
        with np.errstate(invalid="ignore"):
            out[c] = enough[c] & (miss > MAX_TRUNK_OFFSET_M)
    return out
