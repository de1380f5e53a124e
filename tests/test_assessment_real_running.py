"""Issue #29 on real running (../shared/data/running-mocap; skipped without it).

Treadmill (hamner-subject04, 2-5 m/s): the foot-strike angle and pattern, vertical oscillation
and step length with runlab's detected events, on the marker keypoints (clean) and at the
real-detector level (seeds 0-2), against the same quantities from the markers at the
force-plate contacts; the treadmill data has no static trial, so its stand-in is the markers'
foot-flat pitch at the force-plate contacts (assessment_real.treadmill), and without it the
pattern is withheld. Overground (sprinter JA1, 3.5-9 m/s): the pattern with the session's
static trial as the standing reference, and with the default foot-flat reference (a bound).
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
    """Clean marker keypoints, detected events vs force-plate contacts, the static trial's
    stand-in as the reference (measured: 15 strides, foot-strike angle mean |error| 1.0,
    worst 2.7 deg; pattern 15/15, all rearfoot, reference 17-36 deg; vertical oscillation
    worst 5.0 mm; step length worst 71 mm, mean 20 mm)."""
    rows = _treadmill()["clean"]
    fsa = rows["foot_strike_angle_deg"]
    assert len(fsa) >= 12
    assert np.max(np.abs(_errors(fsa))) <= 3.0
    assert all(a == b == "rearfoot" for _, _, a, b in fsa)
    assert np.max(np.abs(_errors(rows["vertical_oscillation_m"]))) <= 0.006
    assert np.mean(np.abs(_errors(rows["step_length_m"]))) <= 0.03


def test_treadmill_without_a_static_trial_withholds_the_pattern():
    """No static trial: the strides keep their angles as upper bounds (measured: 17 strides,
    15 with an angle, 17.4-35.0 deg) but no pattern, with the reason naming the
    static trial."""
    from pipeline.gait.landing import FOOT_FLAT_BOUND_NOTE

    rows = _treadmill()["no static trial"]
    assert sum(a is not None for _, a, _ in rows) >= 12
    assert all(p is None for p, _, _ in rows)
    assert all(note == FOOT_FLAT_BOUND_NOTE for _, a, note in rows if a is not None)
    assert all(note for _, _, note in rows)  # the others: "no foot-flat frame in any stance"


def test_treadmill_pattern_at_the_real_detector_level():
    """Pattern the same on >= 90 % of strides (measured 51 of 51)."""
    fsa = _treadmill()["real detector"]["foot_strike_angle_deg"]
    assert sum(a == b for _, _, a, b in fsa) >= 0.9 * len(fsa)


def test_treadmill_angle_sd_covers_its_error_and_flags_what_it_cannot_tell():
    """Real-detector level: each angle carries its SD (pitch noise and the strike's timing SD
    through the pitch curve either side of it, gait/strike_pitch.py, with the trial's shared
    strike read). Measured: 51 of 51 with an SD, median 7.87 deg; |error| within 1 SD on 50,
    within 1.96 SD on 51 (RMS error / RMS SD 0.41: the strike's Cramer-Rao timing SD is 2.1
    times its actual RMS error here; without the shared read 7.05 deg, 46, 51, 0.47); 22
    patterns marked uncertain (16 without), no pattern wrong."""
    rows = _treadmill()["angle sd"]
    assert rows and all(sd is not None for _, sd, *_ in rows)
    within = sum(abs(e) <= 1.96 * sd for e, sd, *_ in rows)
    assert within >= 0.95 * len(rows)
    assert not [r for r in rows if r[2] != r[3] and r[4] is None]  # no unmarked wrong pattern


@pytest.mark.xfail(
    strict=True,
    reason="real-detector level, 3 seeds, 51 strides: foot-strike angle mean |error| 2.84 deg, "
    "worst 10.7, bias -0.93 (target within 3 deg; 3.32 / 18.96 / -1.36 before noisy strikes' "
    "fit samples were chosen on the low-passed heights): the strikes come -2.2 .. +2.5 frames "
    "off the force plates, mostly one offset per trial (trial means -1.4 .. +1.0 frames, "
    "scatter about them 0.2-1.0), and the foot rotates down at 270-510 deg/s once the heel is "
    "down, so a late strike reads into the rotation; removing each trial's offset gives "
    "1.99 / 5.95, and the same points read at the plates' own strikes 2.0 / 6.4 deg over 60 "
    "strides (pitch noise 2.4 deg SD per frame): the target needs the trial's strike offset "
    "and a less noisy foot pitch. A line through the last 20-40 ms of swing read 3.7-4.1 / "
    "12-18 deg; the pitch's peak within +-50 ms 2.2 / 8.2 but biased +1.6; a rigid fit of "
    "heel, toes and ankle 2.77 / 12.5; a ground-side fit 2.9-4.1 / 8.9-12.5 (docs/metrics.md; reads tried: docs/history/metrics-measurements.md)",
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


def test_sprinter_without_a_static_trial_is_never_called_rearfoot():
    """The foot-flat reference on the sprinter: its heel never comes fully down, the
    'flattest' stance frame is 4-9 deg toes-down (static trial: -0.5 / -0.1 deg) and the
    angles read 3.0-10.9 deg (5 of 14 strides above the rearfoot cut-off). They are upper
    bounds (every one at or above the static-trial angle of the same stride), so no pattern
    but forefoot may be given: measured 14 strides, all withheld with the reason."""
    from pipeline.gait.landing import FOOT_FLAT_BOUND_NOTE

    rows = _sprints()
    flat = [r for r in rows if r["source"] == "foot flat"]
    static = {(r["run"], r["side"]): r for r in rows if r["source"] == "static trial"}
    patterns = [p for r in flat for p in r["patterns"]]
    assert len(patterns) >= 10
    assert set(patterns) <= {None, "forefoot"}
    assert all(r["standing"].note == FOOT_FLAT_BOUND_NOTE for r in flat)
    for r in flat:
        assert np.all(np.array(r["angles"]) >= np.array(static[r["run"], r["side"]]["angles"]))
