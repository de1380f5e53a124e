"""Second stage: each camera against the 3D of all the others (leave-one-out reprojection).

With the other cameras read at their current offsets, their keypoints are triangulated once
(linear, normalized coordinates) at random-phase instants; the camera's own keypoints, read at
each candidate lag, are compared with the reprojection of that 3D. Two coordinates per keypoint
and the consensus of every other view measure more than one pair's epipolar line; the residual
is centred per keypoint as in estimate.py.
"""
from __future__ import annotations

import warnings

import numpy as np

from pipeline.geometry import Camera
from pipeline.sync.epipolar import interpolate


def triangulate_others(obs: np.ndarray, cameras: list[Camera], offsets: np.ndarray, skip: int,
                       instants: np.ndarray) -> np.ndarray:
    """(n, K, 3) points from every camera but `skip`, each read at instants - its offset;
    NaN where fewer than two of them see the keypoint."""
    n, K = instants.size, obs.shape[2]
    M = np.zeros((n, K, 4, 4))
    views = np.zeros((n, K), int)
    for c, cam in enumerate(cameras):
        if c == skip or not np.isfinite(offsets[c]):
            continue
        xy = interpolate(obs[c], instants - offsets[c])               # (n, K, 2)
        ok = np.isfinite(xy).all(axis=-1)
        P = np.hstack([cam.rotation, cam.tvec[:, None]])             # normalized camera
        x = np.where(ok, xy[..., 0], 0.0)[..., None]
        y = np.where(ok, xy[..., 1], 0.0)[..., None]
        r1 = x * P[2] - P[0]                                          # (n, K, 4)
        r2 = y * P[2] - P[1]
        w = ok[..., None, None]
        M += w * (r1[..., :, None] * r1[..., None, :] + r2[..., :, None] * r2[..., None, :])
        views += ok
    good = views >= 2
    out = np.full((n, K, 3), np.nan)
    if good.any():
        _, vec = np.linalg.eigh(M[good])
        h = vec[..., 0]
        out[good] = h[:, :3] / h[:, 3:4]
    return out


def project_normalized(cam: Camera, points: np.ndarray) -> np.ndarray:
    pc = points @ cam.rotation.T + cam.tvec
    with np.errstate(all="ignore"):
        return pc[..., :2] / pc[..., 2:3]


def residual_vectors(obs_c: np.ndarray, predicted: np.ndarray, instants: np.ndarray,
                     lag: float, focal: float) -> np.ndarray:
    """(n, K, 2) px: camera's keypoints at instants - lag minus the others' reprojection."""
    return (interpolate(obs_c, instants - lag) - predicted) * focal


def centred_norm(r: np.ndarray, bias: np.ndarray | None = None):
    if bias is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bias = np.nanmedian(r, axis=0)
    return np.linalg.norm(r - bias, axis=-1), bias
