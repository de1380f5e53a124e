"""BlazePose (mediapipe, offline model) on real pixels."""

import importlib.util
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.core.skeleton import INDEX, N_KEYPOINTS

if importlib.util.find_spec("mediapipe") is None:
    pytest.skip("mediapipe is not installed", allow_module_level=True)

from pipeline.pose2d.base import select_runner  # noqa: E402
from pipeline.pose2d.blazepose import BLAZEPOSE_33, BlazePoseBackend  # noqa: E402
from pipeline.pose2d.openpose_json import read_openpose_folder  # noqa: E402

VIDEOS = SHARED_DATA / "pose2sim-demo" / "balancing" / "videos"


def test_mapping_table():
    assert BLAZEPOSE_33.unavailable == ["left_small_toe", "right_small_toe"]
    assert sorted(BLAZEPOSE_33.derived) == ["head", "hip", "neck"]


@pytest.mark.parametrize("cam", ["cam01", "cam03"])
def test_real_frames_from_the_demo(cam):
    if not (VIDEOS / f"{cam}.mp4").is_file():
        pytest.skip("shared pose2sim-demo videos not available")
    from pipeline.io.video import iter_frames

    frames = list(itertools.islice(iter_frames(VIDEOS / f"{cam}.mp4"), 3))
    results = list(BlazePoseBackend().detect(frames))
    assert [len(r) for r in results] == [1, 1, 1]  # one person per frame, always
    kp = select_runner(results)[-1]
    assert kp.shape == (N_KEYPOINTS, 3)
    for side in ("left", "right"):
        hip, knee, ankle = (kp[INDEX[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
        assert hip[1] < knee[1] < ankle[1]  # image y grows downwards
        assert min(hip[2], knee[2], ankle[2]) > 0.5
        assert kp[INDEX[f"{side}_heel"], 1] > knee[1]
    assert kp[INDEX["nose"], 1] < kp[INDEX["neck"], 1] < kp[INDEX["hip"], 1]
    assert np.isnan(kp[INDEX["left_small_toe"], :2]).all() and kp[INDEX["left_small_toe"], 2] == 0
    # inside the runner's region as OpenPose saw it (its box for this frame, +10 % margin)
    op = SHARED_DATA / "pose2sim-demo" / "balancing" / "openpose" / f"{cam}_json"
    runner = select_runner(read_openpose_folder(op)[:3])[-1]
    ok = kp[:, 2] > 0.5
    x0, y0 = np.nanmin(runner[:, :2], axis=0)
    x1, y1 = np.nanmax(runner[:, :2], axis=0)
    mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    assert (
        (kp[ok, 0] > x0 - mx)
        & (kp[ok, 0] < x1 + mx)
        & (kp[ok, 1] > y0 - my)
        & (kp[ok, 1] < y1 + my)
    ).all()
    # and close to OpenPose's ankles (two detectors, same person): within 60 px
    for j in ("left_ankle", "right_ankle", "left_knee", "right_knee"):
        assert np.linalg.norm(kp[INDEX[j], :2] - runner[INDEX[j], :2]) < 60


def test_picture_shipped_with_matplotlib():
    try:
        import matplotlib.cbook as cbook

        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    except Exception:
        pytest.skip("matplotlib sample picture not available")
    image = cv2.imread(str(path))
    if image is None:
        pytest.skip("matplotlib sample picture not readable")
    (people,) = list(BlazePoseBackend(static_image_mode=True).detect([image]))
    assert len(people) == 1
    kp = people[0].keypoints
    nose, leye, reye = kp[INDEX["nose"]], kp[INDEX["left_eye"]], kp[INDEX["right_eye"]]
    lsh, rsh = kp[INDEX["left_shoulder"]], kp[INDEX["right_shoulder"]]
    assert min(nose[2], leye[2], reye[2], lsh[2], rsh[2]) > 0.5
    assert reye[0] < nose[0] < leye[0]  # facing the camera: her left on image right
    assert max(leye[1], reye[1]) < nose[1] < min(lsh[1], rsh[1])
    assert rsh[0] < lsh[0]


def test_frame_without_person_is_a_gap():
    frames = [np.full((240, 160, 3), 90, np.uint8)] * 2
    out = select_runner(list(BlazePoseBackend().detect(frames)))
    assert np.isnan(out[..., :2]).all() and (out[..., 2] == 0).all()


def test_person_detector_runs_only_when_tracking_is_lost(monkeypatch):
    """With the backend's settings (tracking mode) mediapipe's own person detector runs on the
    first frame and after the pose is lost, not on every frame: it emits
    `pose_rect_from_detection` (a graph output the Python solution does not request; asked
    for here) only on frames where it ran and found someone."""
    if not (VIDEOS / "cam01.mp4").is_file():
        pytest.skip("shared pose2sim-demo videos not available")
    from mediapipe.python import solution_base
    from mediapipe.python.solutions import pose as mp_pose

    from pipeline.io.video import iter_frames

    init, process, ran = solution_base.SolutionBase.__init__, mp_pose.Pose.process, []

    def with_rect(self, *args, outputs=None, **kwargs):
        init(self, *args, outputs=[*(outputs or []), "pose_rect_from_detection"], **kwargs)

    def recording(self, image):
        result = process(self, image)
        ran.append(result.pose_rect_from_detection is not None)
        return result

    monkeypatch.setattr(solution_base.SolutionBase, "__init__", with_rect)
    monkeypatch.setattr(mp_pose.Pose, "process", recording)
    frames = list(itertools.islice(iter_frames(VIDEOS / "cam01.mp4"), 12))
    blank = np.zeros_like(frames[0])  # nobody: the track is lost
    found = [len(p) for p in BlazePoseBackend().detect([*frames[:8], blank, *frames[8:]])]
    assert found == [1] * 8 + [0] + [1] * 4
    assert [i for i, r in enumerate(ran) if r] == [0, 9]  # start, and after the loss
