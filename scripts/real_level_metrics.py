"""What a lab can expect from a real detector: gait metrics of synthetic trials observed at
the real-detector level (conf/detector/synthetic_real.yaml) through the default triangulation
and analysis, against the generator's truth (docs/metrics.md, "What to expect from a real
detector").

Per seed: a treadmill runner (RunnerConfig defaults, seed = runner variation), the demo rig
(4 cameras, 1080p, 120 fps), the synthetic detector at the given level with noise.seed + seed
(another study each seed: new offsets, calibration error and definition bias), the default
`TriangulationConfig` (`triangulate_recording`, as the triangulate stage), then
`analyze_trial` with screened events on the unfiltered points (as the analyze stage). Truth:
the same analysis on the true skeleton with the true events. Errors are measured minus true
per side of the trial means; events: detected minus true time of each true event found
within 150 ms.

    python scripts/real_level_metrics.py [--seeds 6] [--duration 6] [--level conf/detector/synthetic_real.yaml]
        [--ablation]    # also each error of the level alone
        [--set max_reprojection_px=40 ...]   # triangulation settings other than the defaults

Prints one row per metric: mean |error| and worst |error| over seeds and sides, and the
mean signed error (bias), for the level and, for comparison, for the clean 1 px detector.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import (
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,  # noqa: E402
    ThresholdsConfig,
    TriangulationConfig,
)
from pipeline.core.skeleton import INDEX  # noqa: E402
from pipeline.gait.metrics import analyze_trial  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402
from pipeline.synth.observe import observe_with_truth  # noqa: E402
from pipeline.synth.rig import make_rig  # noqa: E402
from pipeline.triangulation.run import triangulate_recording  # noqa: E402
from pipeline.triangulation.uncertainty import predicted_sd  # noqa: E402

FPS = 120.0
FORWARD = [1.0, 0.0, 0.0]
MAX_EVENT_TIMING_SD_S = 0.003  # AnalysisConfig.max_event_timing_sd_ms default
MATCH_S = 0.15
REAL_LEVEL = REPO / "conf" / "detector" / "synthetic_real.yaml"
METRICS = {  # name in the analysis -> (label, unit scale, unit)
    "peak_stance_knee_flexion_deg": ("peak stance knee flexion", 1.0, "deg"),
    "knee_flexion_at_toe_off_deg": ("knee flexion at toe-off", 1.0, "deg"),
    "pelvic_drop_deg": ("pelvic drop", 1.0, "deg"),
    "step_width_m": ("step width", 1000.0, "mm"),
    "knee_over_toe_m": ("knee over toe", 1000.0, "mm"),
}
LEGS = [
    INDEX[f"{s}_{p}"]
    for s in ("left", "right")
    for p in ("hip", "knee", "ankle", "heel", "big_toe")
]


def load_level(path: Path = REAL_LEVEL) -> SyntheticNoiseConfig:
    """The `synthetic:` block of a conf/detector/*.yaml as a validated SyntheticNoiseConfig."""
    from omegaconf import OmegaConf

    raw = OmegaConf.load(path)
    return OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(SyntheticNoiseConfig), raw.get("synthetic", {}))
    )


def trial_errors(
    noise: SyntheticNoiseConfig,
    seed: int,
    duration_s: float = 6.0,
    triangulation: TriangulationConfig = TriangulationConfig(),
) -> dict:
    """Measured minus true metrics, event timing errors and 3D errors of one synthetic trial."""
    cameras = make_rig(RigConfig())
    runner = RunnerConfig(duration_s=duration_s, seed=seed)
    truth = simulate_run(runner, FPS)
    noise = dataclasses.replace(noise, seed=noise.seed + seed)
    seen = observe_with_truth(truth.points, cameras, noise)
    result = triangulate_recording(seen.keypoints, cameras, FPS, triangulation)
    height_sd = predicted_sd(result.points, cameras, result.views_used)[..., 2]
    measured = analyze_trial(
        result.points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        belt_speed_mps=runner.speed_mps,
        height_sd=height_sd,
        max_event_timing_sd_s=MAX_EVENT_TIMING_SD_S,
        event_points=result.points_unfiltered,
        toe_tip_ahead_m=0.0,
    )  # the synthetic runner's big toe is the tip
    events = truth.events()
    out: dict = {"metrics": {}, "keypoint_metrics": {}, "events": {}}
    # Two truths: the joint centres (what a lab wants) and the detector's own keypoints, the
    # joint centres moved by the definition bias (what triangulation can recover at best).
    for key, skeleton in (
        ("metrics", truth.points),
        ("keypoint_metrics", truth.points + seen.bias_m),
    ):
        true = analyze_trial(
            skeleton,
            FPS,
            FORWARD,
            ThresholdsConfig(),
            events=events,
            belt_speed_mps=runner.speed_mps,
        )
        for name in METRICS:
            errs = []
            for side in ("left", "right"):
                m = measured.summary.sides[side].metrics[name].mean
                t = true.summary.sides[side].metrics[name].mean
                errs.append(np.nan if m is None or t is None else m - t)
            out[key][name] = errs
    for name in ("foot_strike", "toe_off"):
        errors, n_true = [], 0
        for side in ("left", "right"):
            found = np.asarray(measured.events[side][name])
            true_times = events[side][name]
            n_true += len(true_times)
            for t in true_times:
                if found.size and np.min(np.abs(found - t)) < MATCH_S * FPS:
                    errors.append(found[np.argmin(np.abs(found - t))] - t)
        out["events"][name] = (np.array(errors), n_true)
    for key, skeleton in (
        ("leg_rmse_mm", truth.points),
        ("leg_keypoint_rmse_mm", truth.points + seen.bias_m),
    ):
        sq = np.sum((result.points[:, LEGS] - skeleton[:, LEGS]) ** 2, axis=-1)
        sq = sq[np.isfinite(sq)]
        out[key] = 1000 * float(np.sqrt(sq.mean())) if sq.size else np.nan
    out["leg_measured"] = float((result.n_views[:, LEGS] > 0).mean())  # measured, not gap-filled
    out["swaps_repaired"] = int(result.swaps_repaired.sum())
    return out


def summarize(rows: list[dict], truth: str = "metrics") -> dict:
    """Per metric: (mean |error|, worst |error|, mean signed error) in display units, against
    the joint centres (`truth` = "metrics") or the detector's keypoints ("keypoint_metrics");
    events in frames: (mean |error|, worst |error|, bias, timed share)."""
    out = {}
    for name, (_, scale, _) in METRICS.items():
        e = scale * np.array([v for r in rows for v in r[truth][name]], float)
        e = e[np.isfinite(e)]
        out[name] = (np.mean(np.abs(e)), np.max(np.abs(e)), np.mean(e)) if e.size else (np.nan,) * 3
    for name in ("foot_strike", "toe_off"):
        e = np.concatenate([r["events"][name][0] for r in rows])
        n = sum(r["events"][name][1] for r in rows)
        out[name] = (
            (np.mean(np.abs(e)), np.max(np.abs(e)), np.mean(e), e.size / n)
            if e.size
            else (np.nan, np.nan, np.nan, 0.0)
        )
    out["leg_rmse_mm"] = np.nanmean([r["leg_rmse_mm"] for r in rows])
    out["leg_keypoint_rmse_mm"] = np.nanmean([r["leg_keypoint_rmse_mm"] for r in rows])
    out["leg_measured"] = np.mean([r["leg_measured"] for r in rows])
    return out


def report(label: str, summary: dict, keypoints: dict) -> None:
    print(f"\n== {label}")
    print(f"  {'':26s} {'vs true joint centres':34s}   vs the detector's keypoints")
    for name, (text, _, unit) in METRICS.items():
        mae, worst, bias = summary[name]
        k_mae, k_worst, k_bias = keypoints[name]
        print(
            f"  {text:26s} mean |err| {mae:6.2f} {unit:3s} worst {worst:6.2f} bias {bias:+6.2f}"
            f"   mean |err| {k_mae:6.2f} worst {k_worst:6.2f} bias {k_bias:+6.2f}"
        )
    for name in ("foot_strike", "toe_off"):
        mae, worst, bias, share = summary[name]
        print(
            f"  {name:26s} mean |err| {mae:6.2f} fr  worst {worst:6.2f}  bias {bias:+6.2f}  "
            f"({1000 * mae / FPS:.1f} ms mean; {100 * share:.0f} % of true events timed)"
        )
    print(
        f"  leg keypoints: 3D RMSE {summary['leg_rmse_mm']:.1f} mm vs the true joint centres, "
        f"{summary['leg_keypoint_rmse_mm']:.1f} mm vs the detector's keypoints; "
        f"{100 * summary['leg_measured']:.1f} % of keypoint-frames measured (not gap-filled)"
    )


def triangulation_config(overrides: list[str]) -> TriangulationConfig:
    from omegaconf import OmegaConf

    cfg = OmegaConf.merge(
        OmegaConf.structured(TriangulationConfig), OmegaConf.from_dotlist(overrides)
    )
    return OmegaConf.to_object(cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument("--level", type=Path, default=REAL_LEVEL)
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="triangulation settings, e.g. max_reprojection_px=40",
    )
    args = ap.parse_args()
    level = load_level(args.level)
    triangulation = triangulation_config(args.set)
    levels = {
        "clean detector (1 px Gaussian)": SyntheticNoiseConfig(),
        f"real level ({args.level.name})": level,
    }
    if args.ablation:
        off = SyntheticNoiseConfig(pixel_sigma=1.0)
        size = ("reference_height_px",)  # the pixel errors' size is for a person this tall
        parts = {
            "noise (t)": ("pixel_sigma", "noise_dof", "min_pixel_sigma") + size,
            "per-camera offsets": ("camera_offset_px",) + size,
            "calibration error": ("calibration_error_mm", "calibration_error_deg"),
            "keypoint definition bias": ("keypoint_bias_m",),
            "swap bursts": ("swap_burst_rate", "swap_burst_frames"),
            "hidden dropouts": ("hidden_dropout_rate", "hidden_dropout_frames"),
        }
        for label, keys in parts.items():
            levels[f"only {label} (1 px otherwise)"] = dataclasses.replace(
                off, **{k: getattr(level, k) for k in keys}
            )
    for label, noise in levels.items():
        t0 = time.perf_counter()
        rows = [
            trial_errors(noise, seed, args.duration, triangulation) for seed in range(args.seeds)
        ]
        report(
            f"{label}: {args.seeds} trials of {args.duration:g} s "
            f"({time.perf_counter() - t0:.0f} s)",
            summarize(rows),
            summarize(rows, "keypoint_metrics"),
        )


if __name__ == "__main__":
    main()
