"""Issue #29: does the study's between-trial MDC95 cover a change that is not there?

The study report's MDC95 from repeated trials (gait/measurement_error.py, study_report
.comparison): 3 trials of one condition per session, SEM = pooled within-session SD / sqrt(3),
t with the pooled SD's 4 degrees of freedom. Four synthetic sessions of six trials each of
the same runner (scripts/assessment_accuracy.py `session_coverage`): trials of one session
share its calibration error, camera offsets and the detector's keypoint definition bias (the
real-detector level draws these per session), each trial has its own noise. "within": 3
trials against 3 others of one session; "across": 3 of one session against 3 of another.
Measured numbers are in docs/metrics.md ("Measurement error: what the MDC covers").
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from assessment_accuracy import load_level, session_coverage, trial_pair  # noqa: E402

from pipeline.config import SyntheticNoiseConfig  # noqa: E402

_COVERAGE: dict[str, dict[str, tuple[int, int]]] = {}


def _coverage(level: str) -> dict[str, tuple[int, int]]:
    if level not in _COVERAGE:
        noise = SyntheticNoiseConfig(pixel_sigma=1.0) if level == "1 px" else load_level()
        sessions = [
            [trial_pair(noise, trial, session=s)[0] for trial in range(6)] for s in range(4)
        ]
        _COVERAGE[level] = session_coverage(sessions)
    return _COVERAGE[level]


@pytest.mark.parametrize(
    "level",
    [
        "1 px",
        pytest.param(
            "real",
            marks=pytest.mark.xfail(
                strict=True,
                reason="605 of 640 (94.5 %) within the MDC95 at the real level (604 with the "
                "toe-offs' peel-off read's level over 2 fit half-windows, 601 before that read; "
                "627, 98.0 %, "
                "before the third session's event changes): session 1's first trial, in every split of "
                "that session, has all its strikes 1.5-1.9 frames late (one offset for the "
                "trial, the corner read on its mean event: issue #26's residual), so its "
                "foot-strike angle reads 6.4 deg against 12-20, overstride 0.14 m against "
                "0.17-0.24 and duty factor 0.369; a 3-trial t interval does not hold one such "
                "trial in six",
            ),
        ),
    ],
)
def test_no_change_within_a_session_stays_within_the_mdc(level):
    """3 trials against 3 others of the same session (4 sessions x 10 splits x 8 measures x
    2 sides). Measured: 609 of 640 (95.2 %) at 1 px, 605 of 640 (94.5 %) at the real level."""
    inside, total = _coverage(level)["within"]
    assert total == 640
    assert inside >= 0.95 * total


@pytest.mark.parametrize(
    "level",
    [
        "1 px",
        pytest.param(
            "real",
            marks=pytest.mark.xfail(
                strict=True,
                reason="3 trials of one session against 3 of another (6 session pairs x 400 "
                "subsets x 16): 27300 of 38400 (71.1 %; 27251 with the toe-offs' peel-off read's "
                "level over 2 fit half-windows, 27045 before that read) "
                "within the between-trial MDC95 at the "
                "real-detector level. Each session draws its own keypoint definition bias "
                "(conf/detector/synthetic_real.yaml keypoint_bias_m), which every trial of "
                "the session shares, so no within-session SD can see it (per measure, before the peel-off read): knee flexion at "
                "strike 10 %, overstride 66 %, tibia inclination 68 %, the others 77-94 %. "
                "With the definition bias held over the sessions (calibration error and camera "
                "offsets still redrawn; a one-off run of an earlier session, 85.1 % with it "
                "redrawn then) 37213 of 38400 (96.9 %); the study "
                "report says the MDC holds no error that changes between sessions",
            ),
        ),
    ],
)
def test_no_change_across_sessions_stays_within_the_mdc(level):
    """Measured at 1 px (no session-level errors at that level): 37023 of 38400 (96.4 %)."""
    inside, total = _coverage(level)["across"]
    assert total == 6 * 20 * 20 * 16
    assert inside >= 0.95 * total
