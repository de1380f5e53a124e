"""Plain-language findings for lab staff: each check the analysis makes, per side, with the
measured value, the threshold, the strides behind it and what it means.

The checks are the analysis flags (pipeline/gait/checks.py, one table for both;
docs/metrics.md); a flag in the analysis file decides "flagged", the thresholds only describe
the checks that passed or were switched off.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from pipeline.core.json_types import JsonObject
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.angles import SIDES
from pipeline.gait.checks import CHECKS
from pipeline.gait.summary import METRICS, interval_parts, within_measurement_error
from pipeline.report.references import METRIC_REFERENCES, cite


@dataclass(frozen=True)
class Finding:
    """One check on one side, for people: the measured mean, the threshold and its status
    (flagged / within / not checked / not measurable). Stored in the trial's summary.json."""

    check: str
    metric: str
    label: str
    unit: str
    side: str
    status: str
    mean: float | None
    sd: float | None
    n: int
    n_missing: int
    note: str | None
    threshold: float | None
    comparison: str
    threshold_field: str
    meaning: str
    validated: bool
    # issue #29: the threshold inside the mean's 95 % interval (None: no SEM)
    within_measurement_error: bool | None
    sem: float | None
    # that interval's half-width (MetricStatistics.interval95) and what it is made of
    interval95: float | None = None
    interval_parts: str | None = None

    def to_dict(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: JsonObject) -> Finding:
        """A summary.json's finding; one written before interval95 reads without it (None)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def findings(analysis: TrialAnalysis, thresholds) -> list[Finding]:
    """One row per check and side: status flagged / within / not checked / not measurable."""
    raised = {(f.name, f.side): f for f in analysis.flags}
    rows = []
    for check in CHECKS:
        label, unit = METRICS[check.metric]
        limit = check.limit(thresholds)
        for side in SIDES:
            stats = analysis.summary.sides[side].metrics[check.metric]
            flag = raised.get((check.key, side))
            if flag is not None:
                status, limit = "flagged", flag.threshold
            elif limit is None:
                status = "not checked"
            elif stats.mean is None:
                status = "not measurable"
            else:
                status = "within"
            rows.append(
                Finding(
                    check=check.key,
                    metric=check.metric,
                    label=label,
                    unit=unit,
                    side=side,
                    status=status,
                    mean=stats.mean,
                    sd=stats.sd,
                    n=stats.n,
                    n_missing=stats.n_missing,
                    note=stats.note,
                    threshold=limit,
                    comparison=check.comparison,
                    threshold_field=check.threshold,
                    meaning=check.meaning,
                    validated=check.validated,
                    within_measurement_error=(
                        None
                        if limit is None or stats.mean is None
                        else within_measurement_error(stats.mean, limit, stats.interval95)
                    ),
                    sem=stats.sem,
                    interval95=stats.interval95,
                    interval_parts=None if stats.interval95 is None else interval_parts(stats),
                )
            )
    return rows


STATUS_TEXT = {
    "flagged": "FLAGGED",
    "within": "within threshold",
    "not checked": "not checked",
    "not measurable": "not measurable",
}


def findings_html(
    rows: list[Finding],
    cadence_spm: float | None,
    poorly_observed: Mapping[str, Mapping[str, int]] | None = None,
    on_dropouts: int | None = None,
    not_found: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> str:
    """`poorly_observed`: summary["poorly_observed_events"], side -> event -> count;
    `on_dropouts`: summary["untimed_on_dropouts"], how many of them fell on a detection gap;
    `not_found`: summary["contacts_not_found"], side -> [from, to] s of each contact the
    rhythm expects and no event marks (gait/missed_contacts.py)."""
    flagged = [r for r in rows if r.status == "flagged"]
    parts = []
    missed = contacts_not_found_html(not_found)
    if missed:
        parts.append(missed)
    n_poor = {side: sum(counts.values()) for side, counts in (poorly_observed or {}).items()}
    if any(n_poor.values()):
        detail = ", ".join(f"{_t(side)} {n}" for side, n in n_poor.items() if n)
        dropouts = min(on_dropouts or 0, sum(n_poor.values()))
        volume = sum(n_poor.values()) - dropouts
        causes = []
        if dropouts:
            causes.append(
                f"{dropouts} where a foot keypoint was not detected in enough views "
                "(a dropout, gap-filled: check the overlay videos for what hid the foot)"
            )
        if volume:
            causes.append(
                f"{volume} where the foot was outside the well-observed volume of the "
                "cameras (overground: record more passes or widen the camera spacing "
                "along the runway)"
            )
        parts.append(
            f'<p class="warn">Foot strikes / toe-offs not timed ({detail}): '
            f"{'; '.join(causes)}. The strides around them are left out of every "
            "measure below.</p>"
        )
    if flagged:
        parts.append("<p>What stands out:</p><ul>")
        for r in flagged:
            parts.append(
                f'<li class="flag"><b>{_t(r.side.capitalize())} {_t(r.label)}</b>: '
                f"{_value(r)} (mean of {r.n} strides); flagged when the mean is "
                f"{_t(r.comparison)} {_fmt(r.threshold, r.unit)}. {_t(r.meaning)}"
                + (
                    ""
                    if r.validated
                    else " <i>This threshold is the lab's choice: no validated cut-off exists.</i>"
                )
                + "</li>"
            )
        parts.append("</ul>")
    elif any(r.status == "within" for r in rows):
        parts.append('<p class="ok">No check raised a flag.</p>')
    else:  # nothing was measurable: not the same as nothing found
        parts.append(
            '<p class="warn">No check could be made: no measure has enough strides '
            "(<code>min_strides</code>) on either side to compare with its threshold.</p>"
        )
    body = []
    by_check: dict[str, list[Finding]] = {}
    for r in rows:
        by_check.setdefault(r.check, []).append(r)
    for check_rows in by_check.values():  # one row per check, a column per side
        first = check_rows[0]
        if first.threshold is None and all(r.status == "not checked" for r in check_rows):
            limit = (
                f"off: no validated cut-off (set <code>analysis.thresholds."
                f"{_t(first.threshold_field)}</code> to check)"
            )
        else:
            limit = f"flag if {_t(first.comparison)} {_fmt(first.threshold, first.unit)}"
            if not first.validated:
                limit += ' <span class="note">(lab choice: no validated cut-off)</span>'
        cells = []
        for r in check_rows:
            value = _value(r) if r.mean is not None else _t(r.note or "not measurable")
            missing = (
                f' <span class="note">(+{r.n_missing} not measurable)</span>' if r.n_missing else ""
            )
            near = (  # the half-width the decision used, and its parts
                f'<br><span class="note">threshold within measurement error '
                f"(&plusmn;{_fmt(r.interval95, r.unit)}, 95 %: {_t(r.interval_parts)}): "
                "could go either way</span>"
                if r.within_measurement_error and r.interval95 is not None
                else ""
            )
            cells.append(
                f'<td class="{r.status.replace(" ", "-")}">{value}<br>'
                f'<span class="note">{r.n} strides{missing}</span><br>'
                f"<b>{STATUS_TEXT[r.status]}</b>{near}</td>"
            )
        reference, *sources = METRIC_REFERENCES.get(first.metric, ("",))
        body.append(
            f"<tr><td><b>{_t(first.label)}</b></td>{''.join(cells)}<td>{limit}</td>"
            f'<td>{_t(first.meaning)}<br><span class="note">{_t(reference)}'
            + (f" ({_t(cite(*sources))})" if sources else "")
            + "</span></td></tr>"
        )
    sides = "".join(
        f"<th>{_t(r.side)}: mean &plusmn; SD</th>" for r in next(iter(by_check.values()), [])
    )
    parts.append(
        f'<table class="findings"><tr><th>check</th>{sides}<th>threshold</th>'
        f"<th>what it means (reference)</th></tr>{''.join(body)}</table>"
    )
    text, *sources = METRIC_REFERENCES["cadence_spm"]
    parts.append(
        f"<p>Cadence: <b>{_fmt(cadence_spm, 'steps/min')}</b>. {_t(text)} "
        f'<span class="note">({_t(cite(*sources))})</span></p>'
    )
    parts.append(
        '<p class="note">Each check compares the mean over strides of one side with its '
        "threshold; with fewer strides than <code>min_strides</code> there is no mean and "
        "no verdict. Thresholds are population figures or lab choices, not individual "
        "norms.</p>"
    )
    return "\n".join(parts)


def contacts_not_found_html(not_found: Mapping[str, Sequence[tuple[float, float]]] | None) -> str:
    """The findings' line for contacts not detected at all ("" when none): per side, where
    each lay, and the likely cause."""
    per_side = [(side, windows) for side, windows in (not_found or {}).items() if windows]
    if not per_side:
        return ""
    detail = ", ".join(f"{_t(side)} {len(windows)}" for side, windows in per_side)
    lines = []
    for side, windows in per_side:
        where = " and ".join(f"between {a:.2f} and {b:.2f} s" for a, b in windows)
        what = "a contact" if len(windows) == 1 else f"{len(windows)} contacts"
        verb = "was" if len(windows) == 1 else "were"
        lines.append(f"{what} of the {_t(side)} foot {where} {verb} not detected")
    return (
        f'<p class="warn">Foot contacts not detected ({detail}): {"; ".join(lines)}: '
        "the running rhythm puts a contact there but neither its foot strike nor its toe-off "
        "was found, so the foot was hidden or mis-seen there (check the overlay videos at "
        "those times). The strides around it are left out of every measure below.</p>"
    )


def _value(r: Finding) -> str:
    if r.mean is None:
        return "&ndash;"
    digits = _digits(r.unit)
    if r.unit == "m":  # people read centimetres
        return f"{100 * r.mean:.1f} &plusmn; {100 * (r.sd or 0):.1f} cm"
    return f"{r.mean:.{digits}f} &plusmn; {(r.sd or 0):.{digits}f} {_t(r.unit)}"


def _fmt(value, unit: str) -> str:
    if value is None:
        return "&ndash;"
    if unit == "m":
        return f"{100 * value:.1f} cm"
    return f"{value:.{_digits(unit)}f} {_t(unit)}"


def _digits(unit: str) -> int:
    return 0 if unit in ("ms", "steps/min") else 1


def _t(value) -> str:
    return html.escape(str(value))
