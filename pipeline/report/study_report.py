"""The study report: one table over trials and subjects, and a before/after comparison for each
subject recorded in two or more sessions. Built only from the trials' summary.json files
(trial_report.trial_summary), so it never re-reads 3D data.

Sessions of a subject are ordered by date, then label, then id; "change" is the last session
minus the first. With several trials in one session the session's value is the mean of those
trials' means (the table says how many trials).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipeline.core.json_types import JsonObject
from pipeline.gait.angles import SIDES  # noqa: E402
from pipeline.gait.checks import CHECKS  # noqa: E402
from pipeline.gait.curves import CYCLE_PCT  # noqa: E402
from pipeline.gait.measurement_error import (  # noqa: E402
    TrialMean,
    detectable_change,
    pooled_between_trial_sd,
    real_change,
    session_error,
)
from pipeline.gait.summary import METRICS  # noqa: E402
from pipeline.io.atomic import write_text  # noqa: E402
from pipeline.report.figures import TITLES  # noqa: E402
from pipeline.report.html import STYLE  # noqa: E402
from pipeline.report.provenance import STYLE as PROVENANCE_STYLE  # noqa: E402
from pipeline.report.provenance import provenance_cell, provenance_footer  # noqa: E402
from pipeline.report.study_records import (  # noqa: E402
    ComparisonRow,
    FlagBrief,
    Session,
    TrialOverview,
)
from pipeline.report.trial_report import EXTRA_STYLE, KEY_METRICS  # noqa: E402
from pipeline.report.verdict import VERDICT_CLASS  # noqa: E402

TABLE_METRICS = (
    "step_width_m",
    "pelvic_drop_deg",
    "peak_stance_knee_flexion_deg",
    "knee_over_toe_m",
)
COMPARED_CURVES = ("knee_flexion_deg", "pelvic_drop_deg", "hip_adduction_deg")
SESSION_COLOURS = ("tab:gray", "tab:green", "tab:purple", "tab:brown", "tab:olive")


def sessions_by_subject(summaries: list[TrialOverview]) -> dict[str, list[Session]]:
    """subject -> sessions in time order, each with its trials in the order given."""
    subjects: dict[str, dict[str, tuple[Session, list[TrialOverview]]]] = {}
    for s in summaries:
        subject = s.subject or "(no subject)"
        session = s.session or ""
        entry = subjects.setdefault(subject, {}).setdefault(
            session, (Session(session, s.session_label or "", s.session_date or "", ()), [])
        )
        entry[1].append(s)
    return {
        subject: sorted(
            (replace(session, trials=tuple(trials)) for session, trials in sessions.values()),
            key=lambda e: (e.date, e.label, e.session),
        )
        for subject, sessions in subjects.items()
    }


@dataclass(frozen=True)
class SessionValues:
    """A session's value of each compared measure: the mean over its usable trials (not
    failed) of cadence and each side's key metric means (None when no such trial has the
    value), and per side and metric each usable trial's mean and SEM (issue #29)."""

    cadence_spm: float | None
    means: dict[str, dict[str, float | None]]
    trials: dict[str, dict[str, list[TrialMean]]]


def session_values(session: Session) -> SessionValues:
    """The session's values (see SessionValues)."""

    def mean(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    trials = [t for t in session.trials if t.usable]
    return SessionValues(
        cadence_spm=mean([t.cadence_spm for t in trials]),
        means={
            side: {m: mean([t.means[side].get(m) for t in trials]) for m in KEY_METRICS}
            for side in SIDES
        },
        trials={
            side: {m: [_trial_stats(t, side, m) for t in trials] for m in KEY_METRICS}
            for side in SIDES
        },
    )


def _trial_stats(trial: TrialOverview, side: str, metric: str) -> TrialMean:
    """One trial's mean, SEM, n and shared SD (None for a summary written before issue #29;
    the shared SD None also for one written before it: counted as 0)."""
    stats = trial.stats.get(side, {}).get(metric)
    return TrialMean(
        mean=trial.means[side].get(metric),
        sem=None if stats is None else stats.sem,
        n=None if stats is None else stats.n,
        condition=trial.condition or "",
        shared_sd=None if stats is None else stats.shared_sd,
    )


def _repeats(trials: list[TrialMean]) -> list[list[float | None]]:
    """A session's trial means grouped by condition: only trials of one condition repeat."""
    groups: dict[str, list[float | None]] = {}
    for t in trials:
        groups.setdefault(t.condition, []).append(t.mean)
    return list(groups.values())


def comparison(sessions: list[Session]) -> list[ComparisonRow]:
    """One row per measure (cadence, then each key metric per side) over the sessions."""
    values = [session_values(s) for s in sessions]
    cadence = [v.cadence_spm for v in values]
    rows = [
        ComparisonRow(
            metric="cadence_spm",
            side="both",
            label="cadence",
            unit="steps/min",
            values=tuple(cadence),
            change=_change(cadence),
            sem=None,
            mdc95=None,
            mdc_dof=None,
            real=None,
            error_note="no SEM for cadence",
        )
    ]
    for m in KEY_METRICS:
        for side in SIDES:
            label, unit = METRICS[m]
            means = [v.means[side][m] for v in values]
            change = _change(means)
            per_session = [v.trials[side][m] for v in values]
            between, why_not = pooled_between_trial_sd(
                [g for s in per_session for g in _repeats(s)]
            )
            ends = [session_error(per_session[i], between) for i in (0, -1)]
            limit = detectable_change(*ends)
            real = real_change(change, limit.mdc95)
            notes = {e.source for e in ends}
            if between is not None:
                notes.add(WITHIN_SESSION_NOTE)
            if real and between is None:
                # a stride-to-stride MDC (with the trials' shared event read) leaves out the
                # rest of what is constant within a trial (calibration, camera offsets): a
                # bound a change must pass, not proof
                real = None
                notes.add(STRIDE_ONLY_NOTE)
            rows.append(
                ComparisonRow(
                    metric=m,
                    side=side,
                    label=f"{label} ({side})",
                    unit=unit,
                    values=tuple(means),
                    change=change,
                    sem=tuple(e.sem for e in ends),
                    mdc95=limit.mdc95,
                    mdc_dof=limit.dof,
                    real=real,
                    error_note="; ".join(sorted(notes | ({why_not} if why_not else set()))),
                )
            )
    return rows


def _change(values: list[float | None]) -> float | None:
    """Last minus first session (None when either is missing)."""
    first, last = values[0], values[-1]
    return None if first is None or last is None else last - first


STRIDE_ONLY_NOTE = (
    "above the stride-to-stride MDC only: that MDC holds each trial's shared event timing but "
    "leaves out its other constant errors (calibration, camera offsets: docs/metrics.md), so "
    "the change is not judged real; record two or more trials per condition in each session "
    "to judge it"
)


WITHIN_SESSION_NOTE = (
    "from repeated trials within sessions, it holds no error that changes between sessions "
    "(the detector placing a keypoint elsewhere on the runner, a recalibration, moved "
    "cameras: docs/metrics.md)"
)


def measurement_error_summary(subjects: dict[str, list[Session]]) -> JsonObject:
    """The study metrics.json's per subject, metric and side: SEM of the first and last
    session's value (sem_first, sem_last), mdc95, the change and whether it is real (issue
    #29)."""
    out: dict[str, Any] = {}
    for subject, sessions in subjects.items():
        if len(sessions) < 2:
            out[subject] = {"note": "one session: no before/after change"}
            continue
        out[subject] = {
            f"{row.metric}_{row.side}": {
                "change": row.change,
                # two numbers, not a list: `dvc exp show` drops lists
                "sem_first": None if row.sem is None else row.sem[0],
                "sem_last": None if row.sem is None else row.sem[-1],
                "mdc95": row.mdc95,
                "mdc_dof": row.mdc_dof,
                "real": row.real,
                "note": row.error_note,
            }
            for row in comparison(sessions)
            if row.metric != "cadence_spm"
        }
    return out


def write_study_report(
    out_dir: Path,
    summaries: list[TrialOverview],
    title: str,
    study: str = "",
    provenance: dict | None = None,
) -> Path:
    """index.html (+ one curve figure per compared subject) in `out_dir`. Each summary needs an
    `href`: the trial report's index.html relative to `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    subjects = sessions_by_subject(summaries)
    parts = [
        f"<h1>{_t(title)}{': ' + _t(study) if study else ''}</h1>",
        f"<p>{len(summaries)} trials, {len(subjects)} subjects. Click a trial for its report "
        "(findings, curves, overlay videos, quality).</p>",
        '<nav><a href="#trials">Trials</a><a href="#before-after">Before / after</a></nav>',
        '<section id="trials"><h2>Trials</h2>',
        _trials_table(subjects),
        "</section>",
        '<section id="before-after"><h2>Before / after</h2>',
    ]
    compared = {s: sessions for s, sessions in subjects.items() if len(sessions) >= 2}
    if not compared:
        parts.append('<p class="note">No subject has two or more sessions yet.</p>')
    for number, (subject, sessions) in enumerate(compared.items()):
        png = curves_comparison_figure(sessions, out_dir / f"before_after_{number}.png", subject)
        parts.append(
            f"<h3>Subject {_t(subject)}</h3>"
            + _comparison_table(sessions)
            + f'<figure><img src="{_t(png.name)}" alt="mean curves per session, subject {_t(subject)}">'
            f"<figcaption>Mean curves per session (mean over strides, then over the session's "
            f"trials), subject {_t(subject)}</figcaption></figure>"
        )
    parts.append(
        '<p class="note">Failed trials enter no session mean. Change = last session minus first. Only a change larger than the '
        "MDC95 is marked real (Weir 2005; Haley & Fragala-Pinkham 2006): MDC95 = "
        "t<sub>0.975</sub>(d.o.f.) &radic;(SEM<sub>before</sub>&sup2; + "
        "SEM<sub>after</sub>&sup2;), Student's t of the SEMs' degrees of freedom (shown "
        "beside the MDC; 1.96 only with the SD known), each SEM from "
        "repeated trials of the session when the study has them (they hold no error that "
        "changes between sessions, such as the detector placing a keypoint elsewhere on the "
        "runner), else from the "
        "stride-to-stride SD (SD/&radic;n, the trial's own scatter only: a lower bound). The "
        "method's accuracy (a few degrees for joint angles, docs/metrics.md) is a bias "
        "common to both sessions and not in the MDC.</p>"
        "</section>"
    )
    parts.append(provenance_footer(provenance, "this study report"))
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{_t(title)}</title>",
            f"<style>{STYLE}{EXTRA_STYLE}{PROVENANCE_STYLE}</style>",
            "</head>",
            "<body>",
            *parts,
            "</body>",
            "</html>",
            "",
        ]
    )
    index = out_dir / "index.html"
    write_text(index, page)
    return index


def _trials_table(subjects: dict[str, list[Session]]) -> str:
    head = (
        "<tr><th>subject</th><th>session</th><th>date</th><th>trial</th><th>condition</th>"
        "<th>cadence (steps/min)</th>"
        + "".join(f"<th>{_t(METRICS[m][0])} L / R</th>" for m in TABLE_METRICS)
        + "<th>foot strike L / R</th>"
        + "<th>verdict</th><th>flags</th><th>produced by</th></tr>"
    )
    rows = []
    for subject, sessions in subjects.items():
        for session in sessions:
            for t in session.trials:
                state = t.state
                flags = "no findings (failed trial)" if state == "failed" else _flags_text(t.flags)
                reasons = () if t.verdict is None else t.verdict.reasons
                why = "; ".join(
                    f"note: {r.message}" if r.severity == "note" else r.message for r in reasons
                )
                n_notes = sum(r.severity == "note" for r in reasons)
                noted = f' <span class="note">({n_notes} note(s))</span>' if n_notes else ""
                cells = "".join(
                    f"<td>{_fmt(t.means['left'][m], METRICS[m][1])} / "
                    f"{_fmt(t.means['right'][m], METRICS[m][1])}</td>"
                    for m in TABLE_METRICS
                )
                link = f'<a href="{_t(t.href)}">{_t(t.trial)}</a>' if t.href else _t(t.trial)
                provenance = None if t.provenance is None else dict(t.provenance)
                rows.append(
                    f"<tr><td>{_t(subject)}</td><td>{_t(session.name)}</td>"
                    f"<td>{_t(session.date) or '&ndash;'}</td><td>{link}</td>"
                    f"<td>{_t(t.condition or '')}</td><td>{_fmt(t.cadence_spm, 'steps/min')}</td>"
                    f"{cells}<td>{_foot_strike_cell(t)}</td>"
                    f'<td class="{VERDICT_CLASS.get(state, "")}" title="{_t(why)}">'
                    f"{_t(state)}{noted}</td>"
                    f'<td class="{"warn" if t.flags and state != "failed" else "ok"}">{flags}</td>'
                    f"{provenance_cell(provenance)}</tr>"
                )
    return f'<table>{head}{"".join(rows)}</table><p class="note">Means over strides; lengths in cm.</p>'


def _foot_strike_cell(trial: TrialOverview) -> str:
    """Each side's pattern, with how many of its strides' patterns are uncertain (the angle's
    SD spans a cut-off, report/assessment.py)."""
    if trial.foot_strike is None:
        return "&ndash;"

    def side(name: str) -> str:
        brief = trial.foot_strike.get(name) if trial.foot_strike else None
        if brief is None or brief.pattern is None:
            return "not classified"
        if not brief.n_uncertain:
            return _t(brief.pattern)
        return f"{_t(brief.pattern)} ({brief.n_uncertain} of {brief.n} strides' patterns uncertain)"

    return f"{side('left')} / {side('right')}"


def _dof(dof: float | None) -> str:
    """The MDC's degrees of freedom (its t quantile), shown beside it."""
    return "" if dof is None else f'<br><span class="note">{dof:.0f} d.o.f.</span>'


def _comparison_table(sessions: list[Session]) -> str:
    head = (
        "<tr><th>measure</th>"
        + "".join(
            f'<th>{_t(s.name)}<br><span class="note">{_t(s.date)} &middot; '
            f"{len(s.trials)} trial(s): {_t(', '.join(sorted({t.condition or t.trial for t in s.trials})))}"
            "</span></th>"
            for s in sessions
        )
        + "<th>change</th><th>MDC95</th><th>beyond measurement error?</th></tr>"
    )
    rows = []
    for row in comparison(sessions):
        cells = "".join(f"<td>{_fmt(v, row.unit)}</td>" for v in row.values)
        change = row.change
        sign = "" if change is None or change <= 0 else "+"
        verdict = {True: "real change", False: "within measurement error", None: "not judged"}[
            row.real
        ]
        why = row.error_note if row.real is None or row.mdc95 is not None else ""
        rows.append(
            f"<tr><td>{_t(row.label)}</td>{cells}<td>{sign}{_fmt(change, row.unit)}</td>"
            f"<td>{_fmt(row.mdc95, row.unit)}{_dof(row.mdc_dof)}</td>"
            f'<td class="{"ok" if row.real else "note"}" title="{_t(why)}">{_t(verdict)}'
            f"{'<br><span class=note>' + _t(why) + '</span>' if why else ''}</td></tr>"
        )
    return f'<table class="compare">{head}{"".join(rows)}</table>'


def curves_comparison_figure(sessions: list[Session], out_png: Path, subject: str) -> Path:
    """Mean curves per session overlaid: one column per side, one row per compared angle."""
    fig, axes = plt.subplots(
        len(COMPARED_CURVES),
        2,
        figsize=(9, 2.6 * len(COMPARED_CURVES)),
        dpi=100,
        squeeze=False,
        sharex=True,
    )
    for row, name in enumerate(COMPARED_CURVES):
        for col, side in enumerate(SIDES):
            ax = axes[row, col]
            for k, session in enumerate(sessions):
                curves = [
                    t.curves[name][side]
                    for t in session.trials
                    if t.usable and t.curves.get(name, {}).get(side) is not None
                ]
                if not curves:
                    continue
                ax.plot(
                    CYCLE_PCT,
                    np.mean(np.array(curves, float), axis=0),
                    color=SESSION_COLOURS[k % len(SESSION_COLOURS)],
                    lw=2 if k else 1.5,
                    ls="-" if k else "--",
                    label=session.name,
                )
            ax.set_title(f"{TITLES.get(name, name)} (deg), {side}", fontsize=9)
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:  # every trial failed: nothing to label
                ax.legend(fontsize=7, loc="best")
            if row == len(COMPARED_CURVES) - 1:
                ax.set_xlabel("% gait cycle (0 = foot strike)")
    fig.suptitle(f"Subject {subject}: mean curves per session", fontsize=10)
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, format="png")
    plt.close(fig)
    return out_png


def _flags_text(flags: tuple[FlagBrief, ...]) -> str:
    """One entry per flag name, both sides' values: 'crossover (left -2.0 cm, right -1.8 cm)'."""
    by_name: dict[str, list[str]] = {}
    for f in flags:
        by_name.setdefault(f.name, []).append(f"{f.side} {_fmt(f.value, _unit(f.name))}")
    return (
        "; ".join(
            f"{_t(name.replace('_', ' '))} ({', '.join(values)})"
            for name, values in by_name.items()
        )
        or "none"
    )


def _unit(flag_name: str) -> str:
    for check in CHECKS:
        if check.key == flag_name:
            return METRICS[check.metric][1]
    return ""


def _fmt(value, unit: str) -> str:
    if value is None:
        return "&ndash;"
    if unit == "m":
        return f"{100 * value:.1f} cm"
    digits = 0 if unit in ("ms", "steps/min") else 1
    return f"{value:.{digits}f}" + ("" if unit == "steps/min" else f" {_t(unit)}")


def _t(value) -> str:
    return html.escape(str(value))
