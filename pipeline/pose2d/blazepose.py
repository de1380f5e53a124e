"""The `blazepose` backend: MediaPipe BlazePose "full" (mediapipe 0.10.14), offline, CPU.

`mediapipe.solutions.pose.Pose(model_complexity=1)` uses the model files inside the
mediapipe wheel (complexities 0 and 2 would try to download theirs and fail offline).
BlazePose finds ONE person per frame (its own limitation: it detects the most prominent
person, then tracks that region; in a crowd it may jump). Each frame therefore yields zero or
one candidate. The 33 BlazePose landmarks are mapped to Halpe-26 by `BLAZEPOSE_33` (table in
docs/pose2d.md); landmark `visibility` becomes the score. Small toes do not exist in
BlazePose (NaN, score 0); head, neck and hip centre are derived midpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from pipeline.core.errors import RunlabError
from pipeline.pose2d.base import KeypointMapping, Person

# BlazePose landmark indices (mediapipe.solutions.pose.PoseLandmark)
BLAZEPOSE_NAMES = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
_B = {n: i for i, n in enumerate(BLAZEPOSE_NAMES)}

BLAZEPOSE_33 = KeypointMapping(
    "blazepose33",
    33,
    {
        "nose": _B["nose"],
        "left_eye": _B["left_eye"],
        "right_eye": _B["right_eye"],
        "left_ear": _B["left_ear"],
        "right_ear": _B["right_ear"],
        "left_shoulder": _B["left_shoulder"],
        "right_shoulder": _B["right_shoulder"],
        "left_elbow": _B["left_elbow"],
        "right_elbow": _B["right_elbow"],
        "left_wrist": _B["left_wrist"],
        "right_wrist": _B["right_wrist"],
        "left_hip": _B["left_hip"],
        "right_hip": _B["right_hip"],
        "left_knee": _B["left_knee"],
        "right_knee": _B["right_knee"],
        "left_ankle": _B["left_ankle"],
        "right_ankle": _B["right_ankle"],
        "head": (_B["left_ear"], _B["right_ear"]),  # derived: ear midpoint (head centre, not crown)
        "neck": (_B["left_shoulder"], _B["right_shoulder"]),  # derived: shoulder midpoint
        "hip": (_B["left_hip"], _B["right_hip"]),  # derived: hip midpoint
        "left_big_toe": _B["left_foot_index"],
        "right_big_toe": _B["right_foot_index"],
        "left_heel": _B["left_heel"],
        "right_heel": _B["right_heel"],
        # left_small_toe, right_small_toe: not in BlazePose -> always NaN, score 0
    },
)


class BlazePoseBackend:
    """One person per frame. `static_image_mode=False` tracks between frames (faster, smoother);
    the tracker restarts at each `detect` call (one call per camera video)."""

    name = "blazepose"

    def __init__(
        self,
        model_complexity: int = 1,
        static_image_mode: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
    ):
        if model_complexity != 1:
            raise RunlabError(
                f"blazepose: model_complexity={model_complexity} needs a model that "
                f"mediapipe downloads at run time; only 1 ('full') ships in the wheel "
                f"and works offline"
            )
        self.kwargs = dict(
            model_complexity=model_complexity,
            static_image_mode=static_image_mode,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
        )

    def detect(self, frames: Iterable[np.ndarray]) -> Iterator[list[Person]]:
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise RunlabError(f"blazepose backend needs mediapipe 0.10.14 ({e})") from e
        with mp_pose.Pose(**self.kwargs) as pose:
            for frame in frames:
                if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                    raise ValueError(
                        f"blazepose expects BGR uint8 frames (H, W, 3), got "
                        f"{frame.dtype} {frame.shape}"
                    )
                result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                if result.pose_landmarks is None:
                    yield []
                    continue
                yield [
                    landmarks_to_person(
                        result.pose_landmarks.landmark, frame.shape[1], frame.shape[0]
                    )
                ]


def landmarks_to_person(landmarks, width: int, height: int) -> Person:
    """mediapipe NormalizedLandmark list (33) -> Person in full-frame pixels."""
    src = np.array([[lm.x * width, lm.y * height, lm.visibility] for lm in landmarks], float)
    src[:, 2] = np.clip(src[:, 2], 0.0, 1.0)
    return Person.from_keypoints(BLAZEPOSE_33.apply(src))
