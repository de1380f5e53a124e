"""Calibration and detection quality for the trial report: numbers first, then HTML.

Both say how far the 3D can be trusted: a camera with a high reprojection error or few
confident keypoints feeds less (or worse) data to the triangulation.
"""

from __future__ import annotations

import html

from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.core.skeleton import KEYPOINTS
from pipeline.quality.detection import DetectionSummary, TriangulationSummary
from pipeline.sync.result import SyncResult

VERDICT_CLASS = {"pass": "ok", "warn": "warn", "fail": "bad"}


def triangulation_html(t: TriangulationSummary) -> str:
    """Gates per camera and keypoint group, repairs and what post-processing undid."""
    groups = t.groups
    lowpass = f"at {t.lowpass_hz:g} Hz" if t.lowpass_hz else "off"
    head = "".join(f"<th>{_t(g)}</th>" for g in groups)
    rows = "".join(
        f"<tr><td>{_t(c)}</td>"
        + "".join(
            f"<td>{gate:.0f}"
            + (f' <span class="note">({med:.0f})</span>' if med is not None else "")
            + "</td>"
            for gate, med in zip(t.gates_px[c], t.median_px[c])
        )
        + f"<td>{t.swaps_repaired[c]}</td>"
        + _steady_cell(t.steady_px.get(c))
        + "</tr>"
        for c in t.gates_px
    )
    how = (
        "estimated from this trial's own residuals: median + 4 robust SD per camera and "
        "keypoint group, in brackets the median"
        if t.rejection == "adaptive"
        else "fixed (triangulation.max_reprojection_px)"
    )
    parts = [
        f"<p>Triangulation: {_pct(t.measured_share)} of the keypoint-frames the detector "
        "provides were measured from agreeing views; the rest of the 3D is gap-filled "
        f"({t.gap_filled} keypoint-frames) or missing. A view farther than its camera's "
        f"gate (px) from the others is left out; gates {_t(how)}.</p>",
        f"<table><tr><th>camera</th>{head}<th>left/right repaired (frames)</th>"
        f"<th>steady / scatter (px)</th></tr>{rows}</table>",
        '<p class="note">Steady: how far, over the whole trial, the camera\'s keypoints sit '
        "from where the other views place them (a calibration that does not describe the "
        "camera); scatter: the detector's error around that (docs/verdicts.md).</p>",
        f"<p>Post-processing: {t.despiked} one-frame spikes removed; {t.reverted} points "
        "that gap filling, refinement or the low-pass moved away from their views were put "
        f"back; low-pass {lowpass}.</p>",
    ]
    parts += [f'<p class="warn">{_t(w)}</p>' for w in t.warnings]
    return "\n".join(parts)


def detection_html(stats: DetectionSummary, sync: SyncResult | None = None) -> str:
    cams = list(stats.cameras)
    parts = [
        f"<p>Share of 2D keypoints with a detector score of at least {stats.min_score:g} "
        f"(the triangulation's <code>min_score</code>), over {stats.n_frames} frames x "
        f"{len(KEYPOINTS)} keypoints:</p>",
        "<table><tr>"
        + "".join(f"<th>{_t(c)}</th>" for c in cams)
        + "</tr><tr>"
        + "".join(f"<td>{_pct(v)}</td>" for v in stats.cameras.values())
        + "</tr></table>",
    ]
    low = [c for c, v in stats.cameras.items() if v < 0.8]
    if low:
        parts.append(
            f'<p class="warn">Below 80 % in {", ".join(map(_t, low))}: check that the '
            "runner is fully in view and lit in that camera (see its overlay video).</p>"
        )
    with_views = any(r.mean_views is not None for r in stats.keypoints.values())
    head = "".join(f"<th>{_t(c)} confident / used</th>" for c in cams)
    if with_views:
        head += "<th>mean views used</th><th>frames from &ge; 2 views</th><th>gap-filled or missing</th>"
    rows = []
    for name, r in stats.keypoints.items():
        cells = "".join(
            f"<td>{_pct(r.confident[c])}"
            + (f" / {_pct(r.used_by_camera[c])}" if r.used_by_camera is not None else "")
            + "</td>"
            for c in cams
        )
        if with_views:
            cells += (
                f"<td>{r.mean_views:.2f}</td><td>{_pct(r.triangulated)}</td>"
                f"<td>{_pct(0.0 if r.gap_filled_or_missing is None else r.gap_filled_or_missing)}</td>"
            )
        rows.append(f"<tr><td>{_t(name)}</td>{cells}</tr>")
    parts.append(
        "<details><summary>Per keypoint: detections and the views the 3D used</summary>"
        f"<table><tr><th>keypoint</th>{head}</tr>{''.join(rows)}</table>"
        '<p class="note">"used" = share of frames in which that camera\'s view entered the '
        "3D point (views_used of the 3D file); the robust triangulation drops views that "
        "disagree with the others.</p></details>"
    )
    if stats.triangulation is not None:
        parts.append(triangulation_html(stats.triangulation))
    if sync is not None:
        parts.append(sync_html(sync))
    return "\n".join(parts)


def sync_html(sync: SyncResult) -> str:
    """Camera time offsets from sync.json: per camera the offset and its confidence."""
    if sync.status == "off":
        return '<p class="note">Camera synchronization: not checked (sync.mode = off).</p>'
    cams = list(sync.offsets_frames)
    cells = "".join(
        f"<tr><td>{_t(c)}</td><td>{_num(sync.offsets_frames[c], 2)}</td>"
        f"<td>{_num(sync.offsets_ms[c], 1)}</td><td>{_num(sync.sd_frames[c], 2)}</td>"
        f"<td>{_num(sync.confidence[c], 2)}</td></tr>"
        for c in cams
    )
    applied = (
        "applied in triangulation (sync.mode = correct)"
        if sync.mode == "correct"
        else "checked, not applied (sync.mode = check)"
    )
    source = {
        "keypoints": "from the keypoints' cross-view agreement",
        "timestamps": "from the frame timestamps",
    }.get(sync.method, sync.method)
    parts = [
        f"<p>Camera synchronization, {_t(source)}; {applied}. Offset d of each "
        f"camera against {_t(sync.reference)}, in frames at {sync.fps:g} fps: its "
        "frame k shows the reference's instant k + d. Confidence 0.5 = a standard error of "
        "0.25 frame; lower is not a measurement.</p>",
        "<table><tr><th>camera</th><th>offset (frames)</th><th>offset (ms)</th>"
        f"<th>standard error (frames)</th><th>confidence</th></tr>{cells}</table>",
    ]
    verdict = sync.status
    parts.append(
        f'<p>Synchronization: <b class="{"ok" if verdict == "ok" else "warn"}">'
        f"{_t(verdict)}</b></p>"
    )
    parts += [f'<p class="warn">{_t(r)}</p>' for r in sync.reasons if verdict != "ok"]
    return "\n".join(parts)


def calibration_html(
    quality: CalibrationQuality | None,
    session: str | None = None,
    quality_href: str | None = None,
) -> str:
    """Per-camera reprojection error and board frames, the gate verdicts, a link to the
    session's full calibration report when there is one."""
    where = f" (session {_t(session)})" if session else ""
    if quality is None:
        return f'<p class="warn">No calibration quality file found{where}.</p>'
    truth = quality.truth_comparison or {}
    head = (
        "<tr><th>camera</th><th>median reprojection error (px)</th><th>intrinsic RMS (px)</th>"
        "<th>frames with the board</th>"
        + ("<th>centre error vs truth (mm)</th><th>orientation error (deg)</th>" if truth else "")
        + "</tr>"
    )
    rows = []
    for name, q in quality.cameras.items():
        t = truth.get(name)
        found = q.detected_frames if q.has("detected_frames") else "&ndash;"
        frames = q.frames if q.has("frames") else "&ndash;"
        rows.append(
            f"<tr><td>{_t(name)}</td><td>{_num(q.reprojection_median_px, 2)}</td>"
            f"<td>{_num(q.intrinsic_rms_px, 2)}</td>"
            f"<td>{found} of {frames}</td>"
            + (
                f"<td>{_num(t.center_error_mm, 1)}</td><td>{_num(t.orientation_error_deg, 3)}</td>"
                if t
                else ("<td></td><td></td>" if truth else "")
            )
            + "</tr>"
        )
    parts = [
        f"<p>Calibration{where}: the reprojection error is how far, in pixels, the "
        "calibrated cameras put the board's corners from where they were seen; below 0.5 px "
        "is good (the lab's reference notes give intrinsic RMS below 0.5 px for a good "
        "ChArUco calibration).</p>",
        f"<table>{head}{''.join(rows)}</table>",
    ]
    gates = None if quality.gates is None else [g.as_dict() for g in quality.gates]
    if gates is None:
        parts.append(
            '<p class="note">This calibration was made before the quality gates existed; '
            "recalibrate to see them.</p>"
        )
    else:
        verdict = _overall(gates)
        items = "".join(
            f'<tr class="{VERDICT_CLASS.get(g["verdict"], "")}"><td>{_t(g["name"])}</td>'
            f"<td>{_t(g['verdict'])}</td><td>{_num(g.get('value'), 3)}</td>"
            f"<td>{_num(g.get('threshold'), 3)}</td><td>{_t(g['message'])}</td></tr>"
            for g in gates
        )
        parts.append(
            f'<p>Quality gates: <b class="{VERDICT_CLASS.get(verdict, "")}">{_t(verdict)}</b> '
            f"({sum(g['verdict'] == 'pass' for g in gates)} of {len(gates)} pass).</p>"
            "<details><summary>All gates</summary><table><tr><th>gate</th><th>verdict</th>"
            f"<th>value</th><th>limit</th><th>message</th></tr>{items}</table></details>"
        )
    if quality_href:
        parts.append(
            f'<p><a href="{_t(quality_href)}">Full calibration quality report of this '
            "session</a></p>"
        )
    return "\n".join(parts)


def _steady_cell(values) -> str:
    if not values or values[0] is None or values[1] is None:
        return "<td>-</td>"
    return f"<td>{values[0]:.1f} / {values[1]:.1f}</td>"


def _overall(gates: list[dict]) -> str:
    verdicts = {g["verdict"] for g in gates}
    return "fail" if "fail" in verdicts else "warn" if "warn" in verdicts else "pass"


def _pct(value) -> str:
    return "&ndash;" if value is None else f"{100 * value:.0f} %"


def _num(value, digits: int) -> str:
    return "&ndash;" if value is None else f"{value:.{digits}f}"


def _t(value) -> str:
    return html.escape(str(value))
