"""Camera synchronization (issue #16): time and accuracy on a 60 s, 4-camera, 120 fps trial.

The synthetic runner is simulated at 10x the camera rate and each camera samples it at its own
shifted instants (offsets below, frames), 1 px noise. Prints ONE line: runlab's estimate
(`pipeline.sync.estimate.estimate_offsets`: epipolar agreement, sub-frame) wall time and worst
error, and the reference approach, Pose2Sim-style cross-correlation of the 2D keypoint speed
against the reference camera (integer lags, 6 Hz low-pass), with the ratios. Run it on the
machine's cores as they are (`taskset -c 0,1` for the 2-core target).

    python benchmarks/sync.py [--seconds 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.signal import butter, filtfilt

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.sync.estimate import estimate_offsets
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe
from pipeline.synth.rig import make_rig

FPS = 120.0
UP = 10
OFFSETS = np.array([0.0, 0.3, 7.5, 15.0])
MAX_OFFSET_S = 0.5


def shifted_trial(seconds: float):
    rig = make_rig(RigConfig())
    fine = simulate_run(RunnerConfig(duration_s=seconds + 0.2), fps=FPS * UP).points
    n = int(seconds * FPS)
    views = [
        observe(
            fine[np.arange(n) * UP + int(round(d * UP))],
            [cam],
            SyntheticNoiseConfig(pixel_sigma=1.0),
            c,
        )[0]
        for c, (cam, d) in enumerate(zip(rig, OFFSETS))
    ]
    return np.stack(views), rig


def speed_xcorr(points2d: np.ndarray, fps: float, max_lag: int) -> np.ndarray:
    """Pose2Sim's approach: per camera the summed 2D speed of the keypoints, low-passed; each
    camera's lag is the argmax of its normalized cross-correlation with the reference."""
    xy = np.where(points2d[..., 2:3] >= 0.3, points2d[..., :2], np.nan)
    speed = np.nansum(np.linalg.norm(np.diff(xy, axis=1), axis=-1), axis=2)  # (C, F-1)
    b, a = butter(4, 6.0 / (fps / 2))
    speed = filtfilt(b, a, speed, axis=1)
    speed = (speed - speed.mean(axis=1, keepdims=True)) / speed.std(axis=1, keepdims=True)
    ref = speed[0]
    out = np.zeros(len(speed))
    for c in range(1, len(speed)):
        best, best_r = 0, -np.inf
        for lag in range(-max_lag, max_lag + 1):
            # camera c's frame k shows the reference's instant k + lag
            a_, b_ = (
                (ref[lag:], speed[c][: len(ref) - lag])
                if lag >= 0
                else (ref[:lag], speed[c][-lag:])
            )
            r = float(np.mean(a_ * b_))
            if r > best_r:
                best, best_r = lag, r
        out[c] = best
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    obs, rig = shifted_trial(args.seconds)
    times, est = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        est = estimate_offsets(obs, rig, FPS, MAX_OFFSET_S, 0.3)
        times.append(time.perf_counter() - t0)
    ref_times, ref = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ref = speed_xcorr(obs, FPS, int(round(MAX_OFFSET_S * FPS)))
        ref_times.append(time.perf_counter() - t0)
    err = np.abs(est.offsets - OFFSETS).max()
    ref_err = np.abs(ref - OFFSETS).max()
    print(
        f"sync {args.seconds:g} s x {len(rig)} cameras @ {FPS:g} fps, offsets "
        f"{'/'.join(f'{d:g}' for d in OFFSETS)} frames: runlab {min(times):.2f} s, worst error "
        f"{err:.3f} frame | speed cross-correlation (Pose2Sim-style) {min(ref_times):.2f} s, "
        f"worst error {ref_err:.2f} frame | time ratio {min(times) / min(ref_times):.1f}x, "
        f"error ratio {ref_err / max(err, 1e-3):.0f}x smaller"
    )


if __name__ == "__main__":
    main()
