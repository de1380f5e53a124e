"""A single self-contained HTML report for lab staff (figures embedded as base64 PNG)."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from pipeline.gait.angles import SIDES
from pipeline.gait.metrics import METRICS, TrialAnalysis
from pipeline.io.atomic import write_text

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


def render_trial_section(name: str, analysis: TrialAnalysis, figures: dict[str, Path],
                         extra_html: str = "") -> str:
    """HTML for one trial: flags, per-side summary table, figures (caption -> PNG path) and
    `extra_html` (trusted HTML built by the caller) at the end."""
    summary = analysis.summary
    cadence = summary["cadence_spm"]
    parts = [f"<section>\n<h2>Trial: {_text(name)}</h2>",
             f"<p>Cadence: <b>{_format(cadence, 0)} steps/min</b> from "
             f"{summary['n_foot_strikes']} foot strikes. Strides analysed: "
             + ", ".join(f"{side} {summary['sides'][side]['n_strides']}" for side in SIDES)
             + ".</p>"]

    parts.append("<h3>Flags</h3>")
    if analysis.flags:
        parts += [f'<div class="flag"><b>{_text(flag["name"].replace("_", " "))}</b>: '
                  f'{_text(flag["message"])}</div>' for flag in analysis.flags]
    else:
        parts.append('<p class="ok">No flags raised.</p>')
    parts.append('<p class="note">A flag compares the mean over strides with its threshold and '
                 'is only raised when enough strides were measured.</p>')

    parts.append("<h3>Summary per side</h3>")
    parts.append(_summary_table(summary))

    for caption, path in figures.items():
        encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{encoded}" alt="{_text(caption)}">'
                     f"<figcaption>{_text(caption)}</figcaption></figure>")
    parts += [extra_html, "</section>"]
    return "\n".join(parts)


def write_report(path: Path, title: str, sections: list[str],
                 study_summary_rows: list[dict]) -> None:
    """Write the report atomically (temporary file, then rename)."""
    path = Path(path)
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_text(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{_text(title)}</h1>",
        "<h2>Study summary</h2>", _rows_table(study_summary_rows),
        *sections, "</body>", "</html>", ""])
    write_text(path, page)


def calibration_section(quality: dict) -> str:
    """Per-camera calibration quality, the synthetic truth comparison if any, and the gates
    that did not pass, each with what to record differently."""
    rows = []
    for name, q in quality["cameras"].items():
        truth = quality.get("truth_comparison", {}).get(name)
        rows.append(f"<tr><td>{_text(name)}</td><td>{q['reprojection_median_px']:.2f}</td>"
                    f"<td>{q['detected_frames']} of {q['frames']}</td>"
                    + (f"<td>{truth['center_error_mm']:.1f}</td><td>{truth['orientation_error_deg']:.3f}</td>"
                       if truth else "") + "</tr>")
    truth_head = "<th>centre error vs truth (mm)</th><th>orientation error (deg)</th>" \
        if "truth_comparison" in quality else ""
    gates = [g for g in quality.get("gates", []) if g["verdict"] != "pass"]
    gate_items = "".join(f'<li><b>{_text(g["verdict"])}</b>: {_text(g["message"])}</li>' for g in gates)
    verdict = quality.get("gates_verdict", "pass")
    return ("<section><h2>Calibration quality</h2><table><tr><th>camera</th>"
            "<th>median reprojection error (px)</th><th>frames with the board</th>"
            f"{truth_head}</tr>{''.join(rows)}</table>"
            f"<p>Quality gates: <b>{_text(verdict)}</b>"
            + (f" &ndash; what to improve next time:</p><ul>{gate_items}</ul>" if gates else ".</p>")
            + "</section>")


def truth_section(errors: dict) -> str:
    """Measured vs true values (synthetic studies: the pipeline's accuracy on this trial)."""
    entries = [(side, name, e) for side in ("left", "right") for name, e in errors.get(side, {}).items()]
    if "cadence_spm" in errors:
        entries.append(("both", "cadence_spm", errors["cadence_spm"]))
    rows = []
    for side, name, e in entries:
        cells = [side, name] + [("&ndash;" if e[k] is None else f"{e[k]:.3f}") for k in ("measured", "true", "error")]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<h3>Measured vs ground truth</h3><table><tr><th>side</th><th>metric</th><th>measured</th>"
            f"<th>true</th><th>error</th></tr>{''.join(rows)}</table>")


def _summary_table(summary: dict) -> str:
    header = "<tr><th>Measure</th>" + "".join(f"<th>{side}</th>" for side in SIDES) + "</tr>"
    rows = []
    for metric, (label, unit) in METRICS.items():
        cells = []
        for side in SIDES:
            stats = summary["sides"][side]["metrics"][metric]
            if stats["mean"] is None:
                cell = stats["note"]
            else:
                digits = 3 if unit == "m" else 1
                cell = (f"{stats['mean']:.{digits}f} &plusmn; {stats['sd']:.{digits}f} {unit} "
                        f"(n={stats['n']})")
            if stats["n_missing"]:
                cell += f' <span class="note">({stats["n_missing"]} not measurable)</span>'
            cells.append(f"<td>{cell}</td>")
        rows.append(f"<tr><td>{_text(label)}</td>{''.join(cells)}</tr>")
    shares = [summary["sides"][side]["crossover_share"] for side in SIDES]
    rows.append("<tr><td>crossover steps</td>" + "".join(
        f"<td>{'&ndash;' if share is None else f'{100 * share:.0f} %'}</td>" for share in shares)
        + "</tr>")
    return "<table>\n" + "\n".join([header, *rows]) + "\n</table>"


def _rows_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="note">No trials.</p>'
    columns = list(dict.fromkeys(key for row in rows for key in row))
    header = "<tr>" + "".join(f"<th>{_text(c)}</th>" for c in columns) + "</tr>"
    body = ["<tr>" + "".join(f"<td>{_format(row.get(c))}</td>" for c in columns) + "</tr>"
            for row in rows]
    return "<table>\n" + "\n".join([header, *body]) + "\n</table>"


def _format(value, digits: int = 3) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return _text(value)


def _text(value) -> str:
    return html.escape(str(value))
