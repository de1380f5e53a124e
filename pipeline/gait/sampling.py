"""Values between frames: linear interpolation at fractional event times, shared by
metrics.py and the measures it imports (landing.py, bounce.py)."""

from __future__ import annotations

import math

import numpy as np


def sample_at(series: np.ndarray, frame: float) -> np.ndarray:
    """Linear interpolation of a (F, ...) series at a fractional frame; NaN outside/at gaps."""
    if not 0.0 <= frame <= len(series) - 1:
        return np.full(series.shape[1:], np.nan)
    lower = int(math.floor(frame))
    fraction = frame - lower
    if fraction == 0.0:  # on a frame: a NaN neighbour must not spoil it
        return series[lower]
    return (1.0 - fraction) * series[lower] + fraction * series[lower + 1]
