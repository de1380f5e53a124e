"""Summaries of a trial analysis for DVC metrics, and measured-vs-true errors (synthetic studies)."""

from __future__ import annotations


def _side_means(summary: dict) -> dict[str, dict[str, float | None]]:
    return {
        side: {name: stats["mean"] for name, stats in block["metrics"].items()}
        for side, block in summary["sides"].items()
    }


def truth_errors(measured: dict, truth: dict) -> dict:
    """Measured minus true per side and metric, and cadence (synthetic studies only)."""
    got, true = _side_means(measured["summary"]), _side_means(truth["summary"])
    out: dict = {
        side: {
            name: {
                "measured": m,
                "true": true[side][name],
                "error": None if m is None or true[side][name] is None else m - true[side][name],
            }
            for name, m in metrics.items()
        }
        for side, metrics in got.items()
    }
    m, t = measured["summary"]["cadence_spm"], truth["summary"]["cadence_spm"]
    out["cadence_spm"] = {
        "measured": m,
        "true": t,
        "error": None if m is None or t is None else m - t,
    }
    return out


def headline_metrics(result: dict) -> dict:
    """The numbers DVC shows in `dvc metrics show` / `dvc exp show`: per-side means."""
    summary = result["summary"]
    out: dict = {"cadence_spm": summary["cadence_spm"]}
    if summary.get("observation"):  # share of the trial inside the analysed strides
        out["analysed_share"] = summary["observation"]["analysed_share"]
    for side, metrics in _side_means(summary).items():
        out[side] = {**metrics, "n_strides": summary["sides"][side]["n_strides"]}
        block = summary["sides"][side]
        if "foot_strike" in block:  # issue #29: pattern, and each metric's stride SD / CV / n
            out[side]["foot_strike_pattern"] = block["foot_strike"]["pattern"]
            out[side]["variability"] = {
                name: {k: stats.get(k) for k in ("sd", "cv_pct", "mdc95", "n")}
                for name, stats in block["metrics"].items()
            }
    if "symmetry" in summary:
        out["symmetry_index_pct"] = {
            name: entry["index_pct"] for name, entry in summary["symmetry"].items()
        }
    out["flags"] = len(result["flags"])
    return out
