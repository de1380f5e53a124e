"""Calibration accuracy across board-motion seeds (docs/calibration.md, "Across board-motion seeds").

Renders the demo rig's ChArUco videos (4 cameras, 1080p, 5 floor + 60 held frames, default
board and calibration config) for each `synth.seed` given, calibrates them and prints one line
per seed: worst camera-centre error (mm) and orientation error (deg) against the true rig, the
triangulated square minus the configured one (mm), the world-frame error (rotation of the best
rigid fit of the estimated camera centres onto the true ones, deg) and the largest centre error
left after that fit ("relative", mm), the largest median reprojection error (px), and whether
the bundle adjustment kept its refinement of the lens models (largest change of a lens term,
in standard errors of the camera's own fit), and the quality gates' verdict (with the smallest
coverage, far/near ratio and shared-frames count of the pairs that could share views).
`--videos DIR` keeps the videos in DIR/seed<N>/ and reuses them (rendering is most of the time).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np

from pipeline.calibration.calibrate import calibrate
from pipeline.config import BoardConfig, CalibrationConfig, RigConfig, SynthConfig
from pipeline.core.geometry import rigid_transform, rotation_angle_deg
from pipeline.synth.board_video import write_calibration_videos
from pipeline.synth.rig import make_rig


def seed_errors(cameras, truth, quality, board: BoardConfig) -> dict:
    centre = [np.linalg.norm(c.center - t.center) * 1000 for c, t in zip(cameras, truth)]
    orient = [rotation_angle_deg(c.rotation, t.rotation) for c, t in zip(cameras, truth)]
    est = np.array([c.center for c in cameras])
    true = np.array([t.center for t in truth])
    R, t = rigid_transform(est, true)
    relative = np.linalg.norm(est @ R.T + t - true, axis=1) * 1000
    medians = [q["reprojection_median_px"] for q in quality["cameras"].values()]
    return {
        "centre_mm": centre,
        "orientation_deg": orient,
        "square_mm": quality["board_size"]["measured_square_mm"] - 1000 * board.square_length_m,
        "world_deg": rotation_angle_deg(R, np.eye(3)),
        "relative_mm": float(relative.max()),
        "reprojection_px": max(medians),
        "lens_refined": quality["bundle_adjustment"].get("lens_refined", False),
        "lens_change_sd": max(
            quality["bundle_adjustment"].get("lens_change_max_sd", {0: 0}).values()
        ),
    }


def gate_notes(quality: dict) -> str:
    """The gates that did not pass, with their values, and the closest coverage / distance
    range / shared-frames margins."""
    cams = quality["cameras"].values()
    worst = [g for g in quality["gates"] if g["verdict"] != "pass"]
    shared = [
        g["value"]
        for g in quality["gates"]
        if g["name"].startswith("shared") and "face each other" not in g["message"]
    ]
    text = (
        f" (coverage >= {min(c['board_coverage'] for c in cams):.2f}, far/near >= "
        f"{min(c['far_near_ratio'] for c in cams):.2f}, neighbours share >= {min(shared)})"
    )
    return text + "".join(f"; {g['verdict']} {g['name']} {g['value']}" for g in worst)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(6)))
    parser.add_argument("--videos", type=Path, default=None)
    args = parser.parse_args()
    rig, board, calib = RigConfig(), BoardConfig(), CalibrationConfig()
    truth = make_rig(rig)
    names = list(rig.cameras)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            folder = (args.videos or Path(tmp)) / f"seed{seed}"
            videos = [folder / f"{name}.mp4" for name in names]
            if not all(v.exists() for v in videos):
                synth = SynthConfig(calibration_frames=60, seed=seed)
                with contextlib.redirect_stderr(io.StringIO()):
                    videos = write_calibration_videos(truth, board, calib, synth, folder, rig.fps)
            result = calibrate(videos, names, board, calib)
            e = seed_errors(result.cameras, truth, result.quality.to_dict(), board)
            c, o = np.argmax(e["centre_mm"]), np.argmax(e["orientation_deg"])
            print(
                f"seed {seed}: centre {e['centre_mm'][c]:.2f} mm {names[c]} "
                f"({' / '.join(f'{x:.2f}' for x in e['centre_mm'])}) | orientation "
                f"{e['orientation_deg'][o]:.3f} deg {names[o]} | squares {e['square_mm']:+.3f} mm"
                f" | world {e['world_deg']:.3f} deg | relative {e['relative_mm']:.2f} mm | "
                f"reprojection <= {e['reprojection_px']:.3f} px | lenses refined in the bundle "
                f"adjustment: {'yes' if e['lens_refined'] else 'no'} (largest change "
                f"{e['lens_change_sd']:.1f} sd) | gates {result.quality.gates_verdict}"
                f"{gate_notes(result.quality.to_dict())}",
                flush=True,
            )


if __name__ == "__main__":
    main()
