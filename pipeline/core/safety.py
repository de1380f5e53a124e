"""What a value from configuration or a file may become: a folder or file name, a path the
pipeline writes, the item of a DVC stage. Checked wherever it enters (docs/security.md).

* Ids (sessions, trials) and camera names become folder names, file names and DVC stage
  names: letters, digits, '_', '-', '.', starting with a letter or digit, at most 64
  characters. No separator, no '..', nothing a shell or a URL treats specially.
* Every path a stage writes must lie inside the study's data or results folder, lexically
  (after '..' is resolved, before symlinks: links the lab made inside its folders are its own).
* DVC never puts an id on a shell line: dvc.yaml runs `runlab <stage> --dvc-stage`, and the
  id is read here from DVC_STAGE (`detect@t01`), which DVC sets for every command it runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.core.errors import RunlabError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NAME_RULE = (
    "letters, digits, '_', '-' or '.', starting with a letter or digit, at most 64 "
    "characters (they become folder, file and DVC stage names)"
)

# dvc.yaml stage name -> the runlab option its foreach item is
DVC_STAGES = {
    "synth": "session",
    "calibrate": "session",
    "standing": "session",
    "detect": "trial",
    "sync": "trial",
    "triangulate": "trial",
    "analyze": "trial",
    "report_trial": "trial",
    "import3d": "trial",
    "analyze_import": "trial",
    "report_import": "trial",
}
# dvc.yaml stage -> the runlab command it runs, where the two differ
DVC_COMMANDS = {
    "report_trial": "report",
    "import3d": "import-3d",
    "analyze_import": "analyze",
    "report_import": "report",
}


class UnsafeValueError(RunlabError, ValueError):
    """A name or path from configuration or a file that could escape the study or reach a shell."""


def name_problem(key: str, value: object) -> str | None:
    """Why `value` (the value of `key`) cannot be a file or folder name, or None."""
    if isinstance(value, str) and NAME_PATTERN.match(value):
        return None
    return f"{key}: {value!r} is not a usable name: use {NAME_RULE}"


def check_names(key: str, values: Iterable[object]) -> None:
    problems = [p for v in values if (p := name_problem(key, v))]
    if problems:
        raise UnsafeValueError("; ".join(problems))


def confined(path: Path | str, roots: Iterable[Path | str], key: str) -> Path:
    """`path` if it lies inside one of `roots` (compared after '..' is resolved), else an
    UnsafeValueError naming `key`."""
    target = os.path.abspath(path)
    absolute = [str(os.path.abspath(r)) for r in roots]
    for root in absolute:
        if os.path.commonpath([target, root]) == root and target != root:
            return Path(path)
    raise UnsafeValueError(
        f"{key}: {path} is outside the study's folders ({', '.join(absolute)}); "
        "it would write where the study does not own the files. Use a plain "
        f"name ({NAME_RULE})"
    )


def dvc_stage_item(command: str, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(option, id) of the DVC foreach stage running this command: DVC_STAGE is the stage's
    address, `[<dvc.yaml path>:]<stage>@<id>`; the id is checked as a name."""
    env = os.environ if env is None else env
    address = env.get("DVC_STAGE")
    if not address:
        raise UnsafeValueError(
            f"runlab {command} --dvc-stage: DVC_STAGE is not set; this option "
            "is for dvc.yaml (DVC >= 3 sets it). From a shell use "
            "--session S / --trial T"
        )
    name = address.rsplit("dvc.yaml:", 1)[-1]
    stage, sep, item = name.partition("@")
    if not sep or stage not in DVC_STAGES:
        raise UnsafeValueError(
            f"runlab {command} --dvc-stage: DVC_STAGE={address!r} is not one of "
            f"runlab's foreach stages ({', '.join(DVC_STAGES)})"
        )
    if DVC_COMMANDS.get(stage, stage) != command:
        raise UnsafeValueError(
            f"runlab {command} --dvc-stage runs in DVC stage {address!r}: "
            "dvc.yaml calls the wrong runlab command there"
        )
    option = DVC_STAGES[stage]
    key = (
        "study.synthesize"
        if stage == "synth"
        else "study.imports"
        if stage in DVC_COMMANDS and stage != "report_trial"
        else f"study.{option}s"
    )
    check_names(key, [item])
    return option, item
