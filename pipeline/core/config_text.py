"""Values that must be text, whatever YAML makes of them.

YAML (1.1, as OmegaConf reads it) turns unquoted `010` into the number 8, `1e3` into 1000.0
and `no` into false. An id or a subject name read that way would be silently renamed ("010"
becomes "8") and a before/after comparison would pair the wrong people. So these keys are
checked on the raw config, before the typed merge converts them, and a non-text value is
refused naming the key and the fix (quote it).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

TEXT_VALUES = (
    ("study.sessions", "subject"),
    ("study.sessions", "label"),
    ("study.sessions", "date"),
    ("study.trials", "session"),
    ("study.trials", "condition"),
)
TEXT_LISTS = ("rig.cameras", "study.synthesize")
TEXT_KEYS = ("study.sessions", "study.trials")


def yaml_typed_text_problems(raw: Any) -> list[str]:
    """One problem naming every id, name or label YAML read as a number or a boolean (empty
    when there is none)."""
    if not isinstance(raw, (dict, DictConfig)):
        return []
    cfg = raw if isinstance(raw, DictConfig) else OmegaConf.create(raw)
    problems = []
    for path in TEXT_KEYS:
        for key in _keys(cfg, path):
            if not isinstance(key, str):
                problems.append(_problem(f"the id in {path}", key))
    for path, field in TEXT_VALUES:
        node = OmegaConf.select(cfg, path, default=None)
        if not isinstance(node, DictConfig):
            continue
        for key, entry in node.items_ex(resolve=False):
            if isinstance(entry, DictConfig) and field in entry:
                value = entry._get_node(field)._value()
                if value is not None and not isinstance(value, str):
                    problems.append(_problem(f"{path}.{key}.{field}", value))
    for path in TEXT_LISTS:
        node = OmegaConf.select(cfg, path, default=None)
        if isinstance(node, ListConfig):
            for i, item in enumerate(node._iter_ex(resolve=False)):
                if item is not None and not isinstance(item, str):
                    problems.append(_problem(f"{path}[{i}]", item))
    if not problems:
        return []
    return [
        f"{', '.join(problems)} must be text, but YAML read them as numbers or booleans "
        "(unquoted 010 becomes 8, 1e3 becomes 1000.0, no becomes false): quote them in the "
        'YAML file, e.g. subject: "010"'
    ]


def _keys(cfg: DictConfig, path: str) -> list:
    node = OmegaConf.select(cfg, path, default=None)
    return list(node.keys()) if isinstance(node, DictConfig) else []


def _problem(where: str, value: Any) -> str:
    return f"{where} ({value!r})"
