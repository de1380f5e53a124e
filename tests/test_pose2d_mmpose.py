"""RTMPose through mmpose on CPU with random weights: config, checkpoint hash, batching, crops."""
import hashlib

import cv2
import numpy as np
import pytest

from pipeline.pose2d.mmpose_backend import (CheckpointError, RTMPoseBackend, apply_affine,
                                            box_to_center_scale, crop, crop_matrix, invert_affine,
                                            mapping_from_names, resolve_config, verify_checkpoint)
from pipeline.skeleton import INDEX, KEYPOINTS, N_KEYPOINTS

import importlib.util

if importlib.util.find_spec("mmpose") is None:
    pytest.skip("mmpose is not installed", allow_module_level=True)
import torch  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of random weights for RTMPose-t, written the way a lab file would be."""
    backend = RTMPoseBackend("rtmpose-t", allow_random_weights=True, device="cpu")
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "rtmpose-t-random.pth"
    torch.save({"state_dict": backend.model.state_dict(), "meta": {}}, path)
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
    backend = RTMPoseBackend("rtmpose-t", checkpoint=path, sha256=digest, device="cpu",
                             batch_size=3, min_person_score=0.0)
    assert backend.device == "cpu"
    for a, b in zip(backend.model.state_dict().values(), reference.model.state_dict().values()):
        assert torch.equal(a, b)
    assert backend.mapping.table == {k: i for i, k in enumerate(KEYPOINTS)}   # Halpe-26 identity
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
    cv2.circle(frame, (int(round(point[0] * 16)), int(round(point[1] * 16))), 6 * 16, (255, 255, 255),
               -1, cv2.LINE_AA, shift=4)
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
        boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.]])
        dets, keep = mmcv.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
        assert keep.tolist() == [0, 2] and dets.shape == (2, 5)
        with pytest.raises(mmcv_compat.MissingCompiledOp):
            mmcv.ops.DeformConv2d(1, 1, 3)
    else:
        assert not state["mmcv.ops"]
