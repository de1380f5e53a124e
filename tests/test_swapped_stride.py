"""A stance whose leg points are not the leg's own for a few frames (a left/right swap of the
detector in two views of four that triangulation took in) is set aside, named: its values
read from the points leave the side's means, SDs and flags, the stride says why, and the
verdict counts it (gait/swaps.py `swapped_stances`, gait/strides.py; docs/metrics.md "Strides
set aside").

Ground truth: the analytic runner (tests/scenes/gait.py) with white noise on its points before
the low-pass and the knee pulled 130 mm forward over 5 frames of one stance (the real case:
run300 seed 19 left, the knee 100-160 mm forward). Real level: the hamner treadmill trials
(tests/test_gait_real_running.py), against the clean analysis with the force-plate events.
"""

from __future__ import annotations

import numpy as np
import pytest
from running_mocap import analyze_observed, treadmill_trial
from scenes.gait import FIRST_STRIKE, FPS, STRIDE_FRAMES, running_trial
from test_gait_real_running import HAMNER, MATCH_S, METRIC_TARGETS, trial_rows

from pipeline.config import ThresholdsConfig, VerdictConfig
from pipeline.core.skeleton import INDEX
from pipeline.core.trial_notes import InputProblem
from pipeline.gait import strides
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import Stride, StrideDraft
from pipeline.gait.set_aside import SetAside
from pipeline.gait.swaps import swapped_stances
from pipeline.quality.verdict import TrialEvidence, trial_verdict
from pipeline.triangulation.filtering import lowpass

NOISE_M, SD_M = 0.004, 0.006  # point noise; its SDs over-cover, as point_sd_from_3d's do
SWAPPED = 3  # the left stride whose stance is pulled
START = FIRST_STRIKE["left"] + SWAPPED * STRIDE_FRAMES
PULL = range(START + 10, START + 15)  # a third into the stance (30 frames)


LEG = [INDEX[f"left_{k}"] for k in ("knee", "ankle", "heel", "big_toe", "small_toe")]


def noisy_run(seed: int, pulled: bool, frames=PULL, n_strides: int = 6):
    """(analysed points, points before the low-pass, their SDs, events) of the analytic runner
    with white noise; `pulled`: the left knee 130 mm forward over `frames` (the foot's points
    60 mm back, as in the real case)."""
    clean, events = running_trial(n_strides=n_strides)
    rng = np.random.default_rng(seed)
    raw = clean + rng.normal(0.0, NOISE_M, clean.shape)
    if pulled:
        raw[list(frames), INDEX["left_knee"], 0] += 0.13
        raw[np.ix_(list(frames), LEG[1:], [0])] -= 0.06
    return lowpass(raw, FPS, 12.0), raw, np.full(clean.shape, SD_M), events


def analyse(points, raw, sd, events, belt_speed_mps=None):
    return analyze_trial(
        points,
        FPS,
        [1, 0, 0],
        ThresholdsConfig(),
        events=events,
        point_sd=sd,
        event_points=raw,
        belt_speed_mps=belt_speed_mps,
    )


def test_a_pulled_stance_is_set_aside_named_and_the_others_are_kept():
    analysis = analyse(*noisy_run(0, pulled=True))
    left = [s for s in analysis.strides if s.side == "left"]
    aside = [s for s in analysis.strides if s.set_aside and s.set_aside.reason == "suspect_swap"]
    assert [s.index for s in aside] == [left[SWAPPED].index] and aside[0].side == "left"
    note = aside[0].set_aside
    assert note.reason == "suspect_swap"
    first, last = note.frames
    assert first <= PULL[0] and PULL[-1] <= last  # the window that shows it holds the pull
    for name in ("peak_stance_knee_flexion_deg", "knee_over_toe_m", "pelvic_drop_deg"):
        assert name in note.metrics
        assert aside[0].value(name) is None and aside[0].uncertainty[name] is None
        stats = analysis.summary.sides["left"].metrics[name]
        assert stats.n_missing == 1 and stats.n == len(left) - 1
    # the times come from the events: kept
    assert aside[0].value("ground_contact_time_ms") is not None
    # every other stride keeps its values
    kept = [s for s in analysis.strides if s not in aside]
    assert all(s.value("knee_over_toe_m") is not None for s in kept)
    # the verdict is told, with the count and the frames: a note (1 of 6 is under the share)
    problems = [p for p in analysis.summary.input_problems if p.code.startswith("strides_set")]
    assert len(problems) == 1 and problems[0].severity == "note"
    assert f"left 1 of {len(left)} (frames {first}-{last})" in problems[0].message
    # the file keeps the record, typed
    assert Stride.from_dict(aside[0].to_dict()).set_aside == note
    assert aside[0].to_dict()["set_aside"]["frames"] == [first, last]
    assert "set_aside" not in left[0].to_dict()


def test_a_file_without_the_record_reads_as_none_set_aside():
    analysis = analyse(*noisy_run(0, pulled=True))
    old = analysis.strides[0].to_dict()
    old.pop("set_aside", None)
    assert Stride.from_dict(old).set_aside is None
    record = SetAside("suspect_swap", (3, 9), ("knee_over_toe_m",), "why")
    assert SetAside.from_dict(record.to_dict()) == record


@pytest.mark.parametrize("at_strike", [True, False])
def test_the_strike_reads_are_set_aside_only_where_the_window_holds_the_strike(at_strike):
    # pulled over the stance's first 5 frames (the screen's first window, which holds the
    # strike) or over frames 20-24 (its last window): the foot at the strike is the other
    # leg's only in the first case
    frames = range(START, START + 5) if at_strike else range(START + 20, START + 25)
    # a belt speed for the step lengths (the analytic runner's feet stand still in stance)
    analysis = analyse(*noisy_run(0, pulled=True, frames=frames), belt_speed_mps=3.0)
    left = [s for s in analysis.strides if s.side == "left"]
    swapped = left[SWAPPED]
    assert swapped.set_aside is not None and swapped.set_aside.holds(START) == at_strike
    strike_reads = ("foot_strike_angle_deg", "overstride_m", "step_length_m", "vertical_ratio")
    for name in strike_reads:
        assert (swapped.value(name) is None) == at_strike, name
        assert (name in swapped.set_aside.metrics) == at_strike, name
    if at_strike:
        assert swapped.foot_strike_pattern is None
    # from the pelvis (the hips' midpoint, no leg's point): kept
    assert swapped.value("vertical_oscillation_m") is not None
    # the right foot's next step starts at the swapped strike
    step = next(s for s in analysis.strides if s.side == "right" and s.strike_frame > START)
    assert (step.value("step_length_m") is None) == at_strike
    if at_strike:
        assert step.set_aside.reason == "suspect_swap_step" and step.set_aside.metrics == (
            "step_length_m",
            "vertical_ratio",
        )
        assert step.value("knee_over_toe_m") is not None  # its stance is its own
    # the verdict counts the swapped stance only
    (problem,) = [p for p in analysis.summary.input_problems if p.code.startswith("strides_set")]
    assert "left 1 of" in problem.message and "right 1 of" not in problem.message


def test_more_than_half_a_sides_strides_set_aside_degrade_the_verdict():
    drafts = [
        StrideDraft("left", i, 10.0 * i, 0.0, 10.0 * i + 5, 0.0, None, None, {}, {})
        for i in range(3)
    ]
    record = SetAside("suspect_swap", (1, 4), (), "why")
    drafts[0].set_aside = record
    assert [p.severity for p in strides.set_aside_problems(drafts)] == ["note"]
    drafts[1].set_aside = record
    assert [p.severity for p in strides.set_aside_problems(drafts)] == ["degraded"]
    # a note names the strides without changing the verdict (quality/verdict.py)
    assert verdict_of([InputProblem("strides_set_aside:suspect_swap", "note", "m")]) == "ok"
    assert verdict_of([InputProblem("strides_set_aside:suspect_swap", "degraded", "m")]) == (
        "degraded"
    )


def verdict_of(problems) -> str:
    evidence = TrialEvidence(
        camera_names=["a", "b"],
        measured_share=1.0,
        camera_share={"a": 1.0, "b": 1.0},
        cameras_disagreeing=[],
        reverted_share=0.0,
        strides={"left": 5, "right": 5},
        events_found=20,
        events_untimed=0,
        input_problems=list(problems),
    )
    return trial_verdict(evidence, VerdictConfig()).verdict


def test_the_pulled_stance_is_found_by_the_screen_alone():
    _, raw, sd, events = noisy_run(1, pulled=True)
    stances = list(zip(events["left"]["foot_strike"], events["left"]["toe_off"]))
    found = swapped_stances(raw, sd, np.array([1.0, 0.0, 0.0]), "left", stances)
    assert [n for n, f in enumerate(found) if f is not None] == [SWAPPED]
    assert found[SWAPPED].ratio > found[SWAPPED].critical


@pytest.mark.parametrize("n_strides", [6, 40])
def test_noise_alone_sets_no_stride_aside(n_strides):
    # 30 trials x 2 sides at p = 1e-3 per trial side: 0.06 expected on Gaussian noise, at 6
    # strides a side as at 40 (a family per side: a long trial loses none by its count)
    aside = 0
    for seed in range(30 if n_strides == 6 else 10):
        analysis = analyse(*noisy_run(100 + seed, pulled=False, n_strides=n_strides))
        aside += sum(s.set_aside is not None for s in analysis.strides)
        assert not any(p.code.startswith("strides_set") for p in analysis.summary.input_problems)
    assert aside == 0


def test_clean_points_set_no_stride_aside():
    clean, events = running_trial(n_strides=6)
    without_sd = analyze_trial(clean, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    with_sd = analyse(clean, clean, np.full(clean.shape, SD_M), events)
    assert not any(s.set_aside for s in without_sd.strides + with_sd.strides)


def test_overground_no_stance_is_screened():
    """The screen's level, the side's other stances, holds where the runner stays in place. On
    a runway each stance lies at another place in the volume and scatters at its own level
    (docs/metrics.md "Strides set aside"): overground no stance is screened, the pulled one
    included (named in "What it cannot do yet")."""
    points, raw, sd, events = noisy_run(0, pulled=True)
    carried = np.zeros_like(points)
    carried[..., 0] = (4.0 / FPS) * np.arange(len(points))[:, None]  # 4 m/s along +X
    analysis = analyse(points + carried, raw + carried, sd, events)
    assert analysis.summary.passes and analysis.summary.passes[0].speed_mps > 3.5
    assert not any(s.set_aside for s in analysis.strides)
    assert not any(p.code.startswith("strides_set") for p in analysis.summary.input_problems)
    # the same trial in place (a treadmill) sets the pulled stance aside
    in_place = analyse(points, raw, sd, events)
    aside = [s for s in in_place.strides if s.set_aside and s.set_aside.reason == "suspect_swap"]
    assert [(s.side, s.index) for s in aside] == [("left", SWAPPED)]


real_data = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")


def _set_aside(level: str) -> list[tuple]:
    """(trial, seed, side, strike frame, the largest |error| over target of METRIC_TARGETS's
    metrics before it was set aside) of each stride set aside at `level`; that error is read
    from the same trial analysed with the screen off, against the clean analysis."""
    out = []
    for row in trial_rows(level):
        marked = [s for s in row["strides"] if s.set_aside and s.set_aside.reason == "suspect_swap"]
        if not marked:
            continue
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(strides, "swapped_stances", lambda *a, **k: [None] * len(a[4]))
            points, fps, _, speed = treadmill_trial(row["trial"])
            unscreened = analyze_observed(points, fps, row["seed"], speed).strides
        for stride in marked:
            before = next(
                s
                for s in unscreened
                if s.side == stride.side and s.strike_frame == stride.strike_frame
            )
            ref = next(
                r
                for r in row["true_strides"]
                if r.side == stride.side
                and abs(r.strike_frame - stride.strike_frame) <= MATCH_S * row["fps"]
            )
            worst = max(
                abs(scale * (before.value(name) - ref.value(name))) / target
                for name, (target, scale, _) in METRIC_TARGETS.items()
                if before.value(name) is not None and ref.value(name) is not None
            )
            out.append((row["trial"], row["seed"], stride.side, round(stride.strike_frame), worst))
    return out


@real_data
@pytest.mark.parametrize("level", ["real", "real_check"])
def test_no_stride_is_set_aside_on_the_real_level_seeds_0_to_9(level):
    # measured: 0 of 57 strides (seeds 0-2), 0 of 133 (seeds 3-9), at p = 1e-3 per trial
    # side as at p = 1e-3 per stride before; the screen tested 261 stride-sides on seeds 0-29
    # (a side with three stances or more)
    assert _set_aside(level) == []


@real_data
def test_the_swap_of_the_fresh_seeds_is_the_one_stride_set_aside():
    # measured (seeds 10-29, 375 strides): run300 seed 19 left (frames 196-208, ratio 13.9
    # against 6.9 at p = 1e-3 over its side's 3 stances; 5.9 at 1e-3 per stride), before it
    # peak knee flexion +15.4 deg and knee over toe +133.8 mm off (8.9 targets); no other
    # stride set aside, so no good stride lost
    found = _set_aside("real_fresh")
    assert [row[:4] for row in found] == [("run300", 19, "left", 188)]
    assert found[0][4] > 2.0  # truly off: more than twice a target


@real_data
def test_a_long_trial_loses_no_stride_by_its_count_alone():
    # hamner tiled to 40 strides (tests/long_treadmill.py), real level, seeds 0-2: 3 of 941
    # strides set aside, each at 14-33 times its side's level (critical 4.2-6.0 over 39-40
    # stances): run200 seed 2 right, run400 seed 2 right (8.1 and 10.4 targets off before:
    # knee over toe +121 mm, peak knee flexion +8.6 and +31.1 deg), run300 seed 2 left (1.6
    # targets); at p = 1e-3 per stride 6 of 941 (3 more at 3.2-3.5 against 3.2-3.5, 1.0-1.5
    # targets). Seeds 3-9 (checked, not asserted): 7 of 2204 (19 per stride), 3 at 11-18 times
    # (4.7, 5.8 and 1.2 targets) and 4 at 5.1-6.9 against 4.9-5.4 (1.1-1.4 targets)
    from long_treadmill import long_rows

    found = sorted(
        (row["trial"], row["seed"], s.side, round(s.strike_frame))
        for row in long_rows(40, range(3))
        for s in row["strides"]
        if s.set_aside and s.set_aside.reason == "suspect_swap"
    )
    assert found == [
        ("run200", 2, "right", 1982),
        ("run300", 2, "left", 2160),
        ("run400", 2, "right", 2309),
    ]
