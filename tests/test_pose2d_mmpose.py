"""RTMPose through mmpose on CPU with random weights: config, checkpoint hash, batching, crops."""

import hashlib
import importlib.util

import cv2
import numpy as np
import pytest

from pipeline.core.skeleton import INDEX, KEYPOINTS, N_KEYPOINTS
from pipeline.pose2d.checkpoints import verify_checkpoint
from pipeline.pose2d.mmpose_backend import (
    CheckpointError,
    RTMPoseBackend,
    apply_affine,
    box_to_center_scale,
    crop,
    crop_matrix,
    invert_affine,
    mapping_from_names,
    resolve_config,
)

if importlib.util.find_spec("mmpose") is None:
    pytest.skip("mmpose is not installed", allow_module_level=True)
import torch  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of random weights for RTMPose-t, written the way OpenMMLab training writes
    them: meta with the dataset_meta (numpy arrays) and the training log (mmengine objects),
    which runlab reads with weights_only=True (pipeline/pose2d/checkpoints.py)."""
    from mmengine.logging import HistoryBuffer

    backend = RTMPoseBackend("rtmpose-t", allow_random_weights=True, device="cpu")
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "rtmpose-t-random.pth"
    loss = HistoryBuffer()
    loss.update(0.5)
    torch.save(
        {
            "state_dict": backend.model.state_dict(),
            "meta": {"dataset_meta": backend.model.dataset_meta, "epoch": 700},
            "message_hub": {"log_scalars": {"train/loss": loss}, "runtime_info": {"iter": 1}},
        },
        path,
    )
    return path, hashlib.sha256(path.read_bytes()).hexdigest(), backend


def test_shipped_configs_resolve():
    for name in ("rtmpose-t", "rtmpose-s", "rtmpose-m"):
        assert resolve_config(name).is_file()
    assert resolve_config("rtmpose-m").name == "rtmpose-m_8xb512-700e_body8-halpe26-256x192.py"


def test_checkpoint_hash_checked(checkpoint, tmp_path):
    path, digest, _ = checkpoint
    assert verify_checkpoint(path, digest.upper()) == digest
    with pytest.raises(CheckpointError) as e:
        verify_checkpoint(path, "0" * 64)
    assert str(path) in str(e.value) and digest in str(e.value) and "0" * 64 in str(e.value)
    with pytest.raises(CheckpointError, match="not found"):
        verify_checkpoint(tmp_path / "absent.pth", digest)
    with pytest.raises(CheckpointError, match="no expected sha256"):
        verify_checkpoint(path, None)
    with pytest.raises(CheckpointError, match="does not match"):
        RTMPoseBackend("rtmpose-t", checkpoint=path, sha256="f" * 64, device="cpu")
    with pytest.raises(CheckpointError, match="needs a checkpoint"):
        RTMPoseBackend("rtmpose-t", device="cpu")


def test_loaded_checkpoint_runs_batched(checkpoint):
    path, digest, reference = checkpoint
    backend = RTMPoseBackend(
        "rtmpose-t",
        checkpoint=path,
        sha256=digest,
        device="cpu",
        batch_size=3,
        min_person_score=0.0,
    )
    assert backend.device == "cpu"
    for a, b in zip(backend.model.state_dict().values(), reference.model.state_dict().values()):
        assert torch.equal(a, b)
    assert backend.mapping.table == {k: i for i, k in enumerate(KEYPOINTS)}  # Halpe-26 identity
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (5, 256, 192, 3), dtype=np.uint8)
    kps, scores = backend.infer_crops(crops)
    assert kps.shape == (5, N_KEYPOINTS, 2) and scores.shape == (5, N_KEYPOINTS)
    assert ((scores >= 0) & (scores <= 1)).all()
    # batch size does not change the result
    backend.batch_size = 5
    kps5, _ = backend.infer_crops(crops)
    np.testing.assert_allclose(kps5, kps, atol=1e-3)
    # whole frames (portrait, small): one candidate per frame, full-frame coordinates
    frames = [rng.integers(0, 255, (160, 96, 3), dtype=np.uint8) for _ in range(4)]
    backend.batch_size = 2
    out = list(backend.detect(iter(frames)))
    assert len(out) == 4 and all(len(p) == 1 for p in out)
    kp = out[0][0].keypoints
    assert kp.shape == (N_KEYPOINTS, 3)
    # first batch uses the full frame: widened to 192:256, so x may leave the frame by the padding
    assert np.nanmin(kp[:, 1]) >= -1 and np.nanmax(kp[:, 1]) <= 160
    # external boxes: one candidate per box
    boxed = list(backend.detect(frames[:2], boxes=[[[0, 0, 40, 80], [50, 60, 90, 150]], []]))
    assert [len(p) for p in boxed] == [2, 0]


def test_crop_round_trip_maps_back_to_the_frame():
    frame = np.zeros((1920, 1088, 3), np.uint8)
    point = np.array([612.3, 1180.7])
    cv2.circle(
        frame,
        (int(round(point[0] * 16)), int(round(point[1] * 16))),
        6 * 16,
        (255, 255, 255),
        -1,
        cv2.LINE_AA,
        shift=4,
    )
    center, scale = box_to_center_scale(np.array([400, 700, 800, 1500]), 192 / 256, 1.25)
    assert np.isclose(scale[0] / scale[1], 192 / 256)
    m = crop_matrix(center, scale, (192, 256))
    inv = invert_affine(m)
    np.testing.assert_allclose(apply_affine(inv, apply_affine(m, point)), point, atol=1e-9)
    # the box centre lands in the crop centre and the corners on the crop's border
    np.testing.assert_allclose(apply_affine(m, center), [96, 128])
    np.testing.assert_allclose(apply_affine(m, center - scale / 2), [0, 0], atol=1e-9)
    # through the pixels: find the dot in the crop, map its centroid back
    patch = crop(frame, m, (192, 256)).astype(float)[..., 0]
    ys, xs = np.mgrid[:256, :192]
    found = np.array([(patch * xs).sum(), (patch * ys).sum()]) / patch.sum()
    back = apply_affine(inv, found)
    assert np.linalg.norm(back - point) < 0.5, (back, point)


def test_mapping_by_name_for_a_coco_model():
    coco17 = list(KEYPOINTS[:17])
    m = mapping_from_names(coco17, "coco17")
    assert m.table["head"] == (INDEX["left_ear"], INDEX["right_ear"])
    assert m.table["neck"] == (5, 6) and m.table["hip"] == (11, 12)
    assert "left_big_toe" in m.unavailable and "left_heel" in m.unavailable


def test_compat_module_installed_only_where_needed():
    from pipeline.pose2d import mmcv_compat

    state = mmcv_compat.install()
    if importlib.util.find_spec("mmcv._ext") is None:
        import mmcv.ops

        assert state["mmcv.ops"]
        boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.0]])
        dets, keep = mmcv.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
        assert keep.tolist() == [0, 2] and dets.shape == (2, 5)
        with pytest.raises(mmcv_compat.MissingCompiledOp):
            mmcv.ops.DeformConv2d(1, 1, 3)
    else:
        assert not state["mmcv.ops"]


def _runner_video(path, n_frames, shift, absent=()):
    """A small portrait video of a white stick figure walking right; frames in `absent` show
    only the grey background (no person)."""
    from pipeline.io.video import video_writer

    with video_writer(path, 30.0, (96, 160)) as write:
        for f in range(n_frames):
            img = np.full((160, 96, 3), 90, np.uint8)
            if f not in absent:
                x = 40 + shift + 3 * f
                for a, b in [
                    ((x, 25), (x, 90)),
                    ((x, 90), (x - 10, 150)),
                    ((x, 90), (x + 12, 150)),
                    ((x, 45), (x - 18, 75)),
                    ((x, 45), (x + 18, 75)),
                ]:
                    cv2.line(img, a, b, (230, 230, 230), 4)
                cv2.circle(img, (x, 25), 9, (230, 230, 230), -1)
            write(img)
    return path


def test_batching_across_cameras_matches_per_camera(checkpoint, tmp_path, monkeypatch):
    """3 cameras x 5 frames, camera 1 without a person in frames 1-3. Per camera with
    batch_size=2 vs all cameras in lockstep with batch_size=6 (= 2 frames of each of the 3
    cameras per pass, so every camera's boxes come from the same frames in both paths): the
    same candidates, gaps in the same frames, and 3 forward passes instead of 9."""
    import pipeline.io.video as video
    from pipeline.pose2d.base import detect_cameras, detect_video, select_runners

    path, digest, _ = checkpoint
    n_frames, absent = 5, (1, 2, 3)
    videos = [
        _runner_video(tmp_path / f"cam{c}.mp4", n_frames, 6 * c, absent if c == 1 else ())
        for c in range(3)
    ]
    backend = RTMPoseBackend(
        "rtmpose-t", checkpoint=path, sha256=digest, device="cpu", min_person_score=0.5
    )
    # Random weights score everything 1.0, so stand in for a trained model's "nobody here": a crop
    # without the figure's bright pixels scores 0 (the keypoints still come from the network).
    infer = backend.infer_crops

    def infer_scoring_presence(crops):
        kps, scores = infer(crops)
        return kps, scores * (crops.max(axis=(1, 2, 3)) >= 200)[:, None]

    monkeypatch.setattr(backend, "infer_crops", infer_scoring_presence)
    passes, decoded = [], []
    extract = backend.model.extract_feat
    monkeypatch.setattr(
        backend.model, "extract_feat", lambda x: passes.append(len(x)) or extract(x)
    )
    iter_frames = video.iter_frames
    monkeypatch.setattr(video, "iter_frames", lambda p: decoded.append(p) or iter_frames(p))

    backend.batch_size = 2
    per_camera = [detect_video(backend, v) for v in videos]
    assert passes == [2, 2, 1] * 3
    passes.clear()
    backend.batch_size = 6
    across = detect_cameras(backend, videos)
    assert passes == [6, 6, 3]  # each pass: 2 frames x 3 cameras (last: 1 x 3)
    assert decoded == videos * 2  # each video decoded once per path
    # Frame 0 crops the full frame, where the figure is; camera 1 has no figure in frames 1-3.
    # (Later frames crop a box from random-weight keypoints, which may miss the figure: the
    # track is then lost and re-found; the counts are compared between the paths below.)
    assert [len(cam[0]) for cam in across] == [1, 1, 1]
    assert [len(p) for p in across[1][1:4]] == [0, 0, 0]
    for cam_a, cam_b in zip(across, per_camera):
        assert [len(p) for p in cam_a] == [len(p) for p in cam_b]
        for people_a, people_b in zip(cam_a, cam_b):
            for a, b in zip(people_a, people_b):
                # keypoints are SimCC argmax locations (0.5 crop px steps) through the same
                # inverse affine: a different fp32 batch composition may only move them by
                # round-off (or flip an exact argmax tie, which these weights do not have)
                np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3, rtol=0)
                np.testing.assert_allclose(a.bbox, b.bbox, atol=1e-3, rtol=0)
    points = select_runners(across)
    assert points.shape == (3, n_frames, N_KEYPOINTS, 3)
    assert (
        np.isnan(points[1, 1:4, :, :2]).all() and (points[1, 1:4, :, 2] == 0).all()
    )  # explicit gap
    # (Whether the runner track keeps cameras 0 and 2 in every frame is not asserted: with
    # random weights the keypoints are arbitrary, and thread scheduling in the CPU kernels can
    # move them enough to break the frame-to-frame track; runner selection has its own tests.)


def test_detect_cameras_falls_back_and_refuses_unequal_videos(tmp_path):
    """A backend without detect_cameras runs per camera; lockstep decoding refuses a camera
    whose video ends early (a VideoError, not a silently shorter recording)."""
    from pipeline.io.video import VideoError
    from pipeline.pose2d.base import detect_cameras, iter_lockstep

    class PerImage:
        name = "per-image"

        def detect(self, frames):
            return ([] for _ in frames)

    videos = [_runner_video(tmp_path / "a.mp4", 4, 0), _runner_video(tmp_path / "b.mp4", 3, 0)]
    assert [len(c) for c in detect_cameras(PerImage(), videos)] == [4, 3]
    with pytest.raises(VideoError, match="b.mp4 ended after 3 frames"):
        list(iter_lockstep(videos))


def _random_checkpoint(config, path):
    """A checkpoint of random weights built from an mmpose config (as OpenMMLab saves them)."""
    from pipeline.pose2d.mmpose_backend import build_model

    model = build_model(config)
    torch.save(
        {"state_dict": model.state_dict(), "meta": {"dataset_meta": model.dataset_meta}}, path
    )
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_checkpoint_of_another_model_is_refused_naming_both(tmp_path):
    """Wrong architecture (an RTMPose-s file for the RTMPose-t config) and wrong keypoint count
    (a COCO-17 RTMPose-t file for the Halpe-26 config): refused before any inference, the
    message naming the checkpoint, the config and what differs."""
    from pipeline.pose2d.checkpoints import shipped_config_dir

    wrong_size = _random_checkpoint("rtmpose-s", tmp_path / "s.pth")
    with pytest.raises(CheckpointError) as e:
        RTMPoseBackend("rtmpose-t", checkpoint=wrong_size[0], sha256=wrong_size[1], device="cpu")
    msg = str(e.value)
    assert str(wrong_size[0]) in msg and "config rtmpose-t" in msg
    assert "the checkpoint is 26 keypoints, RTMPose-s, the config 26 keypoints, RTMPose-t" in msg
    assert "another shape, e.g. backbone.stem.0.conv.weight [16, 3, 3, 3] vs [12, 3, 3, 3]" in msg
    coco = (
        shipped_config_dir()
        / "body_2d_keypoint/rtmpose/body8/rtmpose-t_8xb256-420e_body8-256x192.py"
    )
    wrong_kpts = _random_checkpoint(coco, tmp_path / "coco17.pth")
    with pytest.raises(CheckpointError) as e:
        RTMPoseBackend("rtmpose-t", checkpoint=wrong_kpts[0], sha256=wrong_kpts[1], device="cpu")
    msg = str(e.value)
    assert str(wrong_kpts[0]) in msg and "the checkpoint has 17 keypoints, the config 26" in msg
    assert "head.final_layer.weight [17," in msg
