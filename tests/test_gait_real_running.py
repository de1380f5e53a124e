"""Gait events on real running against force plates (issue #26).

The shared treadmill trials (../shared/data/running-mocap/hamner-subject04, 2-5 m/s, 100 Hz
markers turned into Halpe-26 keypoints, tests/running_mocap.py), events detected as the analyze
stage does, against the force plates (vertical force above 50 N is contact), at two levels:
- clean: the marker keypoints themselves;
- real detector: the synthetic detector at conf/detector/synthetic_real.yaml without its keypoint
  definition bias, through the demo rig at the trial's own 100 Hz, triangulated by runlab, events
  screened on the points before the low-pass; seeds 0-2.
True events count where the markers cover 0.1 s on both sides (an event cut by the recording's
ends cannot be timed); a detected event there that matches no true one within 0.1 s is false.
Targets of the issue; a target not met is a strict xfail carrying the measured number.
Skipped when ../shared is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from running_mocap import (
    HAMNER,
    TREADMILL_TRIALS,
    analyze_observed,
    treadmill_trial,
)

from pipeline.config import ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.observation import step_rhythm_cadence
from pipeline.gait.records import Stride

pytestmark = pytest.mark.skipif(not HAMNER.is_dir(), reason="../shared/data/running-mocap absent")

EDGE_S, MATCH_S = 0.1, 0.1
SEEDS = range(3)
CHECK_SEEDS = range(3, 10)  # level "real_check": the seeds nothing was tuned on
FRESH_SEEDS = range(10, 30)  # level "real_fresh": the seeds no one had looked at
_CACHE: dict = {}


def trial_rows(level: str) -> list[dict]:
    """Per trial (and seed): the detected events, the force-plate events, frames, fps."""
    if level in _CACHE:
        return _CACHE[level]
    rows = []
    for name in TREADMILL_TRIALS:
        points, fps, truth, speed = treadmill_trial(name)
        for seed in {"real": SEEDS, "real_check": CHECK_SEEDS, "real_fresh": FRESH_SEEDS}.get(
            level, [None]
        ):
            if seed is None:
                analysis = analyze_trial(
                    points, fps, [1, 0, 0], ThresholdsConfig(), belt_speed_mps=speed
                )
            else:
                analysis = analyze_observed(points, fps, seed, speed)
            rows.append(
                {
                    "trial": name,
                    "seed": seed,
                    "fps": fps,
                    "n": len(points),
                    "found": analysis.events,
                    "poor": analysis.poorly_observed,
                    "not_found": analysis.summary.contacts_not_found,
                    "truth": truth,
                    "strides": analysis.strides,
                    "true_strides": _reference_strides(name, points, fps, truth, speed),
                }
            )
    _CACHE[level] = rows
    return rows


def _reference_strides(name, points, fps, truth, speed) -> list[Stride]:
    """The same analysis on the clean keypoints with the force-plate events (so a detector's
    definition bias is not counted: the issue's reference for the metrics)."""
    key = ("reference", name)
    if key not in _CACHE:
        _CACHE[key] = analyze_trial(
            points, fps, [1, 0, 0], ThresholdsConfig(), events=truth, belt_speed_mps=speed
        ).strides
    return _CACHE[key]


METRIC_TARGETS = {
    "peak_stance_knee_flexion_deg": (3.0, 1.0, "deg"),
    "pelvic_drop_deg": (1.5, 1.0, "deg"),
    "step_width_m": (10.0, 1000.0, "mm"),
    "knee_over_toe_m": (15.0, 1000.0, "mm"),
}


def metric_errors(rows: list[dict]) -> dict:
    """Per metric: errors (display units) of each stride against the reference stride of the
    same side whose strike is within MATCH_S."""
    out = {name: [] for name in METRIC_TARGETS}
    for row in rows:
        for stride in row["strides"]:
            refs = [
                r
                for r in row["true_strides"]
                if r.side == stride.side
                and abs(r.strike_frame - stride.strike_frame) <= MATCH_S * row["fps"]
            ]
            if not refs:
                continue
            for name, (_, scale, _) in METRIC_TARGETS.items():
                got, true = stride.value(name), refs[0].value(name)
                if got is not None and true is not None:
                    out[name].append(scale * (got - true))
    return {name: np.asarray(v, float) for name, v in out.items()}


def event_scores(rows: list[dict]) -> dict:
    """Pooled over trials: per event type, errors (frames) of the true events timed, the count
    of true events and of false ones; contact-time errors (ms) and cadence errors (steps/min)."""
    out = {name: {"errors": [], "n_true": 0, "false": 0} for name in ("foot_strike", "toe_off")}
    contact_errors, cadence_errors = [], []
    for row in rows:
        fps, lo, hi = row["fps"], EDGE_S * row["fps"], row["n"] - 1 - EDGE_S * row["fps"]
        tol = MATCH_S * fps
        for side in ("left", "right"):
            matched = {}
            for name in out:
                all_true = np.asarray(row["truth"][side][name])
                found = np.asarray(row["found"][side][name])
                true = all_true[(all_true >= lo) & (all_true <= hi)]
                out[name]["n_true"] += true.size
                for t in true:
                    if found.size and np.min(np.abs(found - t)) <= tol:
                        nearest = found[np.argmin(np.abs(found - t))]
                        out[name]["errors"].append(nearest - t)
                        matched[name, t] = nearest
                inside = found[(found >= lo) & (found <= hi)]
                out[name]["false"] += int(
                    sum(not (all_true.size and np.min(np.abs(all_true - f)) <= tol) for f in inside)
                )
            offs = np.asarray(row["truth"][side]["toe_off"])
            for strike in row["truth"][side]["foot_strike"]:
                later = offs[offs > strike]
                if (
                    later.size
                    and ("foot_strike", strike) in matched
                    and ("toe_off", later[0]) in matched
                ):
                    found_ct = matched["toe_off", later[0]] - matched["foot_strike", strike]
                    contact_errors.append(1000 * (found_ct - (later[0] - strike)) / fps)
        # like for like: the events of both inside the part of the trial the truth covers
        cadence = [
            step_rhythm_cadence(_events_between(events, lo, hi), fps)
            for events in (row["found"], row["truth"])
        ]
        cadence_errors.append(np.nan if None in cadence else cadence[0] - cadence[1])
    for name in ("foot_strike", "toe_off"):
        e = np.asarray(out[name]["errors"], float)
        out[name].update(
            errors=e,
            timed=e.size / max(out[name]["n_true"], 1),
            mae=float(np.mean(np.abs(e))) if e.size else np.nan,
            bias=float(np.mean(e)) if e.size else np.nan,
        )
    out["contact_ms"] = np.asarray(contact_errors, float)
    out["cadence_spm"] = np.asarray(cadence_errors, float)
    return out


def _events_between(events: dict, lo: float, hi: float) -> dict:
    return {
        side: {name: [t for t in events[side][name] if lo <= t <= hi] for name in events[side]}
        for side in events
    }


def misses(
    scores: dict, fps: float, min_timed: float, max_mae: float, max_bias_ms: float
) -> list[str]:
    """The targets `scores` misses, each with its measured value."""
    out = []
    for name in ("foot_strike", "toe_off"):
        s = scores[name]
        if not s["timed"] >= min_timed:
            out.append(
                f"{name}: {100 * s['timed']:.0f} % of {s['n_true']} true events timed "
                f"(target >= {100 * min_timed:.0f} %)"
            )
        if s["false"]:
            out.append(f"{name}: {s['false']} false events (target 0)")
        if not s["mae"] <= max_mae:
            out.append(f"{name}: mean |error| {s['mae']:.2f} frames (target <= {max_mae:g})")
        if not abs(s["bias"]) * 1000 / fps <= max_bias_ms:
            out.append(
                f"{name}: bias {s['bias'] * 1000 / fps:+.1f} ms (target within {max_bias_ms:g} ms)"
            )
    ct = scores["contact_ms"]
    if not (ct.size and np.mean(np.abs(ct)) <= 10.0):
        out.append(
            f"contact time mean |error| {np.mean(np.abs(ct)):.1f} ms over {ct.size} "
            "contacts (target <= 10 ms)"
        )
    cadence = scores["cadence_spm"]
    if not (np.isfinite(cadence).all() and np.max(np.abs(cadence)) <= 1.0):
        out.append(
            f"cadence worst |error| {np.nanmax(np.abs(cadence)):.2f} steps/min, "
            f"{int(np.isnan(cadence).sum())} trials without (target <= 1)"
        )
    return out


def test_events_on_clean_marker_keypoints_against_force_plates():
    # measured: strikes 20/20 timed, mae 0.57 frame, bias +1.4 ms; toe-offs 20/20, mae 0.75
    # frame, bias -1.8 ms; no false event; contact time mae 9.3 ms; cadence (the step rhythm
    # fitted to every strike and toe-off) worst 0.66 steps/min, mean 0.42
    found = misses(event_scores(trial_rows("clean")), 100.0, 1.0, 1.0, 5.0)
    assert not found, found


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured (3 seeds, #25b's person-sized errors, despike against the point's own "
        "noise, noisy fit samples chosen on the low-passed heights, toe-offs read on the mean "
        "event by the peel-off fit with a fitted floor level over 3 fit half-windows before "
        "the edge): strikes 60/60 timed, mae 0.86 frame, bias -0.14 frame; toe-offs 60/60, mae "
        "0.82 frame, bias -0.08 frame; no false event; contact time mae 12.5 ms (target 10; "
        "13.7 with the level over 2 half-windows, 14.8 with the toe-offs' corner read on the "
        "median of the dip; seeds 3-9: 15.2, 16.3, 18.0 before; cadence worst 0.83 steps/min, "
        "met): each trial's events share the offset of the read on their mean event of ~5 "
        "events, -1.2 .. +1.0 frames for strikes (SD 0.86 over the 12 trial-seeds: noise, "
        "falling as 1/sqrt(N) with the events averaged), -1.2 .. +1.6 for toe-offs (SD 0.79; "
        "-2.0 .. +1.6, SD 0.97, with the level over 2 half-windows; -0.9 .. +3.4, SD 1.28, "
        "before the peel-off read, a speed-dependent bias of the shoe-tip cue); the offsets "
        "alone make 9.6 ms (12.2 before), the events' scatter about them 7.1 (docs/metrics.md; "
        "split: docs/history/metrics-measurements.md)"
    ),
)
def test_events_at_the_real_detector_level_against_force_plates():
    found = misses(event_scores(trial_rows("real")), 100.0, 0.95, 2.0, 10.0)
    assert not found, found


def test_no_contact_is_reported_missing_on_the_treadmill():
    """gait/missed_contacts.py makes up no missing contact: on the clean keypoints and at the
    real-detector level every force-plate contact inside the trial has an event (timed or
    poorly observed) within MATCH_S, and none is reported."""
    # measured: clean 0 reported, 0 missing; real seeds 0-2 0 / 0; seeds 3-9 0 / 0; 10-29 0 / 0
    for level in ("clean", "real", "real_check"):
        for row in trial_rows(level):
            assert row["not_found"] == {"left": (), "right": ()}, (level, row["trial"], row["seed"])
            tol, poor = MATCH_S * row["fps"], row["poor"]
            for side in ("left", "right"):
                marks = np.concatenate(
                    [np.asarray(row["found"][side][n], float) for n in ("foot_strike", "toe_off")]
                    + [np.asarray(poor[side][n], float) for n in ("foot_strike", "toe_off") if poor]
                )
                offs = np.asarray(row["truth"][side]["toe_off"], float)
                for strike in row["truth"][side]["foot_strike"]:
                    own = offs[(offs > strike) & (offs < strike + 0.5 * row["fps"])]
                    end = own[0] if own.size else strike
                    seen = np.any((marks > strike - tol) & (marks < end + tol))
                    assert seen, (level, row["trial"], row["seed"], side, strike)


def test_the_event_targets_that_hold_at_both_levels():
    # measured: clean 100 % timed, 0 false, mae 0.57 / 0.75 frame, bias +1.4 / -1.8 ms,
    # contact time mae 9.3 ms; real level 100 % / 100 % timed, 0 false, mae 0.86 / 0.82
    # frames, bias -1.4 / -0.8 ms
    clean, real = event_scores(trial_rows("clean")), event_scores(trial_rows("real"))
    for name in ("foot_strike", "toe_off"):
        assert clean[name]["false"] == 0 and clean[name]["timed"] == 1.0, name
        assert clean[name]["mae"] <= 1.0, (name, clean[name]["mae"])
        assert abs(clean[name]["bias"]) * 1000 / 100.0 <= 5.0, (name, clean[name]["bias"])
        assert real[name]["false"] == 0, (name, real[name]["false"])
        assert real[name]["timed"] >= 0.95, (name, real[name]["timed"])
        assert real[name]["mae"] <= 2.0 and abs(real[name]["bias"]) <= 1.0, name
    assert np.mean(np.abs(clean["contact_ms"])) <= 10.0, clean["contact_ms"]
    # cadence worst 0.83 steps/min on seeds 0-2 (mean 0.42); seeds 3-9: worst 1.68, 3 of 28
    # trial-seeds over 1, mean 0.51 (docs/metrics.md)
    assert np.max(np.abs(real["cadence_spm"])) <= 1.0, real["cadence_spm"]


def metric_misses(errors: dict, names=tuple(METRIC_TARGETS)) -> list[str]:
    out = []
    for name in names:
        limit, _, unit = METRIC_TARGETS[name]
        e = np.abs(errors[name])
        if not (e.size and e.mean() <= limit and e.max() <= 2 * limit):
            out.append(
                f"{name}: mean |error| {e.mean():.2f} {unit} (target {limit:g}), worst "
                f"{e.max():.2f} (target {2 * limit:g}) over {e.size} strides"
            )
    return out


def test_peak_knee_flexion_at_the_real_detector_level_against_the_clean_analysis():
    # measured (3 seeds, stance extremes from the side's pooled shape with each stride's own
    # level, stance_pool.pooled_peak, the analyze stage's point SDs, swapped hips and samples
    # of keypoints not measured left out, #26's events, despike against the point's own
    # noise, toe-offs' mean-event peel-off read): mean |error| 1.51 deg, worst 4.15, bias
    # +0.44 over 57 strides (target 3 / 6; 1.50 / 3.90 with the read's level over 2 fit
    # half-windows, 1.49 / 4.31 before the peel-off read); 1.58 /
    # 5.18 with each stride's own local quadratic (before it)
    name = "peak_stance_knee_flexion_deg"
    found = metric_misses(metric_errors(trial_rows("real")), [name])
    assert not found, found


def test_pelvic_drop_at_the_real_detector_level_against_the_clean_analysis():
    # measured (3 seeds): each stride's stance maximum of one quartic shared by the side's
    # strides over their whole stances and a quarter stance beyond each event, each stride with
    # its own level (stance_reader.spanned_extreme) and the toe-offs' peel-off read: mean
    # |error| 0.87 deg, worst 2.79, bias -0.33 over 57 strides (target 1.5 / 3; 0.86 / 2.69
    # with the read's level over 2 fit half-windows, 0.87 / 2.80 before the peel-off read);
    # seeds 3-9: 1.18 / 4.36 over 133 (a strict xfail below), the worst on
    # seed 3, whose obliquity reads 0.8-1.8 deg high over whole trials (the cameras' constant
    # offsets). Before, a quadratic a quarter stance either side of the side's noisy median
    # peak: 1.28 / 5.36 (seeds 3-9 1.53 / 6.27)
    found = metric_misses(metric_errors(trial_rows("real")), ["pelvic_drop_deg"])
    assert not found, found


def test_knee_over_toe_at_the_real_detector_level_against_the_clean_analysis():
    # measured (3 seeds, point SDs as the analyze stage derives them, swapped hips and samples
    # of keypoints not measured left out, #26's events screened by timing SD): 9.98 / 26.33
    # mm, bias +4.61 over 57 strides (target 15 / 30; a narrow pass: 9.91 / 30.68 on the
    # events before main's peel-off level change, where the method was chosen), read at the
    # peak time of both legs' shared quadratic weighed with each stride's own peak (its own
    # level and slope, the side's curvature: stance_pool.own_vertices) by their SDs, with the
    # clean analysis's peak time its quadratic's vertex too; 11.16 / 32.75 without the
    # strides' own peaks, 11.74 / 46.40 when the clean analysis took its largest sample (at
    # the steep end of a flat, lopsided top). The time is 0.54 frame rms off (0.75, 0.82):
    # 8.0 mm rms of 12.0, the rest (the knee's and toe's noise, the stance's knee-toe offset)
    # 9.9; the worst stride, run500 seed 1 right, +26.3: +7.3 of time, +19.0 of the rest
    found = metric_misses(metric_errors(trial_rows("real")), ["knee_over_toe_m"])
    assert not found, found


def test_step_width_at_the_real_detector_level_against_the_clean_analysis():
    # measured (3 seeds): each foot's lateral position at its strike from a quadratic shared by
    # the side's stances from a quarter stance before each strike to mid-stance, each with its
    # own level (stance_pool.pooled_strike): mean |error| 3.93 mm, worst 13.74, bias -0.42 over
    # 45 strides (target 10 / 20); 5.79 / 17.90 with a line shared over the stances' first
    # halves read at their start (before it), 7.62 / 20.24 with a line of each stance's own
    found = metric_misses(metric_errors(trial_rows("real")), ["step_width_m"])
    assert not found, found


_CHECK_SEED_MISSES = {
    "pelvic_drop_deg": "seeds 3-9: 1.18 / 4.36 deg over 133 strides (target 1.5 / 3): the worst "
    "on seed 3, whose obliquity reads 0.8-1.8 deg high over whole trials (the cameras' "
    "constant offsets, which no read of the curve removes)",
    "knee_over_toe_m": "seeds 3-9: 9.88 / 54.04 mm over 133 strides (target 15 / 30; 11.02 / "
    "51.10 without the strides' own peak times, 13.26 / 51.10 before the clean analysis read "
    "the knee's peak time as the real level does): the worst, run400 seed 4 right, is the "
    "knee's and toe's noise and offset (+51.3 of it, +2.7 of time; 2.0 SDs)",
}


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=_CHECK_SEED_MISSES[m]))
        if m in _CHECK_SEED_MISSES
        else m
        for m in METRIC_TARGETS
    ],
)
def test_metrics_on_the_check_seeds_against_the_clean_analysis(metric):
    # the seeds no method was chosen on; measured peak knee flexion 1.45 / 5.68 deg (3 / 6),
    # step width 5.66 / 17.21 mm over 105 strides (10 / 20; 7.21 / 25.64 before the read
    # through the strike, stance_pool.pooled_strike)
    found = metric_misses(metric_errors(trial_rows("real_check")), [metric])
    assert not found, found


@pytest.mark.xfail(
    strict=True,
    reason=(
        "measured on seeds 10-29 (looked at only after the read through the strike was "
        "chosen): step width 6.33 / 39.95 mm over 295 strides (target 10 / 20; 7.64 / 51.00 "
        "before it); 12 strides over 20 mm, 10 of them on run200 (2 m/s) in the trial-seeds "
        "whose strikes are all 3-7 frames early (seeds 19, 20, 23, 28, 29: the shared offset "
        "of a trial's events), where the foot is still coming in (the clean foot read at the "
        "detected strike is 17-54 mm of that error); the other two -26.3 (run200 seed 18, 1.9 "
        "SDs) and -20.4 (run300 seed 18). Read at the force-plate strikes, the same points "
        "give 3.99 / 18.24 mm (docs/metrics.md; docs/history/metrics-measurements.md)"
    ),
)
def test_step_width_on_fresh_seeds_against_the_clean_analysis():
    found = metric_misses(metric_errors(trial_rows("real_fresh")), ["step_width_m"])
    assert not found, found


def errors_over_sd(rows: list[dict], name: str) -> np.ndarray:
    """|error| / propagated SD of each stride's `name` against the reference stride (the
    clean analysis with force-plate events) it matches; inf where the stride has no SD."""
    z = []
    for row in rows:
        for stride in row["strides"]:
            refs = [
                r
                for r in row["true_strides"]
                if r.side == stride.side
                and abs(r.strike_frame - stride.strike_frame) <= MATCH_S * row["fps"]
            ]
            got, sd = stride.value(name), stride.uncertainty.get(name)
            if refs and got is not None and refs[0].value(name) is not None:
                z.append(np.inf if sd is None else abs(got - refs[0].value(name)) / sd)
    return np.asarray(z, float)


def test_no_knee_over_toe_read_is_a_confident_wrong_answer_on_fresh_seeds():
    # measured (seeds 10-29): largest |error| / SD 2.65 (run300 seed 15 left, +54.1 mm: the
    # knee's peak time 3.6 frames late), 371/374 strides within 2 SDs. Before the knee's
    # scatter test (planted_toe.PlantedToeReader.scatter_factor) run300 seed 19 left read
    # +133.8 mm at 5.1 SDs: a left/right swap in two of the four views at once (frames
    # 198-203) that triangulation took in, the knee ~130 mm forward; that stride is now set
    # aside (swaps.swapped_stances, tests/test_swapped_stride.py)
    z = errors_over_sd(trial_rows("real_fresh"), "knee_over_toe_m")
    assert z.size and np.max(z) <= 3.0, (np.max(z), int(np.sum(z > 2.0)), z.size)


def uncertainty_coverage(rows: list[dict]) -> dict:
    """Per metric: (strides whose |error| is within 2 of their propagated SDs, strides)."""
    out = {}
    for name in METRIC_TARGETS:
        z = errors_over_sd(rows, name)
        out[name] = (int(np.sum(z <= 2.0)), len(z))
    return out


@pytest.mark.parametrize("metric", list(METRIC_TARGETS))
def test_each_stride_uncertainty_covers_its_error_at_the_real_detector_level(metric):
    # measured (3 seeds, the sides' pooled reads): |error| within 2 SD for knee flexion
    # 57/57, pelvic drop 57/57 (seeds 3-9: 131/133), step width 45/45 (RMS error / SD 0.53,
    # 0.58, 0.53; step width 0.57 without the strikes' shared read: they over-cover, the
    # point SDs are about twice the unfiltered points' scatter); knee over toe 57/57 (RMS 0.51;
    # RMS error / RMS SD 0.46) with its peak time from both legs' shared quadratic weighed
    # with each stride's own peak, the toe from its planted line and the clean analysis's
    # peak time its quadratic's vertex (seeds 3-9: 132/133, RMS 0.62; 0.58; without the
    # strides' own peaks 57/57, RMS 0.46, and 133/133, 0.51; against the clean largest sample
    # 57/57, 0.49, and 133/133, 0.63), 57/57 (RMS 0.47) from the side's shared cubic, 54/57
    # with the side's
    # quadratic vertex before its re-centred fit, 47/54 (RMS 1.32) before its peak time's SD
    # and the events' timing SDs were part of it
    covered, n = uncertainty_coverage(trial_rows("real"))[metric]
    assert n and covered >= 0.95 * n, (metric, covered, n)


def test_metrics_with_detected_events_on_clean_keypoints():
    # measured: peak knee flexion 0.06 / 0.32 deg, knee over toe 1.24 / 5.03 mm (2.81 / 23.96
    # when the peak time was the largest sample: on a flat top it jumps between samples as
    # the events move the window), pelvic drop 0.02 / 0.25 deg,
    # step width 1.3 / 3.1 mm (mean |error| / worst over 17 strides, 13 with a step width)
    found = metric_misses(metric_errors(trial_rows("clean")))
    assert not found, found


TEMPORAL_METRICS = (
    "ground_contact_time_ms",
    "flight_time_ms",
    "stride_time_ms",
    "stride_length_m",
    "duty_factor",
)


def temporal_coverage(rows: list[dict], name: str) -> tuple[int, int]:
    """(strides whose |error| against the force plates (the reference stride, timed by them)
    is within 1.96 of the SD propagated from the events' timing SDs, strides)."""
    z = errors_over_sd(rows, name)
    return int(np.sum(z <= 1.96)), len(z)


@pytest.mark.parametrize("metric", TEMPORAL_METRICS)
def test_temporal_sds_cover_the_error_against_the_force_plates(metric):
    # measured (3 seeds, with the peel-off level over 3 half-windows): within 1.96 SD contact
    # time 57/57 (RMS error / SD 0.48; 0.68 before the shared reads' SD), flight 48/48 (0.54;
    # 0.74), stride time and treadmill stride length 36/36 (0.44), duty factor 36/36 (0.50;
    # 0.75); the seeds 3-9 below
    covered, n = temporal_coverage(trial_rows("real"), metric)
    assert n and covered >= 0.95 * n, (metric, covered, n)


@pytest.mark.parametrize("metric", TEMPORAL_METRICS)
def test_temporal_sds_cover_the_error_on_the_check_seeds(metric):
    # measured (seeds 3-9): stride time and stride length 84/84 (RMS error / SD 0.41), a
    # same-type interval where the trial's shared reads cancel; where a strike meets a
    # toe-off their bootstrap SD is added (temporal_sd.py): duty factor 82/84 (0.80; 78/84,
    # 1.16 without it), contact time 131/133 (0.73; 128/133, 0.99), flight 110/112 (0.71;
    # 108/112, 0.98). The misses: run200 seed 8, whose strikes are all 3.4 frames early
    # with a read SD of 1.1 frames (both duty-factor misses), and one run200 seed 7 stride
    covered, n = temporal_coverage(trial_rows("real_check"), metric)
    assert n and covered >= 0.95 * n, (metric, covered, n)
