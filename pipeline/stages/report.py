"""`runlab report`: per-trial reports (--trial T), the study report (--study), or both."""
from __future__ import annotations

from pipeline.config import Config
from pipeline.gait.compare import headline_metrics
from pipeline.gait.metrics import TrialAnalysis
from pipeline.io import formats
from pipeline.report.figures import curves_figure, foot_placement_figure
from pipeline.report.html import calibration_section, render_trial_section, truth_section, write_report
from pipeline.stages.common import log
from pipeline.study import StudyPaths


def run(cfg: Config) -> None:
    for name in cfg.study.trials:
        run_trial(cfg, name)
    run_study(cfg)


def run_trial(cfg: Config, name: str) -> None:
    paths = StudyPaths.from_config(cfg)
    out_dir = paths.trial_report_dir(name)
    session = paths.session_of(name)
    data = formats.read_json(paths.analysis(name))
    analysis = TrialAnalysis.from_dict(data)
    points = formats.read_points3d(paths.points3d(name)).points
    forward = data["summary"]["forward"]   # the line of progression the analysis used
    figures = {
        "Sagittal angles over the gait cycle (mean ± SD, stance shaded)":
            curves_figure(points, analysis.fps, analysis.events, forward, out_dir / "sagittal.png"),
        "Frontal plane: pelvic drop and hip adduction":
            curves_figure(points, analysis.fps, analysis.events, forward, out_dir / "frontal.png",
                          ("pelvic_drop_deg", "hip_adduction_deg")),
        "Foot placement at foot strike, seen from behind":
            foot_placement_figure(analysis, out_dir / "feet.png"),
    }
    extra = truth_section(data["truth_errors"]) if "truth_errors" in data else ""
    sections = [calibration_section(formats.read_json(paths.calibration_quality(session))),
                render_trial_section(name, analysis, figures, extra)]
    write_report(out_dir / "index.html", f"{cfg.report.title}: {name}", sections, [])
    log.info("trial %s: report written to %s", name, out_dir / "index.html")


def run_study(cfg: Config) -> None:
    paths = StudyPaths.from_config(cfg)
    rows, study = [], {}
    for name, trial in cfg.study.trials.items():
        data = formats.read_json(paths.analysis(name))
        summary = data["summary"]
        study[name] = headline_metrics(data)
        rows.append({"trial": name, "subject": cfg.study.sessions[trial.session].subject,
                     "session": trial.session, "cadence (steps/min)": summary["cadence_spm"],
                     "strides L/R": f"{summary['sides']['left']['n_strides']}/{summary['sides']['right']['n_strides']}",
                     "flags": ", ".join(sorted({f["name"] for f in data["flags"]})) or "none"})
    out = paths.study_report_dir / "index.html"
    write_report(out, f"{cfg.report.title}: {cfg.study.name}", [], rows)
    formats.write_json(paths.study_metrics, {"trials": study})
    log.info("study report written to %s", out)
