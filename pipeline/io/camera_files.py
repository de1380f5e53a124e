"""A camera set read from or written to each file format runlab supports, by one pair of
functions: `load_camera_set(path, fmt)` and `dump_camera_set(path, cameras, fmt)`.

Formats (docs/formats.md, pipeline/io/interop.py): `runlab` (calibration.toml, aniposelib
TOML with a [metadata] table), `pose2sim` / `aniposelib` (one table per camera, in name
order), `caliscope` (camera_array.toml; names are not kept), `caliscope-config` (caliscope's
config.toml of 2023 and earlier: read only); `auto` tells a file's format by its layout and
reads it as an import does (cameras only: a runlab file's calibration id, world transform and
metadata are not kept, so an imported file is never taken for an accepted calibration).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pipeline.core.camera_set import CameraSet
from pipeline.io.formats import FormatError, read_calibration, write_calibration
from pipeline.io.interop import (
    READERS,
    read_any_calibration,
    write_caliscope_camera_array,
    write_pose2sim_calibration,
)

WRITERS: dict[str, Callable[[Path | str, CameraSet], None]] = {
    "runlab": write_calibration,
    "pose2sim": write_pose2sim_calibration,
    "aniposelib": write_pose2sim_calibration,
    "caliscope": write_caliscope_camera_array,
}
FORMATS = ("auto", "runlab", *READERS)


def load_camera_set(
    path: Path | str, fmt: str = "runlab", names: list[str] | None = None
) -> CameraSet:
    """The camera set in `path`, a file of format `fmt`; `names` renames cameras in order
    (formats without names, or to match a recording's)."""
    if fmt == "auto":  # as an import: cameras only (a runlab file's id and metadata dropped)
        return read_any_calibration(path, names)
    if fmt == "runlab":
        cams = read_calibration(path)
        return cams if names is None else _renamed(path, cams, names)
    if fmt not in READERS:
        raise FormatError(f"{path}: unknown calibration format {fmt!r}; one of {FORMATS}")
    return READERS[fmt](path, names)


def dump_camera_set(path: Path | str, cameras: CameraSet, fmt: str = "runlab") -> None:
    """Write `cameras` to `path` in format `fmt` (atomic, as every writer in io)."""
    if fmt not in WRITERS:
        raise FormatError(
            f"{path}: runlab cannot write calibration format {fmt!r}; one of {tuple(WRITERS)}"
        )
    WRITERS[fmt](path, cameras)


def _renamed(path: Path | str, cams: CameraSet, names: list[str]) -> CameraSet:
    if len(names) != len(cams):
        raise FormatError(f"{path}: {len(cams)} cameras, {len(names)} names given")
    return CameraSet(
        [replace(c, name=n) for c, n in zip(cams, names)], cams.world_from_rig, cams.metadata
    )
