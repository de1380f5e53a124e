"""Events out of the foot's own rhythm: one event timed far from where its neighbours put it.

A runner's consecutive strides differ by a few per cent (stride-time CV 2-4 % in steady
running; Jordan 2006, Nakayama 2010: docs/references.md). One event mistimed by e (a detector
burst on the foot just before contact, a corner read on the wrong stretch) lengthens one of its
two intervals by e and shortens the other by e, while the two together still span about two
usual intervals. A change of pace or a turn moves both intervals the same way, and a gap
(missing events, another pass) makes an interval far longer than the usual one. So an event
whose two neighbouring intervals deviate in opposite directions by more than
MAX_DISPLACEMENT of the side's median interval, and together span two usual intervals, is
out of rhythm: its time is not what the foot did, and a stride cut at it would be wrong.
The first and last events of a run (of the trial, or beside a gap) have one neighbour, so a
modest displacement cannot be told from a change of pace there; only a gross one is judged:
an end interval that differs from the next one in by more than END_DISPLACEMENT of the usual
interval (several times what natural variation and a steady change of pace give between two
consecutive strides), when that next event is not itself out of rhythm.
"""

from __future__ import annotations

import numpy as np

# Several times the natural stride-to-stride variation (2-4 %): a displacement this large on
# both sides of one event at once is not the runner.
MAX_DISPLACEMENT = 0.1
GAP_INTERVALS = 1.5  # an interval this many usual ones long is a gap, not a neighbour
END_DISPLACEMENT = 2 * MAX_DISPLACEMENT


def out_of_rhythm(times: np.ndarray) -> np.ndarray:
    """(N,) bool for sorted event times of one foot and one kind: events whose neighbours
    put them elsewhere (module doc). Needs 3 intervals for a usual one; else nothing is
    judged."""
    t = np.asarray(times, float)
    flagged = np.zeros(t.size, bool)
    if t.size < 4:
        return flagged
    intervals = np.diff(t)
    usual = float(np.median(intervals))
    if not usual > 0:
        return flagged
    for i in range(1, t.size - 1):
        before, after = intervals[i - 1], intervals[i]
        if max(before, after) > GAP_INTERVALS * usual:
            continue
        shift = 0.5 * (before - after)  # the event's displacement if it alone is off
        pace = before + after - 2.0 * usual  # what a change of pace would show
        flagged[i] = abs(shift) > MAX_DISPLACEMENT * usual and abs(pace) < abs(shift)
    inner = flagged.copy()
    bounds = np.concatenate([[np.inf], intervals, [np.inf]])  # interval before / after event i
    for i in range(t.size):
        for outer, step in ((bounds[i], 1), (bounds[i + 1], -1)):  # i starts / ends a run
            if outer <= GAP_INTERVALS * usual:
                continue
            j = i + step  # the neighbour, then the next event in
            if not 0 <= j + step < t.size or inner[j]:
                continue
            end, next_in = abs(t[j] - t[i]), abs(t[j + step] - t[j])
            if max(end, next_in) > GAP_INTERVALS * usual:
                continue
            flagged[i] |= abs(end - next_in) > END_DISPLACEMENT * usual
    return flagged


# an event found: (frame, cue index, aligned to the trial's template, trusted), per side and name
Found = dict[str, dict[str, list[tuple[float, int, bool, bool]]]]


def distrust_out_of_rhythm(found: Found) -> Found:
    """The same events, sorted, with those out of their foot's rhythm no longer trusted: set
    aside as poorly timed instead of cutting a stride at the wrong frame."""
    out: Found = {}
    for side, named in found.items():
        out[side] = {}
        for name, events in named.items():
            events = sorted(events)
            off = out_of_rhythm(np.array([t for t, *_ in events]))
            out[side][name] = [
                (t, k, aligned, trusted and not bad)
                for (t, k, aligned, trusted), bad in zip(events, off)
            ]
    return out
