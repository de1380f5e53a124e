"""3D from other systems into runlab's frame: Halpe-26 keypoints, metres, Z up, X along the
running direction (docs/import3d.md, docs/formats.md).

`load_3d(path, markerset)` reads a TRC or C3D file (`pipeline/io/mocap.py`), makes the 26
keypoints (by name for keypoint files, through a marker set for marker files:
`pipeline/io/markerset.py`), then detects the frame from the body itself:
- up: the file axis along which the shoulders and hips sit above the feet (a file whose
  body gives no clear answer is an `UpAxisError`, never a guessed axis);
- units: read from the file, then checked against the body (hips to feet 0.3-2.5 m);
- running direction: the pelvis's travel for overground trials (over 1 m), else the
  heel-to-toe direction of the feet (a treadmill), else the pelvis's facing; snapped to the
  file's nearest horizontal axis within 20 degrees. Running along -X is turned 180 degrees
  about the vertical (a rotation: left stays left).
Every decision is written to `Imported3D.frame_notes` (the CLI logs them). The origin stays
the file's; gaps stay NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.core.records import Record
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.io.markerset import (
    MarkerSet,
    MarkerSetError,
    apply_markerset,
    by_name,
    load_markerset,
)
from pipeline.io.mocap import MarkerData, ReferenceEvent, UnitsError, UpAxisError, read_markers

UPPER = ("left_shoulder", "right_shoulder", "neck", "left_hip", "right_hip", "hip")
FEET = ("left_ankle", "right_ankle", "left_heel", "right_heel", "left_big_toe", "right_big_toe")
OVERGROUND_TRAVEL_M = 1.0
SNAP_DEG = 20.0
AXES = "XYZ"


@dataclass(frozen=True)
class Imported3D:
    """A 3D trial in runlab's frame."""

    points: np.ndarray  # (F, 26, 3) metres, world: Z up, X running direction
    fps: float
    time_s: np.ndarray  # (F,) the file's time column
    source: Path
    mapping: str  # "by name" or "marker set <name>"
    rotation: np.ndarray  # (3, 3) world = rotation @ file (after units)
    locomotion: str  # treadmill | overground (pelvis travel over 1 m)
    frame_notes: tuple[str, ...]  # units, up axis, running direction: what was detected
    notes: tuple[str, ...] = ()  # per keypoint: gaps, functional fits
    reference_events: tuple[ReferenceEvent, ...] = field(default_factory=tuple)


def keypoints_in_file_axes(
    data: MarkerData, markerset: MarkerSet | str | None
) -> tuple[np.ndarray, str, list[str]]:
    """(F, 26, 3) keypoints in the file's axes (metres), how they were mapped, notes."""
    if markerset is not None:
        ms = markerset if isinstance(markerset, MarkerSet) else load_markerset(markerset)
        points, notes = apply_markerset(ms, data.names, data.points, str(data.path))
        return points, f"marker set {ms.name}", notes
    columns = by_name(data.names)
    if len(columns) < 6:
        raise MarkerSetError(
            f"{data.path}: its {len(data.names)} names ({', '.join(data.names[:6])}"
            f"...) are not keypoint names runlab knows; it looks like a marker "
            "file: pass --markerset NAME (conf/markerset/) or write a marker "
            "set (docs/import3d.md)"
        )
    points = np.full((data.points.shape[0], N_KEYPOINTS, 3), np.nan)
    for key, col in columns.items():
        points[:, INDEX[key]] = data.points[:, col]
    missing = [k for k in INDEX if k not in columns]
    return points, "by name", ([f"not in the file (gaps): {', '.join(missing)}"] if missing else [])


def _mean_of(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    sel = points[:, [INDEX[n] for n in names]]
    with warnings.catch_warnings():  # all-NaN frames are gaps
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(sel, axis=1)


def detect_up(points: np.ndarray, path: Path, units: str) -> tuple[np.ndarray, str]:
    """The file's up direction (a signed unit axis) from hips/shoulders above the feet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = np.nanmedian(_mean_of(points, UPPER) - _mean_of(points, FEET), axis=0)
    if not np.all(np.isfinite(diff)):
        raise UpAxisError(
            f"{path}: cannot tell the up axis: the file gives no hips/shoulders "
            "and feet in the same frames; map them (marker set) or convert the "
            "file to Z up or Y up yourself"
        )
    axis = int(np.argmax(np.abs(diff)))
    height = abs(diff[axis])
    others = np.delete(np.abs(diff), axis)
    if height < 2.0 * others.max():
        raise UpAxisError(
            f"{path}: cannot tell the up axis: hips/shoulders minus feet is "
            f"({diff[0]:.3f}, {diff[1]:.3f}, {diff[2]:.3f}) m along the file's X, Y, "
            "Z; no axis dominates (a person lying down, or mislabelled markers)"
        )
    if height > 2.5 or height < 0.3:
        raise UnitsError(
            f"{path}: hips and shoulders sit {height:.3g} m above the feet with the "
            f"file's units {units!r}, not 0.3-2.5 m: the units in the header are "
            "wrong (mm written as m, or the reverse); correct them in the file"
        )
    up = np.zeros(3)
    up[axis] = np.sign(diff[axis])
    return (
        up,
        f"up = {'+' if up[axis] > 0 else '-'}{AXES[axis]} of the file (feet to shoulders: {height:.2f} m)",
    )


def detect_forward(points: np.ndarray, up: np.ndarray, path: Path) -> tuple[np.ndarray, str, str]:
    """The running direction (unit, horizontal, file axes), how it was found, and whether the
    trial is treadmill or overground."""
    horizontal = np.eye(3) - np.outer(up, up)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pelvis = _mean_of(points, ("left_hip", "right_hip", "hip"))
        seen = np.nonzero(np.isfinite(pelvis).all(axis=1))[0]
        travel = (pelvis[seen[-1]] - pelvis[seen[0]]) @ horizontal if seen.size > 1 else np.zeros(3)
        locomotion = "overground" if np.linalg.norm(travel) > OVERGROUND_TRAVEL_M else "treadmill"
        if locomotion == "overground":
            direction, how = travel, f"pelvis travels {np.linalg.norm(travel):.1f} m"
        else:
            feet = np.concatenate(
                [
                    points[:, INDEX[f"{s}_big_toe"]] - points[:, INDEX[f"{s}_heel"]]
                    for s in ("left", "right")
                ]
            )
            direction = np.nanmean(feet, axis=0) @ horizontal
            how = "heel-to-toe direction of the feet (pelvis travels under 1 m: treadmill)"
            if not np.all(np.isfinite(direction)) or np.linalg.norm(direction) < 0.05:
                across = points[:, INDEX["left_hip"]] - points[:, INDEX["right_hip"]]
                direction = np.cross(np.nanmean(across, axis=0), up) @ horizontal
                how = "pelvis facing (left hip to right hip; no heels and toes)"
    if not np.all(np.isfinite(direction)) or np.linalg.norm(direction) < 1e-3:
        raise UpAxisError(
            f"{path}: cannot tell the running direction: the pelvis does not travel "
            "and the file maps to no heels/toes or hips; map them (marker set)"
        )
    direction = direction / np.linalg.norm(direction)
    candidates = [s * e for e in np.eye(3) if abs(e @ up) < 0.5 for s in (1.0, -1.0)]
    best = max(candidates, key=lambda c: c @ direction)
    angle = float(np.degrees(np.arccos(np.clip(best @ direction, -1, 1))))
    if angle <= SNAP_DEG:
        direction = best
        axis = int(np.argmax(np.abs(best)))
        how += f"; along {'+' if best[axis] > 0 else '-'}{AXES[axis]} of the file ({angle:.0f} deg off)"
    else:
        how += f"; {angle:.0f} deg from the file's nearest axis, kept as measured"
    return direction, how, locomotion


def load_3d(path: Path | str, markerset: MarkerSet | str | None = None) -> Imported3D:
    """A TRC/C3D file -> Halpe-26 keypoints in runlab's frame (see the module docstring)."""
    if isinstance(markerset, str):
        markerset = load_markerset(markerset)  # a typo fails before the file is read
    data = read_markers(path)
    raw, mapping, notes = keypoints_in_file_axes(data, markerset)
    up, up_note = detect_up(raw, data.path, data.units)
    forward, fwd_note, locomotion = detect_forward(raw, up, data.path)
    left = np.cross(up, forward)
    rotation = np.stack([forward, left, up])
    points = raw @ rotation.T
    flipped = bool(forward.min() < -0.5)
    frame_notes = (
        f"{data.path.name}: {data.points.shape[0]} frames at {data.fps:g} Hz, "
        f"{len(data.names)} points, units {data.units!r} -> metres",
        up_note,
        f"running direction: {fwd_note}",
        *(
            [
                "running direction is along a negative file axis: turned 180 deg about the "
                "vertical (left/right kept)"
            ]
            if flipped
            else []
        ),
        f"{locomotion} trial; keypoints {mapping}",
    )
    return Imported3D(
        points,
        data.fps,
        data.time_s,
        data.path,
        mapping,
        rotation,
        locomotion,
        frame_notes,
        tuple(notes),
        data.events,
    )


# --- as a points3d file (docs/formats.md) ------------------------------------------------------
IMPORTED_VIEW = "imported"  # the one pseudo-camera of an imported trial's points3d file


def to_points3d(imported: Imported3D):
    """The imported keypoints as a `formats.Points3D`: one pseudo-view (`imported`) that "sees"
    every measured point, no reprojection error, and a predicted SD of 0 (the 3D was measured
    directly, not triangulated), so the analysis times every event it finds."""
    from pipeline.io.formats import Points3D

    measured = np.isfinite(imported.points).all(axis=2)
    n_frames = len(imported.points)
    return Points3D(
        points=imported.points,
        reprojection_error=np.full(measured.shape, np.nan),
        n_views=measured.astype(int),
        views_used=measured[..., None],
        fps=float(imported.fps),
        camera_names=[IMPORTED_VIEW],
        swaps_repaired=np.zeros((1, n_frames), bool),
        sd_per_px=np.where(measured[..., None], 0.0, np.nan) * np.ones(3),
    )


@dataclass(frozen=True)
class ReferenceEvents(Record):
    """The capture's own gait events (reference_events.json, beside the trial's own keys)."""

    source: str  # force plates (...) | C3D events | none
    foot_strikes: dict[str, list[float]]  # per side, fractional frames of the imported trial
    toe_offs: dict[str, list[float]]


def analysed_reference_events(block: JsonObject | None) -> ReferenceEvents | None:
    """The capture's events as the analysis file's `reference_events` holds them (with
    runlab's differences beside them, not read here); None where the trial has none."""
    if not block or block.get("source", "none") == "none":
        return None
    return ReferenceEvents(
        source=str(block["source"]),
        foot_strikes=dict(block.get("foot_strikes") or {}),
        toe_offs=dict(block.get("toe_offs") or {}),
    )


def reference_events(imported: Imported3D, force=None) -> ReferenceEvents:
    """Events that came with the capture, as fractional frames of the imported trial: the
    force plates' (`force`: a grf.ForcePlateEvents) where given, else the C3D's own events
    (labels with "strike"/"off"), else none."""
    strikes: dict[str, list[float]] = {"left": [], "right": []}
    offs: dict[str, list[float]] = {"left": [], "right": []}
    if force is not None:
        fs, to = force.in_frames(imported.time_s, imported.fps)
        return ReferenceEvents(
            source=f"force plates (vertical force > {force.threshold_n:g} N)",
            foot_strikes={s: [float(v) for v in fs[s]] for s in fs},
            toe_offs={s: [float(v) for v in to[s]] for s in to},
        )
    for event in imported.reference_events:
        label = event.label.lower()
        target = (
            strikes if "strike" in label or "contact" in label else offs if "off" in label else None
        )
        if target is not None and event.side in target:
            target[event.side].append(float(event.frame))
    source = "C3D events" if imported.reference_events else "none"
    return ReferenceEvents(
        source=source,
        foot_strikes={s: sorted(v) for s, v in strikes.items()},
        toe_offs={s: sorted(v) for s, v in offs.items()},
    )
