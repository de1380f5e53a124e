"""Knee over toe with the toe read from its planted line (gait/planted_toe.py)."""

import numpy as np
import pytest

from pipeline.core.skeleton import INDEX
from pipeline.gait.planted_toe import PlantedToeReader
from pipeline.gait.stance_fit import local_value_read

FPS, BELT_MPS = 100.0, 3.0
STRIKE, TOE_OFF, PEAK = 10.0, 38.0, 22.6  # frames; the peak at 0.45 of the stance
HALF = 0.25 * (TOE_OFF - STRIKE)


# at the peak time the knee is 20 mm ahead of where the toe was at the strike, and the belt has
# carried the toe back since
TRUE_KNEE_OVER_TOE = 0.02 + BELT_MPS / FPS * (PEAK - STRIKE)


def stance(noise_sd: float = 0.0, rng=None) -> np.ndarray:
    """(F, 26, 3) points with a knee bending forward over a toe planted on a belt: the toe
    moves back at belt speed over the middle of the contact and still lands before it."""
    frames = np.arange(50, dtype=float)
    points = np.zeros((50, 26, 3))
    toe = 0.3 - BELT_MPS / FPS * (frames - STRIKE)
    early = frames < STRIKE + 0.2 * (TOE_OFF - STRIKE)  # the foot still landing: not planted
    toe[early] += 0.004 * (STRIKE + 0.2 * (TOE_OFF - STRIKE) - frames[early]) ** 2
    knee = 0.3 + 0.02 + 0.012 * (frames - PEAK) - 0.0004 * (frames - PEAK) ** 2
    points[:, INDEX["left_big_toe"], 0] = toe
    points[:, INDEX["left_knee"], 0] = knee
    if noise_sd:
        points[..., 0] += rng.normal(0.0, noise_sd, points.shape[:2])
    return points


def test_a_noise_free_stance_reads_the_knee_over_the_toe():
    points = stance()
    sd = np.full(points.shape, 0.003)
    value, value_sd, slope = PlantedToeReader(points, sd, [1, 0, 0], "left").ahead_of_toe(
        "knee", STRIKE, TOE_OFF, PEAK, HALF
    )
    assert value == pytest.approx(TRUE_KNEE_OVER_TOE, abs=1e-9)
    assert slope == pytest.approx(0.012 + BELT_MPS / FPS, abs=1e-9)  # per frame, at the peak
    assert 0.001 < value_sd < 0.003
    # the landing before the planted phases (125 mm off the line at the strike) is not fitted


def test_the_planted_line_reads_with_less_noise_than_a_quadratic_of_the_distance():
    # 4 mm of white noise on each point: spread 1.82 mm (propagated SD 1.94, bias +0.04)
    # against 2.12 for a quadratic of the distance over the frames the knee's fit uses
    rng = np.random.default_rng(5)
    sd = np.full((50, 26, 3), 0.004)
    planted, quadratic, sds = [], [], []
    frames = np.arange(50, dtype=float)
    for _ in range(400):
        points = stance(0.004, rng)
        value, value_sd, _ = PlantedToeReader(points, sd, [1, 0, 0], "left").ahead_of_toe(
            "knee", STRIKE, TOE_OFF, PEAK, HALF
        )
        planted.append(value)
        sds.append(value_sd)
        distance = points[:, INDEX["left_knee"], 0] - points[:, INDEX["left_big_toe"], 0]
        quadratic.append(
            local_value_read(frames, distance, np.full(50, 0.004 * np.sqrt(2)), PEAK, HALF, 2)[0]
        )
    assert abs(np.mean(planted) - TRUE_KNEE_OVER_TOE) < 3 * np.std(planted) / np.sqrt(400)
    assert np.std(planted) == pytest.approx(np.median(sds), rel=0.2)
    assert np.std(planted) < 0.9 * np.std(quadratic)


def strides(n: int, noise_sd: float, rng) -> np.ndarray:
    """(50 n, 26, 3): `stance` repeated n times (every 50 frames), noisy."""
    return np.concatenate([stance(noise_sd, rng) for _ in range(n)])


def test_a_knee_pulled_off_for_a_few_frames_before_the_low_pass_widens_only_its_read():
    # a swap in two views of four pulls the knee ~130 mm forward for 3-4 frames with the
    # usual point SDs (run300 seed 19, docs/metrics.md): its raw samples scatter about the
    # quadratic far more than the side's other stances' do
    rng = np.random.default_rng(3)
    raw = strides(4, 0.004, rng)
    smooth = strides(4, 0.0, rng)
    sd = np.full(raw.shape, 0.006)  # over-covering, as point_sd_from_3d's
    knee = INDEX["left_knee"]
    bad = 2 * 50
    raw[bad + 23 : bad + 27, knee, 0] += 0.13
    stances = [(STRIKE + 50 * k, TOE_OFF + 50 * k) for k in range(4)]
    reader = PlantedToeReader(smooth, sd, [1, 0, 0], "left", raw_points=raw, stances=stances)
    alone = PlantedToeReader(smooth, sd, [1, 0, 0], "left")
    for k, (strike, toe_off) in enumerate(stances):
        _, value_sd, _ = reader.ahead_of_toe("knee", strike, toe_off, PEAK + 50 * k, HALF)
        _, plain_sd, _ = alone.ahead_of_toe("knee", strike, toe_off, PEAK + 50 * k, HALF)
        if 50 * k == bad:
            assert value_sd > 3 * plain_sd
        else:
            assert value_sd == plain_sd


def test_noise_alone_never_widens_a_read():
    rng = np.random.default_rng(11)
    sd = np.full((250, 26, 3), 0.006)
    stances = [(STRIKE + 50 * k, TOE_OFF + 50 * k) for k in range(5)]
    widened = 0
    for _ in range(40):
        raw = strides(5, 0.004, rng)
        reader = PlantedToeReader(raw, sd, [1, 0, 0], "left", raw_points=raw, stances=stances)
        widened += sum(
            reader.scatter_factor("knee", PEAK + 50 * k, HALF, HALF / (TOE_OFF - STRIKE)) > 1.0
            for k in range(5)
        )
    assert widened == 0, widened


def test_fewer_than_three_stances_set_no_level():
    rng = np.random.default_rng(4)
    raw = strides(2, 0.004, rng)
    raw[23:27, INDEX["left_knee"], 0] += 0.13
    sd = np.full(raw.shape, 0.006)
    stances = [(STRIKE + 50 * k, TOE_OFF + 50 * k) for k in range(2)]
    reader = PlantedToeReader(raw, sd, [1, 0, 0], "left", raw_points=raw, stances=stances)
    assert reader.scatter_factor("knee", PEAK, HALF, HALF / (TOE_OFF - STRIKE)) == 1.0
