"""The exports other tools load, each read back by a reader that is not ours: TRC for OpenSim
with no gap (segments), the .mot of joint angles, C3D gait events (the `c3d` package's
reader), BVH (the `bvh` package's parser, forward kinematics with scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pipeline.config import RunnerConfig
from pipeline.core.skeleton import INDEX, KEYPOINTS
from pipeline.io.bvh import CM, HIERARCHY, write_bvh
from pipeline.io.exports import (
    WORLD_TO_OPENSIM,
    GaitEvent,
    fill_short_gaps,
    write_c3d,
    write_mot,
    write_trc_segments,
)
from pipeline.synth.kinematics import simulate_run

FPS = 120.0


@pytest.fixture(scope="module")
def run():
    return simulate_run(RunnerConfig(duration_s=1.5, seed=1), FPS).points


def _read_trc(path):
    """An OpenSim TRC read the way OpenSim's TRCFileAdapter does: 5 header lines, then
    tab-separated rows; every field must be a number."""
    lines = path.read_text().splitlines()
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t")))
    names = [n for n in lines[3].split("\t")[2:] if n]
    rows = np.array([[float(v) for v in line.split("\t")] for line in lines[6:] if line])
    return header, names, rows


def test_trc_segments_have_no_gap_and_keep_the_trial_clock(run, tmp_path):
    p = run.copy()
    p[40:45, INDEX["left_wrist"]] = np.nan  # 5 frames: interpolated
    p[100:130, INDEX["right_knee"]] = np.nan  # 30 frames: cut
    p[:, INDEX["left_ear"]] = np.nan  # never measured: left out
    export = write_trc_segments(
        tmp_path / "t.trc", p, KEYPOINTS, FPS, max_gap_frames=10, min_segment_frames=10
    )
    assert export.dropped_markers == ["left_ear"]
    assert [(s.start, s.stop) for s in export.segments] == [(0, 100), (130, len(p))]
    assert export.segments[0].n_filled == 5
    for seg in export.segments:
        assert seg.path.name == f"t_f{seg.start:05d}-{seg.stop - 1:05d}.trc"
        header, names, rows = _read_trc(seg.path)
        assert np.isfinite(rows).all() and rows.shape == (seg.stop - seg.start, 2 + 3 * len(names))
        assert header["Units"] == "m" and header["NumMarkers"] == str(len(KEYPOINTS) - 1)
        assert int(header["OrigDataStartFrame"]) == seg.start + 1
        assert "left_ear" not in names
        np.testing.assert_allclose(rows[:, 1], np.arange(seg.start, seg.stop) / FPS, atol=1e-6)
        k = names.index("hip")
        truth = run[seg.start : seg.stop, INDEX["hip"]] @ WORLD_TO_OPENSIM.T
        np.testing.assert_allclose(rows[:, 2 + 3 * k : 5 + 3 * k], truth, atol=1e-6)
    # the interpolated wrist is within 1 cm of where the runner's wrist was
    _, names, rows = _read_trc(export.segments[0].path)
    k = names.index("left_wrist")
    got = rows[40:45, 2 + 3 * k : 5 + 3 * k] @ WORLD_TO_OPENSIM  # back to world
    assert np.abs(got - run[40:45, INDEX["left_wrist"]]).max() < 0.01


def test_trc_of_a_complete_trial_is_one_file_and_short_runs_are_skipped(run, tmp_path):
    export = write_trc_segments(tmp_path / "t.trc", run, KEYPOINTS, FPS)
    assert [s.path.name for s in export.segments] == ["t.trc"] and export.skipped == []
    p = run.copy()
    p[5:20, INDEX["nose"]] = np.nan
    p[24:40, INDEX["nose"]] = np.nan  # frames 20-23: a 4-frame run
    export = write_trc_segments(
        tmp_path / "u.trc", p, KEYPOINTS, FPS, max_gap_frames=2, min_segment_frames=5
    )
    assert export.skipped == [(20, 24)]
    assert [(s.start, s.stop) for s in export.segments] == [(0, 5), (40, len(p))]


def test_fill_short_gaps_leaves_ends_and_long_gaps():
    x = np.arange(10.0)[:, None, None] * np.ones((1, 1, 3))
    x[[0, 3, 4, 6, 7, 8]] = np.nan
    out, filled = fill_short_gaps(x, 2)
    assert np.isnan(out[0]).all() and np.isnan(out[6:9]).all()  # an end; a 3-frame gap
    np.testing.assert_allclose(out[3:5, 0, 0], [3, 4])
    assert filled[:, 0].tolist() == [False, False, False, True, True] + [False] * 5


def test_mot_reads_back_as_opensim_storage(tmp_path):
    angles = {
        "knee_flexion_deg_left": np.array([10.0, 20.5, np.nan]),
        "hip_flexion_deg_left": np.array([1.0, 2.0, 3.0]),
    }
    write_mot(tmp_path / "a.mot", angles, 100.0)
    lines = (tmp_path / "a.mot").read_text().splitlines()
    end = lines.index("endheader")
    meta = dict(line.split("=") for line in lines[1:end])
    assert meta == {"version": "1", "nRows": "3", "nColumns": "3", "inDegrees": "yes"}
    columns = lines[end + 1].split("\t")
    data = np.array([[float(v) for v in line.split("\t")] for line in lines[end + 2 :]])
    assert columns == ["time", *angles] and data.shape == (3, 3)
    np.testing.assert_allclose(data[:, 0], [0, 0.01, 0.02])
    np.testing.assert_allclose(data[:2, 1], [10.0, 20.5]) and np.isnan(data[2, 1])


@pytest.mark.filterwarnings("ignore:No analog data found")
def test_c3d_events_read_back_with_the_c3d_reader(run, tmp_path):
    import c3d

    events = [
        GaitEvent("left", "foot strike", 12.4),
        GaitEvent("left", "toe-off", 40.0),
        GaitEvent("right", "foot strike", 70.6),
    ]
    write_c3d(tmp_path / "e.c3d", run, KEYPOINTS, FPS, events=events)
    with open(tmp_path / "e.c3d", "rb") as handle:
        reader = c3d.Reader(handle)
        assert reader.get("EVENT:USED").int16_value == 3
        labels = [s.strip() for s in reader.get("EVENT:LABELS").string_array]
        contexts = [s.strip() for s in reader.get("EVENT:CONTEXTS").string_array]
        times = reader.get("EVENT:TIMES").float_array  # (n, 2): minutes, seconds
        frames = [p for _, p, _ in reader.read_frames()]
    assert labels == ["Foot Strike", "Foot Off", "Foot Strike"]
    assert contexts == ["Left", "Left", "Right"]
    seconds = times[:, 0] * 60 + times[:, 1]
    # Vicon's convention: frame number = time x rate, the first frame numbered 1
    np.testing.assert_allclose(seconds * FPS - 1, [12.4, 40.0, 70.6], atol=1e-3)
    assert len(frames) == len(run)
    np.testing.assert_allclose(
        frames[70][INDEX["hip"], :3], run[70, INDEX["hip"]] * 1000, atol=0.05
    )


def _forward_kinematics(path):
    """World positions (F, J, 3) in the file's units from the `bvh` parser's channels."""
    from bvh import Bvh

    mocap = Bvh(path.read_text())
    joints = mocap.get_joints_names()
    out = np.zeros((mocap.nframes, len(joints), 3))
    glob = {}
    for j, name in enumerate(joints):
        channels = mocap.joint_channels(name)
        values = np.array(mocap.frames_joint_channels(name, channels))
        rot_channels = [c for c in channels if c.endswith("rotation")]
        order = "".join(c[0] for c in rot_channels)  # intrinsic, as BVH means it
        angles = values[:, [channels.index(c) for c in rot_channels]]
        rot = Rotation.from_euler(order.upper(), angles, degrees=True).as_matrix()
        offset = np.array(mocap.joint_offset(name))
        parent = mocap.joint_parent(name)
        if parent is None:
            pos = values[:, [channels.index(c) for c in ("Xposition", "Yposition", "Zposition")]]
            glob[name] = rot
        else:
            pname = parent.name
            pos = out[:, joints.index(pname)] + np.einsum("fij,j->fi", glob[pname], offset)
            glob[name] = np.einsum("fij,fjk->fik", glob[pname], rot)
        out[:, j] = pos
    return joints, out


def test_bvh_forward_kinematics_follows_the_runner(run, tmp_path):
    assert write_bvh(tmp_path / "r.bvh", run, KEYPOINTS, FPS) == (0, [])
    joints, fk = _forward_kinematics(tmp_path / "r.bvh")
    assert joints == list(HIERARCHY)
    data = run[:, [INDEX["hip" if j == "spine" else j] for j in joints]] @ WORLD_TO_OPENSIM.T * CM
    np.testing.assert_allclose(fk[:, 0], data[:, 0], atol=1e-3)  # the root: exact
    worst = {}
    for j, name in enumerate(joints):
        parent = HIERARCHY[name]
        if parent is None:
            continue
        p = joints.index(parent)
        a, b = fk[:, j] - fk[:, p], data[:, j] - data[:, p]
        if name == "spine":
            continue  # at the pelvis centre: no bone
        cos = np.einsum("fi,fi->f", a, b) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        worst[name] = np.degrees(np.arccos(np.clip(cos, -1, 1))).max()
    # single-child joints are turned exactly onto the measured bone, the hips exactly; where a
    # joint has several children (neck, ankles, nose) the fit is the best rotation for all
    exact = [
        n
        for n in joints
        if n not in ("spine", "hip")
        and (
            HIERARCHY[n] in ("hip", "spine")
            or sum(p == HIERARCHY[n] for p in HIERARCHY.values()) == 1
        )
    ]
    assert max(worst[n] for n in exact) < 0.01, worst
    assert max(worst.values()) < 1.0, worst
    err = np.linalg.norm(fk - data, axis=2)
    assert np.percentile(err, 95) < 2.0, np.percentile(err, 95)  # cm: bone lengths vary


def test_bvh_holds_the_last_pose_over_a_long_gap(run, tmp_path):
    p = run.copy()
    p[50:80, INDEX["left_wrist"]] = np.nan
    assert write_bvh(tmp_path / "g.bvh", p, KEYPOINTS, FPS, max_gap_frames=10) == (30, [])
    joints, fk = _forward_kinematics(tmp_path / "g.bvh")
    assert np.isfinite(fk).all()
    assert np.abs(fk[50:80] - fk[49]).max() < 1e-6  # the whole pose held


def test_bvh_leaves_out_end_joints_never_measured_and_names_a_missing_carrier(run, tmp_path):
    from bvh import Bvh

    p = run.copy()
    p[:, [INDEX["left_small_toe"], INDEX["right_small_toe"]]] = np.nan  # BlazePose has none
    held, left_out = write_bvh(tmp_path / "s.bvh", p, KEYPOINTS, FPS)
    assert held == 0 and sorted(left_out) == ["left_small_toe", "right_small_toe"]
    joints = Bvh((tmp_path / "s.bvh").read_text()).get_joints_names()
    assert (
        "left_small_toe" not in joints
        and "left_big_toe" in joints
        and len(joints) == len(HIERARCHY) - 2
    )
    p[:, INDEX["left_knee"]] = np.nan  # carries the shank
    with pytest.raises(ValueError, match="left_knee"):
        write_bvh(tmp_path / "k.bvh", p, KEYPOINTS, FPS)
