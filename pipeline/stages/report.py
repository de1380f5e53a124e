"""`runlab report`: analysis + 3D + calibration quality -> <results>/report/index.html."""
from __future__ import annotations

from pipeline.config import Config
from pipeline.gait.metrics import TrialAnalysis
from pipeline.io import formats
from pipeline.report.figures import curves_figure, foot_placement_figure
from pipeline.report.html import calibration_section, render_trial_section, truth_section, write_report
from pipeline.stages.common import log
from pipeline.study import StudyPaths


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
