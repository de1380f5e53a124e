"""Overground metrics at a real detector's level (issue #26 deliverable 3, with deliverable 2's
targets).

The sprinter's runway runs (tests/test_overground_runway.py: JA1 at 3.5, 5, 7 and 9 m/s
through the runway rig at the real-detector level, levelled floor) analysed as the analyze
stage does, against the reference the treadmill's metrics are scored on
(tests/test_gait_real_running.py): the same analysis on the clean keypoints with the reference
events (there the force plates, here the events detected on the clean levelled keypoints), no
point SDs, so a detector's definition bias is not counted. Strides are matched by side and
strike within 0.1 s (metric_errors). Each analysis estimates its own pass direction (the
measured one 0.0-1.1 deg off the reference's); step width and knee over toe are read along it.
Targets (issue #26): peak stance knee flexion <= 3 deg, pelvic drop <= 1.5 deg, step width <=
10 mm, knee over toe <= 15 mm, as mean |error| over strides, no stride worse than twice that.
The methods were chosen on the treadmill; seeds 0-2 and 3-9 are both reported. A target not
met is a strict xfail quoting the measured numbers (docs/metrics.md has them per speed).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gait_real_running import METRIC_TARGETS, metric_errors, metric_misses
from test_overground_runway import RUNS, SPRINTER, runway_rows

pytestmark = pytest.mark.skipif(not SPRINTER.is_dir(), reason="../shared/data/running-mocap absent")

SEEDS, CHECK_SEEDS = range(3), range(3, 10)
SPEEDS = dict(zip(RUNS, (3.5, 5.0, 7.0, 9.0)))


def errors_per_speed(seeds) -> dict[float, dict[str, np.ndarray]]:
    """Per run speed (m/s): metric_errors of that run's seeds."""
    rows = runway_rows(seeds)
    return {SPEEDS[run]: metric_errors([r for r in rows if r["run"] == run]) for run in RUNS}


def summary(seeds) -> dict[str, dict]:
    """Per metric, pooled and per speed: mean |error|, worst, bias, strides (display units)."""

    def stats(e: np.ndarray) -> tuple[float, float, float, int]:
        return float(np.mean(np.abs(e))), float(np.max(np.abs(e))), float(np.mean(e)), e.size

    pooled, per_speed = metric_errors(runway_rows(seeds)), errors_per_speed(seeds)
    return {
        name: {"all": stats(pooled[name])} | {s: stats(e[name]) for s, e in per_speed.items()}
        for name in METRIC_TARGETS
    }


_MISSES = {
    "peak_stance_knee_flexion_deg": "seeds 0-2: 0.91 / 6.28 deg, bias -0.20, over 72 strides "
    "(target 3 / 6: the worst misses; 0.62, 0.85, 0.85, 1.52 at 3.5, 5, 7, 9 m/s). The worst, "
    "9 m/s seed 0 left (strike 118.95, -6.28; -2.47 on average over seeds 0-9, SD 1.69), is "
    "knee over toe's worst stride: its knee flexion peaks early (0.32 of its stance on the "
    "clean keypoints) and is read 1.6 frames later. It read -5.77 while the swap screen ran "
    "overground: a false alarm on that side's first stance (no view swapped) kept those "
    "frames out of the side's shared peak time (swaps.py, strides._suspect_stances)",
    "pelvic_drop_deg": "seeds 0-2: 1.59 / 6.22 deg, bias -1.22, over 72 strides (target 1.5 / "
    "3; 1.22, 1.81, 2.15, 1.34 at 3.5, 5, 7, 9 m/s). The drop reads low on both sides (right "
    "-1.96, left -0.49): before any read, the measured obliquity averaged over seeds 0-9 at 7 "
    "m/s sits 1.2-2.8 deg under the truth through the right stances, low-passed or not. The "
    "triangulation's limb-length term does most of it (refine_limb_sigma_m 1 cm, one length "
    "per bone), while the sprinter's marker-made thighs and shanks vary +-16-17 mm at 7 m/s: with "
    "that term off (10 m) the bias is -0.30 (1.35 / 5.33), with no refinement -0.19 (1.23 / "
    "3.43). The worst, 7 m/s seed 2 right (strike 21.5), is that stride's offset over seeds "
    "0-9 (-3.20) plus noise (its SD 2.93); its strike is 1.7 frames late",
    "step_width_m": "seeds 0-2: 12.57 / 52.95 mm, bias -1.82, over 60 strides (target 10 / 20; "
    "9.57, 11.18, 18.43, 13.71 at 3.5, 5, 7, 9 m/s). The worst, 7 m/s seed 0 left (strike "
    "79.75), -52.95: the left foot's 3D sits 36-47 mm to the right over this strike, the "
    "pelvis alike, and the right foot 0-7 mm at its strike 2 m back along the runway (the "
    "cameras' constant offsets, up to 23 px, move the 3D by where the runner is in the "
    "volume); not camera 3's swap there (repaired), nor the event (1.45 frames late) nor the pass direction (0.00 deg "
    "from the reference's; over all strides the error does not follow the direction's "
    "difference, correlation 0.00). The read through the strike (stance_pool.pooled_strike, "
    "chosen on the treadmill) reads the clean sprinter 5-21 mm narrower at 3.5-9 m/s when "
    "made to read it as noisy (a 3 mm point SD)",
    "knee_over_toe_m": "seeds 0-2: 8.84 / 40.11 mm, bias +4.22, over 72 strides (target 15 / "
    "30: the worst misses; 6.99, 9.75, 6.25, 13.29 at 3.5, 5, 7, 9 m/s). The worst, 9 m/s "
    "seed 0 left (strike 118.95, +40.11; +24.5 on average over seeds 0-9, SD 12.5): that "
    "stride's knee flexion peaks at 0.32 of its stance on the clean keypoints, the other "
    "strides at 0.38-0.43, and the measured peak time (both legs' shared quadratic weighed "
    "with the stride's own peak) at 0.38 of it, 1.6 frames later, while the sprinter's knee "
    "runs over the planted toe; no swap, no event error (strike 1.05 frames late). The 15 Hz "
    "low-pass alone moves the clean 9 m/s knee over toe +7.8 mm on average (21 at most)",
}

_CHECK_MISSES = {
    "pelvic_drop_deg": "seeds 3-9: 1.60 / 6.75 deg, bias -1.07, over 163 strides (target 1.5 "
    "/ 3; right -1.85, left -0.26): the same low read; the worst, 7 m/s seed 3 right (strike "
    "136.65), that stride's -2.49 over seeds 0-9 plus noise",
    "step_width_m": "seeds 3-9: 12.42 / 69.30 mm, bias -4.59, over 135 strides (target 10 / "
    "20). The worst, 3.5 m/s seed 4 right (strike 485.15, +69.30, 4.9 SDs), and the left "
    "stride before it (411.5, +62.83): camera 2 drops the left heel and toe over frames "
    "405-559 and camera 0 the right ones over 481-492, and the views left, with their "
    "constant offsets (15, -13, 3 px), put the feet 50-80 mm off laterally; no view swapped "
    "in the right stance (the swap screen set it aside while it ran overground)",
    "knee_over_toe_m": "seeds 3-9: 9.38 / 42.36 mm, bias +5.41, over 163 strides (target 15 "
    "/ 30): the worst, 9 m/s seed 8 left (strike 117.17, +42.36), is seed 0's worst stride "
    "(its knee flexion's early peak against the pooled peak time)",
}


def _params(misses: dict[str, str]) -> list:
    return [
        pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=misses[m]))
        if m in misses
        else m
        for m in METRIC_TARGETS
    ]


@pytest.mark.parametrize("metric", _params(_MISSES))
def test_overground_metrics_at_the_real_detector_level_against_the_clean_analysis(metric):
    found = metric_misses(metric_errors(runway_rows(SEEDS)), [metric])
    assert not found, found


@pytest.mark.parametrize("metric", _params(_CHECK_MISSES))
def test_overground_metrics_on_the_check_seeds_against_the_clean_analysis(metric):
    # measured (seeds 3-9, not used to choose): peak stance knee flexion 0.99 / 3.69 deg,
    # bias +0.05, over 163 strides
    found = metric_misses(metric_errors(runway_rows(CHECK_SEEDS)), [metric])
    assert not found, found


def test_every_measured_stride_is_matched_and_scored_or_set_aside_named():
    """No stride drops out of the comparison silently: each measured stride matches a
    reference stride, and one without a value of the four is set aside with a reason."""
    # measured: seeds 0-2 all 72 strides scored, seeds 3-9 all 163: overground no stance is
    # screened for a swap (strides._suspect_stances; while it was, 10 of 72 and 21 of 163
    # were set aside, most with no view swapped in the stance: false alarms)
    for seeds in (SEEDS, CHECK_SEEDS):
        for row in runway_rows(seeds):
            for stride in row["strides"]:
                assert any(
                    r.side == stride.side
                    and abs(r.strike_frame - stride.strike_frame) <= 0.1 * row["fps"]
                    for r in row["true_strides"]
                ), (row["run"], row["seed"], stride.side, stride.strike_frame)
                assert stride.set_aside is None or "swap" not in stride.set_aside.reason
                if any(
                    stride.value(name) is None for name in METRIC_TARGETS if name != "step_width_m"
                ):
                    assert stride.set_aside is not None, (
                        row["run"],
                        row["seed"],
                        stride.strike_frame,
                    )
