"""Gait events, angles, metrics and the clinical checks from the 3D skeleton (docs/metrics.md)."""
