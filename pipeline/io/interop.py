"""Calibrations from other tools: aniposelib / Pose2Sim TOML and caliscope camera_array.toml.

All three store world -> camera extrinsics in metres; they differ in layout and rotation form:
- aniposelib and Pose2Sim: one table per camera, `rotation` = Rodrigues vector, `distortions`
  [k1, k2, p1, p2(, k3)], `size` [width, height] (Pose2Sim adds `fisheye`; fisheye lenses are
  not supported here).
- caliscope: `[cameras.<id>]` tables, `rotation` = 3x3 matrix, `distortions` 5 values.
Readers and writers for both round-trip.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import toml

from pipeline.geometry import Camera, matrix_to_rodrigues
from pipeline.io.formats import Calibration, FormatError


def read_pose2sim_calibration(path: Path | str, names: list[str] | None = None) -> Calibration:
    """Pose2Sim (or plain aniposelib) TOML. `names` renames the cameras in file order."""
    path = Path(path)
    doc = _load(path)
    tables = [(k, v) for k, v in doc.items() if k != "metadata" and isinstance(v, dict)]
    cams = []
    for key, t in tables:
        if t.get("fisheye", False):
            raise FormatError(f"{path}: camera {key} is a fisheye camera, which runlab does not support")
        cams.append(Camera(t.get("name", key), tuple(int(v) for v in t["size"]), np.array(t["matrix"]),
                           np.array(t["distortions"]), rvec=np.array(t["rotation"]),
                           tvec=np.array(t["translation"])))
    return Calibration(_rename(cams, names, path), metadata={"imported_from": str(path), "format": "pose2sim"})


def read_caliscope_camera_array(path: Path | str, names: list[str] | None = None) -> Calibration:
    path = Path(path)
    cameras = _load(path).get("cameras")
    if not isinstance(cameras, dict) or not cameras:
        raise FormatError(f"{path}: no [cameras.<id>] tables; is this a caliscope camera_array.toml?")
    cams = []
    for key in sorted(cameras, key=int):
        t = cameras[key]
        if t.get("ignore", False):
            continue
        cams.append(Camera(f"cam_{key}", tuple(int(v) for v in t["size"]), np.array(t["matrix"]),
                           np.array(t["distortions"]),
                           rvec=matrix_to_rodrigues(np.array(t["rotation"], float)),
                           tvec=np.array(t["translation"])))
    return Calibration(_rename(cams, names, path), metadata={"imported_from": str(path), "format": "caliscope"})


def write_pose2sim_calibration(path: Path | str, calib: Calibration) -> None:
    """Pose2Sim TOML: one `[<name>]` table per camera (`rotation` Rodrigues world->camera,
    `translation` metres, `fisheye = false`), then `[metadata]`. Readable by Pose2Sim,
    aniposelib's CameraGroup.load and `read_pose2sim_calibration`."""
    doc: dict = {}
    for cam in calib.cameras:
        doc[cam.name] = {
            "name": cam.name, "size": [float(v) for v in cam.size],
            "matrix": cam.matrix.tolist(), "distortions": cam.dist.tolist(),
            "rotation": cam.rvec.tolist(), "translation": cam.tvec.tolist(),
            "fisheye": False,
        }
    doc["metadata"] = {"adjusted": False, "error": 0.0}
    _dump(path, doc)


def write_caliscope_camera_array(path: Path | str, calib: Calibration) -> None:
    """caliscope camera_array.toml: `[cameras.<i>]` tables in calibration order (`rotation`
    3x3 world->camera, `translation` metres, `distortions` [k1, k2, p1, p2, k3]). caliscope
    keys cameras by integer id, so names are not kept: camera i is `cam_i` when read back."""
    cameras = {}
    for i, cam in enumerate(calib.cameras):
        cameras[str(i)] = {
            "cam_id": i, "size": list(cam.size), "rotation_count": 0, "error": None,
            "matrix": cam.matrix.tolist(), "distortions": cam.dist.tolist(),
            "translation": cam.tvec.tolist(), "rotation": cam.rotation.tolist(),
            "ignore": False,
        }
    for table in cameras.values():          # TOML has no null
        table.pop("error")
    _dump(path, {"cameras": cameras})


def _dump(path: Path | str, doc: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(toml.dumps(doc))


def _load(path: Path) -> dict:
    if not path.exists():
        raise FormatError(f"{path} not found")
    try:
        return toml.load(path)
    except toml.TomlDecodeError as exc:
        raise FormatError(f"{path}: not valid TOML ({exc})") from None


def _rename(cams: list[Camera], names: list[str] | None, path: Path) -> list[Camera]:
    if names is None:
        return cams
    if len(names) != len(cams):
        raise FormatError(f"{path}: {len(cams)} cameras, but {len(names)} names were given")
    from dataclasses import replace
    return [replace(c, name=n) for c, n in zip(cams, names)]


def read_any_calibration(path: Path | str) -> Calibration:
    """A calibration in any of the formats above, told apart by layout: caliscope files have
    `[cameras.<id>]` tables, the others one table per camera (runlab's own calibration.toml is
    aniposelib TOML and reads the same way)."""
    path = Path(path)
    doc = _load(path)
    if isinstance(doc.get("cameras"), dict) and all(str(k).isdigit() for k in doc["cameras"]):
        return read_caliscope_camera_array(path)
    tables = [v for k, v in doc.items() if k != "metadata" and isinstance(v, dict)]
    if not tables or not all({"matrix", "distortions", "size"} <= set(t) for t in tables):
        raise FormatError(f"{path}: neither an aniposelib / Pose2Sim / runlab calibration (one "
                          "table per camera with matrix, distortions, size) nor a caliscope "
                          "camera_array.toml")
    return read_pose2sim_calibration(path)
