"""2D pose backends: throughput, one comparable line per measurement.

Default (`python benchmarks/detect.py`): per backend available offline, on the four
pose2sim-demo cameras (1080x1920) cut to --trial-frames frames each, in ONE run: the detect
stage (`pose2d/parallel.py`: decode ahead, cameras on --workers threads, crops batched across
cameras), the sequential path it replaced (`base.detect_cameras`), the bare model, then one
summary line per backend (model, stage and sequential each the mean of two runs, in the order
model, stage, sequential, sequential, stage, model: the load drifts):
  detect <backend>: stage S camera-frames/s, sequential Q camera-frames/s, model M crops/s,
  stage/sequential X, stage/model Y, 60 s 4-cam 120 fps trial T min
(T = 28,800 camera-frames / S). --profile first prints where a camera-frame's time goes on
the sequential path (detect_profile.py). Each line carries the load average before and after.
- blazepose: mediapipe BlazePose full (real weights, in the wheel); `model` = its mediapipe
  graph on decoded RGB frames (it crops the tracked region itself).
- rtmpose-t / rtmpose-m: RANDOM weights (no checkpoint reachable here: keypoints are
  meaningless, speed is not), batch_size 16, person boxes from mediapipe's person detector.
  The detector runs at the start and after each loss; random keypoints lose the track far
  more often than a real checkpoint's, so its calls (given in the line) are an upper bound.
  The model runs on --cpu-threads torch threads (0 = every core but one, as the stage);
  `model, N torch threads` is the bare model on every core, for comparison.
  `--device cuda --fp16` runs RTMPose on the GPU; without one the same code runs on the CPU
  and GPU numbers are "not measured".
Extra sections (flags): --crops (crops/s at --batches, --device, --fp16: the GPU check),
--batching (3-camera trial, per camera vs across cameras, as measured for issue #15).
Usage: python benchmarks/detect.py [--profile] [--trial-frames 12] [--models rtmpose-t,rtmpose-m]
       python benchmarks/detect.py --crops --device cuda --fp16 --batches 1,8,32,64,128,256
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO.parent / "shared" / "data" / "pose2sim-demo" / "balancing" / "videos" / "cam01.mp4"
TRIAL_S, TRIAL_FPS, N_CAMS = 60.0, 60.0, 4  # the demo clips are written at 60 fps
ISSUE_TRIAL_FPS = 120.0  # the summary's trial: 60 s, 4 cameras, 120 fps


def line(
    backend: str, what: str, value: float, unit: str, extra: str = "", device: str = "cpu"
) -> None:
    print(
        f"detect | {backend:<10} | {what:<22} | {value:8.2f} {unit:<9} | device={device} threads={torch.get_num_threads()} {extra}",
        flush=True,
    )


def stage_clips(folder: Path, n_frames: int) -> list[Path]:
    """The demo's 4 cameras cut to n_frames each (the stage decodes them like any trial)."""
    from pipeline.io.video import iter_frames, video_writer

    clips = []
    for cam in sorted(DEMO.parent.glob("cam0[1-4].mp4")):
        frames = itertools.islice(iter_frames(cam), n_frames)
        first = next(frames)
        with video_writer(folder / cam.name, TRIAL_FPS, (first.shape[1], first.shape[0])) as write:
            for frame in itertools.chain([first], frames):
                write(frame)
        clips.append(folder / cam.name)
    return clips


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def bench_stage(
    backends: list[str],
    n_frames: int,
    profile: bool = False,
    device: str = "cpu",
    fp16: bool = False,
    workers: int = 0,
    cpu_threads: int = 0,
) -> None:
    """Per backend, in one run on the same 4-camera clips: the detect stage (pose2d/parallel.py),
    the sequential path it replaced (base.detect_cameras: decode in the model's thread, camera
    after camera), the bare model, and with --profile where the sequential path's time goes."""
    import tempfile

    from detect_profile import profile as run_profile
    from detect_profile import profile_line

    from pipeline.pose2d.base import detect_cameras, select_runners
    from pipeline.pose2d.parallel import default_workers, detect_cameras_parallel

    if len(sorted(DEMO.parent.glob("cam0[1-4].mp4"))) != N_CAMS:
        print(f"detect | stage      | skipped: the 4 demo videos are not in {DEMO.parent}")
        return
    n = N_CAMS * n_frames
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = stage_clips(Path(tmp), n_frames)
        names = [c.stem for c in clips]
        for name in backends:
            factory, backend, calls, note = make_stage_backend(name, device, fp16, cpu_threads)
            before = load()
            if profile:
                parts, frames = run_profile(backend, clips, names)
                print(profile_line(name, parts, frames) + f" [{note}; {before}]", flush=True)
            model = bench_model(name, backend, clips, n_frames)  # also warms the libraries up
            all_cores = [] if name == "blazepose" or device != "cpu" else [default_workers()]
            model_all = [model_crops_per_s(backend, t) for t in all_cores]
            runs = {"stage": [], "sequential": []}
            stage_calls = None
            # ABBA: the load drifts, and whichever runs first would pay any first-call costs
            waits = []
            for what in ("stage", "sequential", "sequential", "stage"):
                if calls:
                    calls[:] = [0, 0.0]
                t0 = time.perf_counter()
                if what == "stage":
                    with waiting_for_frames() as waited:
                        select_runners(
                            detect_cameras_parallel(
                                factory, clips, names, workers, progress_bar=False
                            )
                        )
                    waits.append((waited[0], time.perf_counter() - t0))
                else:
                    select_runners(detect_cameras(backend, clips, names))
                runs[what].append(n / (time.perf_counter() - t0))
                if what == "stage" and calls:
                    stage_calls = list(calls)
            model_all += [model_crops_per_s(backend, t) for t in all_cores]
            model = (model + bench_model(name, backend, clips, n_frames)) / 2  # before and after
            if model_all:
                line(
                    name,
                    f"model, {all_cores[0]} torch threads",
                    float(np.mean(model_all)),
                    "crops/s",
                    f"runs {model_all[0]:.1f}/{model_all[1]:.1f}: the bare model on every core "
                    f"(the stage runs it on {torch.get_num_threads()}); stage/this "
                    "in the summary's note",
                )
            stage, sequential = (float(np.mean(runs[k])) for k in ("stage", "sequential"))
            after = load()
            extra = "; inference waited for decoded frames " + " and ".join(
                f"{w:.2f} s of {t:.1f} s" for w, t in waits
            )
            if stage_calls:
                extra += (
                    f"; stage person-detector calls {stage_calls[0]} of {n} camera-frames "
                    f"({stage_calls[1]:.1f} s: at the start and after each loss; random weights "
                    "lose the track far more often than a real checkpoint)"
                )
            line(
                name,
                f"stage {N_CAMS}x{n_frames} 1080p",
                stage,
                "cam-fr/s",
                f"workers={default_workers(workers)} runs stage {runs['stage'][0]:.1f}/{runs['stage'][1]:.1f} "
                f"sequential {runs['sequential'][0]:.1f}/{runs['sequential'][1]:.1f} (order ABBA) "
                f"{note} {before} -> {after}{extra}",
                device=device,
            )
            summary.append(
                f"detect {name}: stage {stage:.1f} camera-frames/s, sequential {sequential:.1f} "
                f"camera-frames/s, model {model:.1f} crops/s, stage/sequential "
                f"{stage / sequential:.2f}, stage/model {stage / model:.2f}, 60 s 4-cam 120 fps "
                f"trial {N_CAMS * TRIAL_S * ISSUE_TRIAL_FPS / stage / 60:.0f} min"
                + (
                    f" (model on all {all_cores[0]} cores {np.mean(model_all):.1f} crops/s, "
                    f"stage/that {stage / np.mean(model_all):.2f}; {before} -> {after})"
                    if model_all
                    else f" ({before} -> {after})"
                )
            )
    for text in summary:
        print(text, flush=True)


@contextlib.contextmanager
def waiting_for_frames():
    """[seconds] the stage's inference threads spent waiting on the decoders' queues (all
    threads together): near 0 = decoding keeps ahead, the model is the limit."""
    from pipeline.pose2d.parallel import DecodeAhead

    get, waited, lock = DecodeAhead.get, [0.0], threading.Lock()

    def timed(self, c):
        t0 = time.perf_counter()
        try:
            return get(self, c)
        finally:
            with lock:
                waited[0] += time.perf_counter() - t0

    DecodeAhead.get = timed  # type: ignore[method-assign]
    try:
        yield waited
    finally:
        DecodeAhead.get = get  # type: ignore[method-assign]


def bench_model(name: str, backend, clips: list[Path], n_frames: int) -> float:
    """The bare model on prepared input: RTMPose on 64 random 192x256 crops (batch_size 16, warm);
    BlazePose's mediapipe graph on the clips' decoded RGB frames, camera after camera, each
    graph's first frame untimed (it crops its tracked region itself)."""
    import cv2

    from pipeline.io.video import iter_frames

    if name == "blazepose":  # every camera, as the stage sees them; graph setup not timed
        from mediapipe.python.solutions import pose as mp_pose

        done, dt = 0, 0.0
        for path in clips:
            frames = [
                cv2.cvtColor(f, cv2.COLOR_BGR2RGB)
                for f in itertools.islice(iter_frames(path), n_frames)
            ]
            with mp_pose.Pose(**backend.kwargs) as pose:
                pose.process(frames[0])
                t0 = time.perf_counter()
                for f in frames[1:]:
                    pose.process(f)
                dt += time.perf_counter() - t0
                done += len(frames) - 1
        return done / dt
    return model_crops_per_s(backend)


def model_crops_per_s(backend, threads: int | None = None) -> float:
    """RTMPose's infer_crops on 64 random 192x256 crops (warm), at `threads` torch threads
    (None: the backend's own setting, the one the stage runs with); the setting is restored."""
    stage_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        crops = np.random.default_rng(0).integers(0, 255, (64, 256, 192, 3), dtype=np.uint8)
        backend.infer_crops(crops[:16])
        t0 = time.perf_counter()
        backend.infer_crops(crops)
        return len(crops) / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(stage_threads)


def make_stage_backend(name: str, device: str = "cpu", fp16: bool = False, cpu_threads: int = 0):
    """(factory for the stage, backend for the sequential path, [detector calls] or None, note)."""
    if name == "blazepose":
        from pipeline.pose2d.blazepose import BlazePoseBackend

        return BlazePoseBackend, BlazePoseBackend(), None, "weights=real(mediapipe wheel)"
    import torch

    from pipeline.pose2d.mmpose_backend import RTMPoseBackend
    from pipeline.pose2d.parallel import model_threads
    from pipeline.pose2d.person_boxes import BlazePersonDetector

    detector, calls = BlazePersonDetector(), [0, 0.0]

    def counted(frame):
        t0 = time.perf_counter()
        found = detector(frame)
        calls[0] += 1
        calls[1] += time.perf_counter() - t0
        return found

    if device.startswith("cuda") and not torch.cuda.is_available():
        print(
            f"detect | {name:<10} | --device {device}: no CUDA device here, GPU numbers not measured; "
            "the same code path runs on the CPU",
            flush=True,
        )
        device, fp16 = "cpu", False
    backend = RTMPoseBackend(
        name,
        allow_random_weights=True,
        device=device,
        fp16=fp16,
        batch_size=16,
        person_boxes=counted,
        cpu_threads=model_threads(cpu_threads),  # as the stage sets it
    )
    backend.infer_crops(np.zeros((16, 256, 192, 3), np.uint8))  # warm-up
    return (
        (lambda: backend),
        backend,
        calls,
        f"weights=random b=16 boxes=mediapipe-detector fp16={backend.fp16} "
        f"torch-threads={torch.get_num_threads()}",
    )


def bench_blazepose(n_frames: int) -> None:
    from pipeline.io.video import iter_frames
    from pipeline.pose2d.blazepose import BlazePoseBackend

    if not DEMO.is_file():
        print(f"detect | blazepose  | skipped: {DEMO} not found")
        return
    frames = list(itertools.islice(iter_frames(DEMO), n_frames + 2))
    h, w = frames[0].shape[:2]
    backend = BlazePoseBackend()
    out = backend.detect(iter(frames))
    next(out), next(out)  # model load + first detection
    t0 = time.perf_counter()
    found = sum(len(p) for p in out)
    dt = time.perf_counter() - t0
    line("blazepose", f"frames {w}x{h}", n_frames / dt, "frames/s", f"found={found}/{n_frames}")


def bench_rtmpose(name: str, batches=(1, 8, 32), device: str = "cpu", fp16: bool = False) -> None:
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend

    if device.startswith("cuda") and not torch.cuda.is_available():
        print(f"detect | {name:<10} | crops on {device}: not measured (no CUDA device); CPU below")
        device, fp16 = "cpu", False
    backend = RTMPoseBackend(name, allow_random_weights=True, device=device, fp16=fp16)
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (max(batches), 256, 192, 3), dtype=np.uint8)
    sync = torch.cuda.synchronize if backend.device.startswith("cuda") else (lambda: None)
    for b in batches:
        backend.batch_size = b
        backend.infer_crops(crops[:b])  # warm-up (kernels per shape)
        sync()
        t0 = time.perf_counter()
        reps = 3 if backend.device.startswith("cuda") else 1
        for _ in range(reps):
            backend.infer_crops(crops[:b])
        sync()
        dt = (time.perf_counter() - t0) / reps
        line(
            name,
            f"crops 192x256 batch={b}",
            b / dt,
            "crops/s",
            f"weights=random {'fp16' if backend.fp16 else 'fp32'}",
            device=backend.device,
        )


def trial_clips(folder: Path, n_frames: int) -> list[Path]:
    """Three synchronized clips of n_frames: the demo's cameras cut short, else synthetic."""
    from pipeline.io.video import iter_frames, video_writer

    demo = sorted(DEMO.parent.glob("cam0[1-3].mp4"))
    clips = []
    for c in range(3):
        frames = (
            itertools.islice(iter_frames(demo[c]), n_frames)
            if len(demo) == 3
            else (np.full((1920, 1080, 3), 60 + 40 * c, np.uint8) for _ in range(n_frames))
        )
        first = next(frames)  # the demo's cam03 is 1088 px wide
        with video_writer(
            folder / f"cam{c + 1:02d}.mp4", 30.0, (first.shape[1], first.shape[0])
        ) as write:
            for frame in itertools.chain([first], frames):
                write(frame)
        clips.append(folder / f"cam{c + 1:02d}.mp4")
    return clips


def bench_trial(
    name: str,
    n_frames: int,
    runs=(("per-camera", 8), ("across cams", 24), ("per-camera", 32), ("across cams", 32)),
) -> None:
    import tempfile

    from pipeline.pose2d.base import detect_cameras, detect_video, iter_lockstep
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend

    backend = RTMPoseBackend(name, allow_random_weights=True, device="cpu")
    passes = []
    extract = backend.model.extract_feat
    backend.model.extract_feat = lambda x: passes.append(len(x)) or extract(x)
    with tempfile.TemporaryDirectory() as tmp:
        clips = trial_clips(Path(tmp), n_frames)
        t0 = time.perf_counter()
        for _ in iter_lockstep(clips):
            pass
        dt = time.perf_counter() - t0
        line(
            name,
            f"3x{n_frames} decode only",
            3 * n_frames / dt,
            "frames/s",
            "(camera-frames, lockstep)",
        )
        for how, b in runs:
            backend.batch_size = b
            backend.infer_crops(
                np.zeros((b, 256, 192, 3), np.uint8)
            )  # warm-up for this batch shape
            passes.clear()
            t0 = time.perf_counter()
            if how == "across cams":
                detect_cameras(backend, clips)
            else:
                for clip in clips:
                    detect_video(backend, clip)
            dt = time.perf_counter() - t0
            line(
                name,
                f"3x{n_frames} {how} b={b}",
                3 * n_frames / dt,
                "crops/s",
                f"trial frames/s={n_frames / dt:.2f} passes={len(passes)} decode=included weights=random",
            )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--trial-frames", type=int, default=12, help="frames per camera, stage benchmark"
    )
    ap.add_argument("--profile", action="store_true", help="where a frame's time goes, per backend")
    ap.add_argument(
        "--workers", type=int, default=0, help="detector.workers for the stage (0 = all cores)"
    )
    ap.add_argument(
        "--models", default="rtmpose-t,rtmpose-m", help="RTMPose sizes (random weights)"
    )
    ap.add_argument(
        "--cpu-threads",
        type=int,
        default=0,
        help="detector.rtmpose.cpu_threads (0 = every core but one, as the stage)",
    )
    ap.add_argument("--crops", action="store_true", help="also crops/s of each model at --batches")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument(
        "--device", default="cpu", help="cpu or cuda (RTMPose: stage and crops sections)"
    )
    ap.add_argument("--fp16", action="store_true", help="RTMPose in half precision (CUDA)")
    ap.add_argument(
        "--batching", action="store_true", help="also the 3-camera per-camera/across test"
    )
    ap.add_argument("--frames", type=int, default=30, help="BlazePose frames, --batching section")
    args = ap.parse_args()
    gpu = torch.cuda.is_available()
    print(
        f"detect | {os.cpu_count()} CPU cores; "
        f"{'GPU: ' + torch.cuda.get_device_name(0) if gpu else 'no GPU available on this machine: no GPU timings'}"
    )
    models = [m for m in args.models.split(",") if m]
    sys.path.insert(0, str(Path(__file__).parent))
    bench_stage(
        ["blazepose", *models],
        args.trial_frames,
        args.profile,
        args.device,
        args.fp16,
        args.workers,
        args.cpu_threads,
    )
    if args.crops:
        for name in models:
            bench_rtmpose(
                name, tuple(int(b) for b in args.batches.split(",")), args.device, args.fp16
            )
    if args.batching:
        bench_blazepose(args.frames)
        bench_trial("rtmpose-t", 48)


if __name__ == "__main__":
    main()
