"""The report stage on the study layout (pipeline/study.py): run_trial writes the trial report
folder with overlays from the files the earlier stages write; run_study builds the study
report and metrics.json from the trial folders."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pipeline.config import validate
from pipeline.gait.compare import headline_metrics
from pipeline.io import formats
from pipeline.io.video import probe
from pipeline.stages import report
from pipeline.study import StudyPaths
from test_report_helpers import small_trial


def _config(tmp_path, **report_cfg):
    return validate({
        "study": {"name": "stage", "data_dir": str(tmp_path / "data"), "results_dir": str(tmp_path / "results"),
                  "sessions": {"v1": {"subject": "R01", "date": "2026-10-01", "label": "before"},
                               "v2": {"subject": "R01", "date": "2026-11-01", "label": "after"}},
                  "trials": {"t_before": {"session": "v1", "condition": "3.0 m/s"},
                             "t_after": {"session": "v2", "condition": "3.0 m/s"}}},
        "rig": {"cameras": ["cam_0", "cam_1"], "fps": 60.0, "width": 960, "height": 540},
        "triangulation": {"lowpass_hz": 12.0},
        "report": {"overlay_width_px": 320, "overlay_max_frames": 30, **report_cfg},
    })


def _lay_out(cfg, tmp_path):
    """What synth/calibrate/detect/triangulate/analyze leave on disk, from small trials."""
    paths = StudyPaths.from_config(cfg)
    for name, runner in (("t_before", {}), ("t_after", {"step_width_m": -0.02})):
        trial = small_trial(tmp_path / "scratch" / name, duration_s=3.0, **runner)
        session = cfg.study.trials[name].session
        paths.trial_dir(name).mkdir(parents=True, exist_ok=True)
        for video in trial.videos:
            shutil.copy(video, paths.trial_dir(name) / video.name)
        formats.write_calibration(paths.calibration(session), formats.Calibration(trial.cameras))
        formats.write_json(paths.calibration_quality(session), {"cameras": {
            c.name: {"frames": 60, "detected_frames": 40, "reprojection_median_px": 0.2}
            for c in trial.cameras}, "gates": []})
        formats.write_keypoints2d(paths.keypoints2d(name), formats.Keypoints2D(
            trial.detections, ["cam_0", "cam_1"], trial.fps, "synthetic", ["", ""]))
        n_views = trial.views_used.sum(axis=2)
        formats.write_points3d(paths.points3d(name), formats.Points3D(
            trial.points, n_views * 0.5, n_views, trial.fps, trial.views_used, ["cam_0", "cam_1"],
            np.zeros(trial.detections.shape[:2], bool)))
        result = {"trial": name, "session": session, **trial.analysis.to_dict()}
        formats.write_json(paths.analysis(name), result)
        formats.write_json(paths.trial_metrics(name), headline_metrics(result))
    return paths


def test_run_trial_and_run_study(tmp_path):
    cfg = _config(tmp_path)
    paths = _lay_out(cfg, tmp_path)
    for name in cfg.study.trials:
        index = report.run_trial(cfg, name)
        assert index == paths.trial_report_dir(name) / "index.html"
        overlay = paths.trial_report_dir(name) / "overlay"
        for cam in ("cam_0", "cam_1"):
            info = probe(overlay / f"{cam}.webm")
            assert (info.width, info.n_frames) == (320, 30)
        page = index.read_text()
        assert "Subject</dt><dd>R01" in page and "overlay/cam_1.webm" in page
        assert "Calibration (session v" in page
    after = json.loads((paths.trial_report_dir("t_after") / "summary.json").read_text())
    assert {f["name"] for f in after["flags"]} >= {"crossover"}

    study = report.run_study(cfg).read_text()
    assert 'href="../trials/t_before/report/index.html"' in study
    assert "Subject R01" in study and "before" in study and "after" in study
    metrics = formats.read_json(paths.study_metrics)
    assert set(metrics["trials"]) == {"t_before", "t_after"}
    assert metrics["trials"]["t_after"]["cadence_spm"] == pytest.approx(after["cadence_spm"])
    # provenance (issue 18): the study's in metrics.json and the footer; the trials here were
    # laid out without one, which the table and the trial footer say
    prov = metrics["provenance"]
    assert set(prov) >= {"runlab_version", "git", "config_sha256"} and len(prov["config_sha256"]) == 64
    assert "Provenance of this study report" in study and prov["config_sha256"] in study
    assert "<th>produced by</th>" in study and '<td class="note">not recorded</td>' in study
    assert "Provenance of these results: not recorded" in (paths.trial_report_dir("t_after") / "index.html").read_text()


def test_overlays_off_and_missing_videos(tmp_path):
    cfg = _config(tmp_path, overlay_videos=False)
    paths = _lay_out(cfg, tmp_path)
    report.run_trial(cfg, "t_before")
    out = paths.trial_report_dir("t_before")
    assert not list(out.rglob("*.webm")) and (out / "overlay" / "key_events.png").exists()
    assert "Overlay videos were not rendered" in (out / "index.html").read_text()

    cfg = _config(tmp_path)
    shutil.rmtree(paths.trial_dir("t_after"))          # videos not available here
    report.run_trial(cfg, "t_after")
    out = paths.trial_report_dir("t_after")
    assert (out / "overlay" / "views3d.webm").exists() and not (out / "overlay" / "cam_0.webm").exists()
