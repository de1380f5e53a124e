"""Issue #29 in the reports: a foot-strike pattern marked uncertain (its angle +- 1.96 SD spans
a cut-off, gait/strike_pitch.py) is said in the trial report and the study report, a foot
whose heel is never seen says so, and the trial's and study's metrics.json hold only what
`dvc exp show` can select (numbers, strings, booleans; no lists)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from pipeline.config import RunnerConfig, ThresholdsConfig
from pipeline.core.skeleton import INDEX
from pipeline.gait.compare import headline_metrics
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.summary import METRICS
from pipeline.report.assessment import assessment_html, pattern_finding
from pipeline.report.study_records import TrialOverview
from pipeline.report.study_report import (
    measurement_error_summary,
    sessions_by_subject,
    write_study_report,
)
from pipeline.report.trial_report import TrialInfo, write_trial_report
from pipeline.synth import running_curves as rc
from pipeline.synth.kinematics import simulate_run

FPS = 120.0
FORWARD = [1.0, 0.0, 0.0]
_CACHE: dict = {}


def _near_cut_off():
    """8 s of the synthetic runner with 3 mm of keypoint noise and true events, its standing
    pitch set so the foot-strike angle lies 0.5 deg above the 8 deg rearfoot cut-off: the
    angle's SD (the pitch's scatter, about 1 deg at this noise) spans it on most strides."""
    if "near" not in _CACHE:
        truth = simulate_run(RunnerConfig(duration_s=8.0), FPS)
        points = truth.points + np.random.default_rng(0).normal(0, 0.003, truth.points.shape)
        events = truth.events()
        standing = float(rc.stance_foot_pitch(np.array([0.0]))[0]) - 8.5
        analysis = analyze_trial(
            points,
            FPS,
            FORWARD,
            ThresholdsConfig(),
            events=events,
            belt_speed_mps=3.0,
            standing_pitch_deg={"left": standing, "right": standing},
        )
        _CACHE["near"] = (points, analysis)
    return _CACHE["near"]


def _marked(analysis, side):
    return [
        s for s in analysis.strides if s.side == side and s.foot_strike_pattern_note is not None
    ]


def test_trial_report_shows_the_uncertain_patterns(tmp_path):
    points, analysis = _near_cut_off()
    marked = _marked(analysis, "left")
    classified = [
        s for s in analysis.strides if s.side == "left" and s.foot_strike_pattern is not None
    ]
    assert marked, "the setup must put the angle's SD across the cut-off"
    index = write_trial_report(tmp_path, TrialInfo("t1"), analysis, points, FORWARD)
    page = index.read_text()
    landing = page[page.index('id="landing"') :]
    assert f"{len(marked)} of {len(classified)} strides&#x27; patterns are uncertain" in landing
    # each marked stride's own note, naming the cut-off, in the folded list
    assert "Strides whose foot-strike pattern is uncertain" in landing
    assert "spans the rearfoot cut-off +8.0 deg" in landing
    assert landing.count("pattern uncertain: foot-strike angle") == sum(
        len(_marked(analysis, s)) for s in ("left", "right")
    )
    # the study report reads summary.json: the same count per side
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["foot_strike"]["left"] == {
        "pattern": analysis.summary.sides["left"].foot_strike.pattern,
        "n": len(classified),
        "n_uncertain": len(marked),
    }


def test_study_report_shows_the_uncertain_patterns(tmp_path):
    points, analysis = _near_cut_off()
    write_trial_report(tmp_path / "t1", TrialInfo("t1", "S1", "a"), analysis, points, FORWARD)
    data = json.loads((tmp_path / "t1" / "summary.json").read_text())
    trial = TrialOverview.from_dict({**data, "href": "t1/index.html"})
    assert TrialOverview.from_dict(trial.to_dict()) == trial
    page = write_study_report(tmp_path / "study", [trial], "Study").read_text()
    left, right = (trial.foot_strike[s] for s in ("left", "right"))
    assert re.search(
        rf"<td>{left.pattern} \({left.n_uncertain} of {left.n} strides' patterns "
        rf"uncertain\) / {right.pattern}",
        page,
    )
    # a summary written before the column existed: a dash, not a pattern
    old = TrialOverview.from_dict({k: v for k, v in data.items() if k != "foot_strike"})
    assert old.foot_strike is None


def test_a_heel_never_seen_is_named_in_the_finding():
    truth = simulate_run(RunnerConfig(duration_s=4.0), FPS)
    points = truth.points.copy()
    points[:, INDEX["left_heel"]] = np.nan
    events = truth.events()
    analysis = analyze_trial(
        points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=3.0,
        standing_pitch_deg={"left": 0.0, "right": 0.0},
    )
    block = analysis.summary.sides["left"]
    text = pattern_finding("left", block, analysis.strides)
    n = block.metrics["foot_strike_angle_deg"].n_missing
    assert text == (
        f"Left foot: foot strike not classified (heel or big toe not seen at any of its {n} "
        "strikes)."
    )
    # left out of metrics.json (None, which `dvc exp show` skips), never a zero
    headline = headline_metrics(analysis)
    assert headline["left"]["foot_strike_angle_deg"] is None
    assert headline["left"]["foot_strike_pattern"] is None
    assert "heel or big toe not seen" in assessment_html(analysis.summary, METRICS)


def _leaves(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, tree


def test_metrics_json_leaves_are_selectable_in_dvc_exp_show():
    """DVC shows int, float, str (and bool) metrics and drops lists: the trial's metrics.json
    (headline_metrics) and the study's measurement_error have none."""
    _, analysis = _near_cut_off()
    bad = [
        p
        for p, v in _leaves(headline_metrics(analysis))
        if v is not None and not isinstance(v, (int, float, str))
    ]
    assert not bad

    def session(name, mean):
        trial = {
            "trial": name,
            "subject": "S1",
            "session": name,
            "cadence_spm": 170.0,
            "means": {s: {"step_length_m": mean} for s in ("left", "right")},
            "stats": {
                s: {"step_length_m": {"mean": mean, "sem": 0.001, "n": 10}}
                for s in ("left", "right")
            },
        }
        return TrialOverview.from_dict(trial)

    subjects = sessions_by_subject([session("a", 1.0), session("b", 1.1)])
    summary = measurement_error_summary(subjects)
    entry = summary["S1"]["step_length_m_left"]
    assert entry["sem_first"] == pytest.approx(0.001) and entry["sem_last"] == pytest.approx(0.001)
    assert entry["mdc95"] is not None
    bad = [p for p, v in _leaves(summary) if v is not None and not isinstance(v, (int, float, str))]
    assert not bad


def test_a_pattern_from_too_few_strides_says_its_error_is_unknown():
    """3 s hold 4 strides a side, 8 are needed for an SEM: the side's pattern is given with
    the reason its measurement error is not known, not as if it were certain."""
    truth = simulate_run(RunnerConfig(duration_s=3.0), FPS)
    events = truth.events()
    analysis = analyze_trial(
        truth.points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=3.0,
        standing_pitch_deg={"left": 0.0, "right": 0.0},
    )
    block = analysis.summary.sides["left"]
    n = block.metrics["foot_strike_angle_deg"].n
    text = pattern_finding("left", block, analysis.strides)
    assert text.startswith("Left foot lands rearfoot")
    assert f"Its measurement error is not known (insufficient strides (n={n}, need 8))." in text
