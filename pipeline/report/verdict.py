"""The trial verdict in the reports: first thing a reader sees, and how findings are framed."""

from __future__ import annotations

import html

from pipeline.quality.verdict import Reason, Verdict

VERDICT_CLASS = {"ok": "ok", "degraded": "warn", "failed": "bad"}
VERDICT_STYLE = """
.verdict { font-size: 0.6em; padding: 0.1em 0.5em; border-radius: 0.3em; vertical-align: middle;
           border: 1px solid currentColor; }
div.verdict-box { border-left: 4px solid; padding: 0.4em 0.8em; margin: 0.5em 0; }
div.verdict-box.warn { border-color: #b26a00; background: #fff8e1; }
div.verdict-box.bad { border-color: #c62828; background: #ffebee; }
div.verdict-box.notes { border-color: #607d8b; background: #f5f7f8; }
"""
# a note names a partial loss (e.g. a stride set aside) that leaves the verdict as it is
NOTES_LEAD = "<b>Notes</b> (these leave the verdict as it is):"


def verdict_html(verdict: Verdict | None) -> str:
    """The verdict box above the findings: for an ok trial only its notes (nothing without);
    a degraded or failed one lists the reasons behind it, then its notes apart."""
    if verdict is None:
        return ""
    notes = _items([r for r in verdict.reasons if r.severity == "note"])
    notes_part = f'<p class="notes-lead">{NOTES_LEAD}</p><ul class="notes">{notes}</ul>'
    if verdict.verdict == "ok":
        return f'<div class="verdict-box notes">{notes_part}{_SEE_DOCS}</div>' if notes else ""
    state = verdict.verdict
    reasons = _items([r for r in verdict.reasons if r.severity != "note"])
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
        f"{notes_part if notes else ''}{_SEE_DOCS}</div>"
    )


_SEE_DOCS = '<p class="note">What each reason means and what to do: docs/verdicts.md.</p>'


def _items(reasons: list[Reason]) -> str:
    return "".join(
        f'<li>{_t(r.message)} <span class="note">({_t(r.code)})</span></li>' for r in reasons
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
