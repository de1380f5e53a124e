"""Contacts not found (gait/missed_contacts.py): a whole contact of one foot that no event
marks, where the running rhythm puts one, is reported with where it lay; a contact set aside
as poorly observed, cut by the trial's ends, outside a pass or in unobserved frames is not.
The real cases (the overground runway at 9 m/s) are in tests/test_overground_runway.py."""

from __future__ import annotations

import json

import numpy as np
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig, VerdictConfig
from pipeline.core.skeleton import INDEX
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.missed_contacts import contacts_not_found
from pipeline.quality.verdict import TrialEvidence, trial_verdict
from pipeline.report.findings import contacts_not_found_html, findings, findings_html

STRIDE, STANCE, N = 90.0, 30.0, 700  # frames at 100 fps: a 0.9 s stride, 0.3 s contact


def rhythm(first=(20.0, 65.0)) -> dict:
    """Strikes and toe-offs of both feet in a steady running rhythm over N frames."""
    out = {}
    for side, start in zip(("left", "right"), first):
        strikes = np.arange(start, N - STANCE - 5, STRIDE)
        out[side] = {"foot_strike": strikes, "toe_off": strikes + STANCE}
    return out


def without(events: dict, side: str, index: int) -> tuple[dict, dict]:
    """`events` less one contact of `side`; and that contact's events."""
    out = {s: {n: t.copy() for n, t in named.items()} for s, named in events.items()}
    gone = {n: out[side][n][index] for n in ("foot_strike", "toe_off")}
    for n in gone:
        out[side][n] = np.delete(out[side][n], index)
    return out, gone


def found(events, poor=None, spans=None, unobserved=()):
    return contacts_not_found(events, poor, 100.0, spans or [(0, N)], list(unobserved))


def test_a_steady_rhythm_reports_nothing():
    assert found(rhythm()) == {"left": (), "right": ()}


def test_a_contact_inside_the_trial_that_no_event_marks_is_reported_where_it_lay():
    events, gone = without(rhythm(), "left", 3)
    got = found(events)
    assert got["right"] == () and len(got["left"]) == 1
    (a, b) = got["left"][0]
    assert a * 100 <= gone["foot_strike"] and gone["toe_off"] <= b * 100
    # two in a row: two windows, each around its own contact
    events, _ = without(events, "left", 3)
    assert len(found(events)["left"]) == 2


def test_the_first_and_the_last_contact_are_reported_when_the_rhythm_puts_them_inside():
    first, gone = without(rhythm(), "left", 0)  # strike at 20, 0.2 s in: inside the trial
    (window,) = found(first)["left"]
    assert window[0] * 100 <= gone["foot_strike"] <= window[1] * 100
    last, gone = without(rhythm(), "left", -1)
    (window,) = found(last)["left"]
    assert window[0] * 100 <= gone["toe_off"] <= window[1] * 100


def test_a_contact_accounted_for_or_out_of_reach_is_not_reported():
    events, gone = without(rhythm(), "left", 3)
    poor = {s: {n: np.array([]) for n in ("foot_strike", "toe_off")} for s in events}
    poor["left"]["foot_strike"] = np.array([gone["foot_strike"]])
    assert found(events, poor)["left"] == ()  # set aside as poorly observed: counted there
    gap = (int(gone["foot_strike"]) + 5, int(gone["foot_strike"]) + 15)
    assert found(events, unobserved=[gap])["left"] == ()  # an unobserved gap: the gap's
    # a pass that ends before it: the contact is outside every stretch
    assert found(events, spans=[(0, int(gone["foot_strike"]) - 10)])["left"] == ()
    # cut by the trial's start: a strike 5 frames in leaves no swing to time it by
    early, _ = without(rhythm(first=(5.0, 50.0)), "left", 0)
    assert found(early)["left"] == ()
    # the other foot not seen either before the first contact: no rhythm to extrapolate
    alone, _ = without(rhythm(), "left", 0)
    alone["right"] = {n: t[1:] for n, t in alone["right"].items()}
    assert found(alone)["left"] == ()


def test_a_toe_off_without_its_strike_marks_its_contact():
    events = rhythm()
    events["left"]["foot_strike"] = np.delete(events["left"]["foot_strike"], 3)
    assert found(events) == {"left": (), "right": ()}


def lifted_trial():
    """The analytic runner with one left contact's heel and toe lifted 80 mm (mis-seen: the
    contact reads as flight), and that contact's true strike and toe-off."""
    points, events = running_trial(n_strides=8)
    strike, toe_off = events["left"]["foot_strike"][3], events["left"]["toe_off"][3]
    for name in ("left_heel", "left_big_toe"):
        points[int(strike) - 2 : int(toe_off) + 3, INDEX[name], 2] += 0.08
    return points, strike, toe_off


def test_the_analysis_reports_a_contact_read_as_flight_and_the_file_keeps_it():
    points, strike, toe_off = lifted_trial()
    analysis = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig())
    (window,) = analysis.summary.contacts_not_found["left"]
    assert window[0] * FPS <= strike and toe_off <= window[1] * FPS
    assert analysis.summary.contacts_not_found["right"] == ()
    again = TrialAnalysis.from_dict(json.loads(json.dumps(analysis.to_dict())))
    assert again.summary.contacts_not_found == analysis.summary.contacts_not_found
    # a file from before the check reads as not checked
    older = analysis.to_dict()
    del older["summary"]["contacts_not_found"]
    assert TrialAnalysis.from_dict(older).summary.contacts_not_found is None
    # events given (not detected): nothing to check
    clean, events = running_trial(n_strides=8)
    given = analyze_trial(clean, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    assert given.summary.contacts_not_found is None
    detected = analyze_trial(clean, FPS, [1, 0, 0], ThresholdsConfig())
    assert detected.summary.contacts_not_found == {"left": (), "right": ()}

    text = findings_html(
        findings(analysis, ThresholdsConfig()),
        analysis.summary.cadence_spm,
        not_found=analysis.summary.contacts_not_found,
    )
    assert "Foot contacts not detected (left 1)" in text
    assert f"a contact of the left foot between {window[0]:.2f} and {window[1]:.2f} s" in text
    assert contacts_not_found_html({"left": (), "right": ()}) == ""
    assert contacts_not_found_html(None) == ""


def evidence(found_events: int, untimed: int, not_found: int) -> TrialEvidence:
    return TrialEvidence(
        camera_names=[],
        measured_share=1.0,
        camera_share={},
        cameras_disagreeing=[],
        reverted_share=0.0,
        strides={"left": 5, "right": 5},
        events_found=found_events,
        events_untimed=untimed,
        imported=True,
        contacts_not_found=not_found,
    )


def test_the_verdict_counts_contacts_not_found_in_the_untimed_share():
    cfg = VerdictConfig()  # max_untimed_event_share 0.5
    # one contact not found among 40 events: the trial stays ok, as one untimed event does
    assert trial_verdict(evidence(40, 0, 1), cfg).verdict == "ok"
    assert trial_verdict(evidence(40, 1, 0), cfg).verdict == "ok"
    # 8 contacts (16 events) not found and 6 untimed among 20 found: 22 of 36 not timed
    verdict = trial_verdict(evidence(20, 6, 8), cfg)
    (reason,) = verdict.reasons
    assert (verdict.verdict, reason.code) == ("degraded", "events_untimed")
    assert reason.message.startswith("22 of 36 foot strikes / toe-offs were not timed (16 of")
    assert "8 whole contact(s) not detected" in reason.message


def test_the_synthetic_runner_at_1_px_has_no_contact_reported_missing():
    """The synthetic runner through the 4-camera rig at 1 px (tests/scenes/gait.py), on the
    treadmill and crossing the rig overground: no report. Measured over 60/120/240 fps, 4
    runners, 4 treadmill trials and 6 passes each (120 recordings): 0 reported; 40 true
    contacts have no event, each cut by the recording's ends or a pass's, out of reach."""
    from scenes.gait import CAMERAS, RUNNERS, noisy_triangulation

    from pipeline.triangulation.uncertainty import predicted_sd

    for treadmill in (True, False):
        for runner in RUNNERS:
            truth, tri = noisy_triangulation(runner, treadmill, 120.0, pixel_sigma=1.0, seed=1)
            analysis = analyze_trial(
                tri.points,
                120.0,
                [1, 0, 0] if treadmill else None,
                ThresholdsConfig(),
                belt_speed_mps=RUNNERS[runner]["speed_mps"] if treadmill else None,
                height_sd=predicted_sd(tri.points, CAMERAS, tri.views_used)[..., 2],
                max_event_timing_sd_s=0.003,
                n_views=tri.n_views,
                toe_tip_ahead_m=0.0,
            )
            assert analysis.summary.contacts_not_found == {"left": (), "right": ()}, runner
