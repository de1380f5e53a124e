"""The standing foot pitch from a static trial (issue #29): the foot-strike angle's reference.

A lab records the runner standing still with the same cameras; per side, the heel -> big-toe
pitch (angles.foot_pitch_deg, the foot-strike angle's own function) is taken over the frames
where the person stands still, as a robust median with its spread. The pitch is measured in
the foot's own vertical plane (forward = the foot's median heel -> toe direction on the
floor), so a standing person needs no line of progression.

Still: every frame where both heels, both big toes and the pelvis centre lie within
STILL_RADIUS_M of their median position over the trial. Refused, with a named reason and no
pitch: fewer than MIN_STILL_S of still frames (NOT_STILL), fewer than that with the side's
heel and big toe seen (FEET_NOT_SEEN), a pitch spread (1.4826 x MAD) above MAX_PITCH_SD_DEG
(PITCH_SPREAD: the foot rocks or a keypoint jumps between heel and ankle), a median pitch
beyond MAX_STANDING_PITCH_DEG (NOT_LEVEL: the 3D's up is not the floor's normal).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.gait.angles import foot_pitch_deg, hip_centre, keypoint

STILL_RADIUS_M = 0.05  # a keypoint's reach from its median position while standing still
MIN_STILL_S = 1.0  # still frames needed (with the side's foot seen), seconds
MAX_PITCH_SD_DEG = 5.0  # robust SD of the per-frame pitch over the still frames (keypoint noise
# of 8 mm per axis gives 3 deg on a 22 cm foot; a foot rocking +-8 deg gives 8)
MAD_TO_SD = 1.4826
# a foot standing flat is within this of the floor plane, whatever a detector's heel and toe
# keypoints are; beyond it the 3D's "up" is not the lab's (no floor frames in the calibration)
MAX_STANDING_PITCH_DEG = 30.0

NOT_STILL = "not_still"
FEET_NOT_SEEN = "feet_not_seen"
PITCH_SPREAD = "pitch_spread"
NOT_LEVEL = "not_level"
REASONS = {
    NOT_STILL: (
        f"the person does not stand still for {MIN_STILL_S:.0f} s (heels, big toes and pelvis "
        f"within {STILL_RADIUS_M * 100:.0f} cm of their median position): record the static "
        "trial standing still, feet flat"
    ),
    FEET_NOT_SEEN: (
        "the heel or big toe is not seen in enough still frames: keep the feet in every "
        "camera's view"
    ),
    PITCH_SPREAD: (
        f"the heel -> toe pitch spreads more than {MAX_PITCH_SD_DEG:.0f} deg (SD) over the still "
        "frames: the foot rocks or a keypoint is unstable; check the cameras' view of the feet"
    ),
    NOT_LEVEL: (
        f"the standing foot pitch is more than {MAX_STANDING_PITCH_DEG:.0f} deg from the floor "
        "plane: the 3D's up is not the lab's; calibrate with the board flat on the floor first "
        "(calibration.floor_frames)"
    ),
}


@dataclass(frozen=True)
class StandingSide:
    """One side's standing pitch (deg, + = toes up) or the named reason it has none."""

    pitch_deg: float | None
    sd_deg: float | None  # robust SD over the still frames
    n_frames: int  # still frames with the foot seen
    reason: str | None  # a key of REASONS, None when measured

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> StandingSide:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class StandingMeasurement:
    """A static trial's standing foot pitch per side, with the frames it stands on."""

    trial: str
    fps: float
    n_frames: int
    n_still_frames: int
    sides: dict[str, StandingSide]

    @property
    def ok(self) -> bool:
        return all(s.pitch_deg is not None for s in self.sides.values())

    def pitch_deg(self) -> dict[str, float] | None:
        """{side: deg} when both sides were measured, else None (no reference)."""
        if not self.ok:
            return None
        return {
            side: float(s.pitch_deg) for side, s in self.sides.items() if s.pitch_deg is not None
        }

    def reasons(self) -> list[str]:
        return sorted({s.reason for s in self.sides.values() if s.reason is not None})

    def to_dict(self) -> JsonObject:
        return {
            "trial": self.trial,
            "fps": self.fps,
            "n_frames": self.n_frames,
            "n_still_frames": self.n_still_frames,
            "verdict": "ok" if self.ok else "no_reference",
            "reasons": [{"code": r, "message": REASONS[r]} for r in self.reasons()],
            "sides": {side: s.to_dict() for side, s in self.sides.items()},
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> StandingMeasurement:
        return cls(
            trial=str(data["trial"]),
            fps=float(data["fps"]),
            n_frames=int(data["n_frames"]),
            n_still_frames=int(data["n_still_frames"]),
            sides={side: StandingSide.from_dict(s) for side, s in data["sides"].items()},
        )


def still_frames(points: np.ndarray) -> np.ndarray:
    """(F,) bool: heels, big toes and pelvis centre all within STILL_RADIUS_M of their median
    position over the trial (a keypoint not seen in a frame does not move it)."""
    tracked = [hip_centre(points)] + [
        keypoint(points, f"{side}_{part}")
        for side in ("left", "right")
        for part in ("heel", "big_toe")
    ]
    still = np.ones(len(points), bool)
    for track in tracked:
        if not np.isfinite(track).all(axis=1).any():
            continue
        reach = np.linalg.norm(track - np.nanmedian(track, axis=0), axis=1)
        still &= ~(reach > STILL_RADIUS_M)  # NaN (not seen) stays still
    return still


def _foot_forward(points: np.ndarray, side: str, frames: np.ndarray) -> np.ndarray | None:
    """The foot's median heel -> toe direction on the floor over `frames`, or None."""
    foot = keypoint(points, f"{side}_big_toe")[frames] - keypoint(points, f"{side}_heel")[frames]
    direction = np.nanmedian(foot, axis=0)
    direction[2] = 0.0
    norm = np.linalg.norm(direction)
    return direction / norm if np.isfinite(norm) and norm > 0 else None


def measure_standing(points: np.ndarray, fps: float, trial: str = "") -> StandingMeasurement:
    """Per side, the standing heel -> big-toe pitch over the still frames of a static trial."""
    min_frames = max(1, int(np.ceil(MIN_STILL_S * fps)))
    still = still_frames(points)
    sides = {}
    for side in ("left", "right"):
        sides[side] = _measure_side(points, side, still, min_frames)
    return StandingMeasurement(trial, float(fps), len(points), int(still.sum()), sides)


def _measure_side(
    points: np.ndarray, side: str, still: np.ndarray, min_frames: int
) -> StandingSide:
    if still.sum() < min_frames:
        return StandingSide(None, None, int(still.sum()), NOT_STILL)
    frames = np.flatnonzero(still)
    forward = _foot_forward(points, side, frames)
    pitch = (
        foot_pitch_deg(points[frames], side, forward)
        if forward is not None
        else np.full(frames.size, np.nan)
    )
    pitch = pitch[np.isfinite(pitch)]
    if pitch.size < min_frames:
        return StandingSide(None, None, int(pitch.size), FEET_NOT_SEEN)
    median = float(np.median(pitch))
    sd = float(MAD_TO_SD * np.median(np.abs(pitch - median)))
    if sd > MAX_PITCH_SD_DEG:
        return StandingSide(None, sd, int(pitch.size), PITCH_SPREAD)
    if abs(median) > MAX_STANDING_PITCH_DEG:
        return StandingSide(None, sd, int(pitch.size), NOT_LEVEL)
    return StandingSide(median, sd, int(pitch.size), None)
