"""Summaries of a trial analysis for DVC metrics, and measured-vs-true errors (synthetic studies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.core.json_types import JsonObject
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.records import TrialSummary


@dataclass(frozen=True)
class MeasuredVsTrue:
    """One measure against the synthetic truth; `error` = measured - true (None: either
    missing)."""

    measured: float | None
    true_value: float | None

    @property
    def error(self) -> float | None:
        m, t = self.measured, self.true_value
        return None if m is None or t is None else m - t

    def to_dict(self) -> JsonObject:
        return {"measured": self.measured, "true": self.true_value, "error": self.error}


@dataclass(frozen=True)
class TruthErrors:
    """Measured vs true per side and metric, and cadence (the analysis file's
    `truth_errors`: side -> metric -> {measured, true, error}, then `cadence_spm`)."""

    sides: Mapping[str, Mapping[str, MeasuredVsTrue]]
    cadence_spm: MeasuredVsTrue

    def to_dict(self) -> JsonObject:
        out: JsonObject = {
            side: {name: entry.to_dict() for name, entry in metrics.items()}
            for side, metrics in self.sides.items()
        }
        out["cadence_spm"] = self.cadence_spm.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: JsonObject) -> TruthErrors:
        def entry(block: JsonObject) -> MeasuredVsTrue:
            return MeasuredVsTrue(block["measured"], block["true"])

        return cls(
            sides={
                side: {name: entry(block) for name, block in metrics.items()}
                for side, metrics in data.items()
                if side != "cadence_spm"
            },
            cadence_spm=entry(data["cadence_spm"]),
        )


def truth_errors(measured: TrialSummary, truth: TrialSummary) -> TruthErrors:
    """Measured minus true per side and metric, and cadence (synthetic studies only)."""
    return TruthErrors(
        sides={
            side: {
                name: MeasuredVsTrue(stats.mean, truth.sides[side].metrics[name].mean)
                for name, stats in block.metrics.items()
            }
            for side, block in measured.sides.items()
        },
        cadence_spm=MeasuredVsTrue(measured.cadence_spm, truth.cadence_spm),
    )


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
