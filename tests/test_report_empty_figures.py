"""A trial with no stride (a person standing still): each report figure without data is one
line saying why, not empty 0-1 axes; a figure with some empty panels says so in them."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from pipeline.config import RunnerConfig, ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.report.figures import FRONTAL, curves_figure, missing_data
from pipeline.report.trial_report import TrialInfo, write_trial_report
from pipeline.synth.kinematics import simulate_run

FORWARD = np.array([1.0, 0.0, 0.0])


def _standing(n_frames: int = 120) -> np.ndarray:
    run = simulate_run(RunnerConfig(duration_s=1.0, seed=2), 60.0).points
    rng = np.random.default_rng(0)
    return run[:1].repeat(n_frames, axis=0) + rng.normal(0, 0.001, (n_frames, *run.shape[1:]))


def test_no_stride_means_one_line_per_figure(tmp_path):
    points = _standing()
    analysis = analyze_trial(points, 60.0, FORWARD, ThresholdsConfig())
    assert analysis.strides == []
    why = missing_data(analysis)
    assert all(why.values()) and "left 0, right 0" in why["sagittal"]
    index = write_trial_report(tmp_path, TrialInfo("still"), analysis, points, FORWARD)
    page = index.read_text()
    lines = re.findall(r'<p class="note no-figure">(.*?)</p>', page)
    assert len(lines) == 4 and lines[0].startswith(
        "Sagittal-plane angles over the gait cycle: not drawn: no stride"
    )
    assert not list(tmp_path.glob("*.png"))


def test_a_running_trial_draws_every_figure(tmp_path):
    points = simulate_run(RunnerConfig(duration_s=3.0, seed=2), 60.0).points
    analysis = analyze_trial(points, 60.0, FORWARD, ThresholdsConfig(), belt_speed_mps=3.0)
    assert not any(missing_data(analysis).values())


def test_an_empty_panel_says_so(tmp_path, monkeypatch):
    points = simulate_run(RunnerConfig(duration_s=3.0, seed=2), 60.0).points
    curves = analyze_trial(points, 60.0, FORWARD, ThresholdsConfig(), belt_speed_mps=3.0).curves
    assert curves is not None
    fppa = {side: replace(c, n=0) for side, c in curves.angles["knee_fppa_deg"].items()}
    curves = replace(curves, angles={**curves.angles, "knee_fppa_deg": fppa})
    import matplotlib.pyplot as plt

    texts = []
    original = plt.Axes.text

    def spy(self, *args, **kwargs):
        texts.append(args[2])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(plt.Axes, "text", spy)  # what the panels write
    curves_figure(curves, 60.0, tmp_path / "f.png", FRONTAL, True)
    assert "no stride with this angle\nmeasured throughout" in texts
