"""The 95 % interval of a side's mean that decides "within measurement error" (issue #29
deliverable 5): the stride scatter's t SEM with the part of the error all the trial's strides
share (the events' shared read, Stride.shared_uncertainty), one half-width
(MetricStatistics.interval95, measurement_error.mean_half_width95) that the summary flags,
the findings and the foot-strike pattern finding all use and show. At the real-detector level
(hamner treadmill trials) it covers the side mean's error against the clean analysis."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import t as student_t
from test_gait_real_running import HAMNER, trial_rows

from pipeline.config import ThresholdsConfig
from pipeline.gait.measurement_error import mean_half_width95
from pipeline.gait.records import MetricStatistics, StandingReference, Stride
from pipeline.gait.summary import (
    METRICS,
    metric_statistics,
    side_summaries,
    threshold_flags,
)
from pipeline.report.assessment import pattern_finding
from pipeline.report.findings import Finding, findings, findings_html

TOE_OFF = "knee_flexion_at_toe_off_deg"
ANGLE = "foot_strike_angle_deg"
LIMIT = 20.0  # max_knee_flexion_toe_off_deg
SPREAD = np.array([-1.0, 1.0] * 4)  # 8 strides a side: SD sqrt(8/7), SEM 0.378
HALF_SEM = student_t.ppf(0.975, 7) * math.sqrt(8 / 7) / math.sqrt(8)  # 0.894
STANDING = {s: StandingReference(0.0, "static trial", None, None) for s in ("left", "right")}


def _strides(shared: float | None, toe_off_mean=22.0, angle_mean=10.0) -> list[Stride]:
    """8 strides a side with knee flexion at toe-off 22 +- 1 deg and a foot-strike angle of
    10 +- 1 deg (rearfoot, 2 deg above the 8 deg cut-off), each value's SD 1.5 deg of which
    `shared` (None: unknown) is the part every stride shares."""
    out = []
    for side in ("left", "right"):
        for i, d in enumerate(SPREAD):
            values = {TOE_OFF: toe_off_mean + d, ANGLE: angle_mean + d}
            out.append(
                Stride(
                    side=side,
                    index=i,
                    strike_frame=100.0 * i,
                    strike_time_s=i * 0.7,
                    toe_off_frame=100.0 * i + 30,
                    toe_off_time_s=i * 0.7 + 0.25,
                    peak_knee_flexion_frame=None,
                    foot_lateral_m=None,
                    values=values,
                    uncertainty=dict.fromkeys(values, 1.5),
                    foot_strike_pattern="rearfoot",
                    shared_uncertainty=dict.fromkeys(values, shared),
                )
            )
    return out


def _summary(shared: float | None):
    strides = _strides(shared)
    thresholds = ThresholdsConfig(max_knee_flexion_toe_off_deg=LIMIT)
    sides = side_summaries(strides, STANDING, thresholds)
    analysis = SimpleNamespace(  # what findings() reads of a TrialAnalysis
        summary=SimpleNamespace(sides=sides), flags=threshold_flags(sides, thresholds)
    )
    return strides, sides, analysis, thresholds


def test_a_large_shared_sd_puts_a_near_threshold_within_measurement_error():
    # mean 22, threshold 20: 2 deg away. The scatter alone: t(0.975, 7) SEM = 0.89 deg, outside;
    # with a shared part of 1 deg: hypot(0.89, 1.96) = 2.15 deg, within.
    for shared, half, near in ((1.0, math.hypot(HALF_SEM, 1.959964), True), (0.0, HALF_SEM, False)):
        _, sides, analysis, _ = _summary(shared)
        stats = sides["left"].metrics[TOE_OFF]
        assert stats.shared_sd == pytest.approx(shared)
        assert stats.interval95 == pytest.approx(half, rel=1e-5)
        (flag,) = [f for f in analysis.flags if f.side == "left"]
        assert flag.metric == TOE_OFF and flag.within_measurement_error is near
        assert ("within measurement error" in flag.message) is near
    # a shared part that is unknown: the SEM interval, as before the shared read
    _, sides, analysis, _ = _summary(None)
    stats = sides["left"].metrics[TOE_OFF]
    assert stats.shared_sd is None and stats.interval95 == pytest.approx(HALF_SEM, rel=1e-5)
    assert analysis.flags[0].within_measurement_error is False


def test_the_shared_part_is_the_mean_of_the_strides_and_not_counted_twice():
    strides = [s for s in _strides(1.0) if s.side == "left"]
    strides[0] = replace(strides[0], shared_uncertainty={TOE_OFF: 1.4})
    strides[1] = replace(strides[1], shared_uncertainty={TOE_OFF: 3.0})  # over its SD, 1.5
    stats = metric_statistics(strides, TOE_OFF, 3, 8)
    shared = (1.4 + 1.5 + 6 * 1.0) / 8  # mean(c_i), each at most its stride's SD: sd_of_mean's
    assert stats.shared_sd == pytest.approx(shared)
    # the strides' own parts (sd_of_mean's other term) are not added: they are in the scatter
    assert stats.interval95 == pytest.approx(math.hypot(HALF_SEM, 1.959964 * shared), rel=1e-5)
    # too few strides for an SEM: no interval, whatever is shared
    assert metric_statistics(strides[:5], TOE_OFF, 3, 8).interval95 is None
    assert mean_half_width95(None, 8, 1.0) is None


def test_summary_findings_and_assessment_show_the_same_half_width():
    strides, sides, analysis, thresholds = _summary(1.0)
    toe_off, angle = sides["left"].metrics[TOE_OFF], sides["left"].metrics[ANGLE]
    half = toe_off.interval95
    assert half is not None and angle.interval95 == pytest.approx(half)  # same scatter, same share
    shown = f"{half:.1f}"  # 2.2
    flag = next(f for f in analysis.flags if f.side == "left")
    assert f"+-{shown} deg" in flag.message and "shared event timing" in flag.message
    row = next(
        r for r in findings(analysis, thresholds) if r.metric == TOE_OFF and r.side == "left"
    )
    assert row.within_measurement_error is True and row.interval95 == half
    page = findings_html(findings(analysis, thresholds), 170.0)
    assert f"&plusmn;{shown} deg, 95 %" in page and "shared event timing" in page
    # foot-strike angle 10 deg, rearfoot cut-off 8 deg: 2 deg away, within 2.15 (not 0.89)
    text = pattern_finding("left", sides["left"], strides)
    assert "lands rearfoot" in text and f"within measurement error (+-{shown} deg" in text
    _, alone, _, _ = _summary(0.0)
    assert "within measurement error" not in pattern_finding("left", alone["left"], strides)


def test_a_file_without_the_interval_reads_as_the_sem_interval():
    data = {"mean": 22.0, "sd": 1.0, "n": 8, "n_missing": 0, "note": None, "sem": 0.5}
    assert MetricStatistics.from_dict(data).interval95 == pytest.approx(
        student_t.ppf(0.975, 7) * 0.5
    )
    assert MetricStatistics.from_dict({**data, "sem": None}).interval95 is None
    stats = MetricStatistics.from_dict({**data, "shared_sd": 1.0, "interval95": 2.0})
    assert list(stats.to_dict())[-2:] == ["shared_sd", "interval95"]
    assert MetricStatistics.from_dict(stats.to_dict()) == stats
    _, _, analysis, thresholds = _summary(1.0)
    row = findings(analysis, thresholds)[0]
    assert Finding.from_dict(row.to_dict()) == row
    old = {k: v for k, v in row.to_dict().items() if k not in ("interval95", "interval_parts")}
    assert Finding.from_dict(old).interval95 is None


# The hamner trials are 2 s (2-3 strides a side): with the default min_strides_variability (8)
# no side has an SEM, so none is judged; the coverage is measured from 2 strides a side.
COVERAGE = ThresholdsConfig(min_strides=2, min_strides_variability=2)


def side_mean_coverage(rows: list[dict]) -> dict[str, list[int]]:
    """Per metric: [side-trials whose |side mean - clean side mean| is within the SEM
    interval alone, within interval95, side-trials]. Clean: the same trial's clean keypoints
    with the force-plate events (test_gait_real_running's reference), all strides of the side."""
    out = {name: [0, 0, 0] for name in METRICS}
    for row in rows:
        for side in ("left", "right"):
            own = [s for s in row["strides"] if s.side == side]
            clean = [s for s in row["true_strides"] if s.side == side]
            for name in METRICS:
                stats = metric_statistics(
                    own, name, COVERAGE.min_strides, COVERAGE.min_strides_variability
                )
                reference = [v for s in clean if (v := s.value(name)) is not None]
                if stats.mean is None or stats.interval95 is None or not reference:
                    continue
                error = abs(stats.mean - float(np.mean(reference)))
                counts = out[name]
                counts[0] += error <= mean_half_width95(stats.sem, stats.n, None)
                counts[1] += error <= stats.interval95
                counts[2] += 1
    return out


@pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")
@pytest.mark.parametrize("level", ["real", "real_check"])
def test_the_interval_covers_side_means_at_the_real_detector_level(level):
    # seeds 0-2: 535/545 side-metrics (SEM interval alone 525/545); seeds 3-9: 1223/1261
    # (1178/1261): contact time 53/56 (44), flight 54/56 (47), duty factor 27/28 (22),
    # foot-strike angle 43/43 (39), tibia inclination 54/56 (48)
    counts = np.sum(list(side_mean_coverage(trial_rows(level)).values()), axis=0)
    sem_alone, combined, total = (int(c) for c in counts)
    assert combined >= 0.95 * total and combined > sem_alone, (sem_alone, combined, total)
