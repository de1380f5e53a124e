"""A real recording through the CLI with the default settings: the Pose2Sim demo (4
synchronized lab cameras, a second person in the background), its own calibration (converted
from a marker system: views agree only to 9-24 px), its OpenPose BODY_25B keypoints, and
BlazePose run on its videos.

Skipped when ../shared/data is absent (a user's checkout has no shared data).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.core.geometry import project
from pipeline.core.skeleton import LEFT_RIGHT_SWAP
from pipeline.io import formats
from pipeline.triangulation.qa import measured_share
from pipeline.triangulation.scale import keypoint_groups

DEMO = SHARED_DATA / "pose2sim-demo"
CAMERAS = ["cam01", "cam02", "cam03", "cam04"]
pytestmark = pytest.mark.skipif(not DEMO.exists(), reason="shared data not present")


def _runlab(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "runlab"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return run


STUDY_YAML = """\
# The Pose2Sim demo as a lab would describe it: one session, one trial, recorded videos.
name: pose2sim_demo
data_dir: {data}
results_dir: {results}
synthesize: []
sessions:
  lab:
    subject: P01
trials:
  balancing:
    session: lab
    condition: standing balance (not running)
"""


def _make_study(root: Path, repo_root: Path, detector: str, openpose: Path | None = None) -> Path:
    trial = root / "data" / "lab" / "balancing"
    (trial / "openpose").mkdir(parents=True)
    openpose = openpose or DEMO / "balancing" / "openpose"
    for cam in CAMERAS:
        (trial / f"{cam}.mp4").symlink_to(DEMO / "balancing" / "videos" / f"{cam}.mp4")
        (trial / "openpose" / f"{cam}_json").symlink_to(openpose / f"{cam}_json")
    calibration = root / "results" / "sessions" / "lab" / "calibration" / "calibration.toml"
    _runlab(
        root,
        "import-calibration",
        str(DEMO / "calibration" / "Calib_qualisys.toml"),
        "--format",
        "pose2sim",
        "--names",
        ",".join(CAMERAS),
        "--out",
        str(calibration),
    )
    conf = root / "conf"
    shutil.copytree(repo_root / "conf", conf)
    (conf / "study" / "pose2sim_demo.yaml").write_text(
        STUDY_YAML.format(data=root / "data", results=root / "results")
    )
    # default settings: only what describes this recording (its cameras, rate, detector)
    _runlab(
        root,
        "configure",
        "--config-dir",
        str(conf),
        "--out",
        "params.yaml",
        "study=pose2sim_demo",
        f"rig.cameras=[{','.join(CAMERAS)}]",
        f"detector={detector}",
        "rig.fps=60",
    )
    _runlab(root, "detect")
    return root


def _triangulated(root: Path, repo_root: Path, detector: str) -> Path:
    """The trial folder after detect and triangulate (its log kept beside it)."""
    root = _make_study(root, repo_root, detector)
    run = _runlab(root, "triangulate", "--trial", "balancing")
    out = root / "results" / "trials" / "balancing"
    (out / "triangulate.log").write_text(run.stderr)
    return out


@pytest.fixture(scope="module")
def study(tmp_path_factory, repo_root):
    return _triangulated(tmp_path_factory.mktemp("pose2sim"), repo_root, "openpose_json")


@pytest.fixture(scope="module")
def blazepose_study(tmp_path_factory, repo_root):
    return _triangulated(tmp_path_factory.mktemp("pose2sim_bp"), repo_root, "blazepose")


def _measured_share(trial: Path) -> float:
    kp = formats.read_keypoints2d(trial / "keypoints2d" / "balancing.npz")
    p3d = formats.read_points3d(trial / "points3d" / "balancing.npz")
    return measured_share(p3d.n_views, kp.points, 0.3).share


def _best_view_distance_over_gate(trial: Path) -> np.ndarray:
    """Per output point seen by some view: distance (px) to its nearest supporting view over
    that view's gate."""
    kp = formats.read_keypoints2d(trial / "keypoints2d" / "balancing.npz")
    p3d = formats.read_points3d(trial / "points3d" / "balancing.npz")
    calib = formats.read_calibration(
        trial.parents[1] / "sessions" / "lab" / "calibration" / "calibration.toml"
    )
    obs = kp.points.copy()
    c, f = np.nonzero(p3d.swaps_repaired)
    obs[c, f] = obs[c, f][:, LEFT_RIGHT_SWAP]
    gate = p3d.qa.gate_px[:, keypoint_groups(obs.shape[2])[1]]  # (C, K)
    ratio = np.full(obs.shape[:3], np.inf)
    for i, cam in enumerate(calib.cameras):
        xy = project(cam, p3d.points.reshape(-1, 3)).reshape(p3d.points.shape[:2] + (2,))
        d = np.linalg.norm(xy - obs[i, ..., :2], axis=-1) / gate[i]
        ratio[i] = np.where(p3d.views_used[..., i], d, np.inf)
    best = ratio.min(axis=0)
    return best[np.isfinite(best)]


def test_runner_is_chosen_over_the_bystander(study):
    kp = formats.read_keypoints2d(study / "keypoints2d" / "balancing.npz")
    assert kp.backend == "openpose_json" and kp.points.shape == (4, 100, 26, 3)
    p3d = formats.read_points3d(study / "points3d" / "balancing.npz")
    hips = p3d.points[:, [11, 12]]
    present = np.isfinite(hips[..., 0]).all(axis=1)
    assert present.mean() > 0.95
    # One person in the 3D: the views agree within the selection rule's consistency bound
    # (detector.selection.max_reprojection_px = 40; measured: ~13 px median with this
    # converted Qualisys calibration, 80-260 px with the bystander in one view), and the
    # hips stay at a standing person's height.
    assert np.nanmedian(p3d.reprojection_error[:, [11, 12, 13, 14, 15, 16]]) < 40.0
    assert 0.7 < np.nanmedian(hips[..., 2]) < 1.2


def test_previews_are_written(study):
    previews = sorted((study / "keypoints2d" / "previews").glob("*.png"))
    assert [p.stem for p in previews] == CAMERAS


def test_exports_for_other_tools_are_written(study):
    base = study / "points3d" / "balancing"
    lines = base.with_suffix(".trc").read_text().splitlines()
    assert lines[2].split("\t")[2:5] == ["100", "26", "m"]
    assert base.with_suffix(".c3d").stat().st_size > 0
    assert base.with_suffix(".csv").read_text().count("\n") == 101


# ---------------------------------------------------------------- defaults on real residuals
# Issue #13 targets; measured with the defaults: OpenPose 99.1 %, BlazePose 99.5 % of the 24
# keypoints it provides (no small toes); the fixed 12 px gate kept 71-72 % / 57 %.


@pytest.mark.parametrize("which", ["study", "blazepose_study"])
def test_default_gates_keep_the_real_views(which, request):
    trial = request.getfixturevalue(which)
    assert _measured_share(trial) >= 0.97
    p3d = formats.read_points3d(trial / "points3d" / "balancing.npz")
    assert p3d.qa.rejection == "adaptive"
    assert (p3d.qa.gate_px <= 60.0).all() and (p3d.qa.gate_px >= 4.0).all()
    assert "outlier gates (adaptive, px)" in (trial / "triangulate.log").read_text()


@pytest.mark.parametrize("which", ["study", "blazepose_study"])
def test_no_output_point_drifts_from_its_views(which, request):
    """Every output point lies within 3x its gate of its best supporting view (measured: at
    most 0.6x), and no foot point sinks into the floor (the old refinement put a heel 1.36 m
    below it)."""
    trial = request.getfixturevalue(which)
    assert _best_view_distance_over_gate(trial).max() <= 3.0
    p3d = formats.read_points3d(trial / "points3d" / "balancing.npz")
    assert np.nanmin(p3d.points[..., 2]) > -0.05


def test_blazepose_swap_burst_in_cam02_is_repaired(blazepose_study):
    """BlazePose labels left/right the wrong way round in cam02 on frames 41-59 and 67-73 (the
    other three views disagree with it by 207-298 px as given, 11-35 px swapped). Measured:
    all 26 repaired, plus 60, 61, 63 and 65 where the other views say the same; none in the
    other cameras."""
    p3d = formats.read_points3d(blazepose_study / "points3d" / "balancing.npz")
    repaired = p3d.swaps_repaired
    burst = np.r_[41:60, 67:74]
    assert repaired[1, burst].sum() >= 20
    assert not repaired[[0, 2, 3]].any()
    assert not repaired[1, :41].any() and not repaired[1, 74:].any()


def test_wrong_frame_rate_is_refused_with_the_fix(study):
    """The shared videos are 60 fps; a rig configured at 120 (or a slow-motion file that says
    60 for a 120 fps recording) would halve every time and double every speed."""
    root = study.parents[2]
    bad = root / "params_120.yaml"
    _runlab(
        root,
        "configure",
        "--config-dir",
        str(root / "conf"),
        "--out",
        str(bad),
        "study=pose2sim_demo",
        f"rig.cameras=[{','.join(CAMERAS)}]",
        "detector=openpose_json",
        "rig.fps=120",
    )
    run = subprocess.run(
        [str(Path(sys.executable).parent / "runlab"), "detect", "--params", str(bad)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 2, run.stderr
    assert "the videos say 60 fps, rig.fps is 120" in run.stderr
    assert "set rig.fps=60" in run.stderr and "Traceback" not in run.stderr


def _runner_hidden(folder: Path, cameras: tuple[str, ...], frames: range) -> Path:
    """The shared OpenPose JSON with the runner removed from `cameras` on `frames`: only the
    bystander (the smallest detected person) is left there."""
    for cam in CAMERAS:
        (folder / f"{cam}_json").mkdir(parents=True)
        for src in sorted((DEMO / "balancing" / "openpose" / f"{cam}_json").glob("*.json")):
            data = json.loads(src.read_text())
            if cam in cameras and int(src.stem.split(".")[-1]) in frames:

                def height(person):
                    k = np.asarray(person["pose_keypoints_2d"]).reshape(-1, 3)
                    k = k[k[:, 2] > 0]
                    return float(np.ptp(k[:, 1])) if len(k) else 0.0

                data["people"] = (
                    sorted(data["people"], key=height)[:1] if len(data["people"]) > 1 else []
                )
            (folder / f"{cam}_json" / src.name).write_text(json.dumps(data))
    return folder


def test_a_bystander_where_the_runner_is_hidden_is_never_fused(study, tmp_path_factory, repo_root):
    """The runner hidden in two views for 50 frames while a bystander stays (issue #15): before,
    91 keypoints of the 3D were the bystander's, up to 3.9 m from the runner. Now the views of
    the bystander are left out, named in a warning and in the verdict, and no 3D point is more
    than the runner's own depth uncertainty from the untouched trial (measured: 0.63 m at most,
    face points solved from two views)."""
    root = tmp_path_factory.mktemp("pose2sim_hidden")
    openpose = _runner_hidden(root / "openpose", ("cam01", "cam02"), range(30, 80))
    _make_study(root / "study", repo_root, "openpose_json", openpose)
    run = _runlab(root / "study", "triangulate", "--trial", "balancing")
    assert "show another person where the other cameras place the runner" in run.stderr
    trial = root / "study" / "results" / "trials" / "balancing"
    hidden = formats.read_points3d(trial / "points3d" / "balancing.npz")
    untouched = formats.read_points3d(study / "points3d" / "balancing.npz")
    apart = np.linalg.norm(hidden.points - untouched.points, axis=-1)
    assert np.nanmax(apart) < 1.0
    assert (
        hidden.qa.other_person_views[:, 30:80].any()
        and not hidden.qa.other_person_views[:, :30].any()
    )
    run = _runlab(root / "study", "analyze", "--trial", "balancing")
    metrics = json.loads((trial / "metrics.json").read_text())
    assert any(r.startswith("other_person:cam0") for r in metrics["verdict_reasons"])


# ---------------------------------------------------------------- camera synchronization
# Issue #16: the demo's cameras are hardware-synchronized; one camera's video trimmed at the
# start by N frames (the others at the end, to the same length) must read as offset N. The
# trimming is done on the keypoints, which is what trimming the video does to them.
TRIMS = [(1, 4), (2, 13), (3, 9)]  # (camera index, N)


def _trimmed(points: np.ndarray, camera: int, n: int) -> np.ndarray:
    out = points[:, : points.shape[1] - n].copy()
    out[camera] = points[camera, n:]
    return out


def _sync_estimates(trial: Path, trims=TRIMS):
    """(truth, estimate) for the untouched trial and each of `trims`."""
    from pipeline.sync.estimate import estimate_offsets

    kp = formats.read_keypoints2d(trial / "keypoints2d" / "balancing.npz")
    calib = formats.read_calibration(
        trial.parents[1] / "sessions" / "lab" / "calibration" / "calibration.toml"
    )
    out = []
    for camera, n in [(0, 0), *trims]:
        truth = np.zeros(4)
        truth[camera] = n
        out.append(
            (
                truth,
                estimate_offsets(_trimmed(kp.points, camera, n), calib.cameras, kp.fps, 0.5, 0.3),
            )
        )
    return out


def _sync_errors(trial: Path) -> list[float]:
    return [float(np.nanmax(np.abs(est.offsets - truth))) for truth, est in _sync_estimates(trial)]


def test_sync_stage_on_the_synchronized_cameras(study):
    """`runlab sync` on the untouched OpenPose trial: every camera within 0.5 frame of 0
    (measured: within 0.11), status ok, the offsets in sync.json."""
    root = study.parents[2]
    _runlab(root, "sync", "--trial", "balancing")
    sync = formats.read_json(study / "sync.json")
    assert sync["method"] == "keypoints" and sync["reference"] == "cam01"
    assert all(abs(v) < 0.5 for v in sync["offsets_frames"].values())
    assert sync["status"] == "ok", sync["reasons"]


def test_openpose_trimmed_camera_offsets_recovered(study):
    """Measured worst error per case (untouched, then TRIMS): 0.12, 0.09, 0.06, 0.15 frame."""
    assert max(_sync_errors(study)) < 0.5


@pytest.mark.xfail(
    strict=True,
    reason=(
        "BlazePose on this trial: cross-view agreement times its cameras only to 0.5-1.4 frames "
        "(measured worst error untouched 0.54, cam02 +4: 0.69, cam03 +13: 1.32, cam04 +9: 1.41 "
        "frames; OpenPose on the same videos: <= 0.15). BlazePose's 2D on this slow balancing "
        "motion disagrees between views by more than one frame of motion (cam02 left/right burst, "
        "errors of 7-27 px that change with the pose, pair-dependent: cam03-cam04 reads 2.2 frames "
        "off); docs/sync.md"
    ),
)
def test_blazepose_trimmed_camera_offsets_recovered(blazepose_study):
    assert max(_sync_errors(blazepose_study)) < 0.5


# every camera trimmed by each of these, one at a time
WIDE_TRIMS = [(camera, n) for camera in (1, 2, 3) for n in (2, 4, 7, 9, 13, 17, 20)]


def test_blazepose_offsets_are_right_or_marked_uncertain(blazepose_study):
    """Where BlazePose cannot time a camera, the offset is not presented as a measurement: every
    camera is within 0.5 frame or has a standard error above sync's 0.25 frame. Measured over the
    untouched trial and WIDE_TRIMS (66 camera estimates): 59 uncertain, 7 measured and right, none
    measured and wrong. Before sync left out the face seen from behind, cam03 trimmed by 20 read
    17.83 +- 0.22 frames (OpenPose: all measured, standard errors 0.08-0.17)."""
    from pipeline.sync.result import MAX_SD_FRAMES

    for truth, est in _sync_estimates(blazepose_study, WIDE_TRIMS):
        for c in range(1, 4):
            measured = np.isfinite(est.offsets[c]) and est.sd[c] <= MAX_SD_FRAMES
            assert not measured or abs(est.offsets[c] - truth[c]) < 0.5, (
                c,
                truth,
                est.offsets,
                est.sd,
            )


@pytest.mark.parametrize("which", ["study", "blazepose_study"])
def test_back_views_are_where_the_cameras_film_the_back(which, request):
    """cam03 and cam04 film the man's back (seen in the videos), cam01 and cam02 his front: both
    detectors' keypoints say so on every frame, except BlazePose's cam02 during its left/right
    burst (measured: 29 % of frames read as a back view there). Sync leaves out the face
    keypoints in back views: BlazePose reports them with visibility 1.0 from behind."""
    from pipeline.core.skeleton import seen_from_behind

    trial = request.getfixturevalue(which)
    kp = formats.read_keypoints2d(trial / "keypoints2d" / "balancing.npz")
    back = seen_from_behind(kp.points, 0.3).mean(axis=1)
    assert back[2] == 1.0 and back[3] == 1.0 and back[0] == 0.0
    assert back[1] == 0.0 if which == "study" else back[1] < 0.35


def test_the_calibrations_steady_error_is_seen_by_both_detectors(study, blazepose_study):
    """The demo's calibration (converted from a marker system, lens distortion known wrong) puts
    each camera's keypoints a steady distance from where the other views place them. OpenPose
    and BlazePose, two different detectors on the same videos, measure the same steady part
    (measured, px: cam01 12.1 / 11.1, cam02 6.3 / 6.6, cam03 18.1 / 15.4, cam04 7.8 / 8.1): it
    belongs to the calibration, and the verdict says so for every camera."""
    from pipeline.config import VerdictConfig
    from pipeline.quality.verdict import calibration_reasons

    op = formats.read_points3d(study / "points3d" / "balancing.npz").qa
    bp = formats.read_points3d(blazepose_study / "points3d" / "balancing.npz").qa
    assert np.all(np.abs(op.systematic_px - bp.systematic_px) < 4.0), (
        op.systematic_px,
        bp.systematic_px,
    )
    limit = VerdictConfig().max_calibration_bias
    off = {c: (s, d) for c, s, d in zip(CAMERAS, op.systematic_px, op.scatter_px) if s > limit * d}
    assert set(off) == set(CAMERAS)
    assert [code for code, _ in calibration_reasons(off, off, {})] == ["calibration_mismatch"]
