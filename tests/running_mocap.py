"""Test helper (a stop-gap until the 3D import of issue #25 is merged): the shared treadmill
running of ../shared/data/running-mocap/hamner-subject04 as Halpe-26 keypoints, and its
force-plate contacts.

Only the foot keypoints are faithful markers (heel = CAL, big toe = TOE, small toe = MT5); the
hip centres follow Harrington (2007) from ASIS/PSIS; knees and ankles are rough estimates
(no knee or ankle landmark in this data set: the #25 marker sets use the clusters). World:
Z up, X along the belt, metres; OpenSim's (X, Y up, Z right) becomes (X, -Z, Y).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.skeleton import INDEX, N_KEYPOINTS

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "running-mocap"
HAMNER = SHARED / "hamner-subject04"
TREADMILL_TRIALS = {"run200": 2.0, "run300": 3.0, "run400": 4.0, "run500": 5.0}
CONTACT_N = 50.0          # vertical force above this is contact (flight noise reaches ~40 N)


def read_trc(path: Path) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
    """(rate Hz, time s, {marker: (F, 3) world metres, NaN where missing})."""
    lines = path.read_text().splitlines()
    rate = float(lines[2].split("\t")[0])
    names = [n for n in lines[3].split("\t")[2:] if n.strip()]
    rows = [r.split("\t") for r in lines[5:] if r.strip()]
    width = 2 + 3 * len(names)
    data = np.array([[float(v) if v.strip() else np.nan for v in (r + [""] * width)[:width]]
                     for r in rows])
    xyz = data[:, 2:].reshape(len(rows), len(names), 3) / 1000.0
    world = np.stack([xyz[..., 0], -xyz[..., 2], xyz[..., 1]], axis=-1)
    return rate, data[:, 1], {n: world[:, i] for i, n in enumerate(names)}


def read_contacts(path: Path, marker_time: np.ndarray, rate: float) -> dict[str, dict]:
    """Force-plate events per side in marker frames (fractional): {"foot_strike", "toe_off"}.
    Only contacts with both edges inside the marker recording are kept whole; an edge cut by
    either recording's ends is left out."""
    lines = path.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "endheader") + 1
    header = lines[start].split("\t")
    data = np.loadtxt(lines[start + 1:])
    t = data[:, 0]
    out = {}
    for side, prefix in (("left", "L"), ("right", "R")):
        on = data[:, header.index(f"{prefix}_ground_force_vy")] > CONTACT_N
        change = np.flatnonzero(np.diff(on.astype(int)))
        strikes = [t[i + 1] for i in change if on[i + 1]]
        offs = [t[i] for i in change if not on[i + 1]]
        lo, hi = max(t[0], marker_time[0]), min(t[-1], marker_time[-1])
        out[side] = {name: np.array([(x - marker_time[0]) * rate for x in times if lo < x < hi])
                     for name, times in (("foot_strike", strikes), ("toe_off", offs))}
    return out


def _harrington(m: dict) -> tuple[np.ndarray, np.ndarray]:
    asis = 0.5 * (m["LASI"] + m["RASI"])
    psis = 0.5 * (m["LPSI"] + m["RPSI"])
    right = m["RASI"] - m["LASI"]
    width = np.linalg.norm(right, axis=1, keepdims=True)
    z = right / width
    x = asis - psis
    x -= (x * z).sum(1, keepdims=True) * z
    depth = np.linalg.norm(x, axis=1, keepdims=True)
    x /= depth
    y = np.cross(z, x)
    base = asis + x * (-0.24 * depth - 0.0099) + y * (-0.30 * width - 0.0109)
    lateral = z * (0.33 * width + 0.0073)
    return base - lateral, base + lateral       # left, right hip centres


def keypoints_from_markers(m: dict) -> np.ndarray:
    """(F, 26, 3) Halpe-26 keypoints from the Hamner markers (see module docstring)."""
    n = len(next(iter(m.values())))
    out = np.full((n, N_KEYPOINTS, 3), np.nan)
    left_hip, right_hip = _harrington(m)
    hips = {"left": left_hip, "right": right_hip}
    up = np.array([0.0, 0.0, 1.0])
    for side, s in (("left", "L"), ("right", "R")):
        heel, toe = m[f"{s}CAL"], m[f"{s}TOE"]
        mt5 = m.get(f"{s}MT5")
        foot = toe - heel
        foot /= np.linalg.norm(foot, axis=1, keepdims=True)
        foot_up = up - (foot @ up)[:, None] * foot
        foot_up /= np.linalg.norm(foot_up, axis=1, keepdims=True)
        ankle = heel + 0.05 * foot + 0.06 * foot_up
        shank = np.mean([m[f"{s}TB{k}"] for k in (1, 2, 3)], axis=0)
        thigh = np.mean([m[f"{s}TH{k}"] for k in (1, 2, 3)], axis=0)
        knee = 0.5 * (shank + thigh)
        lateral = np.cross(up, foot) * (1 if side == "left" else -1)
        small = mt5 if mt5 is not None else toe - 0.03 * foot + 0.04 * lateral
        for name, value in (("hip", hips[side]), ("knee", knee), ("ankle", ankle),
                            ("heel", heel), ("big_toe", toe), ("small_toe", small),
                            ("shoulder", m[f"{s}ACR"]),
                            ("elbow", 0.5 * (m[f"{s}LEL"] + m[f"{s}MEL"])),
                            ("wrist", 0.5 * (m[f"{s}FAradius"] + m[f"{s}FAulna"]))):
            out[:, INDEX[f"{side}_{name}"]] = value
    neck = 0.5 * (m["CLAV"] + m["C7"])
    head = neck + 0.22 * up
    out[:, INDEX["neck"]] = neck
    out[:, INDEX["head"]] = head
    out[:, INDEX["hip"]] = 0.5 * (left_hip + right_hip)
    front = m["CLAV"] - m["C7"]
    front[:, 2] = 0
    front /= np.linalg.norm(front, axis=1, keepdims=True)
    side_axis = np.cross(up, front)
    face = head - 0.08 * up + 0.09 * front
    out[:, INDEX["nose"]] = face
    for side, sign in (("left", 1), ("right", -1)):
        out[:, INDEX[f"{side}_eye"]] = face + 0.03 * up + sign * 0.03 * side_axis
        out[:, INDEX[f"{side}_ear"]] = head - 0.06 * up + sign * 0.07 * side_axis
    return out


def treadmill_trial(name: str):
    """(keypoints (F, 26, 3), fps, force-plate events, belt speed m/s) of a hamner trial."""
    rate, time, markers = read_trc(HAMNER / name / "markers.trc")
    points = keypoints_from_markers(markers)
    # centre the runner over the origin (the synthetic rig looks there), floor stays at Z = 0
    centre = np.nanmean(points[:, INDEX["hip"], :2], axis=0)
    points[..., :2] -= centre
    events = read_contacts(HAMNER / name / "grf.mot", time, rate)
    return points, rate, events, TREADMILL_TRIALS[name]


def observed_trial(points: np.ndarray, fps: float, seed: int, level=None):
    """The keypoints seen by the synthetic detector at the real level without its keypoint
    definition bias (conf/detector/synthetic_real.yaml, noise seed + `seed`) through the demo
    rig at the trial's own rate, triangulated as the triangulate stage does.
    Returns (points, points before the low-pass, vertical SD per px (F, 26))."""
    import dataclasses
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from real_level_metrics import load_level

    from pipeline.config import RigConfig, TriangulationConfig
    from pipeline.synth.observe import observe_with_truth
    from pipeline.synth.rig import make_rig
    from pipeline.triangulation.run import triangulate_recording
    from pipeline.triangulation.uncertainty import predicted_sd

    level = load_level() if level is None else level
    noise = dataclasses.replace(level, keypoint_bias_m=0.0, seed=level.seed + seed)
    cameras = make_rig(RigConfig(fps=fps))
    seen = observe_with_truth(points, cameras, noise)
    result = triangulate_recording(seen.keypoints, cameras, fps, TriangulationConfig())
    height_sd = predicted_sd(result.points, cameras, result.views_used)[..., 2]
    return result.points, result.points_unfiltered, height_sd
