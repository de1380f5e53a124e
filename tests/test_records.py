"""Records that cross a stage or a layer: each written and read by one function pair, and the
file unchanged by the round trip (issue #27)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.io.formats import FormatError, write_json
from pipeline.sync.result import (
    SyncResult,
    off_result,
    read_sync_result,
    sync_result,
    write_sync_result,
)

CAMS = ["cam_0", "cam_1", "cam_2"]


def test_sync_result_round_trips_and_keeps_the_file_layout(tmp_path):
    result = sync_result(
        CAMS,
        50.0,
        "check",
        "keypoints",
        np.array([0.0, 1.02, np.nan]),
        np.array([0.0, 0.03, np.inf]),
        {2: "no pair"},
        {"search_frames": 40, "pairs": [{"cameras": ["cam_0", "cam_1"]}]},
    )
    path = tmp_path / "sync.json"
    write_sync_result(path, result)
    again = read_sync_result(path)
    assert again == result
    on_disk = json.loads(path.read_text())
    assert list(on_disk) == [
        "schema_version",
        "mode",
        "method",
        "reference",
        "sign",
        "fps",
        "offsets_frames",
        "offsets_ms",
        "sd_frames",
        "confidence",
        "measured",
        "applied_frames",
        "status",
        "reasons",
        "search_frames",
        "pairs",
    ]
    assert on_disk["offsets_frames"] == {"cam_0": 0.0, "cam_1": 1.02, "cam_2": None}
    write_sync_result(tmp_path / "again.json", again)
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert read_sync_result(_write(tmp_path, off_result(CAMS, 50.0).to_dict())).status == "off"


def test_an_older_sync_file_is_named_with_the_fix(tmp_path):
    with pytest.raises(FormatError, match=r"old\.json: no applied_frames.*rerun `runlab sync`"):
        read_sync_result(
            _write(
                tmp_path,
                {
                    k: v
                    for k, v in off_result(CAMS, 50.0).to_dict().items()
                    if k != "applied_frames"
                },
                "old.json",
            )
        )


def _write(folder, data: dict, name: str = "sync.json"):
    path = folder / name
    write_json(path, data)
    return path


assert SyncResult.__dataclass_params__.frozen


def test_verdict_round_trips_through_its_dict():
    from pipeline.quality.verdict import Reason, Verdict

    verdict = Verdict("degraded", (Reason("sync_uncertain", "degraded", "cam_1: offset unknown"),))
    assert Verdict.from_dict(verdict.to_dict()) == verdict
    assert verdict.to_dict() == {
        "verdict": "degraded",
        "reasons": [
            {"code": "sync_uncertain", "severity": "degraded", "message": "cam_1: offset unknown"}
        ],
    }
    assert Verdict.from_dict(None) is None and Verdict.from_dict({}) is None
