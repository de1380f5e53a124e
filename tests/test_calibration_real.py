"""Real webcams: calibrate caliscope's 4-webcam ChArUco session (inverted print, strong
barrel distortion, no floor frames) and compare with caliscope's own calibration of it.
Skipped when ../shared/data is absent (a user's checkout).

Numbers measured (docs/calibration.md), with runlab's rigid-board bundle adjustment and its
corner refinement (pipeline/calibration/corners.py): median reprojection 0.82 / 0.97 / 0.47 /
0.59 px per camera (0.95 / 1.03 / 0.62 / 0.71 with OpenCV's corners; aniposelib's free-point
adjustment gave 0.80 / 0.85 / 0.51 / 0.63: it minimizes that very measure, while ours fits
the board's printed geometry); camera centres, after a rigid (Kabsch) fit of ours onto
caliscope's, 5.1 / 3.9 / 4.8 / 5.3 mm apart (rms 4.8 mm; 7.3 mm with OpenCV's corners,
aniposelib's: 9.0 mm) over baselines of 0.43-1.44 m. The bundle adjustment's refinement of
the lens models is refused here (terms moved by 19-104 standard errors: these webcams are
not synchronized to the frame), so the lenses are the per-camera fits. With caliscope's own
lens models (calibration.intrinsics.source = file) the centres agree within 3.4-6.2 mm and
the orientations within 0.3-0.6 deg.
The two calibrations do not share intrinsics (caliscope's come from separate intrinsic
recordings; ours from these 111 frames, where the board covered only 10-25 % of each
image), so they are expected to differ by about 1 % of the baselines; the 20 mm bound is
the measured 13 mm plus margin for other OpenCV / aniposelib builds, a regression check, not
an accuracy claim.
"""

from pathlib import Path

import numpy as np
import pytest

from pipeline.calibration.calibrate import calibrate
from pipeline.calibration.gates import evaluate_gates
from pipeline.config import (
    ArucoDictionary,
    BoardConfig,
    CalibrationConfig,
    IntrinsicsConfig,
    IntrinsicsSource,
)
from pipeline.core.geometry import rigid_transform, rotation_angle_deg
from pipeline.io.interop import read_caliscope_camera_array

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "caliscope-charuco"
NAMES = [f"cam_{i}" for i in range(4)]
BOARD = BoardConfig(
    squares_x=4,
    squares_y=5,
    square_length_m=0.054,
    marker_length_m=0.0405,
    dictionary=ArucoDictionary.DICT_4X4_1000,
    inverted=None,
)  # None = auto
CALIB = CalibrationConfig(floor_frames=0)

MAX_MEDIAN_REPROJECTION_PX = 1.0  # the calibration gate's default (calibration.max_reprojection_px)
MAX_CENTRE_RESIDUAL_M = 0.020

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data not present"),
]


@pytest.fixture(scope="module")
def result():
    return calibrate([DATA / "videos" / f"{n}.mp4" for n in NAMES], NAMES, BOARD, CALIB)


@pytest.mark.parametrize("name", NAMES)
def test_sub_pixel_median_reprojection(result, name):
    # cam_1 saw the board in only 27 frames, all at ~1 m (far/near 1.06): 1.03 px with
    # OpenCV's corners (a strict xfail then), 0.97 px with the refined corners.
    assert result.quality.cameras[name].reprojection_median_px < MAX_MEDIAN_REPROJECTION_PX


@pytest.fixture(scope="module")
def caliscope():
    return read_caliscope_camera_array(DATA / "camera_array.toml")


def test_all_cameras_calibrated(result):
    q = result.quality
    assert [c.name for c in result.cameras] == NAMES
    assert set(q.board_polarity.found.values()) == {"inverted"}
    assert q.board_polarity.configured == "auto"


def test_no_floor_frames_means_camera_0_frame_and_says_so(result):
    floor = result.quality.floor
    assert floor.floor_frames_used == 0 and floor.reference_camera == "cam_0"
    np.testing.assert_allclose(result.cameras[0].center, 0, atol=1e-9)
    np.testing.assert_allclose(result.cameras[0].rotation, np.eye(3), atol=1e-9)
    (gate,) = [g for g in evaluate_gates(result.quality) if g.name == "world frame"]
    assert gate.verdict == "warn"


def test_board_size_matches_the_printed_squares(result):
    # Triangulated 54.02 mm against 54 mm when measured.
    assert abs(result.quality.board_size.relative_error) < 0.01


def test_camera_centres_agree_with_caliscope(result, caliscope):
    ours = np.array([c.center for c in result.cameras])
    theirs = np.array([c.center for c in caliscope.cameras])
    R, t = rigid_transform(ours, theirs)
    residual = np.linalg.norm(ours @ R.T + t - theirs, axis=1)
    assert residual.max() < MAX_CENTRE_RESIDUAL_M, residual


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares scale s, rotation R, translation t with dst ~= s * src @ R.T + t (Umeyama)."""
    cs, cd = src.mean(0), dst.mean(0)
    U, S, Vt = np.linalg.svd((dst - cd).T @ (src - cs))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    R = U @ D @ Vt
    s = float(np.trace(np.diag(S) @ D) / np.sum((src - cs) ** 2))
    return s, R, cd - s * R @ cs


def test_with_caliscopes_lens_models_the_rigs_agree_closely(caliscope):
    """Intrinsics from caliscope's file (its dedicated intrinsic recordings), extrinsics from
    these videos: measured 3.4-6.0 mm and 0.3-0.6 deg from caliscope's poses after a rigid
    fit; the issue-14 target (every camera within 10 mm and 1 deg after a similarity fit)
    measured 3.1-6.3 mm and 0.29-0.56 deg (scale 0.9987). No camera of this session sees the
    board from behind (`back_views` empty; benchmarks/back_views.py: no frame found flipped)."""
    cfg = CalibrationConfig(
        floor_frames=0,
        intrinsics=IntrinsicsConfig(
            source=IntrinsicsSource.file, path=str(DATA / "camera_array.toml")
        ),
    )
    result = calibrate([DATA / "videos" / f"{n}.mp4" for n in NAMES], NAMES, BOARD, cfg)
    assert result.quality.intrinsics_source == "file"
    assert result.quality.back_views == {}
    ours = np.array([c.center for c in result.cameras])
    theirs = np.array([c.center for c in caliscope.cameras])
    R, t = rigid_transform(ours, theirs)
    assert np.linalg.norm(ours @ R.T + t - theirs, axis=1).max() < 0.010
    for cam, ref in zip(result.cameras, caliscope.cameras):
        assert rotation_angle_deg(cam.rotation @ R.T, ref.rotation) < 1.0, cam.name
    s, R, t = similarity_transform(ours, theirs)
    assert np.linalg.norm(s * ours @ R.T + t - theirs, axis=1).max() < 0.010
    for cam, ref in zip(result.cameras, caliscope.cameras):
        assert rotation_angle_deg(cam.rotation @ R.T, ref.rotation) < 1.0, cam.name


def test_coverage_gate_fails_the_webcam_session_and_says_what_to_record(result):
    """Issue 14, item 7: the board covered 10-25 % of each image (measured 25 / 19 / 12 / 10 %);
    the coverage gate fails cam_1..3 (warns on cam_0 at 25 %) and the report's advice is the
    recording that fixes it."""
    from pipeline.report.calibration_report import quality_html

    gates = {g.name: g.as_dict() for g in result.quality.gates}
    for name in NAMES[1:]:
        gate = gates[f"coverage {name}"]
        assert gate["verdict"] == "fail" and gate["value"] < 0.25, gate
        assert "move the board into the corners and along the edges" in gate["message"]
    assert gates["coverage cam_0"]["verdict"] in ("warn", "fail")
    page = quality_html(result.quality)
    assert "What to do" in page and "move the board into the corners" in page
