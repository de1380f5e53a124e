"""Accuracy of the running-assessment measures of issue #29 on the synthetic runner.

For each noise level (1 px Gaussian, the real-detector level of conf/detector/synthetic_real.yaml)
and seed: the default treadmill runner (8 s at 120 fps) through the demo rig, triangulated and
analysed as the stages do (scripts/real_level_metrics.py), against the truth: the same analysis
on the detector's own keypoints (true joint centres plus the level's definition bias) with the
generator's true events. Prints per metric the mean |error| and the worst over seeds and sides,
and the share of metrics whose change between two seeds lies within the MDC95.

    python scripts/assessment_accuracy.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from real_level_metrics import FORWARD, FPS, MAX_EVENT_TIMING_SD_S, load_level  # noqa: E402

from pipeline.config import (  # noqa: E402
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,
    ThresholdsConfig,
    TriangulationConfig,
)
from pipeline.gait.measurement_error import (  # noqa: E402
    TrialMean,
    detectable_change,
    pooled_between_trial_sd,
    session_error,
)
from pipeline.gait.metrics import TrialAnalysis, analyze_trial  # noqa: E402
from pipeline.gait.stance_fit import point_sd_from_3d  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402
from pipeline.synth.observe import observe_with_truth  # noqa: E402
from pipeline.synth.rig import make_rig  # noqa: E402
from pipeline.triangulation.run import triangulate_recording  # noqa: E402
from pipeline.triangulation.uncertainty import predicted_sd  # noqa: E402

MEASURES = {  # name -> display scale, unit
    "foot_strike_angle_deg": (1.0, "deg"),
    "overstride_m": (1000.0, "mm"),
    "vertical_oscillation_m": (1000.0, "mm"),
    "vertical_ratio": (1.0, "%"),
    "step_length_m": (1000.0, "mm"),
    "duty_factor": (1.0, ""),
    "tibia_inclination_at_strike_deg": (1.0, "deg"),
    "knee_flexion_at_strike_deg": (1.0, "deg"),
}
LEVELS = {"1 px": SyntheticNoiseConfig(pixel_sigma=1.0), "real detector": None}


def trial_pair(
    noise: SyntheticNoiseConfig,
    seed: int,
    duration_s: float = 8.0,
    with_point_sd: bool = False,
    session: int | None = None,
    **knobs,
) -> tuple[TrialAnalysis, TrialAnalysis]:
    """(measured, true) analyses of one synthetic treadmill trial. The generator's runner
    lands heel first and its heel comes down in stance, so the foot-flat pitch of its true
    keypoints (with the level's definition bias) is its standing pitch: given to both
    analyses as the session's static trial would be (landing.py). `with_point_sd`: the
    measured analysis gets the points' SDs as the analyze stage derives them (uncertainties,
    the foot-strike angle's SD).
    `session` None: the seed is a session of its own (its calibration error, camera offsets
    and keypoint definition bias are drawn from noise.seed + seed); else those are the
    session's (noise.seed + 100 session) and only the trial's own noise and where the
    recording starts come from `seed`: trials of one session share them, as a lab's do."""
    cameras = make_rig(RigConfig())
    runner = RunnerConfig(duration_s=duration_s, seed=seed, **knobs)
    truth = simulate_run(runner, FPS)
    session_seed = noise.seed + (seed if session is None else 100 * session)
    seen = observe_with_truth(
        truth.points,
        cameras,
        dataclasses.replace(noise, seed=session_seed),
        rng_seed_offset=0 if session is None else seed + 1,
    )
    events = truth.events()
    true_points = truth.points + seen.bias_m
    foot_flat = analyze_trial(
        true_points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=runner.speed_mps,
    )
    standing = {
        side: foot_flat.summary.sides[side].foot_strike.standing.pitch_deg
        for side in ("left", "right")
    }
    result = triangulate_recording(seen.keypoints, cameras, FPS, TriangulationConfig())
    sd_per_px = predicted_sd(result.points, cameras, result.views_used)
    point_sd = point_sd_from_3d(sd_per_px, result.reprojection_error) if with_point_sd else None
    measured = analyze_trial(
        result.points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        belt_speed_mps=runner.speed_mps,
        height_sd=sd_per_px[..., 2],
        point_sd=point_sd,
        max_event_timing_sd_s=MAX_EVENT_TIMING_SD_S,
        event_points=result.points_unfiltered,
        toe_tip_ahead_m=0.0,  # the synthetic runner's big toe is its tip
        standing_pitch_deg=standing,
    )
    true = analyze_trial(
        true_points,
        FPS,
        FORWARD,
        ThresholdsConfig(),
        events=events,
        belt_speed_mps=runner.speed_mps,
        standing_pitch_deg=standing,
    )
    return measured, true


def errors(measured: TrialAnalysis, true: TrialAnalysis) -> dict[str, list[float]]:
    """Per measure: measured minus true side means (NaN where either has none)."""
    out = {}
    for name in MEASURES:
        out[name] = []
        for side in ("left", "right"):
            m = measured.summary.sides[side].metrics[name].mean
            t = true.summary.sides[side].metrics[name].mean
            out[name].append(np.nan if m is None or t is None else m - t)
    return out


def patterns_agree(measured: TrialAnalysis, true: TrialAnalysis) -> tuple[int, int]:
    """Strides whose pattern equals the true stride's (matched by strike within 0.1 s)."""
    same = total = 0
    for stride in true.strides:
        match = [
            s
            for s in measured.strides
            if s.side == stride.side and abs(s.strike_time_s - stride.strike_time_s) < 0.1
        ]
        if match and stride.foot_strike_pattern is not None:
            total += 1
            same += match[0].foot_strike_pattern == stride.foot_strike_pattern
    return same, total


def _trial_mean(x: TrialAnalysis, side: str, name: str, with_shared: bool = True) -> TrialMean:
    stats = x.summary.sides[side].metrics[name]
    return TrialMean(
        stats.mean, stats.sem, stats.n, shared_sd=stats.shared_sd if with_shared else None
    )


def within_mdc(
    a: TrialAnalysis,
    b: TrialAnalysis,
    names=MEASURES,
    sides=("left", "right"),
    with_shared: bool = True,
) -> tuple[int, int]:
    """Metrics (per side) whose change between trials a and b is within the stride-to-stride
    MDC95 of the two, t(0.975, Welch dof) sqrt(SEM_a^2 + SEM_b^2) (measurement_error.py;
    each SEM with its trial's shared SD unless not `with_shared`); counted only where both
    have an SEM."""
    inside = total = 0
    for name in names:
        for side in sides:
            sa, sb = (_trial_mean(x, side, name, with_shared) for x in (a, b))
            ends = [session_error([s], None) for s in (sa, sb)]
            mdc = detectable_change(*ends).mdc95
            if mdc is None or sa.mean is None or sb.mean is None:
                continue
            total += 1
            inside += abs(sa.mean - sb.mean) <= mdc
    return inside, total


def within_between_trial_mdc(
    repeats: list[TrialAnalysis], others: list[TrialAnalysis], names=MEASURES
) -> tuple[int, int]:
    """Metrics (per side) whose change between each pair of `others` lies within the MDC95 of
    one trial, t(0.975, k - 1) sqrt(2) SEM, SEM = the SD of the k `repeats`' means (one
    session of k repeated trials, measurement_error.py)."""
    inside = total = 0
    for name in names:
        for side in ("left", "right"):
            means = [_trial_mean(x, side, name).mean for x in repeats]
            pooled, _ = pooled_between_trial_sd([means])
            one_trial = session_error([TrialMean(0.0)], pooled)
            mdc = detectable_change(one_trial, one_trial).mdc95
            for i in range(len(others)):
                for j in range(i):
                    a, b = (_trial_mean(others[k], side, name).mean for k in (i, j))
                    if mdc is None or a is None or b is None:
                        continue
                    total += 1
                    inside += abs(a - b) <= mdc
    return inside, total


def between_trial_coverage(trials: list[TrialAnalysis], k: int = 3) -> tuple[int, int]:
    """within_between_trial_mdc over every split of `trials` into k repeats and the rest."""
    inside = total = 0
    for repeats in itertools.combinations(range(len(trials)), k):
        others = [trials[i] for i in range(len(trials)) if i not in repeats]
        got = within_between_trial_mdc([trials[i] for i in repeats], others)
        inside, total = inside + got[0], total + got[1]
    return inside, total


def _session_value(trials: list[TrialAnalysis], side: str, name: str) -> list[float | None]:
    return [_trial_mean(x, side, name).mean for x in trials]


def _study_change_within(before: list, after: list) -> tuple[bool, bool] | None:
    """(counted, inside): the study's before/after test (study_report.comparison) on two
    sessions' trial means of one condition, pooled between-trial SD over both."""
    if any(v is None for v in before + after):
        return None
    pooled, _ = pooled_between_trial_sd([before, after])
    ends = [session_error([TrialMean(v) for v in x], pooled) for x in (before, after)]
    mdc = detectable_change(*ends).mdc95
    if mdc is None:
        return None
    change = sum(after) / len(after) - sum(before) / len(before)
    return True, abs(change) <= mdc


def session_coverage(
    sessions: list[list[TrialAnalysis]], k: int = 3, names=MEASURES
) -> dict[str, tuple[int, int]]:
    """The study's between-trial MDC95 with k trials per session (pooled within-session SD,
    dof 2 (k - 1)) against changes with no true change:
    - "within": k trials of one session against k others of the same session (every split
      with the session's first trial before), so both ends share the session's errors;
    - "across": k trials of one session against k of another (every pair of k-subsets),
      which differ by their calibration error, camera offsets and keypoint definition bias.
    Returns (inside, total) for each, over metrics and sides."""
    out = {"within": [0, 0], "across": [0, 0]}
    for name in names:
        for side in ("left", "right"):
            values = [_session_value(trials, side, name) for trials in sessions]
            for v in values:
                for before in itertools.combinations(range(len(v)), k):
                    after = [i for i in range(len(v)) if i not in before]
                    if before[0] != 0 or len(after) != k:
                        continue
                    got = _study_change_within([v[i] for i in before], [v[i] for i in after])
                    if got is not None:
                        out["within"][0] += got[1]
                        out["within"][1] += 1
            for va, vb in itertools.combinations(values, 2):
                for a in itertools.combinations(va, k):
                    for b in itertools.combinations(vb, k):
                        got = _study_change_within(list(a), list(b))
                        if got is not None:
                            out["across"][0] += got[1]
                            out["across"][1] += 1
    return {key: (inside, total) for key, (inside, total) in out.items()}


def lag1_autocorrelation(values: list[float]) -> float | None:
    """Lag-1 autocorrelation of a stride series (None below 3 strides): drift makes it
    positive and the variance of the mean exceed SD^2 / n."""
    x = np.asarray(values, float) - np.mean(values)
    if x.size < 3 or not np.any(x):
        return None
    return float(np.sum(x[1:] * x[:-1]) / np.sum(x * x))


def diagnose(trials: list[TrialAnalysis], names=MEASURES) -> list[str]:
    """Per metric and side over the trials (no true change between them): stride counts, the
    mean stride SD and SEM, the SD of the trial means (what an MDC has to cover), their ratio,
    its ratio to the trial's full SEM sqrt(SEM^2 + shared_sd^2) (what the stride MDC holds,
    measurement_error.py), the mean lag-1 autocorrelation of the stride series, the largest
    change between two trials and the pairs within the stride-to-stride MDC95 (and within it
    from the stride SEMs alone)."""
    rows = []
    for name in names:
        scale, unit = MEASURES[name]
        for side in ("left", "right"):
            stats = [x.summary.sides[side].metrics[name] for x in trials]
            means = np.array([s.mean for s in stats], float)
            sems = [s.sem for s in stats if s.sem is not None]
            sds = [s.sd for s in stats if s.sd is not None]
            full_sems = [
                float(np.hypot(s.sem, s.shared_sd or 0.0)) for s in stats if s.sem is not None
            ]
            lags = [
                r
                for x in trials
                if (
                    r := lag1_autocorrelation(
                        [
                            v
                            for s in x.strides
                            if s.side == side and (v := s.value(name)) is not None
                        ]
                    )
                )
                is not None
            ]
            inside, total, inside_strides, _ = (
                sum(c)
                for c in zip(
                    *(
                        within_mdc(trials[i], trials[j], [name], sides=(side,))
                        + within_mdc(trials[i], trials[j], [name], (side,), with_shared=False)
                        for i in range(len(trials))
                        for j in range(i)
                    )
                )
            )
            spread = float(np.nanstd(means, ddof=1))
            sem = float(np.mean(sems)) if sems else float("nan")
            full_sem = float(np.mean(full_sems)) if full_sems else float("nan")
            rows.append(
                f"{name:32s} {side:5s} n {min(s.n for s in stats)}-{max(s.n for s in stats)} "
                f"stride SD {scale * np.mean(sds):7.3f} SEM {scale * sem:7.3f} "
                f"SD of trial means {scale * spread:7.3f} ({spread / sem:4.1f} SEM, "
                f"{spread / full_sem:4.1f} full SEM) "
                f"lag-1 r {np.mean(lags):+.2f} largest change "
                f"{scale * float(np.nanmax(means) - np.nanmin(means)):7.3f} {unit:3s} "
                f"within stride MDC {inside}/{total} (stride SEMs alone {inside_strides})"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        help="also this many sessions of 6 trials each: the study's between-trial MDC within "
        "and across sessions (session_coverage)",
    )
    args = parser.parse_args()
    for label, noise in LEVELS.items():
        noise = noise or load_level()
        pairs = [trial_pair(noise, seed, with_point_sd=True) for seed in range(args.seeds)]
        print(f"== {label}, {args.seeds} seeds, 8 s treadmill at 120 fps")
        for name, (scale, unit) in MEASURES.items():
            e = np.array([errors(m, t)[name] for m, t in pairs]).ravel() * scale
            print(
                f"{name:34s} mean |error| {np.nanmean(np.abs(e)):8.3f} worst "
                f"{np.nanmax(np.abs(e)):8.3f} bias {np.nanmean(e):+8.3f} {unit} "
                f"(missing {int(np.isnan(e).sum())})"
            )
        same = [patterns_agree(m, t) for m, t in pairs]
        print(
            "pattern agrees on", sum(s for s, _ in same), "of", sum(n for _, n in same), "strides"
        )
        counts = [within_mdc(pairs[i][0], pairs[j][0]) for i in range(len(pairs)) for j in range(i)]
        print(
            "change within the stride-to-stride MDC95:",
            sum(c for c, _ in counts),
            "of",
            sum(n for _, n in counts),
        )
        if args.seeds >= 6:
            half = args.seeds // 2
            inside, total = within_between_trial_mdc(
                [m for m, _ in pairs[:half]], [m for m, _ in pairs[half:]]
            )
            print(f"change within the between-trial MDC95 ({half} repeats): {inside} of {total}")
            inside, total = between_trial_coverage([m for m, _ in pairs], half)
            print(f"  over every split of the {args.seeds} seeds: {inside} of {total}")
        print("\n".join(diagnose([m for m, _ in pairs])))
        if args.sessions:
            sessions = [
                [trial_pair(noise, trial, session=s)[0] for trial in range(6)]
                for s in range(args.sessions)
            ]
            for key, (inside, total) in session_coverage(sessions).items():
                print(f"study MDC95, 3 trials a session, {key} sessions: {inside} of {total}")


if __name__ == "__main__":
    main()
