"""The synthetic detector's real-detector errors (issue #13): each produces what it claims,
at its configured size, and all are off unless asked for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from pipeline.config import ConfigError, RigConfig, SyntheticNoiseConfig, compose
from pipeline.core.dlt import triangulate_dlt
from pipeline.core.geometry import rotation_angle_deg
from pipeline.core.skeleton import INDEX, LEFT_RIGHT_SWAP
from pipeline.synth import detector_errors as real
from pipeline.synth.observe import far_side_mask, observe, observe_with_truth
from pipeline.synth.rig import make_rig

CLEAN = SyntheticNoiseConfig(pixel_sigma=0.0)


def _runs(mask):
    m = np.concatenate([[False], mask, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(m))
    return edges[1::2] - edges[::2]


def test_real_level_preset_turns_every_error_on_and_the_default_leaves_them_off(repo_root):
    default = SyntheticNoiseConfig()
    assert (
        default.noise_dof,
        default.camera_offset_px,
        default.keypoint_bias_m,
        default.swap_burst_rate,
        default.hidden_dropout_rate,
        default.calibration_error_mm,
        default.calibration_error_deg,
    ) == (0, 0, 0, 0, 0, 0, 0)
    level = compose(repo_root / "conf", ["detector=synthetic_real"]).detector.synthetic
    assert level.noise_dof > 0 and level.camera_offset_px > 0 and level.keypoint_bias_m > 0
    assert level.swap_burst_rate > 0 and level.hidden_dropout_rate > 0
    assert level.calibration_error_mm > 0 and level.calibration_error_deg > 0


@pytest.mark.parametrize(
    "key, value",
    [
        ("swap_burst_frames", [20, 5]),
        ("hidden_dropout_rate", 1.5),
        ("noise_dof", 0.5),
        ("camera_offset_px", -1.0),
    ],
)
def test_out_of_range_error_sizes_are_refused_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        SyntheticNoiseConfig(**{key: value})


def test_swap_bursts_are_runs_of_5_to_20_frames_at_the_configured_share():
    rng = np.random.default_rng(0)
    mask = real.burst_mask(rng, 400_000, 0.05, [5, 20])
    lengths = _runs(mask)
    assert lengths.min() >= 5 and lengths.max() <= 20
    assert set(range(5, 21)) <= set(lengths.tolist())  # the whole range is used
    assert mask.mean() == pytest.approx(0.05, abs=0.003)  # ~1600 bursts: sd 0.0013


def test_swap_bursts_in_observations_exchange_every_label_pair(rig, run_2s, run_2s_projected):
    noise = dataclasses.replace(CLEAN, swap_burst_rate=0.15)
    seen = observe_with_truth(run_2s, rig, noise)
    for c in range(len(rig)):
        lengths = _runs(seen.swapped[c])
        assert lengths.size and lengths.min() >= 5 and lengths.max() <= 20
    c, f = np.nonzero(seen.swapped)
    np.testing.assert_allclose(
        seen.keypoints[c, f][:, LEFT_RIGHT_SWAP, :2], run_2s_projected[c, f], atol=1e-9
    )
    c, f = np.nonzero(~seen.swapped)
    np.testing.assert_allclose(seen.keypoints[c, f][..., :2], run_2s_projected[c, f], atol=1e-9)
    # the cameras' bursts are independent: not all on the same frames
    assert not (seen.swapped == seen.swapped[0]).all()


def test_per_camera_offsets_are_constant_shifts_of_the_configured_rms(
    rig, run_2s, run_2s_projected
):
    seen = observe_with_truth(run_2s, rig, dataclasses.replace(CLEAN, camera_offset_px=15.0))
    shift = seen.keypoints[..., :2] - run_2s_projected
    np.testing.assert_allclose(
        shift, np.broadcast_to(seen.offset_px[:, None, None, :], shift.shape), atol=1e-9
    )
    lengths = np.concatenate(
        [np.linalg.norm(real.camera_offsets(rig, 15.0, seed), axis=1) for seed in range(200)]
    )
    # rms of a 2D Gaussian capped at 2x: 0.991 x configured (800 draws: +-2 %)
    assert np.sqrt(np.mean(lengths**2)) == pytest.approx(15.0 * 0.991, rel=0.04)
    assert lengths.max() <= 2 * 15.0 + 1e-9


def test_offsets_scale_with_the_image_size(rig):
    half = make_rig(dataclasses.replace(RigConfig(), width=960, height=540))
    np.testing.assert_allclose(
        real.camera_offsets(half, 15.0, 3), 0.5 * real.camera_offsets(rig, 15.0, 3), atol=1e-12
    )


def test_heavy_tailed_noise_is_student_t_of_the_configured_dof_and_scale(
    rig, run_2s, run_2s_projected
):
    noise = SyntheticNoiseConfig(pixel_sigma=5.0, noise_dof=4.0)
    error = (observe(run_2s, rig, noise)[..., :2] - run_2s_projected).ravel()
    error = error[np.isfinite(error)]
    dof, _, scale = stats.t.fit(error, floc=0)
    assert dof == pytest.approx(4.0, rel=0.12) and scale == pytest.approx(5.0, rel=0.03)
    beyond = np.mean(np.abs(error) > 4 * 5.0)  # t(4): 1.6 %, Gaussian: 0.006 %
    assert beyond == pytest.approx(2 * stats.t.sf(4.0, 4.0), rel=0.2)


def test_calibration_error_moves_and_turns_each_camera_by_exactly_the_configured_amount(
    rig, run_2s
):
    noise = dataclasses.replace(CLEAN, calibration_error_mm=3.0, calibration_error_deg=0.2)
    seen = observe_with_truth(run_2s, rig, noise)
    for given, actual in zip(rig, seen.cameras):
        assert 1000 * np.linalg.norm(actual.center - given.center) == pytest.approx(3.0, abs=1e-9)
        assert rotation_angle_deg(actual.rotation, given.rotation) == pytest.approx(0.2, abs=1e-6)
        np.testing.assert_array_equal(actual.matrix, given.matrix)
        np.testing.assert_array_equal(actual.dist, given.dist)
    # observed through the moved cameras, triangulated with the given ones: a few mm off
    tri = triangulate_dlt(seen.keypoints, rig, 0.3, 2)
    error_mm = 1000 * np.linalg.norm(tri.points - run_2s, axis=-1)
    assert 0.5 < np.median(error_mm) < 10.0


def test_keypoint_bias_is_one_3d_point_seen_by_every_view(rig, run_2s):
    noise = dataclasses.replace(CLEAN, keypoint_bias_m=0.03)
    seen = observe_with_truth(run_2s, rig, noise)
    tri = triangulate_dlt(seen.keypoints, rig, 0.3, 2)
    np.testing.assert_allclose(tri.points, run_2s + seen.bias_m, atol=1e-6)  # no geometry sees it
    lengths = np.linalg.norm(seen.bias_m, axis=-1)  # (F, K)
    for name, share in (
        ("left_knee", 1.0),
        ("right_hip", 1.0),
        ("left_ankle", 0.25),
        ("right_heel", 0.25),
        ("left_elbow", 0.5),
    ):
        np.testing.assert_allclose(lengths[:, INDEX[name]], 0.03 * share, rtol=1e-9)
    # fixed on the segment: the knee's offset along the thigh does not change as the leg swings
    thigh = run_2s[:, INDEX["left_knee"]] - run_2s[:, INDEX["left_hip"]]
    along = np.einsum(
        "fi,fi->f",
        seen.bias_m[:, INDEX["left_knee"]],
        thigh / np.linalg.norm(thigh, axis=1, keepdims=True),
    )
    np.testing.assert_allclose(along, along[0], atol=1e-12)
    # a model's definition: the same in every trial of the study, mirrored left/right
    other = observe_with_truth(run_2s, rig, noise, rng_seed_offset=5)
    np.testing.assert_array_equal(other.bias_m, seen.bias_m)
    table = real.bias_table(0.03, noise.seed)
    np.testing.assert_allclose(table[INDEX["right_knee"]], table[INDEX["left_knee"]])


def test_hidden_dropouts_come_in_runs_on_the_far_side_only(rig, run_2s):
    noise = dataclasses.replace(CLEAN, hidden_dropout_rate=0.2, hidden_dropout_frames=8.0)
    seen = observe_with_truth(run_2s, rig, noise)
    far = np.stack([far_side_mask(run_2s, cam) for cam in rig])
    assert seen.dropped.any()
    assert not (seen.dropped & ~far).any()
    np.testing.assert_array_equal(np.isnan(seen.keypoints[..., 0]), seen.dropped)
    # a hidden limb vanishes as a whole: knee and ankle of one side drop together
    knee, ankle = seen.dropped[..., INDEX["left_knee"]], seen.dropped[..., INDEX["left_ankle"]]
    np.testing.assert_array_equal(
        knee & far[..., INDEX["left_ankle"]], ankle & far[..., INDEX["left_knee"]]
    )
    # the chain itself, on a long always-hidden series: share and mean run as configured
    lost = real.hidden_dropouts(np.random.default_rng(1), np.ones((40_000, 26), bool), 0.2, 8.0)
    limbs = [INDEX[f"{s}_{p}"] for s in ("left", "right") for g in real.HIDDEN_GROUPS for p in g]
    assert not lost[:, [INDEX[n] for n in ("nose", "head", "neck", "hip")]].any()
    assert lost[:, limbs].mean() == pytest.approx(0.2, abs=0.02)
    assert _runs(lost[:, INDEX["left_knee"]]).mean() == pytest.approx(8.0, rel=0.1)


def test_each_error_has_its_own_stream(rig, run_2s):
    """Turning one error on leaves the draws of the others unchanged (and the default stream
    untouched): a sweep changes one thing at a time."""
    base = SyntheticNoiseConfig(pixel_sigma=1.0, outlier_rate=0.05)
    plain = observe_with_truth(run_2s, rig, base)
    bursts = observe_with_truth(run_2s, rig, dataclasses.replace(base, swap_burst_rate=0.1))
    unswapped = ~bursts.swapped
    np.testing.assert_array_equal(bursts.keypoints[unswapped], plain.keypoints[unswapped])
    np.testing.assert_array_equal(bursts.outlier[unswapped], plain.outlier[unswapped])
