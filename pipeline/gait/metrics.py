"""Per-stride running metrics, per-side summaries and threshold flags for one trial.

Definitions (docs/metrics.md has the full text): stance = foot strike .. toe-off of a foot;
values taken at an event are linearly interpolated at its fractional frame time. A value
whose keypoints are NaN anywhere it is needed is None ("missing"), never a number.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipeline.config import ThresholdsConfig
from pipeline.core.skeleton import N_KEYPOINTS
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.angles import (
    SIDES,
    body_axes,
)
from pipeline.gait.bounce import add_bounce
from pipeline.gait.curves import curve_summary, normalized_curves
from pipeline.gait.event_timing import (
    event_timing_sd,
)
from pipeline.gait.events import (
    TOE_TIP_AHEAD_M,
    EventOptions,
    detect_events_and_read_sd,
    detect_screened_events,
    dropout_events,
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
from pipeline.gait.progression import MIN_PROGRESSION_SPEED_MPS, estimate_forward, pelvis_velocity
from pipeline.gait.records import Events, TrialSummary
from pipeline.gait.spatial_sd import add_spatial_sds
from pipeline.gait.strides import side_strides
from pipeline.gait.strike_check import strike_problems
from pipeline.gait.summary import (
    number,
    side_summaries,
    symmetries,
    symmetry_indices,
    threshold_flags,
)


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
    event_options = EventOptions(toe_tip_ahead_m=toe_tip_ahead_m)
    if events is None and height_sd is not None and max_event_timing_sd_s is not None:
        events, poor, read_sd = detect_screened_events(
            source,
            fps,
            height_sd,
            max_timing_sd_s=max_event_timing_sd_s,
            options=event_options,
            n_views=n_views,
        )
    elif events is None:
        events, read_sd = detect_events_and_read_sd(source, fps, event_options)
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
        for stride in side_strides(
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
            None
            if poor is None or height_sd is None
            else dropout_events(poor, height_sd, fps, event_options)
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
            + (strike_problems(source, fps, events, event_options) if detected else [])
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
