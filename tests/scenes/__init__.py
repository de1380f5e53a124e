"""Shared test scenes: builders of synthetic trials and studies that more than one test module
uses. Test modules import them from here (or take conftest's fixtures built from them), never
from another test module."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"  # the real recordings (read-only)

# The triangulation tests' outlier mix: 5 % of views 80 px off, 2 % with left/right swapped.
OUTLIERS = dict(pixel_sigma=1.0, outlier_rate=0.05, outlier_px=80.0, swap_rate=0.02)
