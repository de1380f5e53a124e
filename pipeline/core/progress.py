"""Progress bars for long work: shown on a terminal, silent in logs (CI, redirected output)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(
    items: Iterable[T], desc: str, unit: str = "frame", total: int | None = None
) -> Iterator[T]:
    # disable=None: tqdm turns itself off when stderr is not a terminal.
    return iter(tqdm(items, desc=desc, unit=unit, total=total, disable=None, mininterval=0.5))
