"""The report stage on the study layout (pipeline/study/paths.py): run_trial writes the trial report
folder with overlays from the files the earlier stages write; run_study builds the study
report and metrics.json from the trial folders."""

from __future__ import annotations

import json
import shutil

import pytest
from scenes.study import lay_out_study, study_config

from pipeline.io import formats
from pipeline.io.video import probe
from pipeline.stages import report


def test_run_trial_and_run_study(tmp_path):
    cfg = study_config(tmp_path)
    paths = lay_out_study(cfg, tmp_path)
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
    assert (
        set(prov) >= {"runlab_version", "git", "config_sha256"} and len(prov["config_sha256"]) == 64
    )
    assert "Provenance of this study report" in study and prov["config_sha256"] in study
    assert "<th>produced by</th>" in study and '<td class="note">not recorded</td>' in study
    assert (
        "Provenance of these results: not recorded"
        in (paths.trial_report_dir("t_after") / "index.html").read_text()
    )


def test_overlays_off_and_missing_videos(tmp_path):
    cfg = study_config(tmp_path, overlay_videos=False)
    paths = lay_out_study(cfg, tmp_path)
    report.run_trial(cfg, "t_before")
    out = paths.trial_report_dir("t_before")
    assert not list(out.rglob("*.webm")) and (out / "overlay" / "key_events.png").exists()
    assert "Overlay videos were not rendered" in (out / "index.html").read_text()

    cfg = study_config(tmp_path)
    shutil.rmtree(paths.trial_dir("t_after"))  # videos not available here
    report.run_trial(cfg, "t_after")
    out = paths.trial_report_dir("t_after")
    assert (out / "overlay" / "views3d.webm").exists() and not (
        out / "overlay" / "cam_0.webm"
    ).exists()


def test_an_analysis_from_before_the_stored_curves_is_a_named_error(tmp_path):
    """An analysis file without the curves and peak instants the report reads names the file
    and the fix; nothing of the report is written."""
    cfg = study_config(tmp_path)
    paths = lay_out_study(cfg, tmp_path)
    data = formats.read_json(paths.analysis("t_before"))
    data.pop("curves")
    formats.write_json(paths.analysis("t_before"), data)
    with pytest.raises(
        formats.FormatError,
        match=r"t_before\.json: written by an older runlab.*"
        r"rerun `runlab analyze --trial t_before`",
    ):
        report.run_trial(cfg, "t_before")
    assert not paths.trial_report_dir("t_before").exists()
