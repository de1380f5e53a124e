"""Calibrations from other tools: aniposelib / Pose2Sim TOML and caliscope's files.

All store world -> camera extrinsics in metres; they differ in layout and rotation form:
- aniposelib and Pose2Sim (and runlab's own calibration.toml): one table per camera,
  `rotation` = Rodrigues vector, `distortions` [k1, k2, p1, p2(, k3)], `size` [width, height]
  (Pose2Sim adds `fisheye`; fisheye lenses are not supported here).
- caliscope's camera_array.toml (current): `[cameras.<id>]` tables, `rotation` = 3x3 matrix,
  `distortions` 5 values.
- caliscope's config.toml (2023 and earlier): `[cam_<id>]` tables with `port`, `rotation` =
  3x3 matrix, beside `[charuco]` / `[capture_volume]` tables.
Each reader first tells which kind of file it was given (`identify`): a file of another kind
is refused with a message naming the kind it looks like and the `--format` that reads it;
a table with a missing or malformed entry is named with its key. Writers round-trip.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import toml

from pipeline.core.geometry import Camera, matrix_to_rodrigues
from pipeline.core.json_types import JsonObject
from pipeline.io.calibration_kinds import (
    ANIPOSE,
    CALISCOPE,
    CALISCOPE_2023,
    FORMAT_OF,
    POSE2SIM,
    RUNLAB,
    identify,
)
from pipeline.io.calibration_kinds import camera_tables as _camera_tables
from pipeline.io.formats import CameraSet, FormatError

_CAMERA_KEYS = ("size", "matrix", "distortions", "rotation", "translation")


def read_pose2sim_calibration(path: Path | str, names: list[str] | None = None) -> CameraSet:
    """Pose2Sim or aniposelib TOML (runlab's own calibration.toml reads the same way).
    `names` renames the cameras in file order."""
    path = Path(path)
    doc = _load(path)
    _expect(path, doc, (POSE2SIM, ANIPOSE, RUNLAB), "a Pose2Sim / aniposelib calibration")
    cams = []
    for key, t in _camera_tables(doc):
        if t.get("fisheye", False):
            raise FormatError(
                f"{path}: camera {key} is a fisheye camera, which runlab does not support"
            )
        cams.append(_camera(path, key, t, str(t.get("name", key)), rotation_values=3))
    return CameraSet(
        _rename(cams, names, path), metadata={"imported_from": str(path), "format": "pose2sim"}
    )


def read_caliscope_camera_array(path: Path | str, names: list[str] | None = None) -> CameraSet:
    """caliscope's current camera_array.toml; camera <id> is named `cam_<id>`."""
    path = Path(path)
    doc = _load(path)
    _expect(path, doc, (CALISCOPE,), "a caliscope camera_array.toml ([cameras.<id>] tables)")
    cameras = doc["cameras"]
    cams = [
        _camera(path, f"cameras.{key}", cameras[key], f"cam_{key}", rotation_values=9)
        for key in sorted(cameras, key=int)
        if isinstance(cameras[key], dict) and not cameras[key].get("ignore", False)
    ]
    return CameraSet(
        _rename(cams, names, path), metadata={"imported_from": str(path), "format": "caliscope"}
    )


def read_caliscope_config(path: Path | str, names: list[str] | None = None) -> CameraSet:
    """caliscope's older config.toml (2023): `[cam_<id>]` tables with a 3x3 `rotation`;
    camera <id> is named `cam_<id>`. Cameras marked `ignore` and tables without extrinsics
    (a session calibrated for lenses only) are refused or skipped as the message says."""
    path = Path(path)
    doc = _load(path)
    _expect(
        path,
        doc,
        (CALISCOPE_2023,),
        "a caliscope config.toml ([cam_<id>] tables with a 3x3 rotation)",
    )
    cams = []
    for key, t in _camera_tables(doc):
        if t.get("ignore", False):
            continue
        if "rotation" not in t or "translation" not in t:
            raise FormatError(
                f"{path}: [{key}] has no rotation / translation: caliscope had not "
                "posed this camera (run its extrinsic calibration first)"
            )
        cams.append(_camera(path, key, t, key, rotation_values=9))
    return CameraSet(
        _rename(cams, names, path),
        metadata={"imported_from": str(path), "format": "caliscope-config"},
    )


READERS = {
    "pose2sim": read_pose2sim_calibration,
    "aniposelib": read_pose2sim_calibration,
    "caliscope": read_caliscope_camera_array,
    "caliscope-config": read_caliscope_config,
}


def read_any_calibration(path: Path | str, names: list[str] | None = None) -> CameraSet:
    """A calibration in any of the formats above, told apart by layout (`identify`)."""
    path = Path(path)
    kind = identify(_load(path))
    if kind is None:
        raise FormatError(
            f"{path}: not a calibration runlab can read: neither an aniposelib / "
            "Pose2Sim / runlab calibration (one table per camera with matrix, "
            "distortions, size, rotation, translation) nor a caliscope "
            "camera_array.toml or config.toml"
        )
    return READERS[FORMAT_OF[kind]](path, names)


def write_pose2sim_calibration(path: Path | str, calib: CameraSet) -> None:
    """Pose2Sim TOML: one `[<name>]` table per camera (`rotation` Rodrigues world->camera,
    `translation` metres, `fisheye = false`), then `[metadata]`. Readable by Pose2Sim,
    aniposelib's CameraGroup.load and `read_pose2sim_calibration`. Tables in name order:
    aniposelib sorts them by name on load and Pose2Sim takes them in file order, so only
    this order gives both the same camera i."""
    doc: dict = {}
    for cam in sorted(calib.cameras, key=lambda c: c.name):
        doc[cam.name] = {
            "name": cam.name,
            "size": [float(v) for v in cam.size],
            "matrix": cam.matrix.tolist(),
            "distortions": cam.dist.tolist(),
            "rotation": cam.rvec.tolist(),
            "translation": cam.tvec.tolist(),
            "fisheye": False,
        }
    doc["metadata"] = {"adjusted": False, "error": 0.0}
    _dump(path, doc)


def write_caliscope_camera_array(path: Path | str, calib: CameraSet) -> None:
    """caliscope camera_array.toml: `[cameras.<i>]` tables in calibration order (`rotation`
    3x3 world->camera, `translation` metres, `distortions` [k1, k2, p1, p2, k3]). caliscope
    keys cameras by integer id, so names are not kept: camera i is `cam_i` when read back."""
    cameras = {}
    for i, cam in enumerate(calib.cameras):
        cameras[str(i)] = {
            "cam_id": i,
            "size": list(cam.size),
            "rotation_count": 0,
            "matrix": cam.matrix.tolist(),
            "distortions": cam.dist.tolist(),
            "translation": cam.tvec.tolist(),
            "rotation": cam.rotation.tolist(),
            "ignore": False,
        }
    _dump(path, {"cameras": cameras})


def _expect(path: Path, doc: dict, kinds: tuple[str, ...], wanted: str) -> None:
    kind = identify(doc)
    if kind in kinds:
        return
    if kind is None:
        raise FormatError(
            f"{path}: not {wanted}, nor any calibration runlab reads (no table "
            "with a camera's matrix and size)"
        )
    own = " (runlab uses it as it is; it is also aniposelib TOML)" if kind == RUNLAB else ""
    raise FormatError(
        f"{path} looks like {kind}, not {wanted}{own}: import it with "
        f"`runlab import-calibration --format {FORMAT_OF[kind]}`"
    )


def _camera(path: Path, key: str, t: dict, name: str, rotation_values: int) -> Camera:
    """One camera from its table; a missing or malformed entry names the table and key."""
    missing = [k for k in _CAMERA_KEYS if k not in t]
    if missing:
        raise FormatError(f"{path}: [{key}] lacks {', '.join(missing)}")
    shapes = {"size": (2,), "matrix": (9,), "translation": (3,), "rotation": (rotation_values,)}
    values = {}
    for k in _CAMERA_KEYS:
        try:
            values[k] = np.asarray(t[k], float).ravel()
        except (TypeError, ValueError):
            raise FormatError(f"{path}: [{key}] {k} is not a list of numbers") from None
        if k in shapes and values[k].shape != shapes[k]:
            raise FormatError(
                f"{path}: [{key}] {k} has {values[k].size} values, expected "
                f"{shapes[k][0]}"
                + (
                    " (a 3x3 rotation matrix)"
                    if k == "rotation" and rotation_values == 9
                    else " (a Rodrigues vector)"
                    if k == "rotation"
                    else ""
                )
            )
        if not np.all(np.isfinite(values[k])):
            raise FormatError(f"{path}: [{key}] {k} has a value that is not a finite number")
    if not 4 <= values["distortions"].size <= 5:
        raise FormatError(
            f"{path}: [{key}] distortions has {values['distortions'].size} values, "
            "expected [k1, k2, p1, p2] or [k1, k2, p1, p2, k3]"
        )
    if np.any(values["size"] <= 0):
        raise FormatError(
            f"{path}: [{key}] size {values['size'].tolist()} is not [width, height] in pixels"
        )
    rvec = values["rotation"]
    if rotation_values == 9:
        R = rvec.reshape(3, 3)
        if not np.allclose(R @ R.T, np.eye(3), atol=1e-4) or np.linalg.det(R) <= 0:
            raise FormatError(f"{path}: [{key}] rotation is not a rotation matrix")
        rvec = matrix_to_rodrigues(R)
    width, height = (int(round(v)) for v in values["size"])
    return Camera(
        name,
        (width, height),
        values["matrix"].reshape(3, 3),
        values["distortions"],
        rvec=rvec,
        tvec=values["translation"],
    )


def _dump(path: Path | str, doc: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(toml.dumps(doc))


def _load(path: Path) -> JsonObject:
    if not path.exists():
        raise FormatError(f"{path} not found")
    if path.is_dir():
        raise FormatError(f"{path} is a folder; give the calibration file inside it")
    try:
        return toml.loads(path.read_text())
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a text file (a calibration is TOML text)") from None
    except (toml.TomlDecodeError, IndexError, ValueError) as exc:
        try:
            json.loads(path.read_text())
            hint = ": it is JSON"
        except ValueError:
            hint = ""
        raise FormatError(f"{path}: not valid TOML{hint} ({exc})") from None


def _rename(cams: list[Camera], names: list[str] | None, path: Path) -> list[Camera]:
    if not cams:
        raise FormatError(f"{path}: no camera in the file (all marked ignore?)")
    if names is None:
        return cams
    if len(names) != len(cams):
        raise FormatError(f"{path}: {len(cams)} cameras, but {len(names)} names were given")
    return [replace(c, name=n) for c, n in zip(cams, names)]
