"""Summaries of a trial analysis for DVC metrics, and measured-vs-true errors (synthetic studies)."""

from __future__ import annotations

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
    if summary.observation is not None:  # share of the trial inside the analysed strides
        out["analysed_share"] = summary.observation.analysed_share
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
