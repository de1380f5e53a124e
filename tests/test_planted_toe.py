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
