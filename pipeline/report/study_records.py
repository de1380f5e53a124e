"""What the study report reads: each trial's summary.json (`TrialOverview`, written by the trial
report), grouped into a subject's sessions (`Session`), and the before/after rows it compares
(`ComparisonRow`). Each record has one `to_dict` / `from_dict` pair; summary.json keeps the keys
and order it always had."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from pipeline.core.json_types import JsonObject
from pipeline.quality.verdict import Verdict


@dataclass(frozen=True)
class MetricMean:
    """One metric of one side of a trial: its mean over strides, stride SD, n, SEM and the SD
    of the mean its strides share (MetricStatistics.shared_sd; the study's stride-to-stride
    MDC adds it)."""

    mean: float | None
    sd: float | None
    n: int | None
    sem: float | None  # None in a summary written before issue #29
    shared_sd: float | None = None  # None in a summary written before it: unknown

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> MetricMean:
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class FlagBrief:
    """A raised flag as the study table lists it."""

    name: str
    side: str
    value: float
    threshold: float
    n_strides: int

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> FlagBrief:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class FindingBrief:
    """One finding (report/findings.py) reduced to its status and numbers."""

    check: str
    side: str
    status: str
    mean: float | None
    threshold: float | None
    n: int

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> FindingBrief:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class FootStrikeBrief:
    """One side's foot-strike pattern (of the mean angle; None: not classified), the strides
    with a pattern and how many of those are marked uncertain (report/assessment.py)."""

    pattern: str | None
    n: int
    n_uncertain: int

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> FootStrikeBrief:
        return cls(data.get("pattern"), int(data.get("n") or 0), int(data.get("n_uncertain") or 0))


@dataclass(frozen=True)
class TrialOverview:
    """summary.json: what the study report needs from one trial, without re-reading the 3D.
    `means` and `stats`: side -> metric (trial_report.KEY_METRICS); `curves`:
    figures.mean_curves; `href`: the trial report relative to the study report (set by the
    report stage, not stored in summary.json)."""

    trial: str
    subject: str | None
    session: str | None
    session_label: str | None
    session_date: str | None
    condition: str | None
    cadence_spm: float | None
    n_strides: Mapping[str, int]
    means: Mapping[str, Mapping[str, float | None]]
    stats: Mapping[str, Mapping[str, MetricMean]]
    flags: tuple[FlagBrief, ...]
    findings: tuple[FindingBrief, ...]
    curves: Mapping[str, Any]
    verdict: Verdict | None = None
    provenance: Mapping[str, Any] | None = None
    href: str | None = None
    foot_strike: Mapping[str, FootStrikeBrief] | None = None  # side ->; None: older summary

    @property
    def state(self) -> str:
        """The trial's verdict, "ok" when it has none."""
        return "ok" if self.verdict is None else self.verdict.verdict

    @property
    def usable(self) -> bool:
        """A failed trial's numbers enter no comparison (docs/verdicts.md)."""
        return self.state != "failed"

    def to_dict(self) -> JsonObject:
        out = {
            "trial": self.trial,
            "subject": self.subject,
            "session": self.session,
            "session_label": self.session_label,
            "session_date": self.session_date,
            "condition": self.condition,
            "cadence_spm": self.cadence_spm,
            "n_strides": dict(self.n_strides),
            "means": {side: dict(means) for side, means in self.means.items()},
            "stats": {
                side: {m: entry.to_dict() for m, entry in per.items()}
                for side, per in self.stats.items()
            },
            "flags": [f.to_dict() for f in self.flags],
            "findings": [f.to_dict() for f in self.findings],
            "curves": dict(self.curves),
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
            "provenance": None if self.provenance is None else dict(self.provenance),
        }
        if self.foot_strike is not None:
            out["foot_strike"] = {side: b.to_dict() for side, b in self.foot_strike.items()}
        if self.href is not None:
            out["href"] = self.href
        return out

    @classmethod
    def from_dict(cls, data: JsonObject) -> TrialOverview:
        return cls(
            trial=data["trial"],
            subject=data.get("subject"),
            session=data.get("session"),
            session_label=data.get("session_label"),
            session_date=data.get("session_date"),
            condition=data.get("condition"),
            cadence_spm=data["cadence_spm"],
            n_strides=dict(data.get("n_strides") or {}),
            means={side: dict(means) for side, means in data["means"].items()},
            stats={
                side: {m: MetricMean.from_dict(entry or {}) for m, entry in per.items()}
                for side, per in (data.get("stats") or {}).items()
            },
            flags=tuple(FlagBrief.from_dict(f) for f in data.get("flags") or []),
            findings=tuple(FindingBrief.from_dict(f) for f in data.get("findings") or []),
            curves=dict(data.get("curves") or {}),
            verdict=Verdict.from_dict(data.get("verdict")),
            provenance=data.get("provenance"),
            href=data.get("href"),
            foot_strike=None
            if data.get("foot_strike") is None
            else {s: FootStrikeBrief.from_dict(b) for s, b in data["foot_strike"].items()},
        )


@dataclass(frozen=True)
class Session:
    """One session of a subject in the study report: its trials, in the order given."""

    session: str
    label: str
    date: str
    trials: tuple[TrialOverview, ...]

    @property
    def name(self) -> str:
        """What the report calls the session: its label, else its id."""
        return self.label or self.session


@dataclass(frozen=True)
class ComparisonRow:
    """One before/after row: a metric of one side (or cadence, side "both") per session, the
    change last - first, each end's SEM, the MDC95 with the degrees of freedom of its t
    quantile (None: none, or the normal quantile) and whether the change is real (None: not
    judged, `error_note` says why)."""

    metric: str
    side: str
    label: str
    unit: str
    values: tuple[float | None, ...]
    change: float | None
    sem: tuple[float | None, ...] | None
    mdc95: float | None
    mdc_dof: float | None
    real: bool | None
    error_note: str
