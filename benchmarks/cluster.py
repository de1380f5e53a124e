"""`runlab cluster repro` against `dvc repro` on this machine: the same synthetic study (one
session, three 1.5 s trials, 640x360 cameras, detector=synthetic) after its synth and
calibrate stages, the remaining 16 stages once serially through `dvc repro` and once through
the driver on a local Ray instance (2 CPUs).

Prints one line: serial and driver wall time, their ratio, the driver's scheduling overhead
per stage (the driver's judge/submit/record time and the result's latency; waiting in
Ray's queue for a free CPU is printed apart; Ray start not included)
and the mean command time per stage kind (what docs/cluster.md projects from).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from test_cluster import OVERRIDES, STUDY  # noqa: E402  the tests' study, one definition

from pipeline.cli import configure  # noqa: E402

BIN = Path(sys.executable).parent
ENV = dict(
    os.environ,
    PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    OMP_NUM_THREADS="1",
    GIT_AUTHOR_NAME="bench",
    GIT_AUTHOR_EMAIL="b@x.invalid",
    GIT_COMMITTER_NAME="bench",
    GIT_COMMITTER_EMAIL="b@x.invalid",
    RAY_USAGE_STATS_ENABLED="0",
)


def _sh(cwd: Path, *argv: str) -> None:
    subprocess.run(list(argv), cwd=cwd, env=ENV, check=True, capture_output=True, text=True)


def _lab(root: Path) -> Path:
    lab = root / "lab"
    lab.mkdir()
    for name in ("dvc.yaml", "conf", "pipeline", ".dvc/config", ".dvcignore"):
        src, dst = REPO / name, lab / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
            if src.is_dir()
            else shutil.copy(src, dst)
        )
    (lab / "conf" / "study" / "cl.yaml").write_text(STUDY)
    configure(str(lab / "conf"), str(lab / "params.yaml"), OVERRIDES)
    _sh(lab, "git", "init", "-q")
    _sh(lab, str(BIN / "dvc"), "repro", "calibrate")
    _sh(lab, "git", "add", "-A")
    _sh(lab, "git", "commit", "-qm", "calibrated")
    return lab


def main() -> None:
    from pipeline.cluster.repro import repro

    with tempfile.TemporaryDirectory() as tmp:
        base = _lab(Path(tmp))
        serial_lab, driver_lab = Path(tmp) / "serial", Path(tmp) / "driver"
        shutil.copytree(base, serial_lab, symlinks=True)
        shutil.copytree(base, driver_lab, symlinks=True)
        t0 = time.perf_counter()
        _sh(serial_lab, str(BIN / "dvc"), "repro")
        serial = time.perf_counter() - t0
        os.environ.update(PATH=ENV["PATH"], OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0")
        os.environ["PYTHONPATH"] = str(driver_lab)
        os.chdir(driver_lab)
        summary = repro(num_cpus=2, log=lambda _: None)
    ran = [o for o in summary.outcomes if o.status == "ran"]
    assert summary.ok and len(ran) == 16, [(o.stage, o.status) for o in summary.outcomes]
    per_kind = defaultdict(list)
    for o in ran:
        per_kind[o.stage.split("@")[0]].append(o.seconds)
    overhead = sum(o.overhead for o in ran) / len(ran)
    queued = sum(o.queued for o in ran) / len(ran)
    kinds = " ".join(f"{k} {sum(v) / len(v):.1f}" for k, v in per_kind.items())
    print(
        f"cluster repro: 16 stages after calibrate, 2 CPUs | serial dvc repro {serial:.1f} s | "
        f"driver {summary.wall_seconds:.1f} s (incl. Ray start) | ratio {serial / summary.wall_seconds:.2f}x | "
        f"overhead {overhead:.2f} s/stage (+ {queued:.2f} s queued for a CPU) | mean command s: {kinds}"
    )


if __name__ == "__main__":
    main()
