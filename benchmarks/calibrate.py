"""Calibration: runlab vs aniposelib's CameraGroup.calibrate_videos on the same rendered videos.

Renders the default synthetic rig's ChArUco videos (4 cameras, 1080p), calibrates them with
both, and prints one line: wall time of each, the ratio, and accuracy as the worst error of
the camera-to-camera baselines against the truth (frame independent, so aniposelib's
arbitrary frame compares fairly).
"""
from __future__ import annotations

import contextlib
import io
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np

from pipeline.calibration.calibrate import calibrate
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.synth.board_video import write_calibration_videos
from pipeline.synth.rig import make_rig


def worst_baseline_error_mm(centres: np.ndarray, true_centres: np.ndarray) -> float:
    pairs = list(combinations(range(len(centres)), 2))
    got = np.array([np.linalg.norm(centres[a] - centres[b]) for a, b in pairs])
    true = np.array([np.linalg.norm(true_centres[a] - true_centres[b]) for a, b in pairs])
    return float(np.max(np.abs(got - true)) * 1000)


def main() -> None:
    from aniposelib.boards import CharucoBoard
    from aniposelib.cameras import CameraGroup

    rig, board, calib, synth = RigConfig(), BoardConfig(), CalibrationConfig(), SynthConfig()
    truth = make_rig(rig)
    true_centres = np.array([c.center for c in truth])
    with tempfile.TemporaryDirectory() as tmp:
        videos = write_calibration_videos(truth, board, calib, synth, Path(tmp), rig.fps)

        t0 = time.perf_counter()
        ours = calibrate(videos, list(rig.cameras), board, calib)
        t_ours = time.perf_counter() - t0
        err_ours = worst_baseline_error_mm(np.array([c.center for c in ours.cameras]), true_centres)

        group = CameraGroup.from_names(list(rig.cameras))
        ani_board = CharucoBoard(board.squares_x, board.squares_y, board.square_length_m,
                                 board.marker_length_m, marker_bits=4, dict_size=50)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            group.calibrate_videos([[str(v)] for v in videos], ani_board, verbose=False)
        t_ani = time.perf_counter() - t0
        centres = np.array([-cv_rot(c.get_rotation()).T @ c.get_translation() for c in group.cameras])
        err_ani = worst_baseline_error_mm(centres, true_centres)

    n = len(videos)
    print(f"calibrate: {n} cams x {calib.floor_frames + synth.calibration_frames} frames 1080p | "
          f"runlab {t_ours:.1f} s, worst baseline error {err_ours:.1f} mm | aniposelib "
          f"calibrate_videos {t_ani:.1f} s, {err_ani:.1f} mm | ratio {t_ani / t_ours:.1f}x")


def cv_rot(rvec) -> np.ndarray:
    import cv2
    return cv2.Rodrigues(np.asarray(rvec, float))[0]


if __name__ == "__main__":
    main()
