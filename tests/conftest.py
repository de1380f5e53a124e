import os
from pathlib import Path

import numpy as np
import pytest
from scenes import OUTLIERS, REPO

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.core.geometry import project
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe_with_truth
from pipeline.synth.rig import make_rig

os.environ.setdefault("MPLBACKEND", "Agg")


# `make test` runs pytest-xdist with `--dist loadfile`: each test file goes whole to one worker
# (its module-scoped fixtures and caches are built once). The scheduler below also keeps each
# group here on one worker, so its members never overlap in time:
# - "real_running": test_spatial_sd.py, test_overground_metrics.py, test_side_mean_real.py and
#   test_point_sd.py read the in-memory caches of test_gait_real_running.py and
#   test_overground_runway.py (trial_rows, runway truth and rows: minutes of real-level
#   analysis a second worker would compute again);
# - "ray": test_slurm.py asserts that no Ray process runs on the machine before and after its
#   sbatch recipe, and the others start Ray (test_cluster.py `ray start --head` on default ports).
# (xdist's own `xdist_group` mark does nothing with pytest 9.2: xdist 3.8 renames `_nodeid`.)
SCHEDULE_GROUP = {
    "tests/test_spatial_sd.py": "real_running",
    "tests/test_gait_real_running.py": "real_running",
    "tests/test_overground_runway.py": "real_running",
    "tests/test_overground_metrics.py": "real_running",
    "tests/test_side_mean_real.py": "real_running",
    "tests/test_point_sd.py": "real_running",
    "tests/test_cluster.py": "ray",
    "tests/test_slurm.py": "ray",
    "tests/test_faults.py::test_local_ray_listens_on_loopback_only": "ray",
}


def schedule_scope(nodeid: str) -> str:
    """The unit of work a node id belongs to under `--dist loadfile`."""
    path, _, rest = nodeid.partition("::")
    test = f"{path}::{rest.split('[')[0]}"
    return SCHEDULE_GROUP.get(test) or SCHEDULE_GROUP.get(path) or path


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class GroupedFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return schedule_scope(nodeid)

    return GroupedFileScheduling(config, log)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def dvc_lab(repo_root: Path, lab: Path) -> Path:
    """A throwaway DVC project with this repository's pipeline (dvc.yaml, conf/, pipeline/)."""
    import shutil
    import subprocess

    for name in ("dvc.yaml", "conf", "pipeline", ".dvc/config", ".dvcignore"):
        src, dst = repo_root / name, lab / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    subprocess.run(["git", "init", "-q"], cwd=lab, check=True)
    return lab


def record_placeholders(lab: Path, dvcfile: str | None = None) -> None:
    """Stand-in outputs for every stage of `dvcfile` (default: all) that has not written its
    own, so `dvc commit` can record a lock entry without running anything: for tests of what
    DVC sees as changed, not of what the stages compute."""
    from dvc.repo import Repo

    with Repo(str(lab)) as repo:
        for stage in repo.index.stages:
            if dvcfile and Path(stage.path).resolve() != (lab / dvcfile).resolve():
                continue
            for out in stage.outs:
                path = Path(out.fs_path)
                if path.exists():
                    continue
                if path.suffix:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("placeholder")
                else:
                    path.mkdir(parents=True, exist_ok=True)
                    (path / "placeholder.txt").write_text("placeholder")


@pytest.fixture(scope="session")
def dvc_tools():
    """The helpers above, for tests that build a throwaway DVC project."""
    return dvc_lab, record_placeholders


# Scenes shared by several test modules. Module scope, as each module had them: a test that
# changes an array in place cannot reach another module.
@pytest.fixture(scope="module")
def rig():
    """The default synthetic rig (RigConfig()): 4 cameras around the runner."""
    return make_rig(RigConfig())


@pytest.fixture(scope="module")
def run_2s():
    """(240, 26, 3) true 3D of the default synthetic runner, 2 s at 120 fps."""
    return simulate_run(RunnerConfig(duration_s=2.0), 120.0).points


@pytest.fixture(scope="module")
def run_2s_projected(rig, run_2s):
    """(C, 240, 26, 2) exact projections of `run_2s` into `rig`."""
    return np.stack([project(cam, run_2s) for cam in rig])


@pytest.fixture(scope="module")
def run_3s():
    """(360, 26, 3) true 3D of the default synthetic runner, 3 s at 120 fps."""
    return simulate_run(RunnerConfig(duration_s=3.0), fps=120.0).points


@pytest.fixture(scope="module")
def run_3s_outliers(rig, run_3s):
    """`run_3s` seen by `rig` with OUTLIERS (observe_with_truth: keypoints and what was done)."""
    return observe_with_truth(run_3s, rig, SyntheticNoiseConfig(**OUTLIERS))
