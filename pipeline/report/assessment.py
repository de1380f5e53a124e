"""The trial report's "Landing, bounce and consistency" section (issue #29): how the foot
lands (foot-strike angle and pattern, overstride, tibia inclination and knee flexion at
strike), bounce and timing, and each metric's stride-to-stride SD, CV, MDC95 and symmetry.

Plain-language findings only where docs/references.md has a published reference: the
foot-strike pattern (Altman & Davis 2012 cut-offs). Overstride, vertical oscillation, vertical
ratio, step length and duty factor have no published cut-off: the section says so and
flags nothing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from pipeline.gait.landing import FOREFOOT_BELOW_DEG, REARFOOT_ABOVE_DEG
from pipeline.gait.records import SideSummary, Stride, TrialSummary
from pipeline.gait.strike_pitch import Z_PATTERN
from pipeline.gait.summary import interval_parts, within_measurement_error

LANDING = (
    "foot_strike_angle_deg",
    "overstride_m",
    "tibia_inclination_at_strike_deg",
    "knee_flexion_at_strike_deg",
)
BOUNCE = ("vertical_oscillation_m", "vertical_ratio", "step_length_m", "duty_factor")
NO_CUT_OFF = (
    "Overstride, vertical oscillation, vertical ratio, step length and duty factor have no "
    "published cut-off (docs/references.md): they are shown, not judged."
)


def _t(value) -> str:
    return html.escape(str(value))


def _fmt(value, unit: str) -> str:
    if value is None:
        return "&ndash;"
    if unit == "m":
        return f"{100 * value:.1f} cm"
    if unit == "1":
        return f"{value:.3f}"
    return f"{value:.1f} {_t(unit)}"


def uncertain_patterns(strides: Sequence[Stride], side: str) -> tuple[int, list[Stride]]:
    """A side's strides with a pattern and those of them whose pattern is marked uncertain
    (`foot_strike_pattern_note`: the angle +- 1.96 SD spans a cut-off, gait/strike_pitch.py)."""
    classified = [s for s in strides if s.side == side and s.foot_strike_pattern is not None]
    return len(classified), [s for s in classified if s.foot_strike_pattern_note]


def uncertain_patterns_sentence(n_classified: int, n_uncertain: int) -> str:
    """How many of a side's stride patterns are marked uncertain ('' when none)."""
    if not n_uncertain:
        return ""
    return (
        f"{n_uncertain} of {n_classified} strides' patterns are uncertain: their foot-strike "
        f"angle +- {Z_PATTERN:g} SD (strike timing and keypoint noise) spans a cut-off; the "
        "pattern is kept and counted."
    )


def pattern_finding(side: str, block: SideSummary, strides: Sequence[Stride] = ()) -> str:
    """One sentence on a side's foot strike, with the error caveat near a cut-off and the
    number of strides whose own pattern is uncertain (`strides`: the trial's)."""
    strike = block.foot_strike
    stats = block.metrics["foot_strike_angle_deg"]
    standing = strike.standing
    if stats.mean is None:
        if stats.n == 0 and stats.n_missing > 0:
            why = f"heel or big toe not seen at any of its {stats.n_missing} strikes"
        else:
            why = standing.note or stats.note or "no foot-strike angle"
        return f"{side.capitalize()} foot: foot strike not classified ({why})."
    mean = stats.mean
    if strike.pattern is None:
        return (
            f"{side.capitalize()} foot: foot strike not classified; the angle is at most "
            f"{mean:.1f} deg relative to {standing.source} "
            f"({standing.note or 'no pattern'})."
        )
    text = (
        f"{side.capitalize()} foot lands {strike.pattern} (foot-strike angle {mean:.1f} deg "
        f"relative to {standing.source}, mean of {stats.n} strides; "
        f"rearfoot above {REARFOOT_ABOVE_DEG:g}, forefoot below {FOREFOOT_BELOW_DEG:g} deg, "
        "Altman & Davis 2012)."
    )
    half = stats.interval95  # the half-width the flags and findings judge by
    if half is None:  # too few strides: the pattern of the mean is not shown as certain
        text += f" Its measurement error is not known ({stats.variability_note or 'no SEM'})."
    elif any(
        within_measurement_error(mean, cut, half)
        for cut in (REARFOOT_ABOVE_DEG, FOREFOOT_BELOW_DEG)
    ):
        text += (
            f" The angle lies within measurement error (+-{half:.1f} deg, the 95 % interval "
            f"of the mean: {interval_parts(stats)}) of a cut-off: the pattern could be the "
            "neighbouring one."
        )
    uncertain = uncertain_patterns_sentence(*_counts(strides, side))
    return text + (" " + uncertain if uncertain else "")


def _counts(strides: Sequence[Stride], side: str) -> tuple[int, int]:
    n, marked = uncertain_patterns(strides, side)
    return n, len(marked)


def _pattern_notes_html(strides: Sequence[Stride], sides) -> str:
    """Each stride's pattern note, per side, folded (the finding gives the count)."""
    items = [
        f"<li>{_t(s.side)} stride {s.index}: {_t(s.foot_strike_pattern)}, "
        f"{_t(s.foot_strike_pattern_note)}</li>"
        for side in sides
        for s in uncertain_patterns(strides, side)[1]
    ]
    if not items:
        return ""
    return (
        "<details><summary>Strides whose foot-strike pattern is uncertain "
        f"({len(items)})</summary><ul>{''.join(items)}</ul></details>"
    )


def assessment_html(
    summary: TrialSummary, metrics: dict[str, tuple[str, str]], strides: Sequence[Stride] = ()
) -> str:
    """The section body: findings (with the strides whose pattern is uncertain), then a table
    per group with mean, SD, CV, MDC95, n, SI."""
    sides = summary.sides
    parts = [
        "<ul>"
        + "".join(f"<li>{_t(pattern_finding(s, sides[s], strides))}</li>" for s in sides)
        + "</ul>"
        + _pattern_notes_html(strides, sides)
    ]
    parts.append(f'<p class="note">{NO_CUT_OFF}</p>')
    symmetry = summary.symmetry
    for title, names in (("Landing", LANDING), ("Bounce and timing", BOUNCE)):
        head = (
            f"<tr><th>{title}</th>"
            + "".join(f"<th>{_t(s)}: mean (SD, CV, MDC95, n)</th>" for s in sides)
            + "<th>symmetry index</th></tr>"
        )
        rows = []
        for name in names:
            label, unit = metrics[name]
            cells = ""
            for side in sides:
                st = sides[side].metrics[name]
                extra = (
                    _t(st.variability_note or st.note or "")
                    if st.mdc95 is None
                    else f"SD {_fmt(st.sd, unit)}, "
                    + (f"CV {st.cv_pct:.1f} %, " if st.cv_pct is not None else "")
                    + f"MDC95 {_fmt(st.mdc95, unit)}"
                )
                cells += f"<td>{_fmt(st.mean, unit)} ({extra}, n={st.n})</td>"
            sym = symmetry.get(name)
            si = (
                "&ndash;"
                if sym is None
                else f"{sym.index_pct:+.1f} %"
                if sym.index_pct is not None
                else (_t(sym.note) if sym.note else "&ndash;")
            )
            rows.append(f"<tr><td>{_t(label)}</td>{cells}<td>{si}</td></tr>")
        parts.append(f"<table>{head}{''.join(rows)}</table>")
    parts.append(
        '<p class="note">SD and CV: stride-to-stride; MDC95 = t<sub>0.975</sub> &radic;2 '
        "&radic;(SD&sup2;/n + shared SD&sup2;), the least change between two such trials "
        "beyond this trial's own scatter and the SD its strides share from the events' read "
        "(Weir 2005, with Student's t of Welch's degrees of freedom: the SD's n &minus; 1). "
        "It leaves out the other errors constant over a trial's strides (calibration, camera "
        "offsets), so a change above it is not yet shown to be real (docs/metrics.md). "
        "Symmetry index 100 (L &minus; R) / mean of both (Robinson 1987), + = left larger; "
        "signed quantities get the difference instead. Definitions: docs/metrics.md.</p>"
    )
    return "\n".join(parts)
