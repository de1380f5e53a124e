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
Such a read's SD is scaled by that ratio (swaps.beyond_level, at swaps.SCATTER_P; at 1e-2 it
widened 3 good reads of the 261 it could test on seeds 0-29, about that rate); a stance the
whole-stance screen (swaps.swapped_stances) finds is set aside by strides.py instead.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.gait.stance_fit import local_value_read
from pipeline.gait.swaps import SCATTER_P, beyond_level, scatter

# phases of the stance where the big toe is planted: on the clean treadmill runner (2-5 m/s)
# the toe, less the belt's motion, stays within a few mm from a quarter to three quarters of
# the contact; before it the foot is still landing (up to 130 mm of travel), after it the toe
# lifts and rolls over its tip
PLANTED_PHASES = (0.25, 0.75)


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
        raw = self.raw[part]
        if raw is None:
            return 1.0
        key = (part, round(half_phase, 6))
        if key not in self._level:
            self._level[key] = [
                (
                    s,
                    t,
                    scatter(
                        raw, self.sds[part], m - half_phase * (t - s), m + half_phase * (t - s)
                    ),
                )
                for s, t in self.stances
                for m in [(s + t) / 2]
            ]
        others = [f for s, t, f in self._level[key] if f is not None and not s <= at <= t]
        found = beyond_level(scatter(raw, self.sds[part], at - half, at + half), others, SCATTER_P)
        return 1.0 if found is None else math.sqrt(found[0])

    def _fit(self, part: str, lo: float, hi: float, at: float, degree: int):
        values = self.values[part]
        first, last = max(0, math.ceil(lo - 1e-9)), min(len(values) - 1, math.floor(hi + 1e-9))
        frames = np.arange(first, last + 1, dtype=float)
        # every frame of [lo, hi] is in the fit (the window reaches past both ends of it)
        reach = max(abs(at - lo), abs(hi - at)) + 1.0
        sds = self.sds[part][first : last + 1]
        return local_value_read(frames, values[first : last + 1], sds, at, reach, degree)
