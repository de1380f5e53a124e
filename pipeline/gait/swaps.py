"""Left/right swaps of the feet that survived triangulation, told from both feet together.

A detector that swaps the feet in some views for a few frames can leave one foot's 3D on the
other foot and the other 150-250 mm off (seen on the real treadmill runner at a real
detector's level); each foot alone stays a rigid foot, so the rigid-foot check (events.py)
does not see it. Both feet together do: at the swap's onset and at its end both feet jump at
once, each leaving its own straight-line motion by more than a foot can. The frames between
such a pair of joint jumps are a swap; which foot is where is then unknown, and both feet's
heights are left out of the event detection there.

A swap of a leg's labels in two views of four at once is not repaired by triangulation either:
it pulls the leg's points toward the other leg's for a few frames, with reprojection errors
and point SDs as usual, and the low-pass smooths it into the curves. Before the low-pass it
shows: the knee's samples scatter about a local quadratic many times more than in the side's
other stances (`swapped_stances`). Such a stance's reads are not the leg's: strides.py sets
them aside, named. That level assumes the side's stances share one noise level, as where the
runner stays in place (a treadmill); across a runway each stance lies at another place in the
volume and scatters at its own, so overground no stance is screened (docs/metrics.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.stats import f as f_dist

from pipeline.core.skeleton import INDEX
from pipeline.gait.angles import keypoint
from pipeline.gait.stance_fit import HALF_WINDOW

FOOT_KEYPOINTS = ("heel", "ankle", "big_toe")
# a foot's departure from its own straight-line motion (second difference) beyond this is a
# jump no foot makes: at least JUMP_M, and more than MAX_FOOT_ACCEL at low frame rates
JUMP_M = 0.08
MAX_FOOT_ACCEL = 300.0  # m/s^2
# a swap lasts at most this long (a longer run between jumps is not a detector's burst)
MAX_SWAP_S = 0.3


def _foot_centre(points: np.ndarray, side: str) -> np.ndarray:
    stack = np.stack([keypoint(points, f"{side}_{name}") for name in FOOT_KEYPOINTS])
    return np.mean(stack, axis=0)  # NaN where any is missing: no jump is read there


def _jumps(centre: np.ndarray, limit: float) -> np.ndarray:
    """Frames where a foot leaves its own straight-line motion by more than `limit` (the
    first frame of each such run: a step in position shows on two frames)."""
    error = np.full(len(centre), np.nan)
    error[2:] = np.linalg.norm(centre[2:] - 2 * centre[1:-1] + centre[:-2], axis=1)
    with np.errstate(invalid="ignore"):
        big = error > limit
    return np.flatnonzero(big & ~np.concatenate([[False], big[:-1]]))


def swapped_frames(points: np.ndarray, fps: float) -> np.ndarray:
    """(F,) bool: frames inside a left/right swap of the feet: both feet jump at once (within
    a frame), and again at once within MAX_SWAP_S; the frames between are the swap."""
    out = np.zeros(len(points), bool)
    if len(points) < 4:
        return out
    limit = max(JUMP_M, MAX_FOOT_ACCEL / fps**2)
    left = _jumps(_foot_centre(points, "left"), limit)
    right = _jumps(_foot_centre(points, "right"), limit)
    both = np.array([f for f in left if right.size and np.min(np.abs(right - f)) <= 1], int)
    longest = int(round(MAX_SWAP_S * fps))
    i = 0
    while i + 1 < len(both):
        start, stop = both[i], both[i + 1]
        if stop - start <= longest:
            out[start:stop] = True
            i += 2
        else:
            i += 1
    return out


# a read whose samples before the low-pass scatter about their quadratic more than the side's
# other stances' do, by a ratio an F distribution reaches with this probability, is not
# explained by the noise (planted_toe.scatter_factor, per read; docs/metrics.md)
SCATTER_P = 1e-3
# the swapped-stance screen's false-alarm rate per trial side, whatever the side's number of
# stances: a long trial does not lose good strides by its count alone (Holm's step-down over
# the side's stances, each tested over its windows by Bonferroni)
SWAP_P_PER_SIDE = 1e-3
# stances of the side (the tested one among them) below which no level is set
MIN_STANCES_FOR_LEVEL = 3
# the stance screen's windows (phases of the stance): a fit window's width (2 HALF_WINDOW)
# each, overlapping by half, so a burst of a few frames lies whole inside one of them
SCREEN_WINDOWS = tuple((start, start + 2 * HALF_WINDOW) for start in (0.0, 0.25, 0.5))


class Scatter(NamedTuple):
    """Samples about their weighted quadratic: reduced chi-square, its degrees of freedom,
    and the residuals over their SDs."""

    reduced_chi2: float
    dof: int
    residuals: np.ndarray


@dataclass(frozen=True)
class SuspectSwap:
    """A stance whose knee scatters beyond its side's level before the low-pass: the frames
    of the window that shows it, the ratio of reduced chi-squares and the F test's critical
    ratio it is beyond at its step of the side's family."""

    first_frame: int
    last_frame: int
    ratio: float
    critical: float
    tested: int  # the side's stances tested with it (the family, SWAP_P_PER_SIDE)


def scatter(raw: np.ndarray, sds: np.ndarray, lo: float, hi: float) -> Scatter | None:
    """The samples `raw` (SDs `sds`) within frames lo .. hi about their weighted quadratic;
    None without enough measured samples."""
    first, last = max(0, math.ceil(lo - 1e-9)), min(len(raw) - 1, math.floor(hi + 1e-9))
    frames = np.arange(first, last + 1)
    values, errors = raw[frames], sds[frames]
    ok = np.isfinite(values) & np.isfinite(errors) & (errors > 0)
    dof = int(ok.sum()) - 3
    if dof < 3:
        return None
    t, v, e = frames[ok] - 0.5 * (lo + hi), values[ok], errors[ok]
    z = (v - np.polyval(np.polyfit(t, v, 2, w=1.0 / e), t)) / e
    return Scatter(float(np.sum(z**2) / dof), dof, z)


class Level(NamedTuple):
    """`own`'s reduced chi-square over its level (the pooled one of the others) and the F
    distribution's degrees of freedom it is tested against."""

    ratio: float
    dof_own: float
    dof_others: float

    def critical(self, p: float) -> float:
        return float(f_dist.ppf(1.0 - p, self.dof_own, self.dof_others))

    def p_value(self) -> float:
        return float(f_dist.sf(self.ratio, self.dof_own, self.dof_others))


def against_level(own: Scatter | None, others: list[Scatter]) -> Level | None:
    """`own` against the pooled level of `others` (at least MIN_STANCES_FOR_LEVEL - 1 of
    them); None without one. A Birge ratio against the side's own level, not the point SDs',
    which over-cover by design (stance_fit.point_sd_from_3d). The F test assumes Gaussian
    noise and is not robust to heavier tails: both degrees of freedom are scaled by
    1 / (1 + excess kurtosis / 2) of the others' residuals (Box and Andersen 1955), never
    above the Gaussian's."""
    if own is None or len(others) < MIN_STANCES_FOR_LEVEL - 1:
        return None
    dof = sum(o.dof for o in others)
    level = sum(o.reduced_chi2 * o.dof for o in others) / dof
    if not level > 0.0:
        return None
    z = np.concatenate([o.residuals for o in others])
    excess = max(0.0, float(np.mean(z**4) / np.mean(z**2) ** 2) - 3.0)
    shrink = 1.0 / (1.0 + excess / 2.0)
    return Level(own.reduced_chi2 / level, shrink * own.dof, shrink * dof)


def beyond_level(
    own: Scatter | None, others: list[Scatter], p: float
) -> tuple[float, float] | None:
    """(ratio, critical ratio) where `own` against its level (`against_level`) is beyond
    what an F distribution reaches with probability `p`; else None."""
    found = against_level(own, others)
    if found is None:
        return None
    critical = found.critical(p)
    return (found.ratio, critical) if found.ratio > critical else None


def swapped_stances(
    raw_points: np.ndarray,
    point_sd: np.ndarray,
    forward_axis: np.ndarray,
    side: str,
    stances: list[tuple[float, float]],
    screen: np.ndarray | None = None,
) -> list[SuspectSwap | None]:
    """Per stance (strike, toe-off) of `side`: a SuspectSwap where the knee's forward position
    before the low-pass (`raw_points`, its SDs `point_sd`) scatters about a quadratic over one
    of SCREEN_WINDOWS beyond the same window's level in the side's other stances; else None.
    A stance's p-value is its smallest window's times the windows (Bonferroni); the side's
    stances are tested together at SWAP_P_PER_SIDE by Holm's step-down. The stances must
    share one noise level (a runner in place). `screen` (F,) bool: frames left out
    (stance_reader.hips_swapped)."""
    k = INDEX[f"{side}_knee"]
    axis = np.asarray(forward_axis, float)
    raw = np.asarray(raw_points, float)[:, k, :] @ axis
    if screen is not None and screen.any():
        raw = np.where(screen, np.nan, raw)
    sds = np.sqrt((np.asarray(point_sd, float)[:, k, :] ** 2) @ axis**2)
    stats = [
        [scatter(raw, sds, s + a * (t - s), s + b * (t - s)) for a, b in SCREEN_WINDOWS]
        for s, t in stances
    ]
    # per stance: (its p-value, the window that gives it, that window's test)
    tested: dict[int, tuple[float, int, Level]] = {}
    for n in range(len(stances)):
        for w in range(len(SCREEN_WINDOWS)):
            others = [f for m, row in enumerate(stats) if m != n and (f := row[w]) is not None]
            found = against_level(stats[n][w], others)
            if found is None:
                continue
            p = min(1.0, len(SCREEN_WINDOWS) * found.p_value())
            if n not in tested or p < tested[n][0]:
                tested[n] = (p, w, found)
    out: list[SuspectSwap | None] = [None] * len(stances)
    order = sorted(tested, key=lambda n: tested[n][0])
    for rank, n in enumerate(order):
        p, w, found = tested[n]
        family = SWAP_P_PER_SIDE / (len(order) - rank)
        if p > family:
            break  # Holm: the rest are not tested
        strike, toe_off = stances[n]
        a, b = SCREEN_WINDOWS[w]
        lo, hi = strike + a * (toe_off - strike), strike + b * (toe_off - strike)
        critical = found.critical(family / len(SCREEN_WINDOWS))
        out[n] = SuspectSwap(
            math.ceil(lo - 1e-9), math.floor(hi + 1e-9), found.ratio, critical, len(order)
        )
    return out
