"""Sub-pixel refinement of ChArUco corners that keeps the markers out of the estimate.

OpenCV's ChArUco detector refines each corner with `cornerSubPix` in a square window sized
by the distance to the nearest marker corner. Where the board is foreshortened (the floor
board seen at ~19 deg elevation, tilted hand-held boards) that window takes in marker edges
and corners, whose gradients pull the estimate: on noise-free renderings of the demo rig the
detector's floor-board corners were 0.26-0.37 px rms off the true projections (up to 1.56 px)
and about as far (0.19-0.37 px rms, up to 1.11 px) on a 4x4-supersampled rendering from the
full-resolution texture, so this is the detector, not the renderer; `cornerSubPix` started
at the true corners with a window clear of the markers lands within 0.05 px.

Here each corner is re-estimated with the same criterion as `cornerSubPix` (the point q where
every image gradient g at a pixel p is orthogonal to p - q, least squares), but only over the
pixels whose gradient can come from nothing but the corner's own two edge lines: the marker-
free cross around the corner (less than the marker margin from one of the two lines, less
than a square from the corner along both), shrunk by `GUARD_PX` pixels from every other edge.
The cross is found in board coordinates through the board -> image homography of the frame's
corners, so it follows any foreshortening. Noise-free, the refined floor-board corners were
0.05-0.06 px rms off (tests/test_calibration_corners.py).
"""

from __future__ import annotations

import cv2
import numpy as np

RADIUS_PX = 10  # pixels used lie within this box around the detector's corner
GUARD_PX = 1.5  # distance kept from other edges: gradient support (1 px) + optics blur
MIN_PIXELS = 10
# Pixels from the corner to the nearest marker edge: below this the cross left after the
# guard is under a pixel wide, too thin to locate the corner, and the detector's corner is
# kept. The floor board of the half-resolution rig (960 x 540, 1.3-2.9 px) tilted the world
# frame by 0.11 deg refined throughout, 0.08 deg with a limit of 2 px, 0.035 deg with 2.5
# (0.040 deg unrefined); the 1080p floor board (2.55-3.6 px) is refined throughout.
MIN_CLEAN_PX = 2.5
MIN_CORNERS = 6  # for the frame's board -> image homography
ITERATIONS = 2  # the second pass takes the homography from the refined corners
MAX_SHIFT_PX = RADIUS_PX / 2


def refine_corners(
    gray: np.ndarray, board_xy: np.ndarray, corners: np.ndarray, side: float, marker: float
) -> np.ndarray:
    """(n, 2) refined pixels (centres at integers) of detected corners `corners` (n, 2, same
    convention) at board positions `board_xy` (n, 2, metres); `side` / `marker`: the square
    and marker lengths. Corners that cannot be refined (too near the image border, too few
    usable pixels, fewer than `MIN_CORNERS` in the frame) keep their position."""
    if len(board_xy) < MIN_CORNERS:
        return corners
    margin = (side - marker) / 2  # corner to the markers' edges, metres
    out = np.asarray(corners, float).copy()
    for _ in range(ITERATIONS):
        H, _ = cv2.findHomography(board_xy, out)
        if H is None:
            return out
        out = _refine(gray, H, board_xy, out, side, margin)
    return out


def _refine(
    image: np.ndarray,
    H: np.ndarray,
    board_xy: np.ndarray,
    pixels: np.ndarray,
    side: float,
    margin: float,
) -> np.ndarray:
    """One least-squares pass over all corners at once (arrays (n, pixels of the box))."""
    h, w = image.shape
    r = RADIUS_PX
    centre = np.rint(pixels).astype(int)
    inside = np.all((centre >= r + 2) & (centre < np.array([w, h]) - r - 2), axis=1)
    out = pixels.copy()
    if not inside.any():
        return out
    k = np.flatnonzero(inside)
    offsets = np.arange(-r - 1, r + 2)
    rows = centre[k, 1, None, None] + offsets[None, :, None]  # (n, 2r+3, 1)
    cols = centre[k, 0, None, None] + offsets[None, None, :]  # (n, 1, 2r+3)
    patch = image[rows, cols].astype(np.float32)  # (n, 2r+3, 2r+3)
    # 3x3 Sobel / 8 (the image gradient per pixel) on the box interior
    smooth_y = patch[:, :-2] + 2 * patch[:, 1:-1] + patch[:, 2:]
    smooth_x = patch[:, :, :-2] + 2 * patch[:, :, 1:-1] + patch[:, :, 2:]
    gx = ((smooth_y[:, :, 2:] - smooth_y[:, :, :-2]) / 8).reshape(len(k), -1)
    gy = ((smooth_x[:, 2:] - smooth_x[:, :-2]) / 8).reshape(len(k), -1)
    inner = np.arange(-r, r + 1)
    px = (centre[k, 0, None, None] + inner[None, None, :]).repeat(2 * r + 1, 1).reshape(len(k), -1)
    py = (centre[k, 1, None, None] + inner[None, :, None]).repeat(2 * r + 1, 2).reshape(len(k), -1)
    # Board offsets (du, dv) of every pixel from its corner, and the guard in board units
    # across each edge line (metres per pixel along its normal, from the local Jacobian).
    Hinv = np.linalg.inv(H)
    bx = Hinv[0, 0] * px + Hinv[0, 1] * py + Hinv[0, 2]
    by = Hinv[1, 0] * px + Hinv[1, 1] * py + Hinv[1, 2]
    bw = Hinv[2, 0] * px + Hinv[2, 1] * py + Hinv[2, 2]
    du = bx / bw - board_xy[k, 0, None]
    dv = by / bw - board_xy[k, 1, None]
    xh = np.column_stack([board_xy[k], np.ones(len(k))]) @ H.T
    jacobian = (H[None, :2, :2] - (xh[:, :2] / xh[:, 2:])[:, :, None] * H[None, 2:3, :2]) / xh[
        :, 2, None, None
    ]  # pixels per metre
    per_px = np.linalg.norm(np.linalg.inv(jacobian), axis=2)  # (n, 2) metres / pixel
    guard = GUARD_PX * per_px
    gu, gv = guard[:, :1], guard[:, 1:]
    cross = (np.abs(du) < margin - gu) | (np.abs(dv) < margin - gv)
    square = (np.abs(du) < side - gu) & (np.abs(dv) < side - gv)
    use = (cross & square).astype(float)
    gxx, gxy, gyy = (use * gx * gx).sum(1), (use * gx * gy).sum(1), (use * gy * gy).sum(1)
    bu = (use * (gx * gx * px + gx * gy * py)).sum(1)
    bv = (use * (gx * gy * px + gy * gy * py)).sum(1)
    A = np.stack([np.stack([gxx, gxy], -1), np.stack([gxy, gyy], -1)], -2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (use.sum(1) >= MIN_PIXELS) & (np.linalg.cond(A) < 1e6)
    ok &= margin / per_px.max(axis=1) >= MIN_CLEAN_PX
    refined = np.full((len(k), 2), np.nan)
    if ok.any():
        refined[ok] = np.linalg.solve(A[ok], np.column_stack([bu, bv])[ok, :, None])[..., 0]
    # Far from the start is a degenerate fit (e.g. one edge line hidden): keep the detector's.
    ok &= np.linalg.norm(refined - pixels[k], axis=1) <= MAX_SHIFT_PX
    out[k[ok]] = refined[ok]
    return out
