"""The board detections of one calibration video, as `detect.detect_video` returns them and
every calibration step reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.core.errors import RunlabError

MIN_VIEW_CORNERS = 8  # fewer corners give poorly conditioned board poses


class CalibrationError(RunlabError, RuntimeError):
    """Calibration cannot go on; the message names the video or camera and what to check."""


@dataclass
class VideoDetections:
    """Board corners found in each frame of one video."""

    video: Path
    image_size: tuple[int, int]  # (width, height)
    ids: list[np.ndarray]  # per frame, (n,) corner ids; empty if not found
    corners: list[np.ndarray]  # per frame, (n, 2) pixels
    inverted: bool | None = None  # polarity the board was found in; None: never found
    back: list[bool] = field(default_factory=list)  # per frame: found in the flipped image

    @property
    def n_frames(self) -> int:
        return len(self.ids)
