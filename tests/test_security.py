"""Issue #17: configuration cannot run code or write outside the study (docs/security.md).

Each test plays a hostile config or file against the real code path: DVC with a malicious
id and camera name, path-building with escaping names, pickled checkpoints, mmpose configs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from pipeline.config import ConfigError, compose_raw, validate
from pipeline.core.safety import UnsafeValueError, confined, dvc_stage_item
from pipeline.study.paths import StudyPaths

SHELL_SESSION = "s01;touch PWNED_session;echo"
SHELL_TRIAL = "t$(touch PWNED_trial)"
ESCAPING_CAMERA = "../../../x/pwn"

INJECTION_STUDY = f"""\
name: inj
data_dir: studies/inj
results_dir: results/inj
synthesize: ["{SHELL_SESSION}"]
sessions:
  "{SHELL_SESSION}":
    subject: S01
trials:
  "{SHELL_TRIAL}":
    session: "{SHELL_SESSION}"
"""


# --- 1. ids and camera names, including the DVC / Hydra path ---------------------------------
def _env(repo_root: Path) -> dict:
    venv_bin = str(Path(sys.executable).parent)
    return dict(
        os.environ,
        PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(repo_root),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@runlab.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@runlab.invalid",
    )


def _run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and ".dvc" not in p.parts
    }


def test_dvc_with_malicious_ids_and_camera_executes_and_writes_nothing(
    tmp_path, repo_root, dvc_tools
):
    """`dvc repro` on a params.yaml composed without runlab's check, and `dvc exp run -S`
    (Hydra composes it inside DVC): no shell payload runs, runlab refuses with the key's
    name, and no file appears under the study's folders (DVC itself creates the empty parent
    folders of the outputs it declares)."""
    lab = tmp_path / "lab"
    lab.mkdir()
    dvc_tools[0](repo_root, lab)
    (lab / "conf" / "study" / "inj.yaml").write_text(INJECTION_STUDY)
    rig = lab / "conf" / "rig" / "four_cameras_120fps.yaml"
    rig.write_text(rig.read_text().replace("cam_3]", f"{ESCAPING_CAMERA}]"))
    env = _env(repo_root)
    dvc = str(Path(sys.executable).parent / "dvc")
    assert _run(["git", "add", "-A"], lab, env).returncode == 0
    assert _run(["git", "commit", "-qm", "hostile study"], lab, env).returncode == 0
    before = _files(lab)

    # what a lab gets when it edits params.yaml by hand or composes it with another tool
    raw = compose_raw(lab / "conf", ["study=inj"])
    (lab / "params.yaml").write_text(OmegaConf.to_yaml(raw))
    repro = _run([dvc, "repro"], lab, env)
    exp = _run([dvc, "exp", "run", "-S", "study=inj"], lab, env)
    camera_only = _run([dvc, "exp", "run", "-S", "study=quick"], lab, env)  # good ids, bad camera

    for run, key in (
        (repro, "study.synthesize"),
        (exp, "study.synthesize"),
        (camera_only, "rig.cameras"),
    ):
        out = run.stdout + run.stderr
        assert run.returncode != 0, out
        assert "runlab synth --dvc-stage" in out, out  # no id on the shell line
        assert "is not a usable name" in out and f"{key}: " in out, out
    assert not list(tmp_path.rglob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    assert not (tmp_path / "x").exists() and not (lab.parent.parent / "x").exists()
    assert _files(lab) - before == {"params.yaml"}


def test_camera_name_that_escapes_is_refused_at_start():
    raw = compose_raw("conf", ["study=quick"])
    raw.rig.cameras[3] = ESCAPING_CAMERA
    with pytest.raises(
        ConfigError, match=r"rig\.cameras: '\.\./\.\./\.\./x/pwn' is not a usable name"
    ):
        validate(raw)


def test_dvc_stage_item_reads_the_id_from_dvc_and_checks_it():
    assert dvc_stage_item("detect", {"DVC_STAGE": "detect@t01"}) == ("trial", "t01")
    assert dvc_stage_item("report", {"DVC_STAGE": "sub/dvc.yaml:report_trial@t.2"}) == (
        "trial",
        "t.2",
    )
    assert dvc_stage_item("synth", {"DVC_STAGE": "synth@s01"}) == ("session", "s01")
    with pytest.raises(UnsafeValueError, match="study.trials"):
        dvc_stage_item("detect", {"DVC_STAGE": "detect@t$(touch x)"})
    with pytest.raises(UnsafeValueError, match="DVC_STAGE is not set"):
        dvc_stage_item("detect", {})
    with pytest.raises(UnsafeValueError, match="wrong runlab command"):
        dvc_stage_item("analyze", {"DVC_STAGE": "detect@t01"})


# --- 2. every written path inside the study's folders ------------------------------------------
def test_paths_that_escape_the_study_are_refused_naming_the_key(tmp_path):
    paths = StudyPaths(
        tmp_path / "data",
        tmp_path / "results",
        ("cam_0", ESCAPING_CAMERA),
        {"t1": "s1", "../t2": "s1", "t3": "../../s3"},
    )
    assert paths.keypoints2d("t1") == tmp_path / "results/trials/t1/keypoints2d/t1.npz"
    with pytest.raises(UnsafeValueError, match=r"rig\.cameras: '\.\./\.\./\.\./x/pwn'"):
        paths.preview("t1", ESCAPING_CAMERA)
    with pytest.raises(UnsafeValueError, match=r"rig\.cameras"):
        paths.calibration_videos("s1")
    with pytest.raises(UnsafeValueError, match=r"study\.trials: '\.\./t2'"):
        paths.points3d("../t2")
    with pytest.raises(UnsafeValueError, match=r"study\.sessions: '\.\./\.\./s3'"):
        paths.trial_dir("t3")
    with pytest.raises(UnsafeValueError, match=r"camera names"):
        paths.trial_videos("t1", ["/etc/passwd"])
    assert (
        confined(tmp_path / "r" / "a" / ".." / "b", [tmp_path / "r"], "k") == tmp_path / "r/a/../b"
    )
    with pytest.raises(UnsafeValueError, match="k: .* is outside the study's folders"):
        confined(tmp_path / "r" / ".." / "elsewhere", [tmp_path / "r"], "k")


# --- 3. checkpoints as weights only, mmpose configs only from mmpose ----------------------------
class _Payload:
    """A pickle that runs code when unpickled with weights_only=False."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


class _GetattrPayload:
    """A pickle reaching a method through getattr (as OpenMMLab's statistics methods are)."""

    def __reduce__(self):
        import numpy as np

        return (getattr, (np.ndarray, "tofile"))


def _openmmlab_like(tmp_path: Path, extra: dict | None = None) -> tuple[Path, str]:
    """A checkpoint shaped as OpenMMLab writes them: meta (dataset_meta with numpy arrays),
    state_dict (OrderedDict of tensors) and message_hub (mmengine HistoryBuffers, whose
    statistics methods pickle through builtins.getattr)."""
    import collections
    import hashlib

    import numpy as np
    import torch

    history_buffer = pytest.importorskip("mmengine.logging.history_buffer")
    loss = history_buffer.HistoryBuffer()
    loss.update(0.25)
    ckpt = {
        "meta": {
            "mmengine_version": "0.10.7",
            "epoch": 700,
            "iter": 12,
            "seed": 21,
            "dataset_meta": {
                "num_keypoints": 2,
                "flip_indices": [1, 0],
                "sigmas": np.array([0.026, 0.025], np.float32),
                "keypoint_colors": np.zeros((2, 3), np.uint8),
            },
        },
        "state_dict": collections.OrderedDict(
            w=torch.arange(3.0), b=torch.zeros(2, dtype=torch.int64)
        ),
        "message_hub": {
            "log_scalars": {"train/loss": loss},
            "runtime_info": {"iter": 12},
            "resumed_keys": {"iter": True},
        },
        **(extra or {}),
    }
    path = tmp_path / "model.pth"
    torch.save(ckpt, path)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_openmmlab_checkpoint_loads_as_data_only(tmp_path):
    import numpy as np
    import torch

    from pipeline.pose2d.checkpoints import TrainingRecord, read_checkpoint

    path, digest = _openmmlab_like(tmp_path)
    ckpt = read_checkpoint(path, digest)
    assert torch.equal(ckpt["state_dict"]["w"], torch.arange(3.0))
    np.testing.assert_array_equal(
        ckpt["meta"]["dataset_meta"]["sigmas"], np.array([0.026, 0.025], np.float32)
    )
    record = ckpt["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(record, TrainingRecord)  # inert, not mmengine's class
    np.testing.assert_array_equal(record.state["_log_history"], [0.25])


@pytest.mark.parametrize("payload", ["reduce", "getattr"])
def test_checkpoint_with_a_pickle_payload_is_refused_and_runs_nothing(tmp_path, payload):
    from pipeline.pose2d.checkpoints import CheckpointError, read_checkpoint

    marker = tmp_path / "PWNED_checkpoint"
    evil = _Payload(marker) if payload == "reduce" else _GetattrPayload()
    path, digest = _openmmlab_like(tmp_path, {"meta_extra": evil})  # its sha256 IS configured
    with pytest.raises(CheckpointError, match="holds objects runlab does not load") as err:
        read_checkpoint(path, digest)
    assert str(path) in str(err.value)
    assert not marker.exists()


def test_mmpose_config_outside_mmpose_needs_the_opt_in(tmp_path):
    pytest.importorskip("mmpose")
    from pipeline.pose2d.checkpoints import ConfigCodeError
    from pipeline.pose2d.mmpose_backend import build_model, resolve_config

    marker = tmp_path / "PWNED_config"
    config = tmp_path / "model.py"
    config.write_text(f"open({str(marker)!r}, 'w').close()\n")
    with pytest.raises(ConfigCodeError, match=r"detector\.rtmpose\.run_config_code: true"):
        build_model(config)
    assert not marker.exists()
    assert resolve_config(config, run_config_code=True) == config  # the lab's explicit choice
    shipped = resolve_config("rtmpose-t")
    assert resolve_config(str(shipped)) == shipped  # mmpose's own, by path
