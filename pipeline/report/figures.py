"""Report figures (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from pipeline.core.json_types import JsonObject  # noqa: E402
from pipeline.gait.analysis import TrialAnalysis  # noqa: E402
from pipeline.gait.angles import SIDES, body_axes, keypoint  # noqa: E402
from pipeline.gait.curves import CURVE_ANGLES, CYCLE_PCT, CurveSummary  # noqa: E402
from pipeline.gait.sampling import sample_at  # noqa: E402
from pipeline.report.references import CURVE_REFERENCES, Band, Marker  # noqa: E402

SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red"}
SAGITTAL = ("hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg")
FRONTAL = ("pelvic_drop_deg", "hip_adduction_deg", "knee_fppa_deg")
REFERENCE_COLOUR = "tab:green"
TITLES = {
    "hip_flexion_deg": "Hip flexion",
    "knee_flexion_deg": "Knee flexion",
    "ankle_dorsiflexion_deg": "Ankle dorsiflexion",
    "hip_adduction_deg": "Hip adduction",
    "pelvic_drop_deg": "Contralateral pelvic drop",
    "tibia_inclination_deg": "Tibia inclination",
    "knee_fppa_deg": "Knee frontal-plane projection angle",
}


def missing_data(analysis: TrialAnalysis) -> dict[str, str | None]:
    """Per report figure (sagittal, frontal, feet, knee), why it has nothing to draw, or None
    when it has data: such a figure becomes one line in the report, not empty axes."""
    sides = analysis.summary.sides
    counts = ", ".join(f"{side} {sides[side].n_strides}" for side in SIDES)
    curves = {} if analysis.curves is None else analysis.curves.angles
    out: dict[str, str | None] = {}
    for key, angles in (("sagittal", SAGITTAL), ("frontal", FRONTAL)):
        has = any(
            name in curves and side in curves[name] and curves[name][side].n
            for name in angles
            for side in SIDES
        )
        out[key] = (
            None
            if has
            else (
                "no stride with these angles measured throughout (a stride runs from a foot strike to "
                f"the next strike of the same foot; strides found: {counts})"
            )
        )
    out["feet"] = (
        None
        if any(s.value("foot_to_midline_m") is not None for s in analysis.strides)
        else (f"no foot strike with the foot and the pelvis measured (strides found: {counts})")
    )
    out["knee"] = (
        None
        if any(s.value("knee_over_toe_m") is not None for s in analysis.strides)
        else (
            "no stride with a peak stance knee flexion and the knee and big toe measured "
            f"(strides found: {counts})"
        )
    )
    return out


def curves_figure(
    curves: CurveSummary,
    fps: float,
    out_png: Path,
    angles: tuple[str, ...] = SAGITTAL,
    references: bool = False,
) -> Path:
    """Angles over the normalized gait cycle (`curves`: the analysis's curves,
    gait.curves.curve_summary), one panel each: mean +- SD per side, stance shaded up to the
    mean toe-off, each panel titled with its sign convention. `references`: draw the
    reference bands of references.CURVE_REFERENCES (green), or say there are none."""
    fig, axes = plt.subplots(
        1, len(angles), figsize=(4.2 * len(angles), 3.6), dpi=100, squeeze=False
    )
    for ax, name in zip(axes[0], angles):
        if not any(curves.angles[name][side].n for side in SIDES):
            ax.text(
                0.5,
                0.5,
                "no stride with this angle\nmeasured throughout",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                color="0.35",
            )
            ax.set_yticks([])
        for side in SIDES:
            block = curves.angles[name][side]
            if block.n == 0:
                continue
            colour = SIDE_COLOURS[side]
            mean, sd = block.mean, np.nan_to_num(block.sd)
            ax.plot(CYCLE_PCT, mean, color=colour, label=f"{side} (n={block.n})")
            ax.fill_between(CYCLE_PCT, mean - sd, mean + sd, color=colour, alpha=0.2, lw=0)
            toe_off = curves.toe_off_pct[side]
            if toe_off is not None:
                ax.axvspan(0, toe_off, color=colour, alpha=0.06)
                ax.axvline(toe_off, color=colour, ls="--", lw=1)
        if references:
            _draw_references(ax, name, curves.toe_off_pct)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% gait cycle (shaded = stance)")
        ax.set_title(f"{TITLES.get(name, name)} (deg)\n{CURVE_ANGLES[name][1]}", fontsize=9)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=7)
    fig.suptitle(f"{fps:g} fps", fontsize=8, x=0.99, ha="right")
    fig.tight_layout()
    return _save(fig, out_png)


def _draw_references(ax, name: str, toe_off_pct: Mapping[str, float | None]) -> None:
    refs = CURVE_REFERENCES.get(name, [])
    stance_end = np.nanmean([v for v in toe_off_pct.values() if v is not None] or [40.0])
    for ref in refs:
        if isinstance(ref, Band):
            stop = stance_end if ref.stop_pct is None else ref.stop_pct
            ax.fill_between(
                [ref.start_pct, stop],
                ref.low,
                ref.high,
                color=REFERENCE_COLOUR,
                alpha=0.18,
                lw=0,
                label=f"reference: {ref.label}",
            )
        elif isinstance(ref, Marker):
            ax.plot(
                [ref.pct],
                [ref.value],
                marker="D",
                color=REFERENCE_COLOUR,
                ls="none",
                label=f"reference: {ref.label}",
            )
    if not refs:
        ax.text(
            0.5,
            0.02,
            "no reference values in the lab's notes",
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=7,
            color="0.4",
        )


def mean_curves(curves: CurveSummary, names: tuple[str, ...] = SAGITTAL + FRONTAL) -> JsonObject:
    """{angle: {side: 101 means or None}, "n": {angle: {side: strides}}} for the study report."""
    out: JsonObject = {"toe_off_pct": curves.toe_off_pct, "n": {}}
    for name in names:
        per_side = curves.angles[name]
        out[name] = {
            side: (per_side[side].mean.tolist() if per_side[side].n else None) for side in SIDES
        }
        out["n"][name] = {side: per_side[side].n for side in SIDES}
    return out


def foot_midline_figure(analysis: TrialAnalysis, out_png: Path) -> Path:
    """Where each foot lands relative to the pelvis-centre line (the analysis's midline,
    `foot_to_midline_m`), seen from behind: the runner's left on the viewer's left. A dot on
    the other side of the line is a crossover contact."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=100)
    extent = 0.05
    for side in SIDES:
        own = [
            (midline, s.strike_time_s)
            for s in analysis.strides
            if s.side == side and (midline := s.value("foot_to_midline_m")) is not None
        ]
        if not own:
            continue
        # seen from behind, left of the line = runner's left: left foot at -distance
        sign = -1.0 if side == "left" else 1.0
        x = np.array([sign * midline for midline, _ in own]) * 100
        t = np.array([time for _, time in own])
        ax.scatter(
            x, t, color=SIDE_COLOURS[side], s=28, label=f"{side} foot (n={len(own)})", zorder=3
        )
        ax.axvline(x.mean(), color=SIDE_COLOURS[side], lw=1, ls=":")
        extent = max(extent, np.abs(x).max() / 100)
    lim = 1.3 * extent * 100
    ax.axvspan(0, lim, color=SIDE_COLOURS["left"], alpha=0.05)  # across the line for the left foot
    ax.axvspan(-lim, 0, color=SIDE_COLOURS["right"], alpha=0.05)
    ax.axvline(0.0, color="k", lw=1.5, label="midline (pelvis centre)")
    ax.set_xlim(-lim, lim)
    ax.text(
        0.98,
        0.02,
        "left foot right of the line\n= crossover",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color=SIDE_COLOURS["left"],
    )
    ax.text(
        0.02,
        0.02,
        "right foot left of the line\n= crossover",
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=7,
        color=SIDE_COLOURS["right"],
    )
    ax.set_xlabel("foot point from the midline at foot strike (cm), seen from behind")
    ax.set_ylabel("time of foot strike (s)")
    ax.set_title("Foot placement seen from behind", fontsize=10)
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, out_png)


def knee_over_toe_figure(
    points: np.ndarray,
    analysis: TrialAnalysis,
    forward,
    out_png: Path,
    limit_m: float | None = None,
) -> Path:
    """Per side, the stride with the median knee-over-toe: hip, knee, ankle, heel and big toe
    at peak stance knee flexion, seen from the side (running to the right), with the
    horizontal knee-to-toe distance marked (+ = knee ahead of the toes)."""
    fwd, _ = body_axes(forward)
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 4.0), dpi=100)
    for ax, side in zip(axes, SIDES):
        own = [
            (ahead, s)
            for s in analysis.strides
            if s.side == side and (ahead := s.value("knee_over_toe_m")) is not None
        ]
        ax.set_title(f"{side}: at peak stance knee flexion", fontsize=9)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
        if not own:
            ax.text(0.5, 0.5, "not measurable", transform=ax.transAxes, ha="center")
            continue
        ahead, stride = sorted(own, key=lambda pair: pair[0])[len(own) // 2]
        t = stride.peak_knee_flexion_frame  # analyze's instant (known: knee_over_toe_m is)
        assert t is not None
        names = ("hip", "knee", "ankle", "heel", "big_toe")
        p = {n: sample_at(keypoint(points, f"{side}_{n}"), t) for n in names}
        toe_x = p["big_toe"] @ fwd
        xy = {n: np.array([(v @ fwd) - toe_x, v[2]]) * 100 for n, v in p.items()}  # cm
        chain = ["hip", "knee", "ankle", "heel", "big_toe", "ankle"]
        ax.plot(
            [xy[n][0] for n in chain],
            [xy[n][1] for n in chain],
            "-o",
            color=SIDE_COLOURS[side],
            lw=3,
            ms=5,
        )
        ax.axhline(0, color="0.5", lw=1)
        ax.axvline(0, color="0.3", lw=1, ls="--")
        ax.axvline(xy["knee"][0], color=SIDE_COLOURS[side], lw=1, ls="--")
        distance = ahead * 100
        ax.annotate(
            "",
            xy=(xy["knee"][0], xy["knee"][1] + 6),
            xytext=(0, xy["knee"][1] + 6),
            arrowprops=dict(arrowstyle="<->", color="k"),
        )
        where = "ahead of" if distance > 0 else "behind"
        ax.text(
            xy["knee"][0] / 2,
            xy["knee"][1] + 9,
            f"knee {abs(distance):.1f} cm {where} toes",
            ha="center",
            fontsize=8,
        )
        if limit_m is not None:
            ax.axvline(
                limit_m * 100,
                color="tab:orange",
                lw=1,
                ls=":",
                label=f"lab threshold {limit_m * 100:.0f} cm",
            )
            ax.legend(loc="upper left", fontsize=7)
        ax.set_xlim(min(-45, xy["hip"][0] - 10, xy["heel"][0] - 10), max(35, xy["knee"][0] + 15))
        ax.set_ylim(-5, max(100, xy["hip"][1] + 15))
        ax.set_xlabel("cm from the big toe, running direction ->", fontsize=8)
        ax.text(
            0.98,
            0.02,
            f"stride at {stride.strike_time_s:.2f} s",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.4",
        )
        ax.set_ylabel("height (cm)")
    return _save(fig, out_png)


def foot_placement_figure(analysis: TrialAnalysis, out_png: Path) -> Path:
    """Lateral foot position at each strike, seen from behind, with the midline between feet."""
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    placed = {
        side: [
            (s.foot_lateral_m, s.strike_time_s)
            for s in analysis.strides
            if s.side == side and s.foot_lateral_m is not None
        ]
        for side in SIDES
    }
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
