"""Where a detect-stage frame's time goes, per backend (`benchmarks/detect.py --profile`).

The sequential path (one thread, so the parts add up) is run with timers wrapped around the
functions that do each part; nothing in pipeline/ is changed for it:
- decode: each frame pulled from `pipeline.io.video.iter_frames` (OpenCV);
- colour: BGR -> RGB (`cv2.cvtColor` in blazepose.py); for RTMPose the tensor conversion,
  BGR -> RGB and normalisation inside `infer_crops` (its time minus model and SimCC decode);
- person boxes: RTMPose's person detector calls (BlazePose's own detector runs inside
  `pose.process` and is counted as inference; the line gives how many frames ran it, from
  mediapipe's `pose_rect_from_detection` stream);
- crop: `mmpose_backend.crop` (cv2.warpAffine);
- inference: `Pose.process` (mediapipe graph) / the model's backbone + head;
- post-processing: everything else of the stage (landmarks -> Halpe-26, SimCC decode, inverse
  affine, tracking, runner selection);
- writing: `formats.write_keypoints2d` of the selected points.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PARTS = ("decode", "colour", "person boxes", "crop", "inference", "post-processing", "writing")


class Timers:
    def __init__(self):
        self.s = defaultdict(float)
        self.calls = defaultdict(int)

    def wrap(self, part, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            self.calls[part] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.s[part] += time.perf_counter() - t0

        return timed

    def wrap_iter(self, part, make_iter):
        def timed(*args, **kwargs):
            it = iter(make_iter(*args, **kwargs))
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    self.s[part] += time.perf_counter() - t0
                    return
                self.s[part] += time.perf_counter() - t0
                yield item

        return timed


class _Cv2Proxy:
    """cv2 with `cvtColor` timed (patched into blazepose.py's namespace only)."""

    def __init__(self, cv2, timers):
        self._cv2, self.cvtColor = cv2, timers.wrap("colour", cv2.cvtColor)

    def __getattr__(self, name):
        return getattr(self._cv2, name)


@contextlib.contextmanager
def _patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def profile(backend, clips, names) -> tuple[dict, int]:
    """Seconds per part over the sequential path of `clips` and the camera-frames run."""
    import pipeline.io.video as video
    from pipeline.io import formats
    from pipeline.pose2d import blazepose, mmpose_backend
    from pipeline.pose2d.base import detect_cameras, select_runners

    timers = Timers()
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _patched(video, "iter_frames", timers.wrap_iter("decode", video.iter_frames))
        )
        if backend.name == "blazepose":
            import cv2
            from mediapipe.python.solutions import pose as mp_pose

            stack.enter_context(_patched(blazepose, "cv2", _Cv2Proxy(cv2, timers)))
            stack.enter_context(
                _patched(
                    mp_pose.Pose,
                    "process",
                    _counting_detections(timers, timers.wrap("inference", mp_pose.Pose.process)),
                )
            )
            stack.enter_context(_with_detection_output(mp_pose))
        else:
            model = backend.model
            stack.enter_context(
                _patched(mmpose_backend, "crop", timers.wrap("crop", mmpose_backend.crop))
            )
            stack.enter_context(
                _patched(model, "extract_feat", timers.wrap("inference", model.extract_feat))
            )
            stack.enter_context(
                _patched(model.head, "forward", timers.wrap("inference", model.head.forward))
            )
            stack.enter_context(
                _patched(
                    model.head.decoder, "decode", timers.wrap("simcc", model.head.decoder.decode)
                )
            )
            stack.enter_context(
                _patched(backend, "infer_crops", timers.wrap("infer_crops", backend.infer_crops))
            )
            if backend.person_boxes is not None:
                stack.enter_context(
                    _patched(
                        backend, "person_boxes", timers.wrap("person boxes", backend.person_boxes)
                    )
                )
        t0 = time.perf_counter()
        candidates = detect_cameras(backend, clips, names)
        points = select_runners(candidates)
        with tempfile.TemporaryDirectory() as tmp:
            t1 = time.perf_counter()
            formats.write_keypoints2d(
                Path(tmp) / "k.npz",
                formats.Keypoints2D(
                    points=points,
                    camera_names=list(names),
                    fps=60.0,
                    backend=backend.name,
                    video_sha256=["0" * 64] * len(names),
                ),
            )
            timers.s["writing"] += time.perf_counter() - t1
        total = time.perf_counter() - t0
    s = timers.s
    detector_runs.clear()
    detector_runs["person detector"] = timers.calls["person boxes"] or timers.calls["detector"]
    if "infer_crops" in s:
        s["colour"] += s.pop("infer_crops") - s["inference"] - s["simcc"]
    s.pop("simcc", None)
    s["post-processing"] = total - sum(s[p] for p in PARTS if p != "post-processing")
    return {p: s.get(p, 0.0) for p in PARTS}, len(clips) * len(candidates[0])


def profile_line(name: str, parts: dict, n: int) -> str:
    total = sum(parts.values())
    body = ", ".join(
        f"{p} {1000 * v / n:.1f} ms ({100 * v / total:.0f}%)" for p, v in parts.items()
    )
    return (
        f"detect-profile {name}: per camera-frame {1000 * total / n:.1f} ms = {body}; "
        f"person detector ran on {detector_runs.get('person detector', 0)} of {n} camera-frames"
    )


detector_runs: dict[str, int] = {}  # of the last profile()


def _counting_detections(timers, process):
    """Pose.process, counting the frames where BlazePose's own person detector ran and found
    someone (mediapipe emits `pose_rect_from_detection` only then; a tracked frame reuses the
    previous frame's landmarks); a frame without a pose counts too (the detector ran, or runs
    on the next frame)."""

    def timed(pose, image):
        result = process(pose, image)
        if result.pose_rect_from_detection is not None or result.pose_landmarks is None:
            timers.calls["detector"] += 1
        return result

    return timed


@contextlib.contextmanager
def _with_detection_output(mp_pose):
    """mediapipe's Pose graph with its `pose_rect_from_detection` output stream requested too
    (the graph has it; the Python solution does not ask for it)."""
    from mediapipe.python import solution_base

    init = solution_base.SolutionBase.__init__

    def with_rect(self, *args, outputs=None, **kwargs):
        if kwargs.get("binary_graph_path") == mp_pose._BINARYPB_FILE_PATH and outputs:
            outputs = [*outputs, "pose_rect_from_detection"]
        init(self, *args, outputs=outputs, **kwargs)

    with _patched(solution_base.SolutionBase, "__init__", with_rect):
        yield
