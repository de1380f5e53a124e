"""The gait analysis's records (pipeline/gait/records.py, analysis.py, curves.CurveSummary):
each writes the analysis file's JSON exactly, key order included, and reads it back; a file
from an older runlab is named with the key it lacks."""

from __future__ import annotations

import json

import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.analysis import TrialAnalysis
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.records import Stride
from pipeline.io.formats import FormatError

STRIDE = {
    "side": "left",
    "stride": 0,
    "strike_frame": 3.0,
    "strike_time_s": 0.025,
    "toe_off_frame": 30.0,
    "toe_off_time_s": 0.25,
    "peak_knee_flexion_frame": 15.0,
    "foot_lateral_m": None,
    "step_width_m": 0.07,
    "stride_length_m": 2.1,
    "uncertainty": {"step_width_m": 0.001},
    "foot_strike_angle_deg": 12.0,
    "foot_strike_pattern": "rearfoot",
    "duty_factor": 0.36,
}


def test_a_stride_round_trips_its_file_keys_in_order_and_names_a_foreign_key():
    """Uncertainty after the temporal metrics, the pattern after its angle; a non-numeric key
    a stride draft gains without a Stride field is named, not turned into a number."""
    stride = Stride.from_dict(STRIDE)
    assert stride.value("step_width_m") == 0.07 and stride.value("missing") is None
    assert list(stride.to_dict().items()) == list(STRIDE.items())
    with pytest.raises(TypeError, match="'pass'.*gait/records.Stride"):
        Stride.from_dict({**STRIDE, "pass": "first"})


def test_the_analysis_file_round_trips_and_an_older_one_is_named():
    points, events = running_trial(foot_y={"left": -0.01, "right": 0.02})
    analysis = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    assert analysis.flags and analysis.summary.passes == ()
    text = json.dumps(analysis.to_dict())
    again = TrialAnalysis.from_dict(json.loads(text))
    assert json.dumps(again.to_dict()) == text
    older = json.loads(text)
    del older["summary"]["symmetry"]
    with pytest.raises(FormatError, match="old.json: no 'symmetry'.*rerun `runlab analyze`"):
        TrialAnalysis.from_dict(older, "old.json")
