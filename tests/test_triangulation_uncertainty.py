"""Predicted 3D SD of a triangulated point (pipeline/triangulation/uncertainty.py) against the
scatter of the real DLT triangulation under known pixel noise (Monte Carlo)."""

import numpy as np

from pipeline.config import RigConfig
from pipeline.core.dlt import triangulate_dlt
from pipeline.core.geometry import project
from pipeline.synth.rig import make_rig
from pipeline.triangulation.uncertainty import predicted_sd

CAMERAS = make_rig(RigConfig())
TRIALS = 4000


def _monte_carlo_sd(point, views, sigma_px=1.0, seed=0):
    rng = np.random.default_rng(seed)
    obs = np.full((len(CAMERAS), TRIALS, 1, 3), np.nan)
    for c, cam in enumerate(CAMERAS):
        if views[c]:
            xy = project(cam, np.repeat(point[None], TRIALS, axis=0))
            obs[c, :, 0, :2] = xy + rng.normal(0, sigma_px, xy.shape)
            obs[c, :, 0, 2] = 1.0
    points = triangulate_dlt(obs, CAMERAS, min_score=0.5, min_views=2).points[:, 0]
    return points.std(axis=0) / sigma_px


def test_predicted_sd_matches_triangulation_scatter():
    # a foot at the centre of the rig in 4 views, and one 3 m down an overground runway, seen
    # only by the two cameras facing it along the runway (the case the event screen is for;
    # predicted 8.7 / 2.8 / 3.1 mm per px along X / Y / Z): per-axis SD within 10 % (the
    # Monte-Carlo SD of an SD from 4000 samples is ~1.1 %; DLT is not exactly least squares)
    cases = [
        (np.array([0.0, 0.0, 0.05]), [True, True, True, True]),
        (np.array([3.0, 0.1, 0.05]), [False, True, True, False]),
    ]
    for point, views in cases:
        predicted = predicted_sd(point[None, None], CAMERAS, np.array(views)[None, None])[0, 0]
        measured = _monte_carlo_sd(point, np.array(views))
        np.testing.assert_allclose(predicted, measured, rtol=0.10)
    centre = predicted_sd(cases[0][0][None], CAMERAS, np.array(cases[0][1])[None])[0]
    edge = predicted_sd(cases[1][0][None], CAMERAS, np.array(cases[1][1])[None])[0]
    assert centre[2] < 0.0015 < 0.002 < edge[2]  # the two regimes the analysis default separates


def test_missing_point_or_single_view_gives_nan():
    points = np.array([[np.nan, 0, 0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.5]])
    views = np.array([[True] * 4, [True, False, False, False], [True, True, False, False]])
    sd = predicted_sd(points, CAMERAS, views)
    assert np.isnan(sd[0]).all() and np.isnan(sd[1]).all() and np.isfinite(sd[2]).all()
