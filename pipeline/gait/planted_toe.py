"""Knee over toe and hip ahead of toe at the knee's peak time, on noisy keypoints: the knee's
(hip's) forward position from a local quadratic around that time, the big toe's from a line
over the middle of the contact, where the toe is planted.

A quadratic of the distance (stance_reader.StanceReader.near) reads the toe from the same few
samples as the knee, three parameters on them; the planted toe moves as a straight line in
time (backward at belt speed on a treadmill, not at all overground), so a line over the part
of the contact where it is planted reads it from more samples with fewer parameters. The
knee and the toe are triangulated apart, so their noise is independent (the sum of their
variances is the distance's, as series_sd treats it). docs/metrics.md ("Knee over toe from
the planted toe") has the numbers.

A left/right swap in two views of four at once is not repaired by triangulation and leaves a
leg's points pulled toward the other leg's for a few frames, with reprojection errors and
point SDs as usual; the low-pass smooths it into the curve. Before the low-pass it shows: the
knee's samples scatter about its quadratic many times more than in the side's other stances.
Such a read's SD is scaled by that ratio (a Birge ratio against the side's own level, not the
point SDs', which over-cover by design, stance_fit.point_sd_from_3d).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import f as f_dist

from pipeline.core.skeleton import INDEX
from pipeline.gait.stance_fit import local_value_read

# phases of the stance where the big toe is planted: on the clean treadmill runner (2-5 m/s)
# the toe, less the belt's motion, stays within a few mm from a quarter to three quarters of
# the contact; before it the foot is still landing (up to 130 mm of travel), after it the toe
# lifts and rolls over its tip
PLANTED_PHASES = (0.25, 0.75)
# a knee read whose samples before the low-pass scatter about its quadratic more than the
# side's other stances' do, by a ratio an F distribution reaches with this probability on
# Gaussian noise, has its SD scaled by the square root of that ratio (docs/metrics.md: at
# 1e-2 it widened 3 good reads of the 261 it could test on seeds 0-29, about that rate)
SCATTER_P = 1e-3
# stances of the side (the read's own among them) below which no level is set
MIN_STANCES_FOR_LEVEL = 3


class PlantedToeReader:
    """One side's forward positions of knee, hip and big toe with their SDs (metres), read
    per stride. `screen` (F,) bool: frames left out (stance_reader.hips_swapped).
    `raw_points` (F, 26, 3): the points before the low-pass, whose scatter about the knee's
    fit tells a read the noise does not explain; `stances` [(strike, toe-off)]: the side's,
    whose reads set the level it is told against. Without them no read is scaled."""

    def __init__(
        self,
        points,
        point_sd,
        forward_axis,
        side: str,
        screen=None,
        raw_points=None,
        stances: list[tuple[float, float]] | None = None,
    ):
        axis = np.asarray(forward_axis, float)
        self.values, self.sds, self.raw = {}, {}, {}
        for part in ("knee", "hip", "big_toe"):
            k = INDEX[f"{side}_{part}"]
            values = np.asarray(points, float)[:, k, :] @ axis
            raw = None if raw_points is None else np.asarray(raw_points, float)[:, k, :] @ axis
            if screen is not None and screen.any():
                values = np.where(screen, np.nan, values)
                raw = None if raw is None else np.where(screen, np.nan, raw)
            self.values[part] = values
            self.raw[part] = raw
            # NaN where the keypoint was not measured: not an observation (stance_fit.series_sd)
            self.sds[part] = np.sqrt((np.asarray(point_sd, float)[:, k, :] ** 2) @ axis**2)
        self.stances = list(stances or [])
        self._level: dict = {}

    def ahead_of_toe(
        self, part: str, strike: float, toe_off: float, at: float, half: float
    ) -> tuple[float, float, float]:
        """(value, SD, slope per frame) at frame `at` of `part`'s ("knee", "hip") forward
        position less the big toe's: `part` from a quadratic over `at` +- `half`, the toe
        from a line over its planted phases of the stance strike .. toe-off."""
        near, near_sd, near_slope = self._fit(part, at - half, at + half, at, 2)
        near_sd *= self.scatter_factor(part, at, half, half / (toe_off - strike))
        lo, hi = (strike + p * (toe_off - strike) for p in PLANTED_PHASES)
        toe, toe_sd, toe_slope = self._fit("big_toe", lo, hi, at, 1)
        return near - toe, math.hypot(near_sd, toe_sd), near_slope - toe_slope

    def scatter_factor(self, part: str, at: float, half: float, half_phase: float) -> float:
        """The factor `part`'s SD at `at` is scaled by: sqrt of its raw samples' reduced
        chi-square about a quadratic over `at` +- `half` over the side's other stances'
        pooled one (each centred mid-stance, half-width `half_phase` of it), where that ratio
        is beyond what an F distribution reaches with probability SCATTER_P; else 1."""
        stat = self._scatter(part, at, half)
        key = (part, round(half_phase, 6))
        if key not in self._level:
            self._level[key] = [
                (s, t, self._scatter(part, (s + t) / 2, half_phase * (t - s)))
                for s, t in self.stances
            ]
        others = [f for s, t, f in self._level[key] if f is not None and not s <= at <= t]
        if stat is None or len(others) < MIN_STANCES_FOR_LEVEL - 1:
            return 1.0
        dof = sum(d for _, d in others)
        level = sum(r * d for r, d in others) / dof
        if not level > 0.0:
            return 1.0
        ratio = stat[0] / level
        return math.sqrt(ratio) if ratio > f_dist.ppf(1.0 - SCATTER_P, stat[1], dof) else 1.0

    def _scatter(self, part: str, at: float, half: float) -> tuple[float, int] | None:
        """(reduced chi-square, degrees of freedom) of `part`'s raw samples within `at` +-
        `half` about their weighted quadratic; None without raw points or enough samples."""
        raw = self.raw[part]
        if raw is None:
            return None
        first, last = max(0, math.ceil(at - half - 1e-9)), min(len(raw) - 1, math.floor(at + half))
        frames = np.arange(first, last + 1)
        values, sds = raw[frames], self.sds[part][frames]
        ok = np.isfinite(values) & np.isfinite(sds) & (sds > 0)
        dof = int(ok.sum()) - 3
        if dof < 3:
            return None
        t, v, s = frames[ok] - at, values[ok], sds[ok]
        coef = np.polyfit(t, v, 2, w=1.0 / s)
        return float(np.sum(((v - np.polyval(coef, t)) / s) ** 2) / dof), dof

    def _fit(self, part: str, lo: float, hi: float, at: float, degree: int):
        values = self.values[part]
        first, last = max(0, math.ceil(lo - 1e-9)), min(len(values) - 1, math.floor(hi + 1e-9))
        frames = np.arange(first, last + 1, dtype=float)
        # every frame of [lo, hi] is in the fit (the window reaches past both ends of it)
        reach = max(abs(at - lo), abs(hi - at)) + 1.0
        sds = self.sds[part][first : last + 1]
        return local_value_read(frames, values[first : last + 1], sds, at, reach, degree)
