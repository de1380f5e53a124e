"""quality.html: the calibration quality page, from a quality report with a failed gate."""

import re
from dataclasses import asdict

import pytest

from pipeline.calibration.gates import GateThresholds, evaluate_gates
from pipeline.calibration.quality_record import CalibrationQuality, CameraQuality
from pipeline.report.calibration_report import quality_html


def _quality():
    cams = {
        "cam_0": {
            "frames": 65,
            "detected_frames": 60,
            "usable_frames": 58,
            "reprojection_median_px": 0.21,
            "reprojection_mean_px": 0.3,
            "intrinsic_rms_px": 0.4,
            "board_coverage": 0.75,
            "near_m": 1.5,
            "far_m": 3.0,
            "far_near_ratio": 2.0,
            "intrinsics_from": "studies/x/calibration/cam_0.mp4",
            "coverage_counts": [[0, 1, 2, 3]] * 3,
            "image_size": [1920, 1080],
        },
        "cam_1": {
            "frames": 65,
            "detected_frames": 12,
            "usable_frames": 4,
            "reprojection_median_px": 1.7,
            "reprojection_mean_px": 2.0,
            "intrinsic_rms_px": 0.9,
            "board_coverage": 0.1,
            "near_m": 2.0,
            "far_m": 2.1,
            "far_near_ratio": 1.05,
            "coverage_counts": [[0, 0, 0, 5]] * 3,
            "image_size": [1920, 1080],
        },
    }
    quality = {
        "cameras": cams,
        "pairwise_shared_frames": {"cam_0/cam_1": 3},
        "board_size": {
            "configured_square_mm": 150.0,
            "measured_square_mm": 150.4,
            "measured_square_iqr_mm": 0.2,
            "relative_error": 0.4 / 150,
            "pairs": 40,
        },
        "floor": {
            "world_frame": "floor board",
            "cameras_seeing_floor_board": ["cam_0"],
            "floor_corners": 24,
            "floor_fit_rms_mm": 0.3,
            "floor_fit_max_mm": 0.6,
            "camera_heights_m": {"cam_0": 1.1, "cam_1": 1.2},
        },
        "gate_thresholds": asdict(GateThresholds()),
        "truth_comparison": {"cam_0": {"center_error_mm": 1.2, "orientation_error_deg": 0.02}},
    }
    quality = CalibrationQuality.from_dict(quality)
    quality.gates = evaluate_gates(quality)
    quality.gates_verdict = "fail"
    return quality


def test_page_shows_verdict_what_to_do_and_every_section():
    html = quality_html(_quality())
    assert "Calibration failed: do not use it" in html
    assert "What to do" in html and "camera cam_1: median reprojection error 1.70 px" in html
    for section in (
        "Reprojection error",
        "Frames seen together by each pair of cameras",
        "Where the board was seen in each image",
        "Near and far",
        "Board size check",
        "Floor and world frame",
        "All checks",
        "Against the known rig",
    ):
        assert section in html, section
    assert "150.40 mm" in html and "+0.40 mm" in html
    assert html.count("<svg") == 3  # reprojection bars + one heat map per camera
    assert "studies/x/calibration/cam_0.mp4" in html


def test_page_is_self_contained_and_reproducible():
    quality = _quality()
    html = quality_html(quality)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html
    assert quality_html(quality) == html


def test_page_escapes_names():
    quality = _quality()
    quality.cameras["<cam>"] = quality.cameras.pop("cam_1")
    assert "<cam>" not in quality_html(quality)


def test_quality_record_reads_back_as_written_and_names_unknown_keys():
    record = _quality().to_dict()
    assert list(record)[:4] == ["cameras", "board_size", "pairwise_shared_frames", "floor"]
    assert CalibrationQuality.from_dict(record).to_dict() == record
    assert CalibrationQuality.from_dict({"schema_version": 1, **record}).to_dict() == record
    with pytest.raises(ValueError, match=r"unknown keys \['gate_thresholdz'\]"):
        CalibrationQuality.from_dict({**record, "gate_thresholdz": {}})


def test_page_needs_the_gates_and_their_limits():
    with pytest.raises(ValueError, match="gates, gate thresholds and verdict"):
        quality_html(CalibrationQuality(cameras={"cam_0": CameraQuality()}))
