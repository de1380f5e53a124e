"""Where a study's files live. The only place that knows the on-disk layout.

Inputs (videos tracked with `dvc add`, or rendered by `runlab synth`):

    <data_dir>/<session>/calibration/<camera>.mp4      board videos (synchronized)
    <data_dir>/<session>/<trial>/<camera>.mp4          trial videos
    <data_dir>/<session>/<trial>/timestamps.csv        optional per-frame capture times
    <data_dir>/<session>/<trial>/<file>                imported trials (study.imports): .trc/.c3d, .mot
    <data_dir>/<session>/truth/                        synthetic sessions only: the ground truth

Results (one folder per DVC stage output, so each stage owns exactly its folder):

    <results_dir>/sessions/<session>/calibration/      calibration.toml, quality.json, quality.html
    <results_dir>/sessions/<session>/standing.json     standing foot pitch from its static trial
    <results_dir>/trials/<trial>/keypoints2d/          <trial>.npz, previews/<camera>.png
    <results_dir>/trials/<trial>/sync.json              camera time offsets (docs/sync.md)
    <results_dir>/trials/<trial>/points3d/             <trial>.npz, .trc, .c3d, .csv
    <results_dir>/trials/<trial>/analysis/             <trial>.json, <trial>_strides.csv
    <results_dir>/trials/<trial>/metrics.json          headline numbers (DVC metrics)
    <results_dir>/trials/<trial>/report/               index.html, figures, overlay videos
    <results_dir>/report/                              the study report (index.html)
    <results_dir>/metrics.json                         study summary (DVC metrics)

Session and trial ids are unique within a study; a trial belongs to one session and uses
that session's calibration. Every id and camera name is checked as a plain name and every path
built here lies inside data_dir or results_dir (pipeline/core/safety.py), whatever the config says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Config, ConfigError
from pipeline.core.safety import check_names, confined


@dataclass(frozen=True)
class StudyPaths:
    data_dir: Path
    results_dir: Path
    cameras: tuple[str, ...]
    trial_sessions: dict[str, str] = field(default_factory=dict)  # trial -> session

    @classmethod
    def from_config(cls, cfg: Config) -> StudyPaths:
        return cls(
            Path(cfg.study.data_dir),
            Path(cfg.study.results_dir),
            tuple(cfg.rig.cameras),
            {name: t.session for name, t in cfg.study.all_trials.items()},
        )

    def _under(self, root: Path, key: str, *names: str) -> Path:
        """root/names..., each name a plain name (the value of config key `key`)."""
        check_names(key, names)
        return confined(root.joinpath(*names), [root], key)

    def session_of(self, trial: str) -> str:
        if trial not in self.trial_sessions:
            raise ConfigError(
                f"no trial '{trial}' in study.trials (known: {', '.join(self.trial_sessions)})"
            )
        return self.trial_sessions[trial]

    # inputs
    def session_dir(self, session: str) -> Path:
        return self._under(self.data_dir, "study.sessions", session)

    def calibration_videos(self, session: str) -> list[Path]:
        check_names("rig.cameras", self.cameras)
        return [self.session_dir(session) / "calibration" / f"{c}.mp4" for c in self.cameras]

    def trial_dir(self, trial: str) -> Path:
        return self._under(self.session_dir(self.session_of(trial)), "study.trials", trial)

    def trial_videos(self, trial: str, cameras: Sequence[str] | None = None) -> list[Path]:
        """One video per camera: rig.cameras, or `cameras` (e.g. the order a result file uses)."""
        cameras = cameras or self.cameras
        check_names("camera names", cameras)
        return [self.trial_dir(trial) / f"{c}.mp4" for c in cameras]

    def imported_file(self, trial: str, file_name: str) -> Path:
        """A file of an imported trial (study.imports): 3D markers or force plates."""
        return self._under(self.trial_dir(trial), f"study.imports.{trial}.file", file_name)

    def trial_timestamps(self, trial: str) -> Path:
        """Per-frame capture times, where the lab records them (docs/sync.md)."""
        return self.trial_dir(trial) / "timestamps.csv"

    # synthetic ground truth
    def truth_dir(self, session: str) -> Path:
        return self.session_dir(session) / "truth"

    def truth_rig(self, session: str) -> Path:
        return self.truth_dir(session) / "rig.toml"

    def truth_trial(self, trial: str) -> Path:
        return self.truth_dir(self.session_of(trial)) / f"{trial}.npz"

    def truth_metrics(self, trial: str) -> Path:
        return self.truth_dir(self.session_of(trial)) / f"{trial}_metrics.json"

    # per-session results
    def calibration_dir(self, session: str) -> Path:
        return self._under(self.results_dir / "sessions", "study.sessions", session) / "calibration"

    def calibration(self, session: str) -> Path:
        return self.calibration_dir(session) / "calibration.toml"

    def calibration_quality(self, session: str) -> Path:
        return self.calibration_dir(session) / "quality.json"

    def calibration_report(self, session: str) -> Path:
        return self.calibration_dir(session) / "quality.html"

    def standing(self, session: str) -> Path:
        """The standing foot pitch measured from the session's static trial (study.static_trials)."""
        return (
            self._under(self.results_dir / "sessions", "study.sessions", session) / "standing.json"
        )

    def trial_calibration(self, trial: str) -> Path:
        return self.calibration(self.session_of(trial))

    # per-trial results
    def trial_results(self, trial: str) -> Path:
        return self._under(self.results_dir / "trials", "study.trials", trial)

    def keypoints2d_dir(self, trial: str) -> Path:
        return self.trial_results(trial) / "keypoints2d"

    def keypoints2d(self, trial: str) -> Path:
        return self.keypoints2d_dir(trial) / f"{trial}.npz"

    def preview(self, trial: str, camera: str) -> Path:
        check_names("rig.cameras", [camera])
        return self.keypoints2d_dir(trial) / "previews" / f"{camera}.png"

    def sync(self, trial: str) -> Path:
        return self.trial_results(trial) / "sync.json"

    def points3d_dir(self, trial: str) -> Path:
        return self.trial_results(trial) / "points3d"

    def points3d(self, trial: str) -> Path:
        return self.points3d_dir(trial) / f"{trial}.npz"

    def reference_events(self, trial: str) -> Path:
        """Imported trials: the capture's own events (force plates, C3D), written by import-3d."""
        return self.points3d_dir(trial) / f"{trial}_reference_events.json"

    def analysis_dir(self, trial: str) -> Path:
        return self.trial_results(trial) / "analysis"

    def analysis(self, trial: str) -> Path:
        return self.analysis_dir(trial) / f"{trial}.json"

    def strides_csv(self, trial: str) -> Path:
        return self.analysis_dir(trial) / f"{trial}_strides.csv"

    def curves_dir(self, trial: str) -> Path:
        """Normalized gait-cycle curves, one CSV per angle and side (DVC plots)."""
        return self.trial_results(trial) / "curves"

    def trial_metrics(self, trial: str) -> Path:
        return self.trial_results(trial) / "metrics.json"

    def trial_report_dir(self, trial: str) -> Path:
        return self.trial_results(trial) / "report"

    # study results
    @property
    def study_report_dir(self) -> Path:
        return self.results_dir / "report"

    @property
    def study_metrics(self) -> Path:
        return self.results_dir / "metrics.json"
