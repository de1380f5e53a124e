"""2D pose backends: CPU throughput, one comparable line per measurement.

- blazepose: frames/s on real 1080x1920 portrait frames (pose2sim-demo cam01, decoded
  beforehand, so decoding is not counted), tracking mode (static_image_mode=False).
- rtmpose-t|s|m: crops/s of 192x256 crops at batch sizes 1, 8, 32, RANDOM weights (no real
  checkpoint is available here; speed does not depend on the weights), fp32, no flip test.
Usage: python benchmarks/detect.py [--frames N] [--models rtmpose-t,rtmpose-s,rtmpose-m]
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


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--models", default="rtmpose-t,rtmpose-s,rtmpose-m")
    args = ap.parse_args()
    gpu = torch.cuda.is_available()
    print(f"detect | CPU only: {os.cpu_count()} cores; "
          f"{'a GPU is present but NOT measured here' if gpu else 'no GPU available on this machine: no GPU timings'}")
    bench_blazepose(args.frames)
    for name in filter(None, args.models.split(",")):
        bench_rtmpose(name)


if __name__ == "__main__":
    main()
