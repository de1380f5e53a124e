"""One thin runner per DVC stage: reads config and files, calls the numeric layers, writes
results."""
