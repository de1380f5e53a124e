"""A note (a reason that leaves the verdict as it is, e.g. a stride set aside as a suspected
left/right swap) is shown wherever reasons are shown to a person: the trial report's verdict
box under its own heading, the analyze log, the study report's trial table."""

from __future__ import annotations

import logging

import numpy as np

from pipeline.config import RunnerConfig, ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.quality.verdict import Reason, Verdict
from pipeline.report.study_records import TrialOverview
from pipeline.report.study_report import TABLE_METRICS, _trials_table, sessions_by_subject
from pipeline.report.trial_report import TrialInfo, write_trial_report
from pipeline.report.verdict import verdict_html
from pipeline.stages.analyze import log_verdict
from pipeline.synth.kinematics import simulate_run

NOTE = Reason(
    "strides_set_aside:suspect_swap",
    "note",
    "1 left stride set aside as a suspected detector left/right swap (frames 120-241)",
)
DEGRADING = Reason("events_untimed", "degraded", "5 of 40 foot strikes / toe-offs were not timed")


def notes_part(html: str) -> str:
    return html.split("<b>Notes</b>")[1] if "<b>Notes</b>" in html else ""


def test_an_ok_trial_with_a_note_shows_it_under_notes_not_as_a_reason():
    html = verdict_html(Verdict("ok", (NOTE,)))
    assert NOTE.message in notes_part(html) and NOTE.code in notes_part(html)
    assert NOTE.message not in html.split("<b>Notes</b>")[0]
    assert "Degraded trial" not in html and "This trial failed" not in html
    assert 'class="verdict-box notes"' in html


def test_the_trial_report_of_an_ok_trial_shows_its_note_above_the_findings(tmp_path):
    # a standing recording: no stride, so no figure is drawn (fast); the box is what is read
    run = simulate_run(RunnerConfig(duration_s=1.0, seed=2), 60.0).points
    points = run[:1].repeat(60, axis=0)
    forward = np.array([1.0, 0.0, 0.0])
    analysis = analyze_trial(points, 60.0, forward, ThresholdsConfig())
    for verdict, shown in ((Verdict("ok", (NOTE,)), True), (Verdict("ok"), False)):
        out = tmp_path / str(shown)
        page = write_trial_report(
            out, TrialInfo("t1"), analysis, points, forward, verdict=verdict
        ).read_text()
        findings = page.split('id="findings"')[1].split("</section>")[0]
        assert (NOTE.message in findings) is shown
        assert ("<b>Notes</b>" in findings) is shown and ("verdict-box" in findings) is shown
        assert "Degraded trial" not in page
        # the header's badge counts the notes beside the verdict
        assert (">ok (1 note)</span>" in page) is shown and (">ok</span>" in page) is not shown


def test_an_ok_trial_without_notes_shows_no_box():
    assert verdict_html(Verdict("ok")) == ""
    assert verdict_html(None) == ""


def test_a_degraded_trial_with_a_note_shows_both_apart():
    html = verdict_html(Verdict("degraded", (DEGRADING, NOTE)))
    reasons, notes = html.split("<b>Notes</b>")
    assert "Degraded trial" in reasons and DEGRADING.message in reasons
    assert NOTE.message not in reasons and NOTE.message in notes
    assert DEGRADING.message not in notes


def test_a_degraded_trial_without_notes_renders_as_before():
    html = verdict_html(Verdict("degraded", (DEGRADING,)))
    assert "<b>Notes</b>" not in html
    assert html == (
        '<div class="verdict-box warn"><p><b>Degraded trial</b>: the findings below come from '
        "data with these problems; read them with care, and re-record or fix the inputs where "
        f'you can:</p><ul><li>{DEGRADING.message} <span class="note">(events_untimed)</span>'
        '</li></ul><p class="note">What each reason means and what to do: docs/verdicts.md.</p>'
        "</div>"
    )


def test_the_analyze_log_names_a_note_of_an_ok_trial(caplog):
    with caplog.at_level(logging.INFO, logger="runlab"):
        log_verdict("t1", Verdict("ok", (NOTE,)))
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"trial t1: note ({NOTE.code}): {NOTE.message}"


def test_the_analyze_log_keeps_the_degraded_line_and_adds_the_note(caplog):
    with caplog.at_level(logging.INFO, logger="runlab"):
        log_verdict("t1", Verdict("degraded", (DEGRADING, NOTE)))
    assert [r.getMessage() for r in caplog.records] == [
        f"trial t1: DEGRADED: {DEGRADING.message}",
        f"trial t1: note ({NOTE.code}): {NOTE.message}",
    ]


def test_the_analyze_log_is_silent_for_an_ok_trial_without_notes(caplog):
    with caplog.at_level(logging.INFO, logger="runlab"):
        log_verdict("t1", Verdict("ok"))
    assert caplog.records == []


def _overview(trial: str, verdict: Verdict) -> TrialOverview:
    return TrialOverview.from_dict(
        {
            "trial": trial,
            "subject": "S01",
            "session": "s01a",
            "session_label": "before",
            "session_date": "2026-10-01",
            "condition": "treadmill",
            "cadence_spm": 170.0,
            "n_strides": {"left": 5, "right": 5},
            "means": {side: dict.fromkeys(TABLE_METRICS, 0.1) for side in ("left", "right")},
            "flags": [],
            "findings": [],
            "curves": {},
            "verdict": verdict.to_dict(),
        }
    )


def test_the_study_table_counts_a_note_beside_the_verdict():
    table = _trials_table(
        sessions_by_subject(
            [_overview("noted", Verdict("ok", (NOTE,))), _overview("plain", Verdict("ok"))]
        )
    )
    noted = next(r for r in table.split("<tr>") if ">noted<" in r)
    plain = next(r for r in table.split("<tr>") if ">plain<" in r)
    assert f'title="note: {NOTE.message}"' in noted and "(1 note(s))" in noted
    assert '<td class="ok" title="">ok</td>' in plain  # no note, no count
