"""3D import (TRC/C3D -> Halpe-26 in runlab's frame): round trips of runlab's own exports,
axis/units detection, marker sets, force-plate events, and named errors on bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pipeline.config import RunnerConfig
from pipeline.core.skeleton import INDEX, KEYPOINTS
from pipeline.io.exports import WORLD_TO_OPENSIM, write_c3d, write_trc
from pipeline.io.grf import contact_events, force_plate_events
from pipeline.io.import3d import load_3d
from pipeline.io.markerset import (
    MarkerSetError,
    MissingMarkerWarning,
    apply_markerset,
    parse_markerset,
)
from pipeline.io.mocap import MocapError, NoPointsError, UnitsError, UpAxisError, read_c3d
from pipeline.synth.kinematics import simulate_run


def runner(duration_s: float = 0.6, fps: float = 100.0) -> np.ndarray:
    """Our parametric runner (Z up, running along +X on a treadmill), (F, 26, 3) metres."""
    return np.asarray(simulate_run(RunnerConfig(duration_s=duration_s), fps).points, float)


@pytest.fixture(scope="module")
def points():
    p = runner()
    p[10:13, INDEX["left_wrist"]] = np.nan  # a dropout: must stay a gap
    return p


@pytest.mark.parametrize("fmt", ["trc", "c3d"])
def test_round_trip_of_runlab_exports(tmp_path, points, fmt):
    path = tmp_path / f"t.{fmt}"
    (write_trc if fmt == "trc" else write_c3d)(path, points, KEYPOINTS, 100.0)
    got = load_3d(path)
    assert got.fps == pytest.approx(100.0)
    assert got.mapping == "by name"
    assert np.array_equal(np.isnan(got.points), np.isnan(points))
    assert np.nanmax(np.abs(got.points - points)) < 1e-6
    # TRC is written Y up (OpenSim), C3D Z up: the import undoes either
    assert np.allclose(got.rotation, WORLD_TO_OPENSIM.T if fmt == "trc" else np.eye(3))
    assert got.locomotion == "treadmill"


def test_running_along_minus_x_is_turned_not_mirrored(tmp_path, points):
    turned = points * np.array([-1.0, -1.0, 1.0])  # 180 deg about Z
    path = tmp_path / "back.trc"
    write_trc(path, turned, KEYPOINTS, 100.0)
    got = load_3d(path)
    assert any("turned 180 deg" in n for n in got.frame_notes)
    assert np.nanmax(np.abs(got.points - points)) < 1e-6  # left stays left


def test_pose2sim_names_and_y_up_millimetres(tmp_path, points):
    """A Pose2Sim-style TRC: OpenPose names, Y up (OpenSim), millimetres."""
    names = {
        "right_hip": "RHip",
        "left_hip": "LHip",
        "hip": "Hip",
        "right_knee": "RKnee",
        "left_knee": "LKnee",
        "right_ankle": "RAnkle",
        "left_ankle": "LAnkle",
        "right_big_toe": "RBigToe",
        "left_big_toe": "LBigToe",
        "right_heel": "RHeel",
        "left_heel": "LHeel",
        "neck": "Neck",
        "right_shoulder": "RShoulder",
        "left_shoulder": "LShoulder",
        "nose": "Nose",
    }
    keys = list(names)
    path = tmp_path / "pose2sim.trc"
    write_trc(path, points[:, [INDEX[k] for k in keys]], [names[k] for k in keys], 100.0)
    text = path.read_text().splitlines()
    header = text[2].split("\t")
    header[4] = "mm"
    text[2] = "\t".join(header)
    rows = [
        text[i]
        if i < 6
        else "\t".join(
            [f.split("\t")[0] for f in [text[i]]][0:1]
            + text[i].split("\t")[1:2]
            + [f"{float(v) * 1000:.4f}" if v else "" for v in text[i].split("\t")[2:]]
        )
        for i in range(len(text))
    ]
    path.write_text("\n".join(rows) + "\n")
    got = load_3d(path)
    for k in keys:
        assert np.nanmax(np.abs(got.points[:, INDEX[k]] - points[:, INDEX[k]])) < 1e-6
    assert np.isnan(got.points[:, INDEX["left_wrist"]]).all()  # not in the file: a gap
    assert any("up = +Y" in n for n in got.frame_notes)


def test_c3d_reference_events_are_read(tmp_path, points):
    import c3d

    path = tmp_path / "events.c3d"
    writer = c3d.Writer(point_rate=100.0, analog_rate=0.0, point_units="mm  ")
    writer.set_point_labels(list(KEYPOINTS))
    block = np.zeros((len(KEYPOINTS), 5), np.float32)
    frames = []
    for f in range(len(points)):
        b = block.copy()
        ok = np.isfinite(points[f]).all(axis=1)
        b[ok, :3] = points[f][ok] * 1000
        b[~ok, 3] = -1
        frames.append((b, np.zeros((0, 0), np.float32)))
    writer.add_frames(frames)
    group = writer.add_group(30, "EVENT", "events")
    labels = ["Foot Strike", "Foot Off"]
    group.add_str("LABELS", "", "".join(s.ljust(16) for s in labels), 16, 2)
    group.add_str("CONTEXTS", "", "".join(s.ljust(8) for s in ("Right", "Left")), 8, 2)
    times = np.array([[0.0, 0.105], [0.0, 0.31]], np.float32)  # (minutes, seconds)
    group.add_param("TIMES", desc="", bytes_per_element=4, bytes=times.tobytes(), dimensions=[2, 2])
    with open(path, "wb") as handle:
        writer.write(handle)
    got = load_3d(path)
    events = {(e.side, e.label): e.frame for e in got.reference_events}
    assert events[("right", "Foot Strike")] == pytest.approx(10.5, abs=1e-3)
    assert events[("left", "Foot Off")] == pytest.approx(31.0, abs=1e-3)


# --- bad input ---------------------------------------------------------------------------
def _trc_with_units(tmp_path, points, units: str, scale: float = 1.0):
    path = tmp_path / "u.trc"
    write_trc(path, points * scale, KEYPOINTS, 100.0)
    lines = path.read_text().splitlines()
    header = lines[2].split("\t")
    header[4] = units
    lines[2] = "\t".join(header)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unknown_or_wrong_units_are_named_errors(tmp_path, points):
    with pytest.raises(UnitsError, match="units 'furlongs'"):
        load_3d(_trc_with_units(tmp_path, points, "furlongs"))
    with pytest.raises(UnitsError, match="units in the header are wrong"):
        load_3d(_trc_with_units(tmp_path, points, "m", scale=1000.0))  # mm written as m
    with pytest.raises(UnitsError, match="no Units"):
        load_3d(_trc_with_units(tmp_path, points, ""))


def test_up_axis_that_cannot_be_told(tmp_path, points):
    lying = points[:, :, [2, 1, 0]] * np.array([1.0, 1.0, 1.0])
    lying[..., 0] += points[..., 0] * 0  # body along X, the "up" difference along X and Z
    tilted = points.copy()
    tilted[..., 0] = points[..., 0] + (points[..., 2] - points[..., 2].mean())  # 45 deg lean
    path = tmp_path / "tilted.c3d"
    write_c3d(path, tilted, KEYPOINTS, 100.0)
    with pytest.raises(UpAxisError, match="cannot tell the up axis"):
        load_3d(path)


def test_marker_file_without_a_markerset_and_wrong_markerset(tmp_path, points):
    path = tmp_path / "markers.trc"
    write_trc(path, points[:, :8], [f"M{i}" for i in range(8)], 100.0)
    with pytest.raises(MarkerSetError, match="--markerset"):
        load_3d(path)
    with pytest.raises(MarkerSetError, match="none of its markers"):
        load_3d(path, "hamner2013")


def test_markerset_typos_are_named(tmp_path):
    with pytest.raises(MarkerSetError, match="keypoints.right_kne is not a Halpe-26 keypoint"):
        parse_markerset({"keypoints": {"right_kne": "RKNE"}})
    with pytest.raises(MarkerSetError, match="unknown recipe 'centroid'"):
        parse_markerset({"keypoints": {"right_knee": {"centroid": ["A", "B"]}}})
    with pytest.raises(MarkerSetError, match="harrington: give either psis"):
        parse_markerset(
            {"keypoints": {"right_hip": {"harrington": {"asis": ["A", "B"], "side": "right"}}}}
        )
    with pytest.raises(MarkerSetError, match="not found; known sets"):
        load_3d(__file__, "no_such_set")


def test_missing_marker_leaves_a_named_gap():
    ms = parse_markerset(
        {
            "name": "t",
            "keypoints": {
                "right_heel": "RCAL",
                "left_heel": "LCAL",
                "neck": {"midpoint": ["C7", "CLAV"]},
            },
        }
    )
    pts = np.random.default_rng(0).normal(size=(5, 3, 3))
    with pytest.warns(
        MissingMarkerWarning, match="left_heel left as a gap: the file has no marker LCAL"
    ):
        out, notes = apply_markerset(ms, ("RCAL", "C7", "CLAV"), pts)
    assert np.isnan(out[:, INDEX["left_heel"]]).all()
    assert np.allclose(out[:, INDEX["neck"]], 0.5 * (pts[:, 1] + pts[:, 2]))


def test_corrupt_and_empty_files(tmp_path):
    bad = tmp_path / "bad.c3d"
    bad.write_bytes(b"not a c3d at all" * 10)
    with pytest.raises(MocapError, match="bad.c3d"):
        read_c3d(bad)
    with pytest.raises(MocapError, match="runlab imports .trc and .c3d"):
        load_3d(tmp_path / "x.csv")
    import c3d

    empty = tmp_path / "empty.c3d"
    writer = c3d.Writer(point_rate=100.0, analog_rate=100.0)  # analog channels only
    writer.set_analog_labels(["force"])
    writer.add_frames([(np.zeros((0, 5), np.float32), np.zeros((1, 1), np.float32))])
    with open(empty, "wb") as handle:
        writer.write(handle)
    with pytest.raises(NoPointsError, match="no 3D points"):
        read_c3d(empty)
    header_only = tmp_path / "header_only.trc"
    header_only.write_text(
        "PathFileType\t4\t(X/Y/Z)\tx.trc\nDataRate\tUnits\n100\tmm\n"
        "Frame#\tTime\tA\t\t\n\t\tX1\tY1\tZ1\n\n"
    )
    with pytest.raises(NoPointsError, match="no data rows"):
        load_3d(header_only)


# --- force plates ----------------------------------------------------------------------------
def test_contact_events_threshold_and_noise():
    t = np.arange(0.1, 2, 0.0005)  # the file starts mid-contact
    force = np.where((t % 0.7) < 0.25, 1500 * np.sin(np.pi * (t % 0.7) / 0.25), 0.0)
    force += 30 * np.sin(2 * np.pi * 37 * t)  # flight noise under 50 N
    force[(t > 0.5) & (t < 0.5006)] = 200  # a one-sample spike
    strikes, offs = contact_events(t, force, 50.0)
    # the first contact starts with the file: no strike recorded for it
    assert np.allclose(strikes, [0.7, 1.4], atol=0.01)
    assert np.allclose(offs, [0.25, 0.95, 1.65], atol=0.01)


# --- the shared real recordings (skipped without ../shared) ----------------------------------
MOCAP = __import__("pathlib").Path(__file__).resolve().parents[1] / "../shared/data/running-mocap"
needs_mocap = pytest.mark.skipif(not MOCAP.exists(), reason="../shared/data/running-mocap absent")
HEIGHT_M = 1.772  # hamner subject 4 (subject.json)


def _lengths(p: np.ndarray, a: str, b: str) -> np.ndarray:
    d = np.linalg.norm(p[:, INDEX[a]] - p[:, INDEX[b]], axis=1)
    return d[np.isfinite(d)]


def _check_anthropometry(p: np.ndarray, height: tuple[float, float], max_sd_m: float) -> None:
    """Segment lengths constant through the trial and within adult ranges (Winter 2009 table
    4.1 segment lengths as fractions of height H: hip width ~0.191 H between the trochanters,
    so a joint-centre hip width of 0.08-0.12 H; thigh 0.245 H and shank 0.246 H, +-15%)."""
    lo_h, hi_h = height
    for a, b, lo, hi in (
        ("left_hip", "right_hip", 0.08, 0.12),
        ("right_hip", "right_knee", 0.21, 0.29),
        ("left_hip", "left_knee", 0.21, 0.29),
        ("right_knee", "right_ankle", 0.21, 0.29),
        ("left_knee", "left_ankle", 0.21, 0.29),
    ):
        d = _lengths(p, a, b)
        assert len(d) > 0.9 * len(p), (a, b)
        assert lo * lo_h <= np.median(d) <= hi * hi_h, (a, b, np.median(d))
        assert np.std(d) < max_sd_m, (a, b, np.std(d))


@needs_mocap
@pytest.mark.parametrize("run", ["run200", "run300", "run400", "run500"])
def test_hamner_treadmill_imports(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingMarkerWarning)  # run500 has no LMT5
        got = load_3d(MOCAP / "hamner-subject04" / run / "markers.trc", "hamner2013")
    assert got.fps == 100.0 and got.locomotion == "treadmill"
    assert any("up = +Y" in n for n in got.frame_notes)
    assert any("along +X" in n for n in got.frame_notes)
    p = got.points
    # measured SDs of the segment lengths: 1.5-3.5 mm hip width, 6-11 mm thigh, 3-7 mm shank
    _check_anthropometry(p, (HEIGHT_M, HEIGHT_M), max_sd_m=0.012)
    # left is +Y, heels near the floor, the pelvis about 0.9-1 m up
    assert np.nanmean(p[:, INDEX["left_hip"], 1] - p[:, INDEX["right_hip"], 1]) > 0.1
    assert 0.8 < np.nanmedian(p[:, INDEX["hip"], 2]) < 1.1
    assert np.nanmin(p[:, INDEX["right_heel"], 2]) < 0.12


@needs_mocap
@pytest.mark.parametrize(
    "run",
    [
        "run0350cms",
        # measured: right thigh length SD 13.1 mm (lateral epicondyle marker on the skin at 5 m/s)
        pytest.param(
            "run0500cms", marks=pytest.mark.xfail(strict=True, reason="thigh SD 13.1 mm > 12")
        ),
    ],
)
def test_sprinter_overground_imports(run):
    got = load_3d(MOCAP / "sprinter-ja1" / f"{run}.trc", "sprinter_ja1")
    assert got.fps == 250.0 and got.locomotion == "overground"
    hip_x = got.points[:, INDEX["hip"], 0]
    assert hip_x[-1] - hip_x[0] > 5.0  # runs along +X
    # JA1's height is not in the data set: adult male range
    _check_anthropometry(got.points, (1.65, 1.95), max_sd_m=0.012)


@needs_mocap
def test_hamner_force_plate_events():
    trial = MOCAP / "hamner-subject04" / "run300"
    events = force_plate_events(trial / "grf.mot")
    for side in ("left", "right"):
        strikes, offs = events.foot_strikes[side], events.toe_offs[side]
        assert len(strikes) >= 3 and len(offs) >= 3
        period = np.diff(strikes)
        assert np.allclose(period, np.median(period), atol=0.03)  # one stride ~0.74 s
        contact = offs[offs > strikes[0]][: len(strikes) - 1] - strikes[: len(strikes) - 1]
        assert np.all((contact > 0.15) & (contact < 0.4))
    imported = load_3d(trial / "markers.trc", "hamner2013")
    strikes, _ = events.in_frames(imported.time_s, imported.fps)
    # at a force-plate strike the striking heel is low and the other foot is in the air
    for side, other in (("right", "left"), ("left", "right")):
        for f in np.round(strikes[side]).astype(int):
            heel = imported.points[f, INDEX[f"{side}_heel"], 2]
            other_heel = imported.points[f, INDEX[f"{other}_heel"], 2]
            assert heel < other_heel, (side, f)


# --- joint centres ----------------------------------------------------------------------------
def _rot(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about a unit axis (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    a = np.asarray(angle)[:, None, None]
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


def test_functional_centre_of_a_ball_joint_and_a_hinge():
    from pipeline.io.joint_centres import functional_centre

    rng = np.random.default_rng(1)
    n = 200
    # proximal cluster moving rigidly in the world; joint centre fixed in it at (0, 0, -0.4)
    frame = _rot(np.array([0.0, 1.0, 0.0]), np.linspace(-0.3, 0.5, n)) @ _rot(
        np.array([1.0, 0.0, 0.0]), 0.2 * np.sin(np.linspace(0, 6, n))
    )
    origin = np.stack([np.linspace(0, 1, n), np.zeros(n), np.full(n, 0.9)], axis=1)
    cluster_local = np.array([[0.05, 0.0, -0.1], [-0.04, 0.03, -0.2], [0.02, 0.06, -0.3]])
    centre_local = np.array([0.0, 0.0, -0.4])
    to_world = lambda local: (
        np.einsum("fij,...j->f...i", frame, local) + origin[:, None]
        if local.ndim == 2
        else np.einsum("fij,j->fi", frame, local) + origin
    )
    proximal = to_world(cluster_local)
    true_centre = to_world(centre_local)
    distal_local = np.array([[0.03, 0.02, -0.15], [-0.03, 0.04, -0.25], [0.0, -0.03, -0.35]])

    # a ball joint: the distal segment turns about two axes
    relative = _rot(np.array([0.0, 1.0, 0.0]), rng.uniform(-1, 1, n)) @ _rot(
        np.array([1.0, 0.0, 0.0]), rng.uniform(-0.5, 0.5, n)
    )
    moved = np.einsum("fij,mj->fmi", relative, distal_local) + centre_local
    distal = np.einsum("fij,fmj->fmi", frame, moved) + origin[:, None]
    got, report = functional_centre(proximal, distal + rng.normal(0, 0.0005, distal.shape))
    assert not report.hinge
    assert np.max(np.linalg.norm(got - true_centre, axis=1)) < 0.005

    # a hinge about the proximal x axis: only the axis is determined; the centre is taken on
    # it nearest `near` (here a point 3 cm to the side of the true centre, off the axis)
    hinge = _rot(np.array([1.0, 0.0, 0.0]), np.linspace(0.0, 1.6, n))
    moved = np.einsum("fij,mj->fmi", hinge, distal_local) + centre_local
    distal = np.einsum("fij,fmj->fmi", frame, moved) + origin[:, None]
    near = to_world(centre_local + np.array([0.0, 0.03, 0.0]))
    got, report = functional_centre(proximal, distal, near)
    assert report.hinge
    assert np.max(np.linalg.norm(got - true_centre, axis=1)) < 0.002


def test_harrington_hip_centres_sit_below_behind_and_inside_the_asis():
    from pipeline.io.joint_centres import harrington_hip_centres

    # pelvis facing +X, Z up, left +Y: ASIS 240 mm apart, sacrum 160 mm behind
    rasi, lasi = np.array([[0.0, -0.12, 1.0]]), np.array([[0.0, 0.12, 1.0]])
    sacrum = np.array([[-0.16, 0.0, 1.0]])
    right, left = harrington_hip_centres(rasi, lasi, sacrum)
    pw, pd = 240.0, 160.0
    expect = np.array([-0.24 * pd - 9.9, -(0.33 * pw + 7.3), -0.30 * pw - 10.9]) / 1000
    assert np.allclose(right[0] - [0.0, 0.0, 1.0], expect, atol=1e-9)
    assert np.allclose(left[0] - [0.0, 0.0, 1.0], expect * [1, -1, 1], atol=1e-9)
