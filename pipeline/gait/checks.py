"""The threshold checks of a trial: one row per check, read by the analysis flags
(metrics.py) and the report's findings (report/findings.py). docs/metrics.md has the
thresholds and their sources."""

from __future__ import annotations

import operator
from dataclasses import dataclass

COMPARISONS = {"<=": operator.le, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Check:
    key: str  # flag name in the analysis
    metric: str  # summary.METRICS key; a side's mean over strides is compared
    comparison: str  # flagged when `mean <comparison> threshold`: "<=", "<" or ">"
    threshold: str  # ThresholdsConfig field; a None value switches the check off
    wording: str  # the flag message: "mean <label> <value> <wording> <threshold>"
    meaning: str  # what a raised flag means, for lab staff
    validated: bool  # does a published cut-off exist?

    def limit(self, thresholds) -> float | None:
        return None if thresholds is None else getattr(thresholds, self.threshold)

    def flagged(self, mean: float, limit: float) -> bool:
        return COMPARISONS[self.comparison](mean, limit)


CHECKS = (
    Check(
        "crossover",
        "step_width_m",
        "<=",
        "crossover_step_width_m",
        "is at or below the crossover threshold of",
        "The feet land on or across one line: the swing leg can brush the stance calf "
        "('kicking yourself'); it often comes with pelvic drop.",
        True,
    ),
    Check(
        "low_peak_knee_flexion",
        "peak_stance_knee_flexion_deg",
        "<",
        "min_peak_knee_flexion_deg",
        "is below the minimum of",
        "The knee bends less than typical while the foot is loaded: a stiff landing.",
        True,
    ),
    Check(
        "knee_over_toe",
        "knee_over_toe_m",
        ">",
        "max_knee_over_toe_m",
        "is above the maximum of",
        "At peak knee bend the knee travels ahead of the toes: the calf brakes the shin "
        "alone (calf overload). Ideal: at or slightly behind the toes.",
        False,
    ),
    Check(
        "contralateral_pelvic_drop",
        "pelvic_drop_deg",
        ">",
        "max_pelvic_drop_deg",
        "is above the lab threshold (no validated cut-off exists) of",
        "The swing-side hip sags while this leg is in stance: a sign of weak hip abductors.",
        False,
    ),
    Check(
        "high_knee_flexion_at_toe_off",
        "knee_flexion_at_toe_off_deg",
        ">",
        "max_knee_flexion_toe_off_deg",
        "is above the lab threshold (no published norm) of",
        "The knee is still bent at push-off: no 'triple extension' of hip, knee and ankle.",
        False,
    ),
    Check(
        "low_calf_clearance",
        "calf_clearance_m",
        "<",
        "min_calf_clearance_m",
        "is below the lab threshold of",
        "The swing foot passes close to the stance calf (distance between keypoint centres).",
        False,
    ),
)
