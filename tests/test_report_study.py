"""Study report: the before/after table shows exactly the numbers of the trials it compares, and
the trials table lists every trial with a link; and the trial report's plain-language findings."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.angles import SIDES
from pipeline.gait.metrics import analyze_trial
from pipeline.report.findings import findings, findings_html
from pipeline.report.study_records import TrialOverview
from pipeline.report.study_report import comparison, sessions_by_subject, write_study_report
from pipeline.report.trial_report import KEY_METRICS


def _summary(trial, subject, session, label, date, cadence, offset, flags=()):
    """A trial summary as trial_report.trial_summary writes it, with known values."""
    means = {
        side: {
            m: round(0.01 * (i + 1) + offset + (0.001 if side == "right" else 0.0), 6)
            for i, m in enumerate(KEY_METRICS)
        }
        for side in SIDES
    }
    curve = list(np.linspace(0, 40, 101) + offset)
    return TrialOverview.from_dict(
        {
            "trial": trial,
            "subject": subject,
            "session": session,
            "session_label": label,
            "session_date": date,
            "condition": "treadmill",
            "cadence_spm": cadence,
            "n_strides": {"left": 5, "right": 5},
            "means": means,
            "flags": list(flags),
            "findings": [],
            "href": f"../trials/{trial}/report/index.html",
            "curves": {
                "toe_off_pct": {"left": 38.0, "right": 38.0},
                **{
                    name: {side: curve for side in SIDES}
                    for name in ("knee_flexion_deg", "pelvic_drop_deg", "hip_adduction_deg")
                },
            },
        }
    )


@pytest.fixture
def summaries():
    return [
        # given out of time order: the report must order sessions by date
        _summary(
            "a_after",
            "S01",
            "s01b",
            "after",
            "2026-11-01",
            176.0,
            0.5,
            [
                {
                    "name": "crossover",
                    "side": "left",
                    "value": -0.02,
                    "threshold": 0.0,
                    "n_strides": 5,
                }
            ],
        ),
        _summary("a_before", "S01", "s01a", "before", "2026-10-01", 168.0, 0.0),
        _summary("b_only", "S02", "s02a", "before", "2026-10-03", 170.0, 0.2),
    ]


def test_sessions_are_ordered_and_changes_are_last_minus_first(summaries):
    subjects = sessions_by_subject(summaries)
    assert [s.label for s in subjects["S01"]] == ["before", "after"]
    rows = {(r.metric, r.side): r for r in comparison(subjects["S01"])}
    assert rows[("cadence_spm", "both")].values == (168.0, 176.0)
    assert rows[("cadence_spm", "both")].change == pytest.approx(8.0)
    for i, m in enumerate(KEY_METRICS):
        for side in SIDES:
            before = summaries[1].means[side][m]
            after = summaries[0].means[side][m]
            assert rows[(m, side)].values == (before, after)
            assert rows[(m, side)].change == pytest.approx(after - before)


def test_study_report_tables_show_the_input_numbers(tmp_path, summaries):
    page = write_study_report(tmp_path / "report", summaries, "Lab", "study X").read_text()
    trials_table = page.split('id="trials"')[1].split("</section>")[0]
    for s in summaries:
        assert f'href="{s.href}"' in trials_table
    # S01 'after': step width L 1.0 + 50 = 51.0 cm, R 51.1 cm; cadence 176; its crossover flag
    row = next(r for r in trials_table.split("<tr>") if "a_after" in r)
    assert "<td>176</td>" in row and "51.0 cm / 51.1 cm" in row
    assert "crossover (left -2.0 cm)" in row
    before_after = page.split('id="before-after"')[1]
    assert "Subject S01" in before_after and "Subject S02" not in before_after  # one session only
    cells = dict(re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", before_after))
    # the first three cells: before, after, change (then the MDC95 and its verdict, issue #29)
    assert cells["cadence"].startswith("<td>168</td><td>176</td><td>+8</td>")
    # step width (first key metric): before 1.0 / after 51.0 cm on the left, change +50.0 cm
    assert cells["step width (left)"].startswith("<td>1.0 cm</td><td>51.0 cm</td><td>+50.0 cm</td>")
    # peak stance knee flexion: the 4th key metric, 0.04 (+0.5) deg -> shown with 1 decimal
    assert cells["peak stance knee flexion (right)"].startswith(
        "<td>0.0 deg</td><td>0.5 deg</td><td>+0.5 deg</td>"
    )
    assert (tmp_path / "report" / "before_after_0.png").stat().st_size > 10000


def test_findings_state_value_threshold_strides_and_missing_cutoffs():
    points, events = running_trial(foot_y={"left": -0.01, "right": 0.02}, knee=(10.0, 33.0, 14.0))
    thresholds = ThresholdsConfig()
    analysis = analyze_trial(points, FPS, [1, 0, 0], thresholds, events=events)
    rows = {(r.check, r.side): r for r in findings(analysis, thresholds)}
    assert rows[("crossover", "left")].status == "flagged"
    assert rows[("low_peak_knee_flexion", "left")].status == "flagged"
    assert rows[("contralateral_pelvic_drop", "left")].status == "not checked"  # threshold None
    text = findings_html(list(rows.values()), analysis.summary.cadence_spm)
    assert (
        "Left step width</b>: -3.0 &plusmn; 0.0 cm (mean of 5 strides); flagged when the mean is &lt;= 0.0 cm"
        in text
    )
    assert (
        "33.0 &plusmn; 0.0 deg (mean of 6 strides); flagged when the mean is &lt; 40.0 deg" in text
    )
    assert (
        "off: no validated cut-off (set <code>analysis.thresholds.max_pelvic_drop_deg</code>"
        in text
    )
    assert "Souza 2016" in text and "Iskandar 2023" in text
