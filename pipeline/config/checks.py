"""Values of a typed config that its types cannot check: ranges, consistency between keys,
ids. `config.validate` reports them all at once, each naming its key."""

from __future__ import annotations

from pipeline.config.schema import (
    MIN_LENS_FRAMES,
    Config,
    DetectorBackend,
    DetectorConfig,
    IntrinsicsSource,
    PersonBoxes,
    StudyConfig,
    TriangulationConfig,
    board_marker_problem,
)
from pipeline.core.safety import NAME_PATTERN, NAME_RULE, name_problem


def value_problems(cfg: Config) -> list[str]:
    """Every value out of range or inconsistent with another, each naming its key."""
    problems = []
    n = len(cfg.rig.cameras)
    if not 2 <= n <= 8:
        problems.append(f"rig.cameras has {n} cameras; 2 to 8 are supported")
    problems += [p for c in cfg.rig.cameras if (p := name_problem("rig.cameras", c))]
    if len(set(cfg.rig.cameras)) != n:
        problems.append("rig.cameras has duplicate names")
    if cfg.study.synthetic and len(cfg.rig.arc_deg) != n:
        problems.append(f"rig.arc_deg needs one angle per camera ({n}), got {len(cfg.rig.arc_deg)}")
    if not 60 <= cfg.rig.fps <= 240 and cfg.study.synthetic:
        problems.append(f"rig.fps={cfg.rig.fps}: the synthetic generator supports 60-240 fps")
    for key, board in (
        ("board", cfg.board),
        ("calibration.intrinsics.board", cfg.calibration.intrinsics.board),
    ):
        if board is None:
            continue
        if board_marker_problem(board):
            problems.append(f"{key}: {board_marker_problem(board)}")
        if board.marker_length_m >= board.square_length_m:
            problems.append(f"{key}.marker_length_m must be smaller than {key}.square_length_m")
    if len(cfg.rig.distortion) != 5:
        problems.append("rig.distortion needs 5 values [k1, k2, p1, p2, k3]")
    problems += _triangulation_problems(cfg.triangulation)
    v = cfg.analysis.verdict
    for key in (
        "min_share_in_3d",
        "fail_share_in_3d",
        "min_camera_share",
        "max_reverted_share",
        "max_untimed_event_share",
    ):
        if not 0 <= getattr(v, key) <= 1:
            problems.append(f"analysis.verdict.{key}={getattr(v, key)} must be a share in [0, 1]")
    if v.max_calibration_bias <= 0:
        problems.append(
            f"analysis.verdict.max_calibration_bias={v.max_calibration_bias} must be "
            "above 0 (a share of the camera's residual scatter)"
        )
    if v.min_event_fps < 0:
        problems.append(
            f"analysis.verdict.min_event_fps={v.min_event_fps} must be >= 0 (frames per second)"
        )
    if v.min_strides_per_side < 0:
        problems.append(
            f"analysis.verdict.min_strides_per_side={v.min_strides_per_side} must be >= 0"
        )
    if cfg.synth.lens_frames < 0:
        problems.append("synth.lens_frames must be 0 (no lens recording) or more")
    if (
        cfg.study.synthesize
        and cfg.calibration.intrinsics.source == IntrinsicsSource.videos
        and not cfg.calibration.intrinsics.path
        and cfg.synth.lens_frames < MIN_LENS_FRAMES
    ):
        problems.append(
            f"calibration.intrinsics.source=videos needs each synthetic session's "
            f"intrinsics/ lens videos: set synth.lens_frames (>= {MIN_LENS_FRAMES}, "
            "e.g. 40) or calibration.intrinsics.path"
        )
    if cfg.analysis.forward_axis is not None and len(cfg.analysis.forward_axis) != 3:
        problems.append("analysis.forward_axis needs 3 values")
    if (
        cfg.analysis.max_event_timing_sd_ms is not None
        and not cfg.analysis.max_event_timing_sd_ms > 0
    ):
        problems.append("analysis.max_event_timing_sd_ms must be positive (or null: no screening)")
    tip = cfg.analysis.toe_tip_ahead_mm
    if tip is not None and not 0 <= tip <= 100:
        problems.append(
            "analysis.toe_tip_ahead_mm must be 0-100 mm (or null: 40, 0 for the synthetic runner)"
        )
    if not 0 < cfg.sync.max_offset_s <= 10:
        problems.append(f"sync.max_offset_s={cfg.sync.max_offset_s} must be in (0, 10] s")
    problems += _calibration_problems(cfg)
    problems += _study_problems(cfg.study)
    problems += _rtmpose_problems(cfg.detector)
    return problems


def _rtmpose_problems(detector: DetectorConfig) -> list[str]:
    r, problems = detector.rtmpose, []
    if not 0.0 < r.person_detector_min_score < 1.0:
        problems.append(
            f"detector.rtmpose.person_detector_min_score={r.person_detector_min_score} "
            "must be in (0, 1)"
        )
    if (
        detector.backend == DetectorBackend.rtmpose
        and r.person_boxes == PersonBoxes.mmdet
        and not (r.mmdet_checkpoint and r.mmdet_checkpoint_sha256)
    ):
        problems.append(
            "detector.rtmpose.person_boxes=mmdet needs detector.rtmpose.mmdet_checkpoint and "
            "detector.rtmpose.mmdet_checkpoint_sha256 (`runlab fetch-model rtmdet-m-person` "
            "prints them), or person_boxes: blazepose"
        )
    return problems


def _calibration_problems(cfg: Config) -> list[str]:
    c = cfg.calibration
    rules = [
        (
            "calibration.max_frames",
            c.max_frames,
            c.max_frames >= MIN_LENS_FRAMES,
            f">= {MIN_LENS_FRAMES}",
        ),
        (
            "calibration.floor_frames",
            c.floor_frames,
            c.floor_frames >= 0,
            ">= 0 (0 = no floor board)",
        ),
        (
            "calibration.max_reprojection_px",
            c.max_reprojection_px,
            c.max_reprojection_px > 0,
            "> 0",
        ),
        (
            "calibration.min_detections_per_camera",
            c.min_detections_per_camera,
            c.min_detections_per_camera >= 1,
            ">= 1",
        ),
        (
            "synth.calibration_frames",
            cfg.synth.calibration_frames,
            cfg.synth.calibration_frames >= 0,
            ">= 0",
        ),
    ]
    return [f"{key}={value} must be {want}" for key, value, ok, want in rules if not ok]


def _triangulation_problems(t: TriangulationConfig) -> list[str]:
    """Ranges only: the low-pass cut-off is lowered to the trial's frame rate where it runs
    (triangulation/run.py), so no frame rate is refused here."""
    rules = [
        ("min_views", t.min_views >= 2, ">= 2"),
        ("min_score", 0 <= t.min_score < 1, "in [0, 1)"),
        ("rejection_sigmas", t.rejection_sigmas > 0, "> 0"),
        ("rejection_min_px", t.rejection_min_px > 0, "> 0"),
        ("rejection_max_px", t.rejection_max_px >= t.rejection_min_px, ">= rejection_min_px"),
        ("max_reprojection_px", t.max_reprojection_px > 0, "> 0"),
        ("max_dropped_views", 0 <= t.max_dropped_views <= 3, "0..3"),
        ("min_ray_angle_deg", 0 <= t.min_ray_angle_deg < 90, "in [0, 90)"),
        ("despike_m", t.despike_m >= 0, ">= 0 (0 = off)"),
        ("fill_max_gap_frames", t.fill_max_gap_frames >= 0, ">= 0 (0 = off)"),
        ("lowpass_hz", t.lowpass_hz >= 0, ">= 0 (0 = off)"),
    ]
    return [
        f"triangulation.{key}={getattr(t, key)} must be {want}" for key, ok, want in rules if not ok
    ]


def _study_problems(study: StudyConfig) -> list[str]:
    problems = []
    if not study.trials and not study.imports:
        problems.append("study.trials is empty: list at least one trial")
    problems += _import_problems(study)
    problems += _static_trial_problems(study)
    for kind, names in (("session", study.sessions), ("trial", study.trials)):
        bad = [n for n in names if not NAME_PATTERN.match(n)]
        if bad:
            problems.append(f"study.{kind}s: ids {bad} must be {NAME_RULE}")
    overlap = sorted(set(study.sessions) & set(study.trials))
    if overlap:
        problems.append(f"ids {overlap} are both a session and a trial; give them different names")
    for name, trial in study.trials.items():
        if trial.belt_speed_mps is not None and not 0 < trial.belt_speed_mps <= 15:
            problems.append(
                f"study.trials.{name}.belt_speed_mps={trial.belt_speed_mps} must be a "
                "belt speed in (0, 15] m/s (null for overground)"
            )
        if not 0 < trial.runner.speed_mps <= 15 or trial.runner.duration_s <= 0:
            problems.append(
                f"study.trials.{name}.runner: speed_mps must be in (0, 15] m/s and "
                "duration_s positive"
            )
        if trial.runner.motion is not None and trial.runner.motion not in study.imports:
            problems.append(
                f"study.trials.{name}.runner.motion='{trial.runner.motion}' is not in "
                f"study.imports ({', '.join(study.imports) or 'none defined'}): the "
                "runner's motion comes from an imported trial (docs/import3d.md)"
            )
        if trial.session not in study.sessions:
            problems.append(
                f"study.trials.{name}.session='{trial.session}' is not in study.sessions "
                f"({', '.join(study.sessions) or 'none defined'})"
            )
    unknown = [s for s in study.synthesize if s not in study.sessions]
    if unknown:
        problems.append(f"study.synthesize lists {unknown}, which are not in study.sessions")
    empty = [s for s in study.sessions if not study.trials_of(s)]
    if empty:
        problems.append(
            f"study.sessions {empty} have no trials; remove them or add trials (a "
            "session of imported 3D only is not listed in study.sessions, which are "
            "calibrated: give its imports subject/date/label instead)"
        )
    return problems


def _import_problems(study: StudyConfig) -> list[str]:
    problems = []
    bad = [n for n in study.imports if not NAME_PATTERN.match(n)]
    if bad:
        problems.append(f"study.imports: ids {bad} must be {NAME_RULE}")
    both = sorted(set(study.imports) & (set(study.trials) | set(study.sessions)))
    if both:
        problems.append(
            f"study.imports {both} are also trial or session ids; give them other names"
        )
    for name, entry in study.imports.items():
        where = f"study.imports.{name}"
        if not NAME_PATTERN.match(entry.session):
            problems.append(
                f"{where}.session='{entry.session}' must be {NAME_RULE} (a folder name)"
            )
        for key in ("file", "force_file"):
            value = getattr(entry, key)
            if value is not None and not NAME_PATTERN.match(value):
                problems.append(
                    f"{where}.{key}='{value}' must be a file name in "
                    f"<data_dir>/{entry.session}/{name}/ ({NAME_RULE})"
                )
        if not str(entry.file).lower().endswith((".trc", ".c3d")):
            problems.append(f"{where}.file='{entry.file}': runlab imports .trc and .c3d files")
        if entry.markerset is not None and not NAME_PATTERN.match(entry.markerset):
            problems.append(
                f"{where}.markerset='{entry.markerset}' must name conf/markerset/<name>.yaml"
            )
        if entry.belt_speed_mps is not None and not 0 < entry.belt_speed_mps <= 15:
            problems.append(f"{where}.belt_speed_mps={entry.belt_speed_mps} must be in (0, 15] m/s")
        if entry.session not in study.sessions and not entry.subject:
            problems.append(
                f"{where}: session '{entry.session}' is not in study.sessions; give the "
                "import its subject (and date, label)"
            )
    return problems


def _static_trial_problems(study: StudyConfig) -> list[str]:
    """study.static_trials: a known session -> one of its own video trials, not also a typed
    standing_foot_pitch_deg (two references for one session)."""
    problems = []
    for session, trial in study.static_trials.items():
        key = f"study.static_trials.{session}"
        if session not in study.sessions:
            problems.append(
                f"{key}: '{session}' is not in study.sessions "
                f"({', '.join(study.sessions) or 'none defined'})"
            )
            continue
        if not isinstance(trial, str) or trial not in study.trials:
            problems.append(
                f"{key}='{trial}' is not in study.trials: the static trial is recorded with the "
                "session's cameras and listed as a trial of the session (docs/studies.md)"
            )
        elif study.trials[trial].session != session:
            problems.append(
                f"{key}='{trial}' belongs to session '{study.trials[trial].session}', not "
                f"'{session}': a session's standing reference comes from its own static trial"
            )
        if study.sessions[session].standing_foot_pitch_deg is not None:
            problems.append(
                f"{key} and study.sessions.{session}.standing_foot_pitch_deg both give the "
                "standing foot pitch: keep one (the static trial measures it)"
            )
        running = [t for t in study.trials_of(session) if t != trial]
        if trial in study.trials and not running:
            problems.append(
                f"{key}='{trial}' is the session's only trial: a session needs a running "
                "trial besides its static trial"
            )
    return problems
