"""The calibration's whole-rig measures as records: what `solve_calibration` measures and the
calibrate stage adds, each the value of one quality.json key (docs/calibration.md).

Each record has one `to_dict` / `from_dict` pair; `to_dict` writes the keys in the order and
with the nulls quality.json has always had, so the file is unchanged. A record is whole or
absent: a key it does not know, or one it lacks, is a ValueError naming it (a file from
another runlab, or a typo in a hand-made one); a measure not taken is a null value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from pipeline.core.records import Record


class _Record(Record):
    """A whole-rig measure of quality.json: its missing or unknown keys named as the file's."""

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> Self:
        try:
            return super().from_dict(entry)
        except ValueError as exc:
            raise ValueError(
                f"calibration quality record: {exc}; rerun the calibrate stage to rewrite "
                "quality.json"
            ) from None


@dataclass(frozen=True)
class DistanceSpread(_Record):
    """Nearest and farthest board distance of one camera's lens views (10th / 90th
    percentiles, so one odd view does not decide); None when no board pose was measured."""

    near_m: float | None
    far_m: float | None
    far_near_ratio: float | None


@dataclass(frozen=True)
class BoardSize(_Record):
    """The board's squares measured between triangulated adjacent corners against the
    configured side (quality.json `board_size`); the measures are None when no corner was
    triangulated from two cameras."""

    configured_square_mm: float
    measured_square_mm: float | None
    measured_square_iqr_mm: float | None
    relative_error: float | None  # measured / configured - 1
    pairs: int  # corner pairs measured


@dataclass(frozen=True)
class TruthError(_Record):
    """One camera against the true rig of a synthetic study (quality.json
    `truth_comparison`, per camera)."""

    center_error_mm: float
    orientation_error_deg: float


@dataclass(frozen=True)
class FloorFrame(_Record):
    """The world frame set by the floor board and its checks (quality.json `floor`)."""

    world_frame: str  # "floor board"
    cameras_seeing_floor_board: list[str]
    floor_corners: int
    floor_fit_rms_mm: float
    floor_fit_max_mm: float
    camera_heights_m: dict[str, float]


@dataclass(frozen=True)
class CameraFrame(_Record):
    """The world frame of one camera, no floor frames recorded (quality.json `floor`)."""

    world_frame: str  # "camera <name> (no floor frames used)"
    floor_frames_used: int  # 0
    reference_camera: str


WorldFrame = FloorFrame | CameraFrame


def world_frame_from_dict(entry: dict[str, Any]) -> WorldFrame:
    """quality.json `floor`, the floor board's frame or a camera's (told by its keys)."""
    if "floor_frames_used" in entry:
        return CameraFrame.from_dict(entry)
    return FloorFrame.from_dict(entry)


@dataclass(frozen=True)
class BackViewJudgement(_Record):
    """A camera whose board views were found in the flipped image: back views of the board
    or a mirrored video (quality.json `back_views`, per camera; calibration/back_views.py)."""

    frames_seen_from_behind: int
    frames_seen_from_front: int
    relative_pose_scatter_as_back_views: float | None
    relative_pose_scatter_as_mirrored_video: float | None
    verdict: str  # seen from behind | mirrored video | undecided


@dataclass(frozen=True)
class BoardPolarity(_Record):
    """Which print polarity found the board (quality.json `board_polarity`)."""

    configured: str  # auto | normal | inverted
    found: dict[str, str]  # video file name -> normal | inverted | not found
    fell_back_to_other_polarity: bool  # the configured one found the board in no video
