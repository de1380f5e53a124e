"""The synthetic world: rig, runner, rendered videos, a detector with real-level errors, ground
truth (docs/synthetic.md)."""
