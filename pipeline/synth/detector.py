"""The `synthetic` detector backend: it 'sees' the ground truth.

Observations = true 3D projected through the true cameras + the noise model of
SyntheticNoiseConfig (pipeline.synth.observe). Only for synthetic studies: it needs the
truth files that `runlab synth` writes.
"""

from __future__ import annotations

import numpy as np

from pipeline.config import SyntheticNoiseConfig
from pipeline.io import formats
from pipeline.synth.observe import observe


def detect_synthetic(
    truth: formats.TruthTrial,
    true_rig: formats.CameraSet,
    noise: SyntheticNoiseConfig,
    trial_index: int,
) -> np.ndarray:
    """(C, F, K, 3) observations; each trial gets its own noise stream."""
    return observe(truth.points, true_rig, noise, rng_seed_offset=trial_index)
