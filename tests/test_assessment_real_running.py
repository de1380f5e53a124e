"""Issue #29 on real running (../shared/data/running-mocap; skipped without it).

Treadmill (hamner-subject04, 2-5 m/s): the foot-strike angle and pattern, vertical oscillation
and step length with runlab's detected events, on the marker keypoints (clean) and at the
real-detector level (seeds 0-2), against the same quantities from the markers at the
force-plate contacts. Overground (sprinter JA1, 3.5-9 m/s): the pattern with the session's
static trial as the standing reference, and with the default foot-flat reference.
scripts/assessment_real.py prints the same numbers (docs/metrics.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from running_mocap import HAMNER  # noqa: E402

pytestmark = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")
_CACHE: dict = {}


def _treadmill():
    if "treadmill" not in _CACHE:
        from assessment_real import treadmill

        _CACHE["treadmill"] = treadmill()
    return _CACHE["treadmill"]


def _sprints():
    if "sprints" not in _CACHE:
        from assessment_real import sprints

        _CACHE["sprints"] = sprints()
    return _CACHE["sprints"]


def _errors(rows):
    return np.array([m - r for m, r, _, _ in rows])


def test_treadmill_runner_is_a_rearfoot_striker_on_clean_keypoints():
    """Clean marker keypoints, detected events vs force-plate contacts (measured: 15 strides,
    foot-strike angle mean |error| 1.0, worst 2.7 deg; pattern 15/15, all rearfoot, reference
    17-36 deg; vertical oscillation worst 5.0 mm; step length worst 71 mm, mean 20 mm)."""
    rows = _treadmill()["clean"]
    fsa = rows["foot_strike_angle_deg"]
    assert len(fsa) >= 12
    assert np.max(np.abs(_errors(fsa))) <= 3.0
    assert all(a == b == "rearfoot" for _, _, a, b in fsa)
    assert np.max(np.abs(_errors(rows["vertical_oscillation_m"]))) <= 0.006
    assert np.mean(np.abs(_errors(rows["step_length_m"]))) <= 0.03


def test_treadmill_pattern_at_the_real_detector_level():
    """Pattern the same on >= 90 % of strides (measured 38 of 38)."""
    fsa = _treadmill()["real detector"]["foot_strike_angle_deg"]
    assert sum(a == b for _, _, a, b in fsa) >= 0.9 * len(fsa)


@pytest.mark.xfail(
    strict=True,
    reason="real-detector level, 3 seeds, 38 strides: foot-strike angle mean |error| 3.2 deg, "
    "worst 11.0 (target within 3 deg): strike timing (real-level events) and the foot's "
    "fast rotation at contact",
)
def test_treadmill_foot_strike_angle_within_3_deg_at_the_real_detector_level():
    fsa = _treadmill()["real detector"]["foot_strike_angle_deg"]
    assert np.max(np.abs(_errors(fsa))) <= 3.0


def test_sprinter_reads_midfoot_or_forefoot_with_the_static_trial():
    """Measured: 14 strides over 4 sprints, 13 midfoot and 1 forefoot (angles -1.7 .. +2.7)."""
    rows = [r for r in _sprints() if r["source"] == "static trial"]
    patterns = [p for r in rows for p in r["patterns"] if p is not None]
    assert len(patterns) >= 10
    assert set(patterns) <= {"midfoot", "forefoot"}


@pytest.mark.xfail(
    strict=True,
    reason="the foot-flat reference on the sprinter: its heel never comes fully down, so the "
    "'flattest' stance frame is 4-9 deg toes-down (static trial: -0.5 / -0.1 deg) and 5 of 14 "
    "strides read rearfoot: give the static trial (standing_pitch_deg)",
)
def test_sprinter_reads_midfoot_or_forefoot_with_the_foot_flat_reference():
    rows = [r for r in _sprints() if r["source"] == "foot flat"]
    patterns = [p for r in rows for p in r["patterns"] if p is not None]
    assert set(patterns) <= {"midfoot", "forefoot"}
