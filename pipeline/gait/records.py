"""The gait analysis's records: what pipeline/gait/ hands the analyze stage and the report.

Each is a frozen dataclass with one `to_dict` / `from_dict` pair: `to_dict` writes exactly the
JSON the analysis file (analysis/<trial>.json, docs/formats.md) has always held, key order
included, so the file's schema is unchanged; `from_dict` reads it back.
- `Stride`: one stride of one foot (strides.side_strides, observation, landing, bounce), with
  its `SetAside` where values were left out;
- `MetricStatistics`: one metric's statistics over one side's strides (summary.py,
  variability.py: mean, SD, n, CV, SEM, MDC95, SD of the mean);
- `Symmetry`: one metric's left-right symmetry; `SideSummary` (with `FootStrikeSummary` and
  its `StandingReference`): one side's summary; `Pass`: one overground pass;
- `TrialSummary`: the trial's summary; `Flag`: a raised threshold check.
`TrialAnalysis` (the whole analysis, with events and curves) is in gait/analysis.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.core.trial_notes import InputProblem, ObservationSummary
from pipeline.gait.measurement_error import mean_half_width95
from pipeline.gait.set_aside import SetAside

Events = dict[str, dict[str, np.ndarray]]  # side -> {"foot_strike", "toe_off"}: frames

# Stride keys that are not metric values, in the file's order.
_STRIDE_HEAD = (
    "side",
    "stride",
    "strike_frame",
    "strike_time_s",
    "toe_off_frame",
    "toe_off_time_s",
    "peak_knee_flexion_frame",
    "foot_lateral_m",
)
# In the file, `uncertainty` follows the last temporal metric and the pattern its angle.
_UNCERTAINTY_AFTER = "stride_length_m"
_PATTERN_AFTER = "foot_strike_angle_deg"
_NOT_WRITTEN = object()  # a key a file from before it lacks (not a null value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _metric_value(key: str, value: Any) -> float | None:
    """A stride's metric value; anything but a number or None is a field Stride must name."""
    if value is not None and (isinstance(value, (bool, str)) or not hasattr(value, "__float__")):
        raise TypeError(
            f"stride key {key!r} holds {value!r}, not a metric value: give it a field in "
            "gait/records.Stride (its to_dict / from_dict)"
        )
    return _optional_float(value)


@dataclass(frozen=True)
class Stride:
    """One stride: a foot's strike, its toe-off and the values measured over it. `values` maps
    each metric (summary.METRICS, in the order they were measured) to its value, None where it
    could not be measured; `uncertainty` maps a metric to its propagated SD (None: unknown);
    `shared_uncertainty` (written after it, only when not empty) the part of that SD every
    stride of the trial shares (the events' shared read, event_timing.SHARED): it does not
    average out over a side's strides (summary.sd_of_mean); a metric not in it shares none."""

    side: str
    index: int  # per side, in time order ("stride" in the file)
    strike_frame: float
    strike_time_s: float
    toe_off_frame: float
    toe_off_time_s: float
    peak_knee_flexion_frame: float | None  # None: no loading peak in this stance
    foot_lateral_m: float | None
    values: Mapping[str, float | None]
    uncertainty: Mapping[str, float | None]
    foot_strike_pattern: str | None = None  # rearfoot | midfoot | forefoot (landing.py)
    # why a pattern is uncertain: the angle's SD spans a cut-off (strike_pitch.py)
    foot_strike_pattern_note: str | None = None
    shared_uncertainty: Mapping[str, float | None] = field(default_factory=dict)
    set_aside: SetAside | None = None  # values left out, named; None: none

    def value(self, metric: str) -> float | None:
        """The metric's value; None when missing or not measured for this stride."""
        return self.values.get(metric)

    def to_dict(self) -> JsonObject:
        out: dict[str, Any] = {
            "side": self.side,
            "stride": self.index,
            "strike_frame": self.strike_frame,
            "strike_time_s": self.strike_time_s,
            "toe_off_frame": self.toe_off_frame,
            "toe_off_time_s": self.toe_off_time_s,
            "peak_knee_flexion_frame": self.peak_knee_flexion_frame,
            "foot_lateral_m": self.foot_lateral_m,
        }
        placed_uncertainty = placed_pattern = False
        for name, value in self.values.items():
            out[name] = value
            if name == _UNCERTAINTY_AFTER:
                self._put_uncertainty(out)
                placed_uncertainty = True
            if name == _PATTERN_AFTER:
                out["foot_strike_pattern"], placed_pattern = self.foot_strike_pattern, True
                if self.foot_strike_pattern_note is not None:
                    out["foot_strike_pattern_note"] = self.foot_strike_pattern_note
        if not placed_uncertainty:
            self._put_uncertainty(out)
        if not placed_pattern and self.foot_strike_pattern is not None:
            out["foot_strike_pattern"] = self.foot_strike_pattern
        if not placed_pattern and self.foot_strike_pattern_note is not None:
            out["foot_strike_pattern_note"] = self.foot_strike_pattern_note
        if self.set_aside is not None:  # files without it have none set aside
            out["set_aside"] = self.set_aside.to_dict()
        return out

    def _put_uncertainty(self, out: dict[str, Any]) -> None:
        out["uncertainty"] = dict(self.uncertainty)
        if self.shared_uncertainty:  # files before the shared read have none: none shared
            out["shared_uncertainty"] = dict(self.shared_uncertainty)

    @classmethod
    def from_dict(cls, data: JsonObject) -> Stride:
        """From the file's stride (or the analysis's draft of one). Raises KeyError naming a
        missing key (a file written by an older runlab)."""
        skip = {
            *_STRIDE_HEAD,
            "uncertainty",
            "shared_uncertainty",
            "foot_strike_pattern",
            "foot_strike_pattern_note",
            "set_aside",
        }
        return cls(
            side=str(data["side"]),
            index=int(data["stride"]),
            strike_frame=float(data["strike_frame"]),
            strike_time_s=float(data["strike_time_s"]),
            toe_off_frame=float(data["toe_off_frame"]),
            toe_off_time_s=float(data["toe_off_time_s"]),
            peak_knee_flexion_frame=_optional_float(data["peak_knee_flexion_frame"]),
            foot_lateral_m=_optional_float(data["foot_lateral_m"]),
            values={k: _metric_value(k, v) for k, v in data.items() if k not in skip},
            uncertainty={k: _optional_float(v) for k, v in (data.get("uncertainty") or {}).items()},
            foot_strike_pattern=data.get("foot_strike_pattern"),
            foot_strike_pattern_note=data.get("foot_strike_pattern_note"),
            shared_uncertainty={
                k: _optional_float(v) for k, v in (data.get("shared_uncertainty") or {}).items()
            },
            set_aside=SetAside.from_dict(data["set_aside"]) if data.get("set_aside") else None,
        )


@dataclass
class StrideDraft:
    """A stride while analyze_trial assembles it: strides.side_strides measures it, then
    observation (split at gaps, renumbered), landing and bounce add their values in place;
    `stride()` makes the `Stride`. `values` keeps the order the metrics were measured in,
    which is the order the file writes them in."""

    side: str
    index: int
    strike_frame: float
    strike_time_s: float
    toe_off_frame: float
    toe_off_time_s: float
    peak_knee_flexion_frame: float | None
    foot_lateral_m: float | None
    values: dict[str, float | None]
    uncertainty: dict[str, float | None]
    foot_strike_pattern: str | None = field(default=None)
    foot_strike_pattern_note: str | None = field(default=None)  # strike_pitch.py
    # the part of an uncertainty all the trial's strides share (Stride.shared_uncertainty)
    shared_uncertainty: dict[str, float | None] = field(default_factory=dict)
    set_aside: SetAside | None = None  # Stride.set_aside

    def leave_out(self, names: tuple[str, ...]) -> None:
        """`names`' values and SDs left out, added to the metrics `set_aside` (set) names."""
        assert self.set_aside is not None
        for name in names:
            self.values[name] = self.uncertainty[name] = None
            self.shared_uncertainty.pop(name, None)
        added = tuple(n for n in names if n not in self.set_aside.metrics)
        self.set_aside = replace(self.set_aside, metrics=self.set_aside.metrics + added)

    def value(self, metric: str) -> float | None:
        return self.values.get(metric)

    def stride(self) -> Stride:
        return Stride(
            side=str(self.side),
            index=int(self.index),
            strike_frame=float(self.strike_frame),
            strike_time_s=float(self.strike_time_s),
            toe_off_frame=float(self.toe_off_frame),
            toe_off_time_s=float(self.toe_off_time_s),
            peak_knee_flexion_frame=_optional_float(self.peak_knee_flexion_frame),
            foot_lateral_m=_optional_float(self.foot_lateral_m),
            values={k: _metric_value(k, v) for k, v in self.values.items()},
            # an SD only where its value is (a stride split at a gap loses both)
            uncertainty={
                k: _optional_float(v) if self.values.get(k) is not None else None
                for k, v in self.uncertainty.items()
            },
            foot_strike_pattern=self.foot_strike_pattern,
            foot_strike_pattern_note=self.foot_strike_pattern_note,
            shared_uncertainty={
                k: _optional_float(v)
                for k, v in self.shared_uncertainty.items()
                if self.values.get(k) is not None and self.uncertainty.get(k) is not None
            },
            set_aside=self.set_aside,
        )


@dataclass(frozen=True)
class MetricStatistics:
    """One metric over one side's strides. `note` says why there is no mean (too few strides);
    `variability_note` why there is no CV / SEM / MDC95 (variability.py). `shared_sd`: the
    part of the mean's SD all its strides share (summary.shared_sd_of_mean); `interval95`:
    the half-width of the mean's 95 % interval from the SEM and that part, the one the flags,
    findings and foot-strike pattern judge "within measurement error" by
    (measurement_error.mean_half_width95). A file from before them reads as sharing none:
    the SEM interval."""

    mean: float | None
    sd: float | None
    n: int  # strides with a value
    n_missing: int  # strides without one
    note: str | None
    sd_of_mean: float | None = None  # from the strides' propagated SDs (None: unknown)
    cv_pct: float | None = None
    sem: float | None = None
    mdc95: float | None = None
    variability_note: str | None = None
    shared_sd: float | None = None
    interval95: float | None = None

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> MetricStatistics:
        """A file's statistics; those written before issue #29 have no variability (None)."""
        interval95 = data.get("interval95", _NOT_WRITTEN)
        if interval95 is _NOT_WRITTEN:  # a file from before interval95: the SEM interval
            interval95 = mean_half_width95(data.get("sem"), int(data["n"]), None)
        return cls(
            mean=data["mean"],
            sd=data["sd"],
            n=int(data["n"]),
            n_missing=int(data["n_missing"]),
            note=data["note"],
            sd_of_mean=data.get("sd_of_mean"),
            cv_pct=data.get("cv_pct"),
            sem=data.get("sem"),
            mdc95=data.get("mdc95"),
            variability_note=data.get("variability_note"),
            shared_sd=data.get("shared_sd"),
            interval95=interval95,
        )


@dataclass(frozen=True)
class Symmetry:
    """One metric's left-right symmetry: index (%) = 100 (L - R) / ((L + R) / 2), the
    difference L - R, and `note` when the index is not given (variability.symmetry)."""

    index_pct: float | None
    difference: float | None
    n_left: int
    n_right: int
    note: str | None

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> Symmetry:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class StandingReference:
    """The standing foot pitch the foot-strike angle is measured from (landing.py)."""

    pitch_deg: float | None
    source: str  # "static trial" | "foot flat in stance"
    n_stances: int | None
    note: str | None

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> StandingReference:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class FootStrikeSummary:
    """One side's foot-strike pattern (from the mean angle) and each pattern's share."""

    pattern: str | None
    shares: Mapping[str, float | None]  # rearfoot / midfoot / forefoot -> share of strides
    n: int
    n_missing: int
    standing: StandingReference

    def to_dict(self) -> JsonObject:
        return {
            "pattern": self.pattern,
            "shares": dict(self.shares),
            "n": self.n,
            "n_missing": self.n_missing,
            "standing": self.standing.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> FootStrikeSummary:
        return cls(
            pattern=data["pattern"],
            shares=dict(data["shares"]),
            n=int(data["n"]),
            n_missing=int(data["n_missing"]),
            standing=StandingReference.from_dict(data["standing"]),
        )


@dataclass(frozen=True)
class SideSummary:
    """One side's strides summarised: per metric statistics, crossover shares, foot strike."""

    n_strides: int
    crossover_share: float | None  # share of strides with step width <= threshold
    midline_crossover_share: float | None
    metrics: Mapping[str, MetricStatistics]  # summary.METRICS name -> statistics
    foot_strike: FootStrikeSummary

    def to_dict(self) -> JsonObject:
        return {
            "n_strides": self.n_strides,
            "crossover_share": self.crossover_share,
            "midline_crossover_share": self.midline_crossover_share,
            "metrics": {name: stats.to_dict() for name, stats in self.metrics.items()},
            "foot_strike": self.foot_strike.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> SideSummary:
        return cls(
            n_strides=int(data["n_strides"]),
            crossover_share=data["crossover_share"],
            midline_crossover_share=data["midline_crossover_share"],
            metrics={k: MetricStatistics.from_dict(v) for k, v in data["metrics"].items()},
            foot_strike=FootStrikeSummary.from_dict(data["foot_strike"]),
        )


@dataclass(frozen=True)
class Pass:
    """One overground pass (gait/passes.py): frames [start, stop), its direction and speed,
    and how many strides struck inside it."""

    start_frame: int
    stop_frame: int  # exclusive
    direction: tuple[float, float, float]
    speed_mps: float
    n_strides: int

    def to_dict(self) -> JsonObject:
        return {
            "start_frame": self.start_frame,
            "stop_frame": self.stop_frame,
            "direction": list(self.direction),
            "speed_mps": self.speed_mps,
            "n_strides": self.n_strides,
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> Pass:
        x, y, z = (float(c) for c in data["direction"])
        return cls(
            start_frame=int(data["start_frame"]),
            stop_frame=int(data["stop_frame"]),
            direction=(x, y, z),
            speed_mps=float(data["speed_mps"]),
            n_strides=int(data["n_strides"]),
        )


@dataclass(frozen=True)
class TrialSummary:
    """The trial's summary. `observation` (gait/observation.py) and `input_problems`
    (gait/input_checks.py) are records of core/trial_notes.py: the verdict (quality/, a
    sibling layer that cannot name gait's types) reads them too."""

    cadence_spm: float | None
    n_foot_strikes: int
    sides: Mapping[str, SideSummary]
    symmetry_index_pct: Mapping[str, float | None]  # summary.SYMMETRY_METRICS only
    symmetry: Mapping[str, Symmetry]  # every metric
    cadence_note: str | None  # why there is no cadence
    observation: ObservationSummary | None
    forward: tuple[float, float, float]  # the line of progression the analysis used
    forward_source: str  # given | estimated
    belt_speed_mps: float | None
    pelvis_speed_mps: float | None
    poorly_observed_events: Mapping[str, Mapping[str, int]] | None  # side -> event -> count
    untimed_on_dropouts: int | None
    passes: tuple[Pass, ...]
    input_problems: tuple[InputProblem, ...]
    # side -> [from, to] seconds of each contact the rhythm expects and no event marks
    # (gait/missed_contacts.py); None: not checked (events given, or a file from before it)
    contacts_not_found: Mapping[str, tuple[tuple[float, float], ...]] | None = None

    def to_dict(self) -> JsonObject:
        poor, missed = self.poorly_observed_events, self.contacts_not_found
        return {
            "cadence_spm": self.cadence_spm,
            "n_foot_strikes": self.n_foot_strikes,
            "sides": {side: block.to_dict() for side, block in self.sides.items()},
            "symmetry_index_pct": dict(self.symmetry_index_pct),
            "symmetry": {name: entry.to_dict() for name, entry in self.symmetry.items()},
            "cadence_note": self.cadence_note,
            "observation": None if self.observation is None else self.observation.to_dict(),
            "forward": list(self.forward),
            "forward_source": self.forward_source,
            "belt_speed_mps": self.belt_speed_mps,
            "pelvis_speed_mps": self.pelvis_speed_mps,
            "poorly_observed_events": (
                None if poor is None else {side: dict(ev) for side, ev in poor.items()}
            ),
            "untimed_on_dropouts": self.untimed_on_dropouts,
            "passes": [one.to_dict() for one in self.passes],
            "input_problems": [p.to_dict() for p in self.input_problems],
            "contacts_not_found": (
                None
                if missed is None
                else {side: [[a, b] for a, b in windows] for side, windows in missed.items()}
            ),
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> TrialSummary:
        x, y, z = (float(c) for c in data["forward"])
        return cls(
            cadence_spm=data["cadence_spm"],
            n_foot_strikes=int(data["n_foot_strikes"]),
            sides={side: SideSummary.from_dict(block) for side, block in data["sides"].items()},
            symmetry_index_pct=dict(data["symmetry_index_pct"]),
            symmetry={name: Symmetry.from_dict(e) for name, e in data["symmetry"].items()},
            cadence_note=data["cadence_note"],
            observation=(
                None
                if data["observation"] is None
                else ObservationSummary.from_dict(data["observation"])
            ),
            forward=(x, y, z),
            forward_source=data["forward_source"],
            belt_speed_mps=data["belt_speed_mps"],
            pelvis_speed_mps=data["pelvis_speed_mps"],
            poorly_observed_events=data["poorly_observed_events"],
            untimed_on_dropouts=data["untimed_on_dropouts"],
            passes=tuple(Pass.from_dict(p) for p in data["passes"]),
            input_problems=tuple(InputProblem.from_dict(p) for p in data["input_problems"]),
            contacts_not_found=_contacts_not_found(data.get("contacts_not_found")),
        )


def _contacts_not_found(data: Any) -> dict[str, tuple[tuple[float, float], ...]] | None:
    """The summary's `contacts_not_found`; absent (a file from before the check) is None."""
    if data is None:
        return None
    return {side: tuple((float(a), float(b)) for a, b in windows) for side, windows in data.items()}


@dataclass(frozen=True)
class Flag:
    """A raised threshold check (gait/checks.py) on one side's mean."""

    name: str  # the check's key
    side: str
    metric: str
    value: float  # the side's mean
    threshold: float
    n_strides: int
    message: str
    within_measurement_error: bool | None  # the threshold inside the mean's 95 % interval

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> Flag:
        return cls(**{f.name: data[f.name] for f in fields(cls)})
