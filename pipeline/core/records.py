"""The one to_dict / from_dict pair of a record written to JSON: a frozen dataclass whose
fields are JSON values or records of the same kind, written in field order with their nulls.

`from_dict` rebuilds a flat record (fields of JSON values) and names a key it lacks or does
not know; a record holding records reads its parts itself."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from typing import Any, Self

from pipeline.core.json_types import JsonObject


class Record:
    """Base of a frozen dataclass written to JSON as its fields."""

    def to_dict(self) -> JsonObject:
        assert is_dataclass(self), f"{type(self).__name__} is not a dataclass"
        return asdict(self)

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> Self:
        check_keys(cls, entry, cls.__name__)
        return cls(**entry)


def check_keys(cls: type, entry: dict[str, Any], what: str) -> None:
    """ValueError naming the keys of `entry` that record type `cls` lacks or does not know."""
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(entry) - set(known))
    missing = [k for k in known if k not in entry]
    if unknown or missing:
        raise ValueError(
            f"{what} has "
            + (f"unknown keys {unknown} " if unknown else "")
            + (f"no {missing} " if missing else "")
            + f"(it holds: {', '.join(known)})"
        )
