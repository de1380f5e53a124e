"""Ground-truth 3D running motion for the synthetic pipeline.

`simulate_run(runner, fps)` returns all 26 Halpe keypoints (world frame: metres, Z up, X = running
direction, Y = runner's left) and the exact foot-strike / toe-off times.

How the motion is built (curves: `running_curves.py`):
- Timing: stride time = 120 / cadence; the right leg is half a stride behind the left; stance
  fraction from speed (`duty_factor`); the seed sets where in the cycle the recording starts.
- Each leg is thigh -> shank in a sagittal plane tilted about X by a lateral lean, plus a rigid
  foot (heel, big toe, small toe around the ankle). Knee flexion is the angle between the two
  segments, so the 3D knee angle equals the knee curve whatever the lean.
- Stance is solved from the ground up. The foot rolls heel -> flat -> big toe about a contact
  point fixed on the belt (floor), so the lowest foot keypoint is at z = 0 without slipping.
  The hip moves over the contact at running speed at strike and toe-off, passing through the
  point the knee-over-toe knob fixes at peak flexion, and placed so the hip is as high at
  toe-off as at strike; the thigh angle then follows from the knee angle (planar two-link
  inverse kinematics), the lean from the prescribed pelvis sway, and the pelvis from the hip.
- Swing uses the published thigh and ankle shapes, bent by cubics to meet the stance values
  and rates at toe-off and strike. In flight the pelvis (and each swinging leg's lean) is a
  cubic Hermite matching position and velocity at toe-off and the next strike.
- Knobs: the knee curve's stance peak and toe-off values are the knee knobs; the knee-over-toe
  knob fixes the shank angle at peak flexion (foot flat); each foot lands with its heel-toe
  midpoint at +-step_width/2; pelvic obliquity peaks at the drop knob 40 % into each stance;
  the hip covers speed x contact time per stance, so a treadmill runner does not drift.
- Each stance's phase clock is nudged (by at most half a frame, ends untouched) so the instant
  of peak knee flexion falls on a frame: the pipeline measures peak flexion and knee-over-toe on
  frames, and the knee moves ~1.3 m/s over the toes then (~1 cm per half frame at 60 fps).
- `asymmetry` is a symmetry index on the knee knobs: left = knob * (1 + a/2), right =
  knob * (1 - a/2), so (L - R) / mean(L, R) = a.

Segment geometry and proportions (Winter 2009): `body.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicHermiteSpline
from scipy.optimize import brentq

from pipeline.config import RunnerConfig
from pipeline.core.errors import RunlabError
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.synth import running_curves as rc
from pipeline.synth.body import (
    BIG_TOE,
    FOOT_KEYPOINTS,
    HEEL,
    LATERAL_SIGN,
    SIDES,
    Body,
    foot_offsets,
    leg_vertical_reach,
    pitch_for_clearance,
    segment,
    thigh_from_reach,
)
from pipeline.synth.upper_body import add_upper_body

# Small prescribed motions, typical of distance running (Novacheck 1998): pelvis sways toward
# the stance leg by ~1.5 cm and rotates +-5 deg about the vertical (leg forward = hip forward).
PELVIS_SWAY_M = 0.015
PELVIS_YAW_DEG = 5.0
# Least height of the swinging foot's heel and toe at mid-swing (tapering to 0 at toe-off and
# strike): runners clear the ground by several cm; where the published curves would scuff, the
# foot pitch is adjusted (see pitch_for_clearance). At 1 cm the toe of a 160 steps/min runner
# dipped to 8 mm in late swing, which no contact detector can tell from a touch under 2-3 mm
# of 3D noise.
SWING_CLEARANCE_M = 0.04
# Finite-difference step for event velocities (s): far below a frame, far above round-off.
EVENT_DT = 1e-4


@dataclass(frozen=True)
class RunTruth:
    points: np.ndarray  # (F, 26, 3) metres, world frame
    fps: float
    foot_strikes: dict[str, np.ndarray]  # 'left'/'right' -> event times * fps (fractional frames)
    toe_offs: dict[str, np.ndarray]

    def events(self) -> dict[str, dict[str, np.ndarray]]:
        """The true events in the analysis's form: {side: {foot_strike, toe_off: frames}}."""
        return {
            s: {"foot_strike": self.foot_strikes[s], "toe_off": self.toe_offs[s]}
            for s in ("left", "right")
        }


@dataclass(frozen=True)
class Leg:
    """One leg's curves over its own gait cycle (phase 0 = its foot strike)."""

    side: str
    knee: rc.Curve  # deg flexion
    pitch: rc.Curve  # foot pitch, deg, + = toes up
    thigh: rc.Curve  # deg from vertical, + = knee ahead of hip
    progression: rc.Curve  # stance fraction -> hip x minus landing heel x (belt frame)
    strike_offset: float  # s, time of this leg's first strike
    foot_point_y: float  # heel-toe midpoint at contact, m


@dataclass(frozen=True)
class Gait:
    runner: RunnerConfig
    body: Body
    stride: float  # s
    beta: float  # stance fraction
    left_strike: float  # s, a left foot strike (phase origin)

    @property
    def contact(self) -> float:
        return self.beta * self.stride

    @property
    def belt_speed(self) -> float:
        return self.runner.speed_mps if self.runner.treadmill else 0.0

    def left_phase(self, t: np.ndarray) -> np.ndarray:
        return np.mod((t - self.left_strike) / self.stride, 1.0)

    def nominal_pelvis_x(self, t: np.ndarray) -> np.ndarray:
        """Where the pelvis is at foot strikes: the belt centre, or advancing overground."""
        r = self.runner
        if r.treadmill:
            return np.zeros_like(t)
        return -0.5 * r.duration_s * r.speed_mps + r.speed_mps * t


# --- prescribed pelvis: sway and orientation ----------------------------------------------
def pelvis_y(gait: Gait, t: np.ndarray) -> np.ndarray:
    """Lateral sway: furthest left at mid left stance, right at mid right stance."""
    phase = gait.left_phase(t) - 0.5 * gait.beta
    return PELVIS_SWAY_M * np.cos(2 * np.pi * phase)


def hip_offsets(gait: Gait, t: np.ndarray, obliquity: rc.Curve) -> dict[str, np.ndarray]:
    """Hip joint centre minus pelvis centre (n, 3) per side.

    Yaw: left hip furthest forward at left strike. Obliquity: the frontal-plane angle of
    right_hip -> left_hip is exactly the obliquity curve (the roll is corrected for the yaw).
    """
    phase = gait.left_phase(t)
    yaw = -np.radians(PELVIS_YAW_DEG) * np.cos(2 * np.pi * phase)
    frontal = np.radians(obliquity(phase))
    roll = np.arctan(np.tan(frontal) * np.cos(yaw))
    half = 0.5 * gait.body.hip_width
    left = half * np.stack(
        [-np.cos(roll) * np.sin(yaw), np.cos(roll) * np.cos(yaw), np.sin(roll)], axis=-1
    )
    return {"left": left, "right": -left}


# --- stance: the leg from the ground up -------------------------------------------------------
def stance_phase(
    gait: Gait, leg: Leg, t: np.ndarray, stride: np.ndarray, fps: float | None
) -> np.ndarray:
    """Stance fraction u in [0, 1] of stride `stride` at times t. With fps, the phase clock is
    warped (ends and end slopes fixed) so that peak knee flexion falls on a frame."""
    t_strike = leg.strike_offset + stride * gait.stride
    u = (t - t_strike) / gait.contact
    if fps is None:
        return u
    peak_frame = np.round((t_strike + rc.PEAK_KNEE_U * gait.contact) * fps)
    u_frame = (peak_frame / fps - t_strike) / gait.contact
    bump = (u * (1 - u)) ** 2 / (u_frame * (1 - u_frame)) ** 2
    return u + (rc.PEAK_KNEE_U - u_frame) * bump


def ankle_over_contact(body: Body, side: str, u: np.ndarray, pitch_deg: np.ndarray) -> np.ndarray:
    """Ankle minus landing heel (n, 3), belt frame: the foot pivots on the heel until heel rise
    (PEAK_KNEE_U), then on the big toe, which lies where the flat foot put it."""
    feet = foot_offsets(body, side, pitch_deg)
    flat = foot_offsets(body, side, np.zeros(1))[:, 0]
    on_toe = (u > rc.PEAK_KNEE_U)[:, None]
    return np.where(on_toe, flat[BIG_TOE] - flat[HEEL] - feet[BIG_TOE], -feet[HEEL])


def stance_solve(
    gait: Gait, leg: Leg, t: np.ndarray, stride: np.ndarray, u: np.ndarray, obliquity: rc.Curve
) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis centre (n, 3) and leg lean (n,) during stance of `leg`: contact point pinned on
    the belt (floor), hip progressing as `leg.progression`, lean keeping the pelvis sway."""
    body = gait.body
    phase = u * gait.beta
    thigh, knee = leg.thigh(phase), leg.knee(phase)
    t_strike = leg.strike_offset + stride * gait.stride
    heel0 = landing_heel(gait, leg, t_strike, obliquity)
    heel0[:, 0] -= gait.belt_speed * (t - t_strike)
    ankle = heel0 + ankle_over_contact(body, leg.side, u, leg.pitch(phase))
    hip_off = hip_offsets(gait, t, obliquity)[leg.side]
    hip_y = pelvis_y(gait, t) + hip_off[:, 1]
    lean = np.arcsin((ankle[:, 1] - hip_y) / leg_vertical_reach(body, thigh, knee))
    chain = segment(body.thigh, thigh, lean) + segment(body.shank, thigh - knee, lean)
    return ankle - chain - hip_off, lean


def landing_heel(gait: Gait, leg: Leg, t_strike: np.ndarray, obliquity: rc.Curve) -> np.ndarray:
    """World heel position (n, 3) at each strike: the pelvis at its nominal x, the heel-toe
    midpoint at the side's lateral placement, the heel on the ground."""
    zero = np.zeros_like(t_strike)
    feet = foot_offsets(gait.body, leg.side, leg.pitch(zero))
    hip_x = gait.nominal_pelvis_x(t_strike) + hip_offsets(gait, t_strike, obliquity)[leg.side][:, 0]
    heel_x = hip_x - leg.progression(zero)
    heel_y = leg.foot_point_y - 0.5 * (feet[BIG_TOE][:, 1] - feet[HEEL][:, 1])
    return np.stack([heel_x, heel_y, zero], axis=-1)


# --- building the legs: knobs -> curves ----------------------------------------------------------
def build_leg(gait: Gait, side: str) -> Leg:
    """Curves of one leg that honour the runner's knobs (see the module docstring)."""
    r, body, beta = gait.runner, gait.body, gait.beta
    scale = 1.0 + LATERAL_SIGN[side] * 0.5 * r.asymmetry
    knee = rc.knee_flexion_curve(
        r.peak_knee_flexion_deg * scale, r.knee_flexion_toe_off_deg * scale, r.speed_mps, beta
    )
    c = rc.PEAK_KNEE_U
    ends = np.array([0.0, 1.0])
    ankle_ends = ankle_over_contact(body, side, ends, rc.stance_foot_pitch(ends))
    knee_ends = knee(ends * beta)

    # Knee-over-toe at peak flexion, foot flat, fixes the shank and so the hip over the heel.
    flat = foot_offsets(body, side, np.zeros(1))[:, 0]
    sin_shank = -(r.knee_over_toe_m + flat[BIG_TOE, 0]) / body.shank
    if abs(sin_shank) >= 1:
        raise ValueError(f"knee_over_toe_m={r.knee_over_toe_m} is out of reach of the shank")
    shank_peak = np.arcsin(sin_shank)
    thigh_peak = shank_peak + np.radians(float(knee(np.asarray(c * beta))))
    hip_at_peak = -flat[HEEL, 0] - body.thigh * np.sin(thigh_peak) - body.shank * sin_shank
    travel = r.speed_mps * gait.contact

    def progression_from(hip_at_strike: float) -> CubicHermiteSpline:
        # Hip speed = running speed at strike and toe-off, one monotone cubic either side of
        # the knob point (Fritsch-Carlson slope limits).
        before = (hip_at_peak - hip_at_strike) / c
        after = (hip_at_strike + travel - hip_at_peak) / (1 - c)
        slopes = [
            min(travel, 3 * before),
            2 * before * after / (before + after),
            min(travel, 3 * after),
        ]
        return CubicHermiteSpline(
            [0.0, c, 1.0], [hip_at_strike, hip_at_peak, hip_at_strike + travel], slopes
        )

    def height_gap(hip_at_strike: float) -> float:
        """Toe-off minus strike hip height in the sagittal plane."""
        hip = progression_from(hip_at_strike)(ends)
        thigh = thigh_from_reach(body, knee_ends, ankle_ends[:, 0] - hip)
        z = ankle_ends[:, 2] + leg_vertical_reach(body, thigh, knee_ends)
        return z[1] - z[0]

    # Place the stance so the hip is as high at toe-off as at strike (the up-and-down of the
    # pelvis is then centred on mid-stance, as in running), searching progressions that put
    # 15-85 % of the stance travel before the knob point; if none levels it, take the closest.
    candidates = hip_at_peak - np.linspace(0.15, 0.85, 57) * travel
    with np.errstate(invalid="ignore"):  # out-of-reach candidates give NaN, skipped below
        gaps = np.array([height_gap(x) for x in candidates])
    ok = np.isfinite(gaps)
    if not ok.any():
        raise ValueError(
            f"the legs cannot cover {travel:.2f} m of stance at {r.speed_mps} m/s; "
            "check speed, cadence, height and knee_over_toe_m"
        )
    crossing = np.flatnonzero(ok[:-1] & ok[1:] & (np.sign(gaps[:-1]) != np.sign(gaps[1:])))
    if crossing.size:
        i = crossing[0]
        hip_at_strike = brentq(height_gap, candidates[i], candidates[i + 1], xtol=1e-9)
    else:
        hip_at_strike = candidates[ok][np.argmin(np.abs(gaps[ok]))]
    progression = progression_from(hip_at_strike)

    def stance_thigh(u):
        ankle = ankle_over_contact(body, side, u, rc.stance_foot_pitch(u))
        return thigh_from_reach(body, knee(u * beta), ankle[:, 0] - progression(u))

    thigh = rc.cycle_curve(stance_thigh, rc.thigh_inclination_shape(beta), beta)
    ankle = rc.swing_ankle_curve(beta)
    # Foot pitch = ankle dorsiflexion + shank inclination (shank = thigh - knee).
    pitch = rc.cycle_curve(rc.stance_foot_pitch, lambda ph: ankle(ph) + thigh(ph) - knee(ph), beta)
    strike_offset = gait.left_strike + (0.0 if side == "left" else 0.5 * gait.stride)
    return Leg(
        side,
        knee,
        pitch,
        thigh,
        progression,
        strike_offset,
        LATERAL_SIGN[side] * 0.5 * r.step_width_m,
    )


# --- events, flight bridges and forward kinematics ---------------------------------------------
@dataclass(frozen=True)
class EventStates:
    """Pelvis (n, 3), leg lean (n,) and their time derivatives at one kind of event of one leg,
    for consecutive strides starting at `first_stride`."""

    times: np.ndarray
    pelvis: np.ndarray
    pelvis_rate: np.ndarray
    lean: np.ndarray
    lean_rate: np.ndarray
    first_stride: int


def event_states(
    gait: Gait, leg: Leg, strides: np.ndarray, at_toe_off: bool, obliquity: rc.Curve
) -> EventStates:
    """States at the strikes (or toe-offs) of `strides`, by one-sided second-order differences
    from inside the stance."""
    sign = -1.0 if at_toe_off else 1.0
    steps = np.array([0.0, 1.0, 2.0]) * sign * EVENT_DT
    times = leg.strike_offset + strides * gait.stride + (gait.contact if at_toe_off else 0.0)
    t = (times[:, None] + steps[None, :]).ravel()
    k = np.repeat(strides, 3)
    u = (t - (leg.strike_offset + k * gait.stride)) / gait.contact
    pelvis, lean = stance_solve(gait, leg, t, k, u, obliquity)
    pelvis, lean = pelvis.reshape(-1, 3, 3), lean.reshape(-1, 3)

    def rate(f):
        return sign * (-3 * f[:, 0] + 4 * f[:, 1] - f[:, 2]) / (2 * EVENT_DT)

    return EventStates(times, pelvis[:, 0], rate(pelvis), lean[:, 0], rate(lean), int(strides[0]))


@dataclass(frozen=True)
class LegTiming:
    """Per-frame position of one leg in its gait cycle."""

    stride: np.ndarray  # (F,) stride index (stride 0 starts at strike_offset)
    phase: np.ndarray  # (F,) gait phase, stance part warped (stance_phase)
    stance: np.ndarray  # (F,) bool
    swing_fraction: np.ndarray  # (F,) 0 at toe-off .. 1 at the next strike (swing only)


def leg_timing(gait: Gait, leg: Leg, t: np.ndarray, fps: float) -> LegTiming:
    stride = np.floor((t - leg.strike_offset) / gait.stride)
    tau = t - leg.strike_offset - stride * gait.stride
    stance = tau < gait.contact
    phase = tau / gait.stride
    phase[stance] = stance_phase(gait, leg, t[stance], stride[stance], fps) * gait.beta
    swing_fraction = (tau - gait.contact) / (gait.stride - gait.contact)
    return LegTiming(stride.astype(int), phase, stance, swing_fraction)


def swing_lean(
    timing: LegTiming, toe_off: EventStates, strike: EventStates, swing_time: float
) -> np.ndarray:
    """Lean of a swinging leg: cubic from its toe-off state to its next strike state."""
    swing = ~timing.stance
    i = timing.stride[swing] - toe_off.first_stride
    j = timing.stride[swing] + 1 - strike.first_stride
    return rc.hermite(
        timing.swing_fraction[swing],
        toe_off.lean[i],
        toe_off.lean_rate[i],
        strike.lean[j],
        strike.lean_rate[j],
        np.full(i.shape, swing_time),
    )


def flight_pelvis(
    t: np.ndarray, toe_offs: list[EventStates], strikes: list[EventStates]
) -> np.ndarray:
    """Pelvis (n, 3) at flight times t: cubic from the last toe-off to the next strike."""

    def merged(states):
        times = np.concatenate([s.times for s in states])
        order = np.argsort(times)
        return (
            times[order],
            np.concatenate([s.pelvis for s in states])[order],
            np.concatenate([s.pelvis_rate for s in states])[order],
        )

    to_t, to_p, to_v = merged(toe_offs)
    ic_t, ic_p, ic_v = merged(strikes)
    i = np.searchsorted(to_t, t, side="right") - 1
    j = np.searchsorted(ic_t, t, side="left")
    span = ic_t[j] - to_t[i]
    return rc.hermite((t - to_t[i]) / span, to_p[i], to_v[i], ic_p[j], ic_v[j], span)


def simulate_run(runner: RunnerConfig, fps: float) -> RunTruth:
    """3D keypoints of a synthetic runner (see module docstring) sampled at `fps`."""
    stride = 120.0 / runner.cadence_spm
    # The seed sets where in the gait cycle the recording starts.
    rng = np.random.default_rng(runner.seed)
    gait = Gait(
        runner,
        Body.from_height(runner.height_m),
        stride,
        rc.duty_factor(runner.speed_mps),
        left_strike=-rng.uniform(0.0, stride),
    )
    obliquity = rc.pelvic_obliquity_curve(runner.pelvic_drop_deg, gait.beta)
    legs = {side: build_leg(gait, side) for side in SIDES}

    n_frames = int(round(runner.duration_s * fps))
    t = np.arange(n_frames) / fps
    pelvis = np.empty((n_frames, 3))
    lean, timing, strikes, toe_offs = {}, {}, {}, {}
    for side, leg in legs.items():
        timing[side] = tm = leg_timing(gait, leg, t, fps)
        # One stride of margin each side so every frame has events around it.
        strides = np.arange(tm.stride.min() - 1, tm.stride.max() + 2)
        strikes[side] = event_states(gait, leg, strides, False, obliquity)
        toe_offs[side] = event_states(gait, leg, strides, True, obliquity)
        lean[side] = np.empty(n_frames)
        pelvis[tm.stance], lean[side][tm.stance] = stance_solve(
            gait,
            leg,
            t[tm.stance],
            tm.stride[tm.stance],
            tm.phase[tm.stance] / gait.beta,
            obliquity,
        )
        lean[side][~tm.stance] = swing_lean(
            tm, toe_offs[side], strikes[side], gait.stride - gait.contact
        )
    flight = ~(timing["left"].stance | timing["right"].stance)
    pelvis[flight] = flight_pelvis(t[flight], list(toe_offs.values()), list(strikes.values()))
    pelvis[flight, 1] = pelvis_y(gait, t[flight])  # the sway is prescribed throughout

    points = np.full((n_frames, N_KEYPOINTS, 3), np.nan)
    points[:, INDEX["hip"]] = pelvis
    offsets = hip_offsets(gait, t, obliquity)
    for side, leg in legs.items():
        phase = timing[side].phase
        thigh, knee = leg.thigh(phase), leg.knee(phase)
        hip = pelvis + offsets[side]
        knee_pt = hip + segment(gait.body.thigh, thigh, lean[side])
        ankle = knee_pt + segment(gait.body.shank, thigh - knee, lean[side])
        pitch = leg.pitch(phase)
        swing = ~timing[side].stance
        clearance = SWING_CLEARANCE_M * np.sin(np.pi * timing[side].swing_fraction[swing]) ** 2
        pitch[swing] = pitch_for_clearance(
            gait.body, side, ankle[swing, 2], pitch[swing], clearance
        )
        feet = ankle[None] + foot_offsets(gait.body, side, pitch)
        for name, p in zip(("hip", "knee") + FOOT_KEYPOINTS, (hip, knee_pt, *feet)):
            points[:, INDEX[f"{side}_{name}"]] = p
    add_upper_body(points, gait.left_phase(t), runner.height_m)

    _check_ground_clearance(points, runner)

    def in_trial(states: EventStates) -> np.ndarray:
        frames = states.times * fps
        return frames[(frames >= 0) & (frames <= n_frames - 1)]

    return RunTruth(
        points,
        float(fps),
        {s: in_trial(strikes[s]) for s in SIDES},
        {s: in_trial(toe_offs[s]) for s in SIDES},
    )


class SynthesisError(RunlabError):
    """The runner knobs ask for a motion the generator cannot produce faithfully."""


# A swinging foot this far below the floor is not a running motion any test should trust.
MAX_FLOOR_PENETRATION_M = 0.002


def _check_ground_clearance(points: np.ndarray, runner: RunnerConfig) -> None:
    feet = [INDEX[f"{side}_{name}"] for side in SIDES for name in FOOT_KEYPOINTS]
    depth = -float(np.min(points[:, feet, 2]))
    if depth > MAX_FLOOR_PENETRATION_M:
        raise SynthesisError(
            f"runner knobs speed_mps={runner.speed_mps}, cadence_spm={runner.cadence_spm}, "
            f"peak_knee_flexion_deg={runner.peak_knee_flexion_deg}, knee_over_toe_m="
            f"{runner.knee_over_toe_m}: the swinging foot would pass {depth * 1000:.0f} mm below "
            f"the floor. The generator is validated for about 3-5 m/s at 150-190 steps/min; "
            f"choose knobs in that range."
        )
