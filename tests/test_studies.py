"""Issue 18, item 2: many studies in one repository, each in studies/<name>/ with its own
params.yaml, dvc.yaml and dvc.lock; running one never touches another's record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cli import configure
from pipeline.config import ConfigError
from pipeline.core.safety import UnsafeValueError, dvc_stage_item
from pipeline.study.studies import configure_study, study_dvc_yaml

# small synthetic renders: the synth stage runs for real in seconds
TINY = [
    "rig.width=320",
    "rig.height=240",
    "rig.focal_px=250",
    "synth.calibration_frames=10",
    "study.trials.typical.runner.duration_s=1.0",
]


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _dvc(lab: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=lab,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _status(lab: Path) -> dict:
    run = _dvc(lab, "status", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def _add_study(lab: Path, name: str) -> None:
    quick = (lab / "conf/study/quick.yaml").read_text()
    (lab / "conf/study" / f"{name}.yaml").write_text(
        quick.replace("name: quick", f"name: {name}")
        .replace("studies/quick", f"studies/{name}")
        .replace("results/quick", f"results/{name}")
    )


def test_study_dvc_yaml_is_the_root_pipeline_run_from_the_root(repo_root):
    root = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    ours = yaml.safe_load(study_dvc_yaml((repo_root / "dvc.yaml").read_text(), "a"))["stages"]
    assert set(ours) == set(root)
    for name, stage in root.items():
        body, mine = stage.get("do", stage), ours[name].get("do", ours[name])
        assert mine["wdir"] == "../.."
        assert mine["cmd"] == body["cmd"] + " --params studies/a/params.yaml"
        assert mine["params"] == [{"studies/a/params.yaml": body["params"]}]
        assert mine["deps"] == body["deps"] and mine["outs"] == body["outs"]
    with pytest.raises(UnsafeValueError, match="study name"):
        study_dvc_yaml("stages: {}\n", "a;rm -rf ~")


def test_dvc_stage_of_a_study_names_its_item():
    env = {"DVC_STAGE": "studies/a/dvc.yaml:calibrate@s01"}
    assert dvc_stage_item("calibrate", env) == ("session", "s01")


def test_running_b_leaves_a_up_to_date(tmp_path, repo_root, dvc_tools):
    """Study A recorded (its synth stage run for real, the other stages' outputs stand-ins
    committed with `dvc commit`), then study B, with the same stage names, run: A's dvc.lock
    keeps its bytes and `dvc status` from the repository root lists nothing of A; a change
    of B's parameters marks B's stages only."""
    dvc_lab, record_placeholders = dvc_tools
    lab = dvc_lab(repo_root, tmp_path / "lab")
    for name in ("a", "b"):
        _add_study(lab, name)
        configure_study(lab, name, TINY, new=True)
    configure(str(lab / "conf"), str(lab / "params.yaml"), ["study=quick"])  # the root's own study

    run_a = _dvc(lab, "repro", "studies/a/dvc.yaml:synth@s01")
    assert run_a.returncode == 0, run_a.stdout + run_a.stderr
    record_placeholders(lab, "studies/a/dvc.yaml")
    committed = _dvc(lab, "commit", "--force", "studies/a/dvc.yaml")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    lock_a = (lab / "studies/a/dvc.lock").read_bytes()
    assert not [s for s in _status(lab) if s.startswith("studies/a/")]
    assert not (lab / "dvc.lock").exists()

    run_b = _dvc(lab, "repro", "studies/b/dvc.yaml:synth@s01")
    assert run_b.returncode == 0, run_b.stdout + run_b.stderr
    assert "Running stage 'studies/b/dvc.yaml:synth@s01'" in run_b.stdout
    assert (lab / "studies/b/s01/calibration/cam_0.mp4").is_file()
    assert (lab / "studies/a/dvc.lock").read_bytes() == lock_a
    assert "synth@s01" in yaml.safe_load((lab / "studies/b/dvc.lock").read_text())["stages"]
    status = _status(lab)
    assert not [s for s in status if s.startswith("studies/a/")], status
    assert "studies/b/dvc.yaml:synth@s01" not in status  # B's own run is recorded
    assert "studies/b/dvc.yaml:calibrate@s01" in status  # and the rest of B is to run

    configure_study(lab, "a", [*TINY, "analysis.thresholds.max_pelvic_drop_deg=3.0"])
    changed = {s for s in _status(lab) if s.startswith("studies/a/")}
    assert changed == {
        "studies/a/dvc.yaml:analyze@typical",
        "studies/a/dvc.yaml:report_trial@typical",
    }, changed  # (the study report follows through its trials/ dep when they rerun)


def test_two_pipelines_writing_one_folder_are_refused(tmp_path, repo_root, dvc_tools):
    dvc_lab, _ = dvc_tools
    lab = dvc_lab(repo_root, tmp_path / "lab")
    _add_study(lab, "a")
    configure_study(lab, "a", [], new=True)
    with pytest.raises(ConfigError, match="exists; to recompose"):
        configure_study(lab, "a", [], new=True)
    with pytest.raises(
        ConfigError,
        match="study.data_dir: .*studies/a is also a folder of the pipeline "
        "configured in studies/a/params.yaml",
    ):
        configure(str(lab / "conf"), str(lab / "params.yaml"), ["study=a"])
    assert not (lab / "params.yaml").exists()
    with pytest.raises(ConfigError, match="must be named quick"):
        (lab / "conf/study/quick.yaml").write_text(
            (lab / "conf/study/quick.yaml").read_text().replace("name: quick", "name: other")
        )
        configure_study(lab, "quick", [])
