"""Shared HTML pieces of the reports: the style sheet, the measures table, the truth table."""

from __future__ import annotations

import html

from pipeline.gait.angles import SIDES
from pipeline.gait.compare import TruthErrors
from pipeline.gait.records import TrialSummary
from pipeline.gait.summary import METRICS

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f3f3f3; }
.flag { background: #fff3e0; border-left: 4px solid #e65100; padding: 0.4em 0.8em;
        margin: 0.3em 0; }
.ok { color: #2e7d32; }
.note { color: #666; font-size: 0.9em; }
figure { display: inline-block; margin: 0.5em; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def truth_section(errors: TruthErrors) -> str:
    """Measured vs true values (synthetic studies: the pipeline's accuracy on this trial)."""
    entries = [
        (side, name, e)
        for side in ("left", "right")
        for name, e in errors.sides.get(side, {}).items()
    ]
    entries.append(("both", "cadence_spm", errors.cadence_spm))
    rows = []
    for side, name, e in entries:
        cells = [side, name] + [
            ("&ndash;" if v is None else f"{v:.3f}") for v in (e.measured, e.true_value, e.error)
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<h3>Measured vs ground truth</h3><table><tr><th>side</th><th>metric</th><th>measured</th>"
        f"<th>true</th><th>error</th></tr>{''.join(rows)}</table>"
    )


def _summary_table(summary: TrialSummary) -> str:
    header = "<tr><th>Measure</th>" + "".join(f"<th>{side}</th>" for side in SIDES) + "</tr>"
    rows = []
    for metric, (label, unit) in METRICS.items():
        cells = []
        for side in SIDES:
            stats = summary.sides[side].metrics[metric]
            if stats.mean is None:
                cell = str(stats.note)
            else:
                digits = 3 if unit == "m" else 1
                cell = (
                    f"{stats.mean:.{digits}f} &plusmn; {stats.sd or 0.0:.{digits}f} {unit} "
                    f"(n={stats.n})"
                )
            if stats.n_missing:
                cell += f' <span class="note">({stats.n_missing} not measurable)</span>'
            cells.append(f"<td>{cell}</td>")
        rows.append(f"<tr><td>{_text(label)}</td>{''.join(cells)}</tr>")
    shares = [summary.sides[side].crossover_share for side in SIDES]
    rows.append(
        "<tr><td>crossover steps</td>"
        + "".join(
            f"<td>{'&ndash;' if share is None else f'{100 * share:.0f} %'}</td>" for share in shares
        )
        + "</tr>"
    )
    return "<table>\n" + "\n".join([header, *rows]) + "\n</table>"


def _text(value) -> str:
    return html.escape(str(value))
