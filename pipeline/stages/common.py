"""Shared plumbing for stage runners: logging, camera-set checks."""
from __future__ import annotations

import logging
from typing import Optional

from pipeline.config import Config
from pipeline.io.formats import Calibration, FormatError

log = logging.getLogger("runlab")


def check_camera_set(calib: Calibration, cameras: list[str], where: str) -> None:
    """Calibration and recording must name the same cameras, in the same order."""
    if list(calib.names) != list(cameras):
        missing = sorted(set(cameras) - set(calib.names))
        extra = sorted(set(calib.names) - set(cameras))
        raise FormatError(
            f"{where}: the calibration has cameras {calib.names} but rig.cameras is {list(cameras)}"
            + (f"; not calibrated: {missing}" if missing else "")
            + (f"; calibrated but not recorded: {extra}" if extra else "")
            + ". Recalibrate with the same cameras or fix rig.cameras.")


def trial_names(cfg: Config, trial: Optional[str]) -> list[str]:
    """The one trial asked for (checked against the study), or all of them in config order."""
    if trial is None:
        return list(cfg.study.trials)
    cfg.study.trial(trial)
    return [trial]


def session_names(cfg: Config, session: Optional[str]) -> list[str]:
    """The one session asked for (checked against the study), or all of them in config order."""
    if session is None:
        return list(cfg.study.sessions)
    cfg.study.session(session)
    return [session]
