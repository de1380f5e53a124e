"""The foot strikes against the heel's ground speed (gait/strike_check.py): strikes timed
early (a heel still swinging over the ground) are named, correct ones are not, and the name
reaches the trial's verdict. Ground truth: the synthetic runner and, when ../shared is
present, the force-plate treadmill trials (clean, and at the real detector level against the
force plates: docs/metrics.md, "Whole trials of early strikes")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from running_mocap import (
    HAMNER,
    MAX_EVENT_TIMING_SD_S,
    TREADMILL_TRIALS,
    observed_trial,
    treadmill_trial,
)
from scenes.gait import noisy_triangulation

from pipeline.config import RunnerConfig, ThresholdsConfig, VerdictConfig
from pipeline.gait.events import EventOptions, detect_events
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.strike_check import check_strikes, strike_problems
from pipeline.quality.verdict import TrialEvidence, trial_verdict
from pipeline.synth.kinematics import simulate_run

FPS = 120.0
SYNTH = EventOptions(toe_tip_ahead_m=0.0)  # the synthetic runner's big toe is the shoe's tip
CODE = "strikes_early:heel_still_moving"


def shifted(events: dict, frames: float) -> dict:
    return {
        side: {
            name: np.asarray(t, float) + (frames if name == "foot_strike" else 0)
            for name, t in e.items()
        }
        for side, e in events.items()
    }


def test_synthetic_strikes_are_passed_and_strikes_100_ms_early_are_named():
    runner = RunnerConfig(duration_s=3.0)
    truth = simulate_run(runner, FPS)
    events = truth.events()
    assert not check_strikes(truth.points, FPS, events, SYNTH).early
    assert strike_problems(truth.points, FPS, events, SYNTH) == []
    # its heel slows to half the running speed ~40 ms before touchdown, so only a strike
    # beyond that and the 20 ms tolerance is caught; a late one is never (one-sided)
    early = check_strikes(truth.points, FPS, shifted(events, -0.1 * FPS), SYNTH)
    assert early.early and early.offset_frames < -0.02 * FPS
    assert abs(early.running_speed_mps / runner.speed_mps - 1) < 0.1  # measured 5 % low
    assert not check_strikes(truth.points, FPS, shifted(events, 0.1 * FPS), SYNTH).early
    (problem,) = strike_problems(truth.points, FPS, shifted(events, -0.1 * FPS), SYNTH)
    assert (problem.code, problem.severity) == (CODE, "degraded")


@pytest.mark.parametrize("treadmill", [True, False])
def test_detected_strikes_of_the_1px_synthetic_runner_are_not_named(treadmill):
    for seed in range(2):
        _, tri = noisy_triangulation("typical", treadmill, FPS, pixel_sigma=1.0, seed=seed)
        events = detect_events(tri.points, FPS, SYNTH)
        assert not check_strikes(tri.points, FPS, events, SYNTH).early


def test_the_named_strikes_become_a_verdict_reason():
    truth = simulate_run(RunnerConfig(duration_s=3.0), FPS)
    problems = strike_problems(truth.points, FPS, shifted(truth.events(), -0.1 * FPS), SYNTH)
    evidence = TrialEvidence(["cam"], 1.0, {"cam": 1.0}, [], 0.0, {"left": 9, "right": 9}, 0, 0)
    plain = trial_verdict(evidence, VerdictConfig())
    flagged = trial_verdict(dataclasses.replace(evidence, input_problems=problems), VerdictConfig())
    added = [r for r in flagged.reasons if r not in plain.reasons]
    assert [(r.code, r.severity) for r in added] == [(CODE, "degraded")]


needs_shared = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")


@needs_shared
@pytest.mark.parametrize("name", list(TREADMILL_TRIALS))
def test_force_plate_strikes_pass_and_50_ms_early_are_named_on_clean_keypoints(name):
    points, fps, truth, _ = treadmill_trial(name)
    assert not check_strikes(points, fps, truth).early
    assert check_strikes(points, fps, shifted(truth, -0.05 * fps)).early


def _mean_strike_error(found: dict, truth: dict, n: int, fps: float) -> float:
    """Mean (frames) of the detected minus force-plate strikes within 0.1 s, where the markers
    cover 0.1 s on both sides (tests/test_gait_real_running.py's matching)."""
    errors = []
    for side in truth:
        true = np.asarray(truth[side]["foot_strike"], float)
        got = np.asarray(found[side]["foot_strike"], float)
        for t in true[(true >= 0.1 * fps) & (true <= n - 1 - 0.1 * fps)]:
            if got.size and np.min(np.abs(got - t)) <= 0.1 * fps:
                errors.append(got[np.argmin(np.abs(got - t))] - t)
    return float(np.mean(errors))


@needs_shared
def test_whole_trials_of_early_strikes_at_the_real_level_are_named_and_good_ones_not():
    """Measured (docs/metrics.md): of the trial-seeds whose strikes are all 3+ frames early
    (run200 seeds 8, 15, 19, 20, 23, 28, 29) 5 are named (not 8: -2.8 frames estimated,
    SE 0.37; not 23: SE 0.75); none of those within 2 frames."""
    named_bad, bad, named_good = [], [], []
    for name in TREADMILL_TRIALS:
        points, fps, truth, speed = treadmill_trial(name)
        for seed in range(30) if name == "run200" else range(10):
            seen, unfiltered, height_sd, point_sd = observed_trial(
                points, fps, seed, with_point_sd=True
            )
            found = analyze_trial(
                seen,
                fps,
                [1, 0, 0],
                ThresholdsConfig(),
                belt_speed_mps=speed,
                height_sd=height_sd,
                max_event_timing_sd_s=MAX_EVENT_TIMING_SD_S,
                event_points=unfiltered,
                point_sd=point_sd,
            ).events
            error = _mean_strike_error(found, truth, len(points), fps)
            early = check_strikes(unfiltered, fps, found).early
            if error <= -3:
                bad.append(seed)
                if early:
                    named_bad.append(seed)
            elif abs(error) <= 2 and early:
                named_good.append((name, seed))
    assert named_good == []
    assert sorted(bad) == [8, 15, 19, 20, 23, 28, 29]
    assert sorted(named_bad) == [15, 19, 20, 28, 29]
