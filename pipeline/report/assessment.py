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

from pipeline.gait.landing import FOREFOOT_BELOW_DEG, REARFOOT_ABOVE_DEG
from pipeline.gait.records import SideSummary, TrialSummary

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


def pattern_finding(side: str, block: SideSummary) -> str:
    """One sentence on a side's foot strike, with the error caveat near a cut-off."""
    strike = block.foot_strike
    stats = block.metrics["foot_strike_angle_deg"]
    standing = strike.standing
    if stats.mean is None:
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
    sem = stats.sem
    if sem is not None and any(
        abs(mean - cut) <= 1.96 * sem for cut in (REARFOOT_ABOVE_DEG, FOREFOOT_BELOW_DEG)
    ):
        text += (
            f" The angle lies within measurement error (+-{1.96 * sem:.1f} deg) of a cut-off: "
            "the pattern could be the neighbouring one."
        )
    return text


def assessment_html(summary: TrialSummary, metrics: dict[str, tuple[str, str]]) -> str:
    """The section body: findings, then a table per group with mean, SD, CV, MDC95, n, SI."""
    sides = summary.sides
    parts = [
        "<ul>" + "".join(f"<li>{_t(pattern_finding(s, sides[s]))}</li>" for s in sides) + "</ul>"
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
        '<p class="note">SD and CV: stride-to-stride; MDC95 = 1.96 &radic;2 SD/&radic;n, the '
        "least change between two such trials beyond this trial's own scatter (Weir 2005). "
        "Symmetry index 100 (L &minus; R) / mean of both (Robinson 1987), + = left larger; "
        "signed quantities get the difference instead. Definitions: docs/metrics.md.</p>"
    )
    return "\n".join(parts)
