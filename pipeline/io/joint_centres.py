"""Joint centres from markers where no landmark sits on the joint (docs/references.md).

- Hip: Harrington et al. 2007 regression from the pelvis markers (ASIS and PSIS, or a
  sacrum marker in place of the PSIS midpoint).
- Knee and ankle from clusters: a functional centre, the point fixed in the proximal
  segment's cluster frame that keeps a constant distance to every distal marker over the
  trial (sphere fit, Gamage & Lasenby 2002; the symmetric idea of Ehrig et al. 2006). A hinge
  (the knee, the ankle in running) pins down only its axis; the centre is then taken on that
  axis at the point nearest a reference point fixed in the same segment (the hip centre for
  the knee, the knee centre for the ankle), which puts it mid-joint rather than at the
  cluster on the skin.

All functions take (F, 3) or (F, n, 3) arrays in metres and return (F, 3), NaN where the
markers they need are missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Harrington 2007, table 2, the regression on pelvis width (PW) and depth (PD), millimetres,
# in the pelvis frame (origin mid-ASIS, x anterior, y superior, z right):
#   x = -0.24 PD - 9.9, y = -0.30 PW - 10.9, z = +-(0.33 PW + 7.3)
HARRINGTON_MM = {"x_pd": -0.24, "x_0": -9.9, "y_pw": -0.30, "y_0": -10.9, "z_pw": 0.33, "z_0": 7.3}
# A hinge: the sphere fit's weakest direction is this much weaker than the next one.
HINGE_RATIO = 0.2


def _unit(v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def harrington_hip_centres(
    rasi: np.ndarray, lasi: np.ndarray, rear: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) hip joint centres, (F, 3) each. `rear` is the PSIS midpoint or the sacrum
    marker. Harrington ME, Zavatsky AB, Lawson SEM, Yuan Z, Theologis TN (2007) J Biomech
    40:595-602."""
    origin = 0.5 * (rasi + lasi)
    z = _unit(rasi - lasi)  # to the right
    forward = origin - rear
    x = _unit(forward - np.sum(forward * z, axis=-1, keepdims=True) * z)  # anterior
    y = np.cross(z, x)  # superior
    pw = np.linalg.norm(rasi - lasi, axis=-1, keepdims=True) * 1000.0
    pd = np.linalg.norm(forward, axis=-1, keepdims=True) * 1000.0
    c = HARRINGTON_MM
    dx = (c["x_pd"] * pd + c["x_0"]) / 1000.0
    dy = (c["y_pw"] * pw + c["y_0"]) / 1000.0
    dz = (c["z_pw"] * pw + c["z_0"]) / 1000.0
    right = origin + dx * x + dy * y + dz * z
    left = origin + dx * x + dy * y - dz * z
    return right, left


def cluster_frames(cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, n, 3) rigid cluster (n >= 3) -> per frame rotation (F, 3, 3) and origin (F, 3)
    taking cluster-local coordinates to the world (Kabsch against the cluster's shape in its
    first complete frame). Frames with fewer than 3 of the markers are NaN; a frame with
    some markers missing is fitted on those present."""
    n_frames, n = cluster.shape[:2]
    valid = np.isfinite(cluster).all(axis=2)
    complete = np.nonzero(valid.all(axis=1))[0]
    rot = np.full((n_frames, 3, 3), np.nan)
    origin = np.full((n_frames, 3), np.nan)
    if n < 3 or complete.size == 0:
        return rot, origin
    ref = cluster[complete[0]] - cluster[complete[0]].mean(axis=0)
    for f in np.nonzero(valid.sum(axis=1) >= 3)[0]:
        ok = valid[f]
        local = ref[ok] - ref[ok].mean(axis=0)
        world_c = cluster[f, ok].mean(axis=0)
        h = local.T @ (cluster[f, ok] - world_c)
        u, _, vt = np.linalg.svd(h)
        d = np.sign(np.linalg.det(vt.T @ u.T))
        r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
        rot[f] = r
        origin[f] = world_c - r @ ref[ok].mean(axis=0)
    return rot, origin


def to_local(rot: np.ndarray, origin: np.ndarray, points: np.ndarray) -> np.ndarray:
    """World points (F, ..., 3) into the cluster frame of each frame."""
    shape = points.shape
    p = points.reshape(shape[0], -1, 3) - origin[:, None, :]
    return np.einsum("fji,fnj->fni", rot, p).reshape(shape)


def to_world(rot: np.ndarray, origin: np.ndarray, local: np.ndarray) -> np.ndarray:
    """A point fixed in the cluster frame (3,) -> world (F, 3)."""
    return np.einsum("fij,j->fi", rot, local) + origin


@dataclass(frozen=True)
class CentreFit:
    """How a functional joint centre was fitted: as a hinge (the axis point nearest `near`)
    or a ball joint, the fit's conditioning (smallest / second smallest singular value) and
    the SD of the distances to the distal markers (mm)."""

    hinge: bool
    conditioning: float
    radius_sd_mm: float


def functional_centre(
    proximal: np.ndarray, distal: np.ndarray, near: np.ndarray | None = None
) -> tuple[np.ndarray, CentreFit]:
    """The joint centre between a proximal cluster (F, n>=3, 3) and distal markers (F, m>=1, 3):
    the point fixed in the proximal frame whose distance to each distal marker stays constant
    (linear sphere fit). For a hinge the point on the axis nearest `near` (F, 3, world; fixed
    in the proximal segment) is taken. Returns the centre (F, 3) and how it was fitted."""
    rot, origin = cluster_frames(proximal)
    local = to_local(rot, origin, distal)  # (F, m, 3)
    rows, rhs = [], []
    m = distal.shape[1]
    for j in range(m):
        ok = np.isfinite(local[:, j]).all(axis=1)
        p = local[ok, j]
        block = np.zeros((len(p), 3 + m))
        block[:, :3] = 2.0 * p
        block[:, 3 + j] = 1.0
        rows.append(block)
        rhs.append(np.sum(p * p, axis=1))
    a = np.concatenate(rows)
    b = np.concatenate(rhs)
    if len(a) < 3 + m + 10:
        raise ValueError("too few frames with the proximal cluster and distal markers seen")
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    ratio = float(s[-1] / s[-2])
    hinge = near is not None and ratio < HINGE_RATIO
    keep = s.size - 1 if hinge else s.size
    x = vt[:keep].T @ ((u[:, :keep].T @ b) / s[:keep])
    centre = x[:3]
    if hinge and near is not None:
        axis = vt[-1, :3]
        near_local = np.nanmedian(to_local(rot, origin, near), axis=0)
        centre = centre + axis * float((near_local - centre) @ axis / (axis @ axis))
    radii = np.linalg.norm(local - centre, axis=2)
    spread_mm = float(np.nanmean(np.nanstd(radii, axis=0)) * 1000.0)
    return to_world(rot, origin, centre), CentreFit(
        hinge=bool(hinge), conditioning=ratio, radius_sd_mm=spread_mm
    )
