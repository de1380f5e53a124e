"""Readers and writers for the files passed between stages (described in docs/formats.md).

Every file carries `schema_version`; a reader refuses a file from another version rather
than guessing. Writers are atomic.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import toml

from pipeline.core.camera_set import CameraSet
from pipeline.core.errors import RunlabError
from pipeline.core.geometry import Camera
from pipeline.core.json_types import JsonObject
from pipeline.core.skeleton import KEYPOINTS, SKELETON_ID
from pipeline.io.atomic import atomic_path, write_text
from pipeline.io.calibration_kinds import FORMAT_OF, identify

SCHEMA_VERSION = 1


class FormatError(RunlabError, ValueError):
    """A stage file is missing, from another schema version, or inconsistent."""


def _check_version(path: Path, version: Any) -> None:
    if int(version) != SCHEMA_VERSION:
        raise FormatError(
            f"{path}: schema_version {version}, this runlab reads {SCHEMA_VERSION}; "
            f"rerun the stage that wrote it (dvc repro)"
        )


def _require(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path} not found: run the stage that produces it first (dvc repro)")
    return path


# --- calibration ---------------------------------------------------------------------------
# The file of the one camera-set type (core/camera_set.py); other formats: io/camera_files.py.


def write_calibration(path: Path | str, calib: CameraSet) -> None:
    """aniposelib TOML (`CameraGroup.load` reads it) with a [metadata] table of our own."""
    doc: dict[str, Any] = {}
    for i, cam in enumerate(calib.cameras):
        doc[f"cam_{i}"] = {
            "name": cam.name,
            "size": list(cam.size),
            "matrix": cam.matrix.tolist(),
            "distortions": cam.dist.tolist(),
            "rotation": cam.rvec.tolist(),
            "translation": cam.tvec.tolist(),
        }
    doc["metadata"] = {
        **calib.metadata,
        "schema_version": SCHEMA_VERSION,
        "units": "m",
        "convention": "x_cam = R(rotation) @ X_world + translation; world Z up",
        "world_from_rig": np.asarray(calib.world_from_rig).tolist(),
    }
    write_text(path, toml.dumps(doc))


def read_calibration(path: Path | str) -> CameraSet:
    path = _require(Path(path))
    try:
        doc = toml.load(path)
    except (toml.TomlDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: not valid TOML ({exc})") from None
    meta = dict(doc.pop("metadata", {}))
    if "schema_version" not in meta:  # another tool's file: say which, and how to import it
        kind = identify({**doc, "metadata": meta})
        if kind is not None:
            raise FormatError(
                f"{path} looks like {kind}, not a runlab calibration: convert it "
                f"with `runlab import-calibration {path} --format {FORMAT_OF[kind]} "
                "--out ...`"
            )
    _check_version(path, meta.get("schema_version", -1))
    keys = sorted(doc, key=lambda k: int(k.split("_")[-1]) if k.split("_")[-1].isdigit() else k)
    cams = [
        Camera(
            name=d["name"],
            size=tuple(d["size"]),
            matrix=np.array(d["matrix"]),
            dist=np.array(d["distortions"]),
            rvec=np.array(d["rotation"]),
            tvec=np.array(d["translation"]),
        )
        for d in (doc[k] for k in keys)
    ]
    world = np.array(meta.pop("world_from_rig", np.eye(4)))
    _check_finite_calibration(path, cams, world)
    return CameraSet(cams, world, meta)


def _check_finite_calibration(path: Path, cams: list[Camera], world: np.ndarray) -> None:
    """NaN or infinite numbers in a calibration would reach every 3D point unnoticed
    (numpy's all-NaN warnings, points put back): refused, naming the camera and field."""
    fields = (
        ("matrix", "matrix"),
        ("distortions", "dist"),
        ("rotation", "rvec"),
        ("translation", "tvec"),
        ("size", "size"),
    )
    bad = [
        f"{cam.name}.{name}"
        for cam in cams
        for name, attr in fields
        if not np.isfinite(np.asarray(getattr(cam, attr), float)).all()
    ]
    if not np.isfinite(np.asarray(world, float)).all():
        bad.append("metadata.world_from_rig")
    if bad:
        raise FormatError(
            f"{path}: NaN or infinite values in {', '.join(bad)}: this calibration "
            "cannot place any point. Calibrate the session again (`runlab "
            "calibrate`), or restore the file from where it was made"
        )


# --- 2D keypoints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Keypoints2D:
    points: np.ndarray  # (C, F, K, 3): x px, y px, score; missing = NaN, NaN, 0
    camera_names: list[str]
    fps: float
    backend: str
    video_sha256: list[str]
    keypoint_names: tuple[str, ...] = KEYPOINTS
    skeleton: str = SKELETON_ID

    def __post_init__(self):
        C, _, K, three = self.points.shape
        if three != 3 or K != len(self.keypoint_names) or C != len(self.camera_names):
            raise FormatError(
                f"keypoints array {self.points.shape} does not match "
                f"{len(self.camera_names)} cameras x {len(self.keypoint_names)} keypoints x 3"
            )


def write_keypoints2d(path: Path | str, kp: Keypoints2D) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            points=kp.points.astype(np.float32),
            camera_names=np.array(kp.camera_names),
            fps=kp.fps,
            backend=kp.backend,
            video_sha256=np.array(kp.video_sha256),
            keypoint_names=np.array(kp.keypoint_names),
            skeleton=kp.skeleton,
            schema_version=SCHEMA_VERSION,
        )


def read_keypoints2d(path: Path | str) -> Keypoints2D:
    path = _require(Path(path))
    with np.load(path) as z:
        _check_version(path, z["schema_version"])
        return Keypoints2D(
            points=z["points"].astype(np.float64),
            camera_names=[str(s) for s in z["camera_names"]],
            fps=float(z["fps"]),
            backend=str(z["backend"]),
            video_sha256=[str(s) for s in z["video_sha256"]],
            keypoint_names=tuple(str(s) for s in z["keypoint_names"]),
            skeleton=str(z["skeleton"]),
        )


# --- 3D skeleton ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TriangulationQA:
    """How the 3D was obtained: the outlier gates (per camera x keypoint group, undistorted px),
    what post-processing had to undo, and the named warnings (docs/triangulation.md)."""

    rejection: str  # adaptive | fixed
    gate_groups: tuple[str, ...]  # keypoint groups (columns of the gate arrays)
    gate_px: np.ndarray  # (C, G) gate used
    gate_median_px: np.ndarray  # (C, G) residual median (NaN: not estimated)
    gate_spread_px: np.ndarray  # (C, G) residual robust SD (1.4826 MAD)
    gate_source: np.ndarray  # (C, G) str: group | camera | fixed
    reverted: np.ndarray  # (F, K) bool: post-processing moved it off its views: put back
    despiked: np.ndarray  # (F, K) bool: measured, removed as a one-frame spike
    lowpass_hz: float  # cut-off used (0 = none)
    warnings: tuple[str, ...] = ()
    measured_share: float = float("nan")  # keypoint-frames measured / those of provided keypoints
    camera_share: np.ndarray | None = None  # (C,) share of those each camera's views entered
    camera_disagrees: np.ndarray | None = None  # (C,) bool: median error far above a detector's
    other_person: np.ndarray | None = None  # (F, K) bool: another person's keypoint, removed
    other_person_views: np.ndarray | None = None  # (C, F) bool: a view of another person, left out
    systematic_px: np.ndarray | None = None  # (C,) steady part of the residual (calibration error)
    scatter_px: np.ndarray | None = None  # (C,) the residual's scatter around it (detector error)

    def to_npz(self) -> dict:
        return {
            "qa_rejection": self.rejection,
            "qa_gate_groups": np.array(self.gate_groups),
            "qa_gate_px": self.gate_px,
            "qa_gate_median_px": self.gate_median_px,
            "qa_gate_spread_px": self.gate_spread_px,
            "qa_gate_source": np.asarray(self.gate_source, dtype=str),
            "qa_reverted": self.reverted,
            "qa_despiked": self.despiked,
            "qa_lowpass_hz": self.lowpass_hz,
            "qa_warnings": np.array(self.warnings, dtype=str),
            "qa_measured_share": self.measured_share,
            **({} if self.camera_share is None else {"qa_camera_share": self.camera_share}),
            **(
                {}
                if self.camera_disagrees is None
                else {"qa_camera_disagrees": self.camera_disagrees}
            ),
            **({} if self.other_person is None else {"qa_other_person": self.other_person}),
            **(
                {}
                if self.other_person_views is None
                else {"qa_other_person_views": self.other_person_views}
            ),
            **(
                {}
                if self.systematic_px is None
                else {"qa_systematic_px": self.systematic_px, "qa_scatter_px": self.scatter_px}
            ),
        }

    @classmethod
    def from_npz(cls, z) -> TriangulationQA | None:
        if "qa_gate_px" not in z:
            return None
        return cls(
            str(z["qa_rejection"]),
            tuple(str(g) for g in z["qa_gate_groups"]),
            z["qa_gate_px"],
            z["qa_gate_median_px"],
            z["qa_gate_spread_px"],
            z["qa_gate_source"].astype(str),
            z["qa_reverted"],
            z["qa_despiked"],
            float(z["qa_lowpass_hz"]),
            tuple(str(w) for w in z["qa_warnings"]),
            float(z["qa_measured_share"]) if "qa_measured_share" in z else float("nan"),
            z["qa_camera_share"] if "qa_camera_share" in z else None,
            z["qa_camera_disagrees"] if "qa_camera_disagrees" in z else None,
            z["qa_other_person"] if "qa_other_person" in z else None,
            z["qa_other_person_views"] if "qa_other_person_views" in z else None,
            z["qa_systematic_px"] if "qa_systematic_px" in z else None,
            z["qa_scatter_px"] if "qa_scatter_px" in z else None,
        )


@dataclass(frozen=True)
class Points3D:
    """A points3d file: 3D keypoints and how each was measured (docs/formats.md). The solver's
    own result, with its diagnostics, is `triangulation.result.Triangulation`."""

    points: np.ndarray  # (F, K, 3) metres, world frame; gap = NaN
    reprojection_error: np.ndarray  # (F, K) mean px over the views used; NaN in gaps
    n_views: np.ndarray  # (F, K) number of views used; 0 where a gap was filled
    views_used: np.ndarray  # (F, K, C) bool, which cameras' views were used
    _: KW_ONLY
    fps: float | None = None  # a file's: required to write (the solver does not know it)
    camera_names: list[str] | None = None  # a file's: required to write
    # (C, F) bool, views whose left/right labels were exchanged back; required to write
    swaps_repaired: np.ndarray | None = None
    keypoint_names: tuple[str, ...] = KEYPOINTS
    # (F, K, 3) predicted SD along world X, Y, Z, metres per px of 2D error, from the views
    # used (pipeline/triangulation/uncertainty.py); NaN in gaps; None in files written before it
    sd_per_px: np.ndarray | None = None
    # (F, K, 3) the points before the triangulation's low-pass, for gait events; None when no
    # low-pass ran (or in files written before it)
    points_unfiltered: np.ndarray | None = None
    qa: TriangulationQA | None = None  # None in files written before it


def write_points3d(path: Path | str, p: Points3D) -> None:
    missing = [
        name for name in ("fps", "camera_names", "swaps_repaired") if getattr(p, name) is None
    ]
    if missing:
        raise ValueError(
            f"{path}: a points3d file needs {', '.join(missing)} (set them on the "
            "triangulation result with dataclasses.replace)"
        )
    arrays: dict[str, Any] = {  # the archive's entries, in this order
        "points": p.points,
        "reprojection_error": p.reprojection_error,
        "n_views": p.n_views.astype(np.int16),
        "fps": p.fps,
        "views_used": p.views_used,
        "camera_names": np.array(p.camera_names),
        "swaps_repaired": p.swaps_repaired,
        "keypoint_names": np.array(p.keypoint_names),
        "units": "m",
        "frame": "world",
        "schema_version": SCHEMA_VERSION,
    }
    if p.sd_per_px is not None:
        arrays["sd_per_px"] = np.asarray(p.sd_per_px, np.float32)
    if p.points_unfiltered is not None:
        arrays["points_unfiltered"] = np.asarray(p.points_unfiltered, np.float32)
    if p.qa is not None:
        arrays.update(p.qa.to_npz())
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def read_points3d(path: Path | str) -> Points3D:
    path = _require(Path(path))
    with np.load(path) as z:
        _check_version(path, z["schema_version"])
        return Points3D(
            points=z["points"],
            reprojection_error=z["reprojection_error"],
            n_views=z["n_views"].astype(int),
            fps=float(z["fps"]),
            views_used=z["views_used"],
            camera_names=[str(s) for s in z["camera_names"]],
            swaps_repaired=z["swaps_repaired"],
            keypoint_names=tuple(str(s) for s in z["keypoint_names"]),
            sd_per_px=z["sd_per_px"].astype(float) if "sd_per_px" in z else None,
            points_unfiltered=(
                z["points_unfiltered"].astype(float) if "points_unfiltered" in z else None
            ),
            qa=TriangulationQA.from_npz(z),
        )


# --- JSON and CSV --------------------------------------------------------------------------
def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path: Path | str, data: dict) -> None:
    """JSON with `schema_version`; NaN/inf become null (JSON has no NaN)."""
    payload = {"schema_version": SCHEMA_VERSION, **_jsonable(data)}
    write_text(path, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def read_json(path: Path | str) -> JsonObject:
    path = _require(Path(path))
    data = json.loads(path.read_text())
    _check_version(path, data.get("schema_version", -1))
    return data


def write_csv(path: Path | str, rows: list[dict]) -> None:
    """Rows of flat dicts; columns in first-seen order. Empty cells for missing values."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in _jsonable(row).items()})
    write_text(path, buf.getvalue())


def write_csv_dir(directory: Path | str, tables: dict[str, list[dict]]) -> None:
    """One `<name>.csv` per table, replacing the whole directory at once: a rerun never leaves
    files of an earlier run beside the new ones, and a crash leaves the old directory."""
    directory = Path(directory)
    staging = directory.with_name(f".{directory.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, rows in tables.items():
        write_csv(staging / f"{name}.csv", rows)
    old = directory.with_name(f".{directory.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    staging.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


# --- synthetic ground truth ----------------------------------------------------------------
@dataclass(frozen=True)
class TruthTrial:
    points: np.ndarray  # (F, K, 3) metres, world frame
    fps: float
    foot_strikes: dict[str, np.ndarray]  # side -> fractional frame indices
    toe_offs: dict[str, np.ndarray]


def write_truth(path: Path | str, truth: TruthTrial) -> None:
    arrays: dict[str, Any] = {"points": truth.points, "fps": truth.fps}
    arrays.update({f"foot_strikes_{s}": v for s, v in truth.foot_strikes.items()})
    arrays.update({f"toe_offs_{s}": v for s, v in truth.toe_offs.items()})
    arrays.update(keypoint_names=np.array(KEYPOINTS), schema_version=SCHEMA_VERSION)
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def read_truth(path: Path | str) -> TruthTrial:
    path = _require(Path(path))
    with np.load(path) as z:
        _check_version(path, z["schema_version"])
        sides = ("left", "right")
        return TruthTrial(
            points=z["points"],
            fps=float(z["fps"]),
            foot_strikes={s: z[f"foot_strikes_{s}"] for s in sides},
            toe_offs={s: z[f"toe_offs_{s}"] for s in sides},
        )
