"""Report figures (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from pipeline.gait.angles import SIDES, knee_flexion_deg  # noqa: E402
from pipeline.gait.metrics import TrialAnalysis  # noqa: E402

SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red"}
CYCLE_PERCENT = np.linspace(0.0, 100.0, 101)


def time_normalized_cycles(series: np.ndarray, strikes: np.ndarray) -> np.ndarray:
    """(n_cycles, 101) samples of `series` from each foot strike to the next, 0-100 %.

    Cycles with a NaN anywhere are left out.
    """
    frames = np.arange(len(series))
    cycles = []
    for start, end in zip(strikes[:-1], strikes[1:]):
        inside = (frames >= np.floor(start)) & (frames <= np.ceil(end))
        if np.ceil(end) > frames[-1] or not np.isfinite(series[inside]).all():
            continue
        cycles.append(np.interp(start + CYCLE_PERCENT / 100.0 * (end - start), frames, series))
    return np.array(cycles).reshape(-1, CYCLE_PERCENT.size)


def toe_off_percent(strikes: np.ndarray, toe_offs: np.ndarray) -> np.ndarray:
    """Toe-off of each complete cycle as a percentage of that cycle."""
    percents = []
    for start, end in zip(strikes[:-1], strikes[1:]):
        inside = toe_offs[(toe_offs > start) & (toe_offs < end)]
        if inside.size:
            percents.append(100.0 * (inside[0] - start) / (end - start))
    return np.array(percents)


def knee_flexion_figure(points: np.ndarray, fps: float, events: dict, out_png: Path) -> Path:
    """Knee flexion over the normalized gait cycle per side: mean +- SD, stance shaded."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for side in SIDES:
        strikes = np.asarray(events[side]["foot_strike"], float)
        cycles = time_normalized_cycles(knee_flexion_deg(points, side), strikes)
        if len(cycles) == 0:
            continue
        colour = SIDE_COLOURS[side]
        mean, sd = cycles.mean(axis=0), cycles.std(axis=0)
        ax.plot(CYCLE_PERCENT, mean, color=colour, label=f"{side} (n={len(cycles)} cycles)")
        ax.fill_between(CYCLE_PERCENT, mean - sd, mean + sd, color=colour, alpha=0.2, lw=0)
        stance_end = toe_off_percent(strikes, np.asarray(events[side]["toe_off"], float))
        if stance_end.size:
            ax.axvspan(0, stance_end.mean(), color=colour, alpha=0.06)
            ax.axvline(stance_end.mean(), color=colour, ls="--", lw=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("gait cycle (% from foot strike; shaded = stance, dashed = toe-off)")
    ax.set_ylabel("knee flexion (deg)")
    ax.set_title(f"Knee flexion ({fps:g} fps)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, out_png)


def foot_placement_figure(analysis: TrialAnalysis, out_png: Path) -> Path:
    """Lateral foot position at each strike, seen from behind, with the midline between feet."""
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    placed = {side: [(s["foot_lateral_m"], s["strike_time_s"]) for s in analysis.strides
                     if s["side"] == side and s["foot_lateral_m"] is not None] for side in SIDES}
    means = [np.mean([p[0] for p in placed[side]]) for side in SIDES if placed[side]]
    midline = float(np.mean(means)) if means else 0.0
    for side in SIDES:
        if not placed[side]:
            continue
        lateral, times = np.array(placed[side]).T
        # seen from behind the runner's left is on the viewer's left: plot minus lateral
        ax.scatter(-(lateral - midline) * 100, times, color=SIDE_COLOURS[side], label=side, s=25)
    ax.axvline(0.0, color="k", lw=1, label="midline")
    half_width = max([abs(x) for x in ax.get_xlim()] + [1.0])
    ax.set_xlim(-1.5 * half_width, 1.5 * half_width)
    ax.set_xlabel("distance from midline (cm), seen from behind: left <-   -> right")
    ax.set_ylabel("time of foot strike (s)")
    ax.set_title("Foot placement at foot strike")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, out_png)


def _save(fig, out_png: Path) -> Path:
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_png, format="png")
    plt.close(fig)
    return out_png
