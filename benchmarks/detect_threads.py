"""RTMPose's stage, sequential path and bare model at several torch thread counts, in ONE run.

Why: torch runs the model with OpenMP threads, which wait for each other at every layer; a
thread sharing its core with the decoding threads, the person detector or another process
stalls them all. `detector.rtmpose.cpu_threads` (0 = every core but one) was chosen from this.
Order: per round, each thread count in turn (the second round reversed: ABBA), each measuring
model, stage, sequential; one line per measurement with the load average, then the means.
Usage: python benchmarks/detect_threads.py [--threads 1,2] [--trial-frames 12] [--model rtmpose-t]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from detect import N_CAMS, make_stage_backend, model_crops_per_s, stage_clips  # noqa: E402


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2", help="torch thread counts to compare")
    ap.add_argument("--trial-frames", type=int, default=12, help="frames per camera")
    ap.add_argument("--model", default="rtmpose-t", help="RTMPose size (random weights)")
    args = ap.parse_args()
    from pipeline.pose2d.base import detect_cameras
    from pipeline.pose2d.parallel import detect_cameras_parallel

    counts = [int(t) for t in args.threads.split(",")]
    n = N_CAMS * args.trial_frames
    rates: dict[tuple[int, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clips = stage_clips(Path(tmp), args.trial_frames)
        names = [c.stem for c in clips]
        factory, backend, calls, _ = make_stage_backend(args.model, cpu_threads=counts[0])
        for order in (counts, counts[::-1]):
            for threads in order:
                torch.set_num_threads(threads)
                for what in ("model", "stage", "sequential"):
                    calls[:] = [0, 0.0]
                    t0 = time.perf_counter()
                    if what == "model":
                        rate = model_crops_per_s(backend)
                    else:
                        if what == "stage":
                            detect_cameras_parallel(factory, clips, names, progress_bar=False)
                        else:
                            detect_cameras(backend, clips, names)
                        rate = n / (time.perf_counter() - t0)
                    rates.setdefault((threads, what), []).append(rate)
                    unit = "crops/s" if what == "model" else "camera-frames/s"
                    print(
                        f"detect-threads {args.model}: {threads} torch threads, {what} "
                        f"{rate:.1f} {unit} (person detector {calls[0]} calls, "
                        f"{calls[1]:.1f} s; load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
    for threads in counts:
        m, st, sq = (np.mean(rates[(threads, w)]) for w in ("model", "stage", "sequential"))
        print(
            f"detect-threads {args.model}: {threads} torch threads: model {m:.1f} crops/s, "
            f"stage {st:.1f}, sequential {sq:.1f} camera-frames/s, stage/model {st / m:.2f} "
            f"(means of 2)",
            flush=True,
        )


if __name__ == "__main__":
    main()
