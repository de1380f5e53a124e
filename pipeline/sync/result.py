"""What sync.json says: offsets, confidence and a status a trial verdict can read.

Sign: offsets_frames[c] = d means camera c's frame k shows the reference camera's instant
k + d (d = +2: the camera started 2 frames late; its frame 0 is the reference's frame 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.io.formats import FormatError, read_json, write_json

OUT_OF_STEP_FRAMES = 0.5  # check mode: a camera this far off degrades the trial
MAX_SD_FRAMES = 0.25  # a standard error above this: not a measurement (low confidence)
SIGN = "offsets_frames[c] = d: camera c's frame k shows the reference camera's instant k + d"


@dataclass(frozen=True)
class SyncResult:
    """sync.json (docs/sync.md): per camera (by name) its offset against `reference`."""

    mode: str  # check | correct | off
    method: str  # keypoints | timestamps | none
    reference: str
    sign: str
    fps: float
    offsets_frames: dict[str, float | None]  # None: not measured
    offsets_ms: dict[str, float | None]
    sd_frames: dict[str, float | None]
    confidence: dict[str, float | None]
    measured: dict[str, bool]
    applied_frames: dict[str, float]  # what triangulation shifts each camera by
    status: str  # ok | degraded | off
    reasons: list[str]
    # the method's own record: timestamps_file, jitter_frames, motion_px_per_frame,
    # search_frames, pairs (docs/sync.md)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> JsonObject:
        own = {name: getattr(self, name) for name in _FIELDS}
        return {**own, "reasons": list(self.reasons), **self.details}

    @classmethod
    def from_dict(cls, data: dict, source: str = "sync.json") -> SyncResult:
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise FormatError(
                f"{source}: no {', '.join(missing)}: written by an older runlab; "
                "rerun `runlab sync`"
            )
        details = {k: v for k, v in data.items() if k not in _FIELDS}
        return cls(**{name: data[name] for name in _FIELDS}, details=details)


_FIELDS = (
    "mode",
    "method",
    "reference",
    "sign",
    "fps",
    "offsets_frames",
    "offsets_ms",
    "sd_frames",
    "confidence",
    "measured",
    "applied_frames",
    "status",
    "reasons",
)


def write_sync_result(path: Path | str, result: SyncResult) -> None:
    write_json(path, result.to_dict())


def read_sync_result(path: Path | str) -> SyncResult:
    data = read_json(path)  # checks the file's schema_version
    data.pop("schema_version", None)
    return SyncResult.from_dict(data, str(path))


def confidence(sd: float) -> float:
    """1 for an exact offset, 0.5 at MAX_SD_FRAMES, 0 at twice that (and when not measured)."""
    if not np.isfinite(sd):
        return 0.0
    return float(np.clip(1.0 - sd / (2 * MAX_SD_FRAMES), 0.0, 1.0))


def sync_result(
    cameras: list[str],
    fps: float,
    mode: str,
    method: str,
    offsets: np.ndarray,
    sd: np.ndarray,
    notes: dict[int, str],
    extra: dict | None = None,
) -> SyncResult:
    """The sync.json record (see docs/sync.md). `notes`: camera index -> why not measured."""
    ref = cameras[0]
    measured = np.isfinite(offsets) & (sd <= MAX_SD_FRAMES)
    reasons, off, untimed = [], [], []
    for c, cam in enumerate(cameras[1:], start=1):
        if not measured[c]:
            untimed.append(cam)
        if not np.isfinite(offsets[c]):
            reasons.append(
                f"{cam}: offset not measured ({notes.get(c, 'no estimate')}); "
                "its time against the reference is unknown"
            )
        elif not measured[c]:
            reasons.append(
                f"{cam}: offset {offsets[c]:+.2f} frames is uncertain (standard error "
                f"{sd[c]:.2f} frames, confidence {confidence(sd[c]):.2f}): not a "
                "measurement; the keypoints move too little or too noisily to time it"
            )
        elif abs(offsets[c]) >= OUT_OF_STEP_FRAMES:
            off.append(c)
    if untimed:
        reasons.append(
            f"to time {', '.join(untimed)} exactly, give every camera's per-frame capture "
            "times in timestamps.csv beside the trial's videos"
        )
    corrected = mode == "correct"
    if off and not corrected:
        listing = ", ".join(
            f"{cameras[c]} {offsets[c]:+.2f} frames ({1000 * offsets[c] / fps:+.1f} ms)"
            for c in off
        )
        reasons.append(
            f"cameras out of step with {ref}: {listing}. Fix: {_fix(cameras, offsets, measured)}"
        )
    apply = {
        cam: (float(offsets[c]) if corrected and measured[c] else 0.0)
        for c, cam in enumerate(cameras)
    }
    return SyncResult(
        mode=mode,
        method=method,
        reference=ref,
        sign=SIGN,
        fps=fps,
        offsets_frames={cam: _num(offsets[c]) for c, cam in enumerate(cameras)},
        offsets_ms={cam: _num(1000 * offsets[c] / fps) for c, cam in enumerate(cameras)},
        sd_frames={cam: _num(sd[c]) for c, cam in enumerate(cameras)},
        confidence={cam: confidence(sd[c]) for c, cam in enumerate(cameras)},
        measured={cam: bool(measured[c]) for c, cam in enumerate(cameras)},
        applied_frames=apply,
        status="degraded" if reasons else "ok",
        reasons=reasons,
        details=dict(extra or {}),
    )


def unmeasured_result(
    cameras: list[str], fps: float, mode: str, reason: str, extra: dict | None = None
) -> SyncResult:
    """A trial that cannot be timed at all (too short): said so, nothing guessed."""
    n = len(cameras)
    offsets = np.full(n, np.nan)
    offsets[0] = 0.0
    sd = np.full(n, np.inf)
    sd[0] = 0.0
    out = sync_result(
        cameras, fps, mode, "keypoints", offsets, sd, {c: reason for c in range(1, n)}, extra
    )
    return replace(out, reasons=[reason])


def off_result(cameras: list[str], fps: float) -> SyncResult:
    return SyncResult(
        mode="off",
        method="none",
        reference=cameras[0],
        sign=SIGN,
        fps=fps,
        offsets_frames={c: None for c in cameras},
        offsets_ms={c: None for c in cameras},
        sd_frames={c: None for c in cameras},
        confidence={c: None for c in cameras},
        measured={c: False for c in cameras},
        applied_frames={c: 0.0 for c in cameras},
        status="off",
        reasons=["sync.mode = off: the cameras are assumed in step, unchecked"],
    )


def _fix(cameras: list[str], offsets: np.ndarray, measured: np.ndarray) -> str:
    """Either correction in triangulation, or the frames to cut at each video's start."""
    d = np.where(measured, offsets, 0.0)
    latest = float(np.max(d))
    cuts = [
        f"the first {int(round(latest - d[c]))} frames of {cam}"
        for c, cam in enumerate(cameras)
        if int(round(latest - d[c])) > 0
    ]
    return (
        "set sync.mode: correct (triangulation then reads each camera at the reference's "
        "instants), or cut the videos to one start: drop "
        + ", ".join(cuts)
        + " (and the same number of frames at the end of the others)"
    )


def _num(v) -> float | None:
    return float(v) if np.isfinite(v) else None
