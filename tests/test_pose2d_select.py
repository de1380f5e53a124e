"""Runner selection, keypoint mapping, explicit gaps, and the OpenPose JSON import."""

import tomllib

import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.config import PersonSelectionConfig
from pipeline.core.geometry import Camera
from pipeline.core.skeleton import INDEX, N_KEYPOINTS
from pipeline.pose2d.base import (
    KeypointMapping,
    Person,
    select_runner,
    select_runners,
    select_track,
)
from pipeline.pose2d.openpose_json import BODY_25, BODY_25B, OpenPoseJsonError, read_openpose_folder

DEMO = SHARED_DATA / "pose2sim-demo"


def _person(cx, cy, height, rng, score=0.9):
    """A stick figure: keypoints spread over a box of the given height, centred at (cx, cy)."""
    kp = np.zeros((N_KEYPOINTS, 3))
    t = np.linspace(-0.5, 0.5, N_KEYPOINTS)
    kp[:, 0] = cx + 0.2 * height * np.sin(7 * t) + rng.normal(0, 1, N_KEYPOINTS)
    kp[:, 1] = cy + height * t
    kp[:, 2] = score
    return Person.from_keypoints(kp)


def test_two_people_runner_is_tracked_and_gap_is_explicit():
    rng = np.random.default_rng(0)
    frames = []
    for f in range(40):
        runner = _person(500 + 40 * np.sin(f / 5), 900, 800, rng)  # large, central
        bystander = _person(80 + f, 600, 450, rng, score=0.95)  # small, at the edge
        people = [bystander, runner] if f % 2 else [runner, bystander]
        if f == 20:
            people = []  # nobody detected
        if f == 21:
            people = [bystander]  # runner hidden
        frames.append(people)
    out = select_runner(frames, PersonSelectionConfig(), image_size=(1080, 1920))
    assert out.shape == (40, N_KEYPOINTS, 3)
    for f in range(40):
        if f in (20, 21):
            assert np.isnan(out[f, :, :2]).all() and (out[f, :, 2] == 0).all()
        else:
            assert abs(np.nanmean(out[f, :, 0]) - (500 + 40 * np.sin(f / 5))) < 30, f
    # "central" picks the same runner; "largest" too
    for rule in ("central", "largest"):
        chosen = select_track(
            frames, PersonSelectionConfig(init_rule=rule), image_size=(1080, 1920)
        )
        assert all(
            frames[f][chosen[f]].bbox[3] - frames[f][chosen[f]].bbox[1] > 700
            for f in range(40)
            if chosen[f] >= 0
        )


def test_no_candidates_at_all_gives_gaps():
    out = select_runner([[] for _ in range(5)])
    assert out.shape == (5, N_KEYPOINTS, 3)
    assert np.isnan(out[..., :2]).all() and (out[..., 2] == 0).all()


def test_mapping_midpoint_takes_min_score_and_missing_parent():
    m = KeypointMapping("t", 3, {"left_hip": 0, "right_hip": 1, "hip": (0, 1), "nose": 2})
    src = np.array([[10, 20, 0.9], [30, 40, 0.5], [0, 0, 0]], float)
    out = m.apply(src)
    assert out.shape == (N_KEYPOINTS, 3)
    np.testing.assert_allclose(out[INDEX["hip"]], [20, 30, 0.5])
    assert (
        np.isnan(out[INDEX["nose"], :2]).all() and out[INDEX["nose"], 2] == 0
    )  # score 0 = missing
    src[1] = [np.nan, np.nan, 0]
    assert np.isnan(m.apply(src)[INDEX["hip"], :2]).all()
    assert "left_small_toe" in m.unavailable and m.derived == ["hip"]


def test_openpose_mappings_cover_the_feet():
    for m in (BODY_25, BODY_25B):
        assert m.unavailable == []
        assert len(set(m.table.values())) == len(m.table)


def _demo_cameras():
    data = tomllib.loads((DEMO / "calibration" / "Calib_qualisys.toml").read_text())
    return [
        Camera(v["name"], v["size"], v["matrix"], v["distortions"], v["rotation"], v["translation"])
        for k, v in data.items()
        if k.startswith("cam")
    ]


@pytest.fixture(scope="module")
def demo_candidates():
    if not (DEMO / "balancing" / "openpose").is_dir():
        pytest.skip("shared pose2sim-demo data not available")
    return [
        read_openpose_folder(DEMO / "balancing" / "openpose" / f"cam0{c}_json", "BODY_25B")
        for c in range(1, 5)
    ]


def test_openpose_import_on_shared_data(demo_candidates):
    cam1 = demo_candidates[0]
    assert len(cam1) == 100 and sum(len(p) == 2 for p in cam1) > 80  # runner + background person
    p = cam1[0][0]
    assert p.keypoints.shape == (N_KEYPOINTS, 3)
    # first person of cam01.0000.json: nose (505.232, 431.63, 0.664216), LHeel = BODY_25B #21
    np.testing.assert_allclose(p.keypoints[INDEX["nose"]], [505.232, 431.63, 0.664216])
    np.testing.assert_allclose(
        p.keypoints[INDEX["left_heel"]], [400.105, 1094.02, 0.6455], atol=1e-3
    )
    assert (p.keypoints[:, 2] >= 0).all() and (p.keypoints[:, 2] <= 1).all()
    missing = p.keypoints[:, 2] == 0
    assert np.isnan(p.keypoints[missing, :2]).all()  # 0,0,0 never becomes a point at 0
    with pytest.raises(OpenPoseJsonError, match="unknown OpenPose model"):
        read_openpose_folder(DEMO / "balancing" / "openpose" / "cam01_json", "COCO")


def test_runner_selected_over_background_person(demo_candidates):
    # the bystander stands at x < 130 px in cam01 and x > 740 px (about 400 px tall) in cam02;
    # the runner is the large person in between (OpenPose sometimes splits him in two parts)
    reversed_order = [[people[::-1] for people in cam] for cam in demo_candidates]
    out = select_runners(
        reversed_order, None, PersonSelectionConfig(), image_sizes=[(1088, 1920)] * 4
    )
    assert out.shape == (4, 100, N_KEYPOINTS, 3)
    assert np.isfinite(out[..., 0]).any(axis=-1).all()  # someone every frame
    x_centre = np.nanmean(out[..., 0], axis=-1)
    heights = np.nanmax(out[..., 1], axis=-1) - np.nanmin(out[..., 1], axis=-1)
    assert (x_centre[0] > 200).all()
    assert ((x_centre[1] < 740) | (heights[1] > 500)).all()
    assert (np.median(heights, axis=1) > 600).all()


def test_cross_view_corrects_a_track_on_the_wrong_person(demo_candidates):
    cams = _demo_cameras()
    cand = [list(cam) for cam in demo_candidates]
    # cam01: the runner is missing in the first frame, so the tracker starts on the bystander
    cand[0] = [[people[1]] if f == 0 else people for f, people in enumerate(cand[0])]
    tracked = select_runners(cand, None, PersonSelectionConfig())
    assert np.nanmax(tracked[0, 1:, :, 0]) < 150  # followed the bystander
    out = select_runners(cand, cams, PersonSelectionConfig())
    assert np.nanmin(np.nanmax(out[0, 1:, :, 0], axis=-1)) > 300  # cross-view: the runner
    np.testing.assert_array_equal(out[1:], tracked[1:])


def test_openpose_empty_person_is_a_gap_and_a_wrong_count_is_refused(tmp_path):
    """Pose2Sim writes `"pose_keypoints_2d": []` for a frame where nobody was associated: no
    detection in that view, not an error. A person with another model's keypoint count is."""
    import json

    from pipeline.pose2d.openpose_json import read_openpose_frame

    good = [100.0, 200.0, 0.9] * 25
    empty = tmp_path / "cam01.0001.json"
    empty.write_text(json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": []}]}))
    assert read_openpose_frame(empty) == []
    mixed = tmp_path / "cam01.0002.json"
    mixed.write_text(
        json.dumps({"people": [{"pose_keypoints_2d": []}, {"pose_keypoints_2d": good}]})
    )
    assert len(read_openpose_frame(mixed)) == 1
    folder = tmp_path / "cam01_json"
    folder.mkdir()
    for i, people in enumerate([[{"pose_keypoints_2d": good}], [{"pose_keypoints_2d": []}]]):
        (folder / f"cam01.{i:04d}.json").write_text(json.dumps({"people": people}))
    assert [len(p) for p in read_openpose_folder(folder)] == [1, 0]
    wrong = tmp_path / "cam01.0003.json"
    wrong.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0, 2.0, 0.5] * 18}]}))
    with pytest.raises(OpenPoseJsonError, match="person 0 has 18 keypoints, model BODY_25B has 25"):
        read_openpose_frame(wrong)
