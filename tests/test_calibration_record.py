"""The records of quality.json (calibration/quality_record.CameraQuality per camera, the
whole-rig measures of calibration/measure_records.py): what the calibrate stage writes, the
gates, quality.html and the trial report read through them."""

from __future__ import annotations

import json

import pytest

from pipeline.calibration.gate_records import Gate
from pipeline.calibration.measure_records import BoardSize, CameraFrame, FloorFrame, TruthError
from pipeline.calibration.quality_record import (
    CalibrationQuality,
    CameraQuality,
    own_reprojection_px,
    read_calibration_quality,
)
from pipeline.io import formats
from pipeline.report.quality_sections import calibration_html

FROM_FILE = {  # a lens from a file: no lens checks; no corner reprojected: nulls
    "video": "calibration/cam_0.mp4",
    "frames": 40,
    "detected_frames": 0,
    "usable_frames": 0,
    "intrinsic_rms_px": None,
    "reprojection_mean_px": None,
    "reprojection_median_px": None,
    "reprojected_corners": 0,
    "intrinsics_from": "lenses.toml",
}
FITTED = {
    **FROM_FILE,
    "detected_frames": 30,
    "reprojection_mean_px": 0.31,
    "reprojection_median_px": 0.25,
    "intrinsics_from": "board",
    "board_coverage": 0.5,
    "coverage_counts": [[1, 0], [2, 3]],
    "image_size": [640, 480],
    "near_m": None,
    "far_m": None,
    "far_near_ratio": None,
}


def test_null_and_absent_keys_read_back_as_written(tmp_path):
    record = {"cameras": {"cam_0": FROM_FILE, "cam_1": FITTED}, "calibration_id": "abc"}
    quality = CalibrationQuality.from_dict(record)
    assert quality.to_dict() == record
    assert list(quality.to_dict()["cameras"]["cam_1"]) == list(FITTED)  # the file's order
    cam0, cam1 = quality.cameras["cam_0"], quality.cameras["cam_1"]
    assert cam0.reprojection_median_px is None and cam0.has("reprojection_median_px")
    assert not cam0.has("far_near_ratio") and cam1.has("far_near_ratio")
    assert cam1.far_near_ratio is None and cam1.coverage_counts == [[1, 0], [2, 3]]
    formats.write_json(tmp_path / "quality.json", record)
    back = read_calibration_quality(tmp_path / "quality.json")
    assert back.cameras == quality.cameras and back.calibration_id == "abc"
    assert own_reprojection_px(tmp_path / "quality.json", "abc") == {"cam_1": 0.31}


def test_unknown_camera_key_is_named():
    with pytest.raises(ValueError, match=r"camera entry has unknown keys \['reprojection_px'\]"):
        CameraQuality.from_dict({"reprojection_px": 0.2})


def test_trial_report_section_reads_the_record():
    quality = CalibrationQuality.from_dict(
        {
            "cameras": {"cam_0": FROM_FILE, "cam_1": {"reprojection_median_px": 0.4}},
            "truth_comparison": {
                "cam_0": {"center_error_mm": 1.25, "orientation_error_deg": 0.012}
            },
        }
    )
    quality.gates = [Gate("reprojection cam_1", 0.4, 1.0, "pass", "fine")]
    page = calibration_html(quality, "s01", "../quality.html")
    assert "<td>0 of 40</td>" in page  # cam_0's frames
    assert "<td>&ndash; of &ndash;</td>" in page  # cam_1's entry has no frame counts
    assert "<td>0.40</td>" in page and "<td>1.2</td>" in page
    assert "(1 of 1 pass)" in page and 'href="../quality.html"' in page
    assert "made before the quality gates existed" in calibration_html(
        CalibrationQuality.from_dict({"cameras": {"cam_1": {}}})
    )


def test_whole_rig_measures_are_records_that_write_the_same_json():
    record = {
        "cameras": {"cam_0": {"reprojection_median_px": 0.3}},
        "board_polarity": {
            "configured": "auto",
            "found": {"cam_0.mp4": "normal"},
            "fell_back_to_other_polarity": False,
        },
        "back_views": {
            "cam_0": {
                "frames_seen_from_behind": 12,
                "frames_seen_from_front": 0,
                "relative_pose_scatter_as_back_views": 0.01,
                "relative_pose_scatter_as_mirrored_video": None,
                "verdict": "undecided",
            }
        },
        "board_size": {
            "configured_square_mm": 54.0,
            "measured_square_mm": None,
            "measured_square_iqr_mm": None,
            "relative_error": None,
            "pairs": 0,
        },
        "floor": {
            "world_frame": "camera cam_0",
            "floor_frames_used": 0,
            "reference_camera": "cam_0",
        },
        "truth_comparison": {"cam_0": {"center_error_mm": 1.5, "orientation_error_deg": 0.01}},
    }
    quality = CalibrationQuality.from_dict(record)
    assert isinstance(quality.board_size, BoardSize) and quality.board_size.pairs == 0
    assert isinstance(quality.floor, CameraFrame) and quality.floor.reference_camera == "cam_0"
    assert quality.back_views["cam_0"].relative_pose_scatter_as_mirrored_video is None
    assert quality.truth_comparison["cam_0"].center_error_mm == 1.5
    assert json.dumps(quality.to_dict()) == json.dumps(record)  # same keys, order and nulls


def test_a_measure_record_names_a_key_it_lacks_or_does_not_know():
    with pytest.raises(ValueError, match=r"FloorFrame has no \['floor_corners'"):
        FloorFrame.from_dict(
            {
                "world_frame": "floor board",
                "cameras_seeing_floor_board": ["a"],
                "floor_fit_rms_mm": 0.2,
                "floor_fit_max_mm": 0.4,
                "camera_heights_m": {"a": 1.0},
            }
        )
    with pytest.raises(ValueError, match=r"TruthError has unknown keys \['centre_error_mm'\]"):
        TruthError.from_dict(
            {"centre_error_mm": 1.0, "center_error_mm": 1.0, "orientation_error_deg": 0.0}
        )
