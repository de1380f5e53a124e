"""What produced a result: runlab version, git commit, config, calibration, detector, videos.

Plain functions returning plain dicts; the keys are documented in docs/formats.md
("Provenance"). Nothing here fails a stage: what cannot be found is "unknown" (git absent,
not a repository) or None (no checkpoint, a file not found). Git runs with fixed arguments,
never through a shell.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from pipeline.io import hashing

UNKNOWN = "unknown"
CODE_ROOT = Path(__file__).resolve().parents[2]  # the checkout this code runs from
# the config sections a trial's results depend on (its analyze stage declares them in dvc.yaml)
TRIAL_SECTIONS = (
    "rig",
    "board",
    "calibration",
    "synth",
    "detector",
    "sync",
    "triangulation",
    "analysis",
)
_MD5_CACHE: dict[tuple[str, int, int], str] = {}


def runlab_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("runlab")
    except (ImportError, PackageNotFoundError):
        return UNKNOWN


def _git(*args: str) -> str | None:
    try:
        run = subprocess.run(
            ["git", "-C", str(CODE_ROOT), *args],
            shell=False,
            capture_output=True,
            text=True,
            timeout=20,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout if run.returncode == 0 else None


def git_state() -> dict:
    """{"commit": sha or "unknown", "dirty": True when pipeline/ differs from that commit
    (edited or new modules), None when unknown}."""
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return {"commit": UNKNOWN, "dirty": None}
    status = _git("status", "--porcelain", "--", "pipeline")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def config_sha256(config: Any) -> str:
    """sha256 of the config as canonical JSON (sorted keys, defaults filled in by the schema),
    so the same settings give the same hash however params.yaml spelled them."""
    text = json.dumps(_plain(config), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def trial_config(cfg, trial: str) -> dict:
    """The parameters one trial's results were computed with: TRIAL_SECTIONS, the trial's
    entry and whether its session is synthetic (not who/when: relabelling changes no number)."""
    entry = cfg.study.trial(trial)
    height = (
        cfg.study.sessions[entry.session].height_m if entry.session in cfg.study.sessions else None
    )
    return {
        **{name: getattr(cfg, name) for name in TRIAL_SECTIONS},
        "trial": entry,
        "synthetic": entry.session in cfg.study.synthesize,
        "schema_version": cfg.schema_version,
        # the subject's height checks the 3D's scale (a verdict); absent when not given
        **({} if height is None else {"subject_height_m": height}),
    }


def file_sha256(path: Path | str) -> str | None:
    """sha256 of a file, None when there is no such file."""
    return hashing.sha256(path) if Path(path).is_file() else None


def file_md5(path: Path | str) -> str:
    """md5 (what DVC records) of a file, cached in this process by path, size and mtime."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _MD5_CACHE:
        _MD5_CACHE[key] = hashing.md5(path)
    return _MD5_CACHE[key]


def video_hashes(
    videos: Sequence[Path], cameras: Sequence[str], sha256s: Sequence[str] = ()
) -> dict:
    """Per camera: the sha256 detect recorded (if given) and the file's md5 (the hash DVC
    records for a file), computed from the file itself."""
    out: dict = {}
    for i, (camera, video) in enumerate(zip(cameras, videos)):
        md5 = file_md5(video) if Path(video).is_file() else None
        out[camera] = {
            "file": Path(video).name,
            "md5": md5,
            "sha256": (sha256s[i] or None) if i < len(sha256s) else None,
        }
    return {"cameras": out}


def detector_info(detector) -> dict:
    backend = getattr(detector.backend, "value", str(detector.backend))
    checkpoint = None
    if backend == "rtmpose":
        checkpoint = detector.rtmpose.checkpoint_sha256 or (
            file_sha256(detector.rtmpose.checkpoint) if detector.rtmpose.checkpoint else None
        )
    return {"backend": backend, "checkpoint_sha256": checkpoint}


def base() -> dict:
    """runlab version and git state: the code that ran."""
    return {"runlab_version": runlab_version(), "git": git_state()}


def trial_provenance(
    cfg,
    trial: str,
    calibration: Path,
    videos: Sequence[Path],
    cameras: Sequence[str],
    video_sha256: Sequence[str] = (),
    backend: str | None = None,
) -> dict:
    detector = detector_info(cfg.detector)
    if backend and backend != detector["backend"]:  # the keypoints file says what ran
        detector = {"backend": backend, "checkpoint_sha256": None}
    return {
        **base(),
        "config_sha256": config_sha256(trial_config(cfg, trial)),
        "config_sections": [
            *TRIAL_SECTIONS,
            f"study.{'imports' if trial in cfg.study.imports else 'trials'}.{trial}",
            "study.synthesize",
            f"study.sessions.{cfg.study.trial(trial).session}.height_m",
        ],
        "calibration_sha256": file_sha256(calibration),
        "detector": detector,
        "videos": video_hashes(list(videos), list(cameras), list(video_sha256)),
    }


def study_provenance(cfg) -> dict:
    """For the study report and metrics.json: the code, and the parameters the study stage
    reads (study, report); each trial's own provenance is in its metrics."""
    return {
        **base(),
        "config_sha256": config_sha256({"study": cfg.study, "report": cfg.report}),
        "config_sections": ["study", "report"],
    }


def short(prov: Mapping | None) -> str:
    """One line for a table cell or a footer: version, commit (dirty), config hash."""
    if not prov:
        return "not recorded"
    git = prov.get("git") or {}
    commit = str(git.get("commit", UNKNOWN))
    commit = commit[:10] if commit != UNKNOWN else "commit unknown"
    dirty = " (uncommitted changes)" if git.get("dirty") else ""
    config = str(prov.get("config_sha256") or UNKNOWN)[:12]
    return f"runlab {prov.get('runlab_version', UNKNOWN)}, {commit}{dirty}, config {config}"
