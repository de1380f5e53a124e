"""A two-trial study on the study layout (pipeline/study/paths.py) holding what synth, calibrate,
detect, triangulate and analyze leave on disk, from the report scene's small trials."""

import shutil

import numpy as np

from pipeline.config import validate
from pipeline.gait.compare import headline_metrics
from pipeline.io import formats
from pipeline.study.paths import StudyPaths
from scenes.report import small_trial


def study_config(tmp_path, **report_cfg):
    return validate(
        {
            "study": {
                "name": "stage",
                "data_dir": str(tmp_path / "data"),
                "results_dir": str(tmp_path / "results"),
                "sessions": {
                    "v1": {"subject": "R01", "date": "2026-10-01", "label": "before"},
                    "v2": {"subject": "R01", "date": "2026-11-01", "label": "after"},
                },
                "trials": {
                    "t_before": {"session": "v1", "condition": "3.0 m/s"},
                    "t_after": {"session": "v2", "condition": "3.0 m/s"},
                },
            },
            "rig": {"cameras": ["cam_0", "cam_1"], "fps": 60.0, "width": 960, "height": 540},
            "triangulation": {"lowpass_hz": 12.0},
            "report": {"overlay_width_px": 320, "overlay_max_frames": 30, **report_cfg},
        }
    )


def lay_out_study(cfg, tmp_path):
    """What synth/calibrate/detect/triangulate/analyze leave on disk, from small trials."""
    paths = StudyPaths.from_config(cfg)
    for name, runner in (("t_before", {}), ("t_after", {"step_width_m": -0.02})):
        trial = small_trial(tmp_path / "scratch" / name, duration_s=3.0, **runner)
        session = cfg.study.trials[name].session
        paths.trial_dir(name).mkdir(parents=True, exist_ok=True)
        for video in trial.videos:
            shutil.copy(video, paths.trial_dir(name) / video.name)
        formats.write_calibration(paths.calibration(session), formats.CameraSet(trial.cameras))
        formats.write_json(
            paths.calibration_quality(session),
            {
                "cameras": {
                    c.name: {"frames": 60, "detected_frames": 40, "reprojection_median_px": 0.2}
                    for c in trial.cameras
                },
                "gates": [],
            },
        )
        formats.write_keypoints2d(
            paths.keypoints2d(name),
            formats.Keypoints2D(
                trial.detections, ["cam_0", "cam_1"], trial.fps, "synthetic", ["", ""]
            ),
        )
        n_views = trial.views_used.sum(axis=2)
        formats.write_points3d(
            paths.points3d(name),
            formats.Points3D(
                trial.points,
                n_views * 0.5,
                n_views,
                trial.views_used,
                fps=trial.fps,
                camera_names=["cam_0", "cam_1"],
                swaps_repaired=np.zeros(trial.detections.shape[:2], bool),
            ),
        )
        result = {"trial": name, "session": session, **trial.analysis.to_dict()}
        formats.write_json(paths.analysis(name), result)
        formats.write_json(paths.trial_metrics(name), headline_metrics(trial.analysis))
    return paths
