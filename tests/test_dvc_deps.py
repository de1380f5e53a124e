"""Issue 18, item 1: each stage's code deps in dvc.yaml are exactly its import closure inside
pipeline/ (scripts/stage_deps.py), and DVC sees an edit of a shared module."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.cli import configure


def _tool(repo_root: Path):
    spec = importlib.util.spec_from_file_location(
        "stage_deps", repo_root / "scripts" / "stage_deps.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dvc_yaml_lists_each_stages_import_closure(repo_root):
    tool = _tool(repo_root)
    found = tool.problems(repo_root, (repo_root / "dvc.yaml").read_text())
    assert not found, "\n".join(found) + "\nfix: python scripts/stage_deps.py --write"


def test_a_missing_module_is_named_with_its_stage(repo_root):
    tool = _tool(repo_root)
    text = (repo_root / "dvc.yaml").read_text()
    calibrate = text.index("\n  calibrate:")
    cut = text.index("- pipeline/core/geometry.py\n", calibrate)
    broken = text[:cut] + text[cut:].replace("- pipeline/core/geometry.py\n", "", 1)
    found = tool.problems(repo_root, broken)
    assert found == [
        "dvc.yaml: stage calibrate runs pipeline/core/geometry.py but does not list it in deps"
    ]


def test_closure_follows_function_level_and_relative_imports(repo_root):
    tool = _tool(repo_root)
    triangulate = tool.stage_closure(repo_root, "triangulate")
    # imported inside a function (jit._kernels) and through the runner's helpers
    assert Path("pipeline/triangulation/_jit_kernels.py") in triangulate
    assert Path("pipeline/core/geometry.py") in triangulate
    assert Path("pipeline/cli.py") not in triangulate  # a new subcommand reruns nothing
    assert Path("pipeline/report/trial_report.py") not in triangulate


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_editing_geometry_marks_calibrate_and_triangulate_changed(tmp_path, repo_root, dvc_tools):
    """A recorded state of the quick study (placeholder outputs committed with `dvc commit`,
    which records hashes without running anything), then one edit of pipeline/core/geometry.py:
    `dvc status` names exactly the stages that import it, calibrate and triangulate among them."""
    dvc_lab, record_placeholders = dvc_tools
    lab = dvc_lab(repo_root, tmp_path / "lab")
    configure(str(lab / "conf"), str(lab / "params.yaml"), ["study=quick"])
    for folder in ("calibration", "typical"):  # the synth stage's output, as inputs
        (lab / "studies/quick/s01" / folder).mkdir(parents=True)
        (lab / "studies/quick/s01" / folder / "cam_0.mp4").write_bytes(b"placeholder")
    record_placeholders(lab)
    committed = _dvc(lab, "commit", "--force")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    before = _dvc(lab, "status", "--json")
    assert before.returncode == 0 and json.loads(before.stdout) == {}, before.stdout + before.stderr

    with open(lab / "pipeline" / "core" / "geometry.py", "a") as f:
        f.write("\n# an edit\n")
    after = _dvc(lab, "status", "--json")
    assert after.returncode == 0, after.stderr
    changed = {name: entries for name, entries in json.loads(after.stdout).items()}
    assert {"calibrate@s01", "triangulate@typical"} <= set(changed), changed
    for entries in changed.values():
        assert {"changed deps": {"pipeline/core/geometry.py": "modified"}} in entries or {
            "changed deps": {"pipeline/core": "modified"}
        } in entries, entries
    tool = _tool(repo_root)
    importers = {
        stage
        for stage in (
            "synth",
            "calibrate",
            "detect",
            "sync",
            "triangulate",
            "analyze",
            "report_trial",
            "report",
        )
        if Path("pipeline/core/geometry.py") in tool.stage_closure(repo_root, stage)
    }
    assert {name.split("@")[0] for name in changed} == importers


def test_dvc_yaml_has_every_foreach_stage_runlab_dispatches(repo_root):
    # a merge that took another branch's dvc.yaml once dropped the standing@<session> stage
    # while every stage left kept its right deps; the CLI's stage table is the list to hold
    import yaml

    from pipeline.core.safety import DVC_STAGES

    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    missing = sorted(set(DVC_STAGES) - set(stages))
    assert not missing, f"dvc.yaml lacks the stages {missing} (pipeline/core/safety.DVC_STAGES)"
    for name in DVC_STAGES:
        assert "foreach" in stages[name], name
