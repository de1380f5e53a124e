"""Robust triangulation (issue #5): throughput and accuracy, side by side with aniposelib.

Throughput: the synthetic rig (4 cameras, 1080p) and runner, 1 px noise, 5 % gross outliers
(80 px) and 2 % L/R swaps per view, so rejection and swap repair really run. Prints ONE line:
keypoint triangulations per second of runlab robust (adaptive gates, the default, with the time
of estimating them; the fixed gate; without swap repair) on the compiled (numba) path and on the numpy path, runlab plain DLT, aniposelib
`triangulate` and `triangulate_ransac` (on a small subset: it runs ~50 points/s), the ratios
robust / each, and numba's one-off costs: a first-ever compile (in a subprocess with an empty
NUMBA_CACHE_DIR) and loading the cached kernels in this process. Wall clock, `--workers`
threads.

Accuracy (`--accuracy`): 3D RMSE against the ground truth, clean and corrupted, for plain DLT,
robust, aniposelib ransac (on the frames given to it), and the effect of despike, gap filling
and low-pass cut-offs on the robust result.

Refinement (`--refine`): 3D RMSE and segment-length SD against the truth (8 s trials), robust +
despike + gap fill, with and without `refine.py` and the 15 Hz low-pass, at 1 px noise, with
outliers/swaps/dropouts and with far-side occlusion on top; then the time of
`triangulate_recording` on a 60 s trial with refinement off and on.

    python benchmarks/triangulate.py [--points 1000000] [--workers N] [--accuracy] [--refine]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from pipeline.config import (
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,
    TriangulationConfig,
    TriangulationRefine,
)
from pipeline.core.dlt import triangulate_dlt
from pipeline.core.skeleton import BONES, INDEX
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe_with_truth
from pipeline.synth.rig import make_rig
from pipeline.triangulation import jit
from pipeline.triangulation.filtering import despike, fill_gaps, lowpass
from pipeline.triangulation.refine import refine_trajectories
from pipeline.triangulation.robust import triangulate_robust
from pipeline.triangulation.run import triangulate_recording
from pipeline.triangulation.scale import ScaleRule, estimate_scale

FPS = 120.0
CORRUPTED = SyntheticNoiseConfig(
    pixel_sigma=1.0, outlier_rate=0.05, outlier_px=80.0, swap_rate=0.02
)
THRESHOLD_PX = 12.0  # the recommended default of triangulate_robust


def best_of(fn, repeats: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def anipose_group(cameras):
    from aniposelib.cameras import Camera as AniposeCamera
    from aniposelib.cameras import CameraGroup

    return CameraGroup(
        [
            AniposeCamera(
                matrix=c.matrix, dist=c.dist, size=c.size, rvec=c.rvec, tvec=c.tvec, name=c.name
            )
            for c in cameras
        ]
    )


def throughput(cameras, n_points: int, workers: int | None, ransac_points: int) -> None:
    truth = simulate_run(RunnerConfig(duration_s=10.0), fps=FPS).points
    obs = observe_with_truth(truth, cameras, CORRUPTED).keypoints
    reps = max(1, -(-n_points // (obs.shape[1] * obs.shape[2])))
    obs = np.concatenate([obs] * reps, axis=1)
    n = obs.shape[1] * obs.shape[2]
    compile_s = cold_compile_seconds() if jit.available() else float("nan")
    load_s = jit.warm_up()
    robust = lambda swaps, fast=True, rule=ScaleRule(): triangulate_robust(
        obs, cameras, 0.3, 2, THRESHOLD_PX, swaps, scale_rule=rule, workers=workers, jit=fast
    )
    robust(True)  # warm caches
    t_robust = best_of(lambda: robust(True), 3)
    t_fixed = best_of(lambda: robust(True, rule=None), 3)
    n_cams, n_frames, n_kp = obs.shape[:3]
    errors = np.abs(np.random.default_rng(0).standard_t(3, (n_cams, n_frames, n_kp))) * 3
    t_scale = best_of(lambda: estimate_scale(errors, np.ones(errors.shape, bool), ScaleRule()), 3)
    t_noswap = best_of(lambda: robust(False), 3)
    t_np = best_of(lambda: robust(True, False), 3)
    t_np_noswap = best_of(lambda: robust(False, False), 3)
    # CPU seconds of one worker: what the machine's other jobs do not inflate (much)
    one = lambda fast: triangulate_robust(
        obs, cameras, 0.3, 2, THRESHOLD_PX, True, scale_rule=ScaleRule(), workers=1, jit=fast
    )
    cpu_jit = best_of(lambda: one(True), 2, time.process_time)
    cpu_np = best_of(lambda: one(False), 2, time.process_time)
    sub = obs[:, : max(1, 40_000 // obs.shape[2])]  # DLT SVD is slow
    n_sub = sub.shape[1] * sub.shape[2]
    t_dlt = best_of(lambda: triangulate_dlt(sub, cameras, 0.3, 2), 2) * n / n_sub

    group = anipose_group(cameras)
    flat = obs[..., :2].reshape(len(cameras), -1, 2)
    group.triangulate(flat[:, :100], undistort=True)  # JIT warm-up
    t_anipose = best_of(lambda: group.triangulate(flat, undistort=True), 1)
    few = flat[:, :ransac_points]
    group.triangulate_ransac(few[:, :8], undistort=True, min_cams=2)  # warm-up
    t_ransac = best_of(lambda: group.triangulate_ransac(few, undistort=True, min_cams=2), 1)
    t_ransac *= n / few.shape[1]

    rate = lambda t: f"{n / t:,.0f}"
    print(
        f"triangulate_robust: {len(cameras)} cams, {n:,} keypoints, 5% outliers + 2% swaps, "
        f"workers={workers or 'all'} | robust adaptive {rate(t_robust)} pts/s "
        f"(scale estimate {1000 * t_scale:.0f} ms of it; fixed gate {rate(t_fixed)}; "
        f"no swap repair {rate(t_noswap)}); numpy path {rate(t_np)} (no swap repair "
        f"{rate(t_np_noswap)}), numba/numpy {t_np / t_robust:.2f}x; numba compile "
        f"{compile_s:.1f} s once, cached load {load_s:.1f} s; 1 worker {rate(cpu_jit)} pts per "
        f"CPU-s (numpy {rate(cpu_np)}) | runlab dlt {rate(t_dlt)} | aniposelib "
        f"triangulate {rate(t_anipose)} | aniposelib ransac {rate(t_ransac)} "
        f"({few.shape[1]} pts) | ratio robust/dlt {t_dlt / t_robust:.1f}x, "
        f"/triangulate {t_anipose / t_robust:.1f}x, /ransac {t_ransac / t_robust:,.0f}x"
    )


def cold_compile_seconds() -> float:
    """A first-ever compile of the kernels, timed in a subprocess with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-c", "from pipeline.triangulation import jit; print(jit.warm_up())"],
            env=os.environ | {"NUMBA_CACHE_DIR": cache},
            capture_output=True,
            text=True,
            check=True,
        )
    return float(out.stdout.strip().splitlines()[-1])


def rmse_mm(points, truth) -> str:
    d = np.linalg.norm(points - truth, axis=-1)
    return f"{1000 * np.sqrt(np.nanmean(d**2)):.2f} mm ({100 * np.isfinite(d).mean():.1f}% pts)"


def accuracy(cameras, ransac_frames: int) -> None:
    truth = simulate_run(RunnerConfig(duration_s=10.0), fps=FPS).points
    clean = observe_with_truth(truth, cameras, SyntheticNoiseConfig(pixel_sigma=1.0))
    bad = observe_with_truth(truth, cameras, CORRUPTED)
    for name, obs in (("clean", clean), ("corrupted", bad)):
        dlt = triangulate_dlt(obs.keypoints, cameras, 0.3, 2).points
        rob = triangulate_robust(obs.keypoints, cameras, 0.3, 2, THRESHOLD_PX)
        print(
            f"{name:9s} | plain dlt {rmse_mm(dlt, truth)} | robust {rmse_mm(rob.points, truth)}"
            f" | robust+despike {rmse_mm(despike(rob.points, 0.05), truth)}"
        )
        if name == "corrupted":
            swaps = (
                f"{(rob.swaps_repaired & obs.swapped).sum()}/{obs.swapped.sum()} found, "
                f"{(rob.swaps_repaired & ~obs.swapped).sum()} false"
            )
            print(
                f"          | swaps {swaps}; views dropped "
                f"{(~rob.views_used & (obs.keypoints[..., 2] >= 0.3).transpose(1, 2, 0)).sum()}"
                f", injected outlier views {obs.outlier.sum()}"
            )
    for thr in (6.0, 8.0, 12.0, 15.0, 20.0):
        rob = triangulate_robust(bad.keypoints, cameras, 0.3, 2, thr).points
        print(
            f"  corrupted, max_reprojection_px={thr:4.1f}: robust {rmse_mm(rob, truth)} | "
            f"+despike {rmse_mm(despike(rob, 0.05), truth)}"
        )
    hard = observe_with_truth(
        truth,
        cameras,
        SyntheticNoiseConfig(
            pixel_sigma=1.0,
            far_side_occlusion=True,
            dropout_rate=0.05,
            outlier_rate=0.05,
            outlier_px=80.0,
            swap_rate=0.02,
        ),
    )
    for thr in (8.0, 12.0, 15.0):
        rob = triangulate_robust(hard.keypoints, cameras, 0.3, 2, thr).points
        print(
            f"  + far-side occlusion + 5% dropout, max_reprojection_px={thr:4.1f}: plain dlt "
            f"{rmse_mm(triangulate_dlt(hard.keypoints, cameras, 0.3, 2).points, truth)} | "
            f"robust {rmse_mm(rob, truth)} | +despike {rmse_mm(despike(rob, 0.05), truth)}"
        )
    # aniposelib ransac on frames spread over the session
    frames = np.linspace(0, truth.shape[0] - 1, ransac_frames).astype(int)
    sub = bad.keypoints[:, frames]
    ransac, *_ = anipose_group(cameras).triangulate_ransac(
        sub[..., :2].reshape(len(cameras), -1, 2), undistort=True, min_cams=2
    )
    ours = triangulate_robust(bad.keypoints, cameras, 0.3, 2, THRESHOLD_PX).points[frames]
    plain = triangulate_dlt(sub, cameras, 0.3, 2).points
    despiked = despike(
        triangulate_robust(bad.keypoints, cameras, 0.3, 2, THRESHOLD_PX).points, 0.05
    )[frames]
    print(
        f"corrupted, {ransac_frames} frames | aniposelib ransac "
        f"{rmse_mm(ransac.reshape(ours.shape), truth[frames])} | robust "
        f"{rmse_mm(ours, truth[frames])} | robust+despike {rmse_mm(despiked, truth[frames])} | "
        f"plain dlt {rmse_mm(plain, truth[frames])}"
    )

    # time-domain steps on the corrupted robust result
    rob = triangulate_robust(bad.keypoints, cameras, 0.3, 2, THRESHOLD_PX).points
    base = despike(rob, 0.05)
    print(f"time steps | robust {rmse_mm(rob, truth)} | +despike {rmse_mm(base, truth)}")
    for gap in (2, 5, 10):
        for method in ("linear", "cubic"):
            filled = fill_gaps(base, gap, method)
            was = ~np.isfinite(base[..., 0]) & np.isfinite(filled[..., 0])
            err = np.linalg.norm(filled[was] - truth[was], axis=-1)
            print(
                f"  fill_gaps max_gap={gap:2d} {method:6s}: {rmse_mm(filled, truth)}; filled "
                f"points alone {1000 * np.sqrt(np.mean(err**2)):.2f} mm (n={was.sum()})"
            )
    filled = fill_gaps(base, 5, "cubic")
    clean_rob = triangulate_robust(clean.keypoints, cameras, 0.3, 2, THRESHOLD_PX).points
    for cutoff in (6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0):
        smooth = lowpass(filled, FPS, cutoff)
        print(
            f"  lowpass {cutoff:4.0f} Hz: corrupted {rmse_mm(smooth, truth)}"
            f" | clean {rmse_mm(lowpass(clean_rob, FPS, cutoff), truth)}"
        )


def segment_sd_mm(points) -> float:
    """Mean over bones of the SD of the bone's length over frames (the truth's is 0)."""
    bones = np.array([(INDEX[a], INDEX[b]) for a, b in BONES])
    lengths = np.linalg.norm(points[:, bones[:, 0]] - points[:, bones[:, 1]], axis=-1)
    return 1000 * float(np.nanmean(np.nanstd(lengths, axis=0)))


def refinement(cameras) -> None:
    truth = simulate_run(RunnerConfig(duration_s=8.0), fps=FPS).points
    hard = dict(
        pixel_sigma=1.0, outlier_rate=0.05, outlier_px=80.0, swap_rate=0.02, dropout_rate=0.05
    )
    settings = [
        dict(),
        dict(limb_sigma_m=0.003),
        dict(limb_sigma_m=0.03),
        dict(accel_sigma_ms2=300.0),
    ]
    show = lambda p: (
        f"{rmse_mm(p, truth).split(' (')[0]} / {segment_sd_mm(p):.2f} mm | 15 Hz "
        f"{rmse_mm(lowpass(p, FPS, 15.0), truth).split(' (')[0]} / "
        f"{segment_sd_mm(lowpass(p, FPS, 15.0)):.2f} mm"
    )
    for name, noise in (
        ("1px", dict(pixel_sigma=1.0)),
        ("+out/swap/drop", hard),
        ("+occlusion", hard | dict(far_side_occlusion=True)),
    ):
        obs = observe_with_truth(truth, cameras, SyntheticNoiseConfig(**noise)).keypoints
        rob = triangulate_robust(obs, cameras, 0.3, 2, THRESHOLD_PX)
        kept = despike(rob.points, 0.05)
        base = fill_gaps(kept, 5)
        used = rob.views_used & np.isfinite(kept[..., :1])
        print(f"refine {name:15s} none: RMSE / seg. SD {show(base)}")
        for kw in settings:
            t0 = time.perf_counter()
            ref = refine_trajectories(
                base, obs, cameras, used, FPS, swaps_repaired=rob.swaps_repaired, **kw
            )
            label = ", ".join(f"{k}={v}" for k, v in kw.items()) or "default"
            print(f"  limb_length {label:22s} {show(ref)} ({time.perf_counter() - t0:.2f} s)")
    truth = simulate_run(RunnerConfig(duration_s=60.0), fps=FPS).points
    obs = observe_with_truth(truth, cameras, SyntheticNoiseConfig(**hard)).keypoints
    for mode in (TriangulationRefine.none, TriangulationRefine.limb_length):
        t = best_of(
            lambda: triangulate_recording(obs, cameras, FPS, TriangulationConfig(refine=mode)), 2
        )
        print(
            f"60 s trial ({obs.shape[1] * obs.shape[2]:,} keypoints), triangulate_recording "
            f"refine={mode.value}: {t:.2f} s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--ransac-points", type=int, default=100)
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--ransac-frames", type=int, default=24)
    ap.add_argument("--refine", action="store_true")
    ap.add_argument("--no-throughput", action="store_true")
    args = ap.parse_args()
    cameras = make_rig(RigConfig())
    if not args.no_throughput:
        throughput(cameras, args.points, args.workers, args.ransac_points)
    if args.accuracy:
        accuracy(cameras, args.ransac_frames)
    if args.refine:
        refinement(cameras)


if __name__ == "__main__":
    main()
