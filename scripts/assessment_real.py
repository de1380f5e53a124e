"""The running assessment of issue #29 on the shared real running (../shared/data/running-mocap).

Treadmill (hamner-subject04, 2-5 m/s, force plates): foot-strike angle and pattern, vertical
oscillation and step length from the marker keypoints with runlab's detected events, and at the
real-detector level (seeds 0-2), against the same quantities from the markers at the
force-plate contacts. Overground (sprinter JA1, 3.5-9 m/s, no force plates): detected events;
the standing angle from the session's static trial (static.trc) and from the foot-flat frames.

    python scripts/assessment_real.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from running_mocap import SHARED, TREADMILL_TRIALS, observed_trial, treadmill_trial  # noqa: E402

from pipeline.config import ThresholdsConfig  # noqa: E402
from pipeline.gait.angles import foot_pitch_deg  # noqa: E402
from pipeline.gait.events import TOE_TIP_AHEAD_M  # noqa: E402
from pipeline.gait.metrics import analyze_trial  # noqa: E402
from pipeline.io.import3d import load_3d  # noqa: E402

FORWARD = [1.0, 0.0, 0.0]
COMPARED = ("foot_strike_angle_deg", "vertical_oscillation_m", "step_length_m")
# the real-detector level's points with the force-plate events instead of detected ones
PLATE_EVENTS = "real detector, force-plate events"
SPRINTS = ("run0350cms", "run0500cms", "run0700cms", "run0900cms")


def _pairs(measured, reference, name: str):
    """(measured stride, reference stride, value, reference value) of each stride matched by
    side and strike (within 0.1 s) where both have `name`."""
    for ref in reference.strides:
        for got in measured.strides:
            if got.side == ref.side and abs(got.strike_time_s - ref.strike_time_s) < 0.1:
                value, true = got.value(name), ref.value(name)
                if value is not None and true is not None:
                    yield got, ref, value, true


def matched(measured, reference, name: str) -> list[tuple[float, float, str | None, str | None]]:
    """(measured, reference, measured pattern, reference pattern) per stride matched by strike."""
    return [
        (value, true, got.foot_strike_pattern, ref.foot_strike_pattern)
        for got, ref, value, true in _pairs(measured, reference, name)
    ]


def angle_sd_rows(measured, reference) -> list[tuple]:
    """(angle error, its SD, pattern, reference pattern, pattern note) per matched stride."""
    name = "foot_strike_angle_deg"
    return [
        (
            value - true,
            got.uncertainty.get(name),
            got.foot_strike_pattern,
            ref.foot_strike_pattern,
            got.foot_strike_pattern_note,
        )
        for got, ref, value, true in _pairs(measured, reference, name)
    ]


def treadmill(seeds=range(3)) -> dict:
    """Per level: per compared quantity the (measured, reference, patterns) of every stride."""
    rows: dict = {
        level: {n: [] for n in COMPARED} for level in ("clean", "real detector", PLATE_EVENTS)
    }
    rows["no static trial"] = []  # (pattern, angle, standing note) of each stride, clean
    # real detector: (angle error, its SD, pattern, reference pattern, pattern note) per stride
    rows["angle sd"] = []
    for name, speed in TREADMILL_TRIALS.items():
        points, fps, plates, _ = treadmill_trial(name)
        kw: dict = dict(belt_speed_mps=speed, toe_tip_ahead_m=TOE_TIP_AHEAD_M)
        default = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), **kw)
        rows["no static trial"] += [
            (
                s.foot_strike_pattern,
                s.value("foot_strike_angle_deg"),
                default.summary.sides[s.side].foot_strike.standing.note,
            )
            for s in default.strides
        ]
        # no static trial in the data: its stand-in is the foot-flat pitch of the markers at
        # the force-plate contacts (this runner lands 17-36 deg heel first, so its heel is
        # taken to come down), given to every analysis as a session's static trial would be
        flat = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), events=plates, **kw)
        kw["standing_pitch_deg"] = {
            side: flat.summary.sides[side].foot_strike.standing.pitch_deg
            for side in ("left", "right")
        }
        reference = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), events=plates, **kw)
        clean = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), **kw)
        levels = [("clean", clean)]
        for seed in seeds:
            seen, unfiltered, height_sd, point_sd = observed_trial(
                points, fps, seed, with_point_sd=True
            )
            real = analyze_trial(
                seen,
                fps,
                FORWARD,
                ThresholdsConfig(),
                height_sd=height_sd,
                max_event_timing_sd_s=0.003,
                event_points=unfiltered,
                point_sd=point_sd,
                **kw,
            )
            levels.append(("real detector", real))
            # the same points read at the force-plate contacts: the keypoint noise alone
            plated = analyze_trial(seen, fps, FORWARD, ThresholdsConfig(), events=plates, **kw)
            levels.append((PLATE_EVENTS, plated))
            rows["angle sd"] += angle_sd_rows(real, reference)
        for level, analysis in levels:
            for n in COMPARED:
                rows[level][n] += matched(analysis, reference, n)
    return rows


def static_pitch(path: Path, markerset: str) -> dict[str, float]:
    """Median heel -> toe pitch per side over a static (standing) trial."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static = load_3d(path, markerset)
    return {
        s: float(np.nanmedian(foot_pitch_deg(static.points, s, FORWARD))) for s in ("left", "right")
    }


def sprints() -> list[dict]:
    """Per sprint: pattern and mean foot-strike angle per side, with the static and the
    foot-flat standing references."""
    folder = SHARED / "sprinter-ja1"
    standing = static_pitch(folder / "static.trc", "sprinter_ja1")
    out = []
    for run in SPRINTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            imported = load_3d(folder / f"{run}.trc", "sprinter_ja1")
        for source, given in (("static trial", standing), ("foot flat", None)):
            analysis = analyze_trial(
                imported.points,
                imported.fps,
                None,
                ThresholdsConfig(min_strides=1),
                toe_tip_ahead_m=TOE_TIP_AHEAD_M,
                standing_pitch_deg=given,
            )
            for side in ("left", "right"):
                block = analysis.summary.sides[side]
                angles = [
                    s.value("foot_strike_angle_deg")
                    for s in analysis.strides
                    if s.side == side and s.value("foot_strike_angle_deg") is not None
                ]
                out.append(
                    {
                        "run": run,
                        "source": source,
                        "side": side,
                        "angles": angles,
                        "patterns": [
                            s.foot_strike_pattern for s in analysis.strides if s.side == side
                        ],
                        "standing": block.foot_strike.standing,
                    }
                )
    return out


def main() -> None:
    rows = treadmill()
    default = rows.pop("no static trial")
    sd_rows = rows.pop("angle sd")
    errors = np.array([e for e, sd, *_ in sd_rows if sd is not None])
    sds = np.array([sd for _, sd, *_ in sd_rows if sd is not None])
    print(
        "== treadmill, real detector, foot-strike angle SD:",
        f"{len(sds)} of {len(sd_rows)} strides with an SD, median {np.median(sds):.2f} deg;",
        f"|error| within 1 SD {np.sum(np.abs(errors) <= sds)}, within 1.96 SD",
        f"{np.sum(np.abs(errors) <= 1.96 * sds)}; patterns marked uncertain",
        sum(note is not None for *_, note in sd_rows),
        "(wrong among them",
        sum(note is not None and p != r for _, _, p, r, note in sd_rows),
        "), wrong and not marked",
        sum(note is None and p != r for _, _, p, r, note in sd_rows),
    )
    print(
        "== treadmill, clean, no static trial:",
        sum(p is not None for p, _, _ in default),
        "of",
        len(default),
        "strides classified; angles (upper bounds)",
        f"{min(a for _, a, _ in default if a is not None):.1f}..{max(a for _, a, _ in default if a is not None):.1f} deg",
    )
    for level, per in rows.items():
        print(f"== treadmill, {level}, against the markers at the force-plate contacts")
        for n, rows in per.items():
            if not rows:
                print(n, "no matched strides")
                continue
            e = np.array([m - r for m, r, _, _ in rows])
            line = f"{n:26s} {len(rows)} strides, mean |error| {np.mean(np.abs(e)):.4f} worst {np.max(np.abs(e)):.4f} bias {np.mean(e):+.4f}"
            if n == "foot_strike_angle_deg":
                same = sum(a == b for _, _, a, b in rows)
                refs = [r for _, r, _, _ in rows]
                pats = sorted({b for _, _, _, b in rows if b})
                line += f"; pattern same on {same}/{len(rows)}; reference angles {min(refs):.1f}..{max(refs):.1f} deg {pats}"
            print(line)
    print("== sprinter JA1 overground, detected events")
    for row in sprints():
        print(
            row["run"],
            row["side"],
            row["source"],
            "standing",
            row["standing"].pitch_deg,
            "angles",
            [round(a, 1) for a in row["angles"]],
            row["patterns"],
        )


if __name__ == "__main__":
    main()
