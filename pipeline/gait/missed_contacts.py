"""Contacts not found: where the running rhythm says a foot was on the floor and no event of
that foot (timed or set aside as poorly observed) was found at all.

A whole contact can go undetected while the other foot's contacts around it are found (a
dropout in one view and an offset in another lift the stance toe, the heel shows fewer
frames of contact than the detector's minimum, and the contact reads as flight). No value is
wrong then (strides._cycles refuses a stride across it: events.skips_a_cycle), but the
events screen counts only events it found, so the user would not hear that one is missing.

Per foot, within each stretch (an overground pass, or the whole treadmill trial):
- each contact seen is anchored at its strike: a timed or poorly observed strike, or a toe-off
  without one, moved back by the foot's typical contact time;
- two consecutive anchors REPEATS_FOR_A_MISS or more of the foot's typical stride apart hold
  round(interval / stride) - 1 contacts not found between them;
- before the first anchor and after the last, whole strides back (forward) from it are
  expected contacts while the other foot's contact between is seen and the expected contact,
  with MARGIN_STRIDES of a stride each side, lies inside the stretch;
- an expected contact counts only where no unobserved gap (observation.gaps: both feet
  unmeasured for longer than the event detection bridges) touches its window: a contact in
  a gap is the gap's (its verdict reason names it), one outside the trial or a pass is
  nobody's.
The typical stride is the median interval between consecutive strikes of the foot that do
not skip a cycle (events.typical_stride), else the other foot's; without either, nothing is
judged.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.angles import SIDES
from pipeline.gait.events import typical_stride
from pipeline.gait.records import Events
from pipeline.gait.strides import MAX_STANCE_FRACTION

# one missing contact doubles a foot's strike interval; a runner's stride time varies by a few
# per cent, so 1.6 strides apart is no rhythm a runner keeps with every contact seen
REPEATS_FOR_A_MISS = 1.6
# an expected contact's window: its strike and toe-off extrapolated from the rhythm, widened by
# this share of a stride (stride-to-stride variation, and the event fits' need for samples
# on both sides of an event)
MARGIN_STRIDES = 0.2
# a foot's stance share of a running stride when none of its contacts is timed whole
FALLBACK_STANCE_SHARE = 0.35

Window = tuple[float, float]  # seconds: where a contact not found lay


def contacts_not_found(
    events: Events,
    poor: Events | None,
    fps: float,
    spans: list[tuple[int, int]],
    unobserved: list[tuple[int, int]],
) -> dict[str, tuple[Window, ...]]:
    """Per side, the windows (from, to seconds) of the contacts the rhythm expects and no event
    of that foot marks. `events`: the timed events; `poor`: those set aside as poorly observed
    (they account for their contact); `spans`: [start, stop) frames of each stretch (a pass,
    or the whole trial); `unobserved`: [first, last] frames of each gap (observation.gaps)."""
    out: dict[str, list[Window]] = {side: [] for side in SIDES}
    for start, stop in spans:
        inside = _within(events, start, stop)
        seen = _within(_merged(events, poor), start, stop)
        strides = {side: _typical_stride(inside, side) for side in SIDES}
        for side in SIDES:
            other = "right" if side == "left" else "left"
            stride = strides[side] if np.isfinite(strides[side]) else strides[other]
            if not np.isfinite(stride):
                continue
            stance = _typical_stance(inside[side], stride)
            for strike in _expected(seen, side, other, stride, stance, start, stop):
                lo = strike - MARGIN_STRIDES * stride
                hi = strike + stance + MARGIN_STRIDES * stride
                if not any(first <= hi and last >= lo for first, last in unobserved):
                    window = (max(lo, start) / fps, min(hi, stop - 1) / fps)
                    out[side].append((round(window[0], 3), round(window[1], 3)))
    return {side: tuple(sorted(windows)) for side, windows in out.items()}


def _expected(
    seen: Events, side: str, other: str, stride: float, stance: float, start: int, stop: int
) -> list[float]:
    """Expected strike frames of the contacts of `side` no seen event marks."""
    anchors = _anchors(seen[side], stride, stance)
    if not anchors:
        return []
    margin = MARGIN_STRIDES * stride
    out: list[float] = []
    for a, b in zip(anchors[:-1], anchors[1:]):
        ratio = (b - a) / stride
        n = int(round(ratio)) - 1 if ratio >= REPEATS_FOR_A_MISS else 0
        out.extend(a + k * (b - a) / (n + 1) for k in range(1, n + 1))
    other_events = np.concatenate([seen[other]["foot_strike"], seen[other]["toe_off"]])
    for sign, edge in ((-1.0, anchors[0]), (1.0, anchors[-1])):
        k, previous = 1, edge
        while True:
            strike = edge + sign * k * stride
            if strike - margin < start or strike + stance + margin > stop - 1:
                break
            # the other foot's contact between the two of this foot is seen: the runner ran there
            lo, hi = sorted((previous, strike))
            if not np.any((other_events > lo) & (other_events < hi)):
                break
            out.append(strike)
            k, previous = k + 1, strike
    return sorted(out)


def _anchors(named: dict[str, np.ndarray], stride: float, stance: float) -> list[float]:
    """One strike frame per contact seen: the strikes, and toe-offs without a strike in the
    stance before them moved back by the typical stance."""
    strikes = np.sort(np.asarray(named["foot_strike"], float))
    times = list(strikes)
    for toe_off in np.asarray(named["toe_off"], float):
        own = strikes[(strikes < toe_off) & (strikes > toe_off - MAX_STANCE_FRACTION * stride)]
        if not own.size:
            times.append(toe_off - stance)
    merged: list[float] = []
    for t in sorted(times):
        if merged and t - merged[-1] < 0.5 * stride:
            continue  # the same contact
        merged.append(float(t))
    return merged


def _typical_stride(events: Events, side: str) -> float:
    """events.typical_stride of `side` (frames; inf when there is none)."""
    other = "right" if side == "left" else "left"
    return typical_stride(
        events[side]["foot_strike"], events[other]["foot_strike"], events[side]["toe_off"]
    )


def _typical_stance(named: dict[str, np.ndarray], stride: float) -> float:
    """Median strike-to-own-toe-off time (frames) of a foot's timed contacts."""
    offs = np.asarray(named["toe_off"], float)
    stances = []
    for strike in np.asarray(named["foot_strike"], float):
        later = offs[(offs > strike) & (offs < strike + MAX_STANCE_FRACTION * stride)]
        if later.size:
            stances.append(later[0] - strike)
    return float(np.median(stances)) if stances else FALLBACK_STANCE_SHARE * stride


def _merged(events: Events, poor: Events | None) -> Events:
    """Timed and poorly observed events together, sorted."""
    return {
        side: {
            name: np.sort(
                np.concatenate(
                    [
                        np.asarray(events[side][name], float).ravel(),
                        np.asarray(
                            [] if poor is None else poor.get(side, {}).get(name, []), float
                        ).ravel(),
                    ]
                )
            )
            for name in ("foot_strike", "toe_off")
        }
        for side in SIDES
    }


def _within(events: Events, start: float, stop: float) -> Events:
    out: Events = {}
    for side, named in events.items():
        out[side] = {}
        for name, times in named.items():
            t = np.asarray(times, float).ravel()
            out[side][name] = np.sort(t[(t >= start) & (t < stop)])
    return out
