"""`runlab cluster repro`: Ray runs the stages' own commands, DVC stays the judge.

DVC decides what is stale (the checks of `dvc repro`, made when a stage becomes ready, after
its upstream stages were recorded), restores from its run-cache first, and records each
finished stage as `dvc commit` does, so a plain `dvc repro` afterwards runs nothing. Ray only
runs commands. Layers: graph (what to run, in which order), staleness (DVC's verdict per
stage), dispatch (Ray tasks, command checks, resources), record (dvc.lock + cache), and
repro (the loop). docs/cluster.md says how a lab uses it.
"""
