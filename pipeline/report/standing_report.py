"""A static trial's report page: the standing foot pitch it measured per side, or why none
(gait/standing.py). A static trial has no strides, so no running report."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pipeline.gait.standing import REASONS, StandingMeasurement
from pipeline.io.atomic import write_text


def write_standing_report(out: Path, session: str, measurement: StandingMeasurement) -> Path:
    """out/index.html for the static trial; returns its path."""
    rows = "".join(
        f"<tr><td>{escape(side)}</td>"
        f"<td>{'-' if s.pitch_deg is None else f'{s.pitch_deg:+.1f}'}</td>"
        f"<td>{'-' if s.sd_deg is None else f'{s.sd_deg:.1f}'}</td>"
        f"<td>{s.n_frames}</td><td>{escape(REASONS[s.reason]) if s.reason else 'measured'}</td></tr>"
        for side, s in measurement.sides.items()
    )
    verdict = (
        "standing reference measured: the session's running trials measure the foot-strike "
        "angle from it"
        if measurement.ok
        else "no standing reference: the session's foot-strike angles are upper bounds and the "
        "pattern is withheld unless forefoot"
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(measurement.trial)}: static trial</title></head><body>"
        f"<h1>{escape(measurement.trial)}: static (standing) trial of session "
        f"{escape(session)}</h1><p>{escape(verdict)}.</p>"
        f"<p>{measurement.n_still_frames} of {measurement.n_frames} frames standing still "
        f"({measurement.fps:g} fps).</p>"
        "<table><tr><th>side</th><th>heel &rarr; big-toe pitch (deg, + = toes up)</th>"
        f"<th>SD (deg)</th><th>frames</th><th>result</th></tr>{rows}</table>"
        '<p>Definition: docs/metrics.md, "Standing reference".</p></body></html>\n'
    )
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    write_text(index, page)
    return index
