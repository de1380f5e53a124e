"""Camera calibration from ChArUco board videos: detection, then solving, with quality gates
(docs/calibration.md)."""
