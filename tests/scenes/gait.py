"""Gait scenes: an analytic running trial with known events and metrics, and the synthetic
runner seen through the 4-camera rig and triangulated (events and metrics against the truth)."""

import numpy as np

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.core.dlt import triangulate_dlt
from pipeline.core.geometry import project
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig

FPS = 120.0
STRIDE_FRAMES = 84  # 0.7 s stride: 171 steps/min
STANCE_FRAMES = 30
FIRST_STRIKE = {"left": 10, "right": 10 + STRIDE_FRAMES // 2}
THIGH, SHANK, HALF_PELVIS = 0.45, 0.45, 0.09


def knee_curve(u_stance, strike_deg, peak_deg, toe_off_deg):
    """Knee flexion over stance fraction u in [0, 1]; the peak is exact at u = 0.5."""
    rise = strike_deg + (peak_deg - strike_deg) * np.sin(np.pi * np.minimum(u_stance, 0.5))
    fall = toe_off_deg + (peak_deg - toe_off_deg) * np.sin(np.pi * np.maximum(u_stance, 0.5))
    return np.where(u_stance <= 0.5, rise, fall)


def running_trial(
    n_strides=6,
    foot_y=None,
    knee=(12.0, 42.0, 15.0),
    knee_over_toe=0.03,
    drop_deg=6.0,
    swing_height=0.15,
):
    """Analytic running keypoints (F, 26, 3) with known events and metrics (forward = +X).

    Each foot: flat on its stance level from strike to toe-off, then a half-sine swing arc
    (finite speed at contact, like a real foot). Thigh vertical under the hip, shank rotated
    back by the knee angle; big toe `knee_over_toe` behind the knee in stance.
    """
    foot_y = foot_y or {"left": 0.05, "right": -0.05}
    n_frames = FIRST_STRIKE["left"] + n_strides * STRIDE_FRAMES + 15  # n strides a side
    frames = np.arange(n_frames)
    points = np.zeros((n_frames, N_KEYPOINTS, 3))
    obliquity = np.zeros(n_frames)
    flexion, events = {}, {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        phase = (frames - FIRST_STRIKE[side]) % STRIDE_FRAMES
        started = frames >= FIRST_STRIKE[side]
        stance = (phase < STANCE_FRAMES) & started
        u = phase / STANCE_FRAMES
        q = np.clip((phase - STANCE_FRAMES) / (STRIDE_FRAMES - STANCE_FRAMES), 0, 1)
        swing_knee = knee[2] + (knee[0] - knee[2]) * q + 60 * np.sin(np.pi * q)
        flexion[side] = np.radians(np.where(stance, knee_curve(u, *knee), swing_knee))
        lift = np.where(stance | ~started, 0.0, swing_height * np.sin(np.pi * q))
        obliquity += np.where(stance, sign * drop_deg * np.sin(np.pi * u), 0.0)

        y = np.full(n_frames, foot_y[side])
        points[:, INDEX[f"{side}_heel"]] = np.stack([np.full(n_frames, -0.08), y, 0.05 + lift], 1)
        points[:, INDEX[f"{side}_big_toe"]] = np.stack(
            [np.full(n_frames, -knee_over_toe), y, 0.03 + lift], 1
        )
        strikes = np.arange(FIRST_STRIKE[side], n_frames, STRIDE_FRAMES, dtype=float)
        events[side] = {
            "foot_strike": strikes,
            "toe_off": strikes[strikes + STANCE_FRAMES < n_frames] + STANCE_FRAMES,
        }

    phi = np.radians(obliquity)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = np.stack(
            [
                np.zeros(n_frames),
                sign * HALF_PELVIS * np.cos(phi),
                0.95 + sign * HALF_PELVIS * np.sin(phi),
            ],
            1,
        )
        knee_position = hip - [0.0, 0.0, THIGH]
        shank = np.stack([-np.sin(flexion[side]), np.zeros(n_frames), -np.cos(flexion[side])], 1)
        points[:, INDEX[f"{side}_hip"]] = hip
        points[:, INDEX[f"{side}_knee"]] = knee_position
        points[:, INDEX[f"{side}_ankle"]] = knee_position + SHANK * shank
    # upright trunk: neck and shoulders fixed above the pelvis centre
    points[:, INDEX["neck"]] = [0.0, 0.0, 1.45]
    points[:, INDEX["left_shoulder"]] = [0.0, 0.18, 1.40]
    points[:, INDEX["right_shoulder"]] = [0.0, -0.18, 1.40]
    return points, events


RUNNERS = {  # knob sets spanning speed 3-5 m/s, cadence 155-185, knee 38-48 deg, knee-over-toe
    "typical": dict(
        speed_mps=3.5,
        cadence_spm=170,
        peak_knee_flexion_deg=42,
        knee_over_toe_m=-0.02,
        step_width_m=0.06,
    ),
    "slow": dict(
        speed_mps=3.0,
        cadence_spm=155,
        peak_knee_flexion_deg=48,
        knee_over_toe_m=0.05,
        step_width_m=0.05,
    ),
    "fast": dict(
        speed_mps=5.0,
        cadence_spm=185,
        peak_knee_flexion_deg=38,
        knee_over_toe_m=-0.04,
        step_width_m=0.07,
    ),
    "crossover": dict(
        speed_mps=4.0,
        cadence_spm=165,
        peak_knee_flexion_deg=45,
        knee_over_toe_m=0.03,
        step_width_m=-0.03,
        pelvic_drop_deg=8.0,
    ),
}
CAMERAS = make_rig(RigConfig())


def noisy_trial(runner, treadmill, fps, pixel_sigma, seed=0):
    """(truth, triangulated 3D points (F, K, 3)) of a runner seen through the rig."""
    truth, tri = noisy_triangulation(runner, treadmill, fps, pixel_sigma, seed)
    return truth, tri.points


def noisy_triangulation(runner, treadmill, fps, pixel_sigma, seed=0):
    truth = simulate_run(RunnerConfig(**RUNNERS[runner], treadmill=treadmill, seed=seed), fps)
    obs = observe(truth.points, CAMERAS, SyntheticNoiseConfig(pixel_sigma=pixel_sigma, seed=seed))
    return truth, triangulate_dlt(obs, CAMERAS, min_score=0.3, min_views=2)


def inside_image(cam, points) -> np.ndarray:
    """Which of `points` (..., 3) project inside `cam`'s image (False where not finite)."""
    xy = project(cam, points)
    width, height = cam.size
    return (
        (xy[..., 0] >= 0)
        & (xy[..., 0] <= width - 1)
        & (xy[..., 1] >= 0)
        & (xy[..., 1] <= height - 1)
    )
