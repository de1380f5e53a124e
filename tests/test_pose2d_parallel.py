"""The detect stage's pipeline (pipeline/pose2d/parallel.py, issue #30): decoding ahead of
inference in bounded queues, cameras in parallel, crops batched across cameras. Results must be
the sequential path's (`base.detect_cameras`) frame for frame; bad input (a video that stops
decoding part-way, a dying worker, a stalled queue) is a DetectionError naming the camera and
the frame, never a hang, and the stage then writes no keypoints file.

`FrameStatsBackend` is a test double: a deterministic "detector" whose keypoints are simple
statistics of the frame, so identical results mean identical frames reached it in order."""

from __future__ import annotations

import itertools
import threading
import time

import cv2
import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.config import ConfigError, DetectorConfig
from pipeline.pose2d.base import Person, detect_cameras
from pipeline.pose2d.parallel import (
    DecodeAhead,
    DetectionError,
    default_workers,
    detect_cameras_parallel,
    model_threads,
)

DEMO = SHARED_DATA / "pose2sim-demo" / "balancing" / "videos"


class FrameStatsBackend:
    """Test double: one candidate per frame, keypoint k = (row-band mean, column-band mean, 0.9)."""

    name = "frame-stats"

    def __init__(self, fail_on=None):
        self.fail_on = fail_on  # (camera value, frame): raise on that frame

    def detect(self, frames):
        for f, frame in enumerate(frames):
            if (
                self.fail_on is not None
                and abs(float(frame[..., 2].mean()) - self.fail_on[0]) < 6
                and f == self.fail_on[1]
            ):
                raise RuntimeError("model crashed")
            rows = frame.mean(axis=(1, 2))[: 26 * (frame.shape[0] // 26)].reshape(26, -1).mean(1)
            cols = frame.mean(axis=(0, 2))[: 26 * (frame.shape[1] // 26)].reshape(26, -1).mean(1)
            kp = np.stack([rows + 1, cols + 1, np.full(26, 0.9)], axis=1)
            yield [Person.from_keypoints(kp)]


def _videos(folder, n_cams=3, n_frames=20, size=(104, 52)):
    """Camera c: its own red level (30 + 60 c, for FrameStatsBackend.fail_on), random texture."""
    rng = np.random.default_rng(1)
    paths = []
    for c in range(n_cams):
        path = folder / f"cam{c}.mp4"
        w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, size)
        for _ in range(n_frames):
            frame = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
            frame[..., 2] = 30 + 60 * c
            w.write(frame)
        w.release()
        paths.append(path)
    return paths


def _our_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith(("decode-", "detect-"))]


def _points(candidates):
    return [
        [np.stack([p.keypoints for p in ps]) if ps else None for ps in cam] for cam in candidates
    ]


def _same(a, b):
    assert len(a) == len(b)
    for ca, cb in zip(_points(a), _points(b)):
        assert len(ca) == len(cb)
        for fa, fb in zip(ca, cb):
            assert (fa is None) == (fb is None)
            if fa is not None:
                np.testing.assert_array_equal(fa, fb)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_cameras_equal_the_sequential_path(tmp_path, workers):
    videos = _videos(tmp_path)
    sequential = detect_cameras(FrameStatsBackend(), videos)
    parallel = detect_cameras_parallel(
        FrameStatsBackend, videos, workers=workers, queue_depth=2, progress_bar=False
    )
    assert [len(c) for c in parallel] == [20, 20, 20]
    _same(sequential, parallel)


@pytest.mark.skipif(not DEMO.is_dir(), reason="pose2sim demo videos not in ../shared")
def test_blazepose_on_demo_cameras_equals_the_sequential_path(tmp_path):
    """Real BlazePose (weights in the mediapipe wheel), 2 demo cameras x 6 frames, 2 workers."""
    pytest.importorskip("mediapipe")
    from pipeline.io.video import iter_frames, video_writer
    from pipeline.pose2d.blazepose import BlazePoseBackend

    clips = []
    for cam in ("cam01", "cam02"):
        frames = list(itertools.islice(iter_frames(DEMO / f"{cam}.mp4"), 6))
        with video_writer(
            tmp_path / f"{cam}.mp4", 60.0, (frames[0].shape[1], frames[0].shape[0])
        ) as write:
            for frame in frames:
                write(frame)
        clips.append(tmp_path / f"{cam}.mp4")
    sequential = detect_cameras(BlazePoseBackend(), clips)
    parallel = detect_cameras_parallel(BlazePoseBackend, clips, workers=2, progress_bar=False)
    assert sum(len(ps) for cam in parallel for ps in cam) >= 10  # the runner is found
    _same(sequential, parallel)


def test_rtmpose_batched_across_cameras_equals_the_sequential_path(tmp_path):
    """Random-weight RTMPose-t (speed path only), full-frame boxes, 3 cameras in one pass."""
    pytest.importorskip("mmpose")
    import torch

    from pipeline.pose2d.mmpose_backend import RTMPoseBackend

    videos = _videos(tmp_path, n_frames=7, size=(96, 128))
    threads = torch.get_num_threads()
    try:  # on the stage's torch threads (one core left to decoding)
        backend = RTMPoseBackend(
            "rtmpose-t",
            allow_random_weights=True,
            device="cpu",
            batch_size=6,
            cpu_threads=model_threads(0),
        )
        assert torch.get_num_threads() == model_threads(0)
        sequential = detect_cameras(backend, videos)
        parallel = detect_cameras_parallel(
            lambda: backend, videos, queue_depth=1, progress_bar=False
        )
    finally:
        torch.set_num_threads(threads)
    _same(sequential, parallel)


def test_video_failing_to_decode_part_way_names_camera_and_frame(tmp_path):
    videos = _videos(tmp_path, n_cams=2, n_frames=40, size=(160, 120))
    data = bytearray(videos[1].read_bytes())
    n = len(data)
    data[n // 2 : n // 2 + n // 4] = bytes(n // 4)  # header intact, later frames gone
    videos[1].write_bytes(bytes(data))
    for workers in (1, 2):
        with pytest.raises(
            DetectionError,
            match=r"camera cam1, frame \d+: .*cam1.mp4 stopped "
            r"decoding after \d+ of its 40 frames",
        ) as err:
            detect_cameras_parallel(FrameStatsBackend, videos, workers=workers, progress_bar=False)
        assert 0 < err.value.frame < 40 and err.value.camera == "cam1"
    assert not _our_threads()  # every thread was joined


def test_dying_worker_names_camera_and_frame_and_stops_the_others(tmp_path):
    videos = _videos(tmp_path, n_cams=3, n_frames=30)
    t0 = time.monotonic()
    with pytest.raises(
        DetectionError,
        match=r"camera cam1, frame 4: frame-stats worker failed: "
        r"RuntimeError: model crashed",
    ):
        detect_cameras_parallel(
            lambda: FrameStatsBackend(fail_on=(90, 4)),
            videos,
            workers=2,
            queue_depth=2,
            progress_bar=False,
        )
    assert time.monotonic() - t0 < 30
    assert not _our_threads()


def test_a_stalled_decoder_is_an_error_not_a_hang(tmp_path):
    videos = _videos(tmp_path, n_cams=2, n_frames=5)
    never = threading.Event()

    def stalls(path):  # decoder test double: camera 1 hangs after 2 frames
        cap = cv2.VideoCapture(str(path))
        for f in itertools.count():
            ok, frame = cap.read()
            if not ok:
                return
            if path.stem == "cam1" and f == 2:
                never.wait(30)
            yield frame

    with pytest.raises(DetectionError, match=r"camera cam1, frame 2: no frame decoded for 0.5 s"):
        with DecodeAhead(videos, ["cam0", "cam1"], queue_depth=1, stall_s=0.5, frames=stalls) as d:
            list(d.lockstep())
    never.set()


def test_queue_is_bounded_while_inference_is_slow(tmp_path):
    """A slow consumer: the decoder never runs more than queue_depth (+1 in hand) frames ahead."""
    videos = _videos(tmp_path, n_cams=1, n_frames=20)
    decoded = [0]

    def counting(path):
        cap = cv2.VideoCapture(str(path))
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            decoded[0] += 1
            yield frame

    ahead = []
    with DecodeAhead(videos, ["cam0"], queue_depth=3, frames=counting) as d:
        for k, _ in enumerate(d.frames(0), start=1):
            time.sleep(0.02)
            ahead.append(decoded[0] - k)
    assert len(ahead) == 20 and max(ahead) <= 3 + 1


def test_workers_in_config():
    assert DetectorConfig().workers == 0 and default_workers(0) >= 1 and default_workers(3) == 3
    with pytest.raises(ConfigError, match="workers"):
        DetectorConfig(workers=-1)
    with pytest.raises(ConfigError, match="queue_depth"):
        DetectorConfig(queue_depth=0)


def test_model_threads_leave_a_core_to_decoding(monkeypatch):
    """detector.rtmpose.cpu_threads: 0 = every core but one (at least one), passed to the
    backend by the stage; a negative count is refused by name."""
    import pipeline.pose2d.mmpose_backend as mb
    from pipeline.config import DetectorBackend, PersonBoxes, RTMPoseConfig
    from pipeline.pose2d.run import make_backend

    assert model_threads(0) == max(1, default_workers(0) - 1) and model_threads(3) == 3
    with pytest.raises(ValueError, match="cpu_threads"):
        model_threads(-1)
    with pytest.raises(ConfigError, match="cpu_threads"):
        RTMPoseConfig(cpu_threads=-1)
    monkeypatch.setattr(mb, "RTMPoseBackend", lambda *a, **k: k)
    for given, expect in ((0, model_threads(0)), (5, 5)):
        cfg = DetectorConfig(
            backend=DetectorBackend.rtmpose,
            rtmpose=RTMPoseConfig(person_boxes=PersonBoxes.full_frame, cpu_threads=given),
        )
        assert make_backend(cfg)["cpu_threads"] == expect


def test_detect_stage_failing_part_way_writes_no_keypoints(tmp_path, monkeypatch):
    """The detect stage with a worker dying on cam_1: a named error, no keypoints file, no
    staging folder left behind."""
    from test_calibration_current import _config, _video, calibrate_double

    from pipeline.calibration.gates import PASS
    from pipeline.pose2d import run as pose_run
    from pipeline.stages import calibrate as calibrate_stage
    from pipeline.stages import detect
    from pipeline.study.paths import StudyPaths

    cfg = _config(tmp_path)
    cfg.detector.backend = type(cfg.detector.backend).blazepose
    paths = StudyPaths.from_config(cfg)
    for k, cam in enumerate(["cam_0", "cam_1"]):
        _video(paths.calibration_videos("s01")[k])
        _video(paths.trial_dir("t1") / f"{cam}.mp4", frames=6)
    monkeypatch.setattr(calibrate_stage, "calibrate", calibrate_double(PASS))
    calibrate_stage.run(cfg, "s01")
    # _video's frames are uniform grey 40 k: camera value check off, fail on frame 3 of a camera
    monkeypatch.setattr(pose_run, "make_backend", lambda c: FrameStatsBackend(fail_on=(80, 2)))
    with pytest.raises(DetectionError, match=r"camera cam_\d, frame 2: frame-stats worker failed"):
        detect.detect_trial(cfg, "t1")
    out = paths.keypoints2d_dir("t1")
    assert not paths.keypoints2d("t1").exists()
    assert not out.exists() or not any(out.iterdir())
    assert (
        not out.parent.exists()
        or [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    )


def test_gpu_stage_matches_cpu_sequential(tmp_path):
    """The `--device cuda --fp16` path: the same pipeline with crops batched across cameras on
    the GPU. fp32 on the GPU must give the CPU's keypoints (random weights: near-tied SimCC
    maxima may flip, so 95 % within 1 px); fp16 must run and give every frame. Runs only where
    CUDA exists (none was lent to issue #30: never run there)."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend

    videos = _videos(tmp_path, n_frames=5, size=(96, 128))
    cpu = RTMPoseBackend("rtmpose-t", allow_random_weights=True, device="cpu", person_boxes=None)
    sequential = _points(detect_cameras(cpu, videos))
    for fp16 in (False, True):
        gpu = RTMPoseBackend("rtmpose-t", allow_random_weights=True, device="cuda", fp16=fp16)
        gpu.model.load_state_dict(cpu.model.state_dict())
        out = _points(detect_cameras_parallel(lambda gpu=gpu: gpu, videos, progress_bar=False))
        assert [len(c) for c in out] == [5, 5, 5]
        if not fp16:
            d = [
                np.abs(fa[..., :2] - fb[..., :2]).max(axis=-1).ravel()
                for ca, cb in zip(sequential, out)
                for fa, fb in zip(ca, cb)
                if fa is not None and fb is not None
            ]
            d = np.concatenate(d)
            assert np.mean(d[np.isfinite(d)] <= 1.0) >= 0.95


def test_batching_backend_failing_names_the_pass(tmp_path):
    """A backend with native `detect_cameras` (all cameras per pass) failing mid-trial."""

    class Batching:
        name = "batching-double"

        def detect_cameras(self, steps):
            for f, step in enumerate(steps):
                if f == 5:
                    raise RuntimeError("out of memory")
                yield [[] for _ in step]

    videos = _videos(tmp_path, n_cams=2, n_frames=12)
    with pytest.raises(
        DetectionError,
        match=r"camera cam0\+cam1, frame 5: batching-double failed "
        r"in the forward pass starting at this frame: "
        r"RuntimeError: out of memory",
    ):
        detect_cameras_parallel(Batching, videos, queue_depth=1, progress_bar=False)
