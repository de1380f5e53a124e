"""Triangulation and gait metrics when the synthetic detector errs like a real one (issue #13).

Trials: the default treadmill runner, seeds 0-2 x 4 s at 120 fps, the demo rig, the detector at
the real level (conf/detector/synthetic_real.yaml) or one of its errors alone (1 px Gaussian
otherwise), the default `TriangulationConfig` and the analysis as the stages run them
(scripts/real_level_metrics.py, which prints the same errors for docs/metrics.md).

Truth here is the detector's own keypoints: the true joint centres moved by the level's
keypoint definition bias. No triangulation can see that bias (every view agrees on it); what it
adds on top (vs the joint centres) is measured in docs/metrics.md, not asserted.

Targets a lab needs, per side and trial: peak stance knee flexion within 3 deg (markerless
systems report 3-5 deg against markers), pelvic drop within 2 deg (group differences in the
literature are 1-2 deg), step width within 10 mm, knee-over-toe within 20 mm, at least 90 % of
the true foot strikes and toe-offs timed, their mean error within 2 frames (17 ms; published
velocity methods: 22-25 ms) and bias within 1 frame; at least 95 % of leg keypoint-frames
measured (not gap-filled). Where the current triangulation misses one, the test is a strict
xfail that quotes the measured numbers.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from real_level_metrics import load_level, summarize, trial_errors  # noqa: E402

from pipeline.config import SyntheticNoiseConfig  # noqa: E402

SEEDS, DURATION_S = range(3), 4.0
LEVEL = load_level()
ONE_PX = SyntheticNoiseConfig(pixel_sigma=1.0)
TARGETS = {
    "peak_stance_knee_flexion_deg": (3.0, 1.0, "deg"),
    "pelvic_drop_deg": (2.0, 1.0, "deg"),
    "step_width_m": (10.0, 1000.0, "mm"),
    "knee_over_toe_m": (20.0, 1000.0, "mm"),
}
_CACHE: dict = {}


def _summary(name: str, noise: SyntheticNoiseConfig) -> dict:
    if name not in _CACHE:
        _CACHE[name] = summarize(
            [trial_errors(noise, seed, DURATION_S) for seed in SEEDS], "keypoint_metrics"
        )
    return _CACHE[name]


def _misses(s: dict, max_rmse_mm: float) -> list[str]:
    """The lab targets `s` misses, each with its measured value (worst over seeds and sides;
    NaN = no value, e.g. no stride analysed)."""
    out = []
    if not s["leg_measured"] >= 0.95:
        out.append(f"leg keypoint-frames measured {100 * s['leg_measured']:.1f} % (target >= 95 %)")
    if not s["leg_keypoint_rmse_mm"] <= max_rmse_mm:
        out.append(f"leg 3D RMSE {s['leg_keypoint_rmse_mm']:.1f} mm (target <= {max_rmse_mm:g})")
    for name, (limit, _, unit) in TARGETS.items():
        worst = s[name][1]  # summarize: already in display units
        if not worst <= limit:
            out.append(f"{name} worst |error| {worst:.2f} {unit} (target <= {limit:g})")
    for event in ("foot_strike", "toe_off"):
        mae, _, bias, share = s[event]
        if not (share >= 0.9 and mae <= 2.0 and abs(bias) <= 1.0):
            out.append(
                f"{event}: {100 * share:.0f} % timed, mean |error| {mae:.2f} frames, bias "
                f"{bias:+.2f} (targets >= 90 %, <= 2, within 1)"
            )
    return out


# Each error alone, at its real-level size: the 3D bound is what that error leaves after a
# perfect rejection (calibration error: the rig's mm and tenths of a degree, measured 6.7 mm;
# per-camera offsets: 15 px rms at the 630 px reference height, the demo runner is ~656 px:
# each view's ray moves ~3 cm at 3.2 m, measured 27.5 mm with the adaptive gates; noise:
# Student-t scale 7.5 px at the reference, measured 11.4 mm).
ALONE = {
    "swap bursts": (("swap_burst_rate", "swap_burst_frames"), 2.0, None),
    "hidden-limb dropouts": (("hidden_dropout_rate", "hidden_dropout_frames"), 2.0, None),
    "keypoint definition bias": (("keypoint_bias_m",), 2.0, None),
    "calibration error": (("calibration_error_mm", "calibration_error_deg"), 8.0, None),
    "per-camera offsets": (("camera_offset_px", "reference_height_px"), 30.0, None),
    "heavy-tailed noise": (
        ("pixel_sigma", "noise_dof", "reference_height_px", "min_pixel_sigma"),
        15.0,
        "Student-t noise (scale 7.5 px at the 630 px reference, dof 5), adaptive "
        "gates (seeds 0-2, 4 s): knee flexion, pelvic drop, knee-over-toe, step width and "
        "the 3D within target, foot strikes 100 % and toe-offs 97 % timed, but foot strikes "
        "1.37 frames mean |error| with bias -1.37 (target within 1; 1.42 / -1.42 before noisy "
        "strikes' fit samples were chosen on the low-passed heights)",
    ),
}


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=why) if why else ())
        for name, (_, _, why) in ALONE.items()
    ],
)
def test_each_real_detector_error_alone_meets_the_lab_targets(error):
    keys, max_rmse_mm, _ = ALONE[error]
    noise = dataclasses.replace(ONE_PX, **{k: getattr(LEVEL, k) for k in keys})
    misses = _misses(_summary(error, noise), max_rmse_mm)
    assert not misses, f"{error} alone: " + "; ".join(misses)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "default (adaptive) triangulation at the real level (seeds 0-2, 4 s): leg 3D RMSE 34.9 mm "
        "and 99.9 % of leg keypoint-frames measured, knee flexion, step width and knee over toe "
        "within target (35.1 mm and 94.8 % while a fixed 5 cm despike removed ordinary noise "
        "samples; knee over toe worst 11.0 mm, 21.9 before the knee's peak time was the "
        "quadratic's vertex on smooth curves too and weighed with each stride's own peak); "
        "misses: pelvic drop worst 2.10 deg (target 2; 1.80 with that despike), foot strikes "
        "100 % timed at 1.54 frames mean |error|, bias -1.29 "
        "frames (target within 1; 2.00 / -1.89 before noisy strikes' fit samples were chosen "
        "on the low-passed heights; toe-offs 97 %, 0.58, -0.28, 0.41 / -0.19 with the "
        "peel-off read's level over 2 fit half-windows, 0.67 / +0.06 before their mean-event "
        "peel-off read, 0.82 / +0.16 before the read at 8 sub-frame phases); with the fixed "
        "12 px gate 45 % of "
        "leg keypoint-frames were measured and no event was timed"
    ),
)
def test_real_level_meets_the_lab_targets():
    # offsets (27 mm) and noise (11 mm) alone, in quadrature 29 mm: 35 mm leaves room for the rest
    misses = _misses(_summary("real level", LEVEL), 35.0)
    assert not misses, "real level: " + "; ".join(misses)
