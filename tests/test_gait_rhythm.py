"""Events out of the foot's rhythm (pipeline/gait/rhythm.py) are set aside, not timed.

Unit cases on event times, then the synthetic real-detector world: scripts/assessment_accuracy
session 1, trial 0, where a detector burst on the left foot before contact once put a strike
18 frames (180 ms) early (436.1 for a true 454.3) and a stride was cut there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.gait.rhythm import out_of_rhythm

STRIDE = 85.0


def _steady(n=12, jitter=0.02, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(STRIDE * (1 + jitter * rng.standard_normal(n)))


def test_a_steady_runner_with_natural_stride_variation_keeps_every_event():
    for seed in range(20):
        assert not out_of_rhythm(_steady(seed=seed)).any(), seed


def test_one_event_displaced_by_a_fifth_of_a_stride_is_out_of_rhythm():
    t = _steady()
    t[5] -= 0.2 * STRIDE
    flagged = out_of_rhythm(t)
    assert flagged.tolist() == [i == 5 for i in range(t.size)]


def test_a_change_of_pace_or_a_gap_is_not_a_displaced_event():
    accelerating = np.cumsum(STRIDE * 0.97 ** np.arange(12))  # 3 % shorter every stride
    assert not out_of_rhythm(accelerating).any()
    gap = np.delete(np.arange(12) * STRIDE, 6)  # one event missing: a gap of two strides
    assert not out_of_rhythm(gap).any()
    two_passes = np.concatenate([np.arange(5) * STRIDE, 2000 + np.arange(5) * 70.0])
    assert not out_of_rhythm(two_passes).any()


def test_too_few_events_are_not_judged():
    assert not out_of_rhythm(np.array([0.0, 85.0, 120.0])).any()


def test_the_early_strike_of_the_synthetic_real_level_is_set_aside():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from assessment_accuracy import load_level, trial_pair

    measured, true = trial_pair(load_level(), 0, session=1)
    found = np.asarray(measured.events["left"]["foot_strike"])
    truth = np.asarray(true.events["left"]["foot_strike"])
    assert not np.any(np.abs(found - 436.1) < 1.0)  # the strike 18 frames early is gone
    for t in found:  # every strike kept is near a true one
        assert np.min(np.abs(truth - t)) < 5.0, t
    assert found.size == truth.size - 1


def test_a_first_or_last_event_displaced_by_a_quarter_stride_is_out_of_rhythm():
    for index, shift in ((0, 0.25), (-1, -0.25), (0, -0.25), (-1, 0.25)):
        t = _steady()
        t[index] += shift * STRIDE
        flagged = out_of_rhythm(t)
        assert flagged[index] and flagged.sum() == 1, (index, shift, flagged)


def test_the_ends_of_each_pass_are_judged_and_a_steady_runners_never_flagged():
    first = np.arange(6) * STRIDE
    second = 2000 + np.arange(6) * STRIDE
    second[0] -= 0.25 * STRIDE  # the second pass's first strike a quarter stride early
    flagged = out_of_rhythm(np.concatenate([first, second]))
    assert flagged.tolist() == [i == 6 for i in range(12)]
    for seed in range(200):  # 2 % stride-time jitter: ends are not set aside
        assert not out_of_rhythm(_steady(seed=seed))[[0, -1]].any(), seed
    accelerating = np.cumsum(STRIDE * 0.97 ** np.arange(12))
    assert not out_of_rhythm(accelerating).any()


def test_an_end_event_beside_a_displaced_inner_event_is_kept():
    t = _steady()
    t[1] -= 0.2 * STRIDE  # the inner event is the one off: the first interval short
    flagged = out_of_rhythm(t)
    assert flagged.tolist() == [i == 1 for i in range(t.size)]
