"""Cadence from the step rhythm (gait/observation.step_rhythm_cadence) against known event
times: every strike and toe-off counts, the offset a trial's events of one type share does not,
an event not timed or a gap between stretches does not bias it."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.gait.observation import step_rhythm_cadence

FPS = 100.0
STEP = 35.3  # frames: 170 steps/min at 100 Hz


def _events(n_steps: int, jitter_sd: float = 0.0, seed: int = 0, offsets=(0.0, 0.0), start=10.0):
    """Alternating strikes (left first) and toe-offs 22 frames after each, with a common offset
    per event type and white jitter in frames."""
    rng = np.random.default_rng(seed)
    events = {side: {"foot_strike": [], "toe_off": []} for side in ("left", "right")}
    for k in range(n_steps):
        side = "left" if k % 2 == 0 else "right"
        strike = start + k * STEP
        events[side]["foot_strike"].append(strike + offsets[0] + rng.normal(0, jitter_sd))
        events[side]["toe_off"].append(strike + 22.0 + offsets[1] + rng.normal(0, jitter_sd))
    return events


def test_exact_events_give_the_exact_cadence_whatever_each_event_types_offset():
    cadence = step_rhythm_cadence(_events(6, offsets=(1.7, -3.2)), FPS)
    assert cadence == pytest.approx(60 * FPS / STEP, abs=1e-9)


def test_an_event_not_timed_counts_two_steps_not_one():
    events = _events(8)
    del events["right"]["foot_strike"][1]  # strike of step 3 missing
    del events["left"]["toe_off"][2]  # toe-off of step 4 missing
    assert step_rhythm_cadence(events, FPS) == pytest.approx(60 * FPS / STEP, abs=1e-9)


@pytest.mark.parametrize("foot", ["left", "right"])
def test_a_false_contact_does_not_shift_the_later_steps(foot):
    """One extra contact (a strike and its toe-off) a third of a step after a real one, on a
    40-step trial: counted as a step it would move every later event's step number and the
    cadence by several steps/min (5.7 measured on a tiled hamner trial); left out, the cadence
    stays exact."""
    events = _events(40)
    extra = 10.0 + 17 * STEP + STEP / 3  # after step 17 (right foot)
    events[foot]["foot_strike"] = sorted(events[foot]["foot_strike"] + [extra])
    events[foot]["toe_off"] = sorted(events[foot]["toe_off"] + [extra + 22.0])
    assert step_rhythm_cadence(events, FPS) == pytest.approx(60 * FPS / STEP, abs=1e-9)


def test_stretches_either_side_of_a_gap_keep_their_own_offsets():
    first, second = _events(6), _events(6, start=400.0, offsets=(2.0, 2.0))
    for side in first:
        for name in first[side]:
            first[side][name] += second[side][name]
    # the runner out of view over frames 250-380: the second stretch's step numbers do not
    # continue the first's (a whole number of steps between them is not known)
    cadence = step_rhythm_cadence(first, FPS, runs=[(250, 380)])
    assert cadence == pytest.approx(60 * FPS / STEP, abs=1e-9)


def test_jitter_on_every_event_moves_the_slope_less_than_the_first_to_last_strike_rate():
    """0.7 frame of white jitter (the events' scatter about their trial's mean at the real
    detector level), 2 s trials of 5 steps, 400 draws: the slope's error SD against that of
    60 x (strikes - 1) / (first to last strike) is sqrt((1 / 20) / (2 / 16)) = 0.63 in theory
    (two lines of 5 events, step numbers 0-4, against two events 4 steps apart); 0.67
    measured."""
    true = 60 * FPS / STEP
    slope, ends = [], []
    for seed in range(400):
        events = _events(5, jitter_sd=0.7, seed=seed)
        slope.append(step_rhythm_cadence(events, FPS) - true)
        strikes = sorted(t for side in events for t in events[side]["foot_strike"])
        ends.append(60 * FPS * (len(strikes) - 1) / (strikes[-1] - strikes[0]) - true)
    assert abs(np.mean(slope)) < 0.1
    assert np.std(slope) < 0.75 * np.std(ends), (np.std(slope), np.std(ends))


def test_no_step_between_opposite_feet_gives_none():
    only_left = {"left": {"foot_strike": [10.0, 80.6], "toe_off": []}, "right": {}}
    only_left["right"] = {"foot_strike": [], "toe_off": []}
    assert step_rhythm_cadence(only_left, FPS) is None
