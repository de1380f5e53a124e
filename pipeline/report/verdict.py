"""The trial verdict in the reports: first thing a reader sees, and how findings are framed."""

from __future__ import annotations

import html

from pipeline.quality.verdict import Verdict

VERDICT_CLASS = {"ok": "ok", "degraded": "warn", "failed": "bad"}
VERDICT_STYLE = """
.verdict { font-size: 0.6em; padding: 0.1em 0.5em; border-radius: 0.3em; vertical-align: middle;
           border: 1px solid currentColor; }
div.verdict-box { border-left: 4px solid; padding: 0.4em 0.8em; margin: 0.5em 0; }
div.verdict-box.warn { border-color: #b26a00; background: #fff8e1; }
div.verdict-box.bad { border-color: #c62828; background: #ffebee; }
"""


def verdict_html(verdict: Verdict | None) -> str:
    """The verdict box above the findings: nothing for an ok trial."""
    if verdict is None or verdict.verdict == "ok":
        return ""
    state = verdict.verdict
    reasons = "".join(
        f'<li>{_t(r.message)} <span class="note">({_t(r.code)})</span></li>'
        for r in verdict.reasons
    )
    if state == "failed":
        lead = (
            "<b>This trial failed</b>: the data cannot support gait findings, so none are "
            "shown. Why:"
        )
    else:
        lead = (
            "<b>Degraded trial</b>: the findings below come from data with these problems; "
            "read them with care, and re-record or fix the inputs where you can:"
        )
    return (
        f'<div class="verdict-box {VERDICT_CLASS[state]}"><p>{lead}</p><ul>{reasons}</ul>'
        '<p class="note">What each reason means and what to do: docs/verdicts.md.</p></div>'
    )


def verdict_note(state: str) -> str:
    """A line above the measures table of a trial that is not ok."""
    if state == "failed":
        return (
            '<p class="bad">Failed trial: the measures below are shown for troubleshooting '
            "only; do not use them.</p>"
        )
    if state == "degraded":
        return '<p class="warn">Degraded trial: see the reasons under Findings.</p>'
    return ""


def _t(value) -> str:
    return html.escape(str(value))
