"""Download one file into a cache folder: resumable, hash-checked before it is usable.

* Only http(s) URLs (`check_url`); nothing else reaches urllib.
* The bytes go to `<name>.part`. A broken transfer keeps the partial file; the next call asks
  the server for the rest (HTTP Range) and appends it when the server answers 206 from the
  right offset, else starts over.
* When the transfer is complete the file's SHA-256 is checked (full hash, or the published
  prefix); only then is it renamed to its final name. A mismatch deletes the file and raises
  `ChecksumError`: nothing can load a wrong file from the cache.
* `user_cache_dir()`: `$RUNLAB_CACHE` when set, else the platform's user cache folder
  (Linux `$XDG_CACHE_HOME/runlab` or `~/.cache/runlab`, macOS `~/Library/Caches/runlab`,
  Windows `%LOCALAPPDATA%\\runlab\\Cache`).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pipeline.core.errors import RunlabError
from pipeline.io.hashing import sha256 as file_sha256

CHUNK = 1 << 20


class DownloadError(RunlabError):
    """A download that could not complete (bad URL, server unreachable, transfer broken)."""


class ChecksumError(DownloadError):
    """A downloaded file whose SHA-256 is not the expected one (the file was deleted)."""


class CacheError(RunlabError):
    """The cache folder cannot be created or written."""


def check_url(url: str, what: str = "URL") -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise DownloadError(f"{what} {url!r} is not an http:// or https:// address")
    return url


def user_cache_dir() -> Path:
    if os.environ.get("RUNLAB_CACHE"):
        return Path(os.environ["RUNLAB_CACHE"]).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "runlab"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "runlab" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "runlab"


def writable_dir(folder: Path) -> Path:
    """`folder`, created if needed; CacheError naming it when it cannot be created or written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CacheError(
            f"cache folder {folder} is not writable ({exc.strerror or exc}); set "
            "RUNLAB_CACHE to a folder you can write, or fix its permissions"
        ) from None
    return folder


def hash_matches(actual: str, sha256: str | None, prefix: str | None) -> bool:
    if sha256:
        return actual == sha256.strip().lower()
    if prefix:
        return actual.startswith(prefix.strip().lower())
    raise ValueError("no expected hash: a download is always checked")


def fetch(
    url: str,
    dest: Path,
    sha256: str | None = None,
    prefix: str | None = None,
    timeout: float = 30.0,
    show_progress: bool = True,
) -> tuple[Path, str]:
    """`dest` holding the verified file at `url` -> (dest, its full sha256). An existing `dest`
    is checked, not downloaded again (a mismatching one is deleted and fetched anew)."""
    check_url(url)
    dest = Path(dest)
    writable_dir(dest.parent)
    expected = sha256 or f"{prefix}..."
    if dest.is_file():
        actual = file_sha256(dest)
        if hash_matches(actual, sha256, prefix):
            return dest, actual
        dest.unlink()
    part = dest.with_name(dest.name + ".part")
    _transfer(url, part, timeout, show_progress)
    actual = file_sha256(part)
    if not hash_matches(actual, sha256, prefix):
        part.unlink()
        raise ChecksumError(
            f"{url}: downloaded file has sha256 {actual}, expected {expected}; "
            "deleted it. The server (or mirror) holds a different or corrupt file"
        )
    os.replace(part, dest)
    return dest, actual


def _transfer(url: str, part: Path, timeout: float, show_progress: bool) -> None:
    from tqdm import tqdm

    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # partial file longer than the file: start over
            part.unlink()
            return _transfer(url, part, timeout, show_progress)
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url}: cannot reach the server ({reason}); check the address, or use "
            "--mirror with a copy on a server you can reach"
        ) from None
    with response:
        resumed = response.status == 206 and _range_start(response) == have
        if not resumed:
            have = 0  # the server sent the whole file
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        received = have
        with (
            open(part, "ab" if resumed else "wb") as out,
            tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=part.name[:-5],
                disable=None if show_progress else True,
                mininterval=0.5,
            ) as bar,
        ):
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    received += len(block)
                    bar.update(len(block))
            except (OSError, urllib.error.URLError) as exc:
                raise DownloadError(
                    f"{url}: transfer broke after {received} bytes ({exc}); "
                    f"run again to resume from {part}"
                ) from None
    if total is not None and received < total:
        raise DownloadError(
            f"{url}: transfer broke after {received} of {total} bytes; run again "
            f"to resume from {part}"
        )


def _range_start(response) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes START-END/TOTAL"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None
