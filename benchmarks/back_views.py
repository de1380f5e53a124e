"""Cost of searching for boards seen from behind (pipeline/calibration/back_views.py) in the
calibration detection: `detect_video` with and without it, interleaved, on the default
synthetic rig's videos (4 x 1080p, `--frames` held-board frames; `--videos DIR` keeps and
reuses them) and, when present, the caliscope webcam session in ../shared/data. Prints one
line per video set: seconds without / with, the ratio, and the frames found from behind."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.calibration.board_in_videos import detect_video
from pipeline.config import ArucoDictionary, BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.synth.board_video import write_calibration_videos
from pipeline.synth.rig import make_rig

CALISCOPE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "caliscope-charuco"


def measure(label: str, videos: list[Path], board: BoardConfig, repeats: int) -> None:
    times = {False: 0.0, True: 0.0}
    back_frames = 0
    for _ in range(repeats):
        for back in (False, True):
            t0 = time.perf_counter()
            dets = [detect_video(v, board, board.inverted, back=back) for v in videos]
            times[back] += time.perf_counter() - t0
            if back:
                back_frames = sum(sum(d.back) for d in dets)
    print(
        f"{label}: without {times[False] / repeats:.2f} s, with {times[True] / repeats:.2f} s, "
        f"ratio {times[True] / times[False]:.3f}; frames found from behind {back_frames}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--videos", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rig, board = RigConfig(), BoardConfig()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.videos or Path(tmp)
        videos = [folder / f"{name}.mp4" for name in rig.cameras]
        if not all(v.exists() for v in videos):
            videos = write_calibration_videos(
                make_rig(rig),
                board,
                CalibrationConfig(),
                SynthConfig(calibration_frames=args.frames),
                folder,
                rig.fps,
            )
        measure(f"synthetic rig, 4 x {args.frames + 5} frames 1080p", videos, board, args.repeats)
    if CALISCOPE.is_dir():
        webcam_board = BoardConfig(
            squares_x=4,
            squares_y=5,
            square_length_m=0.054,
            marker_length_m=0.0405,
            dictionary=ArucoDictionary.DICT_4X4_1000,
            inverted=True,
        )
        measure(
            "caliscope webcams, 4 x 111 frames 720p",
            [CALISCOPE / "videos" / f"cam_{i}.mp4" for i in range(4)],
            webcam_board,
            args.repeats,
        )


if __name__ == "__main__":
    main()
