"""Test helper: longer treadmill trials built from the real hamner motion (issue #26, what a lab's
30-60 s recording gives where the shared force-plate trials last about 2 s).

A trial's loop is the span of its whole strides (two for every hamner trial) whose ends match
best: the cut pair (i, j), j - i within a few frames of the strides' period and both cuts
0.06 s or more from any force-plate event, that minimises the keypoints' rms distance between
frames i + d and j + d, d = -2..2 (position and velocity). The remaining jump is taken out so
that copies tiled one after the other join without a step: the whole body's (its median over
the keypoints: the runner drifting on the belt) as a linear ramp over the loop, each
keypoint's rest (a swinging foot's fraction of a frame of phase) blended in smoothly over the
loop's last 0.06 s, which hold no event. The force-plate events inside the loop travel with
each copy. Two different strides alternate: the runner's own stride-to-stride variation
beyond that pair is gone, so the tiled motion is more repeatable than a real runner's.

`python tests/long_treadmill.py [seeds]` prints the table of docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from running_mocap import TREADMILL_TRIALS, analyze_observed, treadmill_trial

STRIDES_PER_LOOP = 2
_PERIOD_SLACK = 6  # frames either side of the loop's nominal length searched for the cut
_MATCH_HALF_WIDTH = 2  # frames either side of each cut compared
# no cut this close to a force-plate event (the detector's LEVEL_WINDOW_S): a cut there would
# hand the event's fit a seam instead of the runner's motion
EVENT_CLEARANCE_S = 0.06


@dataclass(frozen=True)
class StrideLoop:
    start: int  # first frame of the loop in the trial
    length: int  # frames; the next copy starts at start + length
    period: float  # frames per stride (loop length / strides in it)
    seam_mm: float  # rms keypoint jump at the seam before the ramp
    clear_frames: int  # no event this close to either cut


def stride_period(events: dict) -> float:
    """Mean frames between successive strikes of the same foot (force plates)."""
    gaps = [np.diff(np.sort(events[side]["foot_strike"])) for side in events]
    return float(np.mean(np.concatenate(gaps)))


def find_loop(
    points: np.ndarray, events: dict, fps: float, strides: int = STRIDES_PER_LOOP
) -> StrideLoop:
    """The span of `strides` whole strides whose two ends match best, both cuts at least
    EVENT_CLEARANCE_S from any force-plate event (module doc)."""
    nominal = strides * stride_period(events)
    times = np.concatenate(
        [np.asarray(t, float) for kinds in events.values() for t in kinds.values()]
    )
    clear_frames = int(round(EVENT_CLEARANCE_S * fps))
    clear = np.array([np.min(np.abs(times - f)) for f in range(len(points))]) >= clear_frames
    h = _MATCH_HALF_WIDTH
    best = None
    for length in range(int(nominal) - _PERIOD_SLACK, int(nominal) + _PERIOD_SLACK + 1):
        for i in range(h, len(points) - length - h):
            if not (clear[i] and clear[i + length]):
                continue
            a = points[i - h : i + h + 1]
            b = points[i + length - h : i + length + h + 1]
            d = np.linalg.norm(a - b, axis=-1)
            cost = float(np.sqrt(np.nanmean(d**2)))
            if best is None or cost < best[0]:
                best = (cost, i, length)
    if best is None:
        raise ValueError("the trial is shorter than the loop")
    cost, i, length = best
    jump = np.linalg.norm(points[i] - points[i + length], axis=-1)
    rms_mm = 1000 * float(np.sqrt(np.nanmean(jump**2)))
    return StrideLoop(i, length, length / strides, rms_mm, clear_frames)


def tile(points: np.ndarray, events: dict, loop: StrideLoop, n_frames: int):
    """(points (n_frames, K, 3), events in frames) of copies of the loop, one after another."""
    i, length = loop.start, loop.length
    jump = points[i] - points[i + length]  # (K, 3)
    body = np.nanmedian(jump, axis=0)  # the runner's drift on the belt over the loop
    ramp = np.arange(length)[:, None, None] / length
    # each keypoint's own rest (a swinging foot's fraction of a frame of phase) blended in
    # over the loop's last frames, which hold no event (the cuts' clearance)
    blend = loop.clear_frames
    u = np.clip((np.arange(length) - (length - blend)) / blend, 0.0, 1.0)[:, None, None]
    smooth = u * u * (3 - 2 * u)
    one = points[i : i + length] + ramp * body + smooth * np.nan_to_num(jump - body)
    copies = int(np.ceil(n_frames / length))
    tiled = np.concatenate([one] * copies)[:n_frames]
    out = {}
    for side, kinds in events.items():
        out[side] = {}
        for kind, times in kinds.items():
            times = np.asarray(times, float)
            inside = times[(times >= i) & (times < i + length)] - i
            shifted = np.concatenate([inside + c * length for c in range(copies)])
            out[side][kind] = np.sort(shifted[shifted <= n_frames - 1])
    return tiled, out


_TRIALS: dict = {}


def long_trial(name: str, strides: int):
    """(points, fps, force-plate events, belt speed, loop) of hamner `name` tiled to `strides`
    strides (of the loop's mean period)."""
    if name not in _TRIALS:
        points, fps, events, speed = treadmill_trial(name)
        _TRIALS[name] = (points, fps, events, speed, find_loop(points, events, fps))
    points, fps, events, speed, loop = _TRIALS[name]
    tiled, tiled_events = tile(points, events, loop, int(round(strides * loop.period)))
    return tiled, fps, tiled_events, speed, loop


def long_rows(strides: int, seeds) -> list[dict]:
    """Rows as tests/test_gait_real_running.py `trial_rows("real")` makes them (its
    `event_scores` reads them), for the tiled trials at the real-detector level."""
    rows = []
    for name in TREADMILL_TRIALS:
        points, fps, truth, speed, _ = long_trial(name, strides)
        for seed in seeds:
            analysis = analyze_observed(points, fps, seed, speed)
            rows.append(
                {
                    "trial": name,
                    "seed": seed,
                    "fps": fps,
                    "n": len(points),
                    "found": analysis.events,
                    "truth": truth,
                    "strides": analysis.strides,
                }
            )
    return rows


def summary(rows: list[dict]) -> dict:
    """event_scores of the rows, flattened to the numbers the table quotes."""
    from test_gait_real_running import event_scores

    s = event_scores(rows)
    ct, cad = s["contact_ms"], s["cadence_spm"]
    out = {}
    for kind, short in (("foot_strike", "strike"), ("toe_off", "toe_off")):
        k = s[kind]
        out |= {
            f"{short}_timed": f"{k['errors'].size}/{k['n_true']}",
            f"{short}_false": k["false"],
            f"{short}_mae": k["mae"],
            f"{short}_bias": k["bias"],
        }
    out |= {
        "contact_mae_ms": float(np.mean(np.abs(ct))) if ct.size else np.nan,
        "contact_bias_ms": float(np.mean(ct)) if ct.size else np.nan,
        "contacts": int(ct.size),
        "cadence_worst": float(np.nanmax(np.abs(cad))),
        "cadence_mean": float(np.nanmean(np.abs(cad))),
        "cadence_none": int(np.isnan(cad).sum()),
    }
    return out


def _main(seed_sets) -> None:
    import time

    for name in TREADMILL_TRIALS:
        print(f"{name}: {long_trial(name, 1)[4]}")
    for strides in (3, 5, 10, 20, 40):
        for label, seeds in seed_sets:
            t0 = time.time()
            per_speed = {name: [] for name in TREADMILL_TRIALS}
            rows = long_rows(strides, seeds)
            for row in rows:
                per_speed[row["trial"]].append(row)
            cells = {"all": summary(rows)} | {n: summary(r) for n, r in per_speed.items()}
            for key, c in cells.items():
                print(
                    f"N={strides:2d} seeds {label} {key:6s} strikes {c['strike_timed']} "
                    f"f{c['strike_false']} mae {c['strike_mae']:.2f} bias {c['strike_bias']:+.2f}"
                    f" | toe-offs {c['toe_off_timed']} f{c['toe_off_false']} mae "
                    f"{c['toe_off_mae']:.2f} bias {c['toe_off_bias']:+.2f} | contact "
                    f"{c['contact_mae_ms']:.1f} ms (bias {c['contact_bias_ms']:+.1f}, "
                    f"{c['contacts']}) | cadence worst {c['cadence_worst']:.2f} mean "
                    f"{c['cadence_mean']:.2f} none {c['cadence_none']}",
                    flush=True,
                )
            print(f"  ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    import sys

    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    sets = {"0-2": range(3), "3-9": range(3, 10)}
    _main([(k, v) for k, v in sets.items() if which in ("both", k)])
