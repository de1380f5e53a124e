"""A trial's and a study's provenance from the typed config: which settings their numbers
depend on (hashed), the detector that ran, the calibration and videos (the records and
hashes: pipeline/io/provenance.py; the keys: docs/formats.md, "Provenance")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.config import Config, DetectorBackend, DetectorConfig, TrialConfig
from pipeline.core.json_types import JsonObject
from pipeline.io.provenance import (
    DetectorInfo,
    StudyProvenance,
    TrialProvenance,
    code_version,
    config_sha256,
    file_sha256,
    video_hashes,
)

# the config sections a trial's results depend on (its analyze stage declares them in dvc.yaml)
TRIAL_SECTIONS = (
    "rig",
    "board",
    "calibration",
    "synth",
    "detector",
    "sync",
    "triangulation",
    "analysis",
)


def trial_config(cfg: Config, trial: str) -> JsonObject:
    """The parameters one trial's results were computed with: TRIAL_SECTIONS, the trial's
    entry and whether its session is synthetic (not who/when: relabelling changes no number).
    What `config_sha256` hashes."""
    entry: TrialConfig = cfg.study.trial(trial)
    height = (
        cfg.study.sessions[entry.session].height_m if entry.session in cfg.study.sessions else None
    )
    return {
        **{name: getattr(cfg, name) for name in TRIAL_SECTIONS},
        "trial": entry,
        "synthetic": entry.session in cfg.study.synthesize,
        "schema_version": cfg.schema_version,
        # the subject's height checks the 3D's scale (a verdict); absent when not given
        **({} if height is None else {"subject_height_m": height}),
    }


def detector_info(detector: DetectorConfig) -> DetectorInfo:
    backend = DetectorBackend(detector.backend).value
    checkpoint = None
    if backend == DetectorBackend.rtmpose.value:
        checkpoint = detector.rtmpose.checkpoint_sha256 or (
            file_sha256(detector.rtmpose.checkpoint) if detector.rtmpose.checkpoint else None
        )
    return DetectorInfo(backend, checkpoint)


def trial_provenance(
    cfg: Config,
    trial: str,
    calibration: Path,
    videos: Sequence[Path],
    cameras: Sequence[str],
    video_sha256: Sequence[str] = (),
    backend: str | None = None,
) -> TrialProvenance:
    """`backend`: what the keypoints file says ran, when it is not the configured one."""
    detector = detector_info(cfg.detector)
    if backend and backend != detector.backend:
        detector = DetectorInfo(backend, None)
    code = code_version()
    return TrialProvenance(
        runlab_version=code.runlab_version,
        git=code.git,
        config_sha256=config_sha256(trial_config(cfg, trial)),
        config_sections=[
            *TRIAL_SECTIONS,
            f"study.{'imports' if trial in cfg.study.imports else 'trials'}.{trial}",
            "study.synthesize",
            f"study.sessions.{cfg.study.trial(trial).session}.height_m",
        ],
        calibration_sha256=file_sha256(calibration),
        detector=detector,
        videos=video_hashes(list(videos), list(cameras), list(video_sha256)),
    )


def study_provenance(cfg: Config) -> StudyProvenance:
    """For the study report and metrics.json: the code, and the parameters the study stage
    reads (study, report); each trial's own provenance is in its metrics."""
    code = code_version()
    return StudyProvenance(
        runlab_version=code.runlab_version,
        git=code.git,
        config_sha256=config_sha256({"study": cfg.study, "report": cfg.report}),
        config_sections=["study", "report"],
    )
