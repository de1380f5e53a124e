"""Issue #17: results survive crashes, colleagues can read them, reruns are bit-identical.

The stages run on a small study laid out by test_report_stage (two trials, two cameras, real
videos); failures are played with clearly named test doubles (a full disk, a read-only
folder) and a real SIGKILL.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from scenes.study import lay_out_study, study_config

from pipeline.cli import main
from pipeline.io import atomic
from pipeline.io.atomic import OutputError, staged, write_text
from pipeline.stages import analyze, report, triangulate
from pipeline.stages.common import reproducible
from pipeline.study.paths import StudyPaths


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _hidden(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(".*")]


def _run_stages(cfg) -> None:
    for name in cfg.study.trials:
        triangulate.run(cfg, name)
        analyze.run(cfg, name)
        report.run_trial(cfg, name)
    report.run_study(cfg)


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory) -> Path:
    """What the earlier stages leave for two trials (rendered once per module, written by
    runlab's writers under umask 002 like the rest)."""
    base = tmp_path_factory.mktemp("study")
    old = os.umask(0o002)
    try:
        lay_out_study(study_config(base), base)
    finally:
        os.umask(old)
    return base


def _study(laid_out: Path, tmp_path: Path, **report_cfg):
    """A private copy of the laid-out study in tmp_path: (config, paths)."""
    for folder in ("data", "results"):
        shutil.copytree(laid_out / folder, tmp_path / folder)
    cfg = study_config(tmp_path, **report_cfg)
    return cfg, StudyPaths.from_config(cfg)


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield
    os.umask(old)


# --- 4 and 6: group-readable outputs, bit-identical reruns ------------------------------------
def _unreadable_by_group_member(root: Path, files: list[Path]) -> int:
    """How many files under `root` another user (uid 65534) whose only group is the files'
    group cannot read: a forked child enters `root` (pytest's tmp folders above it are
    private), drops to that user and opens each by its relative path (root only)."""
    gid = files[0].stat().st_gid
    pid = os.fork()
    if pid == 0:  # the colleague
        failed = 0
        try:
            os.chdir(root)
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(65534)
            for path in files:
                try:
                    with open(path.relative_to(root), "rb") as handle:
                        handle.read(1)
                except OSError:
                    failed += 1
        finally:
            os._exit(min(failed, 100) if os.getuid() == 65534 else 101)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_outputs_honour_the_umask_and_reruns_are_bit_identical(laid_out, tmp_path, umask_002):
    cfg, paths = _study(laid_out, tmp_path, overlay_max_frames=8)
    _run_stages(cfg)
    results = paths.results_dir
    files = [p for p in results.rglob("*") if p.is_file()]
    assert len(files) > 30
    modes = {
        str(p.relative_to(results)): oct(stat.S_IMODE(p.stat().st_mode)) for p in results.rglob("*")
    }
    wrong = {
        k: m
        for k, m in modes.items()
        if m != (oct(0o775) if (results / k).is_dir() else oct(0o664))
    }
    assert not wrong, wrong  # was 0600 for 52 of 63 files
    if os.geteuid() == 0:  # really read them as a colleague
        assert _unreadable_by_group_member(results, files) == 0
    texts = [p for p in files if p.suffix in (".html", ".json", ".csv", ".trc", ".toml")]
    assert not [p for p in texts if str(tmp_path) in p.read_text()]  # links and names relative
    first = _digests(results)
    _run_stages(cfg)
    assert _digests(results) == first  # every byte, reports and videos too
    assert not _hidden(results)  # no staging or temp files left


def test_quality_record_keeps_no_timings_or_absolute_paths(tmp_path):
    lens = tmp_path / "studies" / "s01" / "intrinsics" / "cam_0.mp4"
    record = {
        "cameras": {"cam_0": {"intrinsics_from": str(lens), "rms_px": 0.3}},
        "elsewhere": "/mnt/lab/lens.toml",
        "timings_s": {"detect": 1.234},
    }
    clean, timings = reproducible(record, root=tmp_path)
    assert timings == {"detect": 1.234} and "timings_s" not in clean
    assert clean["cameras"]["cam_0"]["intrinsics_from"] == "studies/s01/intrinsics/cam_0.mp4"
    assert clean["elsewhere"] == "/mnt/lab/lens.toml"  # the lab's own setting, stable


# --- 5: one set, crash / full disk / read-only ------------------------------------------------
def test_full_disk_in_triangulate_keeps_the_previous_set(laid_out, tmp_path, monkeypatch):
    cfg, paths = _study(laid_out, tmp_path)
    triangulate.run(cfg, "t_before")
    out = paths.points3d_dir("t_before")
    before = _digests(out)
    assert sorted(before) == ["t_before.c3d", "t_before.csv", "t_before.npz", "t_before.trc"]

    def full_disk_write_c3d(path, *args, **kwargs):  # test double: the disk fills at the .c3d
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(triangulate, "write_c3d", full_disk_write_c3d)
    monkeypatch.setattr(
        triangulate, "write_csv_points", lambda *a, **k: pytest.fail("ran past a full disk")
    )
    with pytest.raises(
        OutputError, match=r"no space left on the disk writing .*t_before\.c3d.*free space"
    ):
        triangulate.run(cfg, "t_before")
    assert _digests(out) == before  # the previous complete set
    assert not _hidden(paths.trial_results("t_before"))


def test_read_only_results_folder_is_a_named_error_not_a_traceback(
    laid_out, tmp_path, monkeypatch, capsys
):
    cfg, paths = _study(laid_out, tmp_path)
    params = tmp_path / "params.yaml"
    from omegaconf import OmegaConf

    params.write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)))

    def read_only_mkdtemp(*args, **kwargs):  # test double: a read-only mount
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), kwargs.get("dir"))

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", read_only_mkdtemp)
    assert main(["triangulate", "--params", str(params), "--trial", "t_before"]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Read-only file system" in err and "study.results_dir" in err
    assert str(paths.trial_results("t_before")) in err and "Traceback" not in err


def test_staged_set_survives_an_error_and_a_kill(tmp_path):
    folder, single = tmp_path / "report", tmp_path / "metrics.json"
    with staged(folder, single) as (f, s):
        f.mkdir()
        (f / "index.html").write_text("old")
        write_text(s, "old")
    with pytest.raises(RuntimeError):
        with staged(folder, single) as (f, s):
            f.mkdir()
            (f / "index.html").write_text("half")
            raise RuntimeError("crash while writing")
    assert (folder / "index.html").read_text() == "old" and single.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "report"]

    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            f"""
import os, signal
from pathlib import Path
from pipeline.io.atomic import staged, write_text
with staged(Path({str(folder)!r}), Path({str(single)!r})) as (f, s):
    f.mkdir(); (f / "index.html").write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
""",
        ],
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])),
    )
    assert killed.returncode == -signal.SIGKILL
    assert (folder / "index.html").read_text() == "old" and single.read_text() == "old"
    with staged(folder, single) as (f, s):  # the next run clears what the kill left
        f.mkdir()
        (f / "index.html").write_text("new")
    assert (folder / "index.html").read_text() == "new" and single.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "report"]


def test_image_write_that_fails_is_a_named_error(tmp_path, monkeypatch):
    import numpy as np

    from pipeline.io import video

    monkeypatch.setattr(video.cv2, "imwrite", lambda *a: False)  # test double: OpenCV's failure
    with pytest.raises(OutputError, match=r"cannot write image .*still\.png: check the free space"):
        video.write_image(tmp_path / "still.png", np.zeros((4, 4, 3), np.uint8))
    assert not list(tmp_path.iterdir())


def test_report_with_a_camera_the_calibration_lacks_is_a_named_error(laid_out, tmp_path):
    from pipeline.io import formats

    cfg, paths = _study(laid_out, tmp_path)
    p3d = formats.read_points3d(paths.points3d("t_before"))
    formats.write_points3d(
        paths.points3d("t_before"),
        formats.Points3D(
            p3d.points,
            p3d.reprojection_error,
            p3d.n_views,
            p3d.views_used,
            fps=p3d.fps,
            camera_names=["cam_0", "cam_9"],
            swaps_repaired=p3d.swaps_repaired,
        ),
    )
    analyze.run(cfg, "t_before")
    with pytest.raises(
        formats.FormatError, match=r"cameras \['cam_9'\] are not in .*calibration\.toml"
    ):
        report.run_trial(cfg, "t_before")
    assert not paths.trial_report_dir("t_before").exists()
