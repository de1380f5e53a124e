"""The per-trial HTML report: <trial report dir>/index.html, its figures as PNG files beside it,
the overlay videos in overlay/, and summary.json (what the study report reads).

Self-contained: every image and video is a relative file in the report folder, no script and
no external fetch, so the folder can be zipped, moved or opened from a USB stick.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.compare import TruthErrors
from pipeline.gait.curves import CurveSummary
from pipeline.gait.records import MetricStatistics, TrialSummary
from pipeline.gait.summary import METRICS
from pipeline.io import formats
from pipeline.io.atomic import write_text
from pipeline.io.import3d import ReferenceEvents
from pipeline.quality.detection import DetectionSummary
from pipeline.quality.verdict import Verdict
from pipeline.report.assessment import assessment_html, uncertain_patterns
from pipeline.report.figures import (
    FRONTAL,
    SAGITTAL,
    curves_figure,
    foot_midline_figure,
    knee_over_toe_figure,
    mean_curves,
    missing_data,
)
from pipeline.report.findings import Finding, findings, findings_html
from pipeline.report.html import STYLE, _summary_table, truth_section
from pipeline.report.provenance import STYLE as PROVENANCE_STYLE
from pipeline.report.provenance import provenance_footer
from pipeline.report.quality_sections import calibration_html, detection_html
from pipeline.report.reference_events import reference_events_html
from pipeline.report.references import NOTES, REFERENCES_DOC, SOURCES, references_href
from pipeline.report.study_records import (
    FindingBrief,
    FlagBrief,
    FootStrikeBrief,
    MetricMean,
    TrialOverview,
)
from pipeline.report.verdict import VERDICT_CLASS, VERDICT_STYLE, verdict_html, verdict_note
from pipeline.sync.result import SyncResult

EXTRA_STYLE = """
body { max-width: 75em; }
nav a { margin-right: 0.8em; }
table.findings td { vertical-align: top; } table.findings td:last-child { font-size: 0.9em; }
td.flagged { background: #fff3e0; } td.not-checked, td.not-measurable { color: #777; }
.warn { color: #b26a00; } .bad { color: #c62828; } tr.bad td { background: #ffebee; }
tr.warn td { background: #fff8e1; }
li.flag { border-left: 4px solid #e65100; background: #fff3e0; padding: 0.3em 0.6em;
          margin: 0.3em 0; list-style: none; }
video { max-width: 100%; border: 1px solid #ddd; }
.media { display: flex; flex-wrap: wrap; gap: 1em; }
.media figure { flex: 1 1 28em; margin: 0; }
dl.meta dt { font-weight: bold; float: left; clear: left; width: 9em; }
dl.meta dd { margin-left: 10em; }
"""

SECTIONS = {
    "findings": "Findings",
    "summary": "All measures",
    "curves": "Angle curves",
    "feet": "Foot placement",
    "knee": "Knee over toe",
    "landing": "Landing, bounce, consistency",
    "views3d": "3D view",
    "overlays": "Overlay videos",
    "calibration": "Calibration quality",
    "detection": "Detection quality",
    "references": "References",
}

# per-side means the study report shows (and compares before/after)
KEY_METRICS = (
    "step_width_m",
    "foot_to_midline_m",
    "pelvic_drop_deg",
    "peak_stance_knee_flexion_deg",
    "knee_over_toe_m",
    "knee_flexion_at_toe_off_deg",
    "ground_contact_time_ms",
    # issue #29 (gait/landing.py, bounce.py)
    "foot_strike_angle_deg",
    "overstride_m",
    "vertical_oscillation_m",
    "vertical_ratio",
    "step_length_m",
    "duty_factor",
)


@dataclass
class TrialInfo:
    """Who and what the trial is (from the study config); strings may be empty."""

    trial: str
    subject: str = ""
    session: str = ""
    session_label: str = ""
    session_date: str = ""
    condition: str = ""


@dataclass
class TrialMedia:
    """Relative links (from the report folder) to what overlay.render_media wrote."""

    overlays: list[dict] = field(default_factory=list)  # camera, href, format, still
    views_video: str | None = None
    views_format: str | None = None
    views_still: str | None = None
    key_event_sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    viewer: str | None = None  # the interactive 3D viewer page (viewer.html)
    exports: list[dict] = field(default_factory=list)  # label, hrefs, note (stages/export.py)


def write_trial_report(
    out_dir: Path,
    info: TrialInfo,
    analysis: TrialAnalysis,
    points: np.ndarray,
    forward,
    thresholds=None,
    calibration_quality: CalibrationQuality | None = None,
    calibration_href: str | None = None,
    detection: DetectionSummary | None = None,
    media: TrialMedia | None = None,
    truth_errors: TruthErrors | None = None,
    title: str = "Running analysis",
    verdict: Verdict | None = None,
    provenance: dict | None = None,
    sync: SyncResult | None = None,
    reference_events: ReferenceEvents | None = None,
) -> Path:
    """Write index.html, figures and summary.json into `out_dir`; returns index.html."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    media = media or TrialMedia()
    curves = analysis.curves
    if curves is None:
        raise ValueError(
            "the analysis has no curves (written by an older runlab): rerun `runlab analyze`"
        )
    draw = {
        "sagittal": lambda: curves_figure(
            curves, analysis.fps, out_dir / "curves_sagittal.png", SAGITTAL, True
        ),
        "frontal": lambda: curves_figure(
            curves, analysis.fps, out_dir / "curves_frontal.png", FRONTAL, True
        ),
        "feet": lambda: foot_midline_figure(analysis, out_dir / "foot_placement.png"),
        "knee": lambda: knee_over_toe_figure(
            points,
            analysis,
            forward,
            out_dir / "knee_over_toe.png",
            getattr(thresholds, "max_knee_over_toe_m", None),
        ),
    }
    # a figure with nothing to draw is one line saying why (str), not empty axes
    figs = {key: why or draw[key]() for key, why in missing_data(analysis).items()}
    rows = findings(analysis, thresholds)
    summary = analysis.summary
    state = "ok" if verdict is None else verdict.verdict
    findings_body = (
        verdict_html(verdict)
        if state == "failed"
        else verdict_html(verdict)
        + findings_html(
            rows,
            summary.cadence_spm,
            summary.poorly_observed_events,
            summary.untimed_on_dropouts,
            summary.contacts_not_found,
        )
    )
    parts = [
        _header(info, analysis, title, verdict),
        _section("findings", findings_body),
        _section(
            "summary",
            (verdict_note(state) + _summary_table(summary))
            + '<p class="note">Mean &plusmn; SD over strides, per side; definitions in '
            "docs/metrics.md." + _used_note(summary) + "</p>",
        ),
        _section(
            "curves",
            _figure(figs["sagittal"], "Sagittal-plane angles over the gait cycle")
            + _figure(figs["frontal"], "Frontal-plane angles over the gait cycle")
            + "<p>Mean &plusmn; SD over strides per side, 0 % = foot strike, shaded up to the "
            "mean toe-off (stance). Green: reference values from the lab's notes where they "
            "give one (knee flexion); other panels have none and say so.</p>",
        ),
        _section(
            "feet",
            _figure(figs["feet"], "Foot placement at foot strike, seen from behind")
            + "<p>Each dot is one foot strike: the foot point (between heel and big toe) "
            "relative to the pelvis centre. A left foot right of the line, or a right foot "
            "left of it, lands across the midline (crossover).</p>",
        ),
        _section(
            "knee",
            _figure(figs["knee"], "Knee over toe at peak stance knee flexion")
            + "<p>The stride with the median value per side, seen from the side, running "
            "to the right, at the instant of peak knee flexion in stance. The arrow is the "
            "horizontal distance from the big toe to the knee.</p>",
        ),
        _section("landing", assessment_html(summary, METRICS, analysis.strides)),
        _section("views3d", _views3d_html(media)),
        _section("overlays", _overlays_html(media)),
        _section(
            "calibration",
            calibration_html(calibration_quality, info.session or None, calibration_href),
        ),
        _section(
            "detection",
            detection_html(detection, sync)
            if detection
            else '<p class="note">No 2D keypoint file was available for this trial.</p>',
        ),
    ]
    if truth_errors is not None:
        parts.append('<section id="truth">' + truth_section(truth_errors) + "</section>")
    reference = reference_events_html(reference_events, analysis.events, analysis.fps)
    if reference:  # an imported trial's force plates or C3D events beside runlab's
        parts.append('<section id="reference-events">' + reference + "</section>")
    parts.append(_section("references", _references_html(references_href(out_dir))))
    parts.append(provenance_footer(provenance, "these results"))
    page = _page(f"{title}: {info.trial}", "\n".join(parts))
    index = out_dir / "index.html"
    write_text(index, page)
    formats.write_json(
        out_dir / "summary.json",
        replace(
            trial_summary(info, analysis, rows, curves), verdict=verdict, provenance=provenance
        ).to_dict(),
    )
    return index


def trial_summary(
    info: TrialInfo, analysis: TrialAnalysis, rows: list[Finding], curves: CurveSummary
) -> TrialOverview:
    """What the study report needs from one trial, without re-reading the 3D."""
    sides = analysis.summary.sides
    return TrialOverview(
        trial=info.trial,
        subject=info.subject,
        session=info.session,
        session_label=info.session_label,
        session_date=info.session_date,
        condition=info.condition,
        cadence_spm=analysis.summary.cadence_spm,
        n_strides={s: sides[s].n_strides for s in sides},
        means={s: {m: sides[s].metrics[m].mean for m in KEY_METRICS} for s in sides},
        # the study report's measurement error (issue #29): stride SD, n and SEM of each mean
        stats={s: {m: _metric_mean(sides[s].metrics[m]) for m in KEY_METRICS} for s in sides},
        flags=tuple(
            FlagBrief(f.name, f.side, f.value, f.threshold, f.n_strides) for f in analysis.flags
        ),
        findings=tuple(
            FindingBrief(r.check, r.side, r.status, r.mean, r.threshold, r.n) for r in rows
        ),
        curves=mean_curves(curves),
        foot_strike={s: _foot_strike_brief(analysis, s) for s in sides},
    )


def _foot_strike_brief(analysis: TrialAnalysis, side: str) -> FootStrikeBrief:
    n, uncertain = uncertain_patterns(analysis.strides, side)
    return FootStrikeBrief(analysis.summary.sides[side].foot_strike.pattern, n, len(uncertain))


def _metric_mean(stats: MetricStatistics) -> MetricMean:
    return MetricMean(stats.mean, stats.sd, stats.n, stats.sem, stats.shared_sd)


def _header(
    info: TrialInfo, analysis: TrialAnalysis, title: str, verdict: Verdict | None = None
) -> str:
    s = analysis.summary
    meta = [
        ("Subject", info.subject),
        (
            "Session",
            f"{info.session_label} ({info.session})" if info.session_label else info.session,
        ),
        ("Date", info.session_date),
        ("Condition", info.condition),
        (
            "Frames",
            f"{analysis.n_frames} at {analysis.fps:g} fps ({analysis.n_frames / analysis.fps:.1f} s)",
        ),
        ("Strides", ", ".join(f"{side} {block.n_strides}" for side, block in s.sides.items())),
    ]
    items = "".join(f"<dt>{_t(k)}</dt><dd>{_t(v) if v else '&ndash;'}</dd>" for k, v in meta)
    nav = "".join(f'<a href="#{key}">{_t(name)}</a>' for key, name in SECTIONS.items())
    state = None if verdict is None else verdict.verdict
    notes = 0 if verdict is None else sum(r.severity == "note" for r in verdict.reasons)
    label = f"{state} ({notes} note{'s' if notes > 1 else ''})" if notes else state
    badge = (
        f' <span class="verdict {VERDICT_CLASS[state]}">{_t(label)}</span>'
        if state in VERDICT_CLASS
        else ""
    )
    return (
        f'<h1>{_t(title)}: trial {_t(info.trial)}{badge}</h1><dl class="meta">{items}</dl>'
        f"<nav>{nav}</nav>"
    )


def _used_note(summary: TrialSummary) -> str:
    """How much of the trial the numbers come from (gait/observation.py), and why no cadence."""
    observation = summary.observation
    text = ""
    if observation is not None:
        text += (
            f" The analysed strides cover {100 * observation.analysed_share:.0f} % of the "
            f"trial ({100 * observation.observed_share:.0f} % of its frames observed)."
        )
    if summary.cadence_spm is None and summary.cadence_note:
        text += f" No cadence: {_t(summary.cadence_note)}."
    return text


def _section(key: str, body: str) -> str:
    return f'<section id="{key}"><h2>{_t(SECTIONS[key])}</h2>\n{body}\n</section>'


def _figure(figure: Path | str, caption: str) -> str:
    """A drawn figure (its Path), or the reason it was not drawn (str) as one line."""
    if isinstance(figure, Path):
        return _img(figure, caption)
    return f'<p class="note no-figure">{_t(caption)}: not drawn: {_t(figure)}.</p>'


def _img(href, caption: str) -> str:
    """`href` relative to the report folder (a figure Path is taken by its name: it is there)."""
    href = href.name if isinstance(href, Path) else href
    return (
        f'<figure><img src="{_t(href)}" alt="{_t(caption)}">'
        f"<figcaption>{_t(caption)}</figcaption></figure>"
    )


def _video(href: str, fmt: str | None, still: str | None, caption: str) -> str:
    if fmt == "webm":
        poster = f' poster="{_t(still)}"' if still else ""
        body = f'<video controls muted loop preload="metadata"{poster} src="{_t(href)}"></video>'
    else:  # mp4v does not play in browsers: show the still, link the file
        body = (
            (f'<img src="{_t(still)}" alt="{_t(caption)}">' if still else "")
            + '<br><span class="note">MPEG-4 (mp4v) does not play in a browser: open the file '
            "with VLC or a desktop player.</span>"
        )
    return f'<figure>{body}<figcaption>{_t(caption)} &ndash; <a href="{_t(href)}">video file</a></figcaption></figure>'


def _views3d_html(media: TrialMedia) -> str:
    parts = []
    link = (
        ""
        if not media.viewer
        else (
            f'<p><a class="viewer" href="{_t(media.viewer)}">Open the interactive 3D viewer</a>: turn '
            "the runner around, scrub to a foot strike, and see each camera's overlay video at the "
            "same frame.</p>"
        )
    )
    if media.key_event_sheet:
        parts.append(
            _img(
                media.key_event_sheet,
                "Skeleton at key events of one stride per side: "
                "foot strike, peak knee flexion, toe-off",
            )
        )
    if media.views_video:
        parts.append(
            _video(
                media.views_video, media.views_format, media.views_still, "3D view over the trial"
            )
        )
    link += _exports_html(media.exports)
    if not parts:
        return (
            link + '<p class="note">3D views were not rendered (report.overlay_videos is off).</p>'
        )
    return link + (
        "<p>The triangulated skeleton seen from behind, from the right and from above "
        "(left side blue, right side red; floor grey; dashed purple line = pelvis centre, "
        "the midline used for crossover).</p>" + "".join(parts)
    )


def _exports_html(exports: list[dict]) -> str:
    if not exports:
        return ""
    items = []
    for e in exports:
        files = (
            ", ".join(f'<a href="{_t(h)}">{_t(Path(h).name)}</a>' for h in e["hrefs"])
            or "not written"
        )
        note = f' <span class="note">({_t(e["note"])})</span>' if e["note"] else ""
        items.append(f"<li>{_t(e['label'])}: {files}{note}</li>")
    return (
        "<p>For other tools (docs/exports.md): OpenSim, C3D readers, animation software.</p>"
        f'<ul class="exports">{"".join(items)}</ul>'
    )


def _overlays_html(media: TrialMedia) -> str:
    if not media.overlays:
        return (
            '<p class="note">Overlay videos were not rendered (report.overlay_videos is off '
            "or the trial videos are not available).</p>"
            + "".join(f"<p>{_t(n)}</p>" for n in media.notes)
        )
    figures = "".join(
        _video(o["href"], o["format"], o.get("still"), f"camera {o['camera']}")
        for o in media.overlays
    )
    return (
        "<p>The 3D skeleton projected back into each camera (thick; left blue, right red) over "
        "the video, and the 2D detector's keypoints (thin yellow). Where the thick skeleton "
        "leaves the body in one camera, the 3D there is wrong; where only the thin one is off, "
        "that camera's detection was wrong and the other views outvoted it.</p>"
        f'<div class="media">{figures}</div>'
        + "".join(f'<p class="note">{_t(n)}</p>' for n in media.notes)
    )


def _references_html(href: str | None = None) -> str:
    items = "".join(f"<li>{_t(text)}</li>" for text in SOURCES.values())
    notes = (
        _t(NOTES).replace(REFERENCES_DOC, f'<a href="{_t(href)}">{REFERENCES_DOC}</a>')
        if href
        else _t(NOTES)
    )
    return (
        f"<p>Reference values and their sources, as collected in {notes}:</p><ul>{items}</ul>"
        '<p class="note">Measures: '
        + ", ".join(_t(label) for label, _ in METRICS.values())
        + ". Definitions and conventions: docs/metrics.md; how to read this report: "
        "docs/reports.md.</p>"
    )


def _page(title: str, body: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{_t(title)}</title>",
            f"<style>{STYLE}{EXTRA_STYLE}{VERDICT_STYLE}{PROVENANCE_STYLE}</style>",
            "</head>",
            "<body>",
            body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _t(value) -> str:
    return html.escape(str(value))
