"""Foot strikes and toe-offs from 3D keypoint heights (treadmill or overground, Z up).

Kinematic event detection from the vertical trajectories of the foot keypoints, the family
of methods reviewed in `docs/references.md` ("Conventions the values assume": heel or
foot vertical position / velocity for the strike, toe height and velocity for the toe-off;
Fellin 2010, Handsaker 2016). Only heights time the events: the stance foot moves backward at
belt speed on a treadmill and stands still overground, so horizontal velocity would need both
cases, and on real running it has no corner at either event (the heel still slides at 1-3
m/s relative to the belt at the force plate's contact and slows over the next frames; the
tip starts moving frames before lift-off: docs/metrics.md, "Cues tried").

Per foot (steps 0-2 in foot_contact.py, step 3 here and in corner_fit.py):
0. Gross triangulation errors are removed first: the heel, big toe and ankle of a
   foot are rigidly linked, so a keypoint whose distances to both others are off their trial
   median by more than OUTLIER_MIN_M (and 6 robust SDs) in a frame is dropped there (seen
   overground, where the runner leaves the rig's volume: errors of 0.1-0.6 m in single
   frames). Gaps up to FILL_GAP_S are bridged linearly; longer gaps stay gaps.
1. Stance level of the heel and of the big toe: the median of the lowest 15 % of that
   keypoint's low-passed heights (keypoints sit above the floor by an unknown, person- and
   detector-dependent amount, so the floor height itself is not used).
2. Coarse contacts: the heights are low-passed (2nd-order Butterworth run forward and back,
   `cutoff_hz`, clamped below Nyquist; Winter 2009 for kinematic data). Clearance =
   min over the two keypoints of (height - level); contact when it falls below
   `contact_threshold_m`, flight when it rises above twice that (hysteresis), contacts
   shorter than `min_contact_s` and flights shorter than `min_flight_s` merged away.
3. Refinement, on the raw (unfiltered) heights of the first keypoint down (strike) or the
   last one up (toe-off): the corner where the height meets its per-contact floor level is
   fitted (corner_fit.py), within `fit_window_s` of the coarse edge. Where the trial's height
   noise is above TEMPLATE_NOISE_M, each event type is re-timed on the trial's mean event
   instead (event_template.py).
4. An event its neighbours put elsewhere (two intervals off in opposite directions) is not
   trusted (rhythm.py).
Events are fractional frame indices. A contact cut by the start or end of the trial, or by
missing keypoints, yields only the events actually seen.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.gait import event_template
from pipeline.gait.angles import SIDES
from pipeline.gait.corner_fit import (
    CHOICE_NOISE_SDS,
    GRID_STEP,
    STRIKE_FIT_CAP_M,
    TOE_OFF_FIT_CAP_M,
    fit_event,
)
from pipeline.gait.event_screen import cue_heights, well_timed
from pipeline.gait.foot_contact import (
    CONTACT,
    FLIGHT,
    FOOT,
    TOE_TIP_AHEAD_M,
    FootState,
    foot_state,
    merge_unsupported_flights,
    runs_of,
    undo_swapped_runs,
)
from pipeline.gait.records import Events
from pipeline.gait.rhythm import distrust_out_of_rhythm

# an edge of a contact: (frame, index into FOOT of the cue that timed it, its corner fit worked)
Edge = tuple[float, int, bool]
# an event found: (frame, cue index, aligned to the trial's template, trusted), per side and name
Candidate = tuple[float, int, bool, bool]
Candidates = dict[str, dict[str, list[Candidate]]]
# per event type, the SD (frames) of the mean-event read all its aligned events share
# (event_template.read_sd); 0 where each event was timed on its own
ReadSD = dict[str, float]

# On the mean of a trial's strikes (event_template.py) the noise that made the single-event
# fit's speed-term guard (corner_fit.LINEAR_PENALTY) needed is averaged away, and the guard
# (the mean's spread on the ground taken as its noise) kept real strikes from their speed term
# (0.9 frame late on the force-plate trials).
TEMPLATE_LINEAR_PENALTY = 0.0
# Height noise (robust SD, per frame) above which one event's own samples cannot pin its
# corner and the events are aligned to the trial's mean event instead (event_template.py):
# markers below 0.5 mm, the 1 px synthetic detector 1-1.5 mm inside the rig (3 mm with an
# overground runner at the volume's edges), a real detector's 3D 8-10 mm.
TEMPLATE_NOISE_M = 0.005


@dataclass(frozen=True)
class EventOptions:
    """How events are detected (module docstring, steps 2-3). A name that is not a field fails
    at construction (TypeError naming it), so does a value that is not a finite number, a
    negative one, or 0 but for `toe_tip_ahead_m` (each naming its field)."""

    # clearance above the stance level below which a foot is in contact (flight: above twice it)
    contact_threshold_m: float = 0.01
    min_contact_s: float = 0.06  # shorter contacts are merged into the flights around them
    min_flight_s: float = 0.03  # shorter flights are merged into the contacts around them
    cutoff_hz: float = 12.0  # low-pass of the heights the contacts are found on
    fit_window_s: float = 0.04  # corner fit: candidates within this of the coarse edge
    # how far the shoe's tip lies ahead of the big-toe keypoint along the heel -> toe line
    # (0 where the keypoint is the tip itself, as the synthetic runner's)
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"EventOptions.{option.name} must be a number, got {value!r}")
            may_be_zero = option.name == "toe_tip_ahead_m"
            if not (np.isfinite(value) and (value >= 0 if may_be_zero else value > 0)):
                bound = "0 or more" if may_be_zero else "positive"
                raise ValueError(f"EventOptions.{option.name} must be {bound}, got {value!r}")


DEFAULT_OPTIONS = EventOptions()


def detect_events(
    points: np.ndarray, fps: float, options: EventOptions = DEFAULT_OPTIONS
) -> Events:
    """{side: {"foot_strike": frames, "toe_off": frames}} from (F, 26, 3) keypoints."""
    return detect_events_and_read_sd(points, fps, options)[0]


def detect_events_and_read_sd(
    points: np.ndarray, fps: float, options: EventOptions = DEFAULT_OPTIONS
) -> tuple[Events, ReadSD]:
    """(detect_events' events, the shared read's SD per event type: ReadSD)."""
    found, read_sd = _events_with_keypoint(points, fps, options)
    events = {
        side: {
            name: np.array([t for t, _, _, trusted in pairs if trusted])
            for name, pairs in named.items()
        }
        for side, named in found.items()
    }
    return events, read_sd


def detect_screened_events(
    points: np.ndarray,
    fps: float,
    height_sd: np.ndarray,
    *,
    max_timing_sd_s: float,
    options: EventOptions = DEFAULT_OPTIONS,
    n_views: np.ndarray | None = None,
) -> tuple[Events, Events, ReadSD]:
    """(timed, poorly_observed) events, each laid out as `detect_events` returns them, and the
    shared read's SD per event type (ReadSD).

    `height_sd` (F, 26): predicted vertical SD of each keypoint, metres per pixel of 2D
    error (points3d `sd_per_px`, world Z). An event is poorly observed when its predicted
    timing SD per px (event_screen.py: the height SD of the point it is timed from over the
    foot's vertical speed through the fit) is above `max_timing_sd_s`, or unknown, or that
    point was gap-filled (not triangulated) within the options' `fit_window_s` of it.
    `n_views` (F, 26): views per keypoint; an event whose point was seen by enough views to
    reject a wrong one is not held to the SD limit (event_screen.py)."""
    observed = np.isfinite(height_sd)
    found, read_sd = _events_with_keypoint(points, fps, options, observed)
    half = max(1, int(round(options.fit_window_s * fps)))
    tip = options.toe_tip_ahead_m
    timed: Events = {}
    poor: Events = {}
    for side, named in found.items():
        timed[side], poor[side] = {}, {}
        heights = cue_heights(points, fps, side, tip)
        for name, pairs in named.items():
            ok = np.array(
                [
                    trusted
                    and well_timed(
                        points,
                        fps,
                        height_sd,
                        side,
                        name,
                        t,
                        k,
                        aligned,
                        half,
                        max_timing_sd_s,
                        options.fit_window_s,
                        tip,
                        heights,
                        n_views,
                    )
                    for t, k, aligned, trusted in pairs
                ],
                bool,
            ).reshape(-1)
            times = np.array([t for t, *_ in pairs])
            timed[side][name], poor[side][name] = times[ok], times[~ok]
    return timed, poor, read_sd


def dropout_events(
    poor: Events, height_sd: np.ndarray, fps: float, options: EventOptions = DEFAULT_OPTIONS
) -> int:
    """How many of the poorly observed events `poor` (as detect_screened_events returns them,
    with the same `options`) lie where a foot keypoint was not triangulated at all (no views:
    a detection dropout, its SD is NaN), rather than seen by cameras that do not pin its height
    down."""
    half = max(1, int(round(options.fit_window_s * fps)))
    n = 0
    for side, named in poor.items():
        foot = [INDEX[f"{side}_{k}"] for k in FOOT]
        for times in named.values():
            for t in times:
                window = height_sd[max(0, int(t) - half) : int(t) + half + 2][:, foot]
                n += bool((~np.isfinite(window)).any())
    return n


def _events_with_keypoint(
    points: np.ndarray,
    fps: float,
    options: EventOptions,
    observed: np.ndarray | None = None,
) -> tuple[Candidates, ReadSD]:
    """({side: {event: [(frame, index into FOOT of the keypoint that timed it, aligned to the
    trial's template, trusted)]}}, ReadSD). Not trusted: an event of a trial whose events are read on
    the template that could not be aligned to it (its own fit times that noise). `observed`
    (F, 26) bool: keypoints triangulated from views (not gap-filled); None: all finite ones."""
    threshold = options.contact_threshold_m
    feet = {
        side: foot_state(
            points,
            side,
            fps,
            threshold,
            options.min_contact_s,
            options.min_flight_s,
            options.cutoff_hz,
            options.toe_tip_ahead_m,
            observed,
        )
        for side in SIDES
    }
    for side, other in zip(SIDES, SIDES[::-1]):
        undo_swapped_runs(feet[side].state, feet[other].state)
    for side, other in zip(SIDES, SIDES[::-1]):
        feet[side].state = merge_unsupported_flights(feet[side].state, feet[other].state)
    half = max(3, int(round(options.fit_window_s * fps)))
    noises = [foot.noise for foot in feet.values() if np.isfinite(foot.noise)]
    noise = float(np.median(noises)) if noises else 0.0
    events = {
        side: _contact_events(foot, fps, half, threshold, noise) for side, foot in feet.items()
    }
    if not noise > TEMPLATE_NOISE_M:
        # each event's own corner fit, where it could be made
        return distrust_out_of_rhythm(
            {
                side: {name: [(*e, True) for e in found if e[2]] for name, found in named.items()}
                for side, named in events.items()
            }
        ), {"foot_strike": 0.0, "toe_off": 0.0}
    seen = {side: foot.seen for side, foot in feet.items()}
    aligned, read_sd = _align_to_template(
        events, seen, fps, half, threshold, len(points), round(options.min_contact_s * fps)
    )
    return distrust_out_of_rhythm(aligned), read_sd


def _contact_events(
    foot: FootState, fps: float, half: int, threshold: float, noise: float
) -> dict[str, list[Edge]]:
    """{"foot_strike", "toe_off": [(frame, cue index, fitted)]} of one foot: each contact's
    edges, timed by the corner fit (the coarse edge where the fit cannot be made: fitted
    False). `noise`: the trial's height noise (m), which decides how the fit's samples are
    chosen (CHOICE_NOISE_SDS) and whether the events keep their own fits: only then may a
    strike's fit be cut by the trial's start (corner_fit.fit_event; on the template an event's fit only
    seeds its alignment, which takes what of its window is seen)."""
    own_fits = not noise > TEMPLATE_NOISE_M
    smooth_choice = {
        strike: (STRIKE_FIT_CAP_M if strike else TOE_OFF_FIT_CAP_M) < CHOICE_NOISE_SDS * noise
        for strike in (True, False)
    }
    strikes: list[Edge] = []
    toe_offs: list[Edge] = []
    runs = runs_of(foot.state)
    for i, (start, stop, value) in enumerate(runs):
        if value != CONTACT:
            continue
        for strike, found, beside in ((True, strikes, i - 1), (False, toe_offs, i + 1)):
            if 0 <= beside < len(runs) and runs[beside][2] == FLIGHT:
                edge = _contact_edge(
                    foot, start, stop, strike, half, fps, threshold, smooth_choice[strike], own_fits
                )
                if edge is not None:
                    found.append(edge)
    return {"foot_strike": strikes, "toe_off": toe_offs}


def _contact_edge(
    foot: FootState,
    start: int,
    stop: int,
    strike: bool,
    half: int,
    fps: float,
    threshold: float,
    choose_smooth: bool,
    start_cut_ok: bool,
) -> Edge | None:
    """The strike (first cue down) or toe-off (last cue up) of the contact start..stop, timed
    by the corner fit of that cue (the coarse edge where the fit cannot be made); None when no
    cue crosses the threshold in it."""
    if strike:
        edges = [_first_below(a, start, stop, threshold) for a in foot.near]
        k = int(np.argmin(edges))
    else:
        edges = [_last_below(a, start, stop, threshold) for a in foot.near]
        k = int(np.argmax(edges))
    if not np.isfinite(edges[k]):
        return None
    t = fit_event(
        foot.raw[k],
        foot.above[k],
        int(edges[k]),
        (start, stop),
        half,
        fps,
        threshold,
        strike,
        choose_smooth=choose_smooth,
        start_cut_ok=start_cut_ok,
    )
    return (t if np.isfinite(t) else float(edges[k]), k, bool(np.isfinite(t)))


def _align_to_template(
    events: dict[str, dict[str, list[Edge]]],
    seen: dict[str, np.ndarray],
    fps: float,
    half: int,
    threshold: float,
    n_frames: int,
    min_gap: int,
) -> tuple[Candidates, ReadSD]:
    """Each event type re-timed on the trial's mean event (event_template.py), both feet
    pooled. An event is kept when aligned (inside the trial, not within `min_gap` frames of
    the previous one of its foot), or, not aligned, when its own corner fit worked; the latter
    is trusted only when no event of its type could be aligned (then all keep their own fits):
    beside a template, an event too little seen to align (a dropout, a trial's end) would be
    timed by the single-event fit the noise defeats, so it is set aside. The read's SD: 0 where
    no event of the type could be aligned (each keeps its own fit)."""
    out: Candidates = {side: {"foot_strike": [], "toe_off": []} for side in events}
    read_sd: ReadSD = {"foot_strike": 0.0, "toe_off": 0.0}
    for name in ("foot_strike", "toe_off"):
        strike = name == "foot_strike"
        pooled = [(side, t, k, fitted) for side in events for t, k, fitted in events[side][name]]
        if not pooled:
            continue
        cue = int(np.bincount([k for _, _, k, _ in pooled]).argmax())
        times, aligned, sd = event_template.aligned_times(
            [seen[side] for side, *_ in pooled],
            np.array([t for _, t, _, _ in pooled]),
            fps,
            strike,
            lambda template, offsets, n, cue=cue, strike=strike: _template_corner(
                template, offsets, cue, strike, half, fps, threshold
            ),
            corner_pad=2 * half + 2,
            dither=not strike,
        )
        template_used = bool(np.any(aligned))
        read_sd[name] = sd if template_used else 0.0
        for side in events:
            kept: list[Candidate] = []
            for (s, _, k, fitted), t, a in zip(pooled, times, aligned):
                if s != side or not (fitted or a) or not 0 <= t <= n_frames - 1:
                    continue
                if kept and t - kept[-1][0] < min_gap:
                    continue  # two edges aligned onto one event
                kept.append((float(t), k, bool(a), bool(a) or not template_used))
            out[side][name] = kept
    return out, read_sd


def _template_corner(
    template: np.ndarray,
    offsets: np.ndarray,
    cue: int,
    strike: bool,
    half: int,
    fps: float,
    threshold: float,
) -> float:
    """Event offset (frames) of the mean event, read on its `cue` (the one most events were
    timed from: first down / last up): a strike by the corner fit of one event with the speed
    term free (TEMPLATE_LINEAR_PENALTY), a toe-off by the peel-off fit of event_template.py.
    NaN when it cannot be read."""
    mean = template[cue]
    below = np.flatnonzero(mean < threshold)
    if below.size == 0:  # columns nobody saw may be NaN; the fit needs its own stretch only
        return np.nan
    edge = int(below[0] if strike else below[-1])
    if not strike:
        t = event_template.peel_off_time(mean, edge, half, GRID_STEP)
    else:
        contact = (edge, mean.size)
        t = fit_event(
            mean, mean, edge, contact, half, fps, threshold, True, TEMPLATE_LINEAR_PENALTY
        )
    return float(np.interp(t, np.arange(offsets.size), offsets)) if np.isfinite(t) else np.nan


def skips_a_cycle(
    strike: float, next_strike: float, other_strikes: np.ndarray, toe_offs: np.ndarray
) -> bool:
    """True when two strikes of the same foot are not consecutive: a strike between them was
    not timed (a gap, or set aside as poorly observed), seen as two toe-offs of this foot or
    two strikes of the other foot between them. Such a pair spans two or more cycles."""

    def between(times) -> int:
        times = np.asarray(times, float)
        return int(np.sum((times > strike) & (times < next_strike)))

    return between(toe_offs) >= 2 or between(other_strikes) >= 2


def typical_stride(strikes, other_strikes, toe_offs) -> float:
    """Median time (frames) between consecutive strikes of one foot that do not skip a cycle
    (skips_a_cycle); inf when there is none."""
    pairs = [
        b - a
        for a, b in zip(strikes[:-1], strikes[1:])
        if not skips_a_cycle(a, b, other_strikes, toe_offs)
    ]
    return float(np.median(pairs)) if pairs else np.inf


def _first_below(above, start, stop, threshold) -> float:
    hit = np.flatnonzero(above[start:stop] < threshold)
    return start + hit[0] if hit.size else np.inf


def _last_below(above, start, stop, threshold) -> float:
    hit = np.flatnonzero(above[start:stop] < threshold)
    return start + hit[-1] if hit.size else -np.inf
