"""A trial's verdict (ok / degraded / failed) from what was measured: docs/verdicts.md."""
