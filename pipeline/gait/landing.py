"""How the foot lands (issue #29): foot-strike angle and pattern, overstride.

Foot-strike angle (FSA; Altman & Davis 2012, Gait Posture 35:298): the foot's sagittal angle
at initial contact minus the same foot's angle standing, + = toes up (heel first). The foot
line is heel -> big toe (angles.foot_pitch_deg). Pattern from the FSA with Altman & Davis's
cut-offs: rearfoot above 8.0 deg, forefoot below -1.6 deg, midfoot in between.

The standing angle: the lab's static (standing) value when given. Otherwise the foot-flat
angle of the trial itself, the heel -> toe pitch at the stance frame where the heel and the
big toe are both nearest their floor level (each at most FLAT_TOLERANCE_M above it). That is
the standing geometry only if the heel is on the floor there, which the keypoints cannot show:
a forefoot or midfoot runner (the sprinter of docs/metrics.md) keeps the heel up through
stance, its 'flattest' frame is toes-down and the angle reads too high (rearfoot). Since the
forefoot is down at the flattest frame and the heel can only be above the floor, the foot-flat
pitch is at most the standing pitch and the angle from it at least the true foot-strike angle:
an upper bound. With it the pattern is given only where the bound decides it (forefoot);
otherwise it is withheld (None) with FOOT_FLAT_BOUND_NOTE, which names the static trial.
A foot never flat, or a heel or toe not seen at the strike: no angle, no pattern.

Overstride: horizontal distance along forward from the pelvis centre (midpoint of the hip
centres, not an estimated centre of mass) to the heel at initial contact; + = heel ahead.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from pipeline.core.errors import ConfigError
from pipeline.gait.angles import body_axes, foot_pitch_deg, hip_centre, keypoint
from pipeline.gait.event_timing import read_with_shared_part
from pipeline.gait.records import FootStrikeSummary, StandingReference, Stride, StrideDraft
from pipeline.gait.sampling import sample_at
from pipeline.gait.strike_pitch import (
    strike_angle_sd,
    strike_scatter,
    strike_timing_sd,
    uncertain_pattern_note,
)

# Altman & Davis 2012: FSA > 8.0 deg rearfoot, < -1.6 deg forefoot, else midfoot
REARFOOT_ABOVE_DEG = 8.0
FOREFOOT_BELOW_DEG = -1.6
CUT_OFFS = {"rearfoot": REARFOOT_ABOVE_DEG, "forefoot": FOREFOOT_BELOW_DEG}
# a foot is flat when heel and big toe are both within this of their floor levels
FLAT_TOLERANCE_M = 0.010
LEVEL_QUANTILE = 0.15  # floor level of a keypoint: median of its lowest 15 % heights (events.py)
STATIC_TRIAL = "static trial"
FOOT_FLAT = "foot flat in stance"
FOOT_FLAT_BOUND_NOTE = (
    "no static trial: the foot-flat angle is the standing angle only if the heel comes down in "
    "stance, which the keypoints cannot show, so each foot-strike angle is an upper bound and "
    "only a forefoot reading is certain; name the session's static trial (study.static_trials) "
    "or give its standing_foot_pitch_deg for the pattern"
)

LANDING_METRICS: dict[str, tuple[str, str]] = {
    "foot_strike_angle_deg": ("foot-strike angle (relative to standing)", "deg"),
    "overstride_m": ("overstride (heel ahead of pelvis centre at contact)", "m"),
}


def standing_reference(values, key: str) -> dict[str, float] | None:
    """{side: deg} from a config's [left, right] standing pitch; a clear error naming `key`
    for anything else than two finite angles within +-45 deg."""
    if values is None:
        return None
    values = list(values)
    if len(values) != 2 or not all(
        isinstance(v, (int, float)) and np.isfinite(v) and abs(v) <= 45 for v in values
    ):
        raise ConfigError(
            f"{key} must be [left, right] standing foot pitch in degrees within +-45 (heel -> "
            f"big toe above horizontal, from a static trial), got {values}"
        )
    return {"left": float(values[0]), "right": float(values[1])}


def bounded_pattern(angle_deg: float | None) -> str | None:
    """The pattern an upper bound on the foot-strike angle decides: forefoot, else None."""
    pattern = strike_pattern(angle_deg)
    return pattern if pattern == "forefoot" else None


def strike_pattern(angle_deg: float | None) -> str | None:
    """rearfoot / midfoot / forefoot from a foot-strike angle (Altman & Davis 2012)."""
    if angle_deg is None or not np.isfinite(angle_deg):
        return None
    if angle_deg > REARFOOT_ABOVE_DEG:
        return "rearfoot"
    if angle_deg < FOREFOOT_BELOW_DEG:
        return "forefoot"
    return "midfoot"


def _floor_level(heights: np.ndarray) -> float:
    finite = np.sort(heights[np.isfinite(heights)])
    if finite.size == 0:
        return np.nan
    return float(np.median(finite[: max(1, int(LEVEL_QUANTILE * finite.size))]))


def foot_flat_pitch(points: np.ndarray, forward, side: str, stances) -> tuple[float | None, int]:
    """Median over the stances of the foot's pitch at its flattest frame (deg), and the number
    of stances with a foot-flat frame; (None, 0) when none has one."""
    heel = keypoint(points, f"{side}_heel")[:, 2]
    toe = keypoint(points, f"{side}_big_toe")[:, 2]
    pitch = foot_pitch_deg(points, side, forward)
    heel_level, toe_level = _floor_level(heel), _floor_level(toe)
    values = []
    for strike, toe_off in stances:
        frames: np.ndarray = np.arange(int(np.ceil(strike)), int(np.floor(toe_off)) + 1)
        frames = frames[(frames >= 0) & (frames < len(points))]
        if frames.size == 0:
            continue
        above = np.maximum(heel[frames] - heel_level, toe[frames] - toe_level)
        if not np.isfinite(above).any():
            continue
        best = frames[int(np.nanargmin(above))]
        if above[best - frames[0]] <= FLAT_TOLERANCE_M and np.isfinite(pitch[best]):
            values.append(pitch[best])
    return (float(np.median(values)), len(values)) if values else (None, 0)


def add_landing(
    strides: list[StrideDraft],
    points: np.ndarray,
    forward,
    standing_pitch_deg: dict[str, float] | None = None,
    fps: float | None = None,
    timing: dict | None = None,
    events_given: bool = True,
) -> dict[str, StandingReference]:
    """Adds foot_strike_angle_deg, foot_strike_pattern and overstride_m to each stride (in place)
    and returns per side the standing reference used.
    With `fps` the angle's SD (the pitch's noise and, for detected events, the strike's timing SD:
    the larger of the predicted one from `timing`, event_timing.event_timing_sd, None: unknown,
    and the strikes' scatter measured on the strides' stride times) goes in the stride's
    uncertainty (its part the trial's strikes share, their shared read, in shared_uncertainty),
    and a pattern that SD leaves undecided says so in foot_strike_pattern_note
    (strike_pitch.py)."""
    reference = {}
    standing: float | None
    # the strikes' own scatter, measured on their stride times (strike_pitch.py)
    scatter = None if events_given or fps is None else strike_scatter(strides, fps)
    for side in ("left", "right"):
        own = [s for s in strides if s.side == side]
        given = None if standing_pitch_deg is None else standing_pitch_deg.get(side)
        if given is not None:
            standing, source, n, note = float(given), STATIC_TRIAL, None, None
        else:
            stances = [(s.strike_frame, s.toe_off_frame) for s in own]
            standing, n = foot_flat_pitch(points, forward, side, stances)
            source = FOOT_FLAT
            note = (
                FOOT_FLAT_BOUND_NOTE if standing is not None else "no foot-flat frame in any stance"
            )
        classify = strike_pattern if source == STATIC_TRIAL else bounded_pattern
        reference[side] = StandingReference(
            pitch_deg=standing, source=source, n_stances=n, note=note
        )
        pitch = foot_pitch_deg(points, side, forward)
        heel_ahead = overstride_curve(points, side, forward)
        for stride in own:
            strike = stride.strike_frame
            at_strike = float(sample_at(pitch, strike))  # NaN: heel or toe not seen
            angle = (
                at_strike - standing if standing is not None and np.isfinite(at_strike) else None
            )
            stride.values["foot_strike_angle_deg"] = angle
            stride.foot_strike_pattern = classify(angle)
            if fps is not None and angle is not None and (events_given or timing is not None):
                # the strike's timing SD with the trial's shared strike read, and without it
                timing_sd, alone_timing_sd = (
                    None
                    if events_given
                    else strike_timing_sd(timing, side, strike, scatter, shared)
                    for shared in (True, False)
                )
                sd, shared_sd = read_with_shared_part(
                    partial(strike_angle_sd, pitch, strike, fps), timing_sd, alone_timing_sd
                )
                stride.uncertainty["foot_strike_angle_deg"] = sd if np.isfinite(sd) else None
                if not events_given and np.isfinite(sd):
                    stride.shared_uncertainty["foot_strike_angle_deg"] = shared_sd
                cut_offs = CUT_OFFS if source == STATIC_TRIAL else {"forefoot": FOREFOOT_BELOW_DEG}
                if stride.foot_strike_pattern is not None:
                    stride.foot_strike_pattern_note = uncertain_pattern_note(angle, sd, cut_offs)
            overstride = float(sample_at(heel_ahead, strike))
            stride.values["overstride_m"] = overstride if np.isfinite(overstride) else None
            if stride.set_aside and stride.set_aside.holds(strike):
                # the swapped leg's foot at its strike (docs/metrics.md "Strides set aside")
                stride.leave_out(tuple(LANDING_METRICS))
                stride.foot_strike_pattern = stride.foot_strike_pattern_note = None
    return reference


def overstride_curve(points: np.ndarray, side: str, forward) -> np.ndarray:
    """(F,) the heel's distance ahead of the pelvis centre along forward (overstride is its
    value at the strike; its SD: spatial_sd.py)."""
    forward_axis, _ = body_axes(forward)
    return (keypoint(points, f"{side}_heel") - hip_centre(points)) @ forward_axis


def pattern_summary(
    strides: list[Stride], side: str, mean_angle: float | None, standing: StandingReference
) -> FootStrikeSummary:
    """The side's pattern (from the mean angle) and each pattern's share of its strides; where
    a stride's angle was only a bound (its pattern withheld), the mean is one too. `standing`:
    the reference the angles were measured from (add_landing's)."""
    own = [s for s in strides if s.side == side]
    patterns = [s.foot_strike_pattern for s in own]
    seen = [p for p in patterns if p is not None]
    bounded = any(
        s.value("foot_strike_angle_deg") is not None and s.foot_strike_pattern is None for s in own
    )
    return FootStrikeSummary(
        pattern=(bounded_pattern if bounded else strike_pattern)(mean_angle),
        shares={
            p: (seen.count(p) / len(seen) if seen else None)
            for p in ("rearfoot", "midfoot", "forefoot")
        },
        n=len(seen),
        n_missing=len(patterns) - len(seen),
        standing=standing,
    )
