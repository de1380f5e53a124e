"""The report tests' small synthetic trial (scenes/report.py) is analysable, and the
triangulation quality block of the report."""

import numpy as np
from scenes.report import small_trial


def test_small_trial_is_analysable(tmp_path):
    trial = small_trial(tmp_path, duration_s=2.0)
    assert len(trial.videos) == 2 and all(v.exists() for v in trial.videos)
    assert np.isfinite(trial.points[..., 0]).mean() > 0.9
    assert trial.analysis.summary.cadence_spm is not None


def test_triangulation_quality_block_shows_gates_repairs_and_warnings():
    from pipeline.io.formats import TriangulationQA
    from pipeline.quality.detection import triangulation_summary
    from pipeline.report.quality_sections import triangulation_html

    qa = TriangulationQA(
        "adaptive",
        ("head", "feet"),
        np.array([[20.0, 35.0], [40.0, 60.0]]),
        np.array([[8.0, 12.0], [15.0, np.nan]]),
        np.ones((2, 2)),
        np.array([["group", "group"], ["group", "camera"]]),
        np.zeros((5, 26), bool),
        np.zeros((5, 26), bool),
        15.0,
        ("cam_b: its views disagree <a lot>",),
        systematic_px=np.array([0.4, 12.5]),
        scatter_px=np.array([3.0, 7.25]),
    )
    stats = triangulation_summary(
        qa,
        ["cam_a", "cam_b"],
        np.ones((5, 26), int),
        np.array([[False] * 5, [True] * 3 + [False] * 2]),
        0.991,
    )
    html = triangulation_html(stats)
    assert "99 %" in html and "<th>feet</th>" in html
    assert (
        '<td>cam_b</td><td>40 <span class="note">(15)</span></td><td>60</td><td>3</td>'
        "<td>12.5 / 7.2</td>"
    ) in html
    assert "<th>steady / scatter (px)</th>" in html
    assert "cam_b: its views disagree &lt;a lot&gt;" in html  # escaped, shown as a warning
