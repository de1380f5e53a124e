"""The foot-strike angle's SD and the pattern it can support (issue #29).

The angle is the foot pitch read at the detected strike (landing.py). A strike timed dt
frames off reads the pitch dt frames into the late swing or into the contact, and the two
differ: a real foot arrives held and rotates down about the heel only once the heel is on the
floor (hamner treadmill markers at their force-plate strikes, 2-5 m/s, 20 strikes: pitch
rate -74 .. +132 deg/s over the last 20 ms of swing, -506 .. -266 deg/s over the first 20 ms
of contact; tests/test_synth_touchdown.py), and that rotation speeds up over the first frames.
Which side of the true contact a mis-timed strike falls on is unknown, so the timing term is
the RMS pitch change over a normal timing error of the event's timing SD (event_timing.py),
read on the pitch series itself (Gauss-Hermite nodes): a straight line over 30 ms either
side turns a 1-2 frame error into the change of its whole window's mean rate, too much where
the foot is held and then accelerates (hamner, real-detector level: 1.6 x the reads' actual
change). The pitch's own SD is the scatter of the samples about a line each side of the
strike over NOISE_WINDOW_S (the pitch is nearly linear there), so it is that of the series
the angle is read from, after the 3D low-pass. A pattern whose cut-off lies within Z_PATTERN
SDs of the angle is marked uncertain (kept) with the reason.

The timing SD is the larger of the event's predicted one (its Cramer-Rao SD, event_timing.py)
and the strikes' measured scatter (interval_timing_sd): the prediction holds only the height
noise, and where the strike model does not fit the heel (the synthetic runner's, whose heel
lowers onto the floor with no vertical speed) the strikes scatter 2-3 times more. Neither holds
the error all of a trial's strikes share where they are aligned to its mean strike (the read
on that mean, event_timing.shared_read_sd), which is added in quadrature for a value read at
one strike (strike_timing_sd's `shared`); it cancels between two strikes (a step length).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipeline.gait.event_timing import shared_read_sd, timing_sd_of
from pipeline.gait.records import StrideDraft
from pipeline.gait.sampling import sample_at

NOISE_WINDOW_S = 0.03  # samples each side of the strike whose scatter about a line is the noise
# a normal timing error integrated at 9 Gauss-Hermite nodes (0, +-1.02, +-2.08, +-3.21, +-4.51 SD)
TIMING_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)
TIMING_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
MUST_SEE_SDS = 2.5  # nodes within this many SDs must be seen (those beyond weigh 0.6 %)
MIN_SAMPLES = 3
Z_PATTERN = 1.96  # a cut-off inside angle +- 1.96 SD: the pattern is uncertain
MIN_INTERVAL_DOF = 4  # pooled stride-time dof below which the strikes' scatter is not measured


def _line(pitch: np.ndarray, frames: np.ndarray) -> tuple[float, float, int]:
    """(slope in deg per frame, sum of squared residuals, residual dof) of a least-squares line
    through pitch[frames]; (NaN, 0, 0) with fewer than MIN_SAMPLES seen."""
    frames = frames[(frames >= 0) & (frames < len(pitch))]
    y = pitch[frames]
    keep = np.isfinite(y)
    if keep.sum() < MIN_SAMPLES:
        return np.nan, 0.0, 0
    x = frames[keep].astype(float)
    coef = np.polyfit(x, y[keep], 1)
    residual = y[keep] - np.polyval(coef, x)
    return float(coef[0]), float(residual @ residual), int(keep.sum()) - 2


def interval_timing_sd(stride_frames: Mapping[str, Sequence[float | None]]) -> float | None:
    """Strike timing SD (frames) measured from the strikes themselves: each stride time
    (strike to the next strike of the same foot, frames) differs from its side's mean by the
    runner's own stride-to-stride change plus the two strikes' errors, so for independent
    errors of SD s, var(stride time) = var(runner) + 2 s^2, and SD / sqrt(2) (the sides'
    pooled SD, each about its own mean) is an upper bound on s, equal to it for a runner of
    constant rhythm. It holds no error the strikes share (an offset of all of them). None with
    fewer than MIN_INTERVAL_DOF pooled degrees of freedom."""
    squares, dof = 0.0, 0
    for times in stride_frames.values():
        values = np.asarray([t for t in times if t is not None and np.isfinite(t)], float)
        if values.size >= 2:
            squares += float(np.sum((values - values.mean()) ** 2))
            dof += values.size - 1
    if dof < MIN_INTERVAL_DOF:
        return None
    return float(np.sqrt(squares / dof / 2.0))


def strike_scatter(strides: Sequence[StrideDraft], fps: float) -> float | None:
    """interval_timing_sd of the strides' stride times (frames), per side."""
    frames: dict[str, list[float | None]] = {"left": [], "right": []}
    for stride in strides:
        stride_ms = stride.values.get("stride_time_ms")
        if stride_ms is not None:
            frames[stride.side].append(stride_ms * fps / 1000.0)
    return interval_timing_sd(frames)


def strike_timing_sd(
    timing: dict | None, side: str, frame: float, scatter: float | None, shared: bool = True
) -> float:
    """A strike's timing SD (frames) as the values read at it use it: the larger of its
    predicted one (event_timing.timing_sd_of: 0 for given events, NaN unknown) and the strikes'
    `scatter` (strike_scatter; None: not measured), with `shared` the trial's strikes' shared
    read SD in quadrature (for a value read at this strike alone)."""
    sd = timing_sd_of(timing, side, "foot_strike", frame)
    own = max(sd, scatter) if scatter is not None and np.isfinite(sd) else sd
    return float(np.hypot(own, shared_read_sd(timing, "foot_strike"))) if shared else own


def strike_angle_sd(
    pitch: np.ndarray, strike: float, fps: float, timing_sd_frames: float | None
) -> float:
    """SD (deg) of the pitch read at `strike` (frames): the pitch's own noise (the residuals
    of a line each side of the strike, over NOISE_WINDOW_S) and, for a detected strike, its
    timing SD in frames (None: a given strike, no timing error) through the pitch curve
    (timing_read_sd). NaN where either side has too few samples or the timing SD is unknown."""
    span = NOISE_WINDOW_S * fps
    before = np.arange(np.ceil(strike - span), np.floor(strike) + 1).astype(int)
    after = np.arange(np.ceil(strike), np.floor(strike + span) + 1).astype(int)
    (_, sse_before, dof_before), (_, sse_after, dof_after) = (
        _line(pitch, before),
        _line(pitch, after),
    )
    if dof_before == 0 or dof_after == 0:
        return np.nan
    noise = np.sqrt((sse_before + sse_after) / (dof_before + dof_after))
    if timing_sd_frames is None:
        return float(noise)
    return float(np.hypot(noise, timing_read_sd(pitch, strike, timing_sd_frames)))


def timing_read_sd(pitch: np.ndarray, strike: float, timing_sd_frames: float) -> float:
    """RMS (deg) of pitch(strike) - pitch(true strike) for a true strike off by a zero-mean
    normal error of SD `timing_sd_frames`, the pitch interpolated between its samples. The
    samples' own noise is in each difference too (at most twice its variance), so a noisy
    series reads this high. NaN where a node within MUST_SEE_SDS is not seen; nodes beyond it
    that are not seen are left out."""
    if not np.isfinite(timing_sd_frames):
        return np.nan
    at = float(sample_at(pitch, strike))
    moved = np.array([float(sample_at(pitch, strike + timing_sd_frames * x)) for x in TIMING_NODES])
    seen = np.isfinite(moved)
    if not np.isfinite(at) or not seen[np.abs(TIMING_NODES) <= MUST_SEE_SDS].all():
        return np.nan
    weights = TIMING_WEIGHTS[seen]
    return float(np.sqrt(weights @ (moved[seen] - at) ** 2 / weights.sum()))


def uncertain_pattern_note(
    angle: float | None, sd: float | None, cut_offs: dict[str, float]
) -> str | None:
    """Why the pattern cannot be told from `angle` +- Z_PATTERN `sd` (a cut-off inside that
    interval), or None when it can (or the SD is unknown)."""
    if angle is None or sd is None or not np.isfinite(sd) or sd <= 0.0:
        return None
    for name, cut in cut_offs.items():
        if abs(angle - cut) < Z_PATTERN * sd:
            return (
                f"pattern uncertain: foot-strike angle {angle:.1f} +- {Z_PATTERN * sd:.1f} deg "
                f"(1.96 SD: strike timing and keypoint noise) spans the {name} cut-off "
                f"{cut:+.1f} deg"
            )
    return None
