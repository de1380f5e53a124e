"""Atomic file writes and outputs replaced as one set.

An interrupted stage never leaves a half-written file that a rerun (or DVC) would trust:
a single file is written beside its target and renamed over it (`atomic_path`); a stage's
set of outputs (files or folders in one folder) is written into a hidden staging folder
beside them and each moved over its target only when all are complete (`staged`). A crash,
a kill or a full disk while writing leaves the previous complete set; the next run removes
what a killed run left. Files and folders get the modes the umask gives (0644 / 0664, 0755 /
0775), as a plain `open()` would, so colleagues in the lab's group can read the results.
A read-only folder or a full disk is an `OutputError` naming the path and the fix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.errors import RunlabError

STAGING = ".staging-"  # <parent>/.<first target name>.staging-<pid>@<host>-XXXX
RETIRED = ".retired-"  # <parent>/.<target name>.retired-XXXX (the previous version, briefly)


class OutputError(RunlabError, OSError):
    """An output cannot be written: read-only folder, no permission or a full disk."""


def umask() -> int:
    """The process umask (read without changing it where Linux tells it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish_mode(path: Path | str) -> None:
    """Give a file made by mkstemp/mkdtemp (0600 / 0700) the mode a plain open()/mkdir would."""
    base = 0o777 if os.path.isdir(path) else 0o666
    os.chmod(path, base & ~umask())


def output_error(exc: OSError, path: Path | str) -> OSError:
    """A named OutputError for a full disk / read-only / permission problem, else `exc`."""
    where = exc.filename or path
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"no space left on the disk writing {where} (for {path}): free space there "
            "or point study.results_dir at a disk with room, then run the stage again; "
            "the previous results are unchanged"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return OutputError(
            f"cannot write {where} (for {path}): {os.strerror(exc.errno)}. Make the "
            "folder writable for this user (or mount it read-write), or point "
            "study.results_dir at a writable folder; the previous results are unchanged"
        )
    return exc


@contextlib.contextmanager
def _named_errors(path: Path | str) -> Iterator[None]:
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        named = output_error(exc, path)
        if named is exc:
            raise
        raise named from None


def _makedirs(folder: Path) -> None:
    with _named_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def atomic_path(target: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target`."""
    target = Path(target)
    _makedirs(target.parent)
    with _named_errors(target):
        for stale in target.parent.glob(f".{target.name}.*"):  # left by a killed run
            if stale.is_file() and RETIRED not in stale.name:
                stale.unlink()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent
        )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        with _named_errors(target):
            yield tmp_path
            publish_mode(tmp_path)
            os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: Path | str, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _replace(source: Path, target: Path) -> None:
    """Move `source` over `target` (file or folder); the old `target` is deleted."""
    if not target.exists() and not target.is_symlink():
        os.rename(source, target)
    elif _exchange(source, target):
        _remove(source)  # now holds the old version
    else:
        retired = target.with_name(f".{target.name}{RETIRED}{os.getpid()}")
        os.rename(target, retired)
        os.rename(source, target)
        _remove(retired)


def clean_leftovers(folder: Path, names: list[str]) -> None:
    """Remove what a killed run left beside these targets: staging folders, and retired
    versions (put back where the new one never arrived)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        for name in names:
            prefix = f".{name}"
            if entry.name.startswith(prefix + RETIRED):
                target = folder / name
                if target.exists():
                    _remove(entry)
                else:
                    os.rename(entry, target)
            elif entry.name.startswith(prefix + STAGING):
                _remove(entry)


def _owner() -> str:
    """pid@host of this process: a staging folder's name says who writes it."""
    return f"{os.getpid()}@{socket.gethostname()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_staging(folder: Path | str) -> list[Path]:
    """Remove the staging folders in `folder` whose writer is gone (its process, on this
    machine, no longer runs): what a killed stage left. Every stage calls it for the results
    folders of its trial or session, so the leftover goes with the next stage run there,
    even when DVC restored the killed stage from its run-cache and ran nothing. A folder of
    another machine (a cluster node) or of a live process is left alone."""
    folder, host = Path(folder), socket.gethostname()
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if not entry.name.startswith(".") or STAGING not in entry.name:
            continue
        pid, _, where = entry.name.split(STAGING, 1)[1].rpartition("-")[0].partition("@")
        if where == host and pid.isdigit() and not _alive(int(pid)):
            _remove(entry)
            removed.append(entry)
    return removed


@contextlib.contextmanager
def staged(*targets: Path | str) -> Iterator[tuple[Path, ...]]:
    """Write a set of outputs (files or folders, all in one folder) as one.

    Yields one path per target inside a fresh hidden staging folder beside them (write each
    output there, a folder output as a folder). When the block completes, each target is
    replaced by its staged version (renames only); on any error, a crash or a kill, the
    previous set stays as it was and the staging folder is removed (now, or by the next run).
    Targets the block did not create are left as they are.

        with staged(paths.points3d_dir(trial)) as (out,):
            write_points3d(out / f"{trial}.npz", ...)
    """
    outputs = tuple(Path(t) for t in targets)
    if not outputs:
        raise ValueError("staged() needs at least one target")
    parent = outputs[0].parent
    if any(t.parent != parent for t in outputs):
        raise ValueError(f"staged outputs must share one folder: {[str(t) for t in outputs]}")
    _makedirs(parent)
    names = [t.name for t in outputs]
    with _named_errors(outputs[0]):
        clean_leftovers(parent, names)
        staging = Path(tempfile.mkdtemp(prefix=f".{names[0]}{STAGING}{_owner()}-", dir=parent))
    try:
        with _named_errors(outputs[0]):
            yield tuple(staging / n for n in names)
            for name, target in zip(names, outputs):
                source = staging / name
                if source.exists():
                    for path in [source, *(source.rglob("*") if source.is_dir() else ())]:
                        publish_mode(path)
                    _replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
