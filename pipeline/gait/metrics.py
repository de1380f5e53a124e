"""Per-stride running metrics, per-side summaries and threshold flags for one trial.

Definitions (docs/metrics.md has the full text): stance = foot strike .. toe-off of a foot;
values taken at an event are linearly interpolated at its fractional frame time. A value
whose keypoints are NaN anywhere it is needed is None ("missing"), never a number.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from pipeline.config import ThresholdsConfig
from pipeline.core.skeleton import N_KEYPOINTS
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.angles import (
    SIDES,
    body_axes,
    foot_point,
)
from pipeline.gait.bounce import add_bounce
from pipeline.gait.curves import curve_summary, normalized_curves
from pipeline.gait.event_timing import (
    event_timing_sd,
    shared_part,
    shared_read_sd,
    timing_sd_of,
)
from pipeline.gait.event_values import event_values
from pipeline.gait.events import (
    TOE_TIP_AHEAD_M,
    detect_events_and_read_sd,
    detect_screened_events,
    dropout_events,
    skips_a_cycle,
)
from pipeline.gait.input_checks import input_problems
from pipeline.gait.landing import add_landing
from pipeline.gait.missed_contacts import contacts_not_found
from pipeline.gait.observation import (
    gaps,
    observation_summary,
    observed_cadence,
    observed_frames,
    split_strides_at_gaps,
)
from pipeline.gait.passes import (
    Stretch,
    events_along,
    find_passes,
    longest,
    pass_stretches,
    refine_directions,
    richest_reference,
)
from pipeline.gait.planted_toe import PlantedToeReader
from pipeline.gait.progression import MIN_PROGRESSION_SPEED_MPS, estimate_forward, pelvis_velocity
from pipeline.gait.records import Events, StrideDraft, TrialSummary
from pipeline.gait.sampling import sample_at
from pipeline.gait.spatial_sd import add_spatial_sds
from pipeline.gait.stance_fit import HALF_WINDOW
from pipeline.gait.stance_reader import StanceReader, hips_swapped, side_curves, timed_read
from pipeline.gait.summary import (
    number,
    side_summaries,
    symmetries,
    symmetry_indices,
    threshold_flags,
)
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


def analyze_trial(
    points: np.ndarray,
    fps: float,
    forward,
    thresholds: ThresholdsConfig,
    events: Events | None = None,
    belt_speed_mps: float | None = None,
    height_sd: np.ndarray | None = None,
    max_event_timing_sd_s: float | None = None,
    event_points: np.ndarray | None = None,
    n_views: np.ndarray | None = None,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
    standing_pitch_deg: dict[str, float] | None = None,
    point_sd: np.ndarray | None = None,
) -> TrialAnalysis:
    """Analyse (F, 26, 3) keypoints (metres, Z up) with the belt/running direction `forward`.

    `events` (side -> {"foot_strike", "toe_off"} in frames) is detected when None; then, given
    `height_sd` (F, 26: vertical SD per px, points3d `sd_per_px`) and `max_event_timing_sd_s`
    (per px), events whose timing the cameras do not pin down are set aside as poorly observed
    (event_screen.py).
    `event_points` (same shape as `points`): the 3D to detect events on, when the analysed
    points are low-passed (points3d `points_unfiltered`); default `points`.
    `toe_tip_ahead_m`: where the shoe's tip lies ahead of the big-toe keypoint (events.py).
    `forward` None: overground, estimated from the stride-averaged pelvis velocity.
    `belt_speed_mps` (treadmill): stride length = belt speed x stride time; None: stride length
    is the foot's travel between strikes, given only when the pelvis progresses (overground).
    `n_views` (F, 26; points3d): which keypoints were measured, telling the frames a stride may
    not cross (gait/observation.py); default: the finite ones.
    `standing_pitch_deg` ({side: deg}, a static trial's heel -> toe pitch): the foot-strike
    angle's reference; None: the trial's own foot-flat angle (landing.py).
    `point_sd` (F, 26, 3, metres): each keypoint's SD along X, Y, Z (points3d `sd_per_px`
    times the pixel error, `pixel_sd_from_reprojection`); each stride value's SD is propagated
    from it (stride "uncertainty", summary "sd_of_mean"); None: no uncertainties.
    """
    points = np.asarray(points, float)
    if points.ndim != 3 or points.shape[1:] != (N_KEYPOINTS, 3):
        raise ValueError(f"points must have shape (frames, {N_KEYPOINTS}, 3), got {points.shape}")
    poor = None
    detected = events is None
    source = points if event_points is None else np.asarray(event_points, float)
    if source.shape != points.shape:
        raise ValueError(
            f"event_points must have the shape of points {points.shape}, got {source.shape}"
        )
    read_sd = None  # the shared mean-event read's SD per event type (events.py)
    if events is None and height_sd is not None and max_event_timing_sd_s is not None:
        events, poor, read_sd = detect_screened_events(
            source,
            fps,
            height_sd,
            max_timing_sd_s=max_event_timing_sd_s,
            n_views=n_views,
            toe_tip_ahead_m=toe_tip_ahead_m,
        )
    elif events is None:
        events, read_sd = detect_events_and_read_sd(source, fps, toe_tip_ahead_m=toe_tip_ahead_m)
    events = {
        side: {
            name: np.sort(np.asarray(events[side][name], float).ravel())
            for name in ("foot_strike", "toe_off")
        }
        for side in SIDES
    }

    # detected events carry a timing error the values read at them inherit (event_timing.py)
    timing = (
        event_timing_sd(source, fps, point_sd, events, toe_tip_ahead_m, read_sd)
        if detected and point_sd is not None
        else None
    )

    # overground (no belt speed): strides cut per pass, each with its own direction (passes.py)
    passes = [] if belt_speed_mps is not None else find_passes(points, fps)
    passes = refine_directions(points, fps, events, passes)
    forward_source = "given"
    if forward is None:
        forward_source = "estimated"
        forward = longest(passes).direction if passes else estimate_forward(points, fps, events)
    forward_axis, _ = body_axes(forward)
    try:
        pelvis_speed = float(pelvis_velocity(points, fps, events) @ forward_axis)
    except ValueError:  # pelvis never seen: no speed, no overground stride length
        pelvis_speed = None
    stretches = [Stretch(0, len(points), forward_axis, events, pelvis_speed)]
    if passes:
        given = forward_axis if forward_source == "given" else None
        stretches = pass_stretches(points, fps, events, passes, given)
        pelvis_speed = stretches[passes.index(longest(passes))].pelvis_speed

    drafts = [
        stride
        for stretch in stretches
        for side in SIDES
        for stride in _side_strides(
            points,
            fps,
            stretch.forward,
            stretch.events,
            side,
            belt_speed_mps,
            stretch.pelvis_speed,
            point_sd,
            timing,
            event_points,
        )
    ]
    # strides never cross unobserved frames; cadence only from observed strides (observation.py)
    observed = observed_frames(points, n_views)
    unobserved = gaps(observed, fps)
    drafts, gap_counts = split_strides_at_gaps(drafts, unobserved, fps)
    references = []
    for stretch in stretches:
        own = [d for d in drafts if stretch.start <= d.strike_frame < stretch.stop]
        references.append(
            add_landing(own, points, stretch.forward, standing_pitch_deg, fps, timing, not detected)
        )
        speed = stretch.pelvis_speed
        overground = speed is not None and abs(speed) >= MIN_PROGRESSION_SPEED_MPS
        add_bounce(
            own,
            points,
            fps,
            stretch.forward,
            stretch.events,
            belt_speed_mps,
            overground,
            unobserved,
        )
        add_spatial_sds(  # overstride, bounce, overground stride length (spatial_sd.py)
            own,
            points,
            point_sd,
            fps,
            stretch.forward,
            stretch.events,
            timing,
            belt_speed_mps,
            unobserved,
        )
    standing = richest_reference(references)
    strides = [draft.stride() for draft in drafts]
    sides = side_summaries(strides, standing, thresholds)
    cadence, cadence_note = observed_cadence(
        events, fps, unobserved, drafts, thresholds.min_strides
    )
    fx, fy, fz = (float(c) for c in forward_axis)
    summary = TrialSummary(
        cadence_spm=cadence,
        n_foot_strikes=int(sum(len(events[s]["foot_strike"]) for s in SIDES)),
        sides=sides,
        symmetry_index_pct=symmetry_indices(sides),
        symmetry=symmetries(sides),
        cadence_note=cadence_note,
        observation=observation_summary(observed, unobserved, fps, drafts, gap_counts),
        forward=(fx, fy, fz),
        forward_source=forward_source,
        belt_speed_mps=None if belt_speed_mps is None else float(belt_speed_mps),
        pelvis_speed_mps=None if pelvis_speed is None else number(pelvis_speed),
        poorly_observed_events=(
            None
            if poor is None
            else {side: {n: int(len(times)) for n, times in poor[side].items()} for side in SIDES}
        ),
        # of those, the ones on a detection dropout (no views) rather than on poor geometry
        untimed_on_dropouts=(
            None if poor is None or height_sd is None else dropout_events(poor, height_sd, fps)
        ),
        passes=tuple(  # overground passes, each with its direction (gait/passes.py)
            replace(
                one,
                n_strides=sum(one.start_frame <= s.strike_frame < one.stop_frame for s in strides),
            )
            for one in passes
        ),
        input_problems=tuple(
            input_problems(points, fps, events, drafts, forward_axis, belt_speed_mps, passes)
        ),
        contacts_not_found=(  # where the rhythm expects a contact and no event marks one
            contacts_not_found(
                events, poor, fps, [(s.start, s.stop) for s in stretches], unobserved
            )
            if detected
            else None
        ),
    )
    # one set of curves has one direction: the passes heading the trial's way (passes.py)
    along = events_along(events, passes, forward_axis) if passes else events
    curves = curve_summary(normalized_curves(points, fps, along, list(summary.forward)))
    return TrialAnalysis(
        fps=float(fps),
        n_frames=len(points),
        events=events,
        strides=strides,
        summary=summary,
        flags=threshold_flags(sides, thresholds),
        poorly_observed=poor,
        curves=curves,
    )


def stance_samples(frames_count: int, strike: float, toe_off: float) -> np.ndarray:
    """Fractional frame times covering a stance: both events plus every whole frame between."""
    whole = np.arange(math.ceil(strike), math.floor(toe_off) + 1, dtype=float)
    inner = whole[(whole > strike) & (whole < toe_off) & (whole <= frames_count - 1)]
    return np.concatenate([[strike], inner, [toe_off]])


def _side_strides(
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
    # the knee's peak time is read from both legs' strides where their shapes agree
    # (stance_pool.pooled_peak's `timing`); only noisy curves are pooled, which needs SDs
    partner = None
    if point_sd is not None:
        flexion = {"flexion": side_curves(other, forward)["flexion"]}
        partner = StanceReader(points, point_sd, fps, flexion, other_stances, screen)
    # stance extremes from local fits, values with SDs from the 3D (stance_reader.py)
    read = StanceReader(
        points,
        point_sd,
        fps,
        side_curves(side, forward),
        [(c[1], c[3], stance_samples(len(points), c[1], c[3])) for c in cycles],
        screen,
        partner,
    )

    # knee over toe: the toe from its planted line where the points carry SDs
    planted = (
        None
        if point_sd is None
        else PlantedToeReader(
            points, point_sd, forward_axis, side, screen, raw_points, [(c[1], c[3]) for c in cycles]
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
        foot_lateral, foot_lateral_sd = near(
            "lateral", strike, math.hypot(strike_sd, shared_strike_sd), one_sided=1
        )
        previous_other = _previous_opposite_strike(
            other_strikes, strike, strikes[i - 1] if i > 0 else -np.inf
        )
        step_width, step_width_sd, step_width_shared = np.nan, np.nan, None
        if previous_other is not None:
            other_own_sd = timing_sd_of(timing, other, "foot_strike", previous_other)
            other_lateral, other_lateral_sd = near(
                "other_lateral",
                previous_other,
                math.hypot(other_own_sd, shared_strike_sd),
                one_sided=1,
            )
            step_width = (foot_lateral - other_lateral) * sign
            step_width_sd = math.hypot(foot_lateral_sd, other_lateral_sd)
            # the part the trial's strides share: what the same reads lack without it
            alone_sd = math.hypot(
                near("lateral", strike, strike_sd, one_sided=1)[1],
                near("other_lateral", previous_other, other_own_sd, one_sided=1)[1],
            )
            step_width_shared = shared_part(step_width_sd, alone_sd)
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
        midline_value, midline_sd = near(
            "midline", strike, math.hypot(strike_sd, shared_strike_sd), one_sided=1
        )
        midline_shared = shared_part(midline_sd, near("midline", strike, strike_sd, one_sided=1)[1])

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
                foot_lateral_m=number(foot_lateral),
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
            )
        )
    return strides


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
    longest_stance = MAX_STANCE_FRACTION * _typical_stride(strikes, other_strikes, toe_offs)
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


def _typical_stride(strikes, other_strikes, toe_offs) -> float:
    """Median time (frames) between consecutive strikes of one foot (inf when none)."""
    pairs = [
        b - a
        for a, b in zip(strikes[:-1], strikes[1:])
        if not skips_a_cycle(a, b, other_strikes, toe_offs)
    ]
    return float(np.median(pairs)) if pairs else np.inf


def _previous_opposite_strike(opposite: np.ndarray, strike: float, previous_same: float):
    """Latest opposite-foot strike before `strike`, if it follows this foot's previous strike."""
    earlier = opposite[(opposite < strike) & (opposite > previous_same)]
    return float(earlier[-1]) if earlier.size else None
