"""Calibration: runlab vs aniposelib's CameraGroup.calibrate_videos on the same rendered videos.

Renders the default synthetic rig's ChArUco videos (4 cameras, 1080p; `--frames` held-board
frames after the floor frames, 60 by default as in the demo, 295 for the issue's 4 x 300),
calibrates them with both, and prints one line: wall time of each, the ratio, and accuracy as
the worst error of the camera-to-camera baselines against the truth (frame independent, so
aniposelib's arbitrary frame compares fairly), plus our per-step times and each camera's
centre error against the truth (ours is in the true world frame). `--videos DIR` keeps the
rendered videos there and reuses them.
"""

from __future__ import annotations

import argparse
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

    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--videos", type=Path, default=None)
    args = parser.parse_args()
    rig, board, calib = RigConfig(), BoardConfig(), CalibrationConfig()
    synth = SynthConfig(calibration_frames=args.frames)
    truth = make_rig(rig)
    true_centres = np.array([c.center for c in truth])
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.videos or Path(tmp)
        videos = [folder / f"{name}.mp4" for name in rig.cameras]
        if not all(v.exists() for v in videos):
            videos = write_calibration_videos(truth, board, calib, synth, folder, rig.fps)

        t0 = time.perf_counter()
        ours = calibrate(videos, list(rig.cameras), board, calib)
        t_ours = time.perf_counter() - t0
        err_ours = worst_baseline_error_mm(np.array([c.center for c in ours.cameras]), true_centres)
        centre_mm = [
            np.linalg.norm(c.center - t.center) * 1000 for c, t in zip(ours.cameras, truth)
        ]

        group = CameraGroup.from_names(list(rig.cameras))
        ani_board = CharucoBoard(
            board.squares_x,
            board.squares_y,
            board.square_length_m,
            board.marker_length_m,
            marker_bits=4,
            dict_size=50,
        )
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            group.calibrate_videos([[str(v)] for v in videos], ani_board, verbose=False)
        t_ani = time.perf_counter() - t0
        centres = np.array(
            [-cv_rot(c.get_rotation()).T @ c.get_translation() for c in group.cameras]
        )
        err_ani = worst_baseline_error_mm(centres, true_centres)

    n = len(videos)
    steps = ", ".join(f"{k} {v:.1f}" for k, v in ours.quality.timings_s.items())
    print(
        f"calibrate: {n} cams x {calib.floor_frames + synth.calibration_frames} frames 1080p | "
        f"runlab {t_ours:.1f} s ({steps}), worst baseline error {err_ours:.1f} mm, centres "
        f"{' / '.join(f'{e:.1f}' for e in centre_mm)} mm | aniposelib calibrate_videos "
        f"{t_ani:.1f} s, {err_ani:.1f} mm | ratio {t_ani / t_ours:.1f}x"
    )


def cv_rot(rvec) -> np.ndarray:
    import cv2

    return cv2.Rodrigues(np.asarray(rvec, float))[0]


if __name__ == "__main__":
    main()
