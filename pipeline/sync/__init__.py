"""Camera time offsets of a trial (docs/sync.md): estimated from the 2D keypoints and the
calibration (estimate.py, epipolar.py) or read from per-frame timestamps (timestamps.py),
summarised for sync.json (result.py) and applied to the 2D (shift.py)."""
