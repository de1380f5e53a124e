"""The per-point 3D SDs the analyze stage derives (`stance_fit.point_sd_from_3d`) against the
points' actual error (scripts/point_sd_check.py; docs/metrics.md, "The point SDs' scale").

The metrics read values from fits over several samples with the samples taken as
independent, so the error a point SD stands for is the fit-averaged one (sqrt(w) x the RMS of
w-frame means of the error, the trial's constant offset out), not the low-passed points'
per-frame scatter, which is about half of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from point_sd_check import (  # noqa: E402
    DIFFERENCES,
    GROUPS,
    compare,
    hamner_trials,
    runway_trials,
    synthetic_trials,
)

WINDOW = 17  # frames: a stance's fit window and more; the ratios settle from about 9
_CACHE: dict = {}


def _rows(level: str) -> dict:
    if level not in _CACHE:
        if level == "hamner":
            from running_mocap import HAMNER

            if not HAMNER.is_dir():
                pytest.skip("../shared/data/running-mocap absent")
            _CACHE[level] = compare(hamner_trials(range(3)))
        elif level == "runway":
            import test_overground_runway as runway

            if not runway.SPRINTER.is_dir():
                pytest.skip("../shared/data/running-mocap absent")
            _CACHE[level] = compare(runway_trials([0, 1, 2]))
        else:
            _CACHE[level] = compare(synthetic_trials("1px", range(3)))
    return _CACHE[level]


def _ratios(level: str, names) -> dict:
    rows = _rows(level)
    return {name: np.atleast_1d(rows[name]["predicted"] / rows[name][WINDOW]) for name in names}


@pytest.mark.parametrize("level", ["1px", "hamner"])
def test_point_sd_is_not_narrower_than_the_fit_averaged_error(level):
    # measured predicted / fit-averaged error (X/Y/Z; seeds 0-2): 1 px 1.22-1.35, hamner at the
    # real-detector level 1.32-1.80 (seeds 3-9: 1.17-1.51); the differences 1.28-1.36 and
    # 1.42-1.77 (1.44-1.73)
    ratios = _ratios(level, [*GROUPS, *DIFFERENCES])
    low = {name: r.round(2).tolist() for name, r in ratios.items() if (r < 1.0).any()}
    assert not low, low


def test_runway_point_sd_covers_the_differences_the_metrics_read():
    # single points along the runway's depth (Y) are off by a shift that drifts with the
    # runner's place in the volume (fit-averaged 136-144 mm against 50-52 mm predicted), the
    # same for every keypoint at one instant, so it cancels in a metric read at one place,
    # not in step width, whose feet are read a step apart (tests/test_overground_metrics.py:
    # its worst stride); the differences between keypoints (measured seeds 0-2): heel left-right across 1.23, hip left-right vertical
    # 1.51, heel-toe vertical 2.43
    ratios = _ratios("runway", DIFFERENCES)
    low = {name: r.round(2).tolist() for name, r in ratios.items() if (r < 1.0).any()}
    assert not low, low


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured predicted / fit-averaged error, seeds 0-2: 1 px 1.22-1.35 (X/Y/Z of heel, "
        "toe, knee, hip), hamner at the real-detector level 1.32-1.80: the median "
        "reprojection error counts the cameras' constant offsets (15 px rms at this level) "
        "as noise; narrowing to the fit-averaged error (x 0.67 at this level) leaves too "
        "narrow the metrics whose errors also carry a trial's shared offset and terms no "
        "point SD stands for (docs/metrics.md, 'The point SDs' scale')"
    ),
)
@pytest.mark.parametrize("level", ["1px", "hamner"])
def test_point_sd_matches_the_fit_averaged_error_within_a_quarter(level):
    ratios = _ratios(level, GROUPS)
    high = {name: r.round(2).tolist() for name, r in ratios.items() if (r > 1.25).any()}
    assert not high, high
