"""`runlab report`: analysis + 3D + calibration quality -> <results>/report/index.html."""
from __future__ import annotations

import html

from pipeline.config import Config
from pipeline.gait.metrics import TrialAnalysis
from pipeline.io import formats
from pipeline.report.figures import curves_figure, foot_placement_figure
from pipeline.report.html import render_trial_section, write_report
from pipeline.stages.common import log
from pipeline.study import StudyPaths


def calibration_section(quality: dict) -> str:
    rows = []
    for name, q in quality["cameras"].items():
        truth = quality.get("truth_comparison", {}).get(name)
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{q['reprojection_median_px']:.2f}</td>"
                    f"<td>{q['detected_frames']} of {q['frames']}</td>"
                    + (f"<td>{truth['center_error_mm']:.1f}</td><td>{truth['orientation_error_deg']:.3f}</td>"
                       if truth else "") + "</tr>")
    truth_head = "<th>centre error vs truth (mm)</th><th>orientation error (deg)</th>" \
        if "truth_comparison" in quality else ""
    gates = [g for g in quality.get("gates", []) if g["verdict"] != "pass"]
    gate_items = "".join(f'<li><b>{html.escape(g["verdict"])}</b>: {html.escape(g["message"])}</li>' for g in gates)
    verdict = quality.get("gates_verdict", "pass")
    return ("<section><h2>Calibration quality</h2><table><tr><th>camera</th>"
            "<th>median reprojection error (px)</th><th>frames with the board</th>"
            f"{truth_head}</tr>{''.join(rows)}</table>"
            f"<p>Quality gates: <b>{html.escape(verdict)}</b>"
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


def run(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    out_dir = paths.report_dir
    sections = [calibration_section(formats.read_json(paths.calibration_quality))]
    rows = []
    for trial in cfg.study.trials:
        data = formats.read_json(paths.metrics(trial.name))
        analysis = TrialAnalysis.from_dict(data)
        points = formats.read_points3d(paths.points3d(trial.name)).points
        forward = data["summary"]["forward"]   # the line of progression the analysis used
        figures = {
            "Sagittal angles over the gait cycle (mean ± SD, stance shaded)":
                curves_figure(points, analysis.fps, analysis.events, forward, out_dir / f"{trial.name}_sagittal.png"),
            "Frontal plane: pelvic drop and hip adduction":
                curves_figure(points, analysis.fps, analysis.events, forward, out_dir / f"{trial.name}_frontal.png",
                              ("pelvic_drop_deg", "hip_adduction_deg")),
            "Foot placement at foot strike, seen from behind":
                foot_placement_figure(analysis, out_dir / f"{trial.name}_feet.png"),
        }
        extra = truth_section(data["truth_errors"]) if "truth_errors" in data else ""
        sections.append(render_trial_section(trial.name, analysis, figures, extra))
        summary = analysis.summary
        rows.append({"trial": trial.name, "cadence (steps/min)": summary["cadence_spm"],
                     "strides L/R": f"{summary['sides']['left']['n_strides']}/{summary['sides']['right']['n_strides']}",
                     "flags": ", ".join(sorted({f["name"] for f in analysis.flags})) or "none"})
    write_report(out_dir / "index.html", f"{cfg.report.title}: {cfg.study.name}", sections, rows)
    log.info("report written to %s", out_dir / "index.html")
