"""Overground runs at a real detector's level (issue #26 deliverable 3).

The shared sprinter trials (../shared/data/running-mocap/sprinter-ja1, JA1 at 3.5, 5, 7 and
9 m/s, 250 Hz markers turned into Halpe-26 keypoints) through the synthetic world: the runway
rig (conf/rig/runway_4cam.yaml, 4 cameras 7.6 m from the volume's centre, 200 fps), the
detector at conf/detector/synthetic_real.yaml without its keypoint definition bias (as the
treadmill real level of tests/test_gait_real_running.py), seeds 0-2, triangulated by runlab and
analysed as the analyze stage does (no forward axis: overground; events whose timing samples
were seen by fewer than 3 views screened by their predicted timing SD, gait/event_screen.py).

The mocap floor is not level in the marker frame: the toe tip's stance lows fall 0.33-0.36 deg
along the runway in all four runs (about 60 mm over 10 m). In a runlab world Z is set by the
calibration board on the floor, so the trials are levelled first (a rotation about Y by that
slope); unlevelled, the event detector's one stance level per foot misses the contacts at the
runway's high end even on the clean keypoints (docs/metrics.md).

Reference (no force plates overground): the events detected on the clean levelled keypoints
(on the treadmill trials those are within 0.6-0.8 frame of the force plates). The volume:
frames where every leg keypoint of the true 3D lies inside >= 3 camera images.
Targets (issue #26): >= 95 % of the leg keypoint-frames inside the volume measured, every
stride inside the volume found, events as at the treadmill real level (>= 95 % of the
reference events timed, mean |error| <= 2 frames, |bias| <= 1 frame, no false event). A target
not met is a strict xfail carrying the measured numbers. The metrics against the clean
analysis (`runway_rows`) are scored in tests/test_overground_metrics.py.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from real_level_metrics import LEGS, load_level  # noqa: E402
from scenes.gait import inside_image  # noqa: E402

from pipeline.config import ThresholdsConfig, compose  # noqa: E402
from pipeline.gait.angles import SIDES  # noqa: E402
from pipeline.gait.events import detect_events  # noqa: E402
from pipeline.gait.foot_contact import foot_cues  # noqa: E402
from pipeline.gait.metrics import analyze_trial  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPRINTER = ROOT / "../shared/data/running-mocap/sprinter-ja1"
pytestmark = pytest.mark.skipif(not SPRINTER.is_dir(), reason="../shared/data/running-mocap absent")

RUNS = ("run0350cms", "run0500cms", "run0700cms", "run0900cms")
SEEDS = range(3)
MATCH_S, EDGE_S = 0.1, 0.1
WELL_SEEN_VIEWS = 3
MAX_EVENT_TIMING_SD_S = 0.003  # AnalysisConfig.max_event_timing_sd_ms default
_CACHE: dict = {}


def floor_slope(points: np.ndarray, fps: float) -> float:
    """Slope (dz/dx) of the floor along X: a line through the lowest point of either foot's
    cue points (heel, toe tip) in each 0.2 s neighbourhood (the stance lows)."""
    xs, zs = [], []
    half = int(0.1 * fps)
    for side in SIDES:
        cues = foot_cues(points, side)  # (2, F, 3)
        low = np.nanmin(cues[..., 2], axis=0)
        for f in range(half, len(low) - half):
            if np.isfinite(low[f]) and low[f] == np.nanmin(low[f - half : f + half + 1]):
                xs.append(cues[np.nanargmin(cues[:, f, 2]), f, 0])
                zs.append(low[f])
    return float(np.polyfit(xs, zs, 1)[0])


def levelled(points: np.ndarray, fps: float) -> tuple[np.ndarray, float]:
    """The points rotated about Y so that the floor is level; and the slope removed (deg)."""
    angle = np.arctan(floor_slope(points, fps))
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return points @ rotation.T, float(np.degrees(angle))


def runway_truth(run: str) -> dict:
    """One run's levelled true 3D, rig, volume and reference events (cached)."""
    if ("truth", run) in _CACHE:
        return _CACHE["truth", run]
    from pipeline.io.import3d import load_3d
    from pipeline.synth.real_motion import motion_truth
    from pipeline.synth.rig import make_rig

    cfg = compose(ROOT / "conf", ["rig=runway_4cam"])
    cameras = make_rig(cfg.rig)
    truth = motion_truth(load_3d(SPRINTER / f"{run}.trc", "sprinter_ja1"), cfg.rig.fps)
    points, slope_deg = levelled(truth.points, truth.fps)
    views = np.stack([inside_image(cam, points[:, LEGS]) for cam in cameras]).sum(axis=0)
    _CACHE["truth", run] = {
        "cfg": cfg,
        "cameras": cameras,
        "points": points,
        "fps": truth.fps,
        "slope_deg": slope_deg,
        "volume": (views >= WELL_SEEN_VIEWS).all(axis=1),
        "reference": detect_events(points, truth.fps),
    }
    return _CACHE["truth", run]


def runway_observed(run: str, seed: int) -> tuple:
    """(triangulation result, its per-px SDs) of one run seen at the real level (cached: the
    runway trial and the metric rows share it)."""
    if ("observed", run, seed) in _CACHE:
        return _CACHE["observed", run, seed]
    from pipeline.synth.observe import observe_with_truth
    from pipeline.triangulation.run import triangulate_recording
    from pipeline.triangulation.uncertainty import predicted_sd

    t = runway_truth(run)
    level = load_level()
    noise = dataclasses.replace(level, keypoint_bias_m=0.0, seed=level.seed + seed)
    seen = observe_with_truth(t["points"], t["cameras"], noise)
    result = triangulate_recording(seen.keypoints, t["cameras"], t["fps"], t["cfg"].triangulation)
    sd = predicted_sd(result.points, t["cameras"], result.views_used)
    _CACHE["observed", run, seed] = (result, sd)
    return result, sd


def runway_trial(run: str, seed: int) -> dict:
    """One run and seed: the analysis, the reference events, the volume (cached)."""
    if (run, seed) in _CACHE:
        return _CACHE[run, seed]
    t = runway_truth(run)
    analysis, n_views = _analyzed(run, seed, with_point_sd=False)
    _CACHE[run, seed] = {**t, "analysis": analysis, "n_views": n_views}
    return _CACHE[run, seed]


def _analyzed(run: str, seed: int, with_point_sd: bool):
    """The run's real-level 3D at `seed` analysed as the analyze stage does (its point SDs
    only `with_point_sd`), and the views behind each point."""
    from pipeline.gait.stance_fit import point_sd_from_3d

    result, sd = runway_observed(run, seed)
    analysis = analyze_trial(
        result.points,
        runway_truth(run)["fps"],
        None,
        ThresholdsConfig(),
        height_sd=sd[..., 2],
        max_event_timing_sd_s=MAX_EVENT_TIMING_SD_S,
        event_points=result.points_unfiltered,
        n_views=result.n_views,
        point_sd=point_sd_from_3d(sd, result.reprojection_error) if with_point_sd else None,
    )
    return analysis, result.n_views


def runway_rows(seeds) -> list[dict]:
    """Per run and seed: the strides measured (analysed as the analyze stage does, with its
    point SDs) and the reference strides (the same analysis on the clean levelled keypoints
    with the reference events), the way tests/test_gait_real_running.py builds the treadmill's
    (cached; tests/test_spatial_sd.py and tests/test_overground_metrics.py share them)."""
    key = ("rows", tuple(seeds))
    if key in _CACHE:
        return _CACHE[key]
    rows = []
    for run in RUNS:
        t = runway_truth(run)
        if ("reference_analysis", run) not in _CACHE:
            _CACHE["reference_analysis", run] = analyze_trial(
                t["points"], t["fps"], None, ThresholdsConfig(), events=t["reference"]
            )
        reference = _CACHE["reference_analysis", run]
        for seed in seeds:
            measured, _ = _analyzed(run, seed, with_point_sd=True)
            rows.append(
                {
                    "run": run,
                    "seed": seed,
                    "fps": t["fps"],
                    "strides": measured.strides,
                    "true_strides": reference.strides,
                    "passes": measured.summary.passes,
                    "true_passes": reference.summary.passes,
                }
            )
    _CACHE[key] = rows
    return rows


def reference_strides(trial: dict) -> list[tuple[str, float, float]]:
    """(side, strike, next strike) of the reference strides whose frames all lie inside the
    volume, with the foot's toe-off between the strikes."""
    out = []
    for side in SIDES:
        strikes = np.sort(trial["reference"][side]["foot_strike"])
        offs = trial["reference"][side]["toe_off"]
        for a, b in zip(strikes[:-1], strikes[1:]):
            frames = trial["volume"][int(np.floor(a)) : int(np.ceil(b)) + 1]
            if frames.all() and np.any((offs > a) & (offs < b)):
                out.append((side, float(a), float(b)))
    return out


def scores() -> dict:
    """Pooled over runs and seeds: leg keypoint-frames inside the volume measured; reference
    strides inside the volume found; per event type the timing errors (frames), the share of
    reference events timed and the false events."""
    out: dict = {"measured": [], "strides": [0, 0], "stride_misses": [], "per_run": {}}
    for name in ("foot_strike", "toe_off"):
        out[name] = {"errors": [], "n_true": 0, "false": 0}
    for run in RUNS:
        for seed in SEEDS:
            trial = runway_trial(run, seed)
            fps, volume, analysis = trial["fps"], trial["volume"], trial["analysis"]
            seen = trial["n_views"][volume][:, LEGS] > 0
            out["measured"].append(seen.mean())
            tol = MATCH_S * fps
            for side, a, _ in reference_strides(trial):
                found = any(
                    s.side == side and abs(s.strike_frame - a) <= tol for s in analysis.strides
                )
                out["strides"][0] += found
                out["strides"][1] += 1
                if not found:
                    out["stride_misses"].append((run, seed, side, round(a, 1)))
            lo, hi = EDGE_S * fps, len(volume) - 1 - EDGE_S * fps
            for side in SIDES:
                for name in ("foot_strike", "toe_off"):
                    true = np.asarray(trial["reference"][side][name])
                    found = np.asarray(analysis.events[side][name])
                    keep = (
                        (true >= lo)
                        & (true <= hi)
                        & volume[np.clip(true.astype(int), 0, len(volume) - 1)]
                    )
                    for t in true[keep]:
                        out[name]["n_true"] += 1
                        if found.size and np.min(np.abs(found - t)) <= tol:
                            out[name]["errors"].append(found[np.argmin(np.abs(found - t))] - t)
                    inside = found[(found >= lo) & (found <= hi)]
                    out[name]["false"] += int(
                        sum(not (true.size and np.min(np.abs(true - f)) <= tol) for f in inside)
                    )
    for name in ("foot_strike", "toe_off"):
        e = np.asarray(out[name]["errors"], float)
        out[name].update(
            timed=e.size / max(out[name]["n_true"], 1),
            mae=float(np.mean(np.abs(e))) if e.size else np.nan,
            bias=float(np.mean(e)) if e.size else np.nan,
        )
    return out


def test_the_runway_floor_is_levelled_and_each_run_is_one_pass_along_the_runway():
    for run in RUNS:
        trial = runway_trial(run, 0)
        # measured: 0.33-0.36 deg in every run (the mocap frame, not the runner)
        assert 0.2 < abs(trial["slope_deg"]) < 0.5, trial["slope_deg"]
        assert abs(floor_slope(trial["points"], trial["fps"])) < 1e-4
        for seed in SEEDS:
            # measured: 0.04-0.77 deg at seeds 0-1; 0.93-1.58 deg at seed 2 in every run alike
            # (a steady error of that seed's detector and calibration, not of the pass)
            (one,) = runway_trial(run, seed)["analysis"].summary.passes
            assert np.degrees(np.arccos(one.direction[0])) < 2.0, (run, seed)


def test_no_stride_or_event_is_made_up():
    """What the screen lets through is right: every stride found matches a reference stride's
    strike and lies inside the volume, and no event is false."""
    s = scores()
    assert s["foot_strike"]["false"] == 0 and s["toe_off"]["false"] == 0, s
    for run in RUNS:
        for seed in SEEDS:
            trial = runway_trial(run, seed)
            tol = MATCH_S * trial["fps"]
            for stride in trial["analysis"].strides:
                true = trial["reference"][stride.side]["foot_strike"]
                assert np.min(np.abs(true - stride.strike_frame)) <= tol, (run, seed, stride)
                assert trial["volume"][int(stride.strike_frame)], (run, seed, stride)


def test_overground_runway_at_the_real_detector_level_meets_the_targets():
    # measured (4 runs x 3 seeds): leg keypoint-frames inside the volume measured 99.8 %
    # (99.7-100.0 % per run and seed); 57 of 57 strides inside the volume found; foot strikes
    # 72/72 timed, mean |error| 1.20 frames (200 fps), bias -0.13; toe-offs 72/72, 1.04,
    # -0.33 (-0.38 with the toe-offs' peel-off read's level over 2 fit half-windows); no false
    # event. Before a strike's fit could be cut by the trial's start
    # (corner_fit.fit_event) neither the reference nor the analysis timed a strike with less
    # than ~0.1 s of swing before it (3 strides at 5 m/s, 57 ms in; 54 of 54 then). Seeds
    # 3-5 (not used to choose): 56/57 strides (52/54 before), strikes 70/72, 1.22, +0.08,
    # toe-offs 71/72, 0.99, -0.35 (-0.39), 0 false; seeds 6-9: 76/76 (71/72 before), strikes
    # 94/96, 1.32, -0.15, toe-offs 93/96, 0.84, -0.32 (0.85, -0.36), 0 false. The stride missing (9 m/s, seed 3,
    # left, strike 23.1, toe-off 46.0) is no trial-edge effect: camera 2 loses the heel and
    # toe over frames 34-39 (a hidden dropout) and the 3 views left, one with a -10 px
    # detector offset, lift the stance toe 30-50 mm, so the contact is 9 frames of heel, under
    # the minimum contact, and reads as flight.
    s = scores()
    misses = []
    measured = float(np.mean(s["measured"]))
    if not measured >= 0.95:
        misses.append(
            f"leg keypoint-frames inside the volume measured {100 * measured:.1f} % "
            f"(per run and seed {100 * min(s['measured']):.1f}-{100 * max(s['measured']):.1f} %; "
            "target >= 95 %)"
        )
    found, total = s["strides"]
    if found < total:
        misses.append(f"{found} of {total} strides inside the volume found (target all)")
    for name in ("foot_strike", "toe_off"):
        e = s[name]
        if not (
            e["timed"] >= 0.95 and e["mae"] <= 2.0 and abs(e["bias"]) <= 1.0 and not e["false"]
        ):
            misses.append(
                f"{name}: {len(e['errors'])}/{e['n_true']} timed ({100 * e['timed']:.0f} %), mean "
                f"|error| {e['mae']:.2f} frames, bias {e['bias']:+.2f}, {e['false']} false "
                "(targets >= 95 %, <= 2, within 1, 0)"
            )
    assert not misses, "; ".join(misses)


def untimed_reference_contacts(trial: dict) -> dict[str, list[tuple[float, float]]]:
    """Per side, (strike, toe-off) of each reference contact of which the analysis found no
    event at all, timed or poorly observed, within MATCH_S (its toe-off = its strike where the
    trial ends before it)."""
    analysis, tol = trial["analysis"], MATCH_S * trial["fps"]
    out: dict[str, list[tuple[float, float]]] = {}
    for side in SIDES:
        marks = np.concatenate(
            [
                np.asarray(events[side][name], float)
                for events in (analysis.events, analysis.poorly_observed)
                for name in ("foot_strike", "toe_off")
            ]
        )
        offs = np.asarray(trial["reference"][side]["toe_off"], float)
        out[side] = []
        for strike in np.asarray(trial["reference"][side]["foot_strike"], float):
            own = offs[(offs > strike) & (offs < strike + 0.5 * trial["fps"])]
            toe_off = float(own[0]) if own.size else float(strike)
            if not np.any((marks > strike - tol) & (marks < toe_off + tol)):
                out[side].append((float(strike), toe_off))
    return out


def test_a_contact_no_event_marks_is_reported_and_none_is_made_up():
    """gait/missed_contacts.py: every contact reported is a reference contact the analysis
    found no event of; the one the detector loses at 9 m/s seed 3 is reported where it lay."""
    # measured, seeds 0-2: no contact reported, none missing. Seeds 3-9 (not used to choose):
    # 2 reported, both correct (9 m/s seed 3, left 23.1-46.0, 0.04-0.33 s; seed 8, left
    # 208.3-230.4, 0.96-1.26 s), of 3 missing: the third (3.5 m/s seed 8, right strike 638.0
    # of 669 frames) is cut by the trial's end, out of reach by design. Seeds 10-29: 4 of 13,
    # all correct; the 9 others cut by the trial's ends.
    for run in RUNS:
        for seed in SEEDS:
            trial = runway_trial(run, seed)
            fps = trial["fps"]
            missing = untimed_reference_contacts(trial)
            for side, windows in trial["analysis"].summary.contacts_not_found.items():
                for a, b in windows:
                    assert any(a * fps <= s <= b * fps for s, _ in missing[side]), (run, seed)
            assert not any(missing.values()), (run, seed, missing)
    trial = runway_trial("run0900cms", 3)
    missing = untimed_reference_contacts(trial)
    ((strike, toe_off),) = missing["left"]
    assert not missing["right"] and (strike, toe_off) == pytest.approx((23.05, 46.0), abs=0.01)
    ((a, b),) = trial["analysis"].summary.contacts_not_found["left"]
    assert a * trial["fps"] <= strike and toe_off <= b * trial["fps"]
    assert trial["analysis"].summary.contacts_not_found["right"] == ()
