import os
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import RigConfig, RunnerConfig, SyntheticNoiseConfig
from pipeline.geometry import project
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe_with_truth
from pipeline.synth.rig import make_rig
from scenes import OUTLIERS, REPO

os.environ.setdefault("MPLBACKEND", "Agg")

@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


# Scenes shared by several test modules. Module scope, as each module had them: a test that
# changes an array in place cannot reach another module.
@pytest.fixture(scope="module")
def rig():
    """The default synthetic rig (RigConfig()): 4 cameras around the runner."""
    return make_rig(RigConfig())


@pytest.fixture(scope="module")
def run_2s():
    """(240, 26, 3) true 3D of the default synthetic runner, 2 s at 120 fps."""
    return simulate_run(RunnerConfig(duration_s=2.0), 120.0).points


@pytest.fixture(scope="module")
def run_2s_projected(rig, run_2s):
    """(C, 240, 26, 2) exact projections of `run_2s` into `rig`."""
    return np.stack([project(cam, run_2s) for cam in rig])


@pytest.fixture(scope="module")
def run_3s():
    """(360, 26, 3) true 3D of the default synthetic runner, 3 s at 120 fps."""
    return simulate_run(RunnerConfig(duration_s=3.0), fps=120.0).points


@pytest.fixture(scope="module")
def run_3s_outliers(rig, run_3s):
    """`run_3s` seen by `rig` with OUTLIERS (observe_with_truth: keypoints and what was done)."""
    return observe_with_truth(run_3s, rig, SyntheticNoiseConfig(**OUTLIERS))
