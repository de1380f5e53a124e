"""Test helper: the shared treadmill running of ../shared/data/running-mocap/hamner-subject04
as Halpe-26 keypoints with its force-plate contacts (the 3D import of issue #25), and the same
runner seen by the synthetic detector at the real level through the demo rig.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "running-mocap"
HAMNER = SHARED / "hamner-subject04"
TREADMILL_TRIALS = {"run200": 2.0, "run300": 3.0, "run400": 4.0, "run500": 5.0}


def treadmill_trial(name: str):
    """(keypoints (F, 26, 3), fps, force-plate events in frames, belt speed m/s) of a hamner
    trial, through the 3D import (pipeline/io/import3d.py, marker set hamner2013) and the
    synthetic world's placement (pipeline/synth/real_motion.py: pelvis over the origin)."""
    import warnings

    from pipeline.io.grf import force_plate_events
    from pipeline.io.import3d import load_3d
    from pipeline.synth.real_motion import motion_truth

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # run500 has no LMT5 (MissingMarkerWarning)
        imported = load_3d(HAMNER / name / "markers.trc", "hamner2013")
    truth = motion_truth(
        imported, imported.fps, force=force_plate_events(HAMNER / name / "grf.mot")
    )
    events = {
        side: {"foot_strike": truth.foot_strikes[side], "toe_off": truth.toe_offs[side]}
        for side in ("left", "right")
    }
    return truth.points, truth.fps, events, TREADMILL_TRIALS[name]


def observed_trial(points: np.ndarray, fps: float, seed: int, level=None, with_point_sd=False):
    """The keypoints seen by the synthetic detector at the real level without its keypoint
    definition bias (conf/detector/synthetic_real.yaml, noise seed + `seed`) through the demo
    rig at the trial's own rate, triangulated as the triangulate stage does.
    Returns (points, points before the low-pass, vertical SD per px (F, 26)), and with
    `with_point_sd` the per-axis point SDs the analyze stage derives (F, 26, 3, metres)."""
    import dataclasses
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from real_level_metrics import load_level

    from pipeline.config import RigConfig, TriangulationConfig
    from pipeline.synth.observe import observe_with_truth
    from pipeline.synth.rig import make_rig
    from pipeline.triangulation.run import triangulate_recording
    from pipeline.triangulation.uncertainty import predicted_sd

    level = load_level() if level is None else level
    noise = dataclasses.replace(level, keypoint_bias_m=0.0, seed=level.seed + seed)
    cameras = make_rig(RigConfig(fps=fps))
    seen = observe_with_truth(points, cameras, noise)
    result = triangulate_recording(seen.keypoints, cameras, fps, TriangulationConfig())
    sd_per_px = predicted_sd(result.points, cameras, result.views_used)
    if with_point_sd:
        from pipeline.gait.stance_fit import point_sd_from_3d

        point_sd = point_sd_from_3d(sd_per_px, result.reprojection_error)
        return result.points, result.points_unfiltered, sd_per_px[..., 2], point_sd
    return result.points, result.points_unfiltered, sd_per_px[..., 2]


MAX_EVENT_TIMING_SD_S = 0.003  # AnalysisConfig.max_event_timing_sd_ms default


def analyze_observed(points: np.ndarray, fps: float, seed: int, belt_speed_mps: float):
    """`observed_trial` of the keypoints, analysed as the analyze stage does (its point SDs,
    timing screen and unfiltered event points): the real-level analysis of a treadmill trial."""
    from pipeline.config import ThresholdsConfig
    from pipeline.gait.metrics import analyze_trial

    p, unfiltered, height_sd, point_sd = observed_trial(points, fps, seed, with_point_sd=True)
    return analyze_trial(
        p,
        fps,
        [1, 0, 0],
        ThresholdsConfig(),
        belt_speed_mps=belt_speed_mps,
        height_sd=height_sd,
        max_event_timing_sd_s=MAX_EVENT_TIMING_SD_S,
        event_points=unfiltered,
        point_sd=point_sd,
    )
