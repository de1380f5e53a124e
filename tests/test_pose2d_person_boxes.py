"""Person boxes without RTMDet: mediapipe's BlazePose person detector (offline, in the wheel)
on the shared pose2sim demo, the choice of the runner's box, and when RTMPose asks for a box."""

import importlib.util
import itertools

import cv2
import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.pose2d.person_boxes import choose_box

DEMO = SHARED_DATA / "pose2sim-demo" / "balancing"


def _first_frames(cam, n):
    from pipeline.io.video import iter_frames

    return list(itertools.islice(iter_frames(DEMO / "videos" / f"{cam}.mp4"), n))


def _openpose_people(cam, frame):
    """OpenPose's people in one frame: the runner (the track select_runner keeps over the
    whole clip) and the others (the bystander), as (K, 3) keypoint arrays."""
    from pipeline.pose2d.base import select_track
    from pipeline.pose2d.openpose_json import read_openpose_folder

    cands = read_openpose_folder(DEMO / "openpose" / f"{cam}_json")
    track = select_track(cands)
    people = cands[frame]
    return people[track[frame]].keypoints, [
        p.keypoints for i, p in enumerate(people) if i != track[frame]
    ]


def _inside(kp, box, min_score=0.3):
    ok = kp[:, 2] > min_score
    x, y = kp[ok, 0], kp[ok, 1]
    return ((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])).mean()


def _crop_box(box, expand=1.25, aspect=192 / 256):
    from pipeline.pose2d.mmpose_backend import box_to_center_scale

    c, s = box_to_center_scale(box, aspect, expand)
    return np.r_[c - s / 2, c + s / 2]


needs_demo = pytest.mark.skipif(
    not (DEMO / "videos" / "cam01.mp4").is_file(), reason="shared pose2sim demo absent"
)
needs_mediapipe = pytest.mark.skipif(
    importlib.util.find_spec("mediapipe") is None, reason="mediapipe absent"
)


@needs_demo
@needs_mediapipe
@pytest.mark.parametrize("cam", ["cam01", "cam02", "cam03", "cam04"])
def test_detector_boxes_the_runner_not_the_bystander(cam):
    """Frames 0 and 50 of each camera (cam01 and cam02 show a bystander in the background, as
    OpenPose's second person): the chosen box's crop holds every runner keypoint OpenPose
    found (score > 0.3), the box centre lies in OpenPose's runner box, and no bystander
    keypoint falls inside the box."""
    from pipeline.pose2d.person_boxes import BlazePersonDetector

    detector = BlazePersonDetector()
    frames = _first_frames(cam, 51)
    bystanders = 0
    for f in (0, 50):
        frame = frames[f]
        box = choose_box(detector(frame), (frame.shape[1], frame.shape[0]))
        assert box is not None, (cam, f)
        runner, others = _openpose_people(cam, f)
        assert _inside(runner, _crop_box(box)) == 1.0, (cam, f, box)
        ok = runner[:, 2] > 0.3
        x0, y0 = runner[ok, :2].min(0)
        x1, y1 = runner[ok, :2].max(0)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        assert x0 <= cx <= x1 and y0 <= cy <= y1, (cam, f, box)
        # the box spans the runner's height within 15 % (OpenPose: head top to heels)
        # the body-circle box is loose: 1.03-1.30 x the runner's OpenPose height here (measured)
        assert 1.0 <= (box[3] - box[1]) / (y1 - y0) < 1.35, (cam, f, box, (y0, y1))
        for other in others:
            bystanders += 1
            assert _inside(other, box) == 0.0, (cam, f, box)
    detector.close()
    assert bystanders == (2 if cam in ("cam01", "cam02") else 0)  # the scene as OpenPose saw it


def _composite(scale, x):
    """cam01's first frame with cam03's runner pasted at `scale`, left edge at x, top at y=250."""
    frame = _first_frames("cam01", 1)[0]
    donor = _first_frames("cam03", 1)[0]
    paste = cv2.resize(donor[250:1200, 480:830], None, fx=scale, fy=scale)
    frame[250 : 250 + paste.shape[0], x : x + paste.shape[1]] = paste
    return frame, np.array([x, 250, x + paste.shape[1], 250 + paste.shape[0]], float)


@needs_demo
@needs_mediapipe
def test_composited_second_person_is_found_and_not_chosen():
    """The demo has no bystander the detector sees, so one is composited: cam03's runner
    pasted (0.8x) beside cam01's runner. With min_score 0.3 the detector reports both (the
    pasted one at about 0.33); at the start the runner is chosen; after a loss the box
    overlapping the last known box is chosen, whichever person that is. At the default 0.5
    only the runner is reported."""
    from pipeline.pose2d.person_boxes import BlazePersonDetector

    frame, pasted = _composite(0.8, 750)
    detector = BlazePersonDetector(min_score=0.3)
    dets = detector(frame)
    detector.close()
    assert len(dets) == 2
    centres = sorted((b[0] + b[2]) / 2 for b, _ in dets)
    assert centres[0] < 500 < 700 < centres[1]  # runner x ~420, pasted x ~760
    runner, _ = _openpose_people("cam01", 0)
    start = choose_box(dets, (frame.shape[1], frame.shape[0]))
    assert _inside(runner, _crop_box(start)) == 1.0 and (start[0] + start[2]) / 2 < 500
    after_loss = choose_box(dets, (frame.shape[1], frame.shape[0]), last=pasted)
    assert (after_loss[0] + after_loss[2]) / 2 > 700
    detector = BlazePersonDetector()
    assert len(detector(frame)) == 1
    detector.close()


@needs_demo
@needs_mediapipe
def test_full_size_second_person_is_a_second_detection():
    """The copy pasted at full size beside the runner is found at the default threshold too
    (scores measured 0.95 for the copy, 0.53 for the runner); the start rule's merits were a
    near tie there (280291 runner vs 278409 copy), so which one it picks is not asserted:
    docs/pose2d.md says so. Both boxes are candidates; each holds its own person."""
    from pipeline.pose2d.person_boxes import BlazePersonDetector

    frame, pasted = _composite(1.0, 650)
    detector = BlazePersonDetector()
    dets = detector(frame)
    detector.close()
    assert len(dets) == 2
    runner, _ = _openpose_people("cam01", 0)
    by_x = sorted((b for b, _ in dets), key=lambda b: b[0] + b[2])
    assert _inside(runner, _crop_box(by_x[0])) == 1.0
    cx = (by_x[1][0] + by_x[1][2]) / 2
    assert pasted[0] < cx < pasted[2]


def test_choose_box_rules():
    runner, bystander = np.array([400.0, 300, 700, 1100]), np.array([0.0, 300, 100, 700])
    assert choose_box([], (1080, 1920)) is None
    assert choose_box([(bystander, 0.9), (runner, 0.8)], (1080, 1920)) is runner  # size, centrality
    assert (
        choose_box(
            [(bystander, 0.9), (runner, 0.8)], (1080, 1920), last=np.array([20.0, 400, 80, 600])
        )
        is bystander
    )
    # last box overlapping nothing: back to the start rule
    assert (
        choose_box(
            [(bystander, 0.9), (runner, 0.8)], (1080, 1920), last=np.array([900.0, 0, 1000, 50])
        )
        is runner
    )


@pytest.fixture(scope="module")
def backend():
    if importlib.util.find_spec("mmpose") is None:
        pytest.skip("mmpose is not installed")
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend

    return RTMPoseBackend(
        "rtmpose-t", allow_random_weights=True, device="cpu", batch_size=2, min_person_score=0.5
    )


class FakeDetector:
    """Test double for a person detector: fixed boxes, counts the frames it was asked about."""

    def __init__(self, dets):
        self.dets, self.calls = dets, 0

    def __call__(self, frame):
        self.calls += 1
        return self.dets


def _fake_keypoints(where, score=1.0):
    """Test double for the network: every crop's keypoints in a small cluster at `where`
    (crop px), so the tracking rules can be driven."""

    def infer(crops):
        n = len(crops)
        kps = np.tile(np.asarray(where, float), (n, 26, 1)) + np.linspace(0, 4, 26)[None, :, None]
        return kps, np.full((n, 26), score)

    return infer


@pytest.mark.parametrize(
    "where,score,expect_calls",
    [
        (
            (80, 100),
            1.0,
            1,
        ),  # keypoints well inside the crop: detector only on the first pass's first frame
        (
            (1, 100),
            1.0,
            3,
        ),  # at the crop's left edge: the runner leaves the box -> re-detect every pass
        ((80, 100), 0.1, 3),  # score below min_person_score: lost -> re-detect every pass
    ],
)
def test_rtmpose_asks_the_detector_at_start_and_after_a_loss(
    backend, monkeypatch, where, score, expect_calls
):
    runner = np.array([30.0, 20, 70, 140])
    detector = FakeDetector([(np.array([0.0, 20, 12, 60]), 0.9), (runner, 0.8)])
    seen = []
    people = backend._people
    monkeypatch.setattr(backend, "person_boxes", detector)
    monkeypatch.setattr(backend, "infer_crops", _fake_keypoints(where, score))
    monkeypatch.setattr(
        backend, "_people", lambda fr, boxes, ex: seen.append(boxes) or people(fr, boxes, ex)
    )
    frames = [np.full((160, 96, 3), 90, np.uint8) for _ in range(6)]
    out = list(backend.detect(frames))
    assert detector.calls == expect_calls and len(out) == 6
    assert all(np.array_equal(b[0], runner) for b in seen[0])  # first pass: the runner's box
    assert [len(p) for p in out] == ([1] * 6 if score >= 0.5 else [0] * 6)


def test_detector_finding_nobody_gives_no_candidate(backend, monkeypatch):
    detector = FakeDetector([])
    monkeypatch.setattr(backend, "person_boxes", detector)
    monkeypatch.setattr(backend, "infer_crops", _fake_keypoints((80, 100)))
    out = list(backend.detect([np.full((160, 96, 3), 90, np.uint8)] * 3))
    assert [len(p) for p in out] == [0, 0, 0] and detector.calls == 3


def test_detector_asked_until_it_finds_the_runner_then_once_per_camera(backend, monkeypatch):
    """In a pass after a loss, each camera asks the detector frame by frame until it finds the
    runner; its later frames of the pass take that box (2 cameras x 2 frames per pass)."""
    runner = np.array([30.0, 20, 70, 140])
    answers = iter([[], [(runner, 0.8)], [(runner, 0.8)]])  # cam0 f0, cam1 f0, cam0 f1
    seen = []
    people = backend._people
    monkeypatch.setattr(backend, "person_boxes", lambda frame: next(answers))
    monkeypatch.setattr(backend, "infer_crops", _fake_keypoints((80, 100)))
    monkeypatch.setattr(
        backend, "_people", lambda fr, boxes, ex: seen.append(boxes) or people(fr, boxes, ex)
    )
    monkeypatch.setattr(backend, "batch_size", 4)
    frame = np.full((160, 96, 3), 90, np.uint8)
    out = list(backend.detect_cameras([(frame, frame)] * 4))
    assert next(answers, "all used") == "all used"  # 3 calls: cam0 twice, cam1 once
    first = seen[0]  # step-major: cam0 f0, cam1 f0, cam0 f1, cam1 f1
    assert first[0] == [] and all(np.array_equal(b[0], runner) for b in first[1:])
    assert [[len(p) for p in step] for step in out] == [[0, 1], [1, 1], [1, 1], [1, 1]]


def test_config_chooses_the_box_source(monkeypatch):
    """detector.rtmpose.person_boxes: blazepose builds mediapipe's detector for the backend;
    full_frame passes none (the former behaviour); mmdet builds the lab's mmdet detector."""
    import pipeline.pose2d.mmpose_backend as mb
    import pipeline.pose2d.person_boxes as pb
    from pipeline.config import DetectorBackend, DetectorConfig, PersonBoxes, RTMPoseConfig
    from pipeline.pose2d.run import make_backend

    built = []
    monkeypatch.setattr(mb, "RTMPoseBackend", lambda *a, **k: built.append(k) or k)
    monkeypatch.setattr(pb, "BlazePersonDetector", lambda min_score: ("detector", min_score))
    monkeypatch.setattr(pb, "MMDetPersonDetector", lambda *a: ("mmdet",) + a)
    mmdet = dict(mmdet_checkpoint="d.pth", mmdet_checkpoint_sha256="a" * 64, device="cpu")
    for boxes, expect in (
        (PersonBoxes.blazepose, ("detector", 0.4)),
        (PersonBoxes.full_frame, None),
        (PersonBoxes.mmdet, ("mmdet", "rtmdet-m-person", "d.pth", "a" * 64, 0.4, "cpu", False)),
    ):
        cfg = DetectorConfig(
            backend=DetectorBackend.rtmpose,
            rtmpose=RTMPoseConfig(person_boxes=boxes, person_detector_min_score=0.4, **mmdet),
        )
        assert make_backend(cfg)["person_boxes"] == expect


NANO = "demo/mmdetection_cfg/rtmdet_nano_320-8xb32_coco-person.py"


@pytest.fixture(scope="module")
def nano_checkpoint(tmp_path_factory):
    """RTMDet-nano person detector (config shipped with mmpose) with random weights, saved as a
    checkpoint the way OpenMMLab does; and one with a weight of another shape."""
    if importlib.util.find_spec("mmdet") is None or importlib.util.find_spec("mmpose") is None:
        pytest.skip("mmdet / mmpose not installed")
    import hashlib
    import warnings

    import torch

    from pipeline.pose2d import mmcv_compat

    torch.manual_seed(0)
    from pipeline.pose2d.checkpoints import shipped_config_dir

    mmcv_compat.install()
    config = shipped_config_dir().parent / NANO
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mmdet.apis import init_detector

        state = init_detector(str(config), None, device="cpu").state_dict()
    folder = tmp_path_factory.mktemp("rtmdet")
    out = {}
    for name, st in (
        ("ok", state),
        ("other", {**state, "backbone.stem.0.conv.weight": torch.zeros(7, 3, 3, 3)}),
    ):
        path = folder / f"{name}.pth"
        torch.save({"state_dict": st, "meta": {}}, path)
        out[name] = (path, hashlib.sha256(path.read_bytes()).hexdigest())
    return config, out


def test_mmdet_person_boxes_from_a_verified_checkpoint(nano_checkpoint):
    from pipeline.pose2d.checkpoints import CheckpointError
    from pipeline.pose2d.person_boxes import MMDetPersonDetector

    config, ckpts = nano_checkpoint
    path, digest = ckpts["ok"]
    frame = np.random.default_rng(0).integers(0, 255, (160, 96, 3), dtype=np.uint8)
    every = MMDetPersonDetector(str(config), str(path), digest, min_score=0.0)(frame)
    # random weights: scores mean nothing, so check the plumbing: finite boxes, best first,
    # and the threshold keeps exactly the detections at or above it
    assert every and all(b.shape == (4,) and np.isfinite(b).all() for b, _ in every)
    scores = [s for _, s in every]
    assert scores == sorted(scores, reverse=True)
    cut = scores[len(scores) // 2]
    kept = MMDetPersonDetector(str(config), str(path), digest, min_score=cut)(frame)
    assert [s for _, s in kept] == [s for s in scores if s >= cut] and kept
    assert (
        MMDetPersonDetector(str(config), str(path), digest, min_score=scores[0] + 1e-6)(frame) == []
    )
    with pytest.raises(CheckpointError, match="does not match"):
        MMDetPersonDetector(str(config), str(path), "0" * 64)
    other, other_digest = ckpts["other"]
    with pytest.raises(CheckpointError) as e:
        MMDetPersonDetector(str(config), str(other), other_digest)
    assert str(other) in str(e.value) and str(config) in str(e.value)
    assert "backbone.stem.0.conv.weight [7, 3, 3, 3] vs [" in str(e.value)


def test_mmdet_config_outside_the_shipped_ones_is_refused(tmp_path):
    from pipeline.pose2d.checkpoints import ConfigCodeError
    from pipeline.pose2d.person_boxes import resolve_detector_config

    if importlib.util.find_spec("mmpose") is None:
        pytest.skip("mmpose not installed")
    own = tmp_path / "mine.py"
    own.write_text("import os\n")
    with pytest.raises(ConfigCodeError, match="run_config_code"):
        resolve_detector_config(str(own))
    assert resolve_detector_config(str(own), run_config_code=True) == own
    assert resolve_detector_config("rtmdet-m-person").name == "rtmdet_m_640-8xb32_coco-person.py"


def test_mmdet_boxes_need_a_checkpoint_in_config():
    from scenes import REPO

    from pipeline.config import ConfigError, compose

    with pytest.raises(ConfigError, match="mmdet_checkpoint"):
        compose(REPO / "conf", ["detector=rtmpose", "detector.rtmpose.person_boxes=mmdet"])
    cfg = compose(
        REPO / "conf",
        [
            "detector=rtmpose",
            "detector.rtmpose.person_boxes=mmdet",
            "detector.rtmpose.mmdet_checkpoint=m.pth",
            f"detector.rtmpose.mmdet_checkpoint_sha256={'a' * 64}",
        ],
    )
    assert cfg.detector.rtmpose.mmdet_model == "rtmdet-m-person"
