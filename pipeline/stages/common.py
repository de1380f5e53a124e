"""Shared plumbing for stage runners: logging, camera-set checks."""
from __future__ import annotations

import logging
import os
from pathlib import Path
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


def reproducible(record: dict, root: Path | None = None) -> tuple[dict, dict]:
    """A quality record fit for a DVC-tracked file: the same bytes on every rerun of the same
    inputs. Returns (record without `timings_s`, timings) with absolute paths under `root`
    (default: the working directory, the DVC project) made relative to it; the timings go to
    the log, never into a tracked file."""
    root = Path.cwd() if root is None else Path(root)

    def portable(value):
        if isinstance(value, dict):
            return {k: portable(v) for k, v in value.items()}
        if isinstance(value, list):
            return [portable(v) for v in value]
        if isinstance(value, str) and os.path.isabs(value) and Path(value).is_relative_to(root):
            return os.path.relpath(value, root)
        return value

    record = dict(record)
    timings = record.pop("timings_s", {})
    return portable(record), timings
