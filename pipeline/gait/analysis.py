"""`TrialAnalysis`: one trial's gait analysis as analyze writes it (analysis/<trial>.json) and
the report and exports read it. Built by metrics.analyze_trial; its parts are gait/records.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.gait.curves import CurveSummary
from pipeline.gait.records import Events, Flag, Stride, TrialSummary
from pipeline.io.formats import FormatError

__all__ = ["Events", "TrialAnalysis"]


@dataclass(frozen=True)
class TrialAnalysis:
    fps: float
    n_frames: int
    events: Events
    strides: list[Stride]
    summary: TrialSummary
    flags: list[Flag]
    # events found where the cameras do not pin the foot's height down: not timed, not used
    poorly_observed: Events | None = None
    # each angle's mean and SD over the gait cycle per side (None: an older file)
    curves: CurveSummary | None = None

    def to_dict(self) -> JsonObject:
        """JSON-ready: arrays become lists, missing values None."""
        return {
            "fps": self.fps,
            "n_frames": self.n_frames,
            "events": _event_lists(self.events),
            "poorly_observed_events": (
                None if self.poorly_observed is None else _event_lists(self.poorly_observed)
            ),
            "strides": [s.to_dict() for s in self.strides],
            "summary": self.summary.to_dict(),
            "flags": [f.to_dict() for f in self.flags],
            "curves": None if self.curves is None else self.curves.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: JsonObject, source: str = "analysis file") -> TrialAnalysis:
        """Inverse of to_dict (extra keys, such as a file's schema_version, are ignored); a file
        written by an older runlab, without a key this one reads, is a FormatError naming it."""

        def arrays(lists):
            return {
                side: {name: np.asarray(times, float) for name, times in ev.items()}
                for side, ev in lists.items()
            }

        poor, curves = data.get("poorly_observed_events"), data.get("curves")
        try:
            return cls(
                fps=float(data["fps"]),
                n_frames=int(data["n_frames"]),
                events=arrays(data["events"]),
                strides=[Stride.from_dict(s) for s in data["strides"]],
                summary=TrialSummary.from_dict(data["summary"]),
                flags=[Flag.from_dict(f) for f in data["flags"]],
                poorly_observed=None if poor is None else arrays(poor),
                curves=None if curves is None else CurveSummary.from_dict(curves),
            )
        except KeyError as missing:
            raise FormatError(
                f"{source}: no {missing} (written by an older runlab); rerun `runlab analyze`"
            ) from None


def _event_lists(events: Events) -> JsonObject:
    return {
        side: {name: [float(t) for t in times] for name, times in ev.items()}
        for side, ev in events.items()
    }
