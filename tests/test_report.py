import base64
import re

import pytest

from pipeline.config import ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.report.figures import curves_figure, foot_placement_figure
from pipeline.report.html import render_trial_section, write_report
from test_gait_metrics import FPS, running_trial

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def crossover_trial():
    points, events = running_trial(foot_y={"left": -0.01, "right": 0.02}, knee=(10.0, 33.0, 14.0))
    return points, analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events)


def test_report_has_flags_numbers_and_valid_figures(tmp_path, crossover_trial):
    points, analysis = crossover_trial
    figures = {
        "Sagittal angles": curves_figure(points, FPS, analysis.events, [1, 0, 0],
                                         tmp_path / "fig" / "sagittal.png"),
        "Foot placement": foot_placement_figure(analysis, tmp_path / "fig" / "feet.png"),
    }
    for png in figures.values():
        assert png.read_bytes().startswith(PNG_SIGNATURE) and png.stat().st_size > 5000

    section = render_trial_section("easy <run>", analysis, figures)
    report = tmp_path / "report.html"
    write_report(report, "Lab report", [section],
                 [{"trial": "easy <run>", "cadence_spm": analysis.summary["cadence_spm"],
                   "flags": len(analysis.flags)}])
    page = report.read_text(encoding="utf-8")

    assert "easy &lt;run&gt;" in page and "<run>" not in page
    assert "Left side: mean step width -0.030 m is at or below the crossover threshold of 0.000 m" \
           " (mean of 5 strides)" in page
    assert "mean peak stance knee flexion 33.0 deg is below the minimum of 40.0 deg" in page
    assert "171" in page                                  # cadence
    assert "-0.030 &plusmn; 0.000 m (n=5)" in page        # left step width, first one missing
    assert "100 %" in page                                # every step a crossover
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(embedded) == 2
    assert all(base64.b64decode(e).startswith(PNG_SIGNATURE) for e in embedded)
    assert not list(tmp_path.glob(".report.html.*"))     # no temporary file left behind


def test_insufficient_strides_are_stated(tmp_path):
    points, events = running_trial(n_strides=2)
    analysis = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(min_strides=3), events=events)
    section = render_trial_section("short", analysis, {})
    assert "No flags raised." in section
    assert "insufficient strides (n=2, need 3)" in section
