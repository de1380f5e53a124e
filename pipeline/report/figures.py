"""Report figures (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from pipeline.gait.angles import SIDES  # noqa: E402
from pipeline.gait.curves import CURVE_ANGLES, CYCLE_PCT, normalized_curves  # noqa: E402
from pipeline.gait.metrics import TrialAnalysis  # noqa: E402

SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red"}
SAGITTAL = ("hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg")
TITLES = {"hip_flexion_deg": "Hip flexion", "knee_flexion_deg": "Knee flexion",
          "ankle_dorsiflexion_deg": "Ankle dorsiflexion", "hip_adduction_deg": "Hip adduction",
          "pelvic_drop_deg": "Contralateral pelvic drop", "tibia_inclination_deg": "Tibia inclination",
          "knee_fppa_deg": "Knee frontal-plane projection angle"}


def curves_figure(points: np.ndarray, fps: float, events: dict, forward, out_png: Path,
                  angles: tuple[str, ...] = SAGITTAL) -> Path:
    """Angles over the normalized gait cycle, one panel each: mean +- SD per side, stance shaded
    up to the mean toe-off, each panel titled with its sign convention."""
    curves = normalized_curves(points, fps, events, forward)
    fig, axes = plt.subplots(1, len(angles), figsize=(4.2 * len(angles), 3.6), dpi=100, squeeze=False)
    for ax, name in zip(axes[0], angles):
        for side in SIDES:
            cycles = curves[name][side]
            if len(cycles) == 0:
                continue
            colour = SIDE_COLOURS[side]
            mean, sd = cycles.mean(axis=0), cycles.std(axis=0)
            ax.plot(CYCLE_PCT, mean, color=colour, label=f"{side} (n={len(cycles)})")
            ax.fill_between(CYCLE_PCT, mean - sd, mean + sd, color=colour, alpha=0.2, lw=0)
            toe_off = curves["toe_off_pct"][side]
            if toe_off is not None:
                ax.axvspan(0, toe_off, color=colour, alpha=0.06)
                ax.axvline(toe_off, color=colour, ls="--", lw=1)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% gait cycle (shaded = stance)")
        ax.set_title(f"{TITLES.get(name, name)} (deg)\n{CURVE_ANGLES[name][1]}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=7)
    fig.suptitle(f"{fps:g} fps", fontsize=8, x=0.99, ha="right")
    fig.tight_layout()
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
