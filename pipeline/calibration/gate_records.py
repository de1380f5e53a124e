"""A calibration quality gate's record and thresholds (written to quality.json by
`CalibrationQuality`, decided by `gates.evaluate_gates`)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.json_types import JsonObject

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass(frozen=True)
class GateThresholds:
    reprojection_warn_px: float = 0.5  # per-camera median reprojection error
    reprojection_fail_px: float = 1.0
    min_detections_warn: int = 30  # frames with a usable board view, per camera
    min_detections_fail: int = 10
    min_shared_frames: int = 10  # per camera pair; below it the pair is not a link
    # Optical axes further apart than this: no board face is within 60 deg (the usable-view
    # limit) of both cameras' lines of sight, so the pair cannot share views and is not asked to.
    facing_axis_angle_deg: float = 120.0
    coverage_warn: float = 0.5  # fraction of image cells that saw a corner
    coverage_fail: float = 0.25
    distance_ratio_warn: float = 1.5  # far / near board distance (90th / 10th pct)
    distance_ratio_fail: float = 1.15
    board_size_warn: float = 0.01  # |triangulated square / configured - 1|
    board_size_fail: float = 0.02
    # Two cameras solved this close (centres and optical axes) are one camera recorded twice
    # or one recording under two names; no rig puts two lenses within 1 cm.
    same_pose_m: float = 0.01
    same_pose_deg: float = 2.0


@dataclass(frozen=True)
class Gate:
    name: str  # e.g. "reprojection cam_0", "shared frames cam_0/cam_1"
    value: float | None
    threshold: float | None  # the limit the verdict was decided against
    verdict: str  # "pass" | "warn" | "fail"
    message: str

    def as_dict(self) -> JsonObject:
        return {
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "message": self.message,
        }
