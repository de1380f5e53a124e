"""The measurement that sized the real-detector level (scripts/measure_detector_errors.py):
it finds errors injected into synthetic observations, and on the shared Pose2Sim recording it
still gives the numbers docs/synthetic.md quotes (skipped when the shared data is absent)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.core.geometry import project
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe_with_truth
from pipeline.synth.rig import make_rig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import measure_detector_errors as measure  # noqa: E402


@pytest.fixture(scope="module")
def trial():
    return make_rig(RigConfig()), simulate_run(RunnerConfig(duration_s=2.0), 120.0).points


def test_swap_bursts_are_found_where_they_were_injected(trial):
    """Every swapped view-frame at 1 px, bar frames where two views are swapped at once (the
    measurement looks for one per frame)."""
    rig, points = trial
    seen = observe_with_truth(points, rig, SyntheticNoiseConfig(swap_burst_rate=0.1))
    found = measure.swapped_views(seen.keypoints, rig)
    at_most_one = (seen.swapped.sum(axis=0) <= 1)[None]
    single = seen.swapped & at_most_one
    assert single.sum() >= 40
    np.testing.assert_array_equal(found[single], True)
    # with two views swapped, exchanging a third gives the mirror of one swapped view: not tested
    assert not (found & ~seen.swapped & at_most_one).any()


def test_per_camera_offsets_are_taken_out_of_the_residuals(trial):
    """An all-view solve absorbs part of per-camera shifts; the measured offsets must explain
    the rest, leaving the 1 px noise (MAD sigma of the corrected residuals) instead of ~10 px."""
    rig, points = trial
    clean = observe_with_truth(points, rig, SyntheticNoiseConfig(seed=4))
    shifted = observe_with_truth(points, rig, SyntheticNoiseConfig(camera_offset_px=15.0, seed=4))
    assert np.linalg.norm(shifted.offset_px, axis=1).max() > 25.0
    _, total, res, tri = measure.offsets_and_residuals(shifted.keypoints, rig)
    raw = np.stack([project(c, tri.points) for c in rig]) - shifted.keypoints[..., :2]
    raw_mad = 1.4826 * np.nanmedian(np.abs(raw))
    mad = measure.tail_fit(res)["mad_sigma_px"]
    clean_mad = measure.tail_fit(measure.offsets_and_residuals(clean.keypoints, rig)[2])[
        "mad_sigma_px"
    ]
    # measured: raw 6.2 px; corrected 1.45 px (3 passes; 1.13 after 10, the gauge drifts
    # slowly); without offsets 0.78 px
    assert raw_mad > 5.0 and mad < clean_mad + 1.0


def test_hidden_dropouts_are_measured_as_far_side_runs(trial):
    rig, points = trial
    noise = dataclasses.replace(
        SyntheticNoiseConfig(), hidden_dropout_rate=0.1, hidden_dropout_frames=8.0
    )
    seen = observe_with_truth(points, rig, noise)
    first, total, res, tri = measure.offsets_and_residuals(seen.keypoints, rig)
    d = measure.dropouts(seen.keypoints, rig, tri.points, measure.LOWER_BODY)
    assert d["missing_near"] < 0.01 < d["missing_far"]
    assert d["runs"].mean() > 3.0  # runs, not frame-by-frame (i.i.d.: ~1.05)


DEMO = SHARED_DATA / "pose2sim-demo"


@pytest.mark.skipif(not DEMO.exists(), reason="shared data not present")
def test_openpose_on_the_shared_recording_gives_the_documented_numbers():
    obs, cameras = measure.real_recording("openpose_json")
    sw = measure.swapped_views(obs, cameras)
    first, total, res, _ = measure.offsets_and_residuals(obs, cameras)
    np.testing.assert_allclose(
        first, [[-15.4, -1.7], [4.8, 3.8], [-13.7, -10.6], [-1.6, 5.9]], atol=0.06
    )
    tails = measure.tail_fit(res)
    assert tails["t_dof"] == pytest.approx(6.67, abs=0.01)
    assert tails["t_scale_px"] == pytest.approx(6.54, abs=0.01)
    assert tails["mad_sigma_px"] == pytest.approx(6.81, abs=0.01)
    assert not sw.any()
