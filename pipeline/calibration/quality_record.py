"""The calibration's quality report (quality.json) as one type.

`solve_calibration` fills every measure; the calibrate stage adds the comparison with a
synthetic rig's truth, its verdict and the calibration id. Fields left None are not in the
file: a record from before a measure existed, or a partial one built by hand, reads as
"not measured", never as a default. `to_dict` writes the same JSON as before this type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pipeline.calibration.gate_records import Gate, GateThresholds
from pipeline.io.formats import read_json


@dataclass
class CalibrationQuality:
    # per camera: video, frames, detected/usable frames, reprojection mean/median px, lens fit
    # RMS and source, and (lenses fitted here) coverage and board distances; docs/calibration.md
    cameras: dict[str, dict] = field(default_factory=dict)
    coverage_grid: list[int] | None = None  # (rows, columns) of the coverage counts
    board_polarity: dict | None = None  # configured / found per video / fell back
    back_views: dict | None = None  # per camera: board seen from behind
    board_size: dict | None = None  # configured vs triangulated square
    pairwise_shared_frames: dict[str, int] | None = None  # "cam_a/cam_b" -> frames
    pairwise_axis_angle_deg: dict[str, float] | None = None
    pairwise_centre_distance_m: dict[str, float] | None = None
    intrinsics_source: str | None = None  # board | videos | file
    views_used_for_intrinsics: dict | None = None
    frames_used_for_extrinsics: int | None = None
    bundle_adjustment: dict | None = None
    floor: dict | None = None  # world frame and floor checks
    max_reprojection_px: float | None = None
    passed: bool | None = None
    gate_thresholds: GateThresholds | None = None
    gates: list[Gate] | None = None
    gates_verdict: str | None = None
    timings_s: dict[str, float] | None = None  # not in the DVC-tracked file
    truth_comparison: dict | None = None  # synthetic studies (the stage)
    verdict: str | None = None  # accepted | rejected (the stage)
    calibration_id: str | None = None  # the accepted calibration.toml's id

    def to_dict(self) -> dict:
        """The JSON record: fields in this order, None fields left out."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "gate_thresholds":
                value = asdict(value)
            elif f.name == "gates":
                value = [g.as_dict() for g in value]
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, record: dict) -> CalibrationQuality:
        """From a quality.json record (or part of one); a key this type does not know is a
        ValueError naming it."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k != "schema_version"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"calibration quality record has unknown keys {unknown} "
                f"(known: {', '.join(sorted(known))})"
            )
        if values.get("gate_thresholds") is not None:
            values["gate_thresholds"] = GateThresholds(**values["gate_thresholds"])
        if values.get("gates") is not None:
            values["gates"] = [Gate(**g) for g in values["gates"]]
        return cls(**values)


def own_reprojection_px(quality_json: Path, calibration_id: str | None) -> dict[str, float]:
    """Per camera, the calibration's own mean reprojection error (px) from its quality.json;
    empty for a calibration made elsewhere (imported: no id, no quality record, or a record
    left by an earlier calibration, told apart by its calibration id)."""
    if calibration_id is None or not quality_json.exists():
        return {}
    quality = read_json(quality_json)
    if quality.get("calibration_id") != calibration_id:
        return {}
    cameras = quality.get("cameras") or {}
    return {
        c: float(q["reprojection_mean_px"])
        for c, q in cameras.items()
        if isinstance(q, dict) and q.get("reprojection_mean_px") is not None
    }
