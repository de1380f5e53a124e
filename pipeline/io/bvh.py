"""BVH (Biovision hierarchy) of the skeleton for animation tools (Blender, MotionBuilder, ...).

Hierarchy: the pelvis centre (`hip`) is the root, every Halpe-26 keypoint a joint (below),
plus `spine` at the pelvis centre, which carries the trunk.
Axes and units as animation tools expect: Y up, centimetres, X forward, Z to the runner's
right (the TRC's OpenSim frame, exports.WORLD_TO_OPENSIM). Rotation channels Zrotation
Xrotation Yrotation (intrinsic, the matrix is Rz Rx Ry), the root also has positions.

The rest pose (OFFSETs) is the median bone vector over the trial seen in the root's frame,
scaled to the median bone length. Each frame, a joint with one child turns its bone onto the
measured direction by the smallest rotation from where its parent carried it; a joint with
several children (neck, ankles, nose) takes the rotation that best fits all of them
(Kabsch); the root follows the hips exactly and the trunk only for its roll. Bone lengths are the rest lengths, so joint positions differ from the measured ones
by each bone's length change; directions match the measured ones (exactly for single-child
joints). Missing keypoints: short gaps interpolated, the rest held at the last pose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.io.atomic import write_text
from pipeline.io.exports import WORLD_TO_OPENSIM, fill_short_gaps

# child -> parent; the order is the file's joint order (a parent before its children)
HIERARCHY: dict[str, str | None] = {
    "hip": None,
    "left_hip": "hip",
    "left_knee": "left_hip",
    "left_ankle": "left_knee",
    "left_big_toe": "left_ankle",
    "left_small_toe": "left_big_toe",
    "left_heel": "left_ankle",
    "right_hip": "hip",
    "right_knee": "right_hip",
    "right_ankle": "right_knee",
    "right_big_toe": "right_ankle",
    "right_small_toe": "right_big_toe",
    "right_heel": "right_ankle",
    "spine": "hip",
    "neck": "spine",
    "head": "neck",
    "nose": "head",
    "left_eye": "nose",
    "left_ear": "left_eye",
    "right_eye": "nose",
    "right_ear": "right_eye",
    "left_shoulder": "neck",
    "left_elbow": "left_shoulder",
    "left_wrist": "left_elbow",
    "right_shoulder": "neck",
    "right_elbow": "right_shoulder",
    "right_wrist": "right_elbow",
}
CM = 100.0
# not a keypoint: a joint at the pelvis centre carrying the trunk, so the trunk turns on its own
SPINE = "spine"
# the root's rotation: the hips (left-right axis) exactly, the trunk only to settle the roll
ROOT_FIT = {"left_hip": 1.0, "right_hip": 1.0, "neck": 1e-3}


def _children(name: str, tree: dict[str, str | None] = HIERARCHY) -> list[str]:
    return [c for c, p in tree.items() if p == name]


def skeleton_tree(
    points: np.ndarray, names: tuple[str, ...]
) -> tuple[dict[str, str | None], list[str]]:
    """HIERARCHY without the end joints this recording never measured (e.g. the small toes a
    detector does not give), and their names; a missing joint that carries others is an error."""
    index = {n: i for i, n in enumerate(names)}
    measured = {
        n
        for n in HIERARCHY
        if n == SPINE or (n in index and np.isfinite(points[:, index[n]]).all(axis=1).any())
    }
    tree, left_out = dict(HIERARCHY), []
    while True:
        ends = [n for n in tree if n not in measured and not _children(n, tree)]
        if not ends:
            break
        for n in ends:
            del tree[n]
            left_out.append(n)
    needed = [n for n in tree if n not in measured] + [n for n in ROOT_FIT if n not in tree]
    if "hip" not in tree or needed:
        raise ValueError(
            f"BVH export needs the keypoints {sorted(set(needed) | ({'hip'} - set(tree)))}, "
            "which this recording never measured"
        )
    return tree, left_out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _kabsch(rest: np.ndarray, now: np.ndarray, weights=None) -> np.ndarray:
    """(F, 3, 3) rotations R with R @ rest[i] ~ now[:, i]; rest (n, 3), now (F, n, 3)."""
    w = np.ones(len(rest)) if weights is None else np.asarray(weights, float)
    h = np.einsum("n,ni,fnj->fij", w, rest, now)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("fji,fkj->fik", vt, u)))
    fix = np.zeros((len(now), 3, 3))
    fix[:, 0, 0] = fix[:, 1, 1] = 1.0
    fix[:, 2, 2] = d
    return np.einsum("fji,fjk,flk->fil", vt, fix, u)


def _smallest_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 3, 3) the smallest rotations taking unit vectors a (F, 3) onto b (F, 3)."""
    v = np.cross(a, b)
    c = np.einsum("fi,fi->f", a, b)
    k = np.zeros((len(a), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    k -= np.transpose(k, (0, 2, 1))
    scale = np.where(c > -1 + 1e-9, 1.0 / (1.0 + c), 0.0)[:, None, None]
    return np.eye(3) + k + np.einsum("fij,fjk->fik", k, k) * scale


def euler_zxy_deg(m: np.ndarray) -> np.ndarray:
    """(F, 3) angles (z, x, y) in degrees of rotation matrices m = Rz Rx Ry (F, 3, 3)."""
    x = np.arcsin(np.clip(m[:, 2, 1], -1.0, 1.0))
    z = np.arctan2(-m[:, 0, 1], m[:, 1, 1])
    y = np.arctan2(-m[:, 2, 0], m[:, 2, 2])
    return np.degrees(np.stack([z, x, y], axis=1))


def skeleton_motion(
    points: np.ndarray,
    names: tuple[str, ...],
    tree: dict[str, str | None],
    max_gap_frames: int = 10,
):
    """(offsets {joint: (3,) cm}, root positions (F, 3) cm, local rotations {joint: (F, 3, 3)})
    in the BVH frame (Y up), from world points (F, K, 3) metres, for the joints of `tree`."""
    index = {n: i for i, n in enumerate(names)}
    index[SPINE] = index["hip"]
    pts, _ = fill_short_gaps(points[:, [index[n] for n in tree]], max_gap_frames)
    pts = pts @ WORLD_TO_OPENSIM.T * CM
    pts = _hold_last(pts)
    joint = {n: i for i, n in enumerate(tree)}
    bone = {c: pts[:, joint[c]] - pts[:, joint[p]] for c, p in tree.items() if p}
    # the root's frame each frame: fitted to the hips and trunk, from their median directions
    guess = np.stack([_unit(np.median(bone[c], axis=0)) for c in ROOT_FIT])
    root_now = _kabsch(
        guess, np.stack([_unit(bone[c]) for c in ROOT_FIT], axis=1), list(ROOT_FIT.values())
    )
    rest = {SPINE: np.zeros(3)}
    for c in bone:  # median bone vector in the root's frame: the rest pose
        if c == SPINE:
            continue
        in_root = np.einsum("fji,fj->fi", root_now, bone[c])
        length = np.median(np.linalg.norm(bone[c], axis=1))
        rest[c] = _unit(np.median(in_root, axis=0)) * length
    offsets = {"hip": np.zeros(3), **rest}
    glob: dict[str, np.ndarray] = {}
    for name, parent in tree.items():
        kids = _children(name, tree)
        carried = np.broadcast_to(np.eye(3), (len(pts), 3, 3)) if parent is None else glob[parent]
        if parent is None:
            glob[name] = _kabsch(
                np.stack([_unit(rest[k]) for k in ROOT_FIT]),
                np.stack([_unit(bone[k]) for k in ROOT_FIT], axis=1),
                list(ROOT_FIT.values()),
            )
        elif not kids:
            glob[name] = carried
        elif len(kids) == 1:
            was = _unit(np.einsum("fij,j->fi", carried, rest[kids[0]]))
            glob[name] = np.einsum(
                "fij,fjk->fik", _smallest_rotation(was, _unit(bone[kids[0]])), carried
            )
        else:
            glob[name] = _kabsch(
                np.stack([_unit(rest[k]) for k in kids]),
                np.stack([_unit(bone[k]) for k in kids], axis=1),
            )
    local = {
        n: (glob[n] if p is None else np.einsum("fji,fjk->fik", glob[p], glob[n]))
        for n, p in tree.items()
    }
    return offsets, pts[:, joint["hip"]], local


def _hold_last(pts: np.ndarray) -> np.ndarray:
    """Frames with a missing joint take the last complete frame (the first complete one at
    the start); a trial with no complete frame cannot be exported."""
    complete = np.isfinite(pts).all(axis=(1, 2))
    if not complete.any():
        raise ValueError("no frame has every keypoint of the BVH skeleton: nothing to export")
    source = np.where(complete, np.arange(len(pts)), -1)
    source = np.maximum.accumulate(source)
    source[source < 0] = np.flatnonzero(complete)[0]
    return pts[source]


def write_bvh(
    path: Path | str,
    points: np.ndarray,
    names: tuple[str, ...],
    fps: float,
    max_gap_frames: int = 10,
) -> tuple[int, list[str]]:
    """Write the BVH; returns the frames that held the last pose (a keypoint missing) and the
    end joints left out (never measured)."""
    tree, left_out = skeleton_tree(points, names)
    index = {n: i for i, n in enumerate(names)}
    sub = points[:, [index[n] for n in tree if n != SPINE]]
    offsets, root, local = skeleton_motion(points, names, tree, max_gap_frames)
    lines, order = ["HIERARCHY"], []

    def emit(name: str, depth: int) -> None:
        order.append(name)
        pad = "  " * depth
        kind = "ROOT" if tree[name] is None else "JOINT"
        lines.append(f"{pad}{kind} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET " + " ".join(f"{v:.4f}" for v in offsets[name]))
        lines.append(
            f"{pad}  CHANNELS "
            + ("6 Xposition Yposition Zposition " if kind == "ROOT" else "3 ")
            + "Zrotation Xrotation Yrotation"
        )
        kids = _children(name, tree)
        for kid in kids:
            emit(kid, depth + 1)
        if not kids:
            lines.extend(
                [
                    f"{pad}  End Site",
                    pad + "  {",
                    f"{pad}    OFFSET 0.0000 0.0000 0.0000",
                    pad + "  }",
                ]
            )
        lines.append(pad + "}")

    emit("hip", 0)
    angles = {n: euler_zxy_deg(local[n]) for n in tree}
    lines += ["MOTION", f"Frames: {len(points)}", f"Frame Time: {1.0 / fps:.8f}"]
    for f in range(len(points)):
        values = list(root[f]) + [v for n in order for v in angles[n][f]]
        lines.append(" ".join(f"{v:.4f}" for v in values))
    write_text(path, "\n".join(lines) + "\n")
    held = ~np.isfinite(fill_short_gaps(sub, max_gap_frames)[0]).all(axis=(1, 2))
    return int(held.sum()), left_out
