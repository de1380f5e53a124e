"""What every 2D pose backend produces, keypoint mapping onto Halpe-26, and runner selection.

A backend turns ONE camera's frames (an iterator of BGR uint8 arrays) into, per frame, the
list of candidate people it found (`list[Person]`, possibly empty). Backends never choose the
runner: `select_runner` / `select_runners` do, with the documented rule in `PersonSelectionConfig`.
The result per camera is an array (F, 26, 3) [x px, y px, score] in the canonical order of
`pipeline.core.skeleton`, with NaN, NaN, 0 wherever nobody (or no keypoint) was detected: an
explicit gap, never zeros.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.config import PersonSelectionConfig
from pipeline.core.skeleton import INDEX, KEYPOINTS, N_KEYPOINTS

Source = int | tuple[int, ...]


# --- people ---------------------------------------------------------------------------------
def empty_keypoints(n_frames: int | None = None) -> np.ndarray:
    """All-missing canonical keypoints: (26, 3) or (F, 26, 3) of NaN, NaN, 0."""
    shape = (N_KEYPOINTS, 3) if n_frames is None else (n_frames, N_KEYPOINTS, 3)
    out = np.full(shape, np.nan)
    out[..., 2] = 0.0
    return out


def valid_mask(keypoints: np.ndarray, min_score: float = 0.0) -> np.ndarray:
    """(..., K) True where a keypoint has finite coordinates and a score > min_score."""
    kp = np.asarray(keypoints, float)
    return (
        np.isfinite(kp[..., :2]).all(axis=-1) & np.isfinite(kp[..., 2]) & (kp[..., 2] > min_score)
    )


def keypoint_box(keypoints: np.ndarray, min_score: float = 0.0) -> np.ndarray | None:
    """Tight box [x0, y0, x1, y1] around the valid keypoints, None when there is none."""
    ok = valid_mask(keypoints, min_score)
    if not ok.any():
        return None
    xy = np.asarray(keypoints, float)[ok, :2]
    return np.array([xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()])


@dataclass
class Person:
    """One candidate person in one frame.

    keypoints: (26, 3) canonical Halpe-26 [x px, y px, score] in full-frame pixels, missing =
        NaN, NaN, 0. bbox: [x0, y0, x1, y1] px (the detector's box, or the keypoints' box).
    score: mean score of the keypoints the backend located (finite coordinates, score > 0).
    """

    keypoints: np.ndarray
    bbox: np.ndarray
    score: float

    @classmethod
    def from_keypoints(cls, keypoints: np.ndarray, bbox: np.ndarray | None = None) -> Person:
        kp = np.array(keypoints, dtype=float).reshape(N_KEYPOINTS, 3)
        bad = ~valid_mask(kp)
        kp[bad, :2] = np.nan
        kp[bad, 2] = 0.0
        if bbox is None:
            bbox = keypoint_box(kp)
            if bbox is None:
                bbox = np.full(4, np.nan)
        ok = ~bad
        score = float(kp[ok, 2].mean()) if ok.any() else 0.0
        return cls(kp, np.asarray(bbox, float).reshape(4), score)

    @property
    def n_valid(self) -> int:
        return int(valid_mask(self.keypoints).sum())


class PoseBackend(Protocol):
    """A 2D pose backend. `detect` restarts any tracking state at each call (one call = one
    camera's video) and yields one list of candidate people per input frame, in order.

    A backend MAY also have `detect_cameras(steps)`: `steps` yields one frame per camera of a
    synchronized recording (same camera order every time), and it yields per step one list of
    candidates per camera, tracking each camera on its own. `detect_cameras` below uses it
    when present (RTMPose fills its forward passes with crops of several cameras)."""

    name: str

    def detect(self, frames: Iterable[np.ndarray]) -> Iterator[list[Person]]: ...


def detect_video(
    backend: PoseBackend, path: Path | str, desc: str | None = None
) -> list[list[Person]]:
    """Run a backend over one video (streaming decode, progress bar on a terminal)."""
    from pipeline.core.progress import progress
    from pipeline.io.video import iter_frames, probe

    info = probe(path)
    frames = progress(
        iter_frames(path), desc=desc or f"{backend.name} {Path(path).name}", total=info.n_frames
    )
    return list(backend.detect(frames))


def iter_lockstep(paths: Sequence[Path | str]) -> Iterator[tuple[np.ndarray, ...]]:
    """One frame of every video per step: each video decoded once, streaming (constant memory).
    A video that ends before the others is a VideoError, never a silently shorter recording."""
    from pipeline.io.video import VideoError, iter_frames

    for f, step in enumerate(itertools.zip_longest(*[iter_frames(p) for p in paths])):
        ended = [Path(p).name for p, frame in zip(paths, step) if frame is None]
        if ended:
            raise VideoError(
                f"{', '.join(ended)} ended after {f} frames while the other cameras "
                f"go on: the videos of one recording must have the same frames"
            )
        yield step


def detect_cameras(
    backend: PoseBackend, videos: Sequence[Path | str], names: Sequence[str] | None = None
) -> list[list[list[Person]]]:
    """candidates[c][f] for the synchronized videos of one recording. A backend with a native
    `detect_cameras` gets all videos decoded in lockstep (one progress bar for all cameras);
    any other runs `detect_video` camera after camera (one progress bar each)."""
    from pipeline.core.progress import progress
    from pipeline.io.video import probe

    if not videos:
        return []
    names = list(names) if names is not None else [Path(v).stem for v in videos]
    native = getattr(backend, "detect_cameras", None)
    if native is None:
        return [detect_video(backend, v, desc=f"{backend.name} {n}") for v, n in zip(videos, names)]
    # one bar for the trial: a step is one frame of every camera
    steps = progress(
        iter_lockstep(videos),
        desc=f"{backend.name} {'+'.join(names)}",
        total=probe(videos[0]).n_frames,
    )
    out: list[list[list[Person]]] = [[] for _ in videos]
    for per_camera in native(steps):
        for c, people in enumerate(per_camera):
            out[c].append(people)
    return out


# --- keypoint mapping -----------------------------------------------------------------------
class KeypointMapping:
    """Maps a backend's keypoint array (..., N, 3) onto Halpe-26 (..., 26, 3).

    `table` maps a canonical name to a source index, or to a tuple of source indices whose
    midpoint is taken (score = the minimum of the parents' scores; missing if any parent is
    missing). Canonical keypoints absent from the table are always missing (NaN, 0). Source
    keypoints with a non-finite coordinate or a score <= 0 count as missing.
    """

    def __init__(self, name: str, n_source: int, table: dict[str, Source]):
        unknown = [k for k in table if k not in INDEX]
        if unknown:
            raise KeyError(f"mapping {name}: unknown canonical keypoint(s) {unknown}")
        for k, src in table.items():
            for i in src if isinstance(src, tuple) else (src,):
                if not 0 <= i < n_source:
                    raise IndexError(f"mapping {name}: {k} <- {i} outside 0..{n_source - 1}")
        self.name, self.n_source, self.table = name, n_source, dict(table)

    @property
    def derived(self) -> list[str]:
        return [k for k, s in self.table.items() if isinstance(s, tuple)]

    @property
    def unavailable(self) -> list[str]:
        return [k for k in KEYPOINTS if k not in self.table]

    def apply(self, source: np.ndarray) -> np.ndarray:
        src = np.asarray(source, float)
        if src.shape[-2:] != (self.n_source, 3):
            raise ValueError(
                f"mapping {self.name}: expected (..., {self.n_source}, 3), got {src.shape}"
            )
        src = src.copy()
        bad = ~valid_mask(src)
        src[bad, :2] = np.nan
        src[bad, 2] = 0.0
        out = np.full(src.shape[:-2] + (N_KEYPOINTS, 3), np.nan)
        out[..., 2] = 0.0
        for name, s in self.table.items():
            j = INDEX[name]
            if isinstance(s, tuple):
                parents = src[..., list(s), :]  # (..., P, 3)
                out[..., j, :2] = parents[..., :2].mean(axis=-2)  # NaN if any parent is NaN
                out[..., j, 2] = parents[..., 2].min(axis=-1)
            else:
                out[..., j, :] = src[..., s, :]
        missing = ~valid_mask(out)
        out[missing, :2] = np.nan
        out[missing, 2] = 0.0
        return out


# --- runner selection -----------------------------------------------------------------------
def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return 0.0
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


KEYPOINT_SCALE = 0.25  # keypoint closeness is 0 at a median displacement of 1/4 box diagonal


def similarity(prev: Person, cand: Person, min_score: float = 0.2) -> float:
    """max(box IoU, 1 - median keypoint distance / (KEYPOINT_SCALE x previous box diagonal)),
    in [0, 1]; the median runs over keypoints valid (score > min_score) in both."""
    iou = box_iou(prev.bbox, cand.bbox)
    both = valid_mask(prev.keypoints, min_score) & valid_mask(cand.keypoints, min_score)
    kp_sim = 0.0
    if both.sum() >= 3 and np.isfinite(prev.bbox).all():
        diag = float(np.hypot(prev.bbox[2] - prev.bbox[0], prev.bbox[3] - prev.bbox[1]))
        if diag > 0:
            d = np.median(
                np.linalg.norm(prev.keypoints[both, :2] - cand.keypoints[both, :2], axis=-1)
            )
            kp_sim = max(0.0, 1.0 - d / (KEYPOINT_SCALE * diag))
    return max(iou, kp_sim)


def _init_score(p: Person, rule: str, image_size: tuple[int, int] | None) -> float:
    b = p.bbox
    area = max(0.0, (b[2] - b[0])) * max(0.0, (b[3] - b[1]))
    if image_size is None or rule == "largest":
        return area
    w, h = image_size
    dist = np.hypot((b[0] + b[2]) / 2 - w / 2, (b[1] + b[3]) / 2 - h / 2) / (0.5 * np.hypot(w, h))
    if rule == "central":
        return -dist
    return area * max(0.0, 1.0 - dist)


def select_track(
    candidates: Sequence[Sequence[Person]],
    config: PersonSelectionConfig = PersonSelectionConfig(),
    image_size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Index of the selected candidate per frame (-1 = gap), by the rule of PersonSelectionConfig.

    image_size = (width, height) for the "central" rules; without it "largest" is used.
    """
    chosen = np.full(len(candidates), -1, dtype=int)
    last: Person | None = None
    gap = 0
    for f, people in enumerate(candidates):
        usable = [
            i
            for i, p in enumerate(people)
            if valid_mask(p.keypoints, config.min_score).sum() >= config.min_keypoints
            and np.isfinite(p.bbox).all()
        ]
        pick = -1
        if usable and last is not None:
            sims = [similarity(last, people[i], config.min_score) for i in usable]
            best = int(np.argmax(sims))
            if sims[best] >= config.min_similarity:
                pick = usable[best]
        elif usable:
            pick = max(usable, key=lambda i: _init_score(people[i], config.init_rule, image_size))
        if pick >= 0:
            chosen[f], last, gap = pick, people[pick], 0
        else:
            gap += 1
            if gap > config.max_gap:
                last = None
    return chosen


def _gather(candidates: Sequence[Sequence[Person]], chosen: np.ndarray) -> np.ndarray:
    out = empty_keypoints(len(candidates))
    for f, i in enumerate(chosen):
        if i >= 0:
            out[f] = candidates[f][i].keypoints
    return out


def select_runner(
    candidates: Sequence[Sequence[Person]],
    config: PersonSelectionConfig = PersonSelectionConfig(),
    image_size: tuple[int, int] | None = None,
) -> np.ndarray:
    """One camera: (F, 26, 3) keypoints of the runner, NaN/0 in frames without a selection."""
    return _gather(candidates, select_track(candidates, config, image_size))


def _reprojection_cost(points: np.ndarray, cameras, min_score: float) -> np.ndarray:
    """points (C, N, K, 3) -> (N,) mean over cameras of the per-camera mean reprojection error
    of the keypoints triangulated from all cameras (inf where fewer than 2 cameras / points)."""
    from pipeline.core.dlt import triangulate_dlt
    from pipeline.core.geometry import project

    tri = triangulate_dlt(points, cameras, min_score=min_score, min_views=2)
    errors = []
    for c, cam in enumerate(cameras):
        used = valid_mask(points[c], min_score) & np.isfinite(tri.points).all(axis=-1)
        d = np.linalg.norm(project(cam, tri.points) - points[c, ..., :2], axis=-1)
        with np.errstate(invalid="ignore"):
            e = np.where(used, d, 0.0).sum(axis=-1) / used.sum(axis=-1)
        errors.append(np.where(used.sum(axis=-1) >= 3, e, np.nan))
    errors = np.array(errors)  # (C, N)
    n_cams = np.isfinite(errors).sum(axis=0)
    with np.errstate(invalid="ignore"):
        cost = np.nansum(errors, axis=0) / n_cams
    return np.where(n_cams >= 2, cost, np.inf)


def select_runners(
    candidates: Sequence[Sequence[Sequence[Person]]],
    cameras=None,
    config: PersonSelectionConfig = PersonSelectionConfig(),
    image_sizes: Sequence[tuple[int, int]] | None = None,
) -> np.ndarray:
    """All cameras of one recording: (C, F, 26, 3).

    candidates[c][f] = the candidate people of camera c in frame f. Each camera is tracked by
    `select_track`; with `cameras` (list of pipeline.core.geometry.Camera, same order), the
    cross-view check of PersonSelectionConfig then corrects frames whose tracked combination is
    geometrically inconsistent.
    """
    n_cams = len(candidates)
    n_frames = {len(c) for c in candidates}
    if len(n_frames) != 1:
        raise ValueError(f"cameras have different frame counts {sorted(n_frames)}")
    if image_sizes is None:
        image_sizes = [cam.size for cam in cameras] if cameras is not None else [None] * n_cams
    chosen = np.stack([select_track(candidates[c], config, image_sizes[c]) for c in range(n_cams)])
    if cameras is not None:
        if len(cameras) != n_cams:
            raise ValueError(
                f"{n_cams} cameras of candidates but {len(cameras)} calibrated cameras"
            )
        chosen = _cross_view(candidates, chosen, cameras, config)
    return np.stack([_gather(candidates[c], chosen[c]) for c in range(n_cams)])


def _cross_view(
    candidates, chosen: np.ndarray, cameras, config: PersonSelectionConfig
) -> np.ndarray:
    chosen = chosen.copy()
    n_cams, n_frames = chosen.shape
    for f in range(n_frames):
        options = []
        for c in range(n_cams):
            people = candidates[c][f]
            order = sorted(
                range(len(people)), key=lambda i: -_init_score(people[i], "largest", None)
            )
            opts = order[: config.max_candidates]
            if chosen[c, f] >= 0 and chosen[c, f] not in opts:
                opts.append(int(chosen[c, f]))
            options.append(opts or [-1])
        if sum(o != [-1] for o in options) < 2 or all(len(o) == 1 for o in options):
            continue
        combos = list(itertools.product(*options))
        tracked = tuple(int(chosen[c, f]) for c in range(n_cams))
        if tracked not in combos:
            combos.append(tracked)
        pts = np.stack(
            [
                np.stack(
                    [
                        candidates[c][f][i].keypoints if i >= 0 else empty_keypoints()
                        for c, i in enumerate(combo)
                    ]
                )
                for combo in combos
            ],
            axis=1,
        )  # (C, N, K, 3)
        cost = _reprojection_cost(pts, cameras, config.min_score)
        t = combos.index(tracked)
        if cost[t] <= config.max_reprojection_px:
            continue
        best = int(np.argmin(cost))
        if cost[best] <= config.max_reprojection_px:
            chosen[:, f] = combos[best]
    return chosen
