"""Provenance in the reports: a footer block and a table cell (keys: docs/formats.md)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from pipeline.io.provenance import UNKNOWN, short

STYLE = (
    "footer.provenance { margin-top: 2em; border-top: 1px solid #ccc; font-size: 0.85em; color: #555; }"
    " footer.provenance code { word-break: break-all; }"
)


def _t(value) -> str:
    return html.escape(str(value))


def provenance_footer(prov: Mapping | None, what: str) -> str:
    """<footer> naming the code, config, calibration, detector and videos behind `what`."""
    if not prov:
        return (
            f'<footer class="provenance"><p>Provenance of {_t(what)}: not recorded (results '
            "written by a runlab before provenance was kept; rerun to record it).</p></footer>"
        )
    git = prov.get("git") or {}
    dirty = {True: " with uncommitted changes to pipeline/", False: "", None: " (changes unknown)"}
    rows = [
        ("runlab", prov.get("runlab_version", UNKNOWN)),
        ("git commit", f"{git.get('commit', UNKNOWN)}{dirty.get(git.get('dirty'), '')}"),
        (
            "config sha256",
            f"{prov.get('config_sha256', UNKNOWN)} (of: "
            f"{', '.join(prov.get('config_sections') or [])})",
        ),
    ]
    if "calibration_sha256" in prov:
        rows.append(("calibration sha256", prov.get("calibration_sha256") or "no calibration file"))
    detector = prov.get("detector")
    if detector:
        rows.append(
            (
                "detector",
                f"{detector.get('backend')}, checkpoint sha256 "
                f"{detector.get('checkpoint_sha256') or '(none: no checkpoint file)'}",
            )
        )
    videos = (prov.get("videos") or {}).get("cameras") or {}
    for camera, v in videos.items():
        rows.append(
            (
                f"video {camera}",
                f"{v.get('file')}: md5 {v.get('md5') or UNKNOWN}"
                + (f", sha256 {v['sha256']}" if v.get("sha256") else ""),
            )
        )
    items = "".join(f"<tr><th>{_t(k)}</th><td><code>{_t(v)}</code></td></tr>" for k, v in rows)
    return (
        f'<footer class="provenance"><p>Provenance of {_t(what)} (docs/formats.md):</p>'
        f"<table>{items}</table></footer>"
    )


def provenance_cell(prov: Mapping | None) -> str:
    return f'<td class="note">{_t(short(prov))}</td>'
