"""Despike against the series' own noise (triangulation/filtering.py, issue #26): a far
camera's depth scatters a point by centimetres from frame to frame; those samples are
measurements, not spikes. A jump far beyond that scatter is still removed."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.triangulation.filtering import despike


def _walk(noise_m: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(600) / 200.0
    path = np.stack([5.0 * t, 0.1 * np.sin(2 * np.pi * 1.5 * t), 0.05 * np.cos(6 * t)], axis=1)
    return path + rng.normal(scale=[noise_m / 2, noise_m, noise_m / 2], size=path.shape)


def test_centimetre_noise_is_kept_and_a_spike_removed():
    points = _walk(0.025)
    points[300] += [0.0, 0.4, 0.0]  # views that agree by chance: 40 cm off for one frame
    fixed = despike(points, 0.05)
    scaled = despike(points, 0.05, noise_sigmas=6.0)
    # the fixed 5 cm takes ordinary samples (the tail of 25 mm depth noise) ...
    assert np.isnan(fixed[:, 0]).mean() > 0.05
    # ... the noise-scaled check only the spike
    assert np.isnan(scaled[300]).all()
    assert np.isnan(scaled[:, 0]).sum() == 1


def test_millimetre_noise_keeps_the_fixed_distance():
    """Where the noise is small the fixed distance decides, as before."""
    points = _walk(0.002)
    points[200] += [0.0, 0.0, 0.08]
    points[400] += [0.03, 0.0, 0.0]  # under 5 cm: not a spike by the fixed distance
    np.testing.assert_array_equal(
        np.isnan(despike(points, 0.05)), np.isnan(despike(points, 0.05, noise_sigmas=6.0))
    )
    assert np.isnan(despike(points, 0.05, noise_sigmas=6.0)[200]).all()


def test_noise_sigmas_must_be_positive():
    with pytest.raises(ValueError, match="noise_sigmas"):
        despike(_walk(0.01), 0.05, noise_sigmas=0.0)
