"""Cross-view agreement of two cameras' keypoints at a trial time lag.

The measure is the Sampson distance (first-order distance to the epipolar constraint) between
camera i's keypoint and camera j's, in "undistorted pixels" (normalized plane x mean focal):
with the cameras in step it is the detector noise plus the calibration error; out of step, the
runner's motion between the two instants adds to it wherever it crosses the epipolar lines.
No triangulation is needed, so a lag costs one pass of elementwise arithmetic.

Both cameras are read at fractional frames (linear interpolation), at instants with a fixed
random phase within the frame. Interpolating halfway averages two noisy detections and lowers
the residual's noise (to 1/2 of the variance at w = 0.5), which pulls a lag towards half
frames; each residual is therefore divided by its expected noise scale (`noise_scale`): with
that, the noise is the same at every lag and phase. Random phases alone left a random ripple
over the lags (~1 % of the noise variance over 300 instants) that, at 3 px noise with 12 px
far-side guesses, moved a pair's minimum by up to 0.7 frame with a small jackknife error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.geometry import Camera, undistort_to_normalized


def normalized_observations(
    points2d: np.ndarray, cameras: CameraSet, min_score: float
) -> np.ndarray:
    """(C, F, K, 3) px + score -> (C, F, K, 2) ideal normalized coordinates; NaN where the
    keypoint is missing or below min_score."""
    pts = np.asarray(points2d, float)
    out = np.full(pts.shape[:3] + (2,), np.nan)
    for c, cam in enumerate(cameras):
        xy = pts[c, ..., :2].copy()
        xy[~(np.nan_to_num(pts[c, ..., 2], nan=0.0) >= min_score)] = np.nan
        out[c] = undistort_to_normalized(cam, xy)
    return out


def essential(cam_i: Camera, cam_j: Camera) -> np.ndarray:
    """E with x_j^T E x_i = 0 for normalized homogeneous points of the same 3D point."""
    R = cam_j.rotation @ cam_i.rotation.T
    t = cam_j.tvec - R @ cam_i.tvec
    tx = np.array([[0.0, -t[2], t[1]], [t[2], 0.0, -t[0]], [-t[1], t[0], 0.0]])
    return tx @ R


def interpolate(obs: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(F, K, 2) observations read at fractional `frames` (n,) -> (n, K, 2); NaN outside the
    recording or where either neighbouring frame is missing (never extrapolated)."""
    n_frames = obs.shape[0]
    frames = np.asarray(frames, float)
    a = np.floor(frames).astype(int)
    if np.array_equal(a, frames):  # whole frames: a plain read
        out = obs[np.clip(a, 0, n_frames - 1)]
        out[(a < 0) | (a > n_frames - 1)] = np.nan
        return out
    w = (frames - a)[:, None, None]
    inside = (a >= 0) & (a <= n_frames - 1) & ~((a == n_frames - 1) & (w[:, 0, 0] > 0))
    a0 = np.clip(a, 0, n_frames - 1)
    a1 = np.clip(a + 1, 0, n_frames - 1)
    out = (1.0 - w) * obs[a0] + w * obs[a1]
    # a weight of exactly 0 must not let a missing neighbour through (0 * NaN is NaN anyway)
    out[~inside] = np.nan
    return out


@dataclass(frozen=True)
class Pair:
    """Two cameras' normalized observations and their epipolar geometry."""

    i: int
    j: int
    obs_i: np.ndarray  # (F, K, 2)
    obs_j: np.ndarray
    E: np.ndarray
    focal: float  # px per normalized unit (mean of both cameras' focal lengths)

    @classmethod
    def of(cls, obs: np.ndarray, cameras: CameraSet, i: int, j: int) -> Pair:
        focal = float(
            np.mean(
                [
                    cameras[i].matrix[0, 0],
                    cameras[i].matrix[1, 1],
                    cameras[j].matrix[0, 0],
                    cameras[j].matrix[1, 1],
                ]
            )
        )
        return cls(i, j, obs[i], obs[j], essential(cameras[i], cameras[j]), focal)

    def signed_residuals(
        self, times: np.ndarray, lag: float, xi: np.ndarray | None = None
    ) -> np.ndarray:
        """Signed Sampson distances (n, K) px between camera i at reference instants `times` and
        camera j at `times - lag` (lag = d_j - d_i, offsets in the sync.json sense); `xi`:
        camera i already read at `times`."""
        if xi is None:
            xi = interpolate(self.obs_i, times)
        times = np.asarray(times, float)
        xj = interpolate(self.obs_j, times - lag)
        return sampson(xi, xj, self.E) * self.focal / noise_scale(times, times - lag)[:, None]


def noise_scale(frames_i: np.ndarray, frames_j: np.ndarray) -> np.ndarray:
    """(n,) the detector noise of an interpolated pair relative to whole frames: a point read
    at weight w between two frames has (1 - w)^2 + w^2 of one frame's noise variance (half at
    w = 0.5). Dividing by it makes the residual's noise the same at every lag and phase."""
    wi = frames_i - np.floor(frames_i)
    wj = frames_j - np.floor(frames_j)
    g = 0.5 * ((1 - wi) ** 2 + wi**2 + (1 - wj) ** 2 + wj**2)
    return np.sqrt(g)


def sampson(xi: np.ndarray, xj: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Signed first-order distance (normalized units) of (xi, xj) (..., 2) to x_j^T E x_i = 0."""
    ui, vi = xi[..., 0], xi[..., 1]
    uj, vj = xj[..., 0], xj[..., 1]
    # E x_i and E^T x_j, written out (no (n, 3) temporaries)
    a0 = E[0, 0] * ui + E[0, 1] * vi + E[0, 2]
    a1 = E[1, 0] * ui + E[1, 1] * vi + E[1, 2]
    a2 = E[2, 0] * ui + E[2, 1] * vi + E[2, 2]
    b0 = E[0, 0] * uj + E[1, 0] * vj + E[2, 0]
    b1 = E[0, 1] * uj + E[1, 1] * vj + E[2, 1]
    algebraic = uj * a0 + vj * a1 + a2
    return algebraic / np.sqrt(a0 * a0 + a1 * a1 + b0 * b0 + b1 * b1)
