"""A driver killed while DVC rewrites its stage-lock table leaves .dvc/tmp/rwlock torn; the
next `runlab cluster repro` must not fail on it (seen in tests/test_cluster.py's killed-driver
case: "Unable to read RWLock-file '.dvc/tmp/rwlock'. JSON structure is corrupted")."""

from __future__ import annotations

import json
import logging

from pipeline.cluster.graph import open_repo


def _repo(tmp_path):
    from dvc.repo import Repo

    Repo.init(str(tmp_path), no_scm=True).close()
    lock = tmp_path / ".dvc" / "tmp" / "rwlock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    return lock


def test_a_torn_lock_table_is_reset_and_named(tmp_path, caplog):
    lock = _repo(tmp_path)
    lock.write_text('{"read": {"data": [{"pid": 12')  # cut mid-write
    with caplog.at_level(logging.WARNING):
        open_repo(str(tmp_path)).close()
    assert json.loads(lock.read_text()) == {}
    assert any("rwlock" in r.getMessage() and "killed" in r.getMessage() for r in caplog.records)


def test_a_valid_lock_table_is_left_as_it_is(tmp_path, caplog):
    lock = _repo(tmp_path)
    table = '{"write": {"out": {"pid": 1, "cmd": "dvc repro"}}, "read": {}}'
    lock.write_text(table)
    with caplog.at_level(logging.WARNING):
        open_repo(str(tmp_path)).close()
    assert lock.read_text() == table
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
