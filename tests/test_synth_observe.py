"""Synthetic 2D detector: exact projection without noise, and each injected error at its
configured size and rate, deterministically."""

import numpy as np
import pytest

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.core.geometry import Camera
from pipeline.core.skeleton import INDEX, KEYPOINTS, LEFT_RIGHT_SWAP
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import OCCLUDED_SCORE_MEAN, observe, observe_with_truth
from pipeline.synth.rig import make_rig

CLEAN = SyntheticNoiseConfig(pixel_sigma=0.0)


def test_noise_free_observation_is_the_projection(rig, run_2s, run_2s_projected):
    obs = observe(run_2s, rig, CLEAN)
    assert obs.shape == (len(rig),) + run_2s.shape
    assert np.isfinite(obs).all()  # the runner is in every view
    np.testing.assert_allclose(obs[..., :2], run_2s_projected, atol=1e-9)
    assert ((obs[..., 2] > 0) & (obs[..., 2] < 1)).all()


def test_pixel_noise_and_scores_match_the_config(rig, run_2s, run_2s_projected):
    noise = SyntheticNoiseConfig(pixel_sigma=2.0, score_mean=0.8)
    obs = observe(run_2s, rig, noise)
    error = obs[..., :2] - run_2s_projected
    assert error.std() == pytest.approx(2.0, rel=0.02)
    assert abs(error.mean()) < 0.05
    assert obs[..., 2].mean() == pytest.approx(0.8, abs=0.01)


def test_dropouts_at_the_configured_rate(rig, run_2s):
    result = observe_with_truth(run_2s, rig, SyntheticNoiseConfig(dropout_rate=0.1))
    obs = result.keypoints
    assert result.dropped.mean() == pytest.approx(0.1, abs=0.01)
    missing = np.isnan(obs[..., 0])
    np.testing.assert_array_equal(missing, result.dropped)
    assert (obs[..., 2][missing] == 0).all()


def test_swaps_exchange_left_and_right_on_a_share_of_frames(rig, run_2s, run_2s_projected):
    result = observe_with_truth(run_2s, rig, SyntheticNoiseConfig(pixel_sigma=0.0, swap_rate=0.2))
    assert result.swapped.mean() == pytest.approx(0.2, abs=0.05)
    c, f = np.nonzero(result.swapped)
    np.testing.assert_allclose(
        result.keypoints[c, f][:, LEFT_RIGHT_SWAP, :2], run_2s_projected[c, f], atol=1e-9
    )
    c, f = np.nonzero(~result.swapped)
    np.testing.assert_allclose(result.keypoints[c, f][..., :2], run_2s_projected[c, f], atol=1e-9)


def test_outliers_are_displaced_by_outlier_px_with_normal_scores(rig, run_2s, run_2s_projected):
    noise = SyntheticNoiseConfig(pixel_sigma=0.0, outlier_rate=0.05, outlier_px=80.0)
    result = observe_with_truth(run_2s, rig, noise)
    shift = np.linalg.norm(result.keypoints[..., :2] - run_2s_projected, axis=-1)
    kept = np.isfinite(shift)  # an outlier pushed out of the image is missing
    assert result.outlier[kept].mean() == pytest.approx(0.05, abs=0.01)
    np.testing.assert_allclose(shift[result.outlier], 80.0, atol=1e-6)
    np.testing.assert_allclose(shift[kept & ~result.outlier], 0.0, atol=1e-9)
    assert result.keypoints[..., 2][result.outlier].mean() == pytest.approx(0.9, abs=0.02)


def test_far_side_keypoints_get_low_scores_and_larger_errors(rig, run_2s, run_2s_projected):
    noise = SyntheticNoiseConfig(pixel_sigma=1.0, far_side_occlusion=True)
    result = observe_with_truth(run_2s, rig, noise)
    occluded = result.occluded
    assert occluded.any()
    # A camera on the runner's right (negative Y) hides the left side, and vice versa.
    left = np.array([n.startswith("left_") for n in KEYPOINTS])
    right = np.array([n.startswith("right_") for n in KEYPOINTS])
    for index, cam in enumerate(rig):
        hidden_side = left if cam.center[1] < 0 else right
        assert occluded[index][:, hidden_side].mean() > 0.9
        assert not occluded[index][:, ~hidden_side].any()
    scores = result.keypoints[..., 2]
    assert scores[occluded].mean() == pytest.approx(OCCLUDED_SCORE_MEAN, abs=0.02)
    error = np.linalg.norm(result.keypoints[..., :2] - run_2s_projected, axis=-1)
    assert np.median(error[occluded]) > 3 * np.median(error[~occluded])


def test_points_behind_or_outside_a_camera_are_missing(run_2s):
    K = np.array([[1000.0, 0, 959.5], [0, 1000.0, 539.5], [0, 0, 1]])
    # Looking along +Y from y = -5 m sees the runner; the same camera turned round does not.
    facing = Camera(
        "facing", (1920, 1080), K, np.zeros(5), rvec=[-np.pi / 2, 0, 0], tvec=[0, -1.0, 5.0]
    )
    away = Camera("away", (1920, 1080), K, np.zeros(5), rvec=[np.pi / 2, 0, 0], tvec=[0, 1.0, -5.0])
    obs = observe(run_2s, [facing, away], CLEAN)
    assert np.isfinite(obs[0]).all()
    assert np.isnan(obs[1][..., :2]).all() and (obs[1][..., 2] == 0).all()
    tiny = Camera("tiny", (64, 64), K, np.zeros(5), rvec=facing.rvec, tvec=facing.tvec)
    assert np.isnan(observe(run_2s, [tiny], CLEAN)[0][:, INDEX["head"], 0]).all()


def test_deterministic_given_seed_and_offset(rig, run_2s):
    noise = SyntheticNoiseConfig(
        dropout_rate=0.05, swap_rate=0.05, outlier_rate=0.02, far_side_occlusion=True, seed=4
    )
    a = observe(run_2s, rig, noise, rng_seed_offset=1)
    b = observe(run_2s, rig, noise, rng_seed_offset=1)
    c = observe(run_2s, rig, noise, rng_seed_offset=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c, equal_nan=True)


def test_trial_videos_have_the_recording_geometry(tmp_path):
    from pipeline.io.video import probe_synchronized
    from pipeline.synth.trial_video import write_trial_videos

    cameras = make_rig(RigConfig(width=640, height=360, focal_px=500.0))
    truth = simulate_run(RunnerConfig(duration_s=0.5), fps=60.0)
    paths = write_trial_videos(truth.points, cameras, 60.0, tmp_path)
    infos = probe_synchronized(paths)
    assert [p.name for p in paths] == [f"{c.name}.mp4" for c in cameras]
    assert all((i.width, i.height, i.n_frames) == (640, 360, 30) and i.fps == 60.0 for i in infos)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in paths
    )  # no temporaries
