"""Typical sagittal running kinematics over one gait cycle, as control points.

The values approximate the mean curves of distance runners in
- Novacheck TF (1998) The biomechanics of running. Gait Posture 7:77-95 (3.2 m/s), and
- Fukuchi RK, Fukuchi CA, Duarte M (2017) A public dataset of running biomechanics and the
  effects of running speed on lower extremity kinematics and kinetics. PeerJ 5:e3298
  (treadmill, 2.5-4.5 m/s),
read as typical shapes and levels; they are NOT a digitization of either paper. The knobs that
the pipeline measures (peak stance knee flexion, knee flexion at toe-off) are set exactly by
the caller; everything else only has to look like running.

Phases are fractions of stance (`u`, 0 = foot strike, 1 = toe-off) or of swing (`v`, 0 =
toe-off, 1 = next foot strike), so the curves follow any stance fraction. The knee and pelvic
obliquity curves are periodic PCHIP interpolants: C1, monotone between control points, with
every local extremum exactly on a control point, which is what lets a knob be the exact peak of
a curve. The thigh and ankle shapes are only used in swing, bent to meet the stance solution
(`cycle_curve`); in stance the thigh follows from the foot contact (see kinematics).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.interpolate import PchipInterpolator

Curve = Callable[[np.ndarray], np.ndarray]
# Step (in stance fractions) of the one-sided differences that match rates at toe-off and
# strike: far below any curve feature, far above round-off.
RATE_STEP = 1e-4

# Peak stance knee flexion, peak ankle dorsiflexion and the end of foot-flat (heel rise) all
# fall near mid-stance in running (Novacheck 1998, Fig. 5-7); one shared instant keeps the
# knee-over-toe measure well defined (foot flat, knee at its deepest).
PEAK_KNEE_U = 0.45
# Rearfoot strikers are foot-flat by ~15 % of stance (heel rocker).
FOOT_FLAT_U = 0.15


def duty_factor(speed_mps: float) -> float:
    """Stance fraction of the gait cycle at a running speed.

    Anchored at Novacheck's (1998) toe-off at ~39 % of the cycle at 3.2 m/s; the slope (0.42 at
    2.5 m/s, 0.33 at 4.5 m/s) is our approximation of how contact shortens with speed in
    treadmill data (Fukuchi 2017). Kept inside 0.25-0.45 so there is always a flight phase.
    """
    return float(np.clip(0.39 - 0.045 * (speed_mps - 3.2), 0.25, 0.45))


def cycle_phase(beta: float, stance_u=(), swing_v=()) -> np.ndarray:
    """Stance fractions `u` and swing fractions `v` -> gait-cycle phase for stance fraction beta."""
    return np.concatenate(
        [np.asarray(stance_u, float) * beta, beta + np.asarray(swing_v, float) * (1.0 - beta)]
    )


def periodic_pchip(phase: np.ndarray, values: np.ndarray | list[float]) -> Curve:
    """PCHIP through (phase, value) control points on [0, 1), wrapped so it is periodic."""
    phase = np.asarray(phase, float)
    values = np.asarray(values, float)
    order = np.argsort(phase)
    phase, values = phase[order], values[order]
    # Two wrapped copies each side give PCHIP the neighbours it uses for the slopes at 0 and 1.
    xp = np.concatenate([phase[-2:] - 1.0, phase, phase[:2] + 1.0])
    yp = np.concatenate([values[-2:], values, values[:2]])
    spline = PchipInterpolator(xp, yp)
    return lambda phi: spline(np.mod(phi, 1.0))


def knee_flexion_curve(
    peak_stance_deg: float, toe_off_deg: float, speed_mps: float, beta: float
) -> Curve:
    """Knee flexion (deg, 0 = straight) over the cycle with the stance peak and the toe-off value
    exactly as given (toe-off is the late-stance minimum, as in the published curves)."""
    # Contact flexion sits about a quarter of the way from the toe-off level to the stance peak
    # (~20 deg at contact for a 45 deg peak, Novacheck 1998).
    contact = toe_off_deg + 0.25 * (peak_stance_deg - toe_off_deg)
    # Swing peak ~95 deg at 3.2 m/s, deeper with speed (Novacheck 1998; Fukuchi 2017).
    swing_peak = max(
        float(np.clip(95.0 + 10.0 * (speed_mps - 3.2), 80.0, 125.0)), peak_stance_deg + 20.0
    )
    # Terminal swing extends a little past the contact angle, then flexes into contact.
    late_swing = max(contact - 5.0, 2.0)
    phase = cycle_phase(beta, stance_u=[0.0, PEAK_KNEE_U, 1.0], swing_v=[0.55, 0.9])
    return periodic_pchip(phase, [contact, peak_stance_deg, toe_off_deg, swing_peak, late_swing])


def thigh_inclination_shape(beta: float) -> Curve:
    """Thigh angle from vertical (deg, + = knee ahead of hip): hip flexion minus ~15 deg
    anterior pelvic tilt (Novacheck 1998). Used for swing; stance thigh angles follow from the
    foot contact (see kinematics)."""
    phase = cycle_phase(beta, stance_u=[0.0, 1.0], swing_v=[0.1, 0.7])
    # Contact, toe-off, peak extension just after toe-off, peak flexion in late swing (then a
    # few degrees of swing-leg retraction before contact).
    return periodic_pchip(phase, [25.0, -18.0, -21.0, 40.0])


# Foot angle to the ground at contact for a rearfoot strike (Altman & Davis 2012, Gait Posture
# 35:298: rearfoot strikes have a foot-strike angle above ~8 deg; ~10-15 deg is typical).
FOOT_STRIKE_ANGLE_DEG = 12.0
# Foot angle at toe-off: ankle ~15 deg plantarflexed on a shank ~30 deg behind vertical
# (Novacheck 1998).
TOE_OFF_FOOT_ANGLE_DEG = -45.0


def stance_foot_pitch(u: np.ndarray) -> np.ndarray:
    """Foot pitch (deg, + = toes up) over stance fraction u: heel contact at the foot-strike
    angle, foot flat from FOOT_FLAT_U to PEAK_KNEE_U, heel rise to toe-off. Monotone in each
    part, so the heel is the lowest foot point before foot-flat and the big toe after."""
    return _STANCE_PITCH(u)


_STANCE_PITCH = PchipInterpolator(
    [0.0, FOOT_FLAT_U, PEAK_KNEE_U, 1.0], [FOOT_STRIKE_ANGLE_DEG, 0.0, 0.0, TOE_OFF_FOOT_ANGLE_DEG]
)


def swing_ankle_curve(beta: float) -> Curve:
    """Ankle dorsiflexion (deg) over the swing phases of the cycle: plantarflexion peaks just
    after toe-off, then the foot is brought back to about neutral for contact (Novacheck 1998,
    Fukuchi 2017). Only its shape is used; the ends are matched to the stance foot."""
    phase = cycle_phase(beta, swing_v=[0.0, 0.15, 0.5, 0.9, 1.0])
    return PchipInterpolator(phase, [-15.0, -20.0, 5.0, 8.0, 8.0])


def pelvic_obliquity_curve(drop_deg: float, beta: float) -> Curve:
    """Frontal-plane pelvic obliquity (deg, + = left hip higher) over the LEFT leg's cycle.

    The swing-side hip drops after contact and is lowest about 40 % into stance, then the pelvis
    levels through flight and mirrors during the right stance (Novacheck 1998, Fig. 9).
    """
    peak_u = 0.4
    phase = np.array([0.0, peak_u * beta, 0.5, 0.5 + peak_u * beta])
    return periodic_pchip(phase, [0.0, drop_deg, 0.0, -drop_deg])


# --- joining stance and swing ----------------------------------------------------------------
def hermite(s: np.ndarray, p0, m0, p1, m1, span) -> np.ndarray:
    """Cubic Hermite at s in [0, 1] between (p0, slope m0) and (p1, slope m1) over `span`."""
    s = s.reshape(s.shape + (1,) * (np.ndim(p0) - 1))
    s2, s3 = s * s, s * s * s
    span = span.reshape(s.shape)
    return (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * span * m0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * span * m1
    )


def cycle_curve(stance: Curve, swing_shape: Curve, beta: float) -> Curve:
    """Curve over the gait cycle: `stance(u)` in stance; in swing, `swing_shape(phase)` bent by
    a cubic so value and rate match the stance curve at toe-off and at the next strike."""
    du = RATE_STEP
    end = stance(np.array([1.0, 1.0 - du, 0.0, du]))
    shape = swing_shape(np.array([beta, beta - du * beta, 1.0, 1.0 + du * beta]))
    gap = end - shape
    gap_to, gap_ic = gap[0], gap[2]
    slope_to = (gap[0] - gap[1]) / (du * beta)
    slope_ic = (gap[3] - gap[2]) / (du * beta)

    def curve(phase):
        phase = np.mod(np.asarray(phase, float), 1.0)
        out = np.empty_like(phase)
        in_stance = phase <= beta
        out[in_stance] = stance(phase[in_stance] / beta)
        swing = phase[~in_stance]
        s = (swing - beta) / (1.0 - beta)
        out[~in_stance] = swing_shape(swing) + hermite(
            s, gap_to, slope_to, gap_ic, slope_ic, np.full(s.shape, 1.0 - beta)
        )
        return out

    return curve
