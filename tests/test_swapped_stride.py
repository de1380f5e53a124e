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

from pipeline.config import ThresholdsConfig
from pipeline.core.skeleton import INDEX
from pipeline.gait import strides
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import Stride
from pipeline.gait.swaps import swapped_stances
from pipeline.triangulation.filtering import lowpass

NOISE_M, SD_M = 0.004, 0.006  # point noise; its SDs over-cover, as point_sd_from_3d's do
SWAPPED = 3  # the left stride whose stance is pulled
START = FIRST_STRIKE["left"] + SWAPPED * STRIDE_FRAMES
PULL = range(START + 10, START + 15)  # a third into the stance (30 frames)


def noisy_run(seed: int, pulled: bool):
    """(analysed points, points before the low-pass, their SDs, events) of the analytic runner
    with white noise; `pulled`: the left knee 130 mm forward over PULL."""
    clean, events = running_trial(n_strides=6)
    rng = np.random.default_rng(seed)
    raw = clean + rng.normal(0.0, NOISE_M, clean.shape)
    if pulled:
        raw[list(PULL), INDEX["left_knee"], 0] += 0.13
    return lowpass(raw, FPS, 12.0), raw, np.full(clean.shape, SD_M), events


def analyse(points, raw, sd, events):
    return analyze_trial(
        points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, point_sd=sd, event_points=raw
    )


def test_a_pulled_stance_is_set_aside_named_and_the_others_are_kept():
    analysis = analyse(*noisy_run(0, pulled=True))
    left = [s for s in analysis.strides if s.side == "left"]
    aside = [s for s in analysis.strides if s.set_aside is not None]
    assert [s.index for s in aside] == [left[SWAPPED].index] and aside[0].side == "left"
    note = aside[0].set_aside
    assert note["reason"] == "suspect_swap"
    first, last = note["frames"]
    assert first <= PULL[0] and PULL[-1] <= last  # the window that shows it holds the pull
    for name in ("peak_stance_knee_flexion_deg", "knee_over_toe_m", "pelvic_drop_deg"):
        assert name in note["metrics"]
        assert aside[0].value(name) is None and aside[0].uncertainty[name] is None
        stats = analysis.summary.sides["left"].metrics[name]
        assert stats.n_missing == 1 and stats.n == len(left) - 1
    # the times come from the events: kept
    assert aside[0].value("ground_contact_time_ms") is not None
    # every other stride keeps its values
    kept = [s for s in analysis.strides if s.set_aside is None]
    assert all(s.value("knee_over_toe_m") is not None for s in kept)
    # the verdict is told, with the count and the frames
    problems = [p for p in analysis.summary.input_problems if p.code.startswith("strides_set")]
    assert len(problems) == 1 and problems[0].severity == "degraded"
    assert f"left 1 of {len(left)} (frames {first}-{last})" in problems[0].message
    # the file keeps the record
    assert Stride.from_dict(aside[0].to_dict()).set_aside == note
    assert "set_aside" not in kept[0].to_dict()


def test_the_pulled_stance_is_found_by_the_screen_alone():
    _, raw, sd, events = noisy_run(1, pulled=True)
    stances = list(zip(events["left"]["foot_strike"], events["left"]["toe_off"]))
    found = swapped_stances(raw, sd, np.array([1.0, 0.0, 0.0]), "left", stances)
    assert [n for n, f in enumerate(found) if f is not None] == [SWAPPED]
    assert found[SWAPPED].ratio > found[SWAPPED].critical


def test_noise_alone_sets_no_stride_aside():
    # 30 trials x 12 strides at p = 1e-3 per stride: about 0.4 expected on Gaussian noise
    aside = 0
    for seed in range(30):
        analysis = analyse(*noisy_run(100 + seed, pulled=False))
        aside += sum(s.set_aside is not None for s in analysis.strides)
        assert not any(p.code.startswith("strides_set") for p in analysis.summary.input_problems)
    assert aside == 0


def test_clean_points_set_no_stride_aside():
    clean, events = running_trial(n_strides=6)
    without_sd = analyze_trial(clean, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    with_sd = analyse(clean, clean, np.full(clean.shape, SD_M), events)
    assert not any(s.set_aside for s in without_sd.strides + with_sd.strides)


real_data = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")


def _set_aside(level: str) -> list[tuple]:
    """(trial, seed, side, strike frame, the largest |error| over target of METRIC_TARGETS's
    metrics before it was set aside) of each stride set aside at `level`; that error is read
    from the same trial analysed with the screen off, against the clean analysis."""
    out = []
    for row in trial_rows(level):
        marked = [s for s in row["strides"] if s.set_aside is not None]
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
    # measured: 0 of 57 strides (seeds 0-2), 0 of 133 (seeds 3-9); the screen tested 261
    # stride-sides on seeds 0-29 (a side with three stances or more)
    assert _set_aside(level) == []


@real_data
def test_the_swap_of_the_fresh_seeds_is_the_one_stride_set_aside():
    # measured (seeds 10-29, 375 strides): run300 seed 19 left (frames 196-208, ratio 13.9
    # against 5.9), before it peak knee flexion +15.4 deg and knee over toe +133.8 mm off
    # (8.9 targets); no other stride set aside, so no good stride lost
    found = _set_aside("real_fresh")
    assert [row[:4] for row in found] == [("run300", 19, "left", 188)]
    assert found[0][4] > 2.0  # truly off: more than twice a target
