"""TEST DOUBLE of the `runlab` command for tests/test_cluster.py: installed as `runlab` on the
PATH of a test's Ray workers. It plays the faults a cluster sees, chosen by RUNLAB_TEST_*
variables and the stage DVC names in DVC_STAGE, then runs the real runlab:

  RUNLAB_TEST_FAIL_STAGE=detect@t02       exits 3 every time (a corrupt video: permanent)
  RUNLAB_TEST_KILL_WORKER_STAGE=sync@t03  SIGKILLs its Ray worker the first time (a dead node),
  RUNLAB_TEST_MARKERS=<dir>               which is remembered by a file in <dir>
  RUNLAB_TEST_TOUCH_STAGE=analyze@t01     changes one of the stage's inputs while it runs
  RUNLAB_TEST_TOUCH_FILE=<path>           (appends a blank line to that file)
"""

import os
import signal
import sys
from pathlib import Path

stage = os.environ.get("DVC_STAGE", "")
if stage and stage == os.environ.get("RUNLAB_TEST_FAIL_STAGE"):
    print(f"test double: {stage}: the video is corrupt (permanent failure)", file=sys.stderr)
    sys.exit(3)
if stage and stage == os.environ.get("RUNLAB_TEST_KILL_WORKER_STAGE"):
    marker = Path(os.environ["RUNLAB_TEST_MARKERS"]) / f"killed-{stage}"
    if not marker.exists():
        marker.write_text(str(os.getppid()))
        os.kill(os.getppid(), signal.SIGKILL)  # the Ray worker running this task
        signal.pause()  # PR_SET_PDEATHSIG ends this process too
if stage and stage == os.environ.get("RUNLAB_TEST_TOUCH_STAGE"):
    with open(os.environ["RUNLAB_TEST_TOUCH_FILE"], "a") as f:
        f.write("\n")
os.execv(sys.executable, [sys.executable, "-m", "pipeline.cli", *sys.argv[1:]])
