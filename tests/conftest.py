import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("MPLBACKEND", "Agg")


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


@pytest.fixture
def dvc_tools():
    """The helpers above, for tests that build a throwaway DVC project."""
    return dvc_lab, record_placeholders
