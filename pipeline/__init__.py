"""runlab: multi-camera 3D running analysis. The layers and what each may import:
docs/architecture.md."""
