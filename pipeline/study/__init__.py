"""Where a study's files live (paths.py) and several studies side by side (studies.py)."""
