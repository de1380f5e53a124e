"""Values between frames, for the measures of issue #29 (landing.py, bounce.py).

The same linear interpolation as metrics.sample_at (which those modules cannot import:
metrics imports them); the lead may let metrics import it from here.
"""

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
