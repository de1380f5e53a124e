"""Findings text and figures of the trial report, on analysed trials with known values
(test_gait_metrics.running_trial: exact kinematics, so the numbers are known)."""

import html
import re

import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.report.figures import curves_figure, foot_placement_figure
from pipeline.report.findings import findings, findings_html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


@pytest.fixture
def crossover_trial():
    points, events = running_trial(foot_y={"left": -0.01, "right": 0.02}, knee=(10.0, 33.0, 14.0))
    return points, analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events)


def test_findings_state_value_threshold_and_strides(crossover_trial):
    _, analysis = crossover_trial
    rows = findings(analysis, ThresholdsConfig())
    text = _text(findings_html(rows, analysis.summary.cadence_spm))
    assert (
        "Left step width : -3.0 ± 0.0 cm (mean of 5 strides); flagged when the mean is <= 0.0 cm"
        in text
    )
    assert (
        "Left peak stance knee flexion : 33.0 ± 0.0 deg (mean of 6 strides); flagged when the mean is < 40.0 deg"
        in text
    )
    assert "171 steps/min" in text
    flagged = {(r.metric, r.side) for r in rows if r.status == "flagged"}
    assert {
        ("step_width_m", "left"),
        ("step_width_m", "right"),
        ("peak_stance_knee_flexion_deg", "left"),
        ("peak_stance_knee_flexion_deg", "right"),
    } <= flagged


def test_insufficient_strides_are_stated():
    points, events = running_trial(n_strides=2)
    analysis = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(min_strides=3), events=events)
    rows = findings(analysis, ThresholdsConfig(min_strides=3))
    text = _text(findings_html(rows, analysis.summary.cadence_spm))
    # nothing measurable is not "no flag" (a 1.7 s standing trial read green with no check made)
    assert "No check raised a flag." not in text
    assert "No check could be made: no measure has enough strides" in text
    assert "insufficient strides (n=2, need 3)" in text
    assert all(
        r.status == "not measurable" and r.mean is None for r in rows if r.threshold is not None
    )


def test_figures_are_valid_pngs(tmp_path, crossover_trial):
    points, analysis = crossover_trial
    for png in (
        curves_figure(analysis.curves, FPS, tmp_path / "sagittal.png"),
        foot_placement_figure(analysis, tmp_path / "feet.png"),
    ):
        assert png.read_bytes().startswith(PNG_SIGNATURE) and png.stat().st_size > 5000


def test_poorly_observed_events_are_stated_with_counts(crossover_trial):
    _, analysis = crossover_trial
    rows = findings(analysis, ThresholdsConfig())
    poor = {"left": {"foot_strike": 3, "toe_off": 2}, "right": {"foot_strike": 0, "toe_off": 1}}
    text = _text(findings_html(rows, analysis.summary.cadence_spm, poor))
    assert (
        "not timed (left 5, right 1): 6 where the foot was outside the well-observed volume" in text
    )
    assert "dropout" not in text
    # a short detection dropout is named as such, not blamed on the cameras' volume (issue #15)
    text = _text(findings_html(rows, analysis.summary.cadence_spm, poor, on_dropouts=2))
    assert "2 where a foot keypoint was not detected in enough views (a dropout" in text
    assert "4 where the foot was outside the well-observed volume" in text
    none = {"left": {"foot_strike": 0, "toe_off": 0}, "right": {"foot_strike": 0, "toe_off": 0}}
    for counts in (None, none):
        assert "well-observed volume" not in _text(findings_html(rows, 171.0, counts))
