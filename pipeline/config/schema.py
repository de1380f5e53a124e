"""Typed configuration: one dataclass per Hydra config group, validated at the edge.

`conf/` holds self-contained YAML (DVC composes it into params.yaml without importing this
package); every runner validates what it reads against these dataclasses, so a wrong key or
type fails at start with the key's name. The schemas are also registered in Hydra's
ConfigStore under `schema/<group>` for tools that compose with Hydra directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from omegaconf import MISSING

from pipeline.config.detector import (  # noqa: F401  (re-exported: the detector group)
    DetectorBackend,
    DetectorConfig,
    OpenPoseJsonConfig,
    OpenPoseModel,
    PersonBoxes,
    PersonSelectionConfig,
    RTMPoseConfig,
    SelectionRule,
    SyntheticNoiseConfig,
)
from pipeline.core.errors import ConfigError, RunlabError  # noqa: F401  (ConfigError re-exported)


# --- study -------------------------------------------------------------------------------
@dataclass
class RunnerConfig:
    """Knobs of the synthetic runner (ignored for real recordings)."""

    speed_mps: float = 3.0  # belt speed (treadmill) or running speed (overground)
    cadence_spm: float = 170.0  # steps per minute
    step_width_m: float = 0.06  # between-feet width at contact; negative = crossover
    pelvic_drop_deg: float = 5.0  # peak contralateral pelvic drop in stance
    peak_knee_flexion_deg: float = 42.0  # peak stance knee flexion
    knee_flexion_toe_off_deg: float = 15.0
    knee_over_toe_m: float = -0.02  # knee ahead of big toe at peak flexion (+ = ahead)
    asymmetry: float = 0.0  # fractional L/R difference of the knee knobs
    treadmill: bool = True
    height_m: float = 1.75
    duration_s: float = 3.0
    seed: int = 0
    # An imported trial (a key of study.imports) whose measured 3D moves the runner instead of
    # the knobs above (pipeline/synth/real_motion.py); duration_s still cuts it
    motion: str | None = None


@dataclass
class SessionConfig:
    """One visit of one subject: one calibration, one or more trials."""

    subject: str = MISSING  # e.g. "R01": the before/after comparison groups sessions by it
    date: str = ""  # ISO date (YYYY-MM-DD); orders a subject's sessions
    label: str = ""  # e.g. "before", "after 6 weeks of retraining"
    notes: str = ""
    height_m: float | None = None  # the subject's height: checks the 3D's scale (docs/metrics.md)
    # [left, right] heel -> big-toe pitch standing, deg (a static trial: scripts/assessment_real.py
    # static_pitch); the foot-strike angle's reference. None: each trial's foot-flat angle,
    # wrong for a runner whose heel stays up in stance (docs/metrics.md, issue #29)
    standing_foot_pitch_deg: list[float] | None = None


@dataclass
class TrialConfig:
    session: str = MISSING  # key into study.sessions; its calibration is used
    condition: str = ""  # e.g. "treadmill 3.0 m/s, own shoes"
    belt_speed_mps: float | None = (
        None  # treadmill trials: stride length = belt speed x stride time
    )
    speed_mps: float | None = (
        None  # overground trials: a recorded speed (timing gates) checks the 3D's scale
    )
    runner: RunnerConfig = field(default_factory=RunnerConfig)  # synthetic sessions only

    def treadmill_speed(self, synthetic: bool) -> float | None:
        """Belt speed of this trial: as configured, or the synthetic runner's treadmill speed."""
        if self.belt_speed_mps is not None or self.runner.motion is not None:
            return self.belt_speed_mps  # a real runner's motion: only the belt speed given
        return self.runner.speed_mps if synthetic and self.runner.treadmill else None


@dataclass
class ImportedTrialConfig(TrialConfig):
    """A trial whose 3D comes from a file (marker capture, another tool), not from videos:
    `runlab import-3d` reads `<data_dir>/<session>/<trial>/<file>` (docs/import3d.md)."""

    file: str = MISSING  # a .trc or .c3d file name in the trial's folder
    markerset: str | None = None  # conf/markerset/<name>.yaml; null: keypoint names
    force_file: str | None = None  # OpenSim ground-reaction .mot beside it: reference events
    # who and when, for a session that is not in study.sessions (it has no videos to calibrate)
    subject: str = ""
    date: str = ""
    label: str = ""


@dataclass
class StudyConfig:
    name: str = "demo"
    data_dir: str = "studies/demo"  # inputs: <session>/calibration/ and <session>/<trial>/ videos
    results_dir: str = "results/demo"  # everything the pipeline writes
    # Sessions rendered by `runlab synth` (DVC runs one synth stage per entry); empty for a
    # study of real recordings, whose videos are tracked with `dvc add` instead.
    synthesize: list[str] = field(default_factory=list)
    sessions: dict[str, SessionConfig] = field(default_factory=dict)
    trials: dict[str, TrialConfig] = field(default_factory=dict)
    # Trials whose 3D is imported from a file instead of triangulated (DVC: import3d, then
    # analyze_import and report_import).
    imports: dict[str, ImportedTrialConfig] = field(default_factory=dict)
    # session -> its static trial (a trial of that session in study.trials, recorded standing
    # still): the standing foot pitch the foot-strike angle is measured from (DVC: standing,
    # docs/studies.md). A study-level map so that DVC can iterate it.
    static_trials: dict[str, str] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.synthesize)

    @property
    def all_trials(self) -> dict[str, TrialConfig]:
        """Video trials and imported ones, in config order (videos first)."""
        return {**self.trials, **self.imports}

    def trial(self, name: str) -> TrialConfig:
        every = self.all_trials
        if name not in every:
            raise ConfigError(
                f"no trial '{name}' in study.trials or study.imports (known: {', '.join(every)})"
            )
        return every[name]

    def session(self, name: str) -> SessionConfig:
        if name not in self.sessions:
            raise ConfigError(
                f"no session '{name}' in study.sessions (known: {', '.join(self.sessions)})"
            )
        return self.sessions[name]

    def is_static(self, trial: str) -> bool:
        """A session's static (standing) trial: measured, not analysed as running."""
        return trial in self.static_trials.values()

    def trials_of(self, session: str) -> list[str]:
        return [t for t, trial in self.trials.items() if trial.session == session]


# --- rig / board / calibration ------------------------------------------------------------
@dataclass
class RigConfig:
    cameras: list[str] = field(default_factory=lambda: ["cam_0", "cam_1", "cam_2", "cam_3"])
    fps: float = 120.0
    width: int = 1920
    height: int = 1080
    # Synthetic rig geometry: cameras on an arc around the treadmill centre.
    distance_m: float = 3.2
    camera_height_m: float = 1.1
    arc_deg: list[float] = field(default_factory=lambda: [35.0, 145.0, 215.0, 325.0])
    focal_px: float = 1500.0
    distortion: list[float] = field(default_factory=lambda: [-0.12, 0.08, 0.0005, -0.0004, -0.01])
    seed: int = 0


class ArucoDictionary(str, Enum):
    DICT_4X4_50 = "DICT_4X4_50"
    DICT_4X4_100 = "DICT_4X4_100"
    DICT_4X4_250 = "DICT_4X4_250"
    DICT_4X4_1000 = "DICT_4X4_1000"
    DICT_5X5_50 = "DICT_5X5_50"
    DICT_5X5_100 = "DICT_5X5_100"
    DICT_5X5_250 = "DICT_5X5_250"
    DICT_5X5_1000 = "DICT_5X5_1000"
    DICT_6X6_50 = "DICT_6X6_50"
    DICT_6X6_250 = "DICT_6X6_250"


@dataclass
class BoardConfig:
    squares_x: int = 7
    squares_y: int = 5
    square_length_m: float = 0.15
    marker_length_m: float = 0.1125
    dictionary: ArucoDictionary = ArucoDictionary.DICT_4X4_50
    legacy_pattern: bool = False  # boards printed by OpenCV < 4.6 with even rows
    inverted: bool | None = None  # white markers on black; None = detect per video


def board_marker_problem(board: BoardConfig) -> str | None:
    """Why the board cannot exist, or None: a ChArUco board has one marker per two squares,
    and each marker is a distinct id of the dictionary."""
    markers = board.squares_x * board.squares_y // 2
    size = int(ArucoDictionary(board.dictionary).value.rsplit("_", 1)[1])
    if markers <= size:
        return None
    return (
        f"a {board.squares_x} x {board.squares_y} board has {markers} markers but "
        f"its dictionary {ArucoDictionary(board.dictionary).value} has only {size}: set the "
        "dictionary the board was printed with (at least "
        f"{markers} ids, e.g. DICT_4X4_{100 if markers <= 100 else 250})"
    )


def lens_board_config(calibration: CalibrationConfig, board: BoardConfig) -> BoardConfig:
    """The board of the lens videos: `calibration.intrinsics.board`, else the rig's."""
    return calibration.intrinsics.board or board


@dataclass
class CalibrationGatesConfig:
    """Warn / fail limits of the calibration quality gates (pipeline/calibration/gates.py)."""

    reprojection_warn_px: float = 0.5  # per-camera median; fail = calibration.max_reprojection_px
    min_detections_warn: int = (
        30  # usable board frames per camera; fail = min_detections_per_camera
    )
    min_shared_frames: int = 10  # per camera pair; below it the pair is not a link
    facing_axis_angle_deg: float = 120.0  # optical axes further apart: the pair need not share
    coverage_warn: float = 0.5  # share of image cells where a corner was seen
    coverage_fail: float = 0.25
    distance_ratio_warn: float = 1.5  # far / near board distance (90th / 10th percentile)
    distance_ratio_fail: float = 1.15
    board_size_warn: float = 0.01  # |triangulated square / configured square - 1|
    board_size_fail: float = 0.02


class IntrinsicsSource(str, Enum):
    board = "board"  # from the calibration videos themselves
    videos = "videos"  # from separate board videos, <path>/<camera>.mp4 (one per camera, not synchronized)
    file = "file"  # from an earlier calibration: runlab / aniposelib / Pose2Sim TOML or caliscope camera_array.toml


@dataclass
class IntrinsicsConfig:
    """Where the lens models come from; with `videos` or `file` only the extrinsics are fitted
    to the calibration videos (bundle adjustment with the intrinsics held fixed)."""

    source: IntrinsicsSource = IntrinsicsSource.board
    path: str | None = (
        None  # videos: folder (None = intrinsics/ beside the calibration/ videos); file: the file
    )
    # videos: the board in the lens videos, if not the rig's `board` (a smaller board with more
    # corners, held close); None = the same board
    board: BoardConfig | None = None

    def __post_init__(self):
        if IntrinsicsSource(self.source) == IntrinsicsSource.file and not self.path:
            raise ConfigError(
                "calibration.intrinsics.source = file needs calibration.intrinsics.path "
                "(an earlier calibration.toml, Pose2Sim TOML or caliscope camera_array.toml)"
            )
        if self.board is not None and IntrinsicsSource(self.source) != IntrinsicsSource.videos:
            raise ConfigError(
                "calibration.intrinsics.board is the board of the lens videos and "
                "only used with calibration.intrinsics.source = videos: set source "
                "to videos, or remove calibration.intrinsics.board"
            )
        if IntrinsicsSource(self.source) == IntrinsicsSource.board and self.path:
            raise ConfigError(
                f"calibration.intrinsics.path = {self.path} is given but "
                "calibration.intrinsics.source = board ignores it: set source to "
                "videos or file, or remove the path"
            )


class FrameSelection(str, Enum):
    even = "even"  # evenly spaced over the frames with the board
    diverse = "diverse"  # greedy spread of board tilt, image position and distance


@dataclass
class CalibrationConfig:
    floor_frames: int = 5  # first frames: board on the floor; 0 = no floor board (cameras in camera 0's frame, no 'up')
    max_frames: int = 60  # frames used for calibration, chosen by frame_selection
    frame_selection: FrameSelection = FrameSelection.even
    intrinsics: IntrinsicsConfig = field(default_factory=IntrinsicsConfig)
    max_reprojection_px: float = 1.0  # quality gate
    min_detections_per_camera: int = 10
    gates: CalibrationGatesConfig = field(default_factory=CalibrationGatesConfig)
    # Gates whose failure only warns, by name prefix (e.g. ["coverage", "distance range"]) for
    # a session you must use anyway; the report still shows them failed.
    allow_failed_gates: list[str] = field(default_factory=list)


MIN_LENS_FRAMES = 5  # a lens fit needs this many usable views (calibration/intrinsics.py)


@dataclass
class SynthConfig:
    calibration_frames: int = 60  # frames of board motion after the floor frames
    lens_frames: int = 0  # close-up board frames per camera in <session>/intrinsics/ (0 = none)
    image_noise_sigma: float = 2.0  # sensor noise, grey levels
    blur_sigma_px: float = 0.6
    seed: int = 0


# --- detection / triangulation / analysis / report -----------------------------------------


class TriangulationMethod(str, Enum):
    dlt = "dlt"  # confidence-weighted DLT over all valid views (reference)
    robust = "robust"  # + left/right swap repair and outlier-view rejection


class TriangulationRefine(str, Enum):
    none = "none"  # points as triangulated and filtered
    limb_length = "limb_length"  # + joint fit: reprojection, limb-length constancy, smoothness


class RejectionMode(str, Enum):
    adaptive = "adaptive"  # gates from the trial's own residuals, per camera and keypoint group
    fixed = "fixed"  # max_reprojection_px everywhere


class GapFill(str, Enum):
    linear = "linear"
    cubic = "cubic"


@dataclass
class TriangulationConfig:
    method: TriangulationMethod = TriangulationMethod.robust
    min_views: int = 2
    min_score: float = 0.3
    # robust only (pipeline/triangulation/robust.py, scale.py)
    rejection: RejectionMode = RejectionMode.adaptive
    rejection_sigmas: float = 4.0  # adaptive gate = residual median + this x robust SD
    rejection_min_px: float = 4.0  # adaptive gates are never tighter than this
    rejection_max_px: float = 60.0  # nor looser: beyond it a view is a gross error (warned)
    max_reprojection_px: float = 12.0  # fixed gate; adaptive: for a camera with too few views
    repair_swaps: bool = True
    max_dropped_views: int = 2
    min_ray_angle_deg: float = 20.0  # 2-view points with rays closer than this are a gap
    # time domain, in this order (pipeline/triangulation/filtering.py); 0 = off
    despike_m: float = 0.05
    fill_max_gap_frames: int = 5
    fill_method: GapFill = GapFill.linear
    lowpass_hz: float = 15.0  # running kinematics are commonly filtered at 10-15 Hz
    # spatiotemporal refinement after gap filling, before the low-pass (triangulation/refine.py;
    # measured effect: docs/triangulation.md)
    refine: TriangulationRefine = TriangulationRefine.limb_length
    refine_limb_sigma_m: float = 0.01  # allowed bone-length variation (real joint centres)
    refine_accel_sigma_ms2: float = 100.0  # acceleration scale of the smoothness term

    def __post_init__(self):
        # built in code (not through validate) a mode may arrive as its string: make it the
        # enum, so a typo fails here naming the key instead of falling to another branch
        for key, kind in (
            ("method", TriangulationMethod),
            ("rejection", RejectionMode),
            ("fill_method", GapFill),
            ("refine", TriangulationRefine),
        ):
            try:
                setattr(self, key, kind(getattr(self, key)))
            except ValueError:
                raise ConfigError(
                    f"triangulation.{key} = {getattr(self, key)!r} is not one of "
                    f"{', '.join(m.value for m in kind)}"
                ) from None


@dataclass
class ThresholdsConfig:
    crossover_step_width_m: float = 0.0  # step width at or below this = crossover (Iskandar 2023)
    min_peak_knee_flexion_deg: float = 40.0  # Souza 2016: < 40 deg in some PFP groups
    max_knee_over_toe_m: float = 0.0  # no validated norm: lab's choice
    crossover_midline_m: float = 0.0  # foot point on/across the pelvis-centre line (Iskandar 2023)
    # None = flag off. None of these has a validated cut-off: a lab sets its own in conf/analysis/.
    max_pelvic_drop_deg: float | None = None  # Bramah 2018: odds +80 % per degree, no cut-off
    max_knee_flexion_toe_off_deg: float | None = None  # no published norm
    min_calf_clearance_m: float | None = None  # keypoint-centre distance, no published norm
    min_strides: int = 3  # fewer strides: no statistic is reported
    # fewer: no SD, CV, SEM or MDC (an SD from n strides is uncertain by ~1/sqrt(2(n-1)): 27 % at 8)
    min_strides_variability: int = 8


@dataclass
class VerdictConfig:
    """When a trial is `degraded` or `failed` (pipeline/quality/verdict.py, docs/verdicts.md)."""

    min_share_in_3d: float = 0.9  # keypoint-frames measured in 3D: below = degraded
    fail_share_in_3d: float = 0.5  # below = failed
    min_camera_share: float = 0.2  # a camera's views in fewer of them = degraded
    max_reverted_share: float = 0.01  # points post-processing had to put back
    min_strides_per_side: int = 3  # fewer on a side = degraded; none at all = failed
    max_untimed_event_share: float = 0.5  # events not timed (foot poorly observed)
    max_calibration_bias: float = (
        0.35  # a camera's steady residual over its scatter: above = degraded
    )
    min_event_fps: float = (
        60.0  # below: events are not timed to a frame that matters (docs/metrics.md)
    )


@dataclass
class AnalysisConfig:
    # Line of progression in the world frame: the treadmill belt axis; null = overground,
    # estimated from the stride-averaged pelvis velocity.
    forward_axis: list[float] | None = field(default_factory=lambda: [1.0, 0.0, 0.0])
    thresholds: ThresholdsConfig = field(default_factory=ThresholdsConfig)
    # Gait events are timed only where the cameras pin their timing down: predicted timing SD
    # <= this, ms per px of 2D error (gait/event_screen.py: the foot's height SD over its
    # vertical speed through the event; a treadmill rig at 3 m 0.4-2.3, a runway at 7.6 m
    # mostly 0.9-4, a foot at a camera circle's edge seen by 2 cameras up to 8). Others, and
    # any above 0.6 frame per px, are reported as poorly observed, not timed; the limit holds
    # where the foot point was seen by fewer than 3 cameras around the event (with 3 or more
    # a wrong view is rejected and the SD holds: the event is timed, its SD carried into the
    # metrics' uncertainties). null = time every event.
    max_event_timing_sd_ms: float | None = 3.0
    # How far the shoe's tip lies ahead of the big-toe keypoint along the heel -> toe line
    # (a detector's "big toe" and a toe marker sit on the toe box, behind and above the tip:
    # docs/metrics.md, Events). null = 40 mm, or 0 for the parametric synthetic runner, whose
    # big toe is the tip itself (a synthetic session on a real runner's motion: 40 mm).
    toe_tip_ahead_mm: float | None = None
    verdict: VerdictConfig = field(default_factory=VerdictConfig)


class OverlayFormat(str, Enum):
    webm = "webm"  # VP8 in WebM: plays inside the report (checked in Chromium)
    mp4 = "mp4"  # MPEG-4 part 2: ~5x faster to encode, plays in VLC, NOT in browsers


class ExportFormat(str, Enum):
    trc = "trc"  # OpenSim markers, no gaps (segments)
    mot = "mot"  # joint angles over time, OpenSim motion file
    c3d = "c3d"  # markers + foot strike / toe-off events
    bvh = "bvh"  # skeleton animation


@dataclass
class ReportConfig:
    title: str = "Running analysis"
    # QA videos per trial (pipeline/report/overlay.py): 3D reprojected on each camera + 3D view
    overlay_videos: bool = True
    overlay_width_px: int | None = 640  # downscale to this width; null = camera resolution
    overlay_max_frames: int | None = (
        240  # first N frames (a few strides are enough for QA; VP8 costs ~30-80 ms/frame); null = all
    )
    overlay_format: OverlayFormat = OverlayFormat.webm
    overlay_detections: bool = True  # also draw the 2D detections (thin yellow)
    # files for other tools in the report's exports/ (docs/exports.md); [] = none
    exports: list[ExportFormat] = field(default_factory=lambda: list(ExportFormat))
    export_max_gap_s: float = 0.1  # TRC/BVH: gaps up to this long are interpolated
    export_min_segment_s: float = 0.25  # TRC: shorter runs of complete frames are left out


class SyncMode(str, Enum):
    check = "check"  # estimate; a camera off by >= 0.5 frame degrades the trial
    correct = "correct"  # estimate and apply in triangulation
    off = "off"  # assume the cameras in step, unchecked


@dataclass
class SyncConfig:
    """Camera time offsets (pipeline/sync/, docs/sync.md)."""

    mode: SyncMode = SyncMode.check
    max_offset_s: float = (
        0.5  # offsets searched within +- this; a manually started rig may need more
    )
    use_timestamps: bool = True  # read <trial>/timestamps.csv where the lab has one


@dataclass
class Config:
    study: StudyConfig = field(default_factory=StudyConfig)
    rig: RigConfig = field(default_factory=RigConfig)
    board: BoardConfig = field(default_factory=BoardConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    synth: SynthConfig = field(default_factory=SynthConfig)
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    triangulation: TriangulationConfig = field(default_factory=TriangulationConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    schema_version: int = 1


GROUP_SCHEMAS = {
    "study": StudyConfig,
    "rig": RigConfig,
    "board": BoardConfig,
    "calibration": CalibrationConfig,
    "synth": SynthConfig,
    "detector": DetectorConfig,
    "triangulation": TriangulationConfig,
    "analysis": AnalysisConfig,
    "report": ReportConfig,
    "sync": SyncConfig,
}
