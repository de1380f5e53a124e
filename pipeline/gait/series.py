"""Joint angles frame by frame (what the .mot export holds): every angle of
curves.CURVE_ANGLES per side, degrees, with the same conventions as the report's curves.

Angles defined in stance only (curves.STANCE_ONLY) are NaN outside each stance of that
side (foot strike to toe-off of the analysis's strides): their projection is degenerate in
swing, and a number there would read as a measurement.
"""

from __future__ import annotations

import numpy as np

from pipeline.gait.angles import SIDES
from pipeline.gait.curves import CURVE_ANGLES, STANCE_ONLY
from pipeline.gait.records import Stride


def angle_series(points: np.ndarray, forward, strides: list[Stride]) -> dict[str, np.ndarray]:
    """{"<angle>_<side>": (F,) degrees} for every angle of CURVE_ANGLES and side."""
    points = np.asarray(points, float)
    out = {}
    for name, (function, _) in CURVE_ANGLES.items():
        for side in SIDES:
            series = np.asarray(function(points, side, forward), float).copy()
            if name in STANCE_ONLY:
                series[~stance_mask(len(points), strides, side)] = np.nan
            out[f"{name}_{side}"] = series
    return out


def stance_mask(n_frames: int, strides: list[Stride], side: str) -> np.ndarray:
    """(F,) True from each foot strike to its toe-off (whole frames inside) for `side`."""
    mask = np.zeros(n_frames, bool)
    for s in strides:
        if s.side != side or s.toe_off_frame is None:
            continue
        mask[int(np.ceil(s.strike_frame)) : int(np.floor(s.toe_off_frame)) + 1] = True
    return mask
