"""Shared plumbing for stage runners: logging, camera-set checks."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipeline.config import Config
from pipeline.core.json_types import JsonObject
from pipeline.io.atomic import remove_dead_staging
from pipeline.io.formats import CameraSet, FormatError
from pipeline.study.paths import StudyPaths

log = logging.getLogger("runlab")


def check_camera_set(calib: CameraSet, cameras: list[str], where: str) -> None:
    """CameraSet and recording must name the same cameras, in the same order."""
    if list(calib.names) != list(cameras):
        missing = sorted(set(cameras) - set(calib.names))
        extra = sorted(set(calib.names) - set(cameras))
        raise FormatError(
            f"{where}: the calibration has cameras {calib.names} but rig.cameras is {list(cameras)}"
            + (f"; not calibrated: {missing}" if missing else "")
            + (f"; calibrated but not recorded: {extra}" if extra else "")
            + ". Recalibrate with the same cameras or fix rig.cameras."
        )


def trial_names(cfg: Config, trial: str | None) -> list[str]:
    """The one trial asked for (checked against the study), or all of them in config order.
    What a killed stage left in their results folders is removed first."""
    if trial is None:
        names = list(cfg.study.trials)
    else:
        cfg.study.trial(trial)
        names = [trial]
    paths = StudyPaths.from_config(cfg)
    for name in names:
        _remove_leftovers(paths.trial_results(name))
    return names


def session_names(cfg: Config, session: str | None) -> list[str]:
    """The one session asked for (checked against the study), or all of them in config order.
    What a killed stage left in their results folders is removed first."""
    if session is None:
        names = list(cfg.study.sessions)
    else:
        cfg.study.session(session)
        names = [session]
    paths = StudyPaths.from_config(cfg)
    for name in names:
        _remove_leftovers(paths.calibration_dir(name).parent)
        _remove_leftovers(paths.calibration_dir(name))
    return names


def _remove_leftovers(folder: Path) -> None:
    for entry in remove_dead_staging(folder):
        log.info("removed %s, left by a stage that was killed while writing", entry)


def reproducible(record: JsonObject, root: Path | None = None) -> tuple[JsonObject, JsonObject]:
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
