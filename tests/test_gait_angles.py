"""Analytic constructions for the joint and segment angles of pipeline/gait/angles.py and the
normalised curves of pipeline/gait/curves.py: each answer is known exactly. At the end, every
angle against the synthetic runner's truth after the 1 px observation path (issue #6)."""

from functools import cache

import numpy as np
import pytest
from scenes.gait import (
    FIRST_STRIKE,
    FPS,
    RUNNERS,
    STANCE_FRAMES,
    STRIDE_FRAMES,
    knee_curve,
    noisy_trial,
    running_trial,
)

from pipeline.config import ThresholdsConfig
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.gait.angles import (
    ankle_dorsiflexion_deg,
    calf_gap_m,
    foot_pitch_deg,
    hip_adduction_deg,
    hip_flexion_deg,
    knee_flexion_deg,
    knee_fppa_deg,
    knee_off_leg_line_m,
    leg_trunk_alignment_deg,
    pelvic_obliquity_deg,
    point_segment_distance,
    tibia_inclination_deg,
)
from pipeline.gait.curves import CYCLE_PCT, normalized_curves
from pipeline.gait.metrics import analyze_trial

FORWARD = [1.0, 0.0, 0.0]
THIGH = 0.45


def body(**named):
    """One frame (1, 26, 3), NaN except the named keypoints."""
    points = np.full((1, N_KEYPOINTS, 3), np.nan)
    for name, xyz in named.items():
        points[0, INDEX[name]] = xyz
    return points


def yawed(points, degrees, shift=(0.3, -1.2, 0.0)):
    """The same body turned about Z and moved: every angle must be unchanged when forward
    turns with it."""
    a = np.radians(degrees)
    rotation = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return points @ rotation.T + shift, rotation @ FORWARD


def pelvis_with_thigh(side, flexion_deg, adduction_deg, trunk_lean_deg=0.0):
    """Hips at y = +-0.1, trunk leaning forward by trunk_lean_deg, femur with the given
    flexion (toward +X) and adduction (toward the midline) relative to that pelvis."""
    lean = np.radians(trunk_lean_deg)
    f, c = np.radians(flexion_deg), np.radians(adduction_deg)
    medial_y = -1.0 if side == "left" else 1.0
    # femur in the pelvis frame (anterior, superior, medial), rotated with the trunk lean
    anterior, inferior, medial = np.cos(c) * np.sin(f), np.cos(c) * np.cos(f), np.sin(c)
    x_p, y_p = np.array([np.cos(lean), 0, -np.sin(lean)]), np.array([np.sin(lean), 0, np.cos(lean)])
    femur = anterior * x_p - inferior * y_p + medial * np.array([0, medial_y, 0])
    hip = np.array([0.0, 0.1 if side == "left" else -0.1, 1.0])
    return body(
        left_hip=[0, 0.1, 1.0],
        right_hip=[0, -0.1, 1.0],
        neck=[0.5 * np.sin(lean), 0, 1.0 + 0.5 * np.cos(lean)],
        **{f"{side}_knee": hip + THIGH * femur},
    )


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize(
    "flexion,adduction,lean",
    [
        (30.0, 0.0, 0.0),
        (-20.0, 0.0, 0.0),
        (0.0, 8.0, 0.0),
        (0.0, -5.0, 0.0),
        (25.0, 10.0, 12.0),
        (-15.0, 6.0, 8.0),
    ],
)
def test_hip_flexion_and_adduction_relative_to_trunk_pelvis(side, flexion, adduction, lean):
    points = pelvis_with_thigh(side, flexion, adduction, lean)
    for turned, _ in ((points, None), yawed(points, 127.0)):
        assert hip_flexion_deg(turned, side)[0] == pytest.approx(flexion, abs=1e-9)
        assert hip_adduction_deg(turned, side)[0] == pytest.approx(adduction, abs=1e-9)


def test_trunk_lean_alone_is_hip_flexion():
    """Thigh vertical, trunk 10 deg forward: the hip is flexed 10 deg."""
    points = body(
        left_hip=[0, 0.1, 1.0],
        right_hip=[0, -0.1, 1.0],
        neck=[0.5 * np.sin(np.radians(10)), 0, 1 + 0.5 * np.cos(np.radians(10))],
        left_knee=[0, 0.1, 0.55],
    )
    assert hip_flexion_deg(points, "left")[0] == pytest.approx(10.0, abs=1e-9)


@pytest.mark.parametrize(
    "tibia,pitch", [(0.0, 0.0), (15.0, 0.0), (0.0, -30.0), (40.0, -50.0), (-8.0, 12.0)]
)
def test_tibia_inclination_and_ankle_dorsiflexion(tibia, pitch):
    """Shank at `tibia` deg from vertical (+ = knee ahead), heel -> toe at `pitch` deg (+ = toes
    up): dorsiflexion = pitch + tibia (0 = foot perpendicular to the shank)."""
    t, p = np.radians(tibia), np.radians(pitch)
    ankle = np.array([0.2, 0.1, 0.1])
    heel = ankle + [-0.05, 0, -0.05]
    points = body(
        left_ankle=ankle,
        left_knee=ankle + 0.45 * np.array([np.sin(t), 0, np.cos(t)]),
        left_heel=heel,
        left_big_toe=heel + 0.22 * np.array([np.cos(p), 0.02, np.sin(p)]),
    )
    for turned, forward in ((points, FORWARD), yawed(points, -70.0)):
        assert tibia_inclination_deg(turned, "left", forward)[0] == pytest.approx(tibia, abs=1e-9)
        assert ankle_dorsiflexion_deg(turned, "left", forward)[0] == pytest.approx(
            tibia + pitch, abs=0.02
        )  # the toe's 2 cm sideways offset: projection, < 0.02 deg
    # in-plane foot: 90 deg minus the 3D shank-foot angle
    shank = points[0, INDEX["left_knee"]] - ankle
    foot = 0.22 * np.array([np.cos(p), 0, np.sin(p)])
    angle = np.degrees(np.arccos(shank @ foot / np.linalg.norm(shank) / np.linalg.norm(foot)))
    points[0, INDEX["left_big_toe"]] = heel + foot
    assert ankle_dorsiflexion_deg(points, "left", FORWARD)[0] == pytest.approx(90 - angle, abs=1e-9)
    # running the other way flips the sagittal signs only through forward
    mirrored = points * [-1, 1, 1]
    assert tibia_inclination_deg(mirrored, "left", [-1, 0, 0])[0] == pytest.approx(tibia, abs=1e-9)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("offset", [0.04, -0.03, 0.0])
def test_knee_frontal_plane_projection_angle(side, offset):
    """Hip and ankle on one vertical line, knee `offset` m toward the midline halfway down:
    FPPA = 2 atan(offset / half leg), + = valgus."""
    y = 0.1 if side == "left" else -0.1
    medial = -1.0 if side == "left" else 1.0
    points = body(
        **{
            f"{side}_hip": [0, y, 1.0],
            f"{side}_knee": [0.0, y + medial * offset, 0.55],
            f"{side}_ankle": [0, y, 0.1],
        }
    )
    expected = 2 * np.degrees(np.arctan2(offset, 0.45))
    for turned, forward in ((points, FORWARD), yawed(points, 200.0)):
        assert knee_fppa_deg(turned, side, forward)[0] == pytest.approx(expected, abs=1e-9)
    # sagittal knee flexion does not enter the frontal projection
    points[0, INDEX[f"{side}_knee"], 0] = 0.2
    assert knee_fppa_deg(points, side, FORWARD)[0] == pytest.approx(expected, abs=1e-9)


def test_triple_extension_alignment_and_knee_off_line():
    lean = np.radians(25.0)
    ankle = np.array([0.0, 0.1, 0.1])
    hip = ankle + 0.9 * np.array([np.sin(lean), 0, np.cos(lean)])
    shoulders = hip + 0.5 * np.array([np.sin(lean), 0, np.cos(lean)])
    line = body(
        left_ankle=ankle,
        left_hip=hip,
        left_knee=0.5 * (ankle + hip),
        left_shoulder=shoulders + [0, 0.1, 0],
        right_shoulder=shoulders - [0, 0.1, 0],
    )
    # ankle, knee, hip, shoulders in one line
    assert leg_trunk_alignment_deg(line, "left", FORWARD)[0] == pytest.approx(0.0, abs=1e-9)
    assert knee_off_leg_line_m(line, "left", FORWARD)[0] == pytest.approx(0.0, abs=1e-12)
    upright = line.copy()
    upright[0, INDEX["left_shoulder"]] = hip + [0, 0.1, 0.5]
    upright[0, INDEX["right_shoulder"]] = hip + [0, -0.1, 0.5]
    assert leg_trunk_alignment_deg(upright, "left", FORWARD)[0] == pytest.approx(-25.0, abs=1e-9)
    bent = line.copy()
    normal = np.array([np.cos(lean), 0, -np.sin(lean)])  # forward, perpendicular to line
    bent[0, INDEX["left_knee"]] += 0.05 * normal
    assert knee_off_leg_line_m(bent, "left", FORWARD)[0] == pytest.approx(0.05, abs=1e-12)


def test_point_segment_distance_and_calf_gap():
    a, b = np.array([0.0, 0, 0.5]), np.array([0.0, 0, 0.1])  # knee, ankle
    points = np.array([[0.03, 0.04, 0.3], [0, 0, 0.7], [0, 0.05, 0.0], [np.nan, 0, 0]])
    np.testing.assert_allclose(
        point_segment_distance(points, a, b), [0.05, 0.2, np.hypot(0.05, 0.1), np.nan]
    )
    # left shank vertical at y = 0.05; right ankle/heel/toe passing 6, 4 and 17 cm away
    frame = body(
        left_knee=[0, 0.05, 0.5],
        left_ankle=[0, 0.05, 0.1],
        right_ankle=[0, -0.01, 0.3],
        right_heel=[0.0, 0.01, 0.25],
        right_big_toe=[0.15, -0.03, 0.25],
    )
    assert calf_gap_m(frame, "left")[0] == pytest.approx(0.04, abs=1e-12)
    frame[0, INDEX["right_heel"]] = np.nan
    assert np.isnan(calf_gap_m(frame, "left")[0])


def test_normalized_curves_over_the_gait_cycle():
    points, events = running_trial()
    curves = normalized_curves(points, FPS, events, FORWARD)
    stance_pct = 100.0 * STANCE_FRAMES / STRIDE_FRAMES
    assert curves.toe_off_pct["left"] == pytest.approx(stance_pct, abs=1e-9)
    knee = curves.angles["knee_flexion_deg"]["left"]
    # 7 left strikes in the trial: 6 whole strides
    assert knee.shape == (6, 101)
    # stance part against the analytic knee curve; linear interpolation between frames of a
    # curve of 30 deg amplitude over 15 frames errs by < 30 (pi/30)^2 / 8 = 0.04 deg
    stance = CYCLE_PCT <= stance_pct
    u = CYCLE_PCT[stance] / stance_pct
    expected = knee_curve(u, 12.0, 42.0, 15.0)
    np.testing.assert_allclose(
        knee[:, stance], np.broadcast_to(expected, knee[:, stance].shape), atol=0.05
    )
    assert knee[:, 0] == pytest.approx(12.0) and knee[:, -1] == pytest.approx(12.0)
    # pelvic drop peaks at mid-stance (6 deg), hip adduction equals it there
    drop = curves.angles["pelvic_drop_deg"]["right"]
    assert drop.max() == pytest.approx(6.0, abs=0.01)
    # the knee frontal-plane projection angle is a stance measure: NaN after toe-off only
    fppa = curves.angles["knee_fppa_deg"]["left"]
    assert fppa.shape == (6, 101)
    assert np.isfinite(fppa[:, stance]).all() and np.isnan(fppa[:, ~stance]).all()
    # a NaN inside a stride drops that stride only
    points[FIRST_STRIKE["left"] + 40, INDEX["left_knee"]] = np.nan
    assert normalized_curves(points, FPS, events, FORWARD).angles["knee_flexion_deg"][
        "left"
    ].shape == (
        5,
        101,
    )


# --- every angle under the 1 px noise path (true 3D -> 4 cameras -> 1 px -> DLT) -----------
# 3D noise there is ~1.2-1.8 mm per coordinate (tests/test_gait_events.py). A segment of length
# l then points off by ~sqrt(2) sigma / l: 0.25-0.3 deg for a 0.45 m shank, ~0.6 deg for the
# 0.2 m heel-toe line; an angle between two segments adds two such errors in quadrature.
# Tolerances bound the 99th percentile of |noisy - true| over the frames (about 2.6 SD):
# 1.5 deg for knee flexion (issue #6 target) and the other two-segment angles, 1.0 deg for
# the one-segment tibia inclination, 2.0 deg where the short foot line enters, 0.7 deg for
# pelvic obliquity (the pelvic drop target; the 0.2 m hip-to-hip line is measured
# mostly by the well-determined vertical coordinate), 8 mm for the knee's distance from the
# ankle-hip line. Measured p99 (4 runners, 120 fps, seed 0): knee 1.26-1.31, hip flexion
# 1.18-1.25, hip adduction 0.94-1.04, tibia 0.74-0.82, ankle 1.28-1.41, foot pitch 1.15-1.21,
# obliquity 0.60-0.61 deg; in stance: FPPA 1.05-1.25, leg-trunk 1.01-1.07 deg, knee off the
# line 5.1-5.5 mm.
FRAME_TOLERANCE = {  # name -> (function(points, side), tolerance, stance frames only)
    "knee_flexion_deg": (lambda p, s: knee_flexion_deg(p, s), 1.5, False),
    "hip_flexion_deg": (lambda p, s: hip_flexion_deg(p, s), 1.5, False),
    "hip_adduction_deg": (lambda p, s: hip_adduction_deg(p, s), 1.5, False),
    "tibia_inclination_deg": (lambda p, s: tibia_inclination_deg(p, s, FORWARD), 1.0, False),
    "ankle_dorsiflexion_deg": (lambda p, s: ankle_dorsiflexion_deg(p, s, FORWARD), 2.0, False),
    "foot_pitch_deg": (lambda p, s: foot_pitch_deg(p, s, FORWARD), 2.0, False),
    "pelvic_obliquity_deg": (lambda p, s: pelvic_obliquity_deg(p, FORWARD), 0.7, False),
    # Frontal-plane projections degenerate when a segment is near horizontal (late swing of a
    # fast runner: errors of 100+ deg from a 1 mm change); they are reported in stance only.
    "knee_fppa_deg": (lambda p, s: knee_fppa_deg(p, s, FORWARD), 1.5, True),
    "leg_trunk_alignment_deg": (lambda p, s: leg_trunk_alignment_deg(p, s, FORWARD), 1.5, True),
    "knee_off_leg_line_m": (lambda p, s: knee_off_leg_line_m(p, s, FORWARD), 0.008, True),
}


@cache
def _noisy(runner):
    return noisy_trial(runner, True, 120.0, pixel_sigma=1.0)


def _stance_mask(truth, side, n):
    mask = np.zeros(n, bool)
    for strike in truth.foot_strikes[side]:
        after = truth.toe_offs[side][truth.toe_offs[side] > strike]
        if after.size:
            mask[int(np.ceil(strike)) : int(np.floor(after[0])) + 1] = True
    return mask


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize("name", sorted(FRAME_TOLERANCE))
def test_every_angle_under_one_pixel_noise(runner, name):
    truth, points = _noisy(runner)
    function, tolerance, stance_only = FRAME_TOLERANCE[name]
    errors = []
    for side in ("left", "right"):
        error = function(points, side) - function(truth.points, side)
        errors.append(error[_stance_mask(truth, side, len(points))] if stance_only else error)
    errors = np.abs(np.concatenate(errors))
    assert np.isfinite(errors).all()
    assert np.percentile(errors, 99) <= tolerance, f"p99 {np.percentile(errors, 99):.3f}"


# Per-stride values with the true events: each knee value within the 1.5 deg, pelvic
# drop within 0.7 deg (measured worst stride: knee 1.21, pelvic drop 0.53 deg).
STRIDE_TOLERANCE = {
    "peak_stance_knee_flexion_deg": 1.5,
    "knee_flexion_at_strike_deg": 1.5,
    "knee_flexion_at_toe_off_deg": 1.5,
    "pelvic_drop_deg": 0.7,
}


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_knee_and_pelvic_drop_per_stride_under_one_pixel_noise(runner):
    truth, points = _noisy(runner)
    events = {
        side: {"foot_strike": truth.foot_strikes[side], "toe_off": truth.toe_offs[side]}
        for side in ("left", "right")
    }
    forward = np.array(FORWARD)
    true = analyze_trial(truth.points, 120.0, forward, ThresholdsConfig(), events=events).strides
    noisy = analyze_trial(points, 120.0, forward, ThresholdsConfig(), events=events).strides
    assert len(noisy) == len(true) >= 6
    for key, tolerance in STRIDE_TOLERANCE.items():
        errors = [n.value(key) - t.value(key) for n, t in zip(noisy, true)]
        assert np.max(np.abs(errors)) <= tolerance, f"{key}: {np.max(np.abs(errors)):.3f}"
