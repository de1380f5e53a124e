"""The detector's configuration schema (the `detector` group): which 2D backend runs and its
settings. Part of pipeline/config/schema.py's typed configuration, kept in its own module for size;
import it from pipeline.config."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pipeline.core.errors import ConfigError


class DetectorBackend(str, Enum):
    synthetic = "synthetic"  # ground truth + noise model (synthetic studies)
    blazepose = "blazepose"  # mediapipe BlazePose full: CPU, offline, weights in the wheel
    rtmpose = "rtmpose"  # mmpose RTMPose (Halpe-26), checkpoint provided by the lab
    openpose_json = "openpose_json"  # keypoints written by OpenPose (BODY_25 / BODY_25B)


class SelectionRule(str, Enum):
    largest = "largest"
    central = "central"
    largest_central = "largest_central"


@dataclass
class PersonSelectionConfig:
    """How the runner is chosen among the people detected in each frame (pipeline/pose2d/base.py).

    Initialisation (first frame with a candidate, and again after the track is lost):
      `init_rule` = largest (biggest box), central (box centre nearest the image centre) or
      largest_central (box area x (1 - distance to centre / half diagonal)). Candidates with
      fewer than `min_keypoints` valid keypoints are ignored.
    Tracking: each next frame takes the candidate most similar to the last selected person:
      similarity = box IoU, or keypoint closeness 1 - d / (0.25 diag) (d = median distance of
      the keypoints valid in both, diag = last box diagonal), whichever is higher. Below
      `min_similarity` the frame is a gap; after `max_gap` gaps in a row the track restarts.
    Cross-view (with a calibration): per frame, if the tracked people of all cameras
      triangulate with a mean reprojection error above `max_reprojection_px`, the combination
      (up to `max_candidates` per camera) with the lowest error replaces it when that error is
      within `max_reprojection_px`.
    """

    init_rule: SelectionRule = SelectionRule.largest_central
    min_keypoints: int = 6  # candidates with fewer valid keypoints are ignored
    min_similarity: float = 0.3  # frame-to-frame track continuity (box IoU / keypoint closeness)
    max_gap: int = 15  # consecutive frames without the runner before re-initialising
    max_reprojection_px: float = 40.0  # cross-view consistency of the chosen people
    max_candidates: int = 4  # people per camera considered in the cross-view check
    min_score: float = 0.2  # keypoints below this are ignored by the selection


class PersonBoxes(str, Enum):
    blazepose = "blazepose"  # mediapipe's person detector (in the wheel, offline)
    full_frame = "full_frame"  # the whole frame as the box (no detector)
    mmdet = "mmdet"  # an mmdet detector (e.g. RTMDet person) + the lab's checkpoint


@dataclass
class RTMPoseConfig:
    model: str = (
        "rtmpose-m"  # rtmpose-t/s/m/l (Halpe-26 configs shipped in mmpose) or a config path
    )
    # A config outside mmpose's own is Python that runs when read: true only for a file you trust
    run_config_code: bool = False
    checkpoint: str | None = None  # .pth file provided by the lab (track it with DVC)
    checkpoint_sha256: str | None = None
    batch_size: int = 16  # person crops per forward pass
    device: str = "auto"  # auto = cuda when available, else cpu
    fp16: bool = False  # CUDA only
    # torch threads on the CPU; 0 = every core but one, left to the decoding threads and the
    # person detector (OpenMP threads on shared cores wait for each other: docs/pose2d.md)
    cpu_threads: int = 0
    bbox_expand: float = 1.25
    min_person_score: float = 0.3
    # Boxes on the first frame and after a loss (pipeline/pose2d/person_boxes.py)
    person_boxes: PersonBoxes = PersonBoxes.blazepose
    person_detector_min_score: float = 0.5
    mmdet_model: str = (
        "rtmdet-m-person"  # person_boxes: mmdet; `runlab models` (kind person) or a config path
    )
    mmdet_checkpoint: str | None = None
    mmdet_checkpoint_sha256: str | None = None

    def __post_init__(self):
        if self.cpu_threads < 0:
            raise ConfigError(
                f"detector.rtmpose.cpu_threads must be >= 0 (0 = every core but one), "
                f"got {self.cpu_threads}"
            )


class OpenPoseModel(str, Enum):
    BODY_25 = "BODY_25"
    BODY_25B = "BODY_25B"


@dataclass
class OpenPoseJsonConfig:
    model: OpenPoseModel = OpenPoseModel.BODY_25B
    folder: str = "openpose/{camera}_json"  # per trial, relative to the trial's folder


@dataclass
class SyntheticNoiseConfig:
    """Observation model of the `synthetic` backend: true projection plus these errors."""

    pixel_sigma: float = 1.0  # Gaussian pixel noise, px
    score_mean: float = 0.9
    dropout_rate: float = 0.0  # share of keypoints missing at random
    far_side_occlusion: bool = False  # hide keypoints on the body side away from the camera
    swap_rate: float = 0.0  # share of frames with left/right labels exchanged
    outlier_rate: float = 0.0  # share of keypoints replaced by a gross error
    outlier_px: float = 80.0  # size of a gross error
    # A real detector (pipeline/synth/detector_errors.py, docs/synthetic.md; all off here,
    # on in conf/detector/synthetic_real.yaml):
    noise_dof: float = (
        0.0  # Student-t pixel noise with this dof (pixel_sigma = scale); 0 = Gaussian
    )
    camera_offset_px: float = (
        0.0  # rms constant 2D shift per camera, px at 1080p (scales with image size)
    )
    keypoint_bias_m: float = 0.0  # fixed 3D offset of a model's hip/knee from the joint centre, m
    swap_burst_rate: float = 0.0  # share of view-frames inside bursts of left/right swaps
    swap_burst_frames: list[int] = field(default_factory=lambda: [5, 20])  # shortest, longest burst
    hidden_dropout_rate: float = 0.0  # share of far-side (hidden) keypoint-frames missing, in runs
    hidden_dropout_frames: float = 8.0  # mean length of those runs, frames
    calibration_error_mm: float = 0.0  # the detector sees through cameras moved this far ...
    calibration_error_deg: float = 0.0  # ... and turned this much from the calibration's
    # Pixel errors scale with the person's height in the image (neck to feet) over this
    # reference, per camera and frame; 0 = fixed pixel sizes. Never below min_pixel_sigma.
    reference_height_px: float = 0.0
    min_pixel_sigma: float = 0.0  # px: a detector's floor on a small person
    seed: int = 0

    def __post_init__(self):
        rates = (
            "dropout_rate",
            "swap_rate",
            "outlier_rate",
            "swap_burst_rate",
            "hidden_dropout_rate",
        )
        bad = [k for k in rates if not 0.0 <= getattr(self, k) < 1.0]
        bad += [
            k
            for k in (
                "pixel_sigma",
                "camera_offset_px",
                "keypoint_bias_m",
                "calibration_error_mm",
                "calibration_error_deg",
            )
            if getattr(self, k) < 0
        ]
        if self.noise_dof != 0 and not self.noise_dof > 1:
            bad.append("noise_dof (0 = Gaussian, else > 1)")
        lo_hi = list(self.swap_burst_frames)
        if len(lo_hi) != 2 or not 1 <= lo_hi[0] <= lo_hi[1]:
            bad.append("swap_burst_frames ([shortest, longest], 1 <= shortest <= longest)")
        if not self.hidden_dropout_frames >= 1:
            bad.append("hidden_dropout_frames (>= 1)")
        if not (self.reference_height_px == 0 or 50 <= self.reference_height_px <= 20000):
            bad.append(
                "reference_height_px (0 = off, else 50-20000 px: the person's height "
                "in the image where the pixel sizes were measured)"
            )
        if not 0 <= self.min_pixel_sigma <= max(self.pixel_sigma, 0):
            bad.append("min_pixel_sigma (0 to pixel_sigma)")
        if bad:
            raise ConfigError(
                f"detector.synthetic: out of range: {', '.join(bad)} (rates in [0, 1), sizes >= 0)"
            )


@dataclass
class DetectorConfig:
    backend: DetectorBackend = DetectorBackend.synthetic
    synthetic: SyntheticNoiseConfig = field(default_factory=SyntheticNoiseConfig)
    rtmpose: RTMPoseConfig = field(default_factory=RTMPoseConfig)
    openpose_json: OpenPoseJsonConfig = field(default_factory=OpenPoseJsonConfig)
    selection: PersonSelectionConfig = field(default_factory=PersonSelectionConfig)
    preview_frames: int = 3  # frames per camera drawn with the skeleton, for QA
    # Stage pipeline (pipeline/pose2d/parallel.py): cameras detected at once (0 = all cores)
    # and decoded frames held per camera ahead of inference (bounded: memory stays flat)
    workers: int = 0
    queue_depth: int = 8

    def __post_init__(self):
        bad = [k for k, lo in (("workers", 0), ("queue_depth", 1)) if getattr(self, k) < lo]
        if bad:
            raise ConfigError(
                f"detector: out of range: {', '.join(bad)} (workers >= 0, 0 = all "
                "cores; queue_depth >= 1)"
            )
