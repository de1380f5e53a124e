"""The bottom layer: errors, camera geometry and the DLT, the skeleton, progress bars,
name and path safety, the typed reading of YAML text (docs/architecture.md)."""
