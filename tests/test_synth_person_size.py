"""The synthetic detector's pixel errors follow the person's size in the image (a top-down
model works on a crop of the person): `reference_height_px` and `min_pixel_sigma` in
SyntheticNoiseConfig, `person_height_px` / `size_factor` in pipeline/synth/detector_errors.py.
Against ground truth: the errors are observed minus the exact projection."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import ConfigError, RigConfig, SyntheticNoiseConfig, compose
from pipeline.core.geometry import project
from pipeline.core.skeleton import INDEX
from pipeline.synth import detector_errors as real
from pipeline.synth.observe import observe, observe_with_truth
from pipeline.synth.rig import make_rig

NO_DISTORTION = RigConfig(distortion=[0.0, 0.0, 0.0, 0.0, 0.0])
DEMO_PERSON_PX = 630.0
# Student-t noise and per-camera offsets on, everything that moves labels or drops points off.
SCALED = SyntheticNoiseConfig(
    pixel_sigma=7.5, noise_dof=5.0, camera_offset_px=15.0, reference_height_px=DEMO_PERSON_PX
)
POSE2SIM = Path(__file__).resolve().parents[1] / "../shared/data/pose2sim-demo"


def _errors(points, cameras, noise, seed_offset=0):
    """(C, F, K, 2) observed minus exactly projected, and (C, F) the person's height in px."""
    truth = np.stack([project(cam, points) for cam in cameras])
    seen = observe(points, cameras, noise, rng_seed_offset=seed_offset)
    return seen[..., :2] - truth, real.person_height_px(truth)


def test_person_height_is_neck_to_lowest_foot_point_and_ignores_gaps():
    xy = np.full((2, 26, 2), np.nan)
    xy[0, INDEX["neck"]] = (500, 100)
    xy[0, INDEX["left_big_toe"]] = (520, 700)
    xy[0, INDEX["head"]] = (500, 20)  # the face does not count (marker truth has none)
    xy[0, INDEX["left_wrist"]] = (600, 0)  # nor do raised arms
    xy[1, INDEX["hip"]] = (0, 300)  # one keypoint: no height
    np.testing.assert_array_equal(real.person_height_px(xy), [600.0, np.nan])
    np.testing.assert_array_equal(real.size_factor(xy, 300.0), [2.0, 1.0])  # unknown: unscaled
    np.testing.assert_array_equal(real.size_factor(xy, 0.0), [1.0, 1.0])  # scaling off


def test_half_the_focal_length_halves_every_pixel_error_exactly(run_2s):
    """Same draws (same seed), the person half as tall in every image: noise and per-camera
    offsets are exactly half as large."""
    full = make_rig(dataclasses.replace(NO_DISTORTION, focal_px=1500.0))
    half = make_rig(dataclasses.replace(NO_DISTORTION, focal_px=750.0))
    e_full, h_full = _errors(run_2s, full, SCALED)
    e_half, h_half = _errors(run_2s, half, SCALED)
    np.testing.assert_allclose(h_half, 0.5 * h_full, rtol=1e-9)
    both = np.isfinite(e_full) & np.isfinite(e_half)
    assert both.mean() > 0.9
    np.testing.assert_allclose(e_half[both], 0.5 * e_full[both], rtol=1e-6, atol=1e-9)


def test_a_runner_twice_as_far_away_has_errors_as_much_smaller_as_he_looks(run_2s):
    """Independent draws (another trial's stream), the runner at 6.4 m instead of 3.2 m: the
    median |error| shrinks by the ratio of his median heights in the images (~0.5). Tolerance
    3 %: ~50,000 pixel errors per case, the median's sampling sd is ~0.5 %."""
    near = make_rig(RigConfig())
    far = make_rig(dataclasses.replace(RigConfig(), distance_m=6.4))
    e_near, h_near = _errors(run_2s, near, SCALED)
    e_far, h_far = _errors(run_2s, far, SCALED, seed_offset=7)
    size_ratio = np.nanmedian(h_far) / np.nanmedian(h_near)
    assert 0.45 < size_ratio < 0.55
    error_ratio = np.nanmedian(np.abs(e_far)) / np.nanmedian(np.abs(e_near))
    assert error_ratio == pytest.approx(size_ratio, rel=0.03)
    # without the reference the errors stay in fixed pixels
    fixed = dataclasses.replace(SCALED, reference_height_px=0.0)
    ratio_fixed = np.nanmedian(np.abs(_errors(run_2s, far, fixed, 7)[0])) / np.nanmedian(
        np.abs(_errors(run_2s, near, fixed)[0])
    )
    assert ratio_fixed == pytest.approx(1.0, rel=0.03)


def test_the_noise_never_drops_below_the_floor_on_a_small_person(run_2s):
    """A runner ~33 px tall (focal / 20): 7.5 px x 33/630 would be 0.4 px; the floor holds
    the Gaussian noise at 1 px (sd of ~50,000 draws: 3 % tolerance, sampling sd ~0.3 %)."""
    tiny = make_rig(dataclasses.replace(NO_DISTORTION, focal_px=75.0))
    noise = SyntheticNoiseConfig(
        pixel_sigma=7.5, reference_height_px=DEMO_PERSON_PX, min_pixel_sigma=1.0
    )
    error, height = _errors(run_2s, tiny, noise)
    assert np.nanmax(height) * 7.5 / DEMO_PERSON_PX < 0.5
    assert np.nanstd(error) == pytest.approx(1.0, rel=0.03)
    # on the demo rig (runner ~656 px) the floor does not bind: the scale is 7.5 x 656/630
    error, height = _errors(run_2s, make_rig(NO_DISTORTION), noise)
    expected = 7.5 * np.nanmedian(height) / DEMO_PERSON_PX
    assert np.nanstd(error) == pytest.approx(expected, rel=0.03)


def test_gross_errors_scale_with_the_person_too(run_2s):
    noise = SyntheticNoiseConfig(
        pixel_sigma=0.0, outlier_rate=0.2, outlier_px=80.0, reference_height_px=DEMO_PERSON_PX
    )
    cameras = make_rig(NO_DISTORTION)
    seen = observe_with_truth(run_2s, cameras, noise)
    truth = np.stack([project(cam, run_2s) for cam in cameras])
    length = np.linalg.norm(seen.keypoints[..., :2] - truth, axis=-1)
    factor = real.size_factor(truth, DEMO_PERSON_PX)[..., None] * np.ones_like(length)
    np.testing.assert_allclose(length[seen.outlier], 80.0 * factor[seen.outlier], rtol=1e-6)


def test_the_real_level_preset_scales_and_the_demo_runner_is_near_its_reference(
    repo_root, rig, run_2s
):
    level = compose(repo_root / "conf", ["detector=synthetic_real"]).detector.synthetic
    assert level.reference_height_px == DEMO_PERSON_PX and level.min_pixel_sigma == 1.0
    assert SyntheticNoiseConfig().reference_height_px == 0  # the 1 px yardstick: fixed
    # the demo rig's runner is 641-669 px tall per camera (median 656): his errors at the
    # real level are within 6 % of what they were before the scaling existed
    factor = real.size_factor(
        np.stack([project(cam, run_2s) for cam in rig]), level.reference_height_px
    )
    assert 1.0 < np.median(factor) < 1.06


@pytest.mark.parametrize(
    "key, value",
    [
        ("reference_height_px", 10.0),
        ("reference_height_px", -1.0),
        ("min_pixel_sigma", 8.0),
        ("min_pixel_sigma", -0.5),
    ],
)
def test_out_of_range_size_settings_are_refused_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        SyntheticNoiseConfig(pixel_sigma=7.5, **{key: value})


@pytest.mark.skipif(not POSE2SIM.exists(), reason="../shared/data/pose2sim-demo absent")
def test_the_reference_is_the_height_of_the_person_the_errors_were_measured_on(repo_root):
    """The level's pixel sizes were measured on the shared Pose2Sim recording (OpenPose
    BODY_25B as shipped): the person there is the reference height, neck to feet."""
    from pipeline.config import DetectorBackend, DetectorConfig
    from pipeline.io.interop import read_pose2sim_calibration
    from pipeline.pose2d.run import detect_recording

    cams = ["cam01", "cam02", "cam03", "cam04"]
    calib = read_pose2sim_calibration(POSE2SIM / "calibration" / "Calib_qualisys.toml", cams)
    trial = POSE2SIM / "balancing"
    n_frames = len(list((trial / "openpose" / "cam01_json").glob("*.json")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs = detect_recording(
            [trial / "videos" / f"{c}.mp4" for c in cams],
            calib.cameras,
            DetectorConfig(backend=DetectorBackend("openpose_json")),
            n_frames,
            trial,
        )
    xy = np.where(obs[..., 2:3] > 0.3, obs[..., :2], np.nan)  # the triangulation's min_score
    height = real.person_height_px(xy)
    level = compose(repo_root / "conf", ["detector=synthetic_real"]).detector.synthetic
    # measured: 631 px (per camera 599-673); BlazePose on the same videos 632 px
    assert np.nanmedian(height) == pytest.approx(level.reference_height_px, rel=0.02)
