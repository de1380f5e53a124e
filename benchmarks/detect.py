"""2D pose backends: throughput, one comparable line per measurement.

Default (`python benchmarks/detect.py`): the DETECT STAGE on a 4-camera 1080p trial, per
backend available offline, decoding included, the way `runlab detect` runs it
(`base.detect_cameras` + `select_runners`): the four pose2sim-demo cameras (1080x1920,
60 fps) cut to --trial-frames frames each, timed, then extrapolated to a 60 s trial
(3600 frames per camera at 60 fps): one line per backend, then the ratio.
- blazepose: mediapipe BlazePose full (real weights, in the wheel), camera after camera.
- rtmpose-t / rtmpose-m: RANDOM weights (no checkpoint reachable here: keypoints are
  meaningless, speed is not), all cameras in lockstep, batch_size 16, person boxes from
  mediapipe's person detector (`detector.rtmpose.person_boxes: blazepose`, the default).
  With random weights the keypoints are scattered over the crop, so the track is "lost"
  (keypoints at the crop's edge) after every pass and the detector runs on every frame; a
  real checkpoint needs it at the start and after losses. The line gives its calls, their
  time, and the rate without that time.
Extra sections (flags): --crops (crops/s at --batches, --device, --fp16: the GPU check),
--batching (3-camera trial, per camera vs across cameras, as measured for issue #15).
Usage: python benchmarks/detect.py [--trial-frames 12] [--models rtmpose-t,rtmpose-m]
       python benchmarks/detect.py --crops --device cuda --fp16 --batches 1,8,32,64,128,256
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO.parent / "shared" / "data" / "pose2sim-demo" / "balancing" / "videos" / "cam01.mp4"
TRIAL_S, TRIAL_FPS, N_CAMS = 60.0, 60.0, 4


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


def bench_stage(backends: list[str], n_frames: int) -> None:
    """Detect-stage throughput per backend on the 4-camera trial, extrapolated to 60 s."""
    import tempfile

    from pipeline.pose2d.base import detect_cameras, select_runners

    if len(sorted(DEMO.parent.glob("cam0[1-4].mp4"))) != N_CAMS:
        print(f"detect | stage      | skipped: the 4 demo videos are not in {DEMO.parent}")
        return
    rates, without = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        clips = stage_clips(Path(tmp), n_frames)
        for name in backends:
            backend, calls, note = make_stage_backend(name)
            t0 = time.perf_counter()
            candidates = detect_cameras(backend, clips)
            select_runners(candidates)
            dt = time.perf_counter() - t0
            rate = N_CAMS * n_frames / dt  # camera-frames/s
            rates[name] = rate
            trial_s = N_CAMS * TRIAL_S * TRIAL_FPS / rate
            extra = ""
            if calls is not None:  # [calls, seconds in the detector]
                without[name] = N_CAMS * n_frames / (dt - calls[1])
                extra = (
                    f" detector_calls={calls[0]} ({calls[1]:.1f} s; without them "
                    f"{without[name]:.2f} cam-fr/s, as with a real checkpoint's few calls)"
                )
            line(
                name,
                f"stage {N_CAMS}x{n_frames} 1080p",
                rate,
                "cam-fr/s",
                f"60s 4-cam 60fps trial ~ {trial_s / 60:.0f} min ({trial_s / TRIAL_S:.0f}x real time, "
                f"extrapolated from {n_frames} frames) decode=included {note}{extra}",
            )
    if len(rates) > 1:
        best = max(rates, key=rates.get)
        print(
            "detect | ratio      | "
            + ", ".join(
                f"{best}/{n} = {rates[best] / r:.1f}x"
                + (
                    f" ({rates[best] / without[n]:.1f}x without detector calls)"
                    if n in without
                    else ""
                )
                for n, r in rates.items()
                if n != best
            ),
            flush=True,
        )


def make_stage_backend(name: str):
    """(backend, [detector calls] or None, note) as the detect stage builds it."""
    if name == "blazepose":
        from pipeline.pose2d.blazepose import BlazePoseBackend

        return BlazePoseBackend(), None, "weights=real(mediapipe wheel)"
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend
    from pipeline.pose2d.person_boxes import BlazePersonDetector

    detector, calls = BlazePersonDetector(), [0, 0.0]

    def counted(frame):
        t0 = time.perf_counter()
        found = detector(frame)
        calls[0] += 1
        calls[1] += time.perf_counter() - t0
        return found

    backend = RTMPoseBackend(
        name, allow_random_weights=True, device="cpu", batch_size=16, person_boxes=counted
    )
    backend.infer_crops(np.zeros((16, 256, 192, 3), np.uint8))  # warm-up
    return backend, calls, "weights=random b=16 boxes=mediapipe-detector"


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
    ap.add_argument(
        "--models", default="rtmpose-t,rtmpose-m", help="RTMPose sizes (random weights)"
    )
    ap.add_argument("--crops", action="store_true", help="also crops/s of each model at --batches")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (crops section)")
    ap.add_argument("--fp16", action="store_true", help="crops section in half precision (CUDA)")
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
    bench_stage(["blazepose", *models], args.trial_frames)
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
