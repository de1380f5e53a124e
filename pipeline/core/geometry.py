"""Pinhole cameras with OpenCV's lens model, as plain data plus functions.

Conventions (also in docs/formats.md):
- World -> camera: x_cam = R @ X_world + t, R from the Rodrigues vector `rvec`, metres.
- Camera axes: x right, y down, z forward (OpenCV).
- Distortion `dist` = [k1, k2, p1, p2, k3] (OpenCV order), applied to normalized coordinates.
- Pixel coordinates have their origin at the centre of the top-left pixel (OpenCV).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np


@dataclass(frozen=True)
class Camera:
    name: str
    size: tuple[int, int]  # (width, height) in pixels
    matrix: np.ndarray  # 3x3 intrinsic matrix K, pixels
    dist: np.ndarray  # [k1, k2, p1, p2, k3]
    rvec: np.ndarray = field(default_factory=lambda: np.zeros(3))  # world->camera Rodrigues
    tvec: np.ndarray = field(default_factory=lambda: np.zeros(3))  # world->camera, metres

    def __post_init__(self):
        object.__setattr__(self, "matrix", np.asarray(self.matrix, float).reshape(3, 3))
        d = np.zeros(5)
        src = np.asarray(self.dist, float).ravel()
        d[: min(5, src.size)] = src[:5]
        object.__setattr__(self, "dist", d)
        object.__setattr__(self, "rvec", np.asarray(self.rvec, float).reshape(3))
        object.__setattr__(self, "tvec", np.asarray(self.tvec, float).reshape(3))
        object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))

    @property
    def rotation(self) -> np.ndarray:
        return rodrigues_to_matrix(self.rvec)

    @property
    def center(self) -> np.ndarray:
        """Optical centre in world coordinates (metres)."""
        return -self.rotation.T @ self.tvec

    @property
    def extrinsic(self) -> np.ndarray:
        """4x4 world->camera transform."""
        return to_homogeneous(self.rotation, self.tvec)

    def with_pose(self, rotation: np.ndarray, tvec: np.ndarray) -> Camera:
        return replace(self, rvec=matrix_to_rodrigues(rotation), tvec=np.asarray(tvec, float))


def rodrigues_to_matrix(rvec: np.ndarray) -> np.ndarray:
    return cv2.Rodrigues(np.asarray(rvec, float).reshape(3, 1))[0]


def matrix_to_rodrigues(rotation: np.ndarray) -> np.ndarray:
    return cv2.Rodrigues(np.asarray(rotation, float))[0].ravel()


def to_homogeneous(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = rotation
    T[:3, 3] = translation
    return T


def look_at(
    center: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    """World->camera (R, t) for a camera at `center` looking at `target`, image 'up' near `up`."""
    center = np.asarray(center, float)
    z = np.asarray(target, float) - center
    z /= np.linalg.norm(z)
    x = np.cross(z, np.asarray(up, float))
    if np.linalg.norm(x) < 1e-9:
        raise ValueError("camera looks straight along 'up'; pick another up vector")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ center


def distort_normalized(xy: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Apply OpenCV's radial-tangential model to normalized coordinates (..., 2)."""
    k1, k2, p1, p2, k3 = dist
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd, yd], axis=-1)


def camera_coordinates(cam: Camera, points: np.ndarray) -> np.ndarray:
    """World points (..., 3) -> camera-frame points (..., 3)."""
    return np.asarray(points, float) @ cam.rotation.T + cam.tvec


def project(cam: Camera, points: np.ndarray) -> np.ndarray:
    """World points (..., 3) -> pixels (..., 2). Points behind the camera give NaN."""
    pc = camera_coordinates(cam, points)
    z = pc[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        xy = pc[..., :2] / z[..., None]
    xy = np.where((z > 1e-9)[..., None], xy, np.nan)
    xyd = distort_normalized(xy, cam.dist)
    K = cam.matrix
    u = K[0, 0] * xyd[..., 0] + K[0, 1] * xyd[..., 1] + K[0, 2]
    v = K[1, 1] * xyd[..., 1] + K[1, 2]
    return np.stack([u, v], axis=-1)


def undistort_to_normalized(cam: Camera, pixels: np.ndarray) -> np.ndarray:
    """Pixels (..., 2) -> ideal normalized coordinates (..., 2); NaN stays NaN."""
    px = np.asarray(pixels, float)
    flat = px.reshape(-1, 2)
    out = np.full_like(flat, np.nan)
    ok = np.isfinite(flat).all(axis=1)
    if ok.any():
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12)
        und = cv2.undistortPointsIter(  # type: ignore[call-overload]  # stubs: R, P not None
            flat[ok].reshape(-1, 1, 2), cam.matrix, cam.dist, None, None, criteria
        )
        out[ok] = und.reshape(-1, 2)
    return out.reshape(px.shape)


def rigid_transform(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares rotation R and translation t with dst ~= src @ R.T + t (Kabsch)."""
    src = np.asarray(src, float)
    dst = np.asarray(dst, float)
    cs, cd = src.mean(0), dst.mean(0)
    U, _, Vt = np.linalg.svd((src - cs).T @ (dst - cd))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    return R, cd - R @ cs


def transform_rig(cameras: Iterable[Camera], R: np.ndarray, t: np.ndarray) -> list[Camera]:
    """Re-express cameras after the world change X_new = R @ X_old + t."""
    out = []
    for cam in cameras:
        R_new = cam.rotation @ R.T
        out.append(cam.with_pose(R_new, cam.tvec - R_new @ t))
    return out


def optical_axis_angle_deg(a: Camera, b: Camera) -> float:
    """Angle between two cameras' viewing directions (their z axes in the world), degrees."""
    return float(np.degrees(np.arccos(np.clip(a.rotation[2] @ b.rotation[2], -1.0, 1.0))))


def rotation_angle_deg(Ra: np.ndarray, Rb: np.ndarray) -> float:
    """Angle of the rotation taking Ra to Rb, degrees."""
    c = (np.trace(Ra.T @ Rb) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))
