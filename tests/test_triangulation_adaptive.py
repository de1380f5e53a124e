"""Outlier gates that follow the data, swap repair at real residual levels, and post-processing
held to the 2D (issue #13), against ground truth. Tolerances are the issue's targets or physical
bounds stated next to them."""

import dataclasses

import numpy as np
import pytest

from pipeline.config import (
    RejectionMode,
    RunnerConfig,
    SyntheticNoiseConfig,
    TriangulationConfig,
    TriangulationRefine,
)
from pipeline.core.skeleton import INDEX, LEFT_RIGHT_SWAP
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe_with_truth
from pipeline.triangulation import linear
from pipeline.triangulation.evidence import TOLERANCE, hold_to_evidence
from pipeline.triangulation.refine import MAX_STEP_M, refine_trajectories
from pipeline.triangulation.robust import triangulate_robust
from pipeline.triangulation.run import despike_threshold, lowpass_cutoff, triangulate_recording
from pipeline.triangulation.scale import MIN_SAMPLES, ScaleRule, estimate_scale

FPS = 120.0
DEFAULT = TriangulationConfig()


def rmse(points, truth):
    return float(np.sqrt(np.nanmean(np.linalg.norm(points - truth, axis=-1) ** 2)))


def offset_views(obs, shifts_px):
    """A real rig's signature: each camera's keypoints off by a constant 2D shift (calibration
    and detector disagree systematically, 9-18 px on the shared lab recording)."""
    out = obs.copy()
    for c, shift in enumerate(shifts_px):
        out[c, ..., :2] += np.asarray(shift, float)
    return out


def test_default_config_keeps_the_synthetic_accuracy(rig, run_3s, run_3s_outliers):
    """No regression at 1 px + 5 % gross outliers + 2 % swaps: 3D RMSE at most 2 mm (measured
    1.39 mm, as with the fixed 12 px gate), every injected swap repaired, none invented."""
    result = triangulate_recording(run_3s_outliers.keypoints, rig, FPS, DEFAULT)
    assert rmse(result.points, run_3s) <= 0.002
    assert (result.swaps_repaired == run_3s_outliers.swapped).all()
    gates = result.scale.threshold_px
    assert (gates >= DEFAULT.rejection_min_px).all() and (gates < 8.0).all(), gates
    assert (result.n_views > 0).mean() >= 0.98
    assert not result.other_person.any() and not result.other_person_views.any()


def test_a_consistent_camera_offset_is_tolerated_and_gross_errors_are_not(
    rig, run_3s, run_3s_outliers
):
    """Two cameras off by the shared lab recording's per-camera offsets ((-14, -1) and
    (-13, -11) px): the fixed 12 px gate drops most good views of one of them (measured: keeps
    2 %); the adaptive gates keep at least 97 % of every camera's good views (measured
    99.2-99.4 %) and still leave at most 3 % of the 80 px outliers in use (measured 2.0 %; the
    fixed gate 1.4 %)."""
    obs = offset_views(run_3s_outliers.keypoints, [(0, 0), (-14, -1), (0, 0), (-13, -11)])
    fixed = triangulate_recording(
        obs, rig, FPS, dataclasses.replace(DEFAULT, rejection=RejectionMode.fixed)
    )
    adaptive = triangulate_recording(obs, rig, FPS, DEFAULT)
    good = ~run_3s_outliers.outlier & np.isfinite(obs[..., 0]) & (obs[..., 2] >= DEFAULT.min_score)
    good &= ~run_3s_outliers.swapped[..., None]
    used = lambda r: np.moveaxis(r.views_used, -1, 0)
    kept = lambda r: np.array([used(r)[c][good[c]].mean() for c in range(len(rig))])
    assert (kept(adaptive) >= 0.97).all(), kept(adaptive)
    assert kept(fixed)[3] < 0.5, kept(fixed)
    assert used(adaptive)[run_3s_outliers.outlier].mean() <= 0.03
    assert (adaptive.n_views > 0).mean() >= 0.97
    assert (adaptive.swaps_repaired == run_3s_outliers.swapped).all()
    # the offset cameras' gates are wider than the others'
    gates = adaptive.scale.threshold_px
    assert min(gates[1].min(), gates[3].min()) > max(gates[0].max(), gates[2].max())


def test_swap_bursts_repaired_at_real_residual_levels(rig, run_3s):
    """Bursts of 5-20 frames of swapped labels in one view, views 8-15 px off each other: every
    swapped view-frame repaired, none elsewhere (the old 'halve the cost' rule repaired 0 of
    the real recording's burst at the fixed gate)."""
    noise = SyntheticNoiseConfig(pixel_sigma=3.0)
    obs = offset_views(
        observe_with_truth(run_3s, rig, noise).keypoints, [(0, 0), (-14, -1), (4, 8), (-13, -11)]
    )
    swapped = np.zeros(obs.shape[:2], bool)
    for cam, start, length in ((1, 40, 19), (1, 100, 7), (2, 200, 12), (3, 300, 5)):
        swapped[cam, start : start + length] = True
    c, f = np.nonzero(swapped)
    obs[c, f] = obs[c, f][:, LEFT_RIGHT_SWAP]
    result = triangulate_recording(obs, rig, FPS, DEFAULT)
    repaired = result.swaps_repaired
    assert (repaired & swapped).sum() >= 0.95 * swapped.sum(), np.flatnonzero(swapped & ~repaired)
    assert not (repaired & ~swapped).any(), np.argwhere(repaired & ~swapped)


def test_every_output_point_agrees_with_its_views(rig, run_3s, run_3s_outliers):
    """After despike, gap filling, refinement and the low-pass, each measured point reprojects
    within TOLERANCE x its gate in every view it reports as used; the stored reprojection error
    is that of the final point."""
    result = triangulate_recording(run_3s_outliers.keypoints, rig, FPS, DEFAULT)
    r = linear.Rig(rig)
    obs = run_3s_outliers.keypoints.copy()
    c, f = np.nonzero(result.swaps_repaired)
    obs[c, f] = obs[c, f][:, LEFT_RIGHT_SWAP]
    x, y = linear.undistort(obs[..., :2].reshape(len(rig), -1, 2), r)
    err = linear.view_errors(result.points.reshape(-1, 3).T, x, y, r).reshape(obs.shape[:3])
    used = np.moveaxis(result.views_used, -1, 0)
    gate = result.scale.per_keypoint()[:, None, :]
    assert np.all(err[used] <= TOLERANCE * np.broadcast_to(gate, err.shape)[used] + 1e-9)
    n = used.sum(axis=0)
    mean = np.where(used, err, 0).sum(axis=0) / np.maximum(n, 1)
    np.testing.assert_allclose(result.reprojection_error[n > 0], mean[n > 0], rtol=1e-9)
    assert np.isnan(result.reprojection_error[n == 0]).all()


def test_a_point_moved_off_its_views_is_put_back(rig, run_3s):
    """hold_to_evidence: a post-processed point 1.5 m off (the real recording's refinement drift)
    returns to its triangulated position and is counted; despiked points become gaps."""
    obs = observe_with_truth(run_3s[:30], rig, SyntheticNoiseConfig(pixel_sigma=1.0)).keypoints
    tri = triangulate_robust(obs, rig, 0.3, 2, 12.0)
    final = tri.points.copy()
    final[0:6, INDEX["left_heel"], 2] -= 1.5
    final[10, INDEX["nose"]] += 0.001  # a filter's millimetre: kept
    kept = np.ones(tri.points.shape[:2], bool)
    kept[20, INDEX["right_knee"]] = False
    r = linear.Rig(rig)
    x, y = linear.undistort(obs[..., :2].reshape(len(rig), -1, 2), r)
    held = hold_to_evidence(
        final,
        tri.points,
        kept,
        tri.views_used,
        x.reshape(obs.shape[:3]),
        y.reshape(obs.shape[:3]),
        r,
        np.full((len(rig), obs.shape[2]), 12.0),
    )
    expected = np.zeros(kept.shape, bool)
    expected[0:6, INDEX["left_heel"]] = True
    np.testing.assert_array_equal(held.check.reverted, expected)
    np.testing.assert_allclose(
        held.points[0:6, INDEX["left_heel"]], tri.points[0:6, INDEX["left_heel"]]
    )
    np.testing.assert_allclose(held.points[10, INDEX["nose"]], final[10, INDEX["nose"]])
    assert (
        held.check.despiked[20, INDEX["right_knee"]] and held.n_views[20, INDEX["right_knee"]] == 0
    )


def test_refinement_steps_are_bounded(rig, run_3s):
    """The limb-length fit cannot relocate a point: no frame moves more than sweeps x
    MAX_STEP_M, even from a start 2 m off with views that pull elsewhere."""
    obs = observe_with_truth(run_3s[:60], rig, SyntheticNoiseConfig(pixel_sigma=1.0)).keypoints
    tri = triangulate_robust(obs, rig, 0.3, 2, 12.0)
    start = tri.points.copy()
    start[:, INDEX["left_heel"], 2] -= 2.0
    sweeps = 4
    out = refine_trajectories(
        start,
        obs,
        rig,
        tri.views_used,
        FPS,
        sweeps=sweeps,
        residual_scale_px=np.full((len(rig), obs.shape[2]), 6.0),
    )
    moved = np.linalg.norm(out - start, axis=-1)
    assert moved.max() <= sweeps * MAX_STEP_M + 1e-9


def test_compiled_and_numpy_paths_agree_with_adaptive_gates(rig, run_3s_outliers):
    obs = offset_views(run_3s_outliers.keypoints[:, :200], [(0, 0), (-14, -5), (0, 0), (8, -6)])
    a = triangulate_robust(obs, rig, 0.3, 2, 12.0, scale_rule=ScaleRule(), jit=False)
    b = triangulate_robust(obs, rig, 0.3, 2, 12.0, scale_rule=ScaleRule(), jit=True)
    np.testing.assert_array_equal(a.views_used, b.views_used)
    np.testing.assert_array_equal(a.swaps_repaired, b.swaps_repaired)
    np.testing.assert_allclose(a.points, b.points, atol=1e-9, equal_nan=True)


# ---------------------------------------------------------------- scale estimate, bad input


def test_scale_follows_the_residuals_per_camera():
    rng = np.random.default_rng(0)
    errors = np.abs(rng.normal(size=(3, 400, 26, 2))).sum(axis=-1)  # ~1-2 px
    errors[1] += 14.0  # a systematic offset
    errors[2, rng.random((400, 26)) < 0.05] = 200.0  # 5 % gross errors
    scale = estimate_scale(errors, np.ones(errors.shape, bool), ScaleRule())
    assert (scale.source == "group").all() and not scale.warnings
    assert 14 < scale.threshold_px[1].min() and scale.threshold_px[1].max() < 22
    assert scale.threshold_px[2].max() < 10  # gross errors do not widen the gate


def test_short_trial_and_silent_camera_fall_back_with_warnings():
    rng = np.random.default_rng(1)
    errors = np.abs(rng.normal(size=(4, 2, 26))) * 2
    used = np.ones(errors.shape, bool)
    used[3] = False
    scale = estimate_scale(errors, used, ScaleRule(fallback_px=12.0), ["a", "b", "c", "d"])
    # 2 frames x 26 keypoints = 52 pooled errors per camera: enough per camera, not per group
    assert (scale.source[:3] == "camera").all() and (scale.source[3] == "fixed").all()
    assert (scale.threshold_px[3] == 12.0).all()
    assert [w[:2] for w in scale.warnings] == ["d:"] and str(MIN_SAMPLES) in scale.warnings[0]


def test_camera_far_off_the_others_is_named():
    rng = np.random.default_rng(2)
    errors = np.abs(rng.normal(size=(3, 200, 26))) * 2
    errors[0] += 45.0  # a camera moved after calibration
    scale = estimate_scale(errors, np.ones(errors.shape, bool), ScaleRule(), ["cam_a", "b", "c"])
    assert (scale.threshold_px[0] > 45.0).all() and (scale.threshold_px[0] <= 60.0).all()
    assert len(scale.warnings) == 1 and scale.warnings[0].startswith("cam_a:")
    assert "did not move" in scale.warnings[0]


def test_two_camera_rig_and_nan_scores_triangulate_with_named_warning(rig, run_3s, run_3s_outliers):
    from pipeline.triangulation.qa import triangulation_qa

    obs = run_3s_outliers.keypoints[:2].copy()
    obs[0, :10, :, 2] = np.nan  # NaN scores: no view
    result = triangulate_recording(obs, rig[:2], FPS, DEFAULT)
    assert (result.n_views[:10] == 0).all()
    qa = triangulation_qa(result, obs, ["cam_0", "cam_1"], FPS, DEFAULT)
    assert any("only 2 camera(s)" in w for w in qa.warnings)


def test_lowpass_follows_the_frame_rate():
    assert lowpass_cutoff(DEFAULT, 120.0) == 15.0
    assert lowpass_cutoff(DEFAULT, 60.0) == 15.0
    assert lowpass_cutoff(DEFAULT, 30.0) == 12.0
    assert despike_threshold(DEFAULT, 120.0) == 0.05
    assert despike_threshold(DEFAULT, 30.0) > 0.2  # a foot's touchdown at 30 fps: 11 cm
    assert lowpass_cutoff(dataclasses.replace(DEFAULT, lowpass_hz=0.0), 30.0) == 0.0


@pytest.mark.parametrize("fps", [30.0, 240.0])
def test_any_frame_rate_runs_with_the_defaults(rig, fps):
    """30-240 fps with the default config: post-processing (despike, fill, refinement, low-pass,
    each following the frame rate) never makes the 3D worse than the bare solve (measured 2 s:
    2.44 vs 2.53 mm at 30 fps, 1.10 vs 2.51 mm at 240; with a 7.5 Hz low-pass and the 120 fps
    despike threshold 30 fps gave 6.9 mm)."""
    truth = simulate_run(RunnerConfig(duration_s=1.0), fps=fps).points
    obs = observe_with_truth(truth, rig, SyntheticNoiseConfig(pixel_sigma=1.0)).keypoints
    result = triangulate_recording(obs, rig, fps, DEFAULT)
    bare = triangulate_recording(
        obs,
        rig,
        fps,
        dataclasses.replace(
            DEFAULT,
            despike_m=0.0,
            fill_max_gap_frames=0,
            refine=TriangulationRefine.none,
            lowpass_hz=0.0,
        ),
    )
    assert rmse(result.points, truth) <= rmse(bare.points, truth)
    assert not result.evidence.reverted.any()
    assert (result.n_views > 0).mean() > 0.99
