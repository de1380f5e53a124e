"""Measurement error of a session's value and the minimal detectable change (issue #29).

The question: is the change between two sessions' values beyond what the measurement varies
by? Each value is the mean of k trials of one condition; with no true change the difference of
the two values, D, has SD sigma sqrt(1/k1 + 1/k2), sigma the SD of one trial's value (the SEM
of Weir 2005 / the typical error of Hopkins 2000). sigma is not known but estimated, by s with
`dof` degrees of freedom, so D / (s sqrt(1/k1 + 1/k2)) follows Student's t with `dof` degrees
of freedom (s is independent of the trial means for normal errors), and the 95 % limit is

    MDC95 = t(0.975, dof) * sqrt(SEM_1^2 + SEM_2^2),   SEM_i = s / sqrt(k_i)

the prediction interval for the difference of two new values (Hahn & Meeker 1991;
the 95 % limits of agreement of Hopkins 2000 and Bland & Altman 1999 with t in place of 1.96).
With sigma known (dof infinite) it is Weir's 1.96 sqrt(2) SEM (de Vet et al. 2006's smallest
detectable change). From 3 repeated trials (dof 2) t is 4.30, 2.2 times 1.96: an SD from three
values is that uncertain.

Sources of s:
- between trials: the pooled within-session SD of the trial means of one condition (sqrt of
  the within-session mean square, Weir 2005), dof = sum over sessions of (k - 1), shared by
  both sessions' SEMs;
- stride-to-stride: each trial's SEM_trial^2 = SEM_strides^2 + shared_sd^2: its stride SD /
  sqrt(n) (dof n - 1) and the SD its strides share from the events' read on the trial's mean
  event (summary.shared_sd_of_mean, a model SD: dof infinite), which no stride scatter holds
  and each trial draws anew, so a change between two trials carries it twice. Combined over
  a session's trials and then over the two sessions with the Welch-Satterthwaite degrees of
  freedom (Satterthwaite 1946). It still leaves out every other error constant within a
  trial (calibration, camera offsets, the keypoints' definition bias), so it is a lower bound
  on the measurement error: a change above it is not judged real (study_report).
The between-trial SD already holds each trial's shared read (the trial means scatter by it):
it is not added there. A summary written before shared_sd counts it as 0 (the stride SEM
alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import t as student_t

CONFIDENCE = 0.95
BETWEEN_TRIALS = "between trials"
STRIDE_TO_STRIDE = "stride-to-stride (one trial per session)"
NO_REPEATS = "no session with two or more trials: no between-trial error"
TOO_FEW_STRIDES = (
    "too few strides for a stride-to-stride SEM (a trial needs "
    "thresholds.min_strides_variability strides a side, default 8)"
)


def t_quantile(dof: float) -> float:
    """Two-sided 95 % quantile of Student's t with `dof` degrees of freedom (1.96 at inf)."""
    return float(student_t.ppf(0.5 + CONFIDENCE / 2, dof))


@dataclass(frozen=True)
class TrialMean:
    """One trial's mean of one metric and side, its stride-to-stride SEM (SD/sqrt(n); None
    with too few strides), its stride count n (None in a summary without it), its condition
    (only trials of one condition repeat) and the SD of its mean all its strides share
    (MetricStatistics.shared_sd; None: unknown or a summary from before it, counted as 0)."""

    mean: float | None
    sem: float | None = None
    n: int | None = None
    condition: str = ""
    shared_sd: float | None = None


@dataclass(frozen=True)
class PooledSD:
    """The SD of one trial's value from repeated trials, and its degrees of freedom."""

    sd: float
    dof: int


@dataclass(frozen=True)
class SessionError:
    """SEM of a session's value, its degrees of freedom and where it comes from; `sem` None
    with the reason in `source` when there is none."""

    sem: float | None
    dof: float | None
    source: str


@dataclass(frozen=True)
class DetectableChange:
    """MDC95 of a change between two sessions and the degrees of freedom of its t quantile
    (None: the normal quantile, for summaries without stride counts)."""

    mdc95: float | None
    dof: float | None


def pooled_between_trial_sd(
    sessions: list[list[float | None]],
) -> tuple[PooledSD | None, str | None]:
    """Pooled within-session SD of the trial means over every group (one condition in one
    session) with >= 2 trials, dof = sum (k - 1); None and the reason without any."""
    squares, dof = 0.0, 0
    for means in sessions:
        values = [m for m in means if m is not None]
        if len(values) < 2:
            continue
        centre = sum(values) / len(values)
        squares += sum((v - centre) ** 2 for v in values)
        dof += len(values) - 1
    if dof == 0:
        return None, NO_REPEATS
    return PooledSD(math.sqrt(squares / dof), dof), None


def welch_dof(variances: list[float], dofs: list[float]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates."""
    total = sum(variances)
    denominator = sum(v * v / d for v, d in zip(variances, dofs))
    return math.inf if denominator == 0 else total * total / denominator


def session_error(trials: list[TrialMean], between: PooledSD | None) -> SessionError:
    """SEM of a session's value (the mean of its trials' means).

    `trials`: each trial's mean, SEM and n of one metric and side (sem: the stride SD /
    sqrt(n)) and its shared SD. With a between-trial SD it is that over sqrt(k), with its dof
    (the trial means' scatter already holds each trial's shared read: not added). Else
    sqrt(sum (SEM_j^2 + shared_sd_j^2)) / k over the k trials, with Welch's dof from each
    SEM's n - 1 and each shared SD's infinite dof (a model SD, not estimated)."""
    trials = [t for t in trials if t.mean is not None]
    if not trials:
        return SessionError(None, None, "no value")
    if between is not None:
        return SessionError(between.sd / math.sqrt(len(trials)), between.dof, BETWEEN_TRIALS)
    sems = [t.sem for t in trials if t.sem is not None]
    if len(sems) < len(trials):
        return SessionError(None, None, TOO_FEW_STRIDES)
    k2 = len(trials) ** 2
    variances = [s * s / k2 for s in sems]
    shared = [(t.shared_sd or 0.0) ** 2 / k2 for t in trials]
    counts = [t.n for t in trials]
    dof = math.inf  # a summary without stride counts: the normal quantile
    if all(n is not None and n > 1 for n in counts):
        dofs = [float(n) - 1 for n in counts if n is not None]
        dof = welch_dof(variances + shared, dofs + [math.inf] * len(shared))
    return SessionError(math.sqrt(sum(variances) + sum(shared)), dof, STRIDE_TO_STRIDE)


def detectable_change(first: SessionError, last: SessionError) -> DetectableChange:
    """MDC95 = t(0.975, dof) sqrt(SEM_1^2 + SEM_2^2). Both SEMs from one pooled between-trial
    SD share its dof; independent stride-to-stride SEMs combine by Welch-Satterthwaite."""
    if first.sem is None or last.sem is None or first.dof is None or last.dof is None:
        return DetectableChange(None, None)
    if first.source == last.source == BETWEEN_TRIALS:
        dof = first.dof
    else:
        dof = welch_dof([first.sem**2, last.sem**2], [first.dof, last.dof])
    mdc = t_quantile(dof) * math.hypot(first.sem, last.sem)
    return DetectableChange(mdc, dof if math.isfinite(dof) else None)


def trial_mdc95(sem: float, n: int, shared_sd: float | None = None) -> float:
    """MDC95 of a change from this trial to another like it, from this trial's stride SD and
    its strides' shared SD (summary.shared_sd_of_mean; None or 0: the stride SD alone):
    t(0.975, dof) sqrt(2) sqrt(SEM^2 + shared_sd^2). Each trial has its own shared read, so
    the change carries it twice; dof by Welch-Satterthwaite, the SEM's n - 1 (one SD for
    both trials) and the shared SD's infinite: (n - 1) (1 + shared_sd^2 / SEM^2)^2."""
    variances = [2.0 * sem * sem, 2.0 * (shared_sd or 0.0) ** 2]
    dof = welch_dof(variances, [float(n - 1), math.inf]) if n > 1 else math.nan
    return t_quantile(dof) * math.sqrt(sum(variances))


def mean_half_width95(sem: float | None, n: int, shared_sd: float | None) -> float | None:
    """Half-width of the 95 % interval of a side's mean that every "within measurement error"
    decision uses (flags, findings, the foot-strike pattern; MetricStatistics.interval95): the
    stride scatter's t(0.975, n - 1) SEM with the strides' shared part, 1.96 shared_sd
    (summary.shared_sd_of_mean). The scatter holds each stride's own error (sd_of_mean's other
    term) but none of the shared part, which moves every stride alike: each is counted once.
    The SEM interval alone where shared_sd is unknown or 0; None without an SEM."""
    if sem is None or n < 2:
        return None
    scatter = t_quantile(n - 1) * sem
    if not shared_sd:
        return scatter
    # independent errors of the mean: their 95 % half-widths add in quadrature, no narrower
    # than the Welch-Satterthwaite t interval of the summed variance (the shared SD: inf dof)
    return math.hypot(scatter, t_quantile(math.inf) * shared_sd)


def real_change(change: float | None, mdc: float | None) -> bool | None:
    """True only when |change| exceeds the MDC95; None when either is unknown."""
    if change is None or mdc is None:
        return None
    return abs(change) > mdc
