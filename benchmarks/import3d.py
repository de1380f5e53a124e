"""3D import (issue #25): a 60 s, 250 Hz, 60-marker file, as TRC and as C3D, imported to
Halpe-26 in runlab's frame. Prints ONE line: seconds to read each file and to import it (read
+ marker set with its functional/Harrington joint centres + axis detection), and the sizes.

The markers: the shared sprinter JA1 trial (53 markers, 250 Hz; ../shared/data) repeated to
60 s, plus 7 copies shifted by 5 cm (60 markers), imported with `conf/markerset/sprinter_ja1`.
Without ../shared: the parametric runner's 26 keypoints plus 34 shifted copies, by name.

    python benchmarks/import3d.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import RunnerConfig  # noqa: E402
from pipeline.core.skeleton import KEYPOINTS  # noqa: E402
from pipeline.io.exports import write_c3d, write_trc  # noqa: E402
from pipeline.io.import3d import load_3d  # noqa: E402
from pipeline.io.mocap import read_markers, read_trc  # noqa: E402
from pipeline.synth.kinematics import simulate_run  # noqa: E402

FPS = 250.0
N_MARKERS = 60
SPRINT = (
    Path(__file__).resolve().parents[1] / "../shared/data/running-mocap/sprinter-ja1/run0350cms.trc"
)


def markers(seconds: float) -> tuple[np.ndarray, list[str], str | None]:
    """(F, 60, 3) metres, world frame (Z up), names, marker set."""
    n = int(seconds * FPS)
    if SPRINT.exists():
        data = read_trc(SPRINT)
        base = data.points[:, :, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])  # Y up -> Z up
        names, markerset = list(data.names), "sprinter_ja1"
    else:
        base = simulate_run(RunnerConfig(duration_s=4.0), FPS).points
        names, markerset = list(KEYPOINTS), None
    reps = int(np.ceil(n / len(base)))
    points = np.concatenate([base] * reps)[:n]
    extra = N_MARKERS - points.shape[1]
    copies = points[:, :extra] + np.array([0.05, 0.0, 0.0])
    return (
        np.concatenate([points, copies], axis=1),
        names + [f"extra{i}" for i in range(extra)],
        markerset,
    )


def timed(fn, *args):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    points, names, markerset = markers(args.seconds)
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, writer in (("trc", write_trc), ("c3d", write_c3d)):
            path = Path(tmp) / f"bench.{fmt}"
            timed(writer, path, points, names, FPS)
            _, read_s = timed(read_markers, path)
            imported, total_s = timed(load_3d, path, markerset)
            assert imported.points.shape == (len(points), len(KEYPOINTS), 3)
            parts.append(
                f"{fmt.upper()} read {read_s:.2f} s, import {total_s:.2f} s "
                f"({path.stat().st_size / 1e6:.0f} MB)"
            )
    print(
        f"import3d: {args.seconds:g} s at {FPS:g} Hz, {points.shape[1]} markers "
        f"({markerset or 'keypoint names'}): " + "; ".join(parts)
    )


if __name__ == "__main__":
    main()
