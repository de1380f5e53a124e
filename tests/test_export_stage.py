"""`runlab export --trial T --format F` and the report stage's `report.exports` option on the
study layout (scenes/study.py): the files are written where the docs say, read back, and a
trial the data cannot export says why instead of writing half a file."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scenes.study import lay_out_study, study_config

from pipeline.cli import main
from pipeline.config import ExportFormat
from pipeline.io import formats
from pipeline.stages import report
from pipeline.stages.export import EXPORT_FORMATS, export_trial


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One study for the tests below (the last one empties t_before's 3D)."""
    from omegaconf import OmegaConf

    tmp_path = tmp_path_factory.mktemp("export_study")
    cfg = study_config(tmp_path)
    OmegaConf.save(OmegaConf.structured(cfg), tmp_path / "params.yaml")  # what the CLI reads
    return cfg, lay_out_study(cfg, tmp_path), tmp_path


@pytest.mark.filterwarnings("ignore:No analog data found")
def test_export_every_format_from_the_study(study):
    import c3d

    cfg, paths, _ = study
    out = paths.trial_results("t_after") / "exports"
    results = export_trial(cfg, "t_after", EXPORT_FORMATS, out)
    assert [r.fmt for r in results] == list(EXPORT_FORMATS)
    assert all(r.files for r in results), [(r.fmt, r.note) for r in results]
    trc = results[0].files
    for path in trc:
        rows = [line.split("\t") for line in path.read_text().splitlines()[6:] if line]
        assert all(v != "" for row in rows for v in row)  # OpenSim: no empty field
    with open(out / "t_after.c3d", "rb") as handle:
        labels = [s.strip() for s in c3d.Reader(handle).get("EVENT:LABELS").string_array]
    strides = formats.read_json(paths.analysis("t_after"))["strides"]
    assert labels.count("Foot Strike") == len(strides) > 0
    assert (out / "t_after_angles.mot").read_text().splitlines()[4] == "inDegrees=yes"
    assert (out / "t_after.bvh").read_text().startswith("HIERARCHY\nROOT hip")


def test_runlab_export_command(study, capsys, monkeypatch):
    cfg, paths, root = study
    params = root / "params.yaml"
    monkeypatch.chdir(root)
    assert (
        main(
            [
                "export",
                "--params",
                str(params),
                "--trial",
                "t_before",
                "--format",
                "bvh",
                "--out",
                str(root / "mine"),
            ]
        )
        == 0
    )
    assert f"wrote {root / 'mine' / 't_before.bvh'}" in capsys.readouterr().out
    assert main(["export", "--params", str(params), "--trial", "nope", "--format", "trc"]) == 2
    assert "nope" in capsys.readouterr().err


def test_no_3d_is_a_named_error_not_a_file(study, monkeypatch):
    cfg, paths, root = study
    p3d = formats.read_points3d(paths.points3d("t_before"))
    formats.write_points3d(
        paths.points3d("t_before"),
        dataclasses.replace(p3d, points=np.full_like(p3d.points, np.nan)),
    )
    results = export_trial(cfg, "t_before", ("trc", "c3d"), root / "x")
    assert all(not r.files and r.note == "the trial has no 3D point" for r in results)
    assert not (root / "x" / "t_before.trc").exists()
    monkeypatch.chdir(root)
    assert (
        main(
            [
                "export",
                "--params",
                str(root / "params.yaml"),
                "--trial",
                "t_before",
                "--format",
                "trc",
            ]
        )
        == 2
    )


def test_report_stage_writes_and_links_the_exports(tmp_path):
    cfg = study_config(tmp_path, overlay_videos=False)
    cfg.report.exports = [ExportFormat.c3d, ExportFormat.mot]
    paths = lay_out_study(cfg, tmp_path)
    index = report.run_trial(cfg, "t_before")
    out = paths.trial_report_dir("t_before")
    assert sorted(p.name for p in (out / "exports").iterdir()) == [
        "t_before.c3d",
        "t_before_angles.mot",
    ]
    page = index.read_text()
    assert 'href="exports/t_before.c3d"' in page and 'href="viewer.html"' in page
    assert (out / "viewer.html").exists()
