"""What produced a result: runlab version, git commit, config, calibration, detector, videos.

The records of a trial's and a study's provenance (`TrialProvenance`, `StudyProvenance`),
each written by its `to_dict` (the keys of docs/formats.md, "Provenance", in that order), and
the hashes
they hold. Which config sections a trial's numbers depend on is read from the typed config one
layer up (`pipeline/study/provenance.py`). Nothing here fails a stage: what cannot be found is
"unknown" (git absent, not a repository) or None (no checkpoint, a file not found). Git runs
with fixed arguments, never through a shell.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pipeline.core.records import Record
from pipeline.io import hashing

UNKNOWN = "unknown"
CODE_ROOT = Path(__file__).resolve().parents[2]  # the checkout this code runs from
_MD5_CACHE: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class GitState(Record):
    commit: str  # sha, or "unknown"
    dirty: bool | None  # pipeline/ differs from the commit (edited or new modules); None: unknown


@dataclass(frozen=True)
class CodeVersion(Record):
    """The code that ran."""

    runlab_version: str
    git: GitState


@dataclass(frozen=True)
class DetectorInfo(Record):
    backend: str
    checkpoint_sha256: str | None  # the RTMPose checkpoint's; None for other backends


@dataclass(frozen=True)
class VideoHash(Record):
    file: str  # the file's name
    md5: str | None  # what DVC records; None when the file is not there
    sha256: str | None  # as the detect stage recorded it


@dataclass(frozen=True)
class VideoHashes(Record):
    cameras: dict[str, VideoHash]


@dataclass(frozen=True)
class StudyProvenance(Record):
    """The study report's and metrics.json's: the code and the study stage's own settings."""

    runlab_version: str
    git: GitState
    config_sha256: str
    config_sections: list[str]


@dataclass(frozen=True)
class TrialProvenance(Record):
    """What produced one trial's numbers."""

    runlab_version: str
    git: GitState
    config_sha256: str  # of the sections below, as the typed config fills them in
    config_sections: list[str]
    calibration_sha256: str | None  # None: no calibration file
    detector: DetectorInfo
    videos: VideoHashes


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


def git_state() -> GitState:
    """The commit ("unknown" outside a repository) and whether pipeline/ differs from it."""
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return GitState(UNKNOWN, None)
    status = _git("status", "--porcelain", "--", "pipeline")
    return GitState(commit.strip(), None if status is None else bool(status.strip()))


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
) -> VideoHashes:
    """Per camera: the sha256 detect recorded (if given) and the file's md5 (the hash DVC
    records for a file), computed from the file itself."""
    out: dict[str, VideoHash] = {}
    for i, (camera, video) in enumerate(zip(cameras, videos)):
        md5 = file_md5(video) if Path(video).is_file() else None
        out[camera] = VideoHash(
            file=Path(video).name,
            md5=md5,
            sha256=(sha256s[i] or None) if i < len(sha256s) else None,
        )
    return VideoHashes(out)


def code_version() -> CodeVersion:
    """runlab version and git state: the code that ran."""
    return CodeVersion(runlab_version(), git_state())


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
