"""File hashes: sha256 (videos in the keypoints file, checkpoints, downloads, provenance) and
md5 (the hash DVC records for a file). Streamed in 1 MiB blocks; no heavy imports, so any
stage can use them."""

from __future__ import annotations

import hashlib
from pathlib import Path


def _digest(path: Path | str, h, chunk: int = 1 << 20) -> str:
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256(path: Path | str) -> str:
    return _digest(path, hashlib.sha256())


def md5(path: Path | str) -> str:
    return _digest(path, hashlib.md5())
