"""Gait events on longer treadmill trials at the real-detector level (issue #26, deliverable 1).

The shared hamner force-plate trials last about 2 s (3 strides); a lab's treadmill recording
lasts 30-60 s. The trials here are the real hamner motion tiled to 10 strides (about 7 s):
two whole strides of each trial whose ends match, copied one after another with the
force-plate events carried along (tests/long_treadmill.py; the runner's own stride-to-stride
variation beyond those two strides is gone). Seen by the synthetic detector at the real level
through the demo rig, analysed with the defaults, scored as tests/test_gait_real_running.py
scores the 2 s trials (`event_scores`), seeds 0-2. Lengths 3-40 strides and seeds 3-9 are in
docs/metrics.md ("Longer treadmill trials"), printed by `python tests/long_treadmill.py`.
Skipped when ../shared is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from long_treadmill import long_rows
from running_mocap import HAMNER
from test_gait_real_running import event_scores

pytestmark = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")

STRIDES = 10
SEEDS = range(3)
FPS = 100.0
_CACHE: dict = {}


def scores() -> dict:
    if "scores" not in _CACHE:
        _CACHE["scores"] = event_scores(long_rows(STRIDES, SEEDS))
    return _CACHE["scores"]


def test_events_and_cadence_on_ten_stride_trials_at_the_real_detector_level():
    # measured (seeds 0-2): strikes 235/237 timed, mae 0.89 frame, bias -0.11; toe-offs
    # 230/231, mae 0.87, bias -0.04 (1.01, -0.55 with the peel-off read's level over 2 fit
    # half-windows); no false event; cadence worst 0.26 steps/min (mean 0.10). Seeds 3-9:
    # 551/553 and 534/539, mae 0.83 / 0.72, bias -0.41 / -0.17, cadence worst 0.46, but 2
    # false strikes (target 0)
    s = scores()
    for name in ("foot_strike", "toe_off"):
        assert s[name]["timed"] >= 0.95, (name, s[name]["timed"])
        assert s[name]["false"] == 0, (name, s[name]["false"])
        assert s[name]["mae"] <= 2.0, (name, s[name]["mae"])
        assert abs(s[name]["bias"]) <= 1.0, (name, s[name]["bias"])
    assert np.isfinite(s["cadence_spm"]).all(), s["cadence_spm"]
    assert np.max(np.abs(s["cadence_spm"])) <= 1.0, s["cadence_spm"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured (seeds 0-2, 10 strides): contact time mae 12.0 ms, bias +0.7, over 225 "
        "contacts (target 10; 2 m/s 18.3, 3 m/s 11.1, 4 m/s 12.9, 5 m/s 5.9); seeds 3-9 "
        "10.8 (13.3 and 11.4 with the toe-offs' peel-off read's level over 2 fit "
        "half-windows, toe-off bias -0.55 / -0.64 frame, now -0.04 / -0.17). Longer trials "
        "average the strikes' shared offset down, not the 2 m/s toe-offs' own scatter "
        "(1.25-1.53 frames mae): 40 strides give 10.1 ms (seeds 0-2) and 10.0 (3-9), "
        "14.7-15.2 at 2 m/s, 5.7-10.8 at 3-5 m/s (docs/metrics.md; another tiling's 9.3 / "
        "10.1: docs/history/metrics-measurements.md)"
    ),
)
def test_contact_time_on_ten_stride_trials_at_the_real_detector_level():
    ct = scores()["contact_ms"]
    assert ct.size and np.mean(np.abs(ct)) <= 10.0, (np.mean(np.abs(ct)), ct.size)
