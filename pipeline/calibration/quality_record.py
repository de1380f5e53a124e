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
from pipeline.calibration.measure_records import (
    BackViewJudgement,
    BoardPolarity,
    BoardSize,
    TruthError,
    WorldFrame,
    world_frame_from_dict,
)
from pipeline.core.json_types import JsonObject
from pipeline.io.formats import read_json


@dataclass(frozen=True)
class CameraQuality:
    """One camera's entry of quality.json (docs/calibration.md). A key the file holds with a
    null value (no corner reprojected, no board pose measured) is told apart from a key it
    lacks (a measure not taken: the lens checks of a lens read from a file): `has`."""

    video: str | None = None
    frames: int | None = None
    detected_frames: int | None = None  # frames with the board found
    usable_frames: int | None = None  # of those, used
    intrinsic_rms_px: float | None = None  # lens fit RMS
    reprojection_mean_px: float | None = None
    reprojection_median_px: float | None = None
    reprojected_corners: int | None = None
    intrinsics_from: str | None = None  # board | videos | the lens file's path
    # the lens checks, for lenses fitted here (from their own videos)
    board_coverage: float | None = None  # share of the coverage grid's cells with a corner
    coverage_counts: list[list[int]] | None = None  # corners per cell (coverage_grid)
    image_size: list[int] | None = None  # (width, height) px
    near_m: float | None = None  # board distance, 10th percentile
    far_m: float | None = None  # 90th percentile
    far_near_ratio: float | None = None
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the file's, in order

    def has(self, key: str) -> bool:
        return key in self.keys

    def with_values(self, values: dict[str, object]) -> CameraQuality:
        """This entry with `values` set; keys it lacked follow its own, in the order given."""
        return CameraQuality.from_dict({**self.to_dict(), **values})

    def to_dict(self) -> JsonObject:
        """The JSON entry: the keys it was made from, in their order."""
        return {k: getattr(self, k) for k in self.keys}

    @classmethod
    def from_dict(cls, entry: dict) -> CameraQuality:
        """From a camera's entry; a key this type does not know is a ValueError naming it."""
        known = {f.name for f in fields(cls)} - {"keys"}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ValueError(
                f"calibration quality record: camera entry has unknown keys {unknown} "
                f"(known: {', '.join(sorted(known))})"
            )
        return cls(**entry, keys=tuple(entry))


@dataclass
class CalibrationQuality:
    cameras: dict[str, CameraQuality] = field(default_factory=dict)
    coverage_grid: list[int] | None = None  # (rows, columns) of the coverage counts
    board_polarity: BoardPolarity | None = None  # configured / found per video / fell back
    back_views: dict[str, BackViewJudgement] | None = None  # per camera: board seen from behind
    board_size: BoardSize | None = None  # configured vs triangulated square
    pairwise_shared_frames: dict[str, int] | None = None  # "cam_a/cam_b" -> frames
    pairwise_axis_angle_deg: dict[str, float] | None = None
    pairwise_centre_distance_m: dict[str, float] | None = None
    intrinsics_source: str | None = None  # board | videos | file
    views_used_for_intrinsics: dict[str, int | None] | None = None
    frames_used_for_extrinsics: int | None = None
    bundle_adjustment: dict | None = None
    floor: WorldFrame | None = None  # world frame and floor checks
    max_reprojection_px: float | None = None
    passed: bool | None = None
    gate_thresholds: GateThresholds | None = None
    gates: list[Gate] | None = None
    gates_verdict: str | None = None
    timings_s: dict[str, float] | None = None  # not in the DVC-tracked file
    truth_comparison: dict[str, TruthError] | None = None  # synthetic studies (the stage)
    verdict: str | None = None  # accepted | rejected (the stage)
    calibration_id: str | None = None  # the accepted calibration.toml's id

    def to_dict(self) -> JsonObject:
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
            elif f.name in ("cameras", "back_views", "truth_comparison"):
                value = {name: entry.to_dict() for name, entry in value.items()}
            elif f.name in ("board_polarity", "board_size", "floor"):
                value = value.to_dict()
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
        if values.get("cameras") is not None:
            values["cameras"] = {
                name: CameraQuality.from_dict(q) for name, q in values["cameras"].items()
            }
        per_camera: tuple[tuple[str, type[BackViewJudgement] | type[TruthError]], ...] = (
            ("back_views", BackViewJudgement),
            ("truth_comparison", TruthError),
        )
        for key, kind in per_camera:
            if values.get(key) is not None:
                values[key] = {name: kind.from_dict(e) for name, e in values[key].items()}
        if values.get("board_polarity") is not None:
            values["board_polarity"] = BoardPolarity.from_dict(values["board_polarity"])
        if values.get("board_size") is not None:
            values["board_size"] = BoardSize.from_dict(values["board_size"])
        if values.get("floor") is not None:
            values["floor"] = world_frame_from_dict(values["floor"])
        if values.get("gate_thresholds") is not None:
            values["gate_thresholds"] = GateThresholds(**values["gate_thresholds"])
        if values.get("gates") is not None:
            values["gates"] = [Gate(**g) for g in values["gates"]]
        return cls(**values)


def read_calibration_quality(path: Path) -> CalibrationQuality:
    """quality.json as the record (the reader of what the calibrate stage writes)."""
    return CalibrationQuality.from_dict(read_json(path))


def own_reprojection_px(quality_json: Path, calibration_id: str | None) -> dict[str, float]:
    """Per camera, the calibration's own mean reprojection error (px) from its quality.json;
    empty for a calibration made elsewhere (imported: no id, no quality record, or a record
    left by an earlier calibration, told apart by its calibration id)."""
    if calibration_id is None or not quality_json.exists():
        return {}
    quality = read_calibration_quality(quality_json)
    if quality.calibration_id != calibration_id:
        return {}
    return {
        c: float(q.reprojection_mean_px)
        for c, q in quality.cameras.items()
        if q.reprojection_mean_px is not None
    }
