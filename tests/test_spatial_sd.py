"""SDs of overstride, vertical oscillation, step length, vertical ratio and the overground
stride length (gait/spatial_sd.py; issue #26 deliverable 2, issue #29).

Coverage: the share of strides whose |error| is within 1.96 of their SD (a stride without an
SD counts as a miss), against
- the synthetic runner (scripts/assessment_accuracy.trial_pair: 8 s treadmill at 120 fps
  through the demo rig, the truth the same analysis on the detector's own keypoints with the
  generator's events) at 1 px and at the real-detector level, seeds 0-2;
- the hamner treadmill trials at the real-detector level against the clean analysis with the
  force-plate events (tests/test_gait_real_running.py), seeds 0-2 and 3-9;
- the sprinter's overground runs through the runway rig (tests/test_overground_runway.py)
  against the clean levelled keypoints' analysis, seeds 0-2 and 3-9.
A target not met is a strict xfail quoting the measured numbers (docs/metrics.md has them all,
with RMS(error) / RMS(SD), which shows an SD that is too wide).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from assessment_accuracy import trial_pair  # noqa: E402
from real_level_metrics import load_level  # noqa: E402

from pipeline.config import RunnerConfig, SyntheticNoiseConfig, ThresholdsConfig  # noqa: E402
from pipeline.gait.metrics import analyze_trial  # noqa: E402
from pipeline.gait.spatial_sd import ratio_sd  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402

OWN = ("overstride_m", "vertical_oscillation_m", "step_length_m", "vertical_ratio")
Z = 1.96
_CACHE: dict = {}


def _z(pairs, name: str) -> np.ndarray:
    """|error| / SD of each measured stride matched (same side, strike within 0.1 s) to a
    reference stride; inf where the measured stride has no SD."""
    z = []
    for measured, reference, fps in pairs:
        for stride in measured:
            refs = [
                r
                for r in reference
                if r.side == stride.side and abs(r.strike_frame - stride.strike_frame) <= 0.1 * fps
            ]
            got, sd = stride.value(name), stride.uncertainty.get(name)
            if refs and got is not None and refs[0].value(name) is not None:
                z.append(np.inf if sd is None else abs(got - refs[0].value(name)) / sd)
    return np.asarray(z, float)


def _covered(pairs, name: str) -> tuple[int, int]:
    z = _z(pairs, name)
    return int(np.sum(z <= Z)), len(z)


def _synthetic(level: str) -> list[tuple]:
    if level not in _CACHE:
        noise = SyntheticNoiseConfig(pixel_sigma=1.0) if level == "1 px" else load_level()
        _CACHE[level] = [
            (m.strides, t.strides, m.fps)
            for m, t in (trial_pair(noise, seed, with_point_sd=True) for seed in range(3))
        ]
    return _CACHE[level]


def test_ratio_sd_is_the_delta_method():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.08, 0.002, 200_000), rng.normal(1.2, 0.03, 200_000)
    assert ratio_sd(0.08, 0.002, 1.2, 0.03) == pytest.approx(np.std(a / b), rel=0.02)
    assert ratio_sd(0.08, None, 1.2, 0.03) is None and ratio_sd(0.08, 0.002, 0.0, 0.03) is None


@pytest.mark.parametrize("treadmill", [True, False])
def test_sds_are_known_positive_and_reach_the_summary_or_are_none(treadmill):
    """Noise-free runner, 1 mm point SDs: every value of the five has a positive SD (detected
    events: their timing too; given events: the points alone) and the side summary its
    sd_of_mean; without point SDs all are None, never 0."""
    runner = RunnerConfig(duration_s=6.0, treadmill=treadmill)
    truth = simulate_run(runner, 120.0)
    forward = [1.0, 0.0, 0.0] if treadmill else None
    belt = runner.speed_mps if treadmill else None
    point_sd = np.full(truth.points.shape, 0.001)
    names = OWN + (() if treadmill else ("stride_length_m",))
    for events in (None, truth.events()):
        with_sd = analyze_trial(
            truth.points,
            120.0,
            forward,
            ThresholdsConfig(),
            events=events,
            belt_speed_mps=belt,
            point_sd=point_sd,
            toe_tip_ahead_m=0.0,
        )
        without = analyze_trial(
            truth.points, 120.0, forward, ThresholdsConfig(), events=events, belt_speed_mps=belt
        )
        for name in names:
            sds = [s.uncertainty.get(name) for s in with_sd.strides if s.value(name) is not None]
            assert len(sds) >= 6 and all(sd is not None and sd > 0 for sd in sds), (name, sds)
            for side in ("left", "right"):
                assert with_sd.summary.sides[side].metrics[name].sd_of_mean > 0
                assert without.summary.sides[side].metrics[name].sd_of_mean is None
            assert all(s.uncertainty.get(name) is None for s in without.strides)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            m,
            marks=pytest.mark.xfail(
                strict=True,
                reason="1 px, seeds 0-2: overstride within 1.96 SD on 59 of 64 strides (92.2 %, "
                "RMS error / SD 1.02; 36 of 64, 2.38, with the strikes' predicted timing SD "
                "alone); seeds 3-9 139 of 149 (93.3 %, 0.98). The heel ahead of the pelvis "
                "moves ~25 mm a frame at the strike, and the synthetic strikes of a side share "
                "an offset no stride time shows (test_running_assessment.py's foot-strike "
                "angle: the same strikes, 53 of 64)",
            ),
        )
        if m == "overstride_m"
        else m
        for m in OWN
    ],
)
def test_synthetic_runner_at_1_px(name):
    # measured (seeds 0-2; 3-9 in brackets): within 1.96 SD vertical oscillation 61/61
    # (142/142), step length 61/61 (142/142), vertical ratio 58/58 (135/135); RMS error / SD
    # 0.38, 0.61, 0.38 (0.45, 0.44, 0.45)
    covered, n = _covered(_synthetic("1 px"), name)
    assert n >= 50 and covered >= 0.95 * n, (name, covered, n)


@pytest.mark.parametrize("name", OWN)
def test_synthetic_runner_at_the_real_detector_level(name):
    # measured (seeds 0-2; 3-9 in brackets): overstride 64/64 (147/148), vertical oscillation
    # 61/61 (140/141), step length 61/61 (141/141), vertical ratio 58/58 (133/134); RMS error
    # / SD 0.54, 0.42, 0.29, 0.41 (0.37, 0.44, 0.30, 0.43): too wide (docs/metrics.md)
    covered, n = _covered(_synthetic("real"), name)
    assert n >= 50 and covered >= 0.95 * n, (name, covered, n)


def _hamner(level: str) -> list[tuple]:
    from test_gait_real_running import HAMNER, trial_rows

    if not HAMNER.is_dir():
        pytest.skip("../shared/data/running-mocap absent")
    return [(r["strides"], r["true_strides"], r["fps"]) for r in trial_rows(level)]


@pytest.mark.parametrize("level", ["real", "real_check"])
@pytest.mark.parametrize("name", OWN)
def test_hamner_treadmill_at_the_real_detector_level(name, level):
    # measured, seeds 0-2 / 3-9: overstride 55/57 / 132/133, vertical oscillation 35/36 /
    # 83/84 (the misses: no SD, a keypoint gap-filled at the strike), step length 45/45 /
    # 105/105, vertical ratio 23/24 / 56/56; RMS error / SD 0.39, 0.26, 0.41, 0.28 / 0.41,
    # 0.37, 0.37, 0.37 (too wide: docs/metrics.md)
    covered, n = _covered(_hamner(level), name)
    assert n >= 20 and covered >= 0.95 * n, (name, covered, n)


def _runway(seeds) -> list[tuple]:
    import test_overground_runway as runway

    if not runway.SPRINTER.is_dir():
        pytest.skip("../shared/data/running-mocap absent")
    return [(r["strides"], r["true_strides"], r["fps"]) for r in runway.runway_rows(seeds)]


OVERGROUND = OWN + ("stride_length_m",)


@pytest.mark.parametrize("name", OVERGROUND)
def test_overground_runway_at_the_real_detector_level(name):
    # measured (seeds 0-2): overstride 71/72, vertical oscillation 57/57, step length 60/60,
    # vertical ratio 45/45, stride length 57/57; RMS error / SD 0.52, 0.39, 0.43, 0.42, 0.39
    covered, n = _covered(_runway([0, 1, 2]), name)
    assert n >= 30 and covered >= 0.95 * n, (name, covered, n)


_UNKNOWN_ON_CHECK_SEEDS = {
    "overstride_m": "154 of 163 (94.5 %; 154 of the 156 with an SD)",
    "step_length_m": "128 of 135 (94.8 %; 128 of 128)",
    "vertical_ratio": "95 of 101 (94.1 %; 95 of 95)",
    "stride_length_m": "122 of 129 (94.6 %; 122 of 122)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            m,
            marks=pytest.mark.xfail(
                strict=True,
                reason=f"overground runway, seeds 3-9: within 1.96 SD "
                f"{_UNKNOWN_ON_CHECK_SEEDS[m]}: the misses are strides without an SD, a foot "
                "keypoint gap-filled (not measured) at a strike, whose value is read from the "
                "filled 3D; an SD there is unknown, not 0",
            ),
        )
        if m in _UNKNOWN_ON_CHECK_SEEDS
        else m
        for m in OVERGROUND
    ],
)
def test_overground_runway_on_the_check_seeds(name):
    # measured: vertical oscillation 128/129; RMS error / SD overstride 0.70, vertical
    # oscillation 0.27, step length 0.45, vertical ratio 0.26, stride length 0.50 (no stance
    # screened for a swap overground; 0.69, 0.27, 0.46, 0.27, 0.50 over the 8-11 fewer
    # strides it left before)
    covered, n = _covered(_runway(list(range(3, 10))), name)
    assert n >= 80 and covered >= 0.95 * n, (name, covered, n)
