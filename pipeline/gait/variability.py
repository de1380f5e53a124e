"""Stride-to-stride variability, symmetry and measurement error of one trial (issue #29).

Per side and metric, added to the summary's statistics (metrics._statistics):
- `sd` (already there), `cv_pct` = 100 SD / |mean| (only for a metric that cannot change sign
  and whose mean is positive: the CV of a quantity near zero is meaningless);
- `sem` = SD / sqrt(n), the standard error of the trial's mean from the stride-to-stride
  scatter, and `mdc95` = t(0.975, dof) sqrt(2) sqrt(SEM^2 + shared_sd^2) (Weir 2005's
  1.96 sqrt(2) SEM with the strides' shared SD, which their scatter cannot hold, and the t
  quantile of Welch's dof: the SD's n - 1, the shared SD's infinite; measurement_error.py):
  the least change between two such trials that is larger than this measurement error with
  95 % confidence. A day-to-day change adds the runner's own variation and errors no SD here
  holds (calibration, camera offsets): this is the within-trial part only (study_report uses
  the between-trial SD when a session has repeated trials).
With fewer than `min_strides` strides none of these is given and `variability_note` says
`insufficient strides (n=.., need ..)`.

`symmetry`: per metric, the symmetry index 100 (L - R) / ((L + R) / 2) (Robinson et al.
1987), + = left larger, with the left-right difference and the stride counts; None with a
note where the mean of both sides is not positive (a signed quantity: use the difference).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pipeline.gait.measurement_error import trial_mdc95
from pipeline.gait.records import SideSummary, Symmetry

# metrics that can be negative or cross zero: no CV, no symmetry index (the difference is given)
SIGNED = {
    "step_width_m",
    "knee_over_toe_m",
    "foot_to_midline_m",
    "pelvic_drop_deg",
    "peak_stance_hip_adduction_deg",
    "peak_stance_knee_fppa_deg",
    "tibia_inclination_at_strike_deg",
    "hip_extension_at_toe_off_deg",
    "leg_trunk_alignment_at_toe_off_deg",
    "knee_off_leg_line_at_toe_off_m",
    "hip_ahead_of_toe_m",
    "foot_strike_angle_deg",
    "overstride_m",
}


def add_variability(
    stats: dict, metric: str, min_strides: int, shared_sd: float | None = None
) -> None:
    """Adds cv_pct, sem, mdc95 and variability_note to one metric's statistics (in place);
    `shared_sd`: the SD its strides share (summary.shared_sd_of_mean), in the mdc95."""
    n, mean, sd = stats["n"], stats["mean"], stats["sd"]
    stats.update(cv_pct=None, sem=None, mdc95=None, variability_note=None)
    if n < min_strides or mean is None or sd is None:
        stats["variability_note"] = f"insufficient strides (n={n}, need {min_strides})"
        return
    stats["sem"] = sd / math.sqrt(n)
    stats["mdc95"] = trial_mdc95(stats["sem"], n, shared_sd)
    if metric in SIGNED:
        stats["variability_note"] = "signed quantity: no CV"
    elif mean > 0:
        stats["cv_pct"] = 100.0 * sd / mean


def symmetry(sides: Mapping[str, SideSummary], metric: str) -> Symmetry:
    """One metric's symmetry over both sides (index_pct, difference, n per side, note)."""
    left, right = (sides[s].metrics[metric] for s in ("left", "right"))
    if left.mean is None or right.mean is None:
        return Symmetry(None, None, left.n, right.n, "a side has too few strides")
    difference = left.mean - right.mean
    average = 0.5 * (left.mean + right.mean)
    if metric in SIGNED or not average > 0:
        note = "signed quantity: no symmetry index, see the difference"
        return Symmetry(None, difference, left.n, right.n, note)
    return Symmetry(100.0 * difference / average, difference, left.n, right.n, None)
