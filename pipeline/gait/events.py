"""Foot strikes and toe-offs from 3D keypoint heights (treadmill or overground, Z up).

Kinematic event detection from the vertical trajectories of the foot keypoints, the family
of methods reviewed in `docs/references.md` ("Conventions the values assume": heel or
foot vertical position / velocity for the strike, toe height and velocity for the toe-off;
Fellin 2010, Handsaker 2016). Only heights time the events: the stance foot moves backward at
belt speed on a treadmill and stands still overground, so horizontal velocity would need both
cases, and on real running it has no corner at either event (the heel still slides at 1-3
m/s relative to the belt at the force plate's contact and slows over the next frames; the
tip starts moving frames before lift-off: docs/metrics.md, "Cues tried").

Per foot (steps 0-2 in foot_contact.py, step 3 here):
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
   last one up (toe-off): a threshold crossing is early by threshold / speed and filtering
   rounds the corner further, so the corner is fitted instead. Ground side: h = L, with L the
   median height of that keypoint over up to LEVEL_WINDOW_S of the same contact after a
   strike, over all of it before a toe-off (a per-contact floor level: the keypoint's offset
   above the floor is unknown and the 3D noise changes across an overground runway; the roll
   over the tip just before a toe-off is no floor level, see _fit_event). Air side (s = time
   from the event):
   h = L + b s^2, a foot that arrives (leaves) with no vertical speed, as a heel lowered onto
   the floor or a toe peeled off it; h = L + a s + b s^2 (a, b >= 0), a foot that hits the
   floor with vertical speed, is taken only when it lowers the squared residuals by more
   than LINEAR_PENALTY x the contact's noise variance (robust SD of the level samples), so
   noise alone does not buy the extra freedom that pulls the fit early. Least squares over
   +-2 `fit_window_s` of samples less than STRIKE_FIT_CAP_M / TOE_OFF_FIT_CAP_M above L
   (the Taylor model holds near contact only; where the trial's height noise is comparable
   to that cap, CHOICE_NOISE_SDS, the samples are chosen on the low-passed heights); the
   event is the best candidate on a GRID_STEP grid within `fit_window_s` of the coarse edge.
4. An event its neighbours put elsewhere (two intervals off in opposite directions) is not
   trusted (rhythm.py).
Events are fractional frame indices. A contact cut by the start or end of the trial, or by
missing keypoints, yields only the events actually seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.gait import event_template
from pipeline.gait.angles import SIDES
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

GRID_STEP = 0.05  # frames, sub-frame resolution of the event fit
# Heights (above the stance level) the corner model is fitted to: the touchdown of the heel
# is quadratic only in its last ~15 mm (a larger cap made strikes late by 2-5 frames on the
# synthetic runner); the toe leaves quadratically over more.
STRIKE_FIT_CAP_M, TOE_OFF_FIT_CAP_M = 0.015, 0.035
LEVEL_WINDOW_S = 0.06  # contact samples next to the event giving its floor level and noise
LINEAR_PENALTY = 8.0  # noise variances a vertical-speed term must save to be used
# On the mean of a trial's strikes (event_template.py) the noise that made that guard needed is
# averaged away, and the guard (the mean's spread on the ground taken as its noise) kept real
# strikes from their speed term (0.9 frame late on the force-plate trials).
TEMPLATE_LINEAR_PENALTY = 0.0
MIN_NOISE_M = 0.0005  # floor of that SD: the Taylor model itself is not exact to better
# Height noise (robust SD, per frame) above which one event's own samples cannot pin its
# corner and the events are aligned to the trial's mean event instead (event_template.py):
# markers below 0.5 mm, the 1 px synthetic detector 1-1.5 mm inside the rig (3 mm with an
# overground runner at the volume's edges), a real detector's 3D 8-10 mm.
TEMPLATE_NOISE_M = 0.005
# A fit cap (above the contact level) within this many SDs of the height noise: which samples
# lie below it is decided by their noise as much as by the foot, so they are chosen on the
# low-passed heights instead (_fit_event).
CHOICE_NOISE_SDS = 3.0


def detect_events(points: np.ndarray, fps: float, **options: float) -> Events:
    """{side: {"foot_strike": frames, "toe_off": frames}} from (F, 26, 3) keypoints; the
    options of detect_events_and_read_sd."""
    return detect_events_and_read_sd(points, fps, **options)[0]


def detect_events_and_read_sd(
    points: np.ndarray, fps: float, **options: Any
) -> tuple[Events, ReadSD]:
    """(detect_events' events, the shared read's SD per event type: ReadSD). Options, as
    _events_with_keypoint takes them: contact_threshold_m, min_contact_s, min_flight_s,
    cutoff_hz, fit_window_s, and toe_tip_ahead_m: how far the shoe's tip lies ahead of the
    big-toe keypoint along the heel -> toe line (0 where the keypoint is the tip itself, as
    the synthetic runner's)."""
    found, read_sd = _events_with_keypoint(points, fps, **options)
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
    fit_window_s: float = 0.04,
    n_views: np.ndarray | None = None,
    **options,
) -> tuple[Events, Events, ReadSD]:
    """(timed, poorly_observed) events, each laid out as `detect_events` returns them, and the
    shared read's SD per event type (ReadSD).

    `height_sd` (F, 26): predicted vertical SD of each keypoint, metres per pixel of 2D
    error (points3d `sd_per_px`, world Z). An event is poorly observed when its predicted
    timing SD per px (event_screen.py: the height SD of the point it is timed from over the
    foot's vertical speed through the fit) is above `max_timing_sd_s`, or unknown, or that
    point was gap-filled (not triangulated) within `fit_window_s` of it. `n_views` (F, 26):
    views per keypoint; an event whose point was seen by enough views to reject a wrong one
    is not held to the SD limit (event_screen.py)."""
    observed = np.isfinite(height_sd)
    found, read_sd = _events_with_keypoint(
        points, fps, fit_window_s=fit_window_s, observed=observed, **options
    )
    half = max(1, int(round(fit_window_s * fps)))
    tip = options.get("toe_tip_ahead_m", TOE_TIP_AHEAD_M)
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
                        fit_window_s,
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
    poor: Events, height_sd: np.ndarray, fps: float, fit_window_s: float = 0.04
) -> int:
    """How many of the poorly observed events `poor` (as detect_screened_events returns them)
    lie where a foot keypoint was not triangulated at all (no views: a detection dropout, its
    SD is NaN), rather than seen by cameras that do not pin its height down."""
    half = max(1, int(round(fit_window_s * fps)))
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
    contact_threshold_m: float = 0.01,
    min_contact_s: float = 0.06,
    min_flight_s: float = 0.03,
    cutoff_hz: float = 12.0,
    fit_window_s: float = 0.04,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
    observed: np.ndarray | None = None,
) -> tuple[Candidates, ReadSD]:
    """({side: {event: [(frame, index into FOOT of the keypoint that timed it, aligned to the
    trial's template, trusted)]}}, ReadSD). Not trusted: an event of a trial whose events are read on
    the template that could not be aligned to it (its own fit times that noise). `observed`
    (F, 26) bool: keypoints triangulated from views (not gap-filled); None: all finite ones."""
    feet = {
        side: foot_state(
            points,
            side,
            fps,
            contact_threshold_m,
            min_contact_s,
            min_flight_s,
            cutoff_hz,
            toe_tip_ahead_m,
            observed,
        )
        for side in SIDES
    }
    for side, other in zip(SIDES, SIDES[::-1]):
        undo_swapped_runs(feet[side].state, feet[other].state)
    for side, other in zip(SIDES, SIDES[::-1]):
        feet[side].state = merge_unsupported_flights(feet[side].state, feet[other].state)
    half = max(3, int(round(fit_window_s * fps)))
    noises = [foot.noise for foot in feet.values() if np.isfinite(foot.noise)]
    noise = float(np.median(noises)) if noises else 0.0
    events = {
        side: _contact_events(foot, fps, half, contact_threshold_m, noise)
        for side, foot in feet.items()
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
        events, seen, fps, half, contact_threshold_m, len(points), round(min_contact_s * fps)
    )
    return distrust_out_of_rhythm(aligned), read_sd


def _contact_events(
    foot: FootState, fps: float, half: int, threshold: float, noise: float
) -> dict[str, list[Edge]]:
    """{"foot_strike", "toe_off": [(frame, cue index, fitted)]} of one foot: each contact's
    edges, timed by the corner fit (the coarse edge where the fit cannot be made: fitted
    False). `noise`: the trial's height noise (m), which decides how the fit's samples are
    chosen (CHOICE_NOISE_SDS) and whether the events keep their own fits: only then may a
    strike's fit be cut by the trial's start (_fit_event; on the template an event's fit only
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
    t = _fit_event(
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
        t = _fit_event(
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


def _fit_event(
    height: np.ndarray,
    above: np.ndarray,
    edge: int,
    contact: tuple[int, int],
    half: int,
    fps: float,
    threshold: float,
    strike: bool,
    linear_penalty: float = LINEAR_PENALTY,
    choose_smooth: bool = False,
    start_cut_ok: bool = False,
) -> float:
    """Event time (frames) near `edge` from the corner fit of the module docstring; NaN when
    the fit stretch is cut by a gap or the trial's ends (with `start_cut_ok`, a strike's may be
    cut by the start where the foot is seen above the fit cap at the cut: what that drops the
    fit would not use), or the contact has no level.
    `above`: the low-passed heights (any offset). `choose_smooth`: the samples below the fit
    cap are chosen on `above` rather than on `height`'s own samples, where the noise is
    comparable to the cap (CHOICE_NOISE_SDS): chosen on themselves, the samples the noise
    pushed down are kept and those it pushed up dropped, and the fit follows the noise.
    Elsewhere the raw samples choose: the low-pass rounds a fast foot's corner."""
    lo, hi = edge - 2 * half, edge + 2 * half + 1
    # A runner entering the volume mid-swing: the trial's start cuts a strike's air side (a
    # toe-off cut by the end opens no stride and was left alone: docs/metrics.md). Checked
    # below, once the contact's level is known.
    start_cut = start_cut_ok and strike and lo < 0
    lo = max(lo, 0) if start_cut else lo
    if lo < 0 or hi > height.size or not np.isfinite(height[lo:hi]).all():
        return np.nan
    # Floor level and noise of this contact from the keypoint's own samples on the ground:
    # the noise from those next to the event (after a strike, before a toe-off); the level
    # there too for a strike, but for a toe-off from all of the contact before it: as the
    # foot rolls over its tip, a cue point not exactly at the pivot dips below the level it
    # held while the foot was flat (marker keypoints: 3-8 mm), and a level taken from the
    # roll alone puts the lift-off at the dip, a frame early.
    on = np.arange(*contact)
    on = on[(above[on] < threshold) & np.isfinite(height[on])]
    n_level = int(LEVEL_WINDOW_S * fps) + 1
    near = on[on >= edge][:n_level] if strike else on[on <= edge][-n_level:]
    if near.size < 3:
        return np.nan
    ground = near if strike else on[on <= edge]
    level = float(np.median(height[ground]))
    if start_cut and not above[0] - float(np.median(above[ground])) > STRIKE_FIT_CAP_M:
        return np.nan  # not seen above the fit's heights: the cut may hide samples it uses
    spread = height[near] - np.median(height[near])
    noise = max(1.4826 * float(np.median(np.abs(spread))), MIN_NOISE_M)
    frames = np.arange(lo, hi, dtype=float)
    grid = np.arange(edge - half, edge + half + GRID_STEP / 2, GRID_STEP)
    chosen = above[lo:hi] - float(np.median(above[ground])) if choose_smooth else None
    return corner_time(
        frames, height[lo:hi] - level, grid, strike, fps, linear_penalty * noise**2, chosen
    )


def corner_time(
    frames: np.ndarray,
    y: np.ndarray,
    grid: np.ndarray,
    strike: bool,
    fps: float,
    linear_cost: float,
    chosen: np.ndarray | None = None,
) -> float:
    """The candidate of `grid` (frames) that best fits heights `y` above the contact level at
    `frames` (any order, several events pooled) with the corner model of the module
    docstring; `linear_cost`: the drop in squared residuals the speed term must buy.
    `chosen`: the heights that choose the samples below the fit cap (default `y`)."""
    cap = STRIKE_FIT_CAP_M if strike else TOE_OFF_FIT_CAP_M
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(y) & ((y if chosen is None else chosen) <= cap)
    frames, y = frames[keep], y[keep]
    if frames.size < 3:
        return np.nan
    # Time on the air side of each candidate (s, ms scale for conditioning), 0 on the ground.
    s = np.maximum((grid[:, None] - frames[None]) * (1 if strike else -1), 0.0) * 1000 / fps
    s2 = s * s
    b = np.maximum((s2 @ y) / np.maximum((s2 * s2).sum(axis=1), 1e-30), 0.0)
    sse = ((y - b[:, None] * s2) ** 2).sum(axis=1)  # h = L + b s^2
    design = np.stack([s, s2], axis=-1)  # h = L + a s + b s^2
    coef = np.einsum("gij,j->gi", np.linalg.pinv(design), y)
    sse_linear = ((np.einsum("gnj,gj->gn", design, coef) - y) ** 2).sum(axis=1)
    sse_linear = np.where((coef >= 0).all(axis=1), sse_linear + linear_cost, np.inf)
    return float(grid[np.argmin(np.minimum(sse, sse_linear))])
