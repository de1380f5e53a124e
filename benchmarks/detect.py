"""2D pose backends: CPU throughput, one comparable line per measurement.

- blazepose: frames/s on real 1080x1920 portrait frames (pose2sim-demo cam01, decoded
  beforehand, so decoding is not counted), tracking mode (static_image_mode=False).
- rtmpose-t|s|m: crops/s of 192x256 crops at batch sizes 1, 8, 32, RANDOM weights (no real
  checkpoint is available here; speed does not depend on the weights), fp32, no flip test.
- rtmpose-t trial: a whole 3-camera trial, video decoding included (the pose2sim-demo
  cam01-03 1080x1920 videos cut to --trial-frames frames, or synthetic clips when that
  folder is absent), RANDOM weights: per camera (`detect_video` one camera after another)
  vs across cameras (`detect_cameras`: videos decoded in lockstep, a pass holds crops of
  every camera). Value = crops/s = camera-frames/s (one tracked crop per frame and camera);
  the line also gives trial frames/s (synchronized steps of all cameras) and the forward
  passes. Per camera b=8 and across b=24 give the same boxes and keypoints (boxes from the
  previous pass, 8 frames per camera); b=32 both ways gives (about) the same pass size.
  A decode-only line shows what decoding alone costs.
Usage: python benchmarks/detect.py [--frames N] [--models rtmpose-t,rtmpose-s,rtmpose-m]
                                   [--trial-frames N]
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


def line(backend: str, what: str, value: float, unit: str, extra: str = "") -> None:
    print(f"detect | {backend:<10} | {what:<22} | {value:8.2f} {unit:<9} | device=cpu threads={torch.get_num_threads()} {extra}",
          flush=True)


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
    next(out), next(out)                                   # model load + first detection
    t0 = time.perf_counter()
    found = sum(len(p) for p in out)
    dt = time.perf_counter() - t0
    line("blazepose", f"frames {w}x{h}", n_frames / dt, "frames/s", f"found={found}/{n_frames}")


def bench_rtmpose(name: str, batches=(1, 8, 32)) -> None:
    from pipeline.pose2d.mmpose_backend import RTMPoseBackend
    backend = RTMPoseBackend(name, allow_random_weights=True, device="cpu")
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (max(batches), 256, 192, 3), dtype=np.uint8)
    for b in batches:
        backend.batch_size = b
        backend.infer_crops(crops[:b])                     # warm-up (oneDNN kernels per shape)
        t0 = time.perf_counter()
        backend.infer_crops(crops[:b])
        dt = time.perf_counter() - t0
        line(name, f"crops 192x256 batch={b}", b / dt, "crops/s", "weights=random")


def trial_clips(folder: Path, n_frames: int) -> list[Path]:
    """Three synchronized clips of n_frames: the demo's cameras cut short, else synthetic."""
    from pipeline.io.video import iter_frames, video_writer
    demo = sorted(DEMO.parent.glob("cam0[1-3].mp4"))
    clips = []
    for c in range(3):
        frames = (itertools.islice(iter_frames(demo[c]), n_frames) if len(demo) == 3 else
                  (np.full((1920, 1080, 3), 60 + 40 * c, np.uint8) for _ in range(n_frames)))
        first = next(frames)                              # the demo's cam03 is 1088 px wide
        with video_writer(folder / f"cam{c + 1:02d}.mp4", 30.0, (first.shape[1], first.shape[0])) as write:
            for frame in itertools.chain([first], frames):
                write(frame)
        clips.append(folder / f"cam{c + 1:02d}.mp4")
    return clips


def bench_trial(name: str, n_frames: int, runs=(("per-camera", 8), ("across cams", 24),
                                                 ("per-camera", 32), ("across cams", 32))) -> None:
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
        line(name, f"3x{n_frames} decode only", 3 * n_frames / dt, "frames/s", "(camera-frames, lockstep)")
        for how, b in runs:
            backend.batch_size = b
            backend.infer_crops(np.zeros((b, 256, 192, 3), np.uint8))   # warm-up for this batch shape
            passes.clear()
            t0 = time.perf_counter()
            if how == "across cams":
                detect_cameras(backend, clips)
            else:
                for clip in clips:
                    detect_video(backend, clip)
            dt = time.perf_counter() - t0
            line(name, f"3x{n_frames} {how} b={b}", 3 * n_frames / dt, "crops/s",
                 f"trial frames/s={n_frames / dt:.2f} passes={len(passes)} decode=included weights=random")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--models", default="rtmpose-t,rtmpose-s,rtmpose-m")
    ap.add_argument("--trial-frames", type=int, default=48, help="frames per camera, trial benchmark")
    args = ap.parse_args()
    gpu = torch.cuda.is_available()
    print(f"detect | CPU only: {os.cpu_count()} cores; "
          f"{'a GPU is present but NOT measured here' if gpu else 'no GPU available on this machine: no GPU timings'}")
    bench_blazepose(args.frames)
    for name in filter(None, args.models.split(",")):
        bench_rtmpose(name)
    bench_trial("rtmpose-t", args.trial_frames)


if __name__ == "__main__":
    main()
