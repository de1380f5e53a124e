"""One foot's strides of one trial: its cycles (strike, next strike, own toe-off) cut from
the events, and each stride's values with their SDs read from the 3D (metrics.analyze_trial
assembles the trial from them).

Definitions (docs/metrics.md): stance = foot strike .. toe-off of a foot; values taken at an
event are linearly interpolated at its fractional frame time; a value whose keypoints are NaN
anywhere it is needed is None ("missing"), never a number.
"""

from __future__ import annotations

import math
from functools import cache, partial

import numpy as np

from pipeline.core.trial_notes import InputProblem
from pipeline.gait.angles import (
    body_axes,
    foot_point,
)
from pipeline.gait.event_timing import (
    read_with_shared_part,
    shared_read_sd,
    timing_sd_of,
)
from pipeline.gait.event_values import event_values
from pipeline.gait.events import (
    skips_a_cycle,
    typical_stride,
)
from pipeline.gait.planted_toe import PlantedToeReader
from pipeline.gait.progression import MIN_PROGRESSION_SPEED_MPS
from pipeline.gait.records import StrideDraft
from pipeline.gait.sampling import sample_at
from pipeline.gait.set_aside import SetAside
from pipeline.gait.stance_fit import HALF_WINDOW
from pipeline.gait.stance_reader import StanceReader, hips_swapped, side_curves, timed_read
from pipeline.gait.summary import (
    number,
)
from pipeline.gait.swaps import SWAP_P_PER_SIDE, SuspectSwap, swapped_stances
from pipeline.gait.temporal_sd import temporal_shared_sd, temporal_uncertainty

# read at the toe-off (event_values.py), in the file's order after tibia inclination
TOE_OFF_READS = (
    "hip_extension_at_toe_off_deg",
    "ankle_plantarflexion_at_toe_off_deg",
    "leg_trunk_alignment_at_toe_off_deg",
    "knee_off_leg_line_at_toe_off_m",
)

# Stance lasts 30-40 % of a running stride and ~60 % of a walking one: a toe-off later than
# this share of the typical stride after a strike belongs to the next cycle (its own toe-off
# was not timed), and would put the swing's knee bend into "stance".
MAX_STANCE_FRACTION = 0.75


def stance_samples(frames_count: int, strike: float, toe_off: float) -> np.ndarray:
    """Fractional frame times covering a stance: both events plus every whole frame between."""
    whole = np.arange(math.ceil(strike), math.floor(toe_off) + 1, dtype=float)
    inner = whole[(whole > strike) & (whole < toe_off) & (whole <= frames_count - 1)]
    return np.concatenate([[strike], inner, [toe_off]])


def side_strides(
    points,
    fps,
    forward,
    events,
    side,
    belt_speed_mps=None,
    pelvis_speed=None,
    point_sd=None,
    timing=None,
    raw_points=None,
) -> list[StrideDraft]:
    """One side's stride drafts. `timing`: event_timing.event_timing_sd of the detected
    events (None: events given, no timing error). `raw_points`: the points before the
    low-pass (analyze_trial's `event_points`), which tell a knee-over-toe read its samples do
    not support (planted_toe.PlantedToeReader.scatter_factor)."""
    forward_axis, lateral_axis = body_axes(forward)
    other = "right" if side == "left" else "left"
    sign = 1.0 if side == "left" else -1.0  # + = toward this side, away from midline
    strikes = events[side]["foot_strike"]
    foot = foot_point(points, side)
    other_strikes = events[other]["foot_strike"]
    overground = pelvis_speed is not None and abs(pelvis_speed) >= MIN_PROGRESSION_SPEED_MPS

    cycles = _cycles(events, side)
    other_stances = [
        (c[1], c[3], stance_samples(len(points), c[1], c[3])) for c in _cycles(events, other)
    ]
    screen = hips_swapped(points, forward)
    # a stance whose knee scatters before the low-pass beyond the side's level is not the
    # leg's own: its point-read values are set aside, named, and its frames kept out of the
    # side's shared fits, as its own side's and as the other leg's partner (swaps.py); on a
    # treadmill only: overground no stance is screened (_suspect_stances)
    suspects, own_screen = _suspect_stances(
        raw_points, point_sd, forward, side, cycles, screen, overground
    )
    _, other_screen = _suspect_stances(
        raw_points, point_sd, forward, other, _cycles(events, other), screen, overground
    )
    # the knee's peak time is read from both legs' strides where their shapes agree
    # (stance_pool.pooled_peak's `timing`); only noisy curves are pooled, which needs SDs
    partner = None
    if point_sd is not None:
        flexion = {"flexion": side_curves(other, forward)["flexion"]}
        partner = StanceReader(points, point_sd, fps, flexion, other_stances, other_screen)
    # stance extremes from local fits, values with SDs from the 3D (stance_reader.py)
    read = StanceReader(
        points,
        point_sd,
        fps,
        side_curves(side, forward),
        [(c[1], c[3], stance_samples(len(points), c[1], c[3])) for c in cycles],
        own_screen,
        partner,
    )

    # knee over toe: the toe from its planted line where the points carry SDs
    planted = (
        None
        if point_sd is None
        else PlantedToeReader(
            points,
            point_sd,
            forward_axis,
            side,
            own_screen,
            raw_points,
            [(c[1], c[3]) for c in cycles],
        )
    )

    # each foot's lateral position at its strikes, from the strides' shared shape through the
    # strike where the curve is noisy (stance_reader.StanceReader.strike_values); {} where it
    # is read alone
    at_strike = {
        "lateral": read.strike_values("lateral", read.stances),
        "other_lateral": read.strike_values("other_lateral", other_stances),
    }

    def argmax(c):
        return int(np.argmax(c))

    def argmin(c):
        return int(np.argmin(c))

    strides: list[StrideDraft] = []
    for n, (i, strike, next_strike, toe_off) in enumerate(cycles):
        half = HALF_WINDOW * (toe_off - strike)
        strike_sd = timing_sd_of(timing, side, "foot_strike", strike)
        toe_off_sd = timing_sd_of(timing, side, "toe_off", toe_off)

        def extreme(name, pick, sign=1.0, interior=False):
            """(value, SD, time, time SD) of a stance extreme, event timing included; an
            interior extreme's time (the knee's peak, where knee over toe is read) weighs in
            the stride's own peak (StanceReader.own_peak)."""
            found = read.extreme(name, n, pick, sign, interior)  # noqa: B023 (this iteration)
            own = read.own_peak(name, n, sign) if interior else None  # noqa: B023
            return timed_read(found, strike, toe_off, strike_sd, toe_off_sd, own)  # noqa: B023

        def near(name, at, at_sd, degree=1, one_sided=0):
            """(value, SD) at a time with SD `at_sd` from a local fit (at a strike: the
            strides' shared fit where there is one)."""
            shared = at_strike.get(name, {}).get(at) if one_sided == 1 else None
            value, value_sd, slope = shared or read.near(name, at, half, degree, one_sided)  # noqa: B023
            return value, (value_sd if at_sd == 0.0 else math.hypot(value_sd, slope * at_sd))

        def knee_ahead_of_toe(at, at_sd):
            """(value, SD) of knee over toe at the knee's peak time: on noisy keypoints the
            toe from its planted line (planted_toe.py), on smooth ones from the samples."""
            if not np.isfinite(at):
                return np.nan, np.nan
            if planted is None or not read.noisy["knee_ahead"]:
                return near("knee_ahead", at, at_sd, 2)
            value, value_sd, slope = planted.ahead_of_toe("knee", strike, toe_off, at, half)  # noqa: B023
            return value, (value_sd if at_sd == 0.0 else math.hypot(value_sd, slope * at_sd))

        # NaN anywhere in stance, or no loading peak: the peak, and so its frame, is unknown
        peak, peak_sd, peak_time, peak_time_sd = extreme("flexion", loading_peak, interior=True)
        complete = bool(np.isfinite(peak_time))
        # step width's two strikes share their read's error, which moves the feet's lateral
        # positions by their (unlike) lateral speeds: it does not cancel (event_timing.py)
        shared_strike_sd = shared_read_sd(timing, "foot_strike")
        # the foot's lateral position at its strike, read once per timing SD (the step width
        # reads it with and without the shared read)
        lateral_at = cache(partial(near, "lateral", strike, one_sided=1))
        foot_lateral = lateral_at(math.hypot(strike_sd, shared_strike_sd))[0]
        previous_other = _previous_opposite_strike(
            other_strikes, strike, strikes[i - 1] if i > 0 else -np.inf
        )
        step_width, step_width_sd, step_width_shared = np.nan, np.nan, None
        if previous_other is not None:
            other_own_sd = timing_sd_of(timing, other, "foot_strike", previous_other)

            def step_width_read(strike_sds: tuple[float, float]) -> tuple[float, float]:
                """(step width, SD) with the two strikes' timing SDs `strike_sds`."""
                lateral, lateral_sd = lateral_at(strike_sds[0])  # noqa: B023 (this iteration)
                other_lateral, other_lateral_sd = near(
                    "other_lateral",
                    previous_other,  # noqa: B023 (this iteration)
                    strike_sds[1],
                    one_sided=1,
                )
                return (lateral - other_lateral) * sign, math.hypot(lateral_sd, other_lateral_sd)

            # the part the trial's strides share: what the same reads lack without it
            (step_width, step_width_sd), step_width_shared = read_with_shared_part(
                step_width_read,
                (
                    math.hypot(strike_sd, shared_strike_sd),
                    math.hypot(other_own_sd, shared_strike_sd),
                ),
                (strike_sd, other_own_sd),
            )
        knee_over_toe, knee_over_toe_sd = knee_ahead_of_toe(peak_time, peak_time_sd)
        hip_over_toe, hip_over_toe_sd = (
            near("hip_ahead", peak_time, peak_time_sd, 2) if complete else (np.nan,) * 2
        )
        # pelvic drop peaks anywhere from the strike to mid-stance: read over the whole stance
        drop = read.spanned_extreme("drop", n, argmax)
        drop_value, drop_sd, _, _ = timed_read(drop, strike, toe_off, strike_sd, toe_off_sd)
        adduction, adduction_sd, _, _ = extreme("hip_adduction", argmax)
        fppa, fppa_sd, _, _ = extreme("fppa", argmax)
        calf, calf_sd, _, _ = extreme("calf_gap", argmin, -1.0)
        (midline_value, midline_sd), midline_shared = read_with_shared_part(
            partial(near, "midline", strike, one_sided=1),
            math.hypot(strike_sd, shared_strike_sd),
            strike_sd,
        )

        # Temporal: flight after this stance = toe-off to the next strike of the other foot.
        next_other = other_strikes[other_strikes > strike]
        flight = (
            max(0.0, next_other[0] - toe_off) / fps * 1000.0
            if next_other.size and next_other[0] < next_strike
            else np.nan
        )
        stride_time = (next_strike - strike) / fps if np.isfinite(next_strike) else np.nan
        if belt_speed_mps is not None:
            stride_length = belt_speed_mps * stride_time
        elif overground and np.isfinite(next_strike):
            travel = sample_at(foot, next_strike) - sample_at(foot, strike)
            stride_length = math.hypot(travel @ forward_axis, travel @ lateral_axis)
        else:
            stride_length = np.nan

        # values read at one event, with its type's shared read (event_values.py)
        at_event, shared = event_values(read, strike, toe_off, strike_sd, toe_off_sd, timing)
        values = {
            "step_width_m": (step_width, step_width_sd),
            "peak_stance_knee_flexion_deg": (peak, peak_sd),
            "knee_flexion_at_strike_deg": at_event["knee_flexion_at_strike_deg"],
            "knee_flexion_at_toe_off_deg": at_event["knee_flexion_at_toe_off_deg"],
            "knee_over_toe_m": (knee_over_toe, knee_over_toe_sd),
            "pelvic_drop_deg": (drop_value, drop_sd),
            "foot_to_midline_m": (midline_value, midline_sd),
            "calf_clearance_m": (calf, calf_sd),
            "peak_stance_hip_adduction_deg": (adduction, adduction_sd),
            "peak_stance_knee_fppa_deg": (fppa, fppa_sd),
            "tibia_inclination_at_strike_deg": at_event["tibia_inclination_at_strike_deg"],
            **{name: at_event[name] for name in TOE_OFF_READS},
            "hip_ahead_of_toe_m": (hip_over_toe, hip_over_toe_sd),
        }
        set_aside, suspect = None, suspects[n]
        if suspect is not None:
            set_aside = swap_note(suspect, side, list(values))
            values = dict.fromkeys(values, (np.nan, np.nan))
        strides.append(
            StrideDraft(
                side=side,
                index=len(strides),
                strike_frame=float(strike),
                strike_time_s=float(strike) / fps,
                toe_off_frame=float(toe_off),
                toe_off_time_s=float(toe_off) / fps,
                # the instant the report draws the knee-over-toe figure and key-event sheet at
                peak_knee_flexion_frame=float(peak_time) if complete else None,
                foot_lateral_m=None if set_aside else number(foot_lateral),
                values={
                    **{name: number(value) for name, (value, _) in values.items()},
                    "ground_contact_time_ms": number((toe_off - strike) / fps * 1000.0),
                    "flight_time_ms": number(flight),
                    "stride_time_ms": number(stride_time * 1000.0),
                    "stride_length_m": number(stride_length),
                },
                # SD of each value propagated from the 3D's per-point SDs (stance_fit.py)
                # and the detected events' timing SDs (event_timing.py); None without them
                uncertainty={
                    name: number(value_sd) if np.isfinite(value) else None
                    for name, (value, value_sd) in values.items()
                }
                | temporal_uncertainty(  # from the events' timing SDs (temporal_sd.py)
                    timing, side, strike, toe_off, next_strike, next_other, fps, belt_speed_mps
                ),
                # the part of an SD all the trial's strides share (summary.sd_of_mean)
                shared_uncertainty={}
                if timing is None
                else {name: number(sd) for name, sd in shared.items()}
                | {"step_width_m": step_width_shared, "foot_to_midline_m": midline_shared}
                | temporal_shared_sd(timing, strike, next_strike, next_other, fps),
                set_aside=set_aside,
            )
        )
    return strides


def _suspect_stances(
    raw_points, point_sd, forward, side: str, cycles: list, screen: np.ndarray, overground: bool
) -> tuple[list[SuspectSwap | None], np.ndarray]:
    """Per cycle of `side` its swaps.swapped_stances finding (none without the points before
    the low-pass and their SDs), and `screen` with the found stances' frames added. None
    `overground`: the screen's level (the side's other stances) assumes the stances share one
    noise level, which holds where the runner stays in place; across a runway each stance is
    at another place in the volume and scatters at its own level (docs/metrics.md)."""
    if point_sd is None or raw_points is None or overground:
        return [None] * len(cycles), screen
    stances = [(c[1], c[3]) for c in cycles]
    forward_axis, _ = body_axes(forward)
    found = swapped_stances(raw_points, point_sd, forward_axis, side, stances, screen)
    out = screen.copy()
    for suspect, (strike, toe_off) in zip(found, stances):
        if suspect is not None:
            out[max(0, math.floor(strike)) : math.ceil(toe_off) + 1] = True
    return found, out


SWAP = "suspect_swap"  # the set-aside reason (bounce.py's suspect_swap_step: its next step)


def swap_note(suspect: SuspectSwap, side: str, metrics: list[str]) -> SetAside:
    """The stride's `set_aside` record of a stance swaps.swapped_stances found: every value
    read from the points over the stance (a leg whose points are not its own for a few frames
    moves the stance's fits, which span a quarter stance or more, and the screen places the
    burst only to within half a stance); the times from the events stay. landing.py and
    bounce.py add the strike's reads where the window holds the strike."""
    frames = f"{suspect.first_frame}-{suspect.last_frame}"
    return SetAside(
        reason=SWAP,
        frames=(suspect.first_frame, suspect.last_frame),
        metrics=tuple(metrics),
        message=(
            f"the {side} knee's points before the low-pass scatter {suspect.ratio:.1f} times "
            f"the side's other stances' level over frames {frames} (beyond "
            f"{suspect.critical:.1f}: an F test at p = {SWAP_P_PER_SIDE:g} over the side's "
            f"{suspect.tested} stances): a left/right swap of the detector in some views that "
            "triangulation took in; the stance's values read from the points are left out"
        ),
    )


# a side with more than this share of its strides set aside degrades the verdict (as
# verdict.max_untimed_event_share's default does for events); fewer are a note
MAX_SET_ASIDE_SHARE = 0.5


def set_aside_problems(strides: list[StrideDraft]) -> list[InputProblem]:
    """One verdict reason naming the strides whose stance values were set aside (swap_note),
    per side with their frames; none where no stride was. A note (the verdict unchanged)
    unless a side lost more than MAX_SET_ASIDE_SHARE of its strides' stance values: a lost
    stride is a partial loss like an untimed event, and the side's means rest on the rest."""
    swapped = [s for s in strides if s.set_aside is not None and s.set_aside.reason == SWAP]
    if not swapped:
        return []
    parts, severity = [], "note"
    for side in ("left", "right"):
        own = [s for s in strides if s.side == side]
        frames = [s.set_aside.frames for s in swapped if s.side == side and s.set_aside]
        if frames:
            where = ", ".join(f"{a}-{b}" for a, b in frames)
            parts.append(f"{side} {len(frames)} of {len(own)} (frames {where})")
            if len(frames) > MAX_SET_ASIDE_SHARE * len(own):
                severity = "degraded"
    return [
        InputProblem(
            "strides_set_aside:suspect_swap",
            severity,
            f"strides whose stance values (knee flexion, knee over toe, pelvic drop, step "
            f"width and the others read from the points) were set aside: {'; '.join(parts)}. "
            "The knee's points before the low-pass scatter there far beyond the side's other "
            "stances, the signature of a left/right swap of the detector in some views that "
            "triangulation took in; the side means, SDs and flags rest on the other strides",
        )
    ]


def loading_peak(stance_flexion: np.ndarray) -> int | None:
    """Index of the stance's knee-flexion peak: the highest *interior* local maximum (the knee
    bends under load after the strike and straightens for push-off). A maximum at the strike
    or the toe-off sample is the swing's knee, not the stance peak: on the real treadmill
    runner a strike timed 1 frame early made the strike's 31.6 deg the "peak" (30.3 deg at
    mid-stance) and put knee-over-toe 300 mm off. None when a stance sample is NaN or the
    stance has no interior maximum (a stance cut short by a mis-timed event)."""
    if stance_flexion.size < 3 or not np.isfinite(stance_flexion).all():
        return None
    inner = stance_flexion[1:-1]
    local = (inner >= stance_flexion[:-2]) & (inner >= stance_flexion[2:])
    if not local.any():
        return None
    candidates = np.flatnonzero(local) + 1
    return int(candidates[np.argmax(stance_flexion[candidates])])


def _cycles(events, side) -> list[tuple[int, float, float, float]]:
    """A side's strides as (index of the strike, strike, next strike, own toe-off); a strike
    whose toe-off was not timed has none."""
    other = "right" if side == "left" else "left"
    strikes, toe_offs = events[side]["foot_strike"], events[side]["toe_off"]
    other_strikes = events[other]["foot_strike"]
    longest_stance = MAX_STANCE_FRACTION * typical_stride(strikes, other_strikes, toe_offs)
    cycles = []
    for i, strike in enumerate(strikes):
        next_strike = strikes[i + 1] if i + 1 < len(strikes) else np.inf
        if np.isfinite(next_strike) and skips_a_cycle(strike, next_strike, other_strikes, toe_offs):
            next_strike = np.inf  # the next strike was not timed: no stride time
        # this strike's own toe-off, never the next cycle's when its own was not timed
        later = toe_offs[
            (toe_offs > strike) & (toe_offs < min(next_strike, strike + longest_stance))
        ]
        if later.size == 0:
            continue  # stance not seen to its end
        cycles.append((i, float(strike), float(next_strike), float(later[0])))
    return cycles


def _previous_opposite_strike(opposite: np.ndarray, strike: float, previous_same: float):
    """Latest opposite-foot strike before `strike`, if it follows this foot's previous strike."""
    earlier = opposite[(opposite < strike) & (opposite > previous_same)]
    return float(earlier[-1]) if earlier.size else None
