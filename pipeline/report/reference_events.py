"""The capture's own events (force plates or C3D) beside runlab's, for imported trials: one
row per reference event, with runlab's nearest event of the same foot and the difference."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from pipeline.gait.analysis import Events
from pipeline.io.import3d import ReferenceEvents

KINDS = (("foot_strikes", "foot_strike", "foot strike"), ("toe_offs", "toe_off", "toe-off"))


@dataclass(frozen=True)
class ReferenceRow:
    """One reference event beside runlab's nearest event of the same foot (None: none within
    the window), times in s from the trial's start, runlab minus reference in ms."""

    side: str
    event: str  # foot strike | toe-off
    reference_s: float
    runlab_s: float | None
    difference_ms: float | None


def reference_rows(
    reference: ReferenceEvents, events: Events, fps: float, window_frames: float = 10.0
) -> list[ReferenceRow]:
    """Per reference event: side, kind, its time, runlab's nearest (within `window_frames`;
    None: runlab found none there) and runlab minus reference in ms."""
    rows = []
    for key, event_key, label in KINDS:
        for side in ("left", "right"):
            mine = np.asarray(events.get(side, {}).get(event_key, []), float)
            for frame in getattr(reference, key).get(side, []):
                nearest = None
                if mine.size and np.min(np.abs(mine - frame)) <= window_frames:
                    nearest = float(mine[np.argmin(np.abs(mine - frame))])
                rows.append(
                    ReferenceRow(
                        side=side,
                        event=label,
                        reference_s=frame / fps,
                        runlab_s=None if nearest is None else nearest / fps,
                        difference_ms=None if nearest is None else 1000 * (nearest - frame) / fps,
                    )
                )
    return rows


def reference_events_html(reference: ReferenceEvents | None, events: Events, fps: float) -> str:
    if reference is None or reference.source == "none":
        return ""
    rows = reference_rows(reference, events, fps)
    cell = lambda v, f: "&ndash;" if v is None else format(v, f)
    body = "".join(
        f"<tr><td>{r.side}</td><td>{r.event}</td><td>{cell(r.reference_s, '.3f')}</td>"
        f"<td>{cell(r.runlab_s, '.3f')}</td><td>{cell(r.difference_ms, '+.0f')}</td></tr>"
        for r in rows
    )
    found = [r.difference_ms for r in rows if r.difference_ms is not None]
    note = f"{len(found)} of {len(rows)} reference events have a runlab event within 10 frames" + (
        f"; median difference {np.median(found):+.0f} ms" if found else ""
    )
    return (
        f"<h3>Reference events ({html.escape(reference.source)})</h3>"
        "<table><tr><th>side</th><th>event</th><th>reference (s)</th><th>runlab (s)</th>"
        f'<th>runlab &minus; reference (ms)</th></tr>{body}</table><p class="note">{note}. Times '
        "from the start of the trial.</p>"
    )
