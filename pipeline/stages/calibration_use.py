"""Which calibration a trial's stage uses: the session's files, found by the study's paths,
judged by the acceptance rules of calibration/acceptance.py (the rules and their why)."""

from __future__ import annotations

from pipeline.calibration.acceptance import (
    ACCEPTED,
    REJECTED,
    SIZE_SLACK_PX,
    accepted_calibration,
    calibration_id,
    check_image_sizes,
)
from pipeline.core.camera_set import CameraSet
from pipeline.study.paths import StudyPaths

__all__ = [
    "ACCEPTED",
    "REJECTED",
    "SIZE_SLACK_PX",
    "calibration_id",
    "check_image_sizes",
    "load_calibration",
]


def load_calibration(paths: StudyPaths, session: str) -> CameraSet:
    """The session's calibration, refused unless it is the one its quality report accepted."""
    return accepted_calibration(
        paths.calibration(session),
        paths.calibration_quality(session),
        paths.calibration_report(session),
        session,
    )
