"""Names that explain themselves (#27): one name per meaning, where two modules or functions
shared one (the board in one image vs in videos; the pose detect stage vs the board search;
three modules called "quality")."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module, name",
    [
        ("pipeline.calibration.board", "detect_board_in_image"),
        ("pipeline.calibration.calibrate", "detect_board_in_videos"),
        ("pipeline.calibration.board_in_videos", "detect_videos"),
        ("pipeline.calibration.quality_record", "CalibrationQuality"),
        ("pipeline.report.quality_sections", "detection_html"),
        ("pipeline.quality.verdict", "trial_verdict"),
    ],
)
def test_each_name_is_where_it_says(module, name):
    assert callable(getattr(importlib.import_module(module), name))


@pytest.mark.parametrize(
    "path",
    [
        "pipeline/calibration/detect.py",
        "pipeline/calibration/quality.py",
        "pipeline/report/quality.py",
    ],
)
def test_the_ambiguous_module_names_are_gone(path):
    assert not (ROOT / path).exists()


def test_no_two_functions_named_detect_board():
    for module in ("pipeline.calibration.board", "pipeline.calibration.calibrate"):
        assert not hasattr(importlib.import_module(module), "detect_board")
