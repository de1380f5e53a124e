"""quality.html: the calibration's quality report for the lab technician who recorded it.

A pure function of the CalibrationQuality (quality.json): one self-contained page, plots as
inline SVG, no scripts and nothing fetched, no timestamp (the same calibration gives the
same file, so DVC sees no change).
"""

from __future__ import annotations

from html import escape

from pipeline.calibration.gates import GateThresholds
from pipeline.calibration.measure_records import FloorFrame
from pipeline.calibration.quality_record import CalibrationQuality, CameraQuality

VERDICT_COLOUR = {"pass": "#2e7d32", "warn": "#ef8f00", "fail": "#c62828"}
VERDICT_WORDS = {
    "pass": "Calibration passed: every check is within its limits. It can be used.",
    "warn": "Calibration usable, with warnings: it can be used, but the recording could be "
    "better. The warnings below say what to change next time.",
    "fail": "Calibration failed: do not use it. Record the board again as the failed checks "
    "below say (or, if you must use this session, list the check in "
    "calibration.allow_failed_gates).",
}
CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}.banner{padding:1em;
color:#fff;border-radius:6px;font-size:1.15em}.note{color:#555;font-size:.92em}
.maps{display:flex;flex-wrap:wrap;gap:1.2em}.maps figure{margin:0}"""


def _t(value) -> str:
    return escape(str(value))


def _num(value, digits: int = 2) -> str:
    return "&ndash;" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "&ndash;" if value is None else f"{100 * value:.0f} %"


def _verdict(v: str) -> str:
    return f'<b style="color:{VERDICT_COLOUR.get(v, "#222")}">{_t(v)}</b>'


def _bars(
    rows: list[tuple[str, float | None]],
    limits: list[tuple[float, str]],
    unit: str,
    width: int = 520,
) -> str:
    """Horizontal bar chart as SVG; `limits` are (value, label) vertical lines."""
    top = max([v for _, v in rows if v is not None] + [l for l, _ in limits] + [1e-9]) * 1.15
    row_h, left = 22, 90
    height = row_h * len(rows) + 30
    x = lambda v: left + (width - left - 10) * v / top
    parts = [
        f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" font-size="12">'
    ]
    for i, (name, v) in enumerate(rows):
        y = 8 + i * row_h
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_t(name)}</text>')
        if v is not None:
            parts.append(
                f'<rect x="{left}" y="{y + 3}" width="{x(v) - left:.1f}" height="14" '
                f'fill="#4a78b5"/><text x="{x(v) + 4:.1f}" y="{y + 14}">{v:.2f}</text>'
            )
    for value, label in limits:
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="4" y2="{height - 18}" '
            f'stroke="#c62828" stroke-dasharray="4 3"/><text x="{x(value):.1f}" '
            f'y="{height - 4}" text-anchor="middle" fill="#c62828">{_t(label)}</text>'
        )
    parts.append(f'<text x="{width - 10}" y="{height - 4}" text-anchor="end">{_t(unit)}</text>')
    return "".join(parts) + "</svg>"


def _heat_map(counts: list[list[int]], image_size, width: int = 240) -> str:
    """Image-shaped grid, each cell shaded by how many board views had a corner in it;
    empty cells are red-hatched (the lens model is extrapolated there)."""
    rows, cols = len(counts), len(counts[0])
    w, h = image_size
    height = int(width * h / w)
    cw, ch = width / cols, height / rows
    top = max(max(r) for r in counts) or 1
    parts = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for r, row in enumerate(counts):
        for c, n in enumerate(row):
            if n:
                shade = int(235 - 190 * min(1.0, n / top))
                fill = f"rgb({shade},{shade + 10 if shade < 245 else 255},255)"
            else:
                fill = "#f6d5d5"
            parts.append(
                f'<rect x="{c * cw:.1f}" y="{r * ch:.1f}" width="{cw:.1f}" '
                f'height="{ch:.1f}" fill="{fill}" stroke="#fff"/>'
            )
            parts.append(
                f'<text x="{(c + 0.5) * cw:.1f}" y="{(r + 0.5) * ch + 4:.1f}" '
                f'font-size="10" text-anchor="middle">{n}</text>'
            )
    return (
        "".join(parts)
        + f'<rect width="{width}" height="{height}" fill="none" stroke="#333"/></svg>'
    )


def _shared_matrix(names: list[str], shared: dict, minimum: int) -> str:
    def count(a, b):
        return shared.get(f"{a}/{b}", shared.get(f"{b}/{a}"))

    head = "".join(f"<th>{_t(n)}</th>" for n in names)
    rows = []
    for a in names:
        cells = []
        for b in names:
            n = None if a == b else count(a, b)
            colour = "#eee" if n is None else "#d8efd8" if n >= minimum else "#f6d5d5"
            cells.append(f'<td style="background:{colour}">{"" if n is None else n}</td>')
        rows.append(f"<tr><th>{_t(a)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def quality_html(quality: CalibrationQuality, title: str = "Calibration quality") -> str:
    """The whole page for one calibration's quality report (with its gates and thresholds:
    the page says what passed against which limit)."""
    if quality.gate_thresholds is None or quality.gates is None or quality.gates_verdict is None:
        raise ValueError(
            "quality_html needs a quality report with its gates, gate thresholds "
            "and verdict (as solve_calibration fills them)"
        )
    cams = quality.cameras
    names = list(cams)
    t: GateThresholds = quality.gate_thresholds
    gates = [g.as_dict() for g in quality.gates]
    verdict = quality.gates_verdict
    out = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_t(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{_t(title)}</h1>",
        f'<p class="banner" style="background:{VERDICT_COLOUR.get(verdict, "#555")}">'
        f"{_t(VERDICT_WORDS.get(verdict, verdict))}</p>",
    ]
    bad = [g for g in gates if g["verdict"] != "pass"]
    if bad:
        out.append(
            "<h2>What to do</h2><ul>"
            + "".join(f"<li>{_verdict(g['verdict'])}: {_t(g['message'])}</li>" for g in bad)
            + "</ul>"
        )

    out.append(
        "<h2>Cameras</h2><table><tr><th class='l'>camera</th><th>frames with the board"
        "</th><th>usable frames</th><th>median / mean reprojection error (px)</th>"
        "<th>lens model from</th><th>lens fit RMS (px)</th><th>image covered</th>"
        "<th>board nearest / farthest (m)</th><th>height above floor (m)</th></tr>"
    )
    heights = quality.floor.camera_heights_m if isinstance(quality.floor, FloorFrame) else {}
    for name, q in cams.items():
        out.append(
            f"<tr><td class='l'>{_t(name)}</td><td>{_kept(q, 'detected_frames')} of "
            f"{_kept(q, 'frames')}</td><td>{_kept(q, 'usable_frames')}</td>"
            f"<td>{_num(q.reprojection_median_px)} / {_num(q.reprojection_mean_px)}"
            f"</td><td class='l'>{_t(_kept(q, 'intrinsics_from', 'these videos'))}</td>"
            f"<td>{_num(q.intrinsic_rms_px)}</td>"
            f"<td>{_pct(q.board_coverage)}</td>"
            f"<td>{_num(q.near_m)} / {_num(q.far_m)}</td>"
            f"<td>{_num(heights.get(name))}</td></tr>"
        )
    out.append("</table>")

    warn, fail = t.reprojection_warn_px, t.reprojection_fail_px
    out.append(
        "<h2>Reprojection error</h2><p>How far, in pixels, the calibrated cameras put "
        "the board's corners from where each camera saw them (median per camera). "
        f"Below {warn} px is good; above {fail} px the calibration fails.</p>"
    )
    out.append(
        _bars(
            [(n, q.reprojection_median_px) for n, q in cams.items()],
            [(warn, f"warn {warn}"), (fail, f"fail {fail}")],
            "px",
        )
    )

    if quality.pairwise_shared_frames is not None:
        minimum = t.min_shared_frames
        out.append(
            "<h2>Frames seen together by each pair of cameras</h2><p>Cameras are tied "
            "together by frames in which both see the board. Green: at least "
            f"{minimum} frames. Red: fewer; that is fine for cameras facing each other "
            "as long as each is tied to its neighbours.</p>"
        )
        out.append(_shared_matrix(names, quality.pairwise_shared_frames, minimum))

    maps = [(n, q) for n, q in cams.items() if q.coverage_counts]
    if maps:
        cw = t.coverage_warn
        out.append(
            "<h2>Where the board was seen in each image</h2><p>Each cell of the image "
            "counts the board views with a corner in it. The lens model is only "
            "measured where the board went: red cells were never covered. Aim for "
            f"at least {100 * cw:.0f} % of the cells, corners and edges included.</p>"
            "<div class='maps'>"
        )
        for n, q in maps:
            out.append(
                f"<figure>{_heat_map(q.coverage_counts or [], _kept(q, 'image_size', (16, 9)))}"
                f"<figcaption>{_t(n)}: {100 * (q.board_coverage or 0.0):.0f} % covered"
                "</figcaption></figure>"
            )
        out.append("</div>")

    if any(q.far_near_ratio is not None for q in cams.values()):
        rw = t.distance_ratio_warn
        out.append(
            "<h2>Near and far</h2><p>Board distance from each camera (10th to 90th "
            "percentile) and the far / near ratio. Holding the board at several "
            f"distances (ratio at least {rw}) separates focal length from distance.</p>"
            "<table><tr><th class='l'>camera</th><th>near (m)</th><th>far (m)</th>"
            "<th>far / near</th></tr>"
            + "".join(
                f"<tr><td class='l'>{_t(n)}</td><td>{_num(q.near_m)}</td>"
                f"<td>{_num(q.far_m)}</td><td>{_num(q.far_near_ratio)}</td>"
                "</tr>"
                for n, q in cams.items()
            )
            + "</table>"
        )

    size = quality.board_size
    if size is not None and size.measured_square_mm is not None and size.relative_error is not None:
        diff = size.measured_square_mm - size.configured_square_mm
        out.append(
            "<h2>Board size check</h2><p>The board's squares, measured between corners "
            f"located in 3D by the cameras: <b>{size.measured_square_mm:.2f} mm</b> "
            f"against the configured {size.configured_square_mm:.2f} mm "
            f"({diff:+.2f} mm, {100 * size.relative_error:+.2f} %). A large difference "
            "means a warped board, unsynchronized videos or a wrong lens model. The "
            f"calibration assumed squares of {size.configured_square_mm:.2f} mm: a wrongly "
            "measured square length does not show here (it scales the whole rig, which "
            "stays consistent). Check it with a caliper; each trial's analysis checks the "
            "3D's scale against the belt speed, the subject's height "
            "(study.sessions.&lt;session&gt;.height_m) or a recorded overground speed "
            "(verdict reason scale_mismatch, docs/metrics.md).</p>"
        )

    floor = quality.floor
    if floor is not None:
        text = f"World frame: {_t(floor.world_frame)}."
        if isinstance(floor, FloorFrame):
            text += (
                f" The floor board was seen by {_t(', '.join(floor.cameras_seeing_floor_board))};"
                f" it fits a flat board within {floor.floor_fit_rms_mm:.2f} mm (RMS)."
            )
        out.append(f"<h2>Floor and world frame</h2><p>{text}</p>")

    truth = quality.truth_comparison
    if truth:
        out.append(
            "<h2>Against the known rig (synthetic study)</h2><table><tr><th class='l'>"
            "camera</th><th>centre error (mm)</th><th>orientation error (deg)</th></tr>"
            + "".join(
                f"<tr><td class='l'>{_t(n)}</td><td>{t.center_error_mm:.2f}</td>"
                f"<td>{t.orientation_error_deg:.3f}</td></tr>"
                for n, t in truth.items()
            )
            + "</table>"
        )

    if gates:
        out.append(
            "<h2>All checks</h2><table><tr><th class='l'>check</th><th>verdict</th>"
            "<th>value</th><th>limit</th><th class='l'>what it means</th></tr>"
            + "".join(
                f"<tr><td class='l'>{_t(g['name'])}</td><td>{_verdict(g['verdict'])}</td>"
                f"<td>{_num(g.get('value'), 3)}</td><td>{_num(g.get('threshold'), 3)}</td>"
                f"<td class='l'>{_t(g['message'])}</td></tr>"
                for g in gates
            )
            + "</table>"
        )
    out.append(
        '<p class="note">Numbers from quality.json beside this file; thresholds from '
        "calibration.gates in the config.</p></body></html>"
    )
    return "\n".join(out)


def _kept(q: CameraQuality, key: str, missing: object = "") -> object:
    """The entry's value as the file holds it (a null shows as None), `missing` without it."""
    return getattr(q, key) if q.has(key) else missing
