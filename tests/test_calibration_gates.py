"""Quality gates and the measures behind them: one small synthetic render calibrated once
(pass case, against the true rig), manipulated reports and geometry (fail cases), the print
polarity auto-detection and the Pose2Sim / caliscope writers."""

import copy
import json

import cv2
import numpy as np
import pytest

from pipeline.calibration.board import board_corners_3d, board_image, make_board
from pipeline.calibration.board_in_videos import VideoDetections, detect_video
from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.gates import FAIL, PASS, WARN, GateThresholds, evaluate_gates
from pipeline.calibration.measures import axis_angles, board_coverage, triangulated_square_size
from pipeline.calibration.quality_record import CalibrationQuality
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.core.geometry import Camera, project
from pipeline.io.formats import CameraSet
from pipeline.io.interop import (
    read_caliscope_camera_array,
    read_pose2sim_calibration,
    write_caliscope_camera_array,
    write_pose2sim_calibration,
)
from pipeline.synth.board_video import calibration_board_poses, write_calibration_videos
from pipeline.synth.rig import make_rig

# Half of the default 1080p rig (same field of view), 60 held-board frames as in a real
# recording (about 15 per neighbouring pair): rendered and calibrated once for the module.
RIG = RigConfig(width=960, height=540, focal_px=750.0)
BOARD = BoardConfig(square_length_m=0.15, marker_length_m=0.1125)
CALIB = CalibrationConfig()
SYNTH = SynthConfig(calibration_frames=60)


def _by_name(gates):
    return {g.name: g for g in gates}


@pytest.fixture(scope="module")
def truth():
    return make_rig(RIG)


@pytest.fixture(scope="module")
def result(truth, tmp_path_factory):
    videos = write_calibration_videos(
        truth, BOARD, CALIB, SYNTH, tmp_path_factory.mktemp("gates"), RIG.fps
    )
    return calibrate(videos, RIG.cameras, BOARD, CALIB)


@pytest.mark.slow
def test_synthetic_rig_passes_the_gates_that_matter(truth, result):
    quality = json.loads(json.dumps(result.quality.to_dict()))  # JSON-serializable
    gates = _by_name(evaluate_gates(CalibrationQuality.from_dict(quality)))
    assert quality["gates"] == [
        g.as_dict() for g in evaluate_gates(CalibrationQuality.from_dict(quality), GateThresholds())
    ]
    for name in RIG.cameras:
        assert gates[f"reprojection {name}"].verdict == PASS
        assert gates[f"detections {name}"].verdict != FAIL
        assert gates[f"floor {name}"].verdict == PASS
        assert 0 < quality["cameras"][name]["board_coverage"] <= 1
    # The board follows the recording protocol: corners over the image, near and far views,
    # and neighbours share views; opposite cameras (across the treadmill) cannot, and pass.
    for name in RIG.cameras:
        assert gates[f"coverage {name}"].verdict == PASS, gates[f"coverage {name}"]
        assert gates[f"distance range {name}"].verdict == PASS, gates[f"distance range {name}"]
    assert not [g for g in gates.values() if g.name.startswith("shared") and g.verdict != PASS], (
        quality["pairwise_shared_frames"]
    )
    assert "face each other" in gates["shared frames cam_0/cam_2"].message
    # Board size against the truth: the rendered board is exactly 150 mm.
    size = quality["board_size"]
    assert size["measured_square_mm"] == pytest.approx(150.0, abs=1.0)
    assert gates["board size"].verdict == PASS
    # Camera heights against the true rig.
    for cam in truth:
        assert quality["floor"]["camera_heights_m"][cam.name] == pytest.approx(
            cam.center[2], abs=0.005
        )


@pytest.mark.slow
def test_board_distance_spread_matches_the_true_board_poses(truth, result):
    board = make_board(BOARD)
    centre = board_corners_3d(board).mean(0)
    poses = calibration_board_poses(truth, BOARD, CALIB, SYNTH)[CALIB.floor_frames :]
    for cam in truth:
        q = result.quality.cameras[cam.name]
        true_d = [np.linalg.norm(p.world_points(centre) - cam.center) for p in poses]
        # The measure covers only frames this camera saw; the truth spans all held frames.
        assert min(true_d) - 0.05 <= q.near_m <= q.far_m <= max(true_d) + 0.05


@pytest.mark.slow
def test_pair_with_no_shared_frames_that_splits_the_rig_fails_and_is_named(result):
    quality = copy.deepcopy(result.quality)
    for pair in quality.pairwise_shared_frames:
        if "cam_3" in pair.split("/"):
            quality.pairwise_shared_frames[pair] = 0
    gates = _by_name(evaluate_gates(quality))
    failed = [g for g in gates.values() if g.name.startswith("shared") and g.verdict == FAIL]
    assert {g.name for g in failed} == {
        "shared frames cam_0/cam_3",
        "shared frames cam_1/cam_3",
        "shared frames cam_2/cam_3",
    }
    assert "hold the board between cam_0 and cam_3" in gates["shared frames cam_0/cam_3"].message
    # cam_1 and cam_3 face each other (axes 169 deg apart): never told to share the board.
    facing = gates["shared frames cam_1/cam_3"].message
    assert "face each other" in facing and "hold the board between" not in facing


def test_cameras_facing_each_other_need_not_share_views(truth):
    """Ground truth: the true rig's optical axes (azimuths 35/145/215/325 deg, aimed 0.3 m
    below the cameras from 3.2 m): opposite pairs 169.3 deg apart, neighbours 69.7 / 109.3."""
    angles = axis_angles(truth)
    assert angles["cam_0/cam_2"] == pytest.approx(169.3, abs=0.1)
    assert angles["cam_1/cam_3"] == pytest.approx(169.3, abs=0.1)
    assert angles["cam_0/cam_1"] == pytest.approx(109.3, abs=0.1)
    assert angles["cam_0/cam_3"] == pytest.approx(69.7, abs=0.1)
    shared = {
        "cam_0/cam_1": 15,
        "cam_1/cam_2": 15,
        "cam_2/cam_3": 3,
        "cam_0/cam_3": 15,
        "cam_0/cam_2": 0,
        "cam_1/cam_3": 0,
    }
    cameras = {name: {} for name in RIG.cameras}
    quality = {
        "cameras": cameras,
        "pairwise_shared_frames": shared,
        "pairwise_axis_angle_deg": angles,
    }
    gates = _by_name(evaluate_gates(CalibrationQuality.from_dict(quality)))
    for pair in ("cam_0/cam_2", "cam_1/cam_3"):  # linked through the neighbours
        gate = gates[f"shared frames {pair}"]
        assert gate.verdict == PASS and "face each other" in gate.message, gate
    # Neighbours 109 deg apart could share views: still a warning, with the advice.
    assert gates["shared frames cam_2/cam_3"].verdict == WARN
    assert "hold the board between cam_2 and cam_3" in gates["shared frames cam_2/cam_3"].message
    # A report without axis angles (older quality.json) keeps the warning for every pair.
    old = _by_name(
        evaluate_gates(
            CalibrationQuality.from_dict({"cameras": cameras, "pairwise_shared_frames": shared})
        )
    )
    assert old["shared frames cam_0/cam_2"].verdict == WARN
    # With the limit set above the pair's 169.3 deg, the pair is asked to share views again.
    strict = _by_name(
        evaluate_gates(
            CalibrationQuality.from_dict(quality), GateThresholds(facing_axis_angle_deg=170.0)
        )
    )
    assert strict["shared frames cam_0/cam_2"].verdict == WARN


def test_gate_verdicts_on_manipulated_reports():
    quality = {
        "cameras": {
            "a": {
                "reprojection_median_px": 1.4,
                "usable_frames": 4,
                "board_coverage": 0.1,
                "near_m": 2.0,
                "far_m": 2.1,
                "far_near_ratio": 1.05,
            },
            "b": {
                "reprojection_median_px": 0.3,
                "usable_frames": 50,
                "board_coverage": 0.7,
                "near_m": 1.0,
                "far_m": 2.0,
                "far_near_ratio": 2.0,
            },
        },
        "pairwise_shared_frames": {"a/b": 30},
        "floor": {
            "world_frame": "floor board",
            "cameras_seeing_floor_board": ["b"],
            "floor_corners": 24,
            "floor_fit_rms_mm": 0.3,
            "floor_fit_max_mm": 0.6,
            "camera_heights_m": {"a": -0.4, "b": 1.2},
        },
    }
    gates = _by_name(evaluate_gates(CalibrationQuality.from_dict(quality)))
    assert gates["reprojection a"].verdict == FAIL and "1.40 px" in gates["reprojection a"].message
    assert gates["detections a"].verdict == FAIL
    assert gates["coverage a"].verdict == FAIL and "corners" in gates["coverage a"].message
    assert gates["distance range a"].verdict == FAIL
    assert gates["floor a"].verdict == FAIL and "below the floor" in gates["floor a"].message
    for name in (
        "reprojection b",
        "detections b",
        "coverage b",
        "distance range b",
        "floor b",
        "shared frames a/b",
    ):
        assert gates[name].verdict == PASS, gates[name]
    no_floor = {
        "cameras": {"a": {}},
        "floor": {"world_frame": "camera a", "floor_frames_used": 0, "reference_camera": "a"},
    }
    (world,) = [
        g for g in evaluate_gates(CalibrationQuality.from_dict(no_floor)) if g.name == "world frame"
    ]
    assert world.verdict == WARN and "relative to camera a" in world.message


def test_board_size_gate_fails_when_the_triangulated_board_is_5_percent_small(truth):
    """Ground truth: true corners projected by the true cameras, triangulated by cameras
    whose baselines are 5% short -> squares measure 142.5 mm instead of 150 mm."""
    board = make_board(BOARD)
    objp = board_corners_3d(board)
    poses = calibration_board_poses(truth, BOARD, CALIB, SYNTH)[CALIB.floor_frames :][:10]
    world = np.concatenate([p.world_points(objp) for p in poses])
    imgp = np.stack([project(cam, world) for cam in truth])
    exact = triangulated_square_size(truth, imgp, board)
    assert exact.measured_square_mm == pytest.approx(150.0, abs=0.01)
    short = CameraSet([cam.with_pose(cam.rotation, 0.95 * cam.tvec) for cam in truth])  # x0.95
    size = triangulated_square_size(short, imgp, board)
    assert size.measured_square_mm == pytest.approx(142.5, abs=0.1)
    (gate,) = [
        g for g in evaluate_gates(CalibrationQuality(board_size=size)) if g.name == "board size"
    ]
    assert gate.verdict == FAIL
    assert "142.50 mm against the configured 150.00 mm (-5.0%" in gate.message


def test_board_coverage_counts_image_cells():
    ids = [np.arange(2), np.arange(1), np.zeros(0, int)]
    corners = [np.array([[10.0, 10.0], [790.0, 590.0]]), np.array([[15.0, 12.0]]), np.zeros((0, 2))]
    det = VideoDetections(None, (800, 600), ids, corners)
    assert board_coverage(det, np.arange(3), grid=(4, 3)) == pytest.approx(2 / 12)


@pytest.fixture(scope="module")
def inverted_video(tmp_path_factory):
    board = make_board(BOARD)
    image = cv2.bitwise_not(board_image(board, dpi=30))  # white markers on black
    h, w = image.shape
    frame = np.full((h + 80, w + 80), 255, np.uint8)  # on a white wall
    frame[40 : 40 + h, 40 : 40 + w] = image
    path = tmp_path_factory.mktemp("inverted") / "cam.mp4"
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (frame.shape[1], frame.shape[0])
    )
    for _ in range(3):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_inverted_print_is_found_automatically(inverted_video):
    assert not any(len(ids) for ids in detect_video(inverted_video, BOARD, False).ids)
    det = detect_video(inverted_video, BOARD, None)
    assert det.inverted is True
    assert all(len(ids) == len(board_corners_3d(make_board(BOARD))) for ids in det.ids)


def _calibration():
    cams = [
        Camera(
            f"c{i}",
            (1280, 720),
            [[900 + i, 0, 640], [0, 905, 360], [0, 0, 1]],
            [-0.3, 0.1, 0.001, -0.002, 0.01],
            rvec=[0.1 * i, -0.2, 0.3],
            tvec=[0.5 * i, 0.1, 2.0],
        )
        for i in range(3)
    ]
    return CameraSet(cams)


def test_pose2sim_writer_round_trips(tmp_path):
    calib = _calibration()
    write_pose2sim_calibration(tmp_path / "calib.toml", calib)
    back = read_pose2sim_calibration(tmp_path / "calib.toml")
    assert back.names == calib.names
    for a, b in zip(calib.cameras, back.cameras):
        assert b.size == a.size
        for field in ("matrix", "dist", "rvec", "tvec"):
            np.testing.assert_allclose(getattr(b, field), getattr(a, field), atol=1e-12)
    assert "fisheye = false" in (tmp_path / "calib.toml").read_text()


def test_caliscope_writer_round_trips(tmp_path):
    calib = _calibration()
    write_caliscope_camera_array(tmp_path / "camera_array.toml", calib)
    back = read_caliscope_camera_array(tmp_path / "camera_array.toml", names=calib.names)
    for a, b in zip(calib.cameras, back.cameras):
        np.testing.assert_allclose(b.matrix, a.matrix, atol=1e-12)
        np.testing.assert_allclose(b.dist, a.dist, atol=1e-12)
        np.testing.assert_allclose(b.rotation, a.rotation, atol=1e-12)
        np.testing.assert_allclose(b.tvec, a.tvec, atol=1e-12)
