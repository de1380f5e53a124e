"""Camera time offsets from the keypoints and the calibration (cross-view agreement).

For every camera pair: (1) an integer lag from a coarse scan of the epipolar residual over
the allowed lags, (2) a sub-frame lag from a fine scan (0.1 frame steps, both cameras
interpolated) fitted by a parabola, (3) its standard error by a jackknife over ten time
blocks, and a check that no other lag agrees almost as well (a runner's stride period, a
person standing still). The pair lags are then solved for one offset per camera against the
reference (weighted least squares; a pair that disagrees with the others by more than
MAX_PAIR_Z standard errors is left out and named), which gives each camera's standard error.

The residual of each keypoint is centred on its median over the trial: a calibration that
agrees only to 10-20 px between views (converted marker-system calibrations) adds a steady
per-keypoint disagreement that flattens the cost and can move its minimum by frames; motion
out of step is what changes with the lag.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from pipeline.core.camera_set import CameraSet
from pipeline.core.skeleton import without_face_from_behind
from pipeline.sync.epipolar import Pair, interpolate, normalized_observations

MIN_FRAMES = 40  # frames the cameras must share at the largest lag searched
MAX_COARSE_FRAMES = 800  # instants of the coarse scan (evenly spaced)
MAX_FINE_FRAMES = 3000  # instants of the fine scan
FINE_HALF_WIDTH = 2.0
FINE_STEP = 0.1
DELTAS = np.arange(-FINE_HALF_WIDTH, FINE_HALF_WIDTH + FINE_STEP / 2, FINE_STEP)
FINE_MOVES = 3
FIT_HALF_WIDTH = 1.0
BLOCKS = 10  # jackknife blocks (contiguous in time)
AMBIGUITY_RATIO = 0.3  # a second minimum closer than this share of the scan's depth: ambiguous
AMBIGUITY_MIN_SEPARATION = 3
MAX_PAIR_Z = 4.0
SE_FLOOR = 0.02  # frames: no pair is trusted beyond this
MIN_SCALE_PX = 0.5
MIN_POINTS = 200  # keypoint pairs a lag needs to be scored
MIN_KEYPOINT_INSTANTS = 20  # a keypoint's own residual scale needs this many instants


class SyncTooShort(ValueError):
    """The trial cannot be timed at all (too few frames)."""


@dataclass
class PairLag:
    i: int
    j: int
    lag: float = np.nan  # d_j - d_i, frames
    se: float = np.inf
    coarse: int = 0
    ambiguous: bool = False
    second_lag: int | None = None  # the competing lag when ambiguous
    used: bool = True
    note: str = ""
    coarse_cost: np.ndarray | None = None


@dataclass
class KeypointSync:
    offsets: np.ndarray  # (C,) frames; NaN where not measured; [0] = 0
    sd: np.ndarray  # (C,) standard error, frames; inf where not measured
    pairs: list[PairLag] = field(default_factory=list)
    search_frames: int = 0
    notes: dict[int, str] = field(default_factory=dict)  # camera -> why not measured


def search_range(n_frames: int, fps: float, max_offset_s: float) -> int:
    """Largest lag searched: the configured one, or less where the trial would leave fewer than
    MIN_FRAMES shared frames."""
    return int(min(round(max_offset_s * fps), n_frames - MIN_FRAMES))


def estimate_offsets(
    points2d: np.ndarray,
    cameras: CameraSet,
    fps: float,
    max_offset_s: float,
    min_score: float,
    seed: int = 0,
) -> KeypointSync:
    """(C, F, K, 3) detections -> each camera's offset against camera 0 (see module doc)."""
    n_cams, n_frames = points2d.shape[:2]
    max_lag = search_range(n_frames, fps, max_offset_s)
    if max_lag < 1:
        raise SyncTooShort(
            f"{n_frames} frames: timing the cameras needs at least "
            f"{MIN_FRAMES + 1} frames ({(MIN_FRAMES + 1) / fps:.2f} s at {fps:g} fps)"
        )
    # a detector's face seen from behind is a guess that moves with the pose: it reads as motion
    obs = normalized_observations(without_face_from_behind(points2d, min_score), cameras, min_score)
    ij = [(i, j) for i in range(n_cams) for j in range(i + 1, n_cams)]
    # pairs on a thread pool (numpy releases the GIL in its loops); one random stream per
    # pair, so the result does not depend on the thread count
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        pairs = list(
            pool.map(
                lambda p: pair_lag(
                    Pair.of(obs, cameras, *p), max_lag, np.random.default_rng([seed, *p])
                ),
                ij,
            )
        )
    offsets, sd, notes = solve_offsets(n_cams, pairs)
    return KeypointSync(offsets, sd, pairs, max_lag, notes)


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _instants(n_frames: int, limit: int) -> np.ndarray:
    """Evenly spaced integer frames (at most `limit`)."""
    step = max(1, int(np.ceil(n_frames / limit)))
    return np.arange(0, n_frames, step, dtype=float)


def _median(r: np.ndarray) -> np.ndarray:
    """Per-keypoint median over instants (n, K) -> (K,); NaN for a keypoint never seen by
    both (a sort along time: NaN sorts last; nanmedian is 5x slower here)."""
    s = np.sort(r, axis=0)
    count = np.isfinite(r).sum(axis=0)
    cols = np.arange(r.shape[1])
    lo, hi = np.maximum(count - 1, 0) // 2, count // 2
    med = 0.5 * (s[lo, cols] + s[np.minimum(hi, max(r.shape[0] - 1, 0)), cols])
    med[count == 0] = np.nan
    return med


def _centred(r: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    return np.abs(r - (_median(r) if bias is None else bias))


def pair_lag(pair: Pair, max_lag: int, rng: np.random.Generator) -> PairLag:
    out = PairLag(pair.i, pair.j)
    n_frames = pair.obs_i.shape[0]
    # 1. coarse: median centred residual at every integer lag
    times = _instants(n_frames, MAX_COARSE_FRAMES)
    lags = np.arange(-max_lag, max_lag + 1)
    coarse = np.full(lags.size, np.nan)
    xi = interpolate(pair.obs_i, times)
    for n, lag in enumerate(lags):
        r = _centred(pair.signed_residuals(times, float(lag), xi))
        r = r[np.isfinite(r)]
        if r.size >= MIN_POINTS:
            coarse[n] = np.median(r)
    out.coarse_cost = coarse
    if not np.isfinite(coarse).any():
        out.note = "too few keypoints seen by both cameras"
        out.used = False
        return out
    best = int(np.nanargmin(coarse))
    out.coarse = int(lags[best])
    if abs(out.coarse) == max_lag:
        # the cost still falls at the edge of the search: the lag may lie beyond it
        out.note = (
            f"best lag {out.coarse:+d} is at the edge of the search (+-{max_lag} frames): "
            "the offset may be larger; raise sync.max_offset_s"
        )
        out.used = False
        return out
    second = _second_minimum(coarse, best)
    if second is not None:
        depth = np.nanmedian(coarse) - coarse[best]
        if not depth > 0 or coarse[second] - coarse[best] < AMBIGUITY_RATIO * depth:
            out.ambiguous, out.second_lag = True, int(lags[second])
    # 2. fine scan around it, both cameras interpolated at random phases, Cauchy cost; the
    # scan moves (up to FINE_MOVES times) while its lowest sample is at an edge
    instants = _instants(n_frames, MAX_FINE_FRAMES)
    instants = instants + rng.uniform(0.0, 1.0, instants.size)
    xi = interpolate(pair.obs_i, instants)
    centre = float(out.coarse)
    for _ in range(FINE_MOVES):
        sums, counts = _fine_scan(pair, instants, xi, centre, n_frames)
        total = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1)
        k = int(np.argmin(total))
        if 0 < k < total.size - 1 or abs(centre + DELTAS[k]) > max_lag:
            break
        centre = float(np.round(centre + DELTAS[k]))
    fine = _parabola_minimum(DELTAS, total)
    if fine is None:
        out.note = "no minimum near the coarse lag"
        out.used = False
        return out
    estimates: list[float] = []
    for b in range(BLOCKS):
        keep = counts.sum(axis=1) - counts[:, b]
        if keep.min() < MIN_POINTS:
            continue
        est = _parabola_minimum(DELTAS, (sums.sum(axis=1) - sums[:, b]) / keep)
        estimates.append(np.nan if est is None else est)
    loo = np.array(estimates)
    if loo.size < 3 or not np.isfinite(loo).all():
        se = np.inf
    else:
        se = float(np.sqrt((loo.size - 1) / loo.size * np.sum((loo - loo.mean()) ** 2)))
    out.lag = centre + fine
    out.se = max(se, SE_FLOOR)
    return out


def _fine_scan(pair: Pair, instants: np.ndarray, xi: np.ndarray, centre: float, n_frames: int):
    """Cauchy cost sums and counts (len(DELTAS), BLOCKS) at lags centre + DELTAS; its scale is
    each keypoint's centred residual's robust SD at the centre."""
    r0 = pair.signed_residuals(instants, centre, xi)
    bias = _median(r0)
    c0 = _centred(r0, bias)
    # each keypoint's own noise (a detector's wrists or guessed far-side joints are several
    # times noisier than its hips): residuals in units of it, as a likelihood would weigh them
    overall = float(np.median(c0[np.isfinite(c0)])) if np.isfinite(c0).any() else 1.0
    scale = 1.4826 * np.where(
        np.isfinite(c0).sum(axis=0) >= MIN_KEYPOINT_INSTANTS, _median(c0), overall
    )
    scale = np.maximum(np.nan_to_num(scale, nan=1.4826 * overall), MIN_SCALE_PX)
    block = np.minimum((instants / n_frames * BLOCKS).astype(int), BLOCKS - 1)
    sums = np.zeros((DELTAS.size, BLOCKS))
    counts = np.zeros((DELTAS.size, BLOCKS))
    for n, delta in enumerate(DELTAS):
        r = _centred(pair.signed_residuals(instants, float(centre + delta), xi), bias)
        cost = np.log1p((r / scale) ** 2)
        ok = np.isfinite(cost)
        sums[n] = np.bincount(block, np.where(ok, cost, 0.0).sum(axis=1), BLOCKS)
        counts[n] = np.bincount(block, ok.sum(axis=1), BLOCKS)
    return sums, counts


def _second_minimum(cost: np.ndarray, best: int) -> int | None:
    """The lowest local minimum (over +-2 lags) at least AMBIGUITY_MIN_SEPARATION lags from
    `best`, or None."""
    c = np.where(np.isfinite(cost), cost, np.inf)
    padded = np.pad(c, 2, constant_values=np.inf)
    local = np.ones(c.size, bool)
    for shift in (-2, -1, 1, 2):
        local &= c <= padded[2 + shift : 2 + shift + c.size]
    idx = np.nonzero(
        local & np.isfinite(c) & (np.abs(np.arange(c.size) - best) >= AMBIGUITY_MIN_SEPARATION)
    )[0]
    if idx.size == 0:
        return None
    return int(idx[np.argmin(c[idx])])


def _parabola_minimum(x: np.ndarray, y: np.ndarray) -> float | None:
    """Vertex of a parabola fitted to (x, y) within FIT_HALF_WIDTH of the lowest sample; None
    when the lowest sample is at the edge of the scan or the fit is not convex."""
    if not np.isfinite(y).all():
        return None
    k = int(np.argmin(y))
    if k == 0 or k == y.size - 1:
        return None
    sel = np.abs(x - x[k]) <= FIT_HALF_WIDTH + 1e-9
    a, b, _ = np.polyfit(x[sel] - x[k], y[sel], 2)
    if not a > 0:
        return None
    vertex = -b / (2 * a)
    if abs(vertex) > FIT_HALF_WIDTH:
        return None
    return float(x[k] + vertex)


def solve_offsets(n_cams: int, pairs: list[PairLag]):
    """Weighted least squares d_j - d_i = lag_ij with d_0 = 0 over the usable pairs; a pair more
    than MAX_PAIR_Z of its standard error from the solution is dropped (the worst first)."""
    notes: dict[int, str] = {}
    for p in pairs:
        if p.ambiguous:
            p.used = False
            p.note = p.note or (
                f"lag {p.coarse} and lag {p.second_lag} agree almost equally "
                "well (periodic or little motion)"
            )
        elif not np.isfinite(p.lag) or not np.isfinite(p.se):
            p.used = False
            p.note = p.note or "no stable minimum"
    while True:
        offsets, sd = _weighted_solve(n_cams, [p for p in pairs if p.used])
        used = [p for p in pairs if p.used]
        if len(used) <= n_cams - 1:
            break
        z = [
            abs(offsets[p.j] - offsets[p.i] - p.lag) / p.se
            if np.isfinite(offsets[p.j] - offsets[p.i])
            else 0.0
            for p in used
        ]
        worst = int(np.argmax(z))
        if z[worst] <= MAX_PAIR_Z:
            break
        used[worst].used = False
        used[worst].note = (
            f"lag {used[worst].lag:+.2f} disagrees with the other pairs "
            f"({z[worst]:.1f} standard errors)"
        )
    for c in range(1, n_cams):
        if not np.isfinite(offsets[c]):
            why = [f"{p.i}-{p.j}: {p.note}" for p in pairs if c in (p.i, p.j) and p.note]
            notes[c] = "; ".join(why) or "no usable camera pair links it to the reference"
    return offsets, sd, notes


def _weighted_solve(n_cams: int, pairs: list[PairLag]):
    offsets = np.full(n_cams, np.nan)
    sd = np.full(n_cams, np.inf)
    offsets[0], sd[0] = 0.0, 0.0
    # cameras linked to the reference through usable pairs
    linked = {0}
    grew = True
    while grew:
        grew = False
        for p in pairs:
            if (p.i in linked) != (p.j in linked):
                linked |= {p.i, p.j}
                grew = True
    unknown = sorted(linked - {0})
    if not unknown:
        return offsets, sd
    col = {c: n for n, c in enumerate(unknown)}
    rows = [p for p in pairs if p.i in linked and p.j in linked]
    A = np.zeros((len(rows), len(unknown)))
    b = np.zeros(len(rows))
    w = np.zeros(len(rows))
    for r, p in enumerate(rows):
        if p.j in col:
            A[r, col[p.j]] += 1.0
        if p.i in col:
            A[r, col[p.i]] -= 1.0
        b[r] = p.lag
        w[r] = 1.0 / p.se**2
    normal = A.T @ (w[:, None] * A)
    cov = np.linalg.inv(normal)
    x = cov @ (A.T @ (w * b))
    dof = len(rows) - len(unknown)
    if dof > 0:
        # pairs that disagree among themselves more than their errors say: the errors are
        # understated (a detector's systematic error is not in the jackknife), widen them
        chi2 = float(np.sum(w * (A @ x - b) ** 2))
        cov = cov * max(1.0, chi2 / dof)
    for c, n in col.items():
        offsets[c] = x[n]
        sd[c] = float(np.sqrt(cov[n, n]))
    return offsets, sd
