"""Where a study's files live. The only place that knows the on-disk layout.

    <data_dir>/calibration/<camera>.mp4          board videos (synchronized)
    <data_dir>/trials/<trial>/<camera>.mp4       trial videos (synchronized)
    <data_dir>/truth/                            synthetic studies only: the ground truth
    <results_dir>/calibration/                   calibration.toml, quality.json
    <results_dir>/keypoints2d/<trial>.npz, previews/<trial>_<camera>.png
    <results_dir>/points3d/<trial>.npz
    <results_dir>/analysis/<trial>.json, <trial>_strides.csv
    <results_dir>/metrics.json                   study summary (DVC metrics)
    <results_dir>/report/index.html

One folder per stage output, so each DVC stage owns exactly its folder.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config


@dataclass(frozen=True)
class StudyPaths:
    data_dir: Path
    results_dir: Path
    cameras: tuple[str, ...]

    @classmethod
    def from_config(cls, cfg: Config) -> "StudyPaths":
        return cls(Path(cfg.study.data_dir), Path(cfg.study.results_dir), tuple(cfg.rig.cameras))

    # inputs
    def calibration_videos(self) -> list[Path]:
        return [self.data_dir / "calibration" / f"{c}.mp4" for c in self.cameras]

    def trial_dir(self, trial: str) -> Path:
        return self.data_dir / "trials" / trial

    def trial_videos(self, trial: str) -> list[Path]:
        return [self.trial_dir(trial) / f"{c}.mp4" for c in self.cameras]

    # synthetic ground truth
    @property
    def truth_dir(self) -> Path:
        return self.data_dir / "truth"

    @property
    def truth_rig(self) -> Path:
        return self.truth_dir / "rig.toml"

    def truth_trial(self, trial: str) -> Path:
        return self.truth_dir / f"{trial}.npz"

    def truth_metrics(self, trial: str) -> Path:
        return self.truth_dir / f"{trial}_metrics.json"

    # outputs
    @property
    def calibration(self) -> Path:
        return self.results_dir / "calibration" / "calibration.toml"

    @property
    def calibration_quality(self) -> Path:
        return self.results_dir / "calibration" / "quality.json"

    def keypoints2d(self, trial: str) -> Path:
        return self.results_dir / "keypoints2d" / f"{trial}.npz"

    def preview(self, trial: str, camera: str) -> Path:
        return self.results_dir / "keypoints2d" / "previews" / f"{trial}_{camera}.png"

    def points3d(self, trial: str) -> Path:
        return self.results_dir / "points3d" / f"{trial}.npz"

    def metrics(self, trial: str) -> Path:
        return self.results_dir / "analysis" / f"{trial}.json"

    def strides_csv(self, trial: str) -> Path:
        return self.results_dir / "analysis" / f"{trial}_strides.csv"

    @property
    def study_metrics(self) -> Path:
        return self.results_dir / "metrics.json"

    @property
    def report_dir(self) -> Path:
        return self.results_dir / "report"
