"""The canonical skeleton's view helpers: which views show the person's back (their face keypoints
are then a detector's guess)."""

from __future__ import annotations

import numpy as np

from pipeline.config import RigConfig, SyntheticNoiseConfig
from pipeline.core.skeleton import (
    FACE,
    LEFT_RIGHT_SWAP,
    indices,
    seen_from_behind,
    without_face_from_behind,
)
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig


def _views(run, arc_deg):
    rig = make_rig(RigConfig(cameras=[f"cam_{i}" for i in range(len(arc_deg))], arc_deg=arc_deg))
    return observe(run, rig, SyntheticNoiseConfig(pixel_sigma=1.0))


def test_back_views_are_told_from_front_and_side_views(run_2s):
    """The runner faces +X: cameras at 0 and +-35 deg see the front, 145-215 deg the back, 90 and
    270 deg the side (narrow torso: undecided, never called a back view)."""
    arcs = [0.0, 35.0, 325.0, 145.0, 180.0, 215.0, 90.0, 270.0]
    back = seen_from_behind(_views(run_2s, arcs))
    np.testing.assert_array_equal(back.mean(axis=1), [0, 0, 0, 1, 1, 1, 0, 0])


def test_a_camera_on_its_side_reads_the_same(run_2s):
    views = _views(run_2s, [0.0, 180.0])
    turned = views.copy()
    turned[..., 0], turned[..., 1] = views[..., 1], -views[..., 0]  # image rotated 90 deg
    np.testing.assert_array_equal(seen_from_behind(turned), seen_from_behind(views))


def test_swapped_labels_read_as_the_other_side_and_missing_hips_as_undecided(run_2s):
    views = _views(run_2s, [0.0, 180.0])
    swapped = views[:, :, LEFT_RIGHT_SWAP]
    assert seen_from_behind(swapped)[0].all() and not seen_from_behind(swapped)[1].any()
    no_hips = views.copy()
    no_hips[..., indices(["left_hip", "right_hip"]), 2] = 0.0
    assert not seen_from_behind(no_hips, min_score=0.3).any()


def test_face_scores_are_zeroed_only_in_back_views(run_2s):
    views = _views(run_2s, [0.0, 180.0])
    out = without_face_from_behind(views)
    face = indices(FACE)
    assert (out[1][:, face, 2] == 0).all()
    np.testing.assert_array_equal(out[0], views[0])
    others = np.setdiff1d(np.arange(views.shape[2]), face)
    np.testing.assert_array_equal(out[1][:, others], views[1][:, others])
    assert views[1][:, face, 2].min() > 0  # the input is not modified
