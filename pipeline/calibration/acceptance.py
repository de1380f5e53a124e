"""The rules for accepting a calibration: a trial may use the session's calibration.toml only
if its quality.json accepted it, and only if the trial's videos have the image size it was
made at (the stage's runner, stages/calibration_use.py, only finds the files).

`runlab calibrate` writes the pair as one set: calibration.toml (carrying `calibration_id`,
a digest of its cameras) and then quality.json (the same id, `verdict: accepted`); a rejected
run removes calibration.toml first and writes quality.json with `verdict: rejected`. So a
stage that finds
- no calibration.toml beside a rejected quality.json: the session's recalibration was
  rejected (by hand, or under `dvc repro`, which removes the outputs before the run);
- a calibration.toml whose id is not the quality's: a run stopped between the two files,
  or one of them was copied in from elsewhere;
- a calibration.toml whose numbers no longer give its own id: edited after calibration;
refuses, naming the session and the fix. A calibration.toml without an id was imported
(`runlab import-calibration`) or written before this check, and is used as it is.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.io import formats
from pipeline.io.formats import FormatError
from pipeline.io.video import VideoError, VideoInfo

log = logging.getLogger("runlab")

ACCEPTED, REJECTED = "accepted", "rejected"
# Image sizes differing by at most this many pixels per side (a 1080-wide video against a
# 1088-wide calibration: encoders pad to multiples of 16) warn instead of stopping.
SIZE_SLACK_PX = 16


def calibration_id(calib: CameraSet) -> str:
    """Digest of the cameras' numbers: the same calibration always gets the same id."""
    digest = hashlib.sha256()
    for cam in calib.cameras:
        digest.update(cam.name.encode())
        for value in (cam.size, cam.matrix, cam.dist, cam.rvec, cam.tvec):
            digest.update(np.asarray(value, float).round(12).tobytes())
    digest.update(np.asarray(calib.world_from_rig, float).round(12).tobytes())
    return digest.hexdigest()[:16]


def _rerun(session: str) -> str:
    return f"`runlab calibrate --session {session}` (or `dvc repro calibrate@{session}`)"


def accepted_calibration(
    path: Path, quality_path: Path, report_path: Path, session: str
) -> CameraSet:
    """The calibration in `path` (session `session`), refused unless it is the one its quality
    report `quality_path` accepted; `report_path`: the page that says why a calibration was
    rejected, named in the message."""
    quality = None
    if quality_path.exists():
        try:
            quality = formats.read_json(quality_path)
        except (FormatError, ValueError):
            quality = None  # unreadable: judged below by the calibration's own id
    if not path.exists():
        if quality is not None and quality.get("verdict") == REJECTED:
            raise FormatError(
                f"session {session}'s calibration was rejected by its quality gates "
                f"({quality_path}; the page {report_path} says why) and "
                "there is no accepted calibration for it: record the calibration again as the "
                "report says (or list the failed gate in calibration.allow_failed_gates), then "
                f"run {_rerun(session)}"
            )
        formats.read_calibration(path)  # the usual "not found: run the stage" error
    calib = formats.read_calibration(path)
    own_id = calib.metadata.get("calibration_id")
    if own_id is None:
        return calib  # imported, or written before the id existed
    if calibration_id(calib) != own_id:  # the id is of the numbers the quality judged
        raise FormatError(
            f"session {session}: {path} was changed after it was calibrated (its numbers no "
            f"longer give its calibration_id {own_id}), so the quality report "
            f"{quality_path} does not describe it. Run {_rerun(session)} again, or import an "
            "edited calibration with `runlab import-calibration`, which gives it no quality record"
        )
    if (
        quality is None
        or quality.get("calibration_id") != own_id
        or quality.get("verdict") != ACCEPTED
    ):
        state = (
            "is missing"
            if not quality_path.exists()
            else "is unreadable"
            if quality is None
            else f"describes a {quality.get('verdict', 'different')} calibration"
            if quality.get("calibration_id") != own_id
            else f"says {quality.get('verdict')}"
        )
        raise FormatError(
            f"session {session}: {path} is not the calibration its quality report accepted "
            f"({quality_path} {state}): a calibration run stopped between the two files, or "
            f"one of them was copied from elsewhere. Run {_rerun(session)} again"
        )
    return calib


def check_image_sizes(
    calib: CameraSet, cameras: list[str], infos: list[VideoInfo], where: str
) -> None:
    """Each trial video must have the image size its camera was calibrated at (the lens
    model is in pixels of that image). A few pixels (<= SIZE_SLACK_PX per side) warn."""
    wrong: list[str] = []
    close: list[str] = []
    for name, info in zip(cameras, infos):
        want = tuple(calib.camera(name).size)
        got = (info.width, info.height)
        if got == want:
            continue
        line = f"{name}: {info.path} is {got[0]}x{got[1]}, calibrated at {want[0]}x{want[1]}"
        (
            close if max(abs(got[0] - want[0]), abs(got[1] - want[1])) <= SIZE_SLACK_PX else wrong
        ).append(line)
    if wrong:
        raise VideoError(
            f"{where}: trial videos of another image size than the calibration ("
            + "; ".join(wrong)
            + "). Record the trial at the calibration's resolution (the "
            "camera's video mode), or calibrate again at the trial's resolution; a rescaled "
            "video does not fit the lens model"
        )
    for line in close:
        log.warning(
            "%s: %s: a few pixels apart (encoder padding or cropping?); the lens model "
            "is used as calibrated, so points near the cropped edge may be off by up to "
            "that many pixels. Check that the camera's video mode is the same",
            where,
            line,
        )
