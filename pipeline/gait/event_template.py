"""Event times from the whole trial: each event aligned to the trial's own mean event.

A foot touches down and lifts off the same way stride after stride, so the heights of the
heel and the toe tip around every strike (toe-off) of a trial are one shape, shifted in time,
plus noise. Aligning each event's samples to the mean of the others uses every sample of
the descent (lift-off) instead of the few near the corner, and the corner is then read
once, on the mean, whose noise is that of one event over the square root of their number.
With a real detector's 3D (heights 8-10 mm SD per frame) a corner read on one event's
samples is off by several frames; the aligned mean is not (docs/metrics.md, Events).

Steps, per event type (strikes and toe-offs separately, both feet pooled):
1. samples of the foot's heights (heel, toe tip, then ankle and small toe: NaN where not seen)
   on a window around each event's current time, each less its own contact level (median of
   its samples on the ground side);
2. each event's shift that best fits the mean of the *other* events (least squares over all
   cues, a free level per cue, sub-frame grid, at most MAX_SHIFT_S in all), repeated
   ALIGN_PASSES times; the shifts are
   then centred (their mean carries no information, the template's corner does);
3. the event read on the mean (`corner` callback, events.py: for strikes the single-event
   corner fit with its speed term free, for toe-offs `peel_off_time` below) gives the common
   offset added to every aligned time. events.py uses this where the height noise is too
   high for one event.
   With its speed term free the corner fit snaps to the template's samples (a sample just
   below the contact level is a kink of the squared residuals): shifted by fractions of a
   frame, a noise-free template's read less the shift varies over up to half a frame.
   With `dither` the template is also sampled PHASES - 1 sub-frame phases apart and the read
   is the median of the reads, each less its phase (docs/metrics.md: toe-offs only; strikes
   came out worse).
4. the read's own error, shared by every aligned event of the type, has an SD: the read is
   repeated on the means of READ_SD_RESAMPLES bootstrap resamples of the events (read_sd).
   A bootstrap rather than a jackknife: the read is an argmin over a grid and a median over
   phases, not smooth in the events, where the jackknife's variance is not consistent (as for
   a median; Efron 1982) and, with ~5 events, comes from 5 reads (docs/metrics.md).
An event takes part when MIN_COVERAGE of its window is seen, counted over the cues its foot
has at all (a marker set or detector without a small toe must not hold every event back).
"""

from __future__ import annotations

import warnings

import numpy as np

ALIGN_PASSES = 4
SHIFT_RANGE = 3.0  # frames searched per pass around the current time
MAX_SHIFT_S = 0.05  # total shift allowed from an event's own time (no jump to another)
SHIFT_STEP = 0.1  # frames
MIN_EVENTS = 3  # fewer: no template, events keep their single-event times
MIN_COVERAGE = 0.6  # share of an event's window samples that must be seen to align it
LEVEL_S = 0.05  # ground-side samples giving an event's contact level
PHASES = 8  # sub-frame sampling phases of the template a dithered corner read takes
# The toe-off's read on the mean: heights up to this far above the mean's lowest sample (the
# whole peel-off's start, not only the last few samples near the floor)
PEEL_CAP_M = 0.05
# ... from this many fit half-windows before the toe-off's edge: the fitted level must span
# the tip cue's descent as the heel rises; over 2 it sat at the bottom of that dip and read
# the toe-offs 0.6 frame early on noise-free keypoints (docs/metrics.md)
PEEL_GROUND_HALVES = 3
READ_SD_METHOD = "bootstrap"  # or "jackknife", kept to compare against (step 4)
READ_SD_RESAMPLES = 50  # the SD then has a sampling error of about 10 %
READ_SD_SEED = 0  # fixed: an analysis gives the same SDs on every run
JACKKNIFE_GROUPS = 10


def window_frames(fps: float, strike: bool, pad: int = 0) -> np.ndarray:
    """Offsets (frames) sampled around an event: mostly the air side, where the cues move;
    `pad` more on each side."""
    air, ground = int(round(0.10 * fps)) + pad, int(round(0.05 * fps)) + pad
    return np.arange(-air, ground + 1) if strike else np.arange(-ground, air + 1)


def sample(signal: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Linear interpolation of a (C, F) signal at fractional frames; NaN outside or next to
    an unseen sample."""
    out = np.full((signal.shape[0], times.size), np.nan)
    lower = np.floor(times).astype(int)
    ok = (lower >= 0) & (lower + 1 < signal.shape[1])
    lo, frac = lower[ok], (times - np.floor(times))[ok]
    out[:, ok] = (1 - frac) * signal[:, lo] + frac * signal[:, lo + 1]
    return out


def aligned_times(
    signals: list[np.ndarray],
    times: np.ndarray,
    fps: float,
    strike: bool,
    corner,
    corner_pad: int = 0,
    dither: bool = False,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(times, aligned mask, read SD): event times refined by the template of all events, and
    the SD (frames) of the mean event's read that all aligned events share (read_sd; NaN when
    no event is aligned).

    `signals[i]` (C, F): the cue heights of event i's foot (NaN where not seen); `times`
    its current times (frames). `corner(template (C, W), offsets (W,), n averaged) -> frame
    offset or NaN` reads the event on the mean of the aligned events (heights above each
    one's contact level), sampled `corner_pad` frames beyond the alignment window on each
    side. Events with too few seen samples, or all events when fewer than MIN_EVENTS can be
    aligned or the corner cannot be read, keep their time (mask False). `dither`: the corner
    is read at PHASES sub-frame sampling phases of the template (module docstring)."""
    times = np.asarray(times, float)
    offsets = window_frames(fps, strike)
    level_n = max(3, int(round(LEVEL_S * fps)))
    ground = (
        (offsets >= 0) & (offsets < level_n) if strike else (offsets <= 0) & (offsets > -level_n)
    )
    shift = np.zeros(times.size)
    grid = np.arange(-SHIFT_RANGE, SHIFT_RANGE + SHIFT_STEP / 2, SHIFT_STEP)

    def window(i, extra, where=offsets):
        s = sample(signals[i], times[i] + shift[i] + extra + where)
        on = sample(signals[i], times[i] + shift[i] + extra + offsets)[:, ground]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a cue not seen on the ground
            return s - np.nanmedian(on, axis=1, keepdims=True)

    # a cue the foot never has (a marker set without it, a keypoint never seen) does not count
    # against an event's coverage
    present = [np.isfinite(s).any(axis=1) for s in signals]
    usable = np.array(
        [
            present[i].any() and np.isfinite(window(i, 0.0)[present[i]]).mean() >= MIN_COVERAGE
            for i in range(times.size)
        ]
    )
    if usable.sum() < MIN_EVENTS:
        return times, np.zeros(times.size, bool), np.nan
    index = np.flatnonzero(usable)
    for _ in range(ALIGN_PASSES):
        stack = np.stack([window(i, 0.0) for i in index])  # (N, C, W)
        total, count = np.nansum(stack, axis=0), np.isfinite(stack).sum(axis=0)
        for n, i in enumerate(index):
            own = np.isfinite(stack[n])
            others = count - own
            with np.errstate(invalid="ignore", divide="ignore"):
                template = (total - np.where(own, stack[n], 0.0)) / others
            template[others == 0] = np.nan
            at = (times[i] + shift[i] + grid[:, None] + offsets[None]).ravel()  # (G * W)
            r = sample(signals[i], at).reshape(-1, grid.size, offsets.size).transpose(1, 0, 2)
            r = r - template[None]  # (G, C, W)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a cue never seen
                r = r - np.nanmean(r, axis=2, keepdims=True)  # free level per cue
                costs = np.nanmean((r * r).reshape(grid.size, -1), axis=1)
            costs = np.where(np.isfinite(costs), costs, np.inf)
            limit = MAX_SHIFT_S * fps
            shift[i] = np.clip(shift[i] + grid[int(np.argmin(costs))], -limit, limit)
        shift[index] -= shift[index].mean()
    wide = window_frames(fps, strike, corner_pad)
    phases = (np.arange(PHASES) + 0.5) / PHASES - 0.5 if dither else np.zeros(1)
    stacks = [np.stack([window(i, phase, wide) for i in index]) for phase in phases]

    def read(members: np.ndarray) -> float:
        """The corner read on the mean of the aligned events `members` (rows of the stacks)."""
        reads = []
        for phase, stack in zip(phases, stacks):
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a window column nobody saw
                template = np.nanmean(stack[members], axis=0)
            reads.append(corner(template, wide, members.size) + phase)
        reads = [r for r in reads if np.isfinite(r)]
        return float(np.median(reads)) if reads else np.nan

    offset = read(np.arange(index.size))
    if not np.isfinite(offset):
        return times, np.zeros(times.size, bool), np.nan
    out = times.copy()
    out[index] = times[index] + shift[index] + offset
    return out, usable, read_sd(read, index.size)


def read_sd(read, n: int) -> float:
    """SD (frames) of the mean event's read over the sampling of its events: `read(members)`
    re-read on the mean of a subset of the n aligned events (indices), no realignment.
    READ_SD_METHOD "bootstrap": the SD of the reads of READ_SD_RESAMPLES resamples drawn with
    replacement (fixed seed); "jackknife": leaving out one of up to JACKKNIFE_GROUPS groups of
    events at a time. NaN where too few resamples can be read."""
    if READ_SD_METHOD == "jackknife":
        groups = np.array_split(np.arange(n), min(n, JACKKNIFE_GROUPS))
        reads = np.array([read(np.setdiff1d(np.arange(n), g)) for g in groups])
        reads = reads[np.isfinite(reads)]
        g = reads.size
        if g < 3:
            return np.nan
        return float(np.sqrt((g - 1) / g * np.sum((reads - reads.mean()) ** 2)))
    rng = np.random.default_rng(READ_SD_SEED)
    reads = np.array([read(rng.integers(0, n, n)) for _ in range(READ_SD_RESAMPLES)])
    reads = reads[np.isfinite(reads)]
    return float(np.std(reads, ddof=1)) if reads.size >= READ_SD_RESAMPLES // 2 else np.nan


def peel_off_time(height: np.ndarray, edge: int, half: int, grid_step: float) -> float:
    """Toe-off (fractional index into `height`, the mean event's toe-tip heights) near `edge`:
    a flat floor at a level fitted with the corner, then h = L + b s^2 (b >= 0: the tip peeled
    off with no vertical speed), least squares over the samples from PEEL_GROUND_HALVES `half`
    before `edge` to 2 `half` after it that lie less than PEEL_CAP_M above the lowest,
    candidates within `half` of `edge`. The level is fitted rather than the median of the
    ground side: before the toe-off that cue dips as the heel rises, by more the faster the
    runner, and a level from the dip put the corner late on a slow runner and early on a fast
    one (docs/metrics.md). No speed term: with one, the noise
    pulled the read late on a slow lift. NaN when fewer than 3 samples."""
    lo = max(0, edge - PEEL_GROUND_HALVES * half)
    hi = min(height.size, edge + 2 * half + 1)
    frames = np.arange(lo, hi, dtype=float)
    y = height[lo:hi]
    finite = np.isfinite(y)
    if finite.sum() < 3:
        return np.nan
    with np.errstate(invalid="ignore"):
        keep = finite & (y <= np.nanmin(y) + PEEL_CAP_M)
    frames, y = frames[keep], y[keep]
    if y.size < 3:
        return np.nan
    grid = np.arange(edge - half, edge + half + grid_step / 2, grid_step)
    x = np.maximum(frames[None] - grid[:, None], 0.0) ** 2  # (G, n)
    dx = x - x.mean(axis=1, keepdims=True)
    var = (dx * dx).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.maximum(np.where(var > 0, dx @ (y - y.mean()) / var, 0.0), 0.0)
    level = y.mean() - b * x.mean(axis=1)
    sse = ((y[None] - level[:, None] - b[:, None] * x) ** 2).sum(axis=1)
    return float(grid[np.argmin(sse)])
