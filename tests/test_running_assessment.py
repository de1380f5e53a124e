"""Issue #29: foot strike, overstride, bounce and timing, variability, symmetry and the MDC.

Truth: the synthetic runner's known kinematics (noise-free, true events) for the definitions;
then the runner through the demo rig at 1 px and at the real-detector level
(conf/detector/synthetic_real.yaml) with detected events, against the same analysis on the
detector's own keypoints with the true events (scripts/assessment_accuracy.py prints the
same numbers for docs/metrics.md). Tolerances are stated per test; a target not met is a
strict xfail quoting the measured number.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from assessment_accuracy import (  # noqa: E402
    between_trial_coverage,
    errors,
    load_level,
    patterns_agree,
    trial_pair,
    within_mdc,
)

from pipeline.config import RunnerConfig, SyntheticNoiseConfig, ThresholdsConfig  # noqa: E402
from pipeline.core.skeleton import INDEX  # noqa: E402
from pipeline.gait.angles import hip_centre  # noqa: E402
from pipeline.gait.landing import FOOT_FLAT_BOUND_NOTE, strike_pattern  # noqa: E402
from pipeline.gait.measurement_error import (  # noqa: E402
    NO_REPEATS,
    PooledSD,
    SessionError,
    TrialMean,
    detectable_change,
    mean_half_width95,
    pooled_between_trial_sd,
    session_error,
    t_quantile,
)
from pipeline.gait.metrics import analyze_trial  # noqa: E402
from pipeline.gait.summary import within_measurement_error  # noqa: E402
from pipeline.report.study_records import Session, TrialOverview  # noqa: E402
from pipeline.report.study_report import WITHIN_SESSION_NOTE, comparison  # noqa: E402
from pipeline.synth import running_curves as rc  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402

FPS = 120.0
ONE_PX = SyntheticNoiseConfig(pixel_sigma=1.0)
_CACHE: dict = {}


def _true_analysis(runner: RunnerConfig, fps: float = FPS, standing=None):
    """Noise-free keypoints and true events; `standing` a static trial's {side: deg} (the
    generator's foot stands at 0 deg)."""
    truth = simulate_run(runner, fps)
    events = truth.events()
    forward = [1.0, 0.0, 0.0] if runner.treadmill else None
    belt = runner.speed_mps if runner.treadmill else None
    return truth, analyze_trial(
        truth.points,
        fps,
        forward,
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=belt,
        standing_pitch_deg=standing,
    )


def _pairs(level: str, seeds=range(3)):
    """(measured, true) of seeds 0-5; the measured analysis with the points' SDs, as the
    analyze stage gives them (its strides' shared SD, in the stride-to-stride MDC)."""
    if level not in _CACHE:
        noise = ONE_PX if level == "1 px" else load_level()
        _CACHE[level] = [trial_pair(noise, seed, with_point_sd=True) for seed in range(6)]
    return [_CACHE[level][s] for s in seeds]


def test_pattern_cut_offs_are_altman_and_davis():
    assert strike_pattern(8.01) == "rearfoot" and strike_pattern(8.0) == "midfoot"
    assert strike_pattern(-1.6) == "midfoot" and strike_pattern(-1.61) == "forefoot"
    assert strike_pattern(None) is None and strike_pattern(float("nan")) is None


@pytest.mark.parametrize("treadmill", [True, False])
def test_definitions_read_back_the_generators_kinematics(treadmill):
    """Noise-free, true events, 10 s at 120 fps. Truths from the generator: foot pitch at
    strike running_curves.stance_foot_pitch(0) over a flat standing foot (0 deg), step length
    = speed x step time, duty factor = contact / stride time of the true events, vertical
    oscillation = the pelvis-centre range per stride sampled at 1200 fps."""
    runner = RunnerConfig(duration_s=10.0, treadmill=treadmill)
    truth, analysis = _true_analysis(runner)
    true_fsa = float(rc.stance_foot_pitch(np.array([0.0]))[0])
    step = runner.speed_mps * 60.0 / runner.cadence_spm
    fine = simulate_run(runner, 1200.0)
    z = hip_centre(fine.points)[:, 2]
    strikes = fine.foot_strikes["left"]
    true_vo = np.mean([np.ptp(z[int(a) : int(b) + 1]) for a, b in zip(strikes[:-1], strikes[1:])])
    for side in ("left", "right"):
        block = analysis.summary.sides[side]
        m = block.metrics
        first = truth.foot_strikes[side][0]
        contact = truth.toe_offs[side][truth.toe_offs[side] > first][0] - first
        stride = np.diff(truth.foot_strikes[side])[0]
        assert block.foot_strike.standing.pitch_deg == pytest.approx(0.0, abs=0.2)
        assert m["foot_strike_angle_deg"].mean == pytest.approx(true_fsa, abs=0.2)
        # no static trial: the foot-flat angle is only a bound, so no pattern (but forefoot)
        assert strike_pattern(true_fsa) == "rearfoot"
        assert block.foot_strike.pattern is None
        assert block.foot_strike.standing.note == FOOT_FLAT_BOUND_NOTE
        assert m["step_length_m"].mean == pytest.approx(step, abs=0.002)
        assert m["duty_factor"].mean == pytest.approx(contact / stride, abs=0.002)
        assert m["vertical_oscillation_m"].mean == pytest.approx(true_vo, abs=0.0005)
        assert m["vertical_ratio"].mean == pytest.approx(
            100 * true_vo / step, rel=0.02
        )  # measured: 3.64 %
        assert 0.1 < m["overstride_m"].mean < 0.3  # heel ahead of the pelvis at contact
        # every metric carries its stride count, SD and (positive ones) CV
        assert m["step_length_m"].n >= 8 and m["step_length_m"].cv_pct is not None
        assert m["foot_strike_angle_deg"].cv_pct is None  # signed: no CV
    sym = analysis.summary.symmetry
    assert sym["step_length_m"].index_pct == pytest.approx(0.0, abs=0.1)
    assert sym["foot_strike_angle_deg"].index_pct is None
    assert "signed" in sym["foot_strike_angle_deg"].note


def test_treadmill_and_overground_agree():
    """The same kinematics on a belt and overground give the same new measures (1e-4)."""
    _, belt = _true_analysis(RunnerConfig(duration_s=6.0))
    _, ground = _true_analysis(RunnerConfig(duration_s=6.0, treadmill=False))
    for name in ("foot_strike_angle_deg", "step_length_m", "duty_factor", "overstride_m"):
        for side in ("left", "right"):
            a = belt.summary.sides[side].metrics[name].mean
            b = ground.summary.sides[side].metrics[name].mean
            assert a == pytest.approx(b, abs=1e-3 if name == "overstride_m" else 1e-4)


# worst |error| of a side mean over 3 seeds at 1 px (measured in brackets, docs/metrics.md)
ONE_PX_TOLERANCE = {
    "foot_strike_angle_deg": 2.5,  # [1.72 deg]
    "overstride_m": 0.020,  # [15.2 mm]
    "vertical_oscillation_m": 0.001,  # [0.56 mm]
    "vertical_ratio": 0.1,  # [0.05 %]
    "step_length_m": 0.002,  # [1.2 mm]
    "duty_factor": 0.01,  # [0.005]
}


def test_one_px_level_against_the_truth():
    pairs = _pairs("1 px")
    for name, limit in ONE_PX_TOLERANCE.items():
        worst = np.nanmax(np.abs([errors(m, t)[name] for m, t in pairs]))
        assert worst <= limit, (name, worst)
    same = [patterns_agree(m, t) for m, t in pairs]
    assert sum(s for s, _ in same) >= 0.95 * sum(n for _, n in same)  # measured 62 of 64


def test_real_detector_level_pattern_agrees_on_nine_strides_in_ten():
    pairs = _pairs("real")
    same = [patterns_agree(m, t) for m, t in pairs]
    assert sum(s for s, _ in same) >= 0.9 * sum(n for _, n in same)  # measured 64 of 64


@pytest.mark.xfail(
    strict=True,
    reason="real-detector level, 3 seeds: foot-strike angle worst |error| 7.8 deg, bias "
    "+5.6 deg (target 3): the detected strikes come 1.1-1.9 frames early (gait/events.py's "
    "mean event on this runner, whose heel lowers onto the floor with no vertical speed: "
    "pinned only to ~1.2 frames at the mean event's 1.5 mm noise), when the foot still "
    "pitches ~4 deg per frame; with the true events the angle is within 0.2 deg. The "
    "synthetic foot pitches down at -386 deg/s through the last 20 ms of swing, a real one "
    "is held (-74 .. +132 deg/s, tests/test_synth_touchdown.py), so an early strike costs "
    "the synthetic runner what it would not cost a real one",
)
def test_real_detector_level_foot_strike_angle_within_3_deg():
    pairs = _pairs("real")
    worst = np.nanmax(np.abs([errors(m, t)["foot_strike_angle_deg"] for m, t in pairs]))
    assert worst <= 3.0


def _angle_sd_rows(level: str) -> list[tuple]:
    """(angle error, its SD, pattern, true pattern, pattern note) per matched stride, seeds
    0-2, the measured analysis given the points' SDs (gait/strike_pitch.py)."""
    key = f"angle sd {level}"
    if key not in _CACHE:
        noise = ONE_PX if level == "1 px" else load_level()
        rows = []
        for seed in range(3):
            measured, true = trial_pair(noise, seed, with_point_sd=True)
            for stride in true.strides:
                match = [
                    s
                    for s in measured.strides
                    if s.side == stride.side and abs(s.strike_time_s - stride.strike_time_s) < 0.1
                ]
                got, want = (
                    (match[0].value("foot_strike_angle_deg"), stride.value("foot_strike_angle_deg"))
                    if match
                    else (None, None)
                )
                if got is not None and want is not None:
                    rows.append(
                        (
                            got - want,
                            match[0].uncertainty.get("foot_strike_angle_deg"),
                            match[0].foot_strike_pattern,
                            stride.foot_strike_pattern,
                            match[0].foot_strike_pattern_note,
                        )
                    )
        _CACHE[key] = rows
    return _CACHE[key]


def test_real_detector_level_angle_sd_covers_the_error_and_marks_the_pattern():
    """Measured (3 seeds, 64 strides): median SD 8.32 deg, |error| within 1 SD 45, within
    1.96 SD 64 (mean |error| 7.6: the early strikes above; RMS error / RMS SD 0.89; without
    the strikes' shared read 8.16, 37, 64, 0.92); the true angle, 12 deg, lies within that of
    the 8 deg cut-off, so 61 patterns are marked uncertain (60 without); none wrong."""
    rows = _angle_sd_rows("real")
    assert len(rows) >= 48 and all(sd is not None for _, sd, *_ in rows)
    assert sum(abs(e) <= 1.96 * sd for e, sd, *_ in rows) >= 0.95 * len(rows)
    assert not [r for r in rows if r[2] != r[3] and r[4] is None]


@pytest.mark.xfail(
    strict=True,
    reason="1 px (3 seeds, 64 strides): |error| within 1.96 SD on 56 of 64, RMS error / RMS "
    "SD 1.09 (53 and 1.20 with straight-line pitch rates; 30 with the strike fit's Cramer-Rao "
    "timing SD alone, at most ~0.26 frame; now the larger of it and the strikes' scatter "
    "measured on their stride times, 0.69 / 0.80 / 0.42 frame against their real scatter "
    "0.35-0.74 per side: median SD 2.28 deg, mean |error| 1.97). What is left is an offset the "
    "strikes of a side share, which no stride time shows: seed 2's left strikes +0.75 .. "
    "+1.07 frame late together (error -2.9 .. -3.9 deg), seed 1's right ones -0.54 on "
    "average; seeds 3-9: 135 of 149, RMS ratio 1.06 (131 and 1.16 before)",
)
def test_one_px_angle_sd_covers_the_error():
    rows = _angle_sd_rows("1 px")
    assert sum(abs(e) <= 1.96 * sd for e, sd, *_ in rows) >= 0.95 * len(rows)


def test_one_px_wrong_patterns_are_marked_uncertain():
    """Measured: 2 of 64 patterns wrong, both marked; 40 marked in all (seeds 3-9: 8 of 149
    wrong, all marked, 97 marked)."""
    rows = _angle_sd_rows("1 px")
    assert not [r for r in rows if r[2] != r[3] and r[4] is None]


@pytest.mark.parametrize(
    "level",
    [
        pytest.param(
            "1 px",
            marks=pytest.mark.xfail(
                strict=True,
                reason="two trials of the runner with other noise seeds (6 seeds, 15 pairs, 8 "
                "measures, both sides): 206 of 240 (86 %) within the stride-to-stride MDC95 "
                "(t with Welch's dof) at 1 px, where the strides carry no shared SD (seeds 3-9: "
                "319 of 336). The SD of the trial means is 0.7-1.9 stride SEMs (the strikes of "
                "a trial share one offset: seed 1's right side 0.7 frame earlier than the "
                "others, which no shared SD holds at this level); the strides are not the "
                "cause (lag-1 autocorrelation -0.27 .. +0.14)",
            ),
        ),
        pytest.param(
            "real",
            marks=pytest.mark.xfail(
                strict=True,
                reason="at the real level, with each trial's shared SD (the events' shared "
                "read) in its SEM: 187 of 240 (78 %; 128 with the stride SEMs alone; seeds "
                "3-9: 316 of 336, 94 %, 198 before). Knee flexion at strike 8 of 30, tibia "
                "inclination 20, foot-strike angle 23: each seed redraws calibration, camera "
                "offsets and the keypoint definition bias (seed 2's knee flexion at strike "
                "11.9 deg against 23-32), which no within-trial SD holds; that is why the "
                "study report never calls a change real on it",
            ),
        ),
    ],
)
def test_two_seeds_change_within_the_stride_mdc_for_95_percent(level):
    pairs = _pairs(level, range(6))
    counts = [within_mdc(pairs[i][0], pairs[j][0]) for i in range(6) for j in range(i)]
    assert sum(c for c, _ in counts) >= 0.95 * sum(n for _, n in counts)


@pytest.mark.parametrize(
    "level",
    [
        pytest.param(
            "1 px",
            marks=pytest.mark.xfail(
                strict=True,
                reason="between-trial MDC95 = t(0.975, 2) sqrt(2) SEM from 3 repeated trials, "
                "every split of 6 seeds into 3 repeats and 3 others: 848 of 960 (88 %) "
                "changes within it (seeds 0-2 against 3-5 alone: 48 of 48; 12 seeds: "
                "117468 of 126720, 92.7 %); seed 1's right side is an outlier trial "
                "(foot-strike angle +2.6 deg, duty factor +0.008, tibia -1.6 deg: its strikes "
                "0.7 frame earlier than the other trials', one offset for all of them) and "
                "the t interval assumes normal errors. The study's own test, 3 trials a "
                "session at both ends, covers 95.2 % (test_mdc_coverage.py)",
            ),
        ),
        pytest.param(
            "real",
            marks=pytest.mark.xfail(
                strict=True,
                reason="between-trial MDC95 at the real level, every split of 6 seeds into 3 "
                "repeats and 3 others: 892 of 960 (92.9 %) changes within it (893 with the "
                "toe-offs' peel-off read's level over 2 fit half-windows; 12 seeds, "
                "an earlier session: 113774 of 126720, 89.8 %). Each seed here is a session of its own: it "
                "redraws the keypoint definition bias, calibration error and camera offsets, "
                "seed 2's definition bias alone puts its knee flexion at strike at 11.9 deg "
                "(its detector keypoints, true events) against 23-32 for the others, tibia "
                "-9.8 against -1.8 .. -4.0 deg, and seeds 2 and 4 read duty factor +0.04 "
                "(toe-offs up to 2.1 frames late, seed 2's strikes 2.6-2.8 early): tibia "
                "inclination 84 of 120, duty factor 109, "
                "knee flexion 109. Trials of one session, which share "
                "those, stay within it (test_mdc_coverage.py: 98.0 %)",
            ),
        ),
    ],
)
def test_two_seeds_change_within_the_between_trial_mdc_for_95_percent(level):
    """Coverage of the between-trial MDC95 (t with the SD's 2 degrees of freedom, a
    prediction interval for the difference of two new trials): every way to take 3 of the 6
    seeds as a session's repeated trials, and the changes between the other 3."""
    pairs = _pairs(level, range(6))
    inside, total = between_trial_coverage([m for m, _ in pairs])
    assert total == 20 * 16 * 3
    assert inside >= 0.95 * total


def test_the_mdc_uses_t_with_the_degrees_of_freedom_of_its_sd():
    """Three repeated trials (dof 2): 4.30 sqrt(2) SEM, not 1.96 sqrt(2) SEM; stride SEMs of
    two trials combine by Welch-Satterthwaite; a known SD (dof inf) gives 1.96."""
    assert t_quantile(2) == pytest.approx(4.303, abs=1e-3)
    assert t_quantile(np.inf) == pytest.approx(1.959964, abs=1e-6)
    pooled, why = pooled_between_trial_sd([[1.0, 1.1, 1.2]])
    assert why is None and pooled == PooledSD(pytest.approx(0.1), 2)
    one = session_error([TrialMean(1.0)], pooled)
    limit = detectable_change(one, one)
    assert limit.dof == 2 and limit.mdc95 == pytest.approx(4.303 * np.sqrt(2) * 0.1, rel=1e-3)
    # stride-to-stride, 10 and 20 strides with SEMs 0.1 and 0.2: Welch's dof
    a = session_error([TrialMean(1.0, sem=0.1, n=10)], None)
    b = session_error([TrialMean(1.0, sem=0.2, n=20)], None)
    welch = (0.01 + 0.04) ** 2 / (0.01**2 / 9 + 0.04**2 / 19)
    limit = detectable_change(a, b)
    assert limit.dof == pytest.approx(welch)
    assert limit.mdc95 == pytest.approx(t_quantile(welch) * np.sqrt(0.05))
    # a summary written without stride counts: the normal quantile, no dof
    c = session_error([TrialMean(1.0, sem=0.1)], None)
    limit = detectable_change(c, c)
    assert limit.mdc95 == pytest.approx(1.959964 * np.sqrt(0.02)) and limit.dof is None
    # too few strides on one side of the change: no MDC
    d = session_error([TrialMean(1.0, sem=None, n=4)], None)
    assert d.sem is None and "too few strides" in d.source
    assert detectable_change(a, d).mdc95 is None


def _session(name, analysis, metric):
    """A study-report session of one trial (trial_report.trial_summary's fields)."""
    sides = analysis.summary.sides
    stats = {
        s: {
            metric: {
                k: getattr(sides[s].metrics[metric], k)
                for k in ("mean", "sd", "n", "sem", "shared_sd")
            }
        }
        for s in sides
    }
    from pipeline.report.trial_report import KEY_METRICS

    means = {s: {m: sides[s].metrics[m].mean for m in KEY_METRICS} for s in sides}
    trial = {"trial": name, "cadence_spm": 170.0, "means": means, "stats": stats}
    return Session(name, name, name, (TrialOverview.from_dict(trial),))


def test_a_change_of_twice_the_stride_to_stride_mdc_is_shown_but_not_called_real():
    """Step length (cadence knob) at 1 px, one trial per session: the stride-to-stride MDC95
    of seed 0 against seed 1 of the same runner (t(Welch dof) sqrt(SEM_0^2 + SEM_1^2)); then
    seed 1 with a true step-length change of twice the larger one: the study comparison
    shows the change and its MDC, names the SEM's source and does not call it real."""
    before, _ = trial_pair(ONE_PX, 0)
    same, _ = trial_pair(ONE_PX, 1)

    def end(x, side):
        stats = x.summary.sides[side].metrics["step_length_m"]
        return session_error([TrialMean(stats.mean, stats.sem, stats.n)], None)

    mdc = max(
        detectable_change(end(before, side), end(same, side)).mdc95 for side in ("left", "right")
    )
    step = 3.0 * 60.0 / 170.0
    cadence = 60.0 * 3.0 / (step + 2 * mdc)  # step length = speed / step rate
    after, _ = trial_pair(ONE_PX, 1, cadence_spm=cadence)
    rows = comparison(
        [_session("a", before, "step_length_m"), _session("b", after, "step_length_m")]
    )
    for side in ("left", "right"):
        row = next(r for r in rows if r.metric == "step_length_m" and r.side == side)
        assert row.change == pytest.approx(2 * mdc, rel=0.5)
        # one trial per session: above the stride-to-stride MDC, which leaves out what is
        # constant within a trial (two seeds of one runner exceed it for about half the
        # metrics at the real level), so the change is shown but not called real
        assert row.mdc95 is not None and row.real is None
        assert row.mdc_dof is not None and row.mdc_dof > 10  # two trials of about 10 strides each
        assert "stride-to-stride" in row.error_note
        assert "no between-trial error" in row.error_note
        assert "not judged real" in row.error_note


def test_one_trial_sessions_have_no_between_trial_error():
    pooled, why = pooled_between_trial_sd([[1.0], [2.0]])
    assert pooled is None and why == NO_REPEATS
    pooled, why = pooled_between_trial_sd([[1.0, 1.2], [2.0]])
    assert pooled == PooledSD(pytest.approx(np.sqrt(0.02)), 1) and why is None
    missing = SessionError(None, None, "too few strides for a stride-to-stride SEM")
    assert detectable_change(missing, session_error([TrialMean(1.0)], pooled)).mdc95 is None


def test_unseen_heel_and_too_few_strides_are_left_out_with_a_reason():
    runner = RunnerConfig(duration_s=3.0)
    truth = simulate_run(runner, FPS)
    points = truth.points.copy()
    points[:, INDEX["left_heel"]] = np.nan  # the left heel is never seen
    events = truth.events()
    analysis = analyze_trial(
        points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, belt_speed_mps=3.0
    )
    left = analysis.summary.sides["left"]
    fsa = left.metrics["foot_strike_angle_deg"]
    assert fsa.mean is None and fsa.n == 0 and fsa.n_missing > 0
    assert left.foot_strike.pattern is None
    assert left.foot_strike.standing.note == "no foot-flat frame in any stance"
    assert all(
        s.value("foot_strike_angle_deg") is None for s in analysis.strides if s.side == "left"
    )
    # 3 s hold 4 strides a side: a mean, but no SD/CV/MDC (8 needed)
    right = analysis.summary.sides["right"].metrics["duty_factor"]
    assert right.mean is not None and right.mdc95 is None and right.cv_pct is None
    assert right.variability_note == f"insufficient strides (n={right.n}, need 8)"


def test_a_static_trials_standing_angle_is_the_reference():
    """A given standing pitch replaces the foot-flat angle (source named); a bad config value
    fails with its key."""
    from pipeline.core.errors import ConfigError
    from pipeline.gait.landing import standing_reference

    runner = RunnerConfig(duration_s=3.0)
    truth, flat = _true_analysis(runner)
    events = truth.events()
    given = analyze_trial(
        truth.points,
        FPS,
        [1, 0, 0],
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=3.0,
        standing_pitch_deg=standing_reference([2.0, -1.0], "x"),
    )
    for side, offset in (("left", 2.0), ("right", -1.0)):
        g, f = (a.summary.sides[side] for a in (given, flat))
        assert g.foot_strike.standing.source == "static trial"
        assert g.foot_strike.pattern == "rearfoot" and f.foot_strike.pattern is None
        assert g.metrics["foot_strike_angle_deg"].mean == pytest.approx(
            f.metrics["foot_strike_angle_deg"].mean + f.foot_strike.standing.pitch_deg - offset,
            abs=1e-9,
        )
    with pytest.raises(ConfigError, match="study.sessions.s1.standing_foot_pitch_deg"):
        standing_reference([1.0], "study.sessions.s1.standing_foot_pitch_deg")
    with pytest.raises(ConfigError, match="within"):
        standing_reference([1.0, 90.0], "k")


def test_threshold_within_measurement_error_is_said():
    # 95 % interval of a mean of 8 strides: t(0.975, 7) = 2.365 SEMs, not 1.96
    def within_error(mean, limit, sem, n):  # the stride scatter alone (no shared part)
        return within_measurement_error(mean, limit, mean_half_width95(sem, n, None))

    assert within_error(10.0, 10.9, 0.5, 8) is True
    assert within_error(10.0, 11.1, 0.5, 8) is True  # outside 1.96 SEM, inside t's
    assert within_error(10.0, 11.2, 0.5, 8) is False
    assert within_error(10.0, 10.1, None, 8) is None


def test_metrics_json_and_trial_report_carry_the_new_measures():
    """The trial's metrics.json (dvc exp show) has the issue's keys per side, each metric's
    SD / CV / n and the symmetry index; the report section states the pattern with its cut-offs
    and that the bounce measures have no cut-off."""
    from pipeline.gait.compare import headline_metrics
    from pipeline.gait.summary import METRICS
    from pipeline.report.assessment import assessment_html

    _, analysis = _true_analysis(RunnerConfig(duration_s=8.0), standing={"left": 0.0, "right": 0.0})
    headline = headline_metrics(analysis)
    for side in ("left", "right"):
        block = headline[side]
        for key in (
            "foot_strike_angle_deg",
            "overstride_m",
            "vertical_oscillation_m",
            "vertical_ratio",
            "duty_factor",
            "step_length_m",
        ):
            assert block[key] is not None
            assert set(block["variability"][key]) == {"sd", "cv_pct", "mdc95", "n"}
        assert block["foot_strike_pattern"] == "rearfoot"
    assert headline["symmetry_index_pct"]["step_length_m"] is not None
    page = assessment_html(analysis.summary, METRICS)
    assert "lands rearfoot" in page and "Altman &amp; Davis 2012" in page
    assert "no published cut-off" in page


def test_findings_say_when_the_threshold_is_within_measurement_error():
    """Knee flexion at toe-off checked against its own mean: the findings row and the flag
    say the threshold lies within the mean's 95 % interval; far from it they do not."""
    from pipeline.report.findings import findings, findings_html

    truth, _ = _true_analysis(RunnerConfig(duration_s=8.0))
    rng = np.random.default_rng(0)
    points = truth.points + rng.normal(0, 0.003, truth.points.shape)
    events = truth.events()
    base = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    mean = base.summary.sides["left"].metrics["knee_flexion_at_toe_off_deg"].mean
    for limit, near in ((mean - 0.01, True), (mean - 20.0, False)):
        thresholds = ThresholdsConfig(max_knee_flexion_toe_off_deg=limit)
        analysis = analyze_trial(points, FPS, [1, 0, 0], thresholds, events=events)
        row = next(
            r
            for r in findings(analysis, thresholds)
            if r.metric == "knee_flexion_at_toe_off_deg" and r.side == "left"
        )
        assert row.within_measurement_error is near
        flag = next(f for f in analysis.flags if f.metric == "knee_flexion_at_toe_off_deg")
        assert flag.within_measurement_error is near
        page = findings_html(findings(analysis, thresholds), 170.0, None, None)
        assert ("within measurement error" in page) is near
        if near:  # the half-width shown is the t interval the decision used, not 1.96 SEM
            half = mean_half_width95(row.sem, row.n, None)
            assert f"&plusmn;{half:.1f}" in page and half > 1.96 * row.sem


def test_repeated_trials_of_one_condition_give_the_between_trial_mdc():
    """Two sessions of two trials each (same condition): SEM = pooled within-session SD of
    the trial means over sqrt(2) per session value (dof 1 + 1); the MDC, its degrees of
    freedom and 'between trials' are shown.
    Trials of different conditions in one session are not repeats."""

    def session(name, means, condition=("c", "c")):
        trials = [
            {
                "trial": f"{name}{i}",
                "condition": cond,
                "cadence_spm": 170.0,
                "means": {s: {"step_length_m": m} for s in ("left", "right")},
                "stats": {
                    s: {"step_length_m": {"mean": m, "sem": 0.001}} for s in ("left", "right")
                },
            }
            for i, (m, cond) in enumerate(zip(means, condition))
        ]
        return Session(name, name, name, tuple(TrialOverview.from_dict(t) for t in trials))

    rows = comparison([session("a", [1.00, 1.02]), session("b", [1.10, 1.12])])
    row = next(r for r in rows if r.metric == "step_length_m" and r.side == "left")
    sem = np.sqrt((2 * 0.01**2 + 2 * 0.01**2) / 2)  # pooled SD of the trial means: 0.0141
    assert list(row.sem) == pytest.approx([sem / np.sqrt(2)] * 2)
    # t with the pooled SD's 2 degrees of freedom: t(0.975, 2) sqrt(SEM_a^2 + SEM_b^2)
    assert row.mdc_dof == 2
    assert row.mdc95 == pytest.approx(t_quantile(2) * sem)
    assert row.real is True and row.error_note.startswith("between trials")
    # within-session repeats hold no error that changes between sessions: said, with numbers
    # in docs/metrics.md (test_mdc_coverage.py)
    assert WITHIN_SESSION_NOTE in row.error_note
    rows = comparison(
        [session("a", [1.00, 1.02], ("x", "y")), session("b", [1.10, 1.12], ("x", "y"))]
    )
    row = next(r for r in rows if r.metric == "step_length_m" and r.side == "left")
    assert "no between-trial error" in row.error_note


def test_a_heel_unseen_at_one_strike_leaves_that_stride_out():
    """The left heel missing for 3 frames around one strike: that stride has no angle and no
    pattern (counted in n_missing), the others keep theirs; never a zero."""
    runner = RunnerConfig(duration_s=4.0)
    truth = simulate_run(runner, FPS)
    points = truth.points.copy()
    strike = truth.foot_strikes["left"][2]
    around = np.arange(int(np.floor(strike)) - 1, int(np.ceil(strike)) + 2)
    points[around, INDEX["left_heel"]] = np.nan
    events = truth.events()
    analysis = analyze_trial(
        points,
        FPS,
        [1, 0, 0],
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=3.0,
        standing_pitch_deg={"left": 0.0, "right": 0.0},
    )
    left = [s for s in analysis.strides if s.side == "left"]
    unseen = [s for s in left if abs(s.strike_frame - strike) < 0.5]
    assert len(unseen) == 1
    assert unseen[0].value("foot_strike_angle_deg") is None
    assert unseen[0].foot_strike_pattern is None
    others = [s for s in left if s is not unseen[0]]
    assert all(s.value("foot_strike_angle_deg") is not None for s in others)
    block = analysis.summary.sides["left"]
    assert block.foot_strike.n_missing == 1
    assert block.metrics["foot_strike_angle_deg"].n == len(others)


def test_study_comparison_names_what_is_missing_for_an_mdc():
    """Sessions of one trial each with too few strides for a stride SD (8 needed): the MDC is
    None and the change is not judged, with both reasons; a subject with one session has no
    before/after change."""
    from pipeline.report.study_report import measurement_error_summary

    def session(name, mean, sem, n):
        trial = {
            "trial": name,
            "cadence_spm": 170.0,
            "means": {s: {"step_length_m": mean} for s in ("left", "right")},
            "stats": {
                s: {"step_length_m": {"mean": mean, "sem": sem, "n": n}} for s in ("left", "right")
            },
        }
        return Session(name, name, name, (TrialOverview.from_dict(trial),))

    rows = comparison([session("a", 1.0, None, 4), session("b", 1.2, None, 4)])
    row = next(r for r in rows if r.metric == "step_length_m" and r.side == "left")
    assert row.change == pytest.approx(0.2)
    assert row.mdc95 is None and row.mdc_dof is None and row.real is None
    assert "too few strides for a stride-to-stride SEM" in row.error_note
    assert "min_strides_variability strides a side, default 8" in row.error_note
    assert NO_REPEATS in row.error_note
    summary = measurement_error_summary({"S1": [session("a", 1.0, 0.01, 10)]})
    assert summary["S1"] == {"note": "one session: no before/after change"}
