"""A session's static trial (study.static_trials): the standing foot pitch measured from it
through the synthetic detector and the triangulation, the standing stage, and what analyze and
report make of the static trial itself (issue #29)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import (
    ConfigError,
    RigConfig,
    RunnerConfig,
    SyntheticNoiseConfig,
    TriangulationConfig,
    validate,
)
from pipeline.gait.angles import foot_pitch_deg
from pipeline.gait.standing import NOT_STILL, measure_standing, still_frames
from pipeline.io import formats
from pipeline.synth.observe import observe_with_truth
from pipeline.synth.rig import make_rig
from pipeline.synth.standing_pose import simulate_standing
from pipeline.triangulation.run import triangulate_recording

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from real_level_metrics import load_level  # noqa: E402

FPS = 120.0
RUNNING = {"session": "s"}
STUDY = {
    "sessions": {"s": {"subject": "P"}},
    "trials": {"run": RUNNING, "still": {"session": "s"}},
    "static_trials": {"s": "still"},
}
# Tolerances on the standing pitch (true 0 deg): 1 px, 0.5 deg; the real-detector level, 1 deg
# from the pitch of the detector's own heel and toe keypoints (its definition bias moves them,
# and every view agrees on it: the static trial measures it, which is why the foot-strike angle
# is taken relative to it)
ONE_PX_TOL_DEG, REAL_TOL_DEG = 0.5, 1.0
_CACHE: dict = {}


def triangulated(noise: SyntheticNoiseConfig, duration_s: float = 2.0):
    """(points3d, detector's own keypoints) of the synthetic runner standing still, seen by
    the demo rig through the synthetic detector and triangulated as the triangulate stage does."""
    key = (repr(noise), duration_s)
    if key not in _CACHE:
        cameras = make_rig(RigConfig())
        truth = simulate_standing(RunnerConfig(duration_s=duration_s), FPS)
        seen = observe_with_truth(truth.points, cameras, noise)
        result = triangulate_recording(seen.keypoints, cameras, FPS, TriangulationConfig())
        _CACHE[key] = (result, truth.points + seen.bias_m)
    return _CACHE[key]


def test_synthetic_standing_runner_is_flat_and_still():
    truth = simulate_standing(RunnerConfig(duration_s=2.0), FPS).points
    assert still_frames(truth).all()
    for side in ("left", "right"):
        assert np.abs(foot_pitch_deg(truth, side, [1.0, 0.0, 0.0])).max() < 1e-9
    assert np.nanmin(truth[..., 2]) == pytest.approx(0.0, abs=1e-9)  # heels and toes on the floor


def test_standing_pitch_at_1px():
    result, _ = triangulated(SyntheticNoiseConfig(pixel_sigma=1.0))
    measured = measure_standing(result.points, FPS, "still")
    pitch = measured.pitch_deg()
    assert pitch is not None, measured.to_dict()
    for side in ("left", "right"):
        assert abs(pitch[side]) < ONE_PX_TOL_DEG, (side, pitch[side])
        assert measured.sides[side].n_frames >= FPS  # a second of still frames at least


def test_standing_pitch_at_the_real_detector_level():
    result, own = triangulated(load_level())
    measured = measure_standing(result.points, FPS, "still")
    pitch = measured.pitch_deg()
    assert pitch is not None, measured.to_dict()
    own_pitch = measure_standing(own, FPS).pitch_deg()
    assert own_pitch is not None
    for side in ("left", "right"):
        assert abs(pitch[side] - own_pitch[side]) < REAL_TOL_DEG, (side, pitch, own_pitch)


def test_a_running_static_trial_is_refused():
    from pipeline.synth.kinematics import simulate_run

    running = simulate_run(RunnerConfig(duration_s=2.0), FPS).points
    measured = measure_standing(running, FPS, "still")
    assert measured.pitch_deg() is None
    assert measured.reasons() == [NOT_STILL]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"static_trials": {"x": "still"}}, "study.static_trials.x: 'x' is not in study.sessions"),
        ({"static_trials": {"s": "nope"}}, "study.static_trials.s='nope' is not in study.trials"),
        (
            {
                "sessions": {"s": {"subject": "P"}, "s2": {"subject": "Q"}},
                "trials": {"run": RUNNING, "still": {"session": "s2"}, "r2": {"session": "s2"}},
            },
            "study.static_trials.s='still' belongs to session 's2'",
        ),
        (
            {"sessions": {"s": {"subject": "P", "standing_foot_pitch_deg": [0.0, 0.0]}}},
            "study.static_trials.s and study.sessions.s.standing_foot_pitch_deg",
        ),
        (
            {"trials": {"still": {"session": "s"}}},
            "study.static_trials.s='still' is the session's only trial",
        ),
    ],
)
def test_static_trial_config_errors_are_named(change, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.").replace("'", ".")):
        validate({"study": {**STUDY, **change}})


def _write_points3d(path: Path, points: np.ndarray) -> None:
    frames, keypoints = points.shape[:2]
    formats.write_points3d(
        path,
        formats.Points3D(
            points,
            np.zeros((frames, keypoints)),
            np.full((frames, keypoints), 4),
            np.ones((frames, keypoints, 4), bool),
            fps=FPS,
            camera_names=["cam_0", "cam_1", "cam_2", "cam_3"],
            swaps_repaired=np.zeros((4, frames), bool),
        ),
    )


def test_stages_measure_the_static_trial_and_the_session_uses_it(tmp_path):
    from pipeline.stages import report, standing
    from pipeline.stages.analyze import analyze_one, standing_pitch
    from pipeline.study.paths import StudyPaths

    study = {**STUDY, "data_dir": str(tmp_path / "data"), "results_dir": str(tmp_path / "out")}
    cfg = validate({"study": study})
    paths = StudyPaths.from_config(cfg)
    result, _ = triangulated(SyntheticNoiseConfig(pixel_sigma=1.0))
    _write_points3d(paths.points3d("still"), result.points)
    with pytest.raises(formats.FormatError, match="runlab standing --session s"):
        standing_pitch(cfg, "s")  # not measured yet: the fix is named
    standing.run(cfg)
    saved = formats.read_json(paths.standing("s"))
    assert saved["verdict"] == "ok" and saved["trial"] == "still"
    pitch = standing_pitch(cfg, "s")
    assert pitch is not None and all(abs(v) < ONE_PX_TOL_DEG for v in pitch.values())
    # the static trial's own analysis and report: its measurement, no running verdict
    analyze_one(cfg, "still")
    metrics = formats.read_json(paths.trial_metrics("still"))
    assert metrics["verdict"] == "ok"
    assert metrics["standing_foot_pitch_deg"]["left"] == pytest.approx(pitch["left"])
    index = report.run_trial(cfg, "still")
    assert "static (standing) trial" in index.read_text()
    with pytest.raises(ConfigError, match="study.static_trials.run"):
        standing.run(cfg, "run")


def test_a_static_trial_of_a_moving_person_gives_no_reference(tmp_path):
    from pipeline.stages import standing
    from pipeline.stages.analyze import standing_pitch
    from pipeline.study.paths import StudyPaths

    study = {**STUDY, "data_dir": str(tmp_path / "data"), "results_dir": str(tmp_path / "out")}
    cfg = validate({"study": study})
    paths = StudyPaths.from_config(cfg)
    result, _ = triangulated(SyntheticNoiseConfig(pixel_sigma=1.0))
    walking = result.points.copy()
    walking[..., 0] += np.arange(len(walking))[:, None] / FPS * 1.5  # walks off at 1.5 m/s
    _write_points3d(paths.points3d("still"), walking)
    standing.run(cfg, "s")
    saved = formats.read_json(paths.standing("s"))
    assert saved["verdict"] == "no_reference"
    assert [r["code"] for r in saved["reasons"]] == [NOT_STILL]
    assert standing_pitch(cfg, "s") is None  # the running trials fall back to the bound


def test_the_synth_stage_renders_a_static_trial_standing():
    from pipeline.stages.synth import runner_truth

    cfg = validate({"study": {**STUDY, "synthesize": ["s"]}})
    still = runner_truth(dataclasses.replace(cfg), "still")
    assert still_frames(still.points).all()
    assert not any(len(v) for v in still.foot_strikes.values())
    assert any(len(v) for v in runner_truth(cfg, "run").foot_strikes.values())


def test_dvc_runs_the_static_trial_before_its_sessions_analyses(tmp_path, repo_root, dvc_tools):
    import networkx as nx
    import yaml
    from dvc.repo import Repo

    lab = dvc_tools[0](repo_root, tmp_path)
    raw = yaml.safe_load((repo_root / "params.yaml").read_text())
    raw["study"]["trials"]["still"] = {"session": "r01_before"}
    raw["study"]["static_trials"] = {"r01_before": "still"}
    raw["study"]["sessions"]["r01_before"].pop("standing_foot_pitch_deg", None)
    (lab / "params.yaml").write_text(yaml.safe_dump(raw))
    with Repo(str(lab)) as repo:
        graph = repo.index.graph  # edges: a stage -> the stages it depends on
        stages = {s.name: s for s in graph.nodes}
        measured = stages["standing@r01_before"]
        assert nx.has_path(graph, measured, stages["triangulate@still"])
        for trial in ("crossover", "still"):  # the session's trials, the static one's own page
            assert nx.has_path(graph, stages[f"analyze@{trial}"], measured), trial
        assert not nx.has_path(graph, stages["analyze@typical"], measured)  # another session
        assert "standing@r01_after" not in stages  # no static trial there


E2E_STUDY = """\
name: st
data_dir: studies/st
results_dir: results/st
synthesize: [s01]
sessions:
  s01: {subject: S01, date: "2026-11-01"}
trials:
  t01: {session: s01, condition: treadmill 3.0 m/s, runner: {speed_mps: 3.0, duration_s: 2.0, seed: 1}}
  still: {session: s01, condition: standing still, runner: {duration_s: 2.0}}
static_trials:
  s01: still
"""


@pytest.mark.slow
def test_dvc_repro_measures_the_static_trial_and_the_running_trial_uses_it(
    tmp_path, repo_root, dvc_tools
):
    """The whole pipeline by `dvc repro`: videos rendered, calibrated (with floor frames),
    detected at 1 px, synced, triangulated; the standing pitch within ONE_PX_TOL_DEG of the
    true 0 and the running trial's foot-strike angle measured from it (docs/metrics.md has
    the numbers of this run and of the real-detector level)."""
    import subprocess

    from pipeline.cli import configure

    lab = dvc_tools[0](repo_root, tmp_path)
    (lab / "conf" / "study" / "st.yaml").write_text(E2E_STUDY)
    configure(
        str(lab / "conf"),
        str(lab / "params.yaml"),
        [
            "study=st",
            "report.overlay_videos=false",
            "report.exports=[]",
            "rig.width=960",  # half-size videos: quicker to render, the floor board still seen
            "rig.height=540",
            "rig.focal_px=750",
        ],
    )
    run = subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), "repro"], cwd=lab, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    standing = formats.read_json(lab / "results/st/sessions/s01/standing.json")
    assert standing["verdict"] == "ok", standing
    for side in ("left", "right"):
        assert abs(standing["sides"][side]["pitch_deg"]) < ONE_PX_TOL_DEG, standing
    analysis = formats.read_json(lab / "results/st/trials/t01/analysis/t01.json")
    for side, block in analysis["summary"]["sides"].items():
        reference = block["foot_strike"]["standing"]
        assert reference["source"] == "static trial"
        assert reference["pitch_deg"] == pytest.approx(standing["sides"][side]["pitch_deg"])
    assert "still" not in formats.read_json(lab / "results/st/metrics.json")["trials"]
