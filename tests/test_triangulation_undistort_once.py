"""Triangulation undistorts each 2D point once (issue #30, item 4): the robust solve, the
refinement and the evidence check used to undistort every observation each. The shared
undistorted coordinates give the same numbers as each step's own undistortion."""

from __future__ import annotations

import numpy as np

from pipeline.config import SyntheticNoiseConfig, TriangulationConfig, TriangulationRefine
from pipeline.synth.observe import observe_with_truth
from pipeline.triangulation import linear, robust
from pipeline.triangulation import run as tri_run
from pipeline.triangulation.refine import refine_trajectories
from pipeline.triangulation.robust import triangulate_robust

HARD = dict(pixel_sigma=1.0, outlier_rate=0.05, outlier_px=80.0, swap_rate=0.02, dropout_rate=0.05)


def _obs(rig, run_2s):
    return observe_with_truth(run_2s, rig, SyntheticNoiseConfig(**HARD)).keypoints


def test_shared_undistortion_gives_the_same_solve_and_refinement(rig, run_2s):
    obs = _obs(rig, run_2s)
    und = tri_run._undistort(obs, linear.Rig(rig))
    own = triangulate_robust(obs, rig, 0.3, 2, 12.0, jit=False)
    shared = triangulate_robust(obs, rig, 0.3, 2, 12.0, jit=False, undistorted=und)
    assert own.swaps_repaired.any()  # relabelling is exercised
    for a, b in (
        (own.points, shared.points),
        (own.reprojection_error, shared.reprojection_error),
        (own.views_used, shared.views_used),
        (own.swaps_repaired, shared.swaps_repaired),
    ):
        np.testing.assert_array_equal(a, b)
    kw = dict(min_score=0.3, swaps_repaired=own.swaps_repaired)
    np.testing.assert_array_equal(
        refine_trajectories(own.points, obs, rig, own.views_used, 120.0, **kw),
        refine_trajectories(own.points, obs, rig, own.views_used, 120.0, undistorted=und, **kw),
    )


def test_triangulate_recording_undistorts_each_point_once(rig, run_2s, monkeypatch):
    obs = _obs(rig, run_2s)
    views = []
    real = linear.undistort

    def counting(pixels, rig_):
        views.append(pixels.shape[0] * pixels.shape[1])
        return real(pixels, rig_)

    monkeypatch.setattr(linear, "undistort", counting)
    monkeypatch.setattr(
        robust._jit, "should_use", lambda n: False
    )  # numpy path: it undistorted too
    cfg = TriangulationConfig(refine=TriangulationRefine.limb_length)
    tri_run.triangulate_recording(obs, rig, 120.0, cfg)
    n = obs.shape[0] * obs.shape[1] * obs.shape[2]
    # once for all (solve, refinement, evidence), plus identity.py's trunk keypoints only
    assert views.count(n) == 1
    assert sum(views) < 1.5 * n
