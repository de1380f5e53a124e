"""The stride-to-stride MDC95 with each trial's shared SD (issue #29 deliverable 5).

A trial's strides share the error of the events' read on the trial's mean event
(MetricStatistics.shared_sd, summary.shared_sd_of_mean), which their scatter cannot hold; each
trial has its own read, so a change between two trials carries it twice. The trial's SEM in
a stride-to-stride MDC is sqrt(SEM_strides^2 + shared_sd^2), with Welch-Satterthwaite degrees
of freedom (the SEM's n - 1, the shared SD's infinite: a model SD, not estimated). Ground
truth: hand-computed numbers on plain data; the study report read from summaries with and
without the field; the between-trial SD (which already holds the trials' reads) unchanged.
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import t as student_t

from pipeline.gait.measurement_error import (
    BETWEEN_TRIALS,
    STRIDE_TO_STRIDE,
    PooledSD,
    TrialMean,
    detectable_change,
    session_error,
    trial_mdc95,
)
from pipeline.gait.records import MetricStatistics
from pipeline.gait.variability import add_variability
from pipeline.report.study_records import MetricMean, Session, TrialOverview
from pipeline.report.study_report import STRIDE_ONLY_NOTE, comparison
from pipeline.report.trial_report import _metric_mean

METRIC = "step_length_m"


def _t(dof: float) -> float:
    return float(student_t.ppf(0.975, dof))


def test_two_trials_with_known_sem_and_shared_sd_give_the_welch_mdc():
    # trial a: SEM 0.3 (10 strides), shared 0.4 -> variance 0.25; b: SEM 0.6 (5), shared 0.8 -> 1
    a = session_error([TrialMean(1.0, sem=0.3, n=10, shared_sd=0.4)], None)
    b = session_error([TrialMean(1.5, sem=0.6, n=5, shared_sd=0.8)], None)
    assert a.sem == pytest.approx(0.5) and b.sem == pytest.approx(1.0)
    assert a.source == b.source == STRIDE_TO_STRIDE
    # Welch: only the stride SEMs carry sampling error; the shared SDs have infinite dof
    assert a.dof == pytest.approx(0.25**2 / (0.09**2 / 9))  # 69.4
    assert b.dof == pytest.approx(1.0 / (0.36**2 / 4))  # 30.9
    limit = detectable_change(a, b)
    dof = 1.25**2 / (0.09**2 / 9 + 0.36**2 / 4)  # 46.9: the same as Welch over all four parts
    assert limit.dof == pytest.approx(dof)
    assert limit.mdc95 == pytest.approx(_t(dof) * math.sqrt(1.25))
    # without the shared SDs: the stride SEMs alone, as before (narrower: 0.67 / 1.01 of it)
    old = detectable_change(
        session_error([TrialMean(1.0, sem=0.3, n=10)], None),
        session_error([TrialMean(1.5, sem=0.6, n=5)], None),
    )
    old_dof = 0.45**2 / (0.09**2 / 9 + 0.36**2 / 4)
    assert old.dof == pytest.approx(old_dof)
    assert old.mdc95 == pytest.approx(_t(old_dof) * math.sqrt(0.45))
    assert old.mdc95 < limit.mdc95


def test_a_session_of_two_trials_adds_each_trials_shared_sd():
    trials = [
        TrialMean(1.0, sem=0.3, n=10, shared_sd=0.4),
        TrialMean(1.2, sem=0.6, n=5, shared_sd=0.8),
    ]
    error = session_error(trials, None)
    assert error.sem == pytest.approx(math.sqrt(0.25 + 1.0) / 2)
    variances = [0.09 / 4, 0.36 / 4]
    assert error.dof == pytest.approx(
        (1.25 / 4) ** 2 / (variances[0] ** 2 / 9 + variances[1] ** 2 / 4)
    )


def test_one_trial_sessions_shared_sd_unknown_or_zero_and_no_stride_sem():
    # unknown (a summary from before the field) counts as 0: the stride SEM alone, dof n - 1
    for shared in (None, 0.0):
        error = session_error([TrialMean(1.0, sem=0.2, n=8, shared_sd=shared)], None)
        assert error.sem == pytest.approx(0.2) and error.dof == pytest.approx(7)
    # a shared SD with no stride SEM (too few strides): still no MDC
    error = session_error([TrialMean(1.0, sem=None, n=4, shared_sd=0.5)], None)
    assert error.sem is None and "too few strides" in error.source
    # no stride counts (an older summary): the normal quantile, shared part added
    error = session_error([TrialMean(1.0, sem=0.3, shared_sd=0.4)], None)
    assert error.sem == pytest.approx(0.5) and error.dof == math.inf
    limit = detectable_change(error, error)
    assert limit.dof is None and limit.mdc95 == pytest.approx(1.959964 * math.sqrt(0.5))


def test_the_between_trial_sd_does_not_add_the_shared_sd():
    """The trial means' scatter already holds each trial's own read: SEM = s / sqrt(k)."""
    pooled = PooledSD(0.1, 2)
    trials = [TrialMean(1.0, sem=0.3, n=10, shared_sd=5.0), TrialMean(1.1, shared_sd=5.0)]
    error = session_error(trials, pooled)
    assert error.source == BETWEEN_TRIALS
    assert error.sem == pytest.approx(0.1 / math.sqrt(2)) and error.dof == 2


def test_trial_mdc95_with_the_shared_sd():
    # SEM 0.3 from 10 strides, shared 0.4: t(Welch dof) sqrt(2) 0.5, dof 9 (0.25 / 0.09)^2
    dof = 9 * (0.25 / 0.09) ** 2  # 69.4
    assert trial_mdc95(0.3, 10, 0.4) == pytest.approx(_t(dof) * math.sqrt(2) * 0.5)
    for shared in (None, 0.0):  # none shared: t(0.975, n - 1) sqrt(2) SEM, as before
        assert trial_mdc95(0.3, 10, shared) == pytest.approx(_t(9) * math.sqrt(2) * 0.3)
    assert trial_mdc95(0.0, 10, 0.4) == pytest.approx(1.959964 * math.sqrt(2) * 0.4)
    stats = {"n": 10, "mean": 1.0, "sd": 0.3 * math.sqrt(10)}
    add_variability(stats, METRIC, 8, 0.4)
    assert stats["sem"] == pytest.approx(0.3)
    assert stats["mdc95"] == pytest.approx(trial_mdc95(0.3, 10, 0.4))


def test_metric_statistics_put_the_shared_sd_in_the_trial_mdc():
    """summary.metric_statistics: the strides' shared part (test_flag_interval.py's 8 strides,
    SD sqrt(8/7), 1 deg shared) is in the trial's mdc95."""
    from test_flag_interval import TOE_OFF, _strides

    from pipeline.gait.summary import metric_statistics

    for shared in (1.0, 0.0, None):
        strides = [s for s in _strides(shared) if s.side == "left"]
        stats = metric_statistics(strides, TOE_OFF, 3, 8)
        sem = math.sqrt(8 / 7) / math.sqrt(8)
        assert stats.sem == pytest.approx(sem)
        assert stats.mdc95 == pytest.approx(trial_mdc95(sem, 8, shared))
    assert trial_mdc95(sem, 8, 1.0) > 2 * trial_mdc95(sem, 8, None)


def _session(name: str, mean: float, stats: dict) -> Session:
    trial = {
        "trial": name,
        "cadence_spm": 170.0,
        "means": {s: {METRIC: mean} for s in ("left", "right")},
        "stats": {s: {METRIC: dict(stats, mean=mean)} for s in ("left", "right")},
    }
    return Session(name, name, name, (TrialOverview.from_dict(trial),))


def test_study_report_reads_the_shared_sd_and_old_summaries_without_it():
    new = {"sd": 0.3 * math.sqrt(10), "n": 10, "sem": 0.3, "shared_sd": 0.4}
    old = {k: v for k, v in new.items() if k != "shared_sd"}  # a summary from before the field
    (trial,) = _session("a", 1.0, old).trials
    assert trial.stats["left"][METRIC].shared_sd is None
    row_new, row_old = (
        next(
            r
            for r in comparison([_session("a", 1.0, s), _session("b", 1.3, s)])
            if r.metric == METRIC and r.side == "left"
        )
        for s in (new, old)
    )
    dof = 0.5**2 / (2 * 0.09**2 / 9)  # two trials of variance 0.09 + 0.16: Welch, 139
    assert row_new.mdc95 == pytest.approx(_t(dof) * math.sqrt(0.5))
    assert row_new.mdc_dof == pytest.approx(dof)
    assert row_old.mdc95 == pytest.approx(_t(18) * math.sqrt(0.18))  # the stride SEMs alone
    assert row_old.mdc_dof == pytest.approx(18)
    # a change of 0.3 within both (1.40 and 0.89): not real
    assert row_new.real is False and row_old.real is False
    # a change above the MDC with one trial a session: shown, not called real
    big = next(
        r
        for r in comparison([_session("a", 1.0, new), _session("b", 3.0, new)])
        if r.metric == METRIC and r.side == "left"
    )
    assert big.real is None and STRIDE_ONLY_NOTE in big.error_note


def test_the_trial_summary_writes_the_shared_sd():
    stats = MetricStatistics(
        mean=1.0, sd=0.9, n=9, n_missing=0, note=None, sem=0.3, mdc95=None, shared_sd=0.4
    )
    mean = _metric_mean(stats)
    assert mean.shared_sd == 0.4
    assert MetricMean.from_dict(mean.to_dict()) == mean
    assert MetricMean.from_dict({"mean": 1.0, "sd": 0.9, "n": 9, "sem": 0.3}).shared_sd is None
