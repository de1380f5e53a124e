"""Import OpenPose JSON output (one file per frame, every person) as candidate people.

Supported models: BODY_25 (OpenPose's default) and BODY_25B (the experimental model with
head top and no mid-hip). `x, y, c = 0, 0, 0` means "not detected" -> NaN, NaN, 0.
Mapping tables: docs/pose2d.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.core.errors import RunlabError
from pipeline.pose2d.base import KeypointMapping, Person

# BODY_25B: 0 Nose, 1 LEye, 2 REye, 3 LEar, 4 REar, 5 LShoulder, 6 RShoulder, 7 LElbow,
# 8 RElbow, 9 LWrist, 10 RWrist, 11 LHip, 12 RHip, 13 LKnee, 14 RKnee, 15 LAnkle, 16 RAnkle,
# 17 Neck, 18 Head (top), 19 LBigToe, 20 LSmallToe, 21 LHeel, 22 RBigToe, 23 RSmallToe, 24 RHeel
BODY_25B = KeypointMapping(
    "openpose_body25b",
    25,
    {
        "nose": 0,
        "left_eye": 1,
        "right_eye": 2,
        "left_ear": 3,
        "right_ear": 4,
        "left_shoulder": 5,
        "right_shoulder": 6,
        "left_elbow": 7,
        "right_elbow": 8,
        "left_wrist": 9,
        "right_wrist": 10,
        "left_hip": 11,
        "right_hip": 12,
        "left_knee": 13,
        "right_knee": 14,
        "left_ankle": 15,
        "right_ankle": 16,
        "head": 18,
        "neck": 17,
        "hip": (11, 12),
        "left_big_toe": 19,
        "right_big_toe": 22,
        "left_small_toe": 20,
        "right_small_toe": 23,
        "left_heel": 21,
        "right_heel": 24,
    },
)

# BODY_25: 0 Nose, 1 Neck, 2 RShoulder, 3 RElbow, 4 RWrist, 5 LShoulder, 6 LElbow, 7 LWrist,
# 8 MidHip, 9 RHip, 10 RKnee, 11 RAnkle, 12 LHip, 13 LKnee, 14 LAnkle, 15 REye, 16 LEye,
# 17 REar, 18 LEar, 19 LBigToe, 20 LSmallToe, 21 LHeel, 22 RBigToe, 23 RSmallToe, 24 RHeel
BODY_25 = KeypointMapping(
    "openpose_body25",
    25,
    {
        "nose": 0,
        "left_eye": 16,
        "right_eye": 15,
        "left_ear": 18,
        "right_ear": 17,
        "left_shoulder": 5,
        "right_shoulder": 2,
        "left_elbow": 6,
        "right_elbow": 3,
        "left_wrist": 7,
        "right_wrist": 4,
        "left_hip": 12,
        "right_hip": 9,
        "left_knee": 13,
        "right_knee": 10,
        "left_ankle": 14,
        "right_ankle": 11,
        "head": (17, 18),  # no head top in BODY_25: ear midpoint (head centre)
        "neck": 1,
        "hip": 8,
        "left_big_toe": 19,
        "right_big_toe": 22,
        "left_small_toe": 20,
        "right_small_toe": 23,
        "left_heel": 21,
        "right_heel": 24,
    },
)

MAPPINGS = {"BODY_25": BODY_25, "BODY_25B": BODY_25B}


class OpenPoseJsonError(RunlabError, ValueError):
    """An OpenPose JSON folder or file is missing or malformed."""


def _frame_number(path: Path) -> int:
    # cam01.0042.json, cam01_000000000042_keypoints.json, 42.json ...
    numbers = re.findall(r"\d+", path.stem)
    if not numbers:
        raise OpenPoseJsonError(f"{path}: no frame number in the file name")
    return int(numbers[-1])


def read_openpose_frame(path: Path | str, model: str = "BODY_25B") -> list[Person]:
    """Candidate people of one OpenPose JSON file."""
    path = Path(path)
    mapping = _mapping(model)
    try:
        data = json.loads(path.read_text())
        people = data["people"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise OpenPoseJsonError(f"{path}: not an OpenPose keypoint file ({e})") from e
    out = []
    for i, p in enumerate(people):
        flat = np.asarray(p.get("pose_keypoints_2d", []), float)
        if flat.size == 0:
            # Pose2Sim writes an empty entry for a frame where nobody was associated: no
            # detection in this view (a gap), not a malformed file
            continue
        if flat.size != mapping.n_source * 3:
            raise OpenPoseJsonError(
                f"{path}: person {i} has {flat.size // 3} keypoints, "
                f"model {model} has {mapping.n_source}; check the model name"
            )
        src = flat.reshape(mapping.n_source, 3)
        src[(src[:, 2] <= 0) | ((src[:, 0] == 0) & (src[:, 1] == 0))] = np.nan  # 0,0,0 = missing
        src[np.isnan(src[:, 2]), 2] = 0.0
        person = Person.from_keypoints(mapping.apply(src))
        if person.n_valid:
            out.append(person)
    return out


def iter_openpose_folder(folder: Path | str, model: str = "BODY_25B") -> Iterator[list[Person]]:
    """Candidate people per frame, frames ordered by the number in the file names."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OpenPoseJsonError(f"{folder}: OpenPose JSON folder not found")
    files = sorted(folder.glob("*.json"), key=_frame_number)
    if not files:
        raise OpenPoseJsonError(f"{folder}: contains no .json files")
    numbers = [_frame_number(f) for f in files]
    if len(set(numbers)) != len(numbers) or numbers != list(
        range(numbers[0], numbers[0] + len(numbers))
    ):
        raise OpenPoseJsonError(
            f"{folder}: frame numbers {numbers[0]}..{numbers[-1]} are not "
            f"consecutive and unique ({len(files)} files); a frame file is missing"
        )
    for f in files:
        yield read_openpose_frame(f, model)


def read_openpose_folder(folder: Path | str, model: str = "BODY_25B") -> list[list[Person]]:
    return list(iter_openpose_folder(folder, model))


def _mapping(model: str) -> KeypointMapping:
    try:
        return MAPPINGS[model.upper()]
    except KeyError:
        raise OpenPoseJsonError(
            f"unknown OpenPose model {model!r}; use one of {sorted(MAPPINGS)}"
        ) from None
