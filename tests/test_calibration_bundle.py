"""The bundle adjustment of camera and board poses (bundle.py) and the frame selection
(selection.py), on exact projections of the true rig: no video rendering, so fast."""

import cv2
import numpy as np

from pipeline.calibration.board import board_corners_3d, make_board
from pipeline.calibration.board_in_videos import VideoDetections
from pipeline.calibration.bundle import adjust, initial_board_poses, rodrigues
from pipeline.calibration.selection import choose_shared, choose_views, farthest_point
from pipeline.config import BoardConfig, CalibrationConfig, FrameSelection, RigConfig, SynthConfig
from pipeline.core.geometry import project, rotation_angle_deg, transform_rig
from pipeline.synth.board_video import calibration_board_poses
from pipeline.synth.rig import make_rig

RIG, BOARD = RigConfig(), BoardConfig()
CALIB, SYNTH = CalibrationConfig(floor_frames=0), SynthConfig(calibration_frames=40)


def _observations(truth, noise_px=0.0, seed=0):
    """imgp (C, F*n, 2) of the true board poses, NaN where a corner is off-image or the
    board faces away; rtvecs (C, F, 6) board->camera from PnP."""
    board = make_board(BOARD)
    objp = board_corners_3d(board)
    poses = calibration_board_poses(truth, BOARD, CALIB, SYNTH)
    rng = np.random.default_rng(seed)
    n = len(objp)
    imgp = np.full((len(truth), len(poses) * n, 2), np.nan)
    rtvecs = np.full((len(truth), len(poses), 6), np.nan)
    for c, cam in enumerate(truth):
        for f, pose in enumerate(poses):
            world = pose.world_points(objp)
            normal = pose.rotation[:, 2]  # into the board; print faces -normal
            facing = (cam.center - world.mean(0)) @ -normal > 0
            px = project(cam, world) + rng.normal(0, noise_px, (n, 2))
            inside = np.all((px >= 0) & (px < [RIG.width, RIG.height]), axis=1)
            if not facing or inside.sum() < 8:
                continue
            imgp[c, f * n + np.flatnonzero(inside)] = px[inside]
            ok, rvec, tvec = cv2.solvePnP(objp[inside], px[inside], cam.matrix, cam.dist)
            rtvecs[c, f] = np.concatenate([rvec.ravel(), tvec.ravel()])
    return imgp, rtvecs, objp


def test_rodrigues_matches_opencv():
    rvecs = np.random.default_rng(1).normal(0, 1.5, (20, 3))
    rvecs[0] = 0
    for r, R in zip(rvecs, rodrigues(rvecs)):
        np.testing.assert_allclose(R, cv2.Rodrigues(r)[0], atol=1e-12)


def test_bundle_adjustment_recovers_the_rig_from_perturbed_poses():
    truth = make_rig(RIG)
    # The rig frame of the adjustment is camera 0's: express the truth there.
    rig = transform_rig(truth, truth[0].rotation, truth[0].tvec)
    imgp, rtvecs, objp = _observations(truth)  # exact pixels; they are frame independent
    rng = np.random.default_rng(2)
    rvecs = np.array([c.rvec for c in rig]) + np.r_[[0, 0, 0], rng.normal(0, 0.01, 9)].reshape(4, 3)
    tvecs = np.array([c.tvec for c in rig]) + np.r_[[0, 0, 0], rng.normal(0, 0.03, 9)].reshape(4, 3)
    counts = np.isfinite(imgp[:, :, 0]).reshape(4, rtvecs.shape[1], -1).sum(axis=2)
    boards = initial_board_poses(rvecs, tvecs, rtvecs, counts)
    r, t, _, info = adjust(
        [c.matrix for c in rig], [c.dist for c in rig], rvecs, tvecs, boards, imgp, objp
    )
    # From poses off by 1-3 cm and ~0.5 deg (11 px rms) back to the truth, in a few steps.
    assert info["start_rms_px"] > 5 and info["rms_px"] < 1e-3 and info["evaluations"] < 30
    for cam, rv, tv in zip(rig, r, t):
        fitted = cam.with_pose(cv2.Rodrigues(rv)[0], tv)
        assert np.linalg.norm(fitted.center - cam.center) < 1e-5, cam.name
        assert rotation_angle_deg(fitted.rotation, cam.rotation) < 1e-4


def test_bundle_adjustment_with_lens_terms_recovers_perturbed_lenses():
    """Lens models off as a weak single-camera fit leaves them (principal point 4 px, focal
    lengths 1.5 px, k1 0.003) and exact pixels: with the 9 lens terms free the adjustment
    returns the true lenses and rig; with them fixed, the poses absorb the error. Measured
    (bundle.LENS_TOLERANCE 1e-5): free, centres within 0.11 mm and 0.004 deg, K within
    0.07 px, k1 within 2e-5, 2e-4 px rms in 10 evaluations; fixed, centres 21 mm and
    0.35 deg off at 0.10 px rms."""
    truth = make_rig(RIG)
    rig = transform_rig(truth, truth[0].rotation, truth[0].tvec)
    imgp, rtvecs, objp = _observations(truth)
    rng = np.random.default_rng(3)
    matrices, dists = [], []
    for cam in rig:
        K = cam.matrix.copy()
        K[[0, 1], [0, 1]] += rng.choice([-1.5, 1.5], 2)
        K[[0, 1], [2, 2]] += rng.choice([-4.0, 4.0], 2)
        matrices.append(K)
        dists.append(cam.dist + [rng.choice([-0.003, 0.003]), 0, 0, 0, 0])
    rvecs, tvecs = np.array([c.rvec for c in rig]), np.array([c.tvec for c in rig])
    counts = np.isfinite(imgp[:, :, 0]).reshape(4, rtvecs.shape[1], -1).sum(axis=2)
    boards = initial_board_poses(rvecs, tvecs, rtvecs, counts)
    errors = {}
    for lens_params in (0, 9):
        r, t, _, info = adjust(matrices, dists, rvecs, tvecs, boards, imgp, objp, lens_params)
        fitted = [c.with_pose(cv2.Rodrigues(rv)[0], tv) for c, rv, tv in zip(rig, r, t)]
        errors[lens_params] = max(np.linalg.norm(f.center - c.center) for f, c in zip(fitted, rig))
        if lens_params:
            assert info["rms_px"] < 1e-3
            for cam, K, d in zip(rig, info["matrices"], info["dists"]):
                assert np.abs(K - cam.matrix).max() < 0.2, cam.name
                assert abs(d[0] - cam.dist[0]) < 1e-4, cam.name
    assert errors[9] < 5e-4 and errors[0] > 0.01


def _detections(truth):
    imgp, _, objp = _observations(truth)
    n = len(objp)
    out = []
    for c in range(len(truth)):
        ids, corners = [], []
        for f in range(imgp.shape[1] // n):
            seen = np.flatnonzero(np.isfinite(imgp[c, f * n : (f + 1) * n, 0]))
            ids.append(seen)
            corners.append(imgp[c, f * n + seen])
        out.append(VideoDetections(None, (RIG.width, RIG.height), ids, corners))
    return out


def test_farthest_point_spreads_over_the_feature_space():
    points = np.array([[0.0], [0.1], [0.2], [5.0], [10.0], [9.9]])
    assert list(farthest_point(points, 3)) == [0, 3, 4]


def test_diverse_selection_spreads_views_more_than_even_spacing():
    truth = make_rig(RIG)
    board = make_board(BOARD)
    dets = _detections(truth)
    usable = np.array([[len(i) >= 8 for i in d.ids] for d in dets])
    frames = np.flatnonzero(usable[0])
    even = choose_views(dets[0], frames, 8, board, FrameSelection.even)
    diverse = choose_views(dets[0], frames, 8, board, FrameSelection.diverse)
    assert len(even) == len(diverse) == 8 and set(diverse) <= set(frames)

    def spread(chosen):  # area of the image spanned by the chosen boards' centroids
        centres = np.array([dets[0].corners[k].mean(0) for k in chosen])
        return np.prod(np.ptp(centres, axis=0))

    assert spread(diverse) > spread(even)
    shared = np.flatnonzero(usable.sum(axis=0) >= 2)
    chosen = choose_shared(dets, usable, shared, 10, board, FrameSelection.diverse)
    assert len(chosen) == 10 and set(chosen) <= set(shared)
