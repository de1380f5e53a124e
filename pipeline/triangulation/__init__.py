"""2D keypoints of calibrated cameras to a 3D skeleton per frame: robust views, swaps, gaps,
filtering (docs/triangulation.md)."""
