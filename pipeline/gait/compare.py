"""Summaries of a trial analysis for DVC metrics, and measured-vs-true errors (synthetic studies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.core.json_types import JsonObject
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.records import TrialSummary


def truth_errors(measured: TrialSummary, truth: TrialSummary) -> JsonObject:
    """Measured minus true per side and metric, and cadence (synthetic studies only): the
    analysis file's `truth_errors`."""
    out: JsonObject = {
        side: {
            name: {
                "measured": (m := stats.mean),
                "true": (t := truth.sides[side].metrics[name].mean),
                "error": None if m is None or t is None else m - t,
            }
            for name, stats in block.metrics.items()
        }
        for side, block in measured.sides.items()
    }
    m, t = measured.cadence_spm, truth.cadence_spm
    out["cadence_spm"] = {
        "measured": m,
        "true": t,
        "error": None if m is None or t is None else m - t,
    }
    return out


def headline_metrics(analysis: TrialAnalysis) -> JsonObject:
    """The numbers DVC shows in `dvc metrics show` / `dvc exp show` (metrics.json): per-side
    means, the foot-strike pattern and each metric's stride SD / CV / MDC95 / n (issue #29)."""
    summary = analysis.summary
    out: dict[str, Any] = {"cadence_spm": summary.cadence_spm}
    if summary.observation:  # share of the trial inside the analysed strides
        out["analysed_share"] = summary.observation["analysed_share"]
    for side, block in summary.sides.items():
        means = {name: stats.mean for name, stats in block.metrics.items()}
        out[side] = {**means, "n_strides": block.n_strides}
        out[side]["foot_strike_pattern"] = block.foot_strike.pattern
        out[side]["variability"] = {
            name: {k: getattr(stats, k) for k in ("sd", "cv_pct", "mdc95", "n")}
            for name, stats in block.metrics.items()
        }
    out["symmetry_index_pct"] = {name: entry.index_pct for name, entry in summary.symmetry.items()}
    out["flags"] = len(analysis.flags)
    return out


# Issue #29: measurement error of a session's value and the minimal detectable change.
Z95 = 1.959964


@dataclass(frozen=True)
class TrialMean:
    """One trial's mean of one metric and side, its stride-to-stride SEM (SD/sqrt(n); None
    with too few strides) and its condition (only trials of one condition repeat)."""

    mean: float | None
    sem: float | None
    condition: str = ""


def session_sem(
    trials: list[TrialMean], between_trial_sem: float | None
) -> tuple[float | None, str]:
    """SEM of a session's value (the mean of its trials' means) and where it comes from.

    `trials`: each trial's mean and SEM of one metric and side.
    With a between-trial SEM (repeated trials of one condition within a session; Weir 2005:
    SEM = sqrt of the within-session mean square) it is that over sqrt(k); else the
    stride-to-stride SEMs of the k trials, sqrt(sum SEM_j^2) / k. None with the reason."""
    trials = [t for t in trials if t.mean is not None]
    if not trials:
        return None, "no value"
    if between_trial_sem is not None:
        return between_trial_sem / len(trials) ** 0.5, "between trials"
    sems = [t.sem for t in trials]
    known = [s for s in sems if s is not None]
    if len(known) < len(sems):
        return None, "too few strides for a stride-to-stride SEM"
    return sum(s * s for s in known) ** 0.5 / len(
        trials
    ), "stride-to-stride (one trial per session)"


def between_trial_sem(sessions: list[list[float | None]]) -> tuple[float | None, str | None]:
    """Pooled within-session SD of the trial means over every session with >= 2 trials
    (sqrt of the within-session mean square, Weir 2005); None and the reason without any."""
    squares, dof = 0.0, 0
    for means in sessions:
        values = [m for m in means if m is not None]
        if len(values) < 2:
            continue
        centre = sum(values) / len(values)
        squares += sum((v - centre) ** 2 for v in values)
        dof += len(values) - 1
    if dof == 0:
        return None, "no session with two or more trials: no between-trial error"
    return (squares / dof) ** 0.5, None


def minimal_detectable_change(sem_first: float | None, sem_last: float | None) -> float | None:
    """MDC95 of a difference of two values: 1.96 sqrt(SEM_1^2 + SEM_2^2), which is Weir's
    1.96 sqrt(2) SEM for equal SEMs (Weir 2005; Haley & Fragala-Pinkham 2006)."""
    if sem_first is None or sem_last is None:
        return None
    return Z95 * (sem_first**2 + sem_last**2) ** 0.5


def real_change(change: float | None, mdc: float | None) -> bool | None:
    """True only when |change| exceeds the MDC95; None when either is unknown."""
    if change is None or mdc is None:
        return None
    return abs(change) > mdc
