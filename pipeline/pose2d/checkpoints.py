"""Pose-model checkpoints and configs that cannot run code (docs/security.md).

* A checkpoint is read only after its SHA-256 matches the configured one, and only with
  `torch.load(weights_only=True)`: tensors, numbers, strings, containers and numpy arrays.
  There is no fallback to a full unpickle. OpenMMLab training checkpoints also carry the
  training log (`message_hub`: mmengine `HistoryBuffer` objects and their statistics methods,
  pickled through `getattr`); those are read into inert stand-ins (`TrainingRecord`), so no
  mmengine code and no `getattr` on anything else runs. Anything else in the file is refused
  by name.
* An mmpose model config is Python that mmpose executes. Only the configs mmpose ships are
  used, unless the lab sets `detector.rtmpose.run_config_code: true` for a config it trusts.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from pipeline.core.errors import RunlabError
from pipeline.io.hashing import sha256 as file_sha256

# Training-state classes OpenMMLab writes into checkpoints; read as TrainingRecord.
OPENMMLAB_RECORDS = ("mmengine.logging.history_buffer.HistoryBuffer",)


class CheckpointError(RunlabError, ValueError):
    """A pose-model checkpoint is missing, not the file the configuration names, or holds
    objects runlab does not load."""


class ConfigCodeError(RunlabError, ValueError):
    """An mmpose config outside the configs mmpose ships, without the lab's opt-in."""


class TrainingRecord:
    """Inert stand-in for an OpenMMLab training-log object: keeps its fields, runs nothing."""

    def __setstate__(self, state: Any) -> None:
        self.__dict__["state"] = state

    def __repr__(self) -> str:
        return "TrainingRecord(...)"


def _record_attribute(owner: Any, name: str) -> str:
    """Stands in for `getattr` while unpickling: only a training record's methods (pickled by
    name, e.g. HistoryBuffer.min) resolve, to their name; anything else is refused."""
    if owner is TrainingRecord or isinstance(owner, TrainingRecord):
        return f"<{name}>"
    raise pickle.UnpicklingError(f"getattr on {type(owner).__name__} is not allowed")


def safe_globals() -> list:
    """What weights_only=True may build beyond torch's own allowlist."""
    import numpy as np

    allowed: list = [
        np.ndarray,
        np.dtype,
        (np._core.multiarray._reconstruct, "numpy._core.multiarray._reconstruct"),
        (np._core.multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        (np._core.multiarray.scalar, "numpy._core.multiarray.scalar"),
        (np._core.multiarray.scalar, "numpy.core.multiarray.scalar"),
        (_record_attribute, "builtins.getattr"),
    ]
    allowed += [
        type(np.dtype(t))
        for t in (
            "b1",
            "u1",
            "i1",
            "i2",
            "i4",
            "i8",
            "u2",
            "u4",
            "u8",
            "f2",
            "f4",
            "f8",
            "c8",
            "c16",
        )
    ]
    allowed += [(TrainingRecord, name) for name in OPENMMLAB_RECORDS]
    return allowed


def verify_checkpoint(path: str | Path, expected_sha256: str | None) -> str:
    """Check the file's SHA-256 against the expected one; returns the actual hash."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"pose checkpoint {path} not found (expected sha256 {expected_sha256}); "
            f"copy the lab's checkpoint file there or fix the path (e.g. `dvc pull`)"
        )
    actual = file_sha256(path)
    if not expected_sha256:
        raise CheckpointError(
            f"pose checkpoint {path}: no expected sha256 configured; its sha256 is "
            f"{actual}: put that in detector.rtmpose.checkpoint_sha256 if this is "
            "the right file (it is then read as weights only, never run)"
        )
    if actual.lower() != expected_sha256.strip().lower():
        raise CheckpointError(
            f"pose checkpoint {path}: sha256 {actual} does not match the expected "
            f"{expected_sha256}; the file is corrupt or a different model"
        )
    return actual


def read_checkpoint(path: str | Path, expected_sha256: str | None) -> Any:
    """The checkpoint's contents, read as data only (after the hash check)."""
    import torch

    verify_checkpoint(path, expected_sha256)
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = next(
            (line for line in str(exc).splitlines() if "GLOBAL" in line or "not allowed" in line),
            str(exc).splitlines()[0] if str(exc) else "unknown object",
        )
        raise CheckpointError(
            f"pose checkpoint {path} holds objects runlab does not load ({reason.strip()}); runlab "
            "reads weights only and never runs code from a checkpoint. Save the weights alone, e.g. "
            "torch.save({'state_dict': ckpt['state_dict'], 'meta': {'dataset_meta': ...}}, path) "
            "in a trusted Python session, then configure the new file's sha256"
        ) from None


def shipped_config_dir() -> Path:
    """The model configs inside the installed mmpose package."""
    import importlib.util

    spec = importlib.util.find_spec("mmpose")
    if spec is None or spec.origin is None:
        raise RunlabError("the rtmpose backend needs mmpose 1.3 installed")
    return Path(spec.origin).parent / ".mim" / "configs"


def check_config_source(path: Path, run_config_code: bool) -> Path:
    """`path` if it is a config mmpose ships, or the lab opted in to running its code."""
    shipped = shipped_config_dir().resolve()
    resolved = Path(path).resolve()
    if resolved.is_relative_to(shipped) or run_config_code:
        return path
    raise ConfigCodeError(
        f"detector.rtmpose.model = {path} is not one of the configs mmpose ships ({shipped}); an "
        "mmpose config is Python that is executed when it is read. Use rtmpose-t/s/m/l or a config "
        "under that folder, or set detector.rtmpose.run_config_code: true if you wrote or reviewed "
        "this file and accept that it runs as code"
    )
