"""The synthetic runner's touchdown against real running (issue #29's foot-strike yardstick).

Real: the hamner treadmill markers (2-5 m/s, 20 strikes) at their force-plate strikes
(../shared/data/running-mocap; skipped without it). Measured over the last 20 ms before each
strike and the first 20 ms after it (docs/metrics.md, "Why the real level misses"): the
foot arrives held (pitch rate 10-90 %: -74 .. +132 deg/s, median -13) and rotates down about
the heel only after contact (-506 .. -266 deg/s), while the heel hits the floor at
0.26-0.83 m/s, about as fast as 20 ms earlier (speed ratio median 0.99).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from running_mocap import HAMNER, TREADMILL_TRIALS, treadmill_trial  # noqa: E402

from pipeline.config import RunnerConfig  # noqa: E402
from pipeline.gait.angles import foot_pitch_deg, keypoint  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402

WINDOW_S = 0.02
_CACHE: dict = {}


def touchdowns(points: np.ndarray, fps: float, strikes: dict) -> np.ndarray:
    """Per strike: heel vertical speed over the last 20 ms before it and the 20 ms before
    those (m/s), foot pitch rate over the last 20 ms before and the first 20 ms after (deg/s)."""
    rows = []
    for side, times in strikes.items():
        heel = keypoint(points, f"{side}_heel")[:, 2]
        pitch = foot_pitch_deg(points, side, [1.0, 0.0, 0.0])
        frames = np.arange(len(heel))
        step = WINDOW_S * fps
        for t in np.asarray(times, float):
            if t < 2 * step + 1 or t + step + 1 > len(heel):
                continue
            h = np.interp([t - 2 * step, t - step, t], frames, heel)
            p = np.interp([t - step, t, t + step], frames, pitch)
            rows.append(
                (
                    (h[2] - h[1]) / WINDOW_S,
                    (h[1] - h[0]) / WINDOW_S,
                    (p[1] - p[0]) / WINDOW_S,
                    (p[2] - p[1]) / WINDOW_S,
                )
            )
    return np.array(rows)


def _real() -> np.ndarray:
    if "real" not in _CACHE:
        rows = []
        for name in TREADMILL_TRIALS:
            points, fps, events, _ = treadmill_trial(name)
            strikes = {side: events[side]["foot_strike"] for side in events}
            rows.append(touchdowns(points, fps, strikes))
        _CACHE["real"] = np.concatenate(rows)
    return _CACHE["real"]


def _synthetic() -> np.ndarray:
    truth = simulate_run(RunnerConfig(duration_s=4.0), 120.0)
    return touchdowns(truth.points, truth.fps, truth.foot_strikes)


needs_real = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")


@needs_real
def test_real_heels_hit_the_floor_and_the_foot_rotates_only_after_contact():
    """The real touchdown the synthetic one is held against (values in the module docstring)."""
    real = _real()
    assert len(real) >= 16
    speed, before, rate_before, rate_after = (np.median(real[:, k]) for k in range(4))
    assert -0.8 < speed < -0.3  # m/s, down: an impact
    assert 0.8 < np.median(real[:, 0] / real[:, 1]) < 1.2  # no slowing down into the floor
    assert abs(rate_before) < 50 and rate_after < -250  # deg/s: a kink at contact


@needs_real
@pytest.mark.xfail(
    strict=True,
    reason="the synthetic foot pitches down at the stance rate through the last 20 ms of swing "
    "(-386 deg/s; real -74 .. +132) and its heel lowers onto the floor (-0.16 m/s over the "
    "last 20 ms, -0.42 before; real -0.83 .. -0.26, ratio ~1): running_curves.cycle_curve "
    "matches the swing pitch rate to the stance rate at the strike. A swing foot held at "
    "contact (swing pitch rate 0 at the strike) passes this test (medians -0.40, -0.58 m/s, "
    "-72, -353 deg/s) but needs gait/events.py changed: its strikes at 1 px came late "
    "(tests/test_gait_events.py, first case bias +0.65 frame), and no guard on the strike "
    "fit's speed term passes both that and the force plates (strikes only, in noise "
    "variances: 0 -> 76 of 76 synthetic cases but clean hamner strikes -0.51 frame, "
    "test_gait_real_running; 0.5 -> 1 case +0.51; 1 -> 4; 2 -> 13, +0.51 .. +1.74)",
)
def test_synthetic_touchdown_is_within_the_real_range():
    real, synthetic = _real(), _synthetic()
    low, high = np.percentile(real, 10, axis=0), np.percentile(real, 90, axis=0)
    medians = np.median(synthetic, axis=0)
    assert np.all((medians >= low) & (medians <= high)), (medians, low, high)
