"""One gait event's corner fit: the time a foot keypoint's height leaves (or meets) its
contact level, from its raw heights near a coarse contact edge (events.py step 3).

A threshold crossing is early by threshold / speed and filtering rounds the corner further,
so the corner is fitted instead. Ground side: h = L, with L the median height of that keypoint
over up to LEVEL_WINDOW_S of the same contact after a strike, over all of it before a toe-off
(a per-contact floor level: the keypoint's offset above the floor is unknown and the 3D noise
changes across an overground runway; the roll over the tip just before a toe-off is no floor
level, see fit_event). Air side (s = time from the event):
h = L + b s^2, a foot that arrives (leaves) with no vertical speed, as a heel lowered onto the
floor or a toe peeled off it; h = L + a s + b s^2 (a, b >= 0), a foot that hits the floor with
vertical speed, is taken only when it lowers the squared residuals by more than
LINEAR_PENALTY x the contact's noise variance (robust SD of the level samples), so noise alone
does not buy the extra freedom that pulls the fit early. Least squares over +-2 half-windows
(`half`: events.EventOptions.fit_window_s in frames) of samples less than STRIKE_FIT_CAP_M /
TOE_OFF_FIT_CAP_M above L (the Taylor model holds near contact only; where the trial's height
noise is comparable to that cap, CHOICE_NOISE_SDS, the samples are chosen on the low-passed
heights); the event is the best candidate on a GRID_STEP grid within one half-window of the
coarse edge.
"""

from __future__ import annotations

import numpy as np

GRID_STEP = 0.05  # frames, sub-frame resolution of the event fit
# Heights (above the stance level) the corner model is fitted to: the touchdown of the heel
# is quadratic only in its last ~15 mm (a larger cap made strikes late by 2-5 frames on the
# synthetic runner); the toe leaves quadratically over more.
STRIKE_FIT_CAP_M, TOE_OFF_FIT_CAP_M = 0.015, 0.035
LEVEL_WINDOW_S = 0.06  # contact samples next to the event giving its floor level and noise
LINEAR_PENALTY = 8.0  # noise variances a vertical-speed term must save to be used
MIN_NOISE_M = 0.0005  # floor of that SD: the Taylor model itself is not exact to better
# A fit cap (above the contact level) within this many SDs of the height noise: which samples
# lie below it is decided by their noise as much as by the foot, so they are chosen on the
# low-passed heights instead (fit_event).
CHOICE_NOISE_SDS = 3.0


def fit_event(
    height: np.ndarray,
    above: np.ndarray,
    edge: int,
    contact: tuple[int, int],
    half: int,
    fps: float,
    threshold: float,
    strike: bool,
    linear_penalty: float = LINEAR_PENALTY,
    choose_smooth: bool = False,
    start_cut_ok: bool = False,
) -> float:
    """Event time (frames) near `edge` from the corner fit of the module docstring; NaN when
    the fit stretch is cut by a gap or the trial's ends (with `start_cut_ok`, a strike's may be
    cut by the start where the foot is seen above the fit cap at the cut: what that drops the
    fit would not use), or the contact has no level.
    `above`: the low-passed heights (any offset). `choose_smooth`: the samples below the fit
    cap are chosen on `above` rather than on `height`'s own samples, where the noise is
    comparable to the cap (CHOICE_NOISE_SDS): chosen on themselves, the samples the noise
    pushed down are kept and those it pushed up dropped, and the fit follows the noise.
    Elsewhere the raw samples choose: the low-pass rounds a fast foot's corner."""
    lo, hi = edge - 2 * half, edge + 2 * half + 1
    # A runner entering the volume mid-swing: the trial's start cuts a strike's air side (a
    # toe-off cut by the end opens no stride and was left alone: docs/metrics.md). Checked
    # below, once the contact's level is known.
    start_cut = start_cut_ok and strike and lo < 0
    lo = max(lo, 0) if start_cut else lo
    if lo < 0 or hi > height.size or not np.isfinite(height[lo:hi]).all():
        return np.nan
    # Floor level and noise of this contact from the keypoint's own samples on the ground:
    # the noise from those next to the event (after a strike, before a toe-off); the level
    # there too for a strike, but for a toe-off from all of the contact before it: as the
    # foot rolls over its tip, a cue point not exactly at the pivot dips below the level it
    # held while the foot was flat (marker keypoints: 3-8 mm), and a level taken from the
    # roll alone puts the lift-off at the dip, a frame early.
    on = np.arange(*contact)
    on = on[(above[on] < threshold) & np.isfinite(height[on])]
    n_level = int(LEVEL_WINDOW_S * fps) + 1
    near = on[on >= edge][:n_level] if strike else on[on <= edge][-n_level:]
    if near.size < 3:
        return np.nan
    ground = near if strike else on[on <= edge]
    level = float(np.median(height[ground]))
    if start_cut and not above[0] - float(np.median(above[ground])) > STRIKE_FIT_CAP_M:
        return np.nan  # not seen above the fit's heights: the cut may hide samples it uses
    spread = height[near] - np.median(height[near])
    noise = max(1.4826 * float(np.median(np.abs(spread))), MIN_NOISE_M)
    frames = np.arange(lo, hi, dtype=float)
    grid = np.arange(edge - half, edge + half + GRID_STEP / 2, GRID_STEP)
    chosen = above[lo:hi] - float(np.median(above[ground])) if choose_smooth else None
    return corner_time(
        frames, height[lo:hi] - level, grid, strike, fps, linear_penalty * noise**2, chosen
    )


def corner_time(
    frames: np.ndarray,
    y: np.ndarray,
    grid: np.ndarray,
    strike: bool,
    fps: float,
    linear_cost: float,
    chosen: np.ndarray | None = None,
) -> float:
    """The candidate of `grid` (frames) that best fits heights `y` above the contact level at
    `frames` (any order, several events pooled) with the corner model of the module
    docstring; `linear_cost`: the drop in squared residuals the speed term must buy.
    `chosen`: the heights that choose the samples below the fit cap (default `y`)."""
    cap = STRIKE_FIT_CAP_M if strike else TOE_OFF_FIT_CAP_M
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(y) & ((y if chosen is None else chosen) <= cap)
    frames, y = frames[keep], y[keep]
    if frames.size < 3:
        return np.nan
    # Time on the air side of each candidate (s, ms scale for conditioning), 0 on the ground.
    s = np.maximum((grid[:, None] - frames[None]) * (1 if strike else -1), 0.0) * 1000 / fps
    s2 = s * s
    b = np.maximum((s2 @ y) / np.maximum((s2 * s2).sum(axis=1), 1e-30), 0.0)
    sse = ((y - b[:, None] * s2) ** 2).sum(axis=1)  # h = L + b s^2
    design = np.stack([s, s2], axis=-1)  # h = L + a s + b s^2
    coef = np.einsum("gij,j->gi", np.linalg.pinv(design), y)
    sse_linear = ((np.einsum("gnj,gj->gn", design, coef) - y) ** 2).sum(axis=1)
    sse_linear = np.where((coef >= 0).all(axis=1), sse_linear + linear_cost, np.inf)
    return float(grid[np.argmin(np.minimum(sse, sse_linear))])
