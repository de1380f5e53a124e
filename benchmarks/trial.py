"""One trial through every stage: a 60 s, 4-camera, 120 fps synthetic recording (1080p).

The `quick` study with its trial lengthened to --seconds (default 60, the issue's yardstick)
is synthesized into a temporary folder (board videos, then the trial's stick-figure videos;
setup, timed but not counted), then each stage runs as `runlab <stage>` runs it: calibrate
(ChArUco on the board videos), detect with the CPU backend (BlazePose, detector.workers = all
cores), sync, triangulate, analyze, report. Prints one line per stage and one for the total,
with the load average before and after (the numbers are comparable only at the same load).

The trial's videos are stick figures (pipeline/synth/trial_video.py): BlazePose finds a
person in few of them, so its own person detector runs on most frames, as after every loss;
on a real recording it runs at the start and after losses. Detection is timed at its real
per-frame cost either way; the 3D stages then see few keypoints (their times are lower
bounds for a real trial of this length).

Usage: python benchmarks/trial.py [--seconds 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

STAGES = ("calibrate", "detect", "sync", "triangulate", "analyze", "report")
SESSION_STAGES = ("synth", "calibrate")


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("runlab").setLevel(logging.ERROR)  # the verdicts on a stick figure
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--seconds", type=float, default=60.0, help="trial length (default: the issue's 60 s)"
    )
    ap.add_argument("--keep", help="folder for the study (kept); default: a temporary one, removed")
    args = ap.parse_args()
    from pipeline.config import compose

    repo = Path(__file__).resolve().parents[1]
    root = Path(args.keep or tempfile.mkdtemp(prefix="runlab-trial-"))
    cfg = compose(
        repo / "conf",
        [
            "study=quick",
            "detector=blazepose",
            f"study.data_dir={root / 'data'}",
            f"study.results_dir={root / 'results'}",
            f"study.trials.typical.runner.duration_s={args.seconds}",
        ],
    )
    trial = next(iter(cfg.study.trials))
    n_cams, fps = len(cfg.rig.cameras), cfg.rig.fps
    print(
        f"trial | {args.seconds:g} s, {n_cams} cameras, {fps:g} fps, {cfg.rig.width}x{cfg.rig.height}, "
        f"detector {cfg.detector.backend.value}, {os.cpu_count()} CPU cores",
        flush=True,
    )
    times = {}
    try:
        for stage in ("synth", *STAGES):
            module = importlib.import_module(f"pipeline.stages.{stage}")
            before = load()
            t0 = time.perf_counter()
            if stage in SESSION_STAGES:
                module.run(cfg, None)
            elif stage == "report":
                module.run_trial(cfg, trial)
            else:
                module.run(cfg, trial)
            dt = time.perf_counter() - t0
            extra = ""
            if stage == "detect":
                extra = f" ({n_cams * args.seconds * fps / dt:.1f} camera-frames/s)"
            what = "setup, not counted" if stage == "synth" else "stage"
            print(
                f"trial | {stage:<11} | {dt:8.1f} s{extra} | {what} | {before} -> {load()}",
                flush=True,
            )
            if stage != "synth":
                times[stage] = dt
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    total = sum(times.values())
    print(
        f"trial {args.seconds:g} s {n_cams}-cam {fps:g} fps: total {total / 60:.1f} min = "
        + ", ".join(f"{s} {t:.0f} s" for s, t in times.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
