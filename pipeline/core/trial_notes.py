"""What the gait analysis tells the trial's verdict beyond its numbers: the named problems of
its input, how much of the trial it could observe and the 3D's scale against the world.
Written by `gait/` (input_checks.py, observation.py, scale_checks.py), read by `quality/verdict.py` (a sibling layer, so the records live here,
below both) and the trial report; the analysis file's `summary.input_problems` and
`summary.observation` hold their `to_dict` (docs/formats.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pipeline.core.json_types import JsonObject
from pipeline.core.records import Record, check_keys


@dataclass(frozen=True)
class InputProblem(Record):
    """An input the gait analysis cannot read a runner from (gait/input_checks.py): a verdict
    reason's code, severity (failed | degraded | note: named, the verdict unchanged, e.g.
    strides set aside by gait/strides.py) and message."""

    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class ObservationSummary:
    """How much of the trial the analysis used (gait/observation.py): the shares of its
    frames observed and inside analysed strides, the unobserved gaps ([start, stop) seconds)
    and the strides dropped or split at them."""

    observed_share: float
    analysed_share: float
    gaps_s: tuple[tuple[float, float], ...]
    strides_dropped_in_gaps: int
    strides_split_at_gaps: int

    def to_dict(self) -> JsonObject:
        return {
            "observed_share": self.observed_share,
            "analysed_share": self.analysed_share,
            "gaps_s": [[a, b] for a, b in self.gaps_s],
            "strides_dropped_in_gaps": self.strides_dropped_in_gaps,
            "strides_split_at_gaps": self.strides_split_at_gaps,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObservationSummary:
        check_keys(cls, data, "observation")
        return cls(
            observed_share=float(data["observed_share"]),
            analysed_share=float(data["analysed_share"]),
            gaps_s=tuple((float(a), float(b)) for a, b in data["gaps_s"]),
            strides_dropped_in_gaps=int(data["strides_dropped_in_gaps"]),
            strides_split_at_gaps=int(data["strides_split_at_gaps"]),
        )


@dataclass(frozen=True)
class ScaleCheck:
    """One length or speed of the 3D against the one the study records (gait/scale_checks.py):
    it disagrees when measured / expected is outside 1 +- `tolerance`."""

    name: str  # belt | height | speed
    measured: float
    expected: float
    unit: str
    tolerance: float  # allowed |measured / expected - 1|
    description: str

    @property
    def ratio(self) -> float:
        return self.measured / self.expected

    @property
    def agrees(self) -> bool:
        return abs(self.ratio - 1.0) <= self.tolerance

    def to_dict(self) -> JsonObject:
        return {**asdict(self), "ratio": self.ratio, "agrees": self.agrees}
