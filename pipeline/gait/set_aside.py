"""A stride's values left out, named: `Stride.set_aside` (gait/records.py) and the analysis
file's `set_aside` (docs/formats.md). Written by strides.swap_note (a stance with a
detector's left/right swap, swaps.swapped_stances) and extended by landing.py and bounce.py
where the swap reaches the strike."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.json_types import JsonObject


@dataclass(frozen=True)
class SetAside:
    """Why (`reason`: suspect_swap), the frames [first, last] of the window that shows it,
    the metrics left out (their values and SDs are None) and a message for the reader."""

    reason: str
    frames: tuple[int, int]
    metrics: tuple[str, ...]
    message: str

    def holds(self, frame: float) -> bool:
        """Is `frame` (fractional) within a frame of the window that shows it?"""
        return self.frames[0] - 1 < frame < self.frames[1] + 1

    def to_dict(self) -> JsonObject:
        return {
            "reason": self.reason,
            "frames": list(self.frames),
            "metrics": list(self.metrics),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> SetAside:
        first, last = data["frames"]
        return cls(
            reason=str(data["reason"]),
            frames=(int(first), int(last)),
            metrics=tuple(str(m) for m in data["metrics"]),
            message=str(data["message"]),
        )
