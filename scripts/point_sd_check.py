"""The per-point 3D SD the analyze stage derives (`stance_fit.point_sd_from_3d`) against the
points' actual error, per keypoint group and world axis (docs/metrics.md, "The point SDs'
scale").

The metrics read values from fits over several samples and treat the samples' errors as
independent, so the error a point SD has to match is not the per-frame scatter of the
low-passed points (the low-pass and the limb-length refinement lower that, but not the error
a fit averages) but the fit-averaged one: sqrt(w) x the RMS of the error's mean over w
consecutive frames (w = 1: the per-frame scatter), after the trial's constant offset is taken
out (it cancels against the clean analysis). The differences between two keypoints (left and
right heel across, left and right hip vertically, heel and toe vertically) are what step
width, pelvic drop and the foot-strike angle see.

Levels: the hamner treadmill trials at the real-detector level (needs ../shared), the
synthetic runner at 1 px and at the real level, the sprinter's runs through the runway rig.

    python scripts/point_sd_check.py [--levels hamner,1px,real,runway] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))

from pipeline.core.skeleton import INDEX  # noqa: E402
from pipeline.gait.stance_fit import point_sd_from_3d  # noqa: E402
from pipeline.triangulation.run import triangulate_recording  # noqa: E402
from pipeline.triangulation.uncertainty import predicted_sd  # noqa: E402

WINDOWS = (1, 9, 17)
GROUPS = {
    "heel": ("left_heel", "right_heel"),
    "toe": ("left_big_toe", "right_big_toe"),
    "knee": ("left_knee", "right_knee"),
    "hip": ("left_hip", "right_hip"),
}
# (a, b, axis): the error of a's coordinate less b's
DIFFERENCES = {
    "heel L-R y": ("left_heel", "right_heel", 1),
    "hip L-R z": ("left_hip", "right_hip", 2),
    "heel-toe z": ("left_heel", "left_big_toe", 2),
}


def trial(points, cameras, fps, noise, cfg=None) -> dict:
    """The truth, the triangulated points and the analyze stage's point SDs of one trial."""
    from pipeline.config import TriangulationConfig
    from pipeline.synth.observe import observe_with_truth

    seen = observe_with_truth(points, cameras, noise)
    result = triangulate_recording(seen.keypoints, cameras, fps, cfg or TriangulationConfig())
    sd = predicted_sd(result.points, cameras, result.views_used)
    return {
        "truth": points + seen.bias_m,
        "points": result.points,
        "point_sd": point_sd_from_3d(sd, result.reprojection_error),
        "measured": result.n_views > 0,
    }


def fit_averaged(error: np.ndarray, w: int) -> np.ndarray:
    """(..., ) mean square of sqrt(w) x the w-frame running mean of `error` (F, ...), its
    trial mean taken out; NaN frames left out."""
    e = error - np.nanmean(error, axis=0)
    kernel = np.ones(w) / w
    flat = e.reshape(len(e), -1)
    means = np.stack([np.convolve(c, kernel, mode="valid") for c in flat.T], axis=1)
    return w * np.nanmean(means**2, axis=0).reshape(e.shape[1:])


def compare(trials: list[dict]) -> dict:
    """{row: {"predicted": (3,) or scalar, w: same}}: RMS over trials and frames, metres."""
    rows: dict = {}
    for t in trials:
        err = np.where(t["measured"][..., None], t["points"] - t["truth"], np.nan)
        sd = np.where(t["measured"][..., None], t["point_sd"], np.nan)
        for name, keypoints in GROUPS.items():
            ks = [INDEX[k] for k in keypoints]
            row = rows.setdefault(name, {})
            row.setdefault("predicted", []).append(np.nanmean(sd[:, ks] ** 2, axis=(0, 1)))
            for w in WINDOWS:
                row.setdefault(w, []).append(fit_averaged(err[:, ks], w).mean(axis=0))
        for name, (a, b, axis) in DIFFERENCES.items():
            ia, ib = INDEX[a], INDEX[b]
            row = rows.setdefault(name, {})
            row.setdefault("predicted", []).append(
                np.nanmean(sd[:, ia, axis] ** 2 + sd[:, ib, axis] ** 2)
            )
            for w in WINDOWS:
                row.setdefault(w, []).append(fit_averaged(err[:, ia, axis] - err[:, ib, axis], w))
    return {
        name: {k: np.sqrt(np.mean(v, axis=0)) for k, v in row.items()} for name, row in rows.items()
    }


def hamner_trials(seeds) -> list[dict]:
    from real_level_metrics import load_level
    from running_mocap import TREADMILL_TRIALS, treadmill_trial

    from pipeline.config import RigConfig
    from pipeline.synth.rig import make_rig

    level = load_level()
    out = []
    for name in TREADMILL_TRIALS:
        points, fps, _, _ = treadmill_trial(name)
        cameras = make_rig(RigConfig(fps=fps))
        for seed in seeds:
            noise = dataclasses.replace(level, keypoint_bias_m=0.0, seed=level.seed + seed)
            out.append(trial(points, cameras, fps, noise))
    return out


def synthetic_trials(level: str, seeds) -> list[dict]:
    from real_level_metrics import load_level

    from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
    from pipeline.synth.kinematics import simulate_run
    from pipeline.synth.rig import make_rig

    noise = SyntheticNoiseConfig(pixel_sigma=1.0) if level == "1px" else load_level()
    cameras = make_rig(RigConfig())
    out = []
    for seed in seeds:
        truth = simulate_run(RunnerConfig(duration_s=8.0, seed=seed), 120.0)
        out.append(
            trial(truth.points, cameras, 120.0, dataclasses.replace(noise, seed=noise.seed + seed))
        )
    return out


def runway_trials(seeds) -> list[dict]:
    import test_overground_runway as runway
    from real_level_metrics import load_level

    level = load_level()
    out = []
    for run in runway.RUNS:
        if ("truth", run) not in runway._CACHE:
            runway.runway_trial(run, seeds[0])
        t = runway._CACHE["truth", run]
        for seed in seeds:
            noise = dataclasses.replace(level, keypoint_bias_m=0.0, seed=level.seed + seed)
            out.append(trial(t["points"], t["cameras"], t["fps"], noise, t["cfg"].triangulation))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="hamner,1px,real,runway")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    build = {
        "hamner": lambda: hamner_trials(seeds),
        "1px": lambda: synthetic_trials("1px", seeds),
        "real": lambda: synthetic_trials("real", seeds),
        "runway": lambda: runway_trials(seeds),
    }
    for level in args.levels.split(","):
        print(f"{level} (seeds {args.seeds}): mm, X/Y/Z; predicted | fit-averaged error, w frames")
        for name, row in compare(build[level]()).items():
            fmt = lambda v: "/".join(f"{1000 * x:.1f}" for x in np.atleast_1d(v))
            ratio = "/".join(f"{x:.2f}" for x in np.atleast_1d(row["predicted"] / row[17]))
            cells = "  ".join(f"w{w} {fmt(row[w])}" for w in WINDOWS)
            print(f"  {name:11s} {fmt(row['predicted']):>16s} | {cells} | predicted/w17 {ratio}")


if __name__ == "__main__":
    main()
