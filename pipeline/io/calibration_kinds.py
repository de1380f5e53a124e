"""Which tool wrote a calibration file, told apart by its layout (`identify`): runlab's own
calibration.toml, aniposelib, Pose2Sim, caliscope's camera_array.toml or its 2023 config.toml.
The readers (interop.py) and runlab's own reader (formats.py) use it to name the kind of a
file they refuse."""

from __future__ import annotations

import numpy as np

# identify() result -> the `runlab import-calibration --format` that reads it
RUNLAB, ANIPOSE = "a runlab calibration.toml", "an aniposelib calibration"
POSE2SIM, CALISCOPE = "a Pose2Sim calibration", "a caliscope camera_array.toml"
CALISCOPE_2023 = "a caliscope config.toml (2023)"
FORMAT_OF = {
    RUNLAB: "aniposelib",
    ANIPOSE: "aniposelib",
    POSE2SIM: "pose2sim",
    CALISCOPE: "caliscope",
    CALISCOPE_2023: "caliscope-config",
}


def identify(doc: dict) -> str | None:
    """Which tool's calibration a parsed TOML document looks like; None if none of them."""
    cameras = doc.get("cameras")
    if isinstance(cameras, dict) and cameras and all(str(k).isdigit() for k in cameras):
        return CALISCOPE
    tables = camera_tables(doc)
    if not tables:
        return None
    if (
        "charuco" in doc
        or "capture_volume" in doc
        or any("port" in t or np.size(t.get("rotation", [])) == 9 for _, t in tables)
    ):
        return CALISCOPE_2023
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    if "schema_version" in meta:
        return RUNLAB
    if any("fisheye" in t for _, t in tables) or {"adjusted", "error"} & set(meta):
        return POSE2SIM
    return ANIPOSE


def camera_tables(doc: dict) -> list[tuple[str, dict]]:
    """Tables that look like one camera each (intrinsics keys present), in file order."""
    return [
        (k, v)
        for k, v in doc.items()
        if isinstance(v, dict) and k != "metadata" and {"matrix", "size"} <= set(v)
    ]
