"""Every HTML page: trial and study reports, the calibration report, figures and overlays
(docs/reports.md)."""
