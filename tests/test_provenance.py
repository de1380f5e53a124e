"""Issue 18, items 3 and 4: reports cite references in the repository; every result says
which code, config, calibration, detector and videos produced it."""

from __future__ import annotations

import hashlib
import os
import subprocess

from pipeline.config import validate
from pipeline.io import provenance
from pipeline.report.provenance import provenance_cell, provenance_footer
from pipeline.report.references import SOURCES, references_href
from pipeline.report.trial_report import _references_html
from pipeline.study import provenance as trial_records


def _cfg(**study):
    return validate(
        {
            "study": {
                "name": "p",
                "data_dir": "d",
                "results_dir": "r",
                "synthesize": [],
                "sessions": {"s1": {"subject": "R01", "label": "before"}},
                "trials": {"t1": {"session": "s1", "belt_speed_mps": 3.0}},
                **study,
            }
        }
    )


def test_references_are_in_the_repository_and_linked(repo_root, tmp_path):
    doc = (repo_root / "docs" / "references.md").read_text()
    for key in SOURCES:
        assert f"[{key}]" in doc, key
    report_dir = repo_root / "results" / "x" / "trials" / "t" / "report"
    href = references_href(report_dir)
    assert href == "../../../../../docs/references.md"
    assert (report_dir / href).resolve() == (repo_root / "docs" / "references.md")
    assert f'<a href="{href}">docs/references.md</a>' in _references_html(href)
    cited = [
        p for p in (repo_root / "pipeline").rglob("*.py") if "shared/reference" in p.read_text()
    ]
    assert not cited, cited


def test_git_state_is_this_checkout(repo_root):
    head = subprocess.run(
        ["git", "-C", str(repo_root), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    state = provenance.git_state()
    assert state.commit == head and state.dirty in (True, False)


def test_dirty_flag_follows_pipeline_changes(monkeypatch, tmp_path):
    """dirty: an edited or new module under pipeline/ since the commit; other files don't count."""
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@runlab.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@runlab.invalid",
    }

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
        ).stdout.strip()

    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "geometry.py").write_text("X = 1\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    monkeypatch.setattr(provenance, "CODE_ROOT", tmp_path)
    assert provenance.git_state() == provenance.GitState(git("rev-parse", "HEAD"), False)
    (tmp_path / "notes.txt").write_text("not code")
    assert provenance.git_state().dirty is False
    (tmp_path / "pipeline" / "geometry.py").write_text("X = 2\n")
    assert provenance.git_state().dirty is True
    git("commit", "-qam", "second")
    assert provenance.git_state() == provenance.GitState(git("rev-parse", "HEAD"), False)
    (tmp_path / "pipeline" / "new.py").write_text("")
    assert provenance.git_state().dirty is True


def test_without_git_provenance_says_unknown(monkeypatch, tmp_path):
    monkeypatch.setattr(provenance, "CODE_ROOT", tmp_path)  # not a repository
    assert provenance.git_state() == provenance.GitState("unknown", None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert provenance.git_state() == provenance.GitState("unknown", None)
    assert "commit unknown" in provenance.short(provenance.code_version().to_dict())


def test_config_hash_follows_the_trials_settings_only():
    base = provenance.config_sha256(trial_records.trial_config(_cfg(), "t1"))
    assert len(base) == 64
    # the same settings spelt out explicitly (a schema default) hash the same
    explicit = _cfg(trials={"t1": {"session": "s1", "belt_speed_mps": 3.0, "condition": ""}})
    assert provenance.config_sha256(trial_records.trial_config(explicit, "t1")) == base
    relabelled = _cfg(sessions={"s1": {"subject": "R01", "label": "after"}})
    assert provenance.config_sha256(trial_records.trial_config(relabelled, "t1")) == base
    faster = _cfg(trials={"t1": {"session": "s1", "belt_speed_mps": 3.5}})
    assert provenance.config_sha256(trial_records.trial_config(faster, "t1")) != base
    cfg = _cfg()
    cfg.triangulation.lowpass_hz = 8.0
    assert provenance.config_sha256(trial_records.trial_config(cfg, "t1")) != base


def test_trial_provenance_hashes_files_and_reads_dvc_record(tmp_path):
    videos = []
    for cam in ("cam_0", "cam_1"):
        video = tmp_path / "s1" / "t1" / f"{cam}.mp4"
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(cam.encode() * 1000)
        videos.append(video)
    calibration = tmp_path / "calibration.toml"
    calibration.write_text("[cam_0]\n")
    cfg = _cfg()
    prov = trial_records.trial_provenance(
        cfg, "t1", calibration, videos, ["cam_0", "cam_1"], ["ab" * 32, "cd" * 32], "synthetic"
    ).to_dict()
    assert prov["calibration_sha256"] == hashlib.sha256(b"[cam_0]\n").hexdigest()
    assert prov["detector"] == {"backend": "synthetic", "checkpoint_sha256": None}
    cams = prov["videos"]["cameras"]
    assert cams["cam_1"] == {
        "file": "cam_1.mp4",
        "md5": hashlib.md5(b"cam_1" * 1000).hexdigest(),
        "sha256": "cd" * 32,
    }
    assert set(prov["videos"]) == {"cameras"}  # nothing read from dvc.lock (run order)
    footer = provenance_footer(prov, "these results")
    assert prov["git"]["commit"] in footer and prov["calibration_sha256"] in footer
    assert "cd" * 32 in footer and "synthetic" in footer
    assert prov["config_sha256"][:12] in provenance_cell(prov)
    assert "not recorded" in provenance_footer(None, "x")


def test_rtmpose_checkpoint_hash_is_the_configured_one():
    cfg = _cfg()
    cfg.detector.backend = type(cfg.detector.backend)("rtmpose")
    cfg.detector.rtmpose.checkpoint_sha256 = "ef" * 32
    assert trial_records.detector_info(cfg.detector) == provenance.DetectorInfo(
        backend="rtmpose", checkpoint_sha256="ef" * 32
    )


def test_analyze_declares_every_setting_it_hashes(repo_root):
    """The trial's config hash is never stale: DVC reruns analyze when any hashed setting
    changes, because analyze declares each of them."""
    import yaml

    analyze = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]["analyze"]["do"]
    declared = set(analyze["params"])
    assert (
        set(trial_records.TRIAL_SECTIONS)
        | {"study.trials.${key}", "study.synthesize", "schema_version"}
        <= declared
    )
    deps = " ".join(analyze["deps"])
    assert "keypoints2d" in deps and "calibration/calibration.toml" in deps
