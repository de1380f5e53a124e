"""Which detected events the cameras time well: each event's predicted timing SD.

An event is timed by fitting a corner to the height of one foot point (the heel at a strike,
the shoe's tip at a toe-off, events.py) on the air side of the event. Moving the event by dt
moves each air-side sample of the model by -v dt (v: the point's vertical speed there), so
with height noise sigma per sample the least-squares event time has the Cramer-Rao SD

    sd_t = sigma / sqrt(sum_i v_i^2)

over the samples the fit uses (air side, within 2 fit windows of the event and below the fit
cap above the contact level). The height SD is what the camera geometry gives (points3d
`sd_per_px`, per px of 2D error), so sd_t is in seconds per px. A fixed height limit cannot
tell a runway camera 7.6 m away (3.9 mm/px, 200 fps, a sprinter's heel landing at 1-2 m/s)
from a treadmill rig's 3 m (1-1.5 mm/px, 100 Hz, a heel landing at 0.5 m/s): what matters is
how well the height pins the time, which depends on how fast the foot moves through it and
how many samples see it. Events whose timing SD exceeds the limit (analysis.
max_event_timing_sd_ms, and MAX_TIMING_SD_FRAMES of a frame) are set aside as poorly
observed; so are events whose timing point is not triangulated throughout the fit window
(gap-filled), unless the trial's events were aligned to their mean (event_template.py).

The SD limit is per px, and the pixel error differs by rig, so it means different timing
errors on different rigs; it was set on the synthetic runner at 1 px to catch points seen by
only 2 views at a grazing angle, whose heights near a strike were 32-69 mm rms off against
3-4.5 mm predicted (no third view to reject a wrong one; docs/metrics.md). Where the timing
point was seen by REDUNDANT_VIEWS or more views at every sample that times the event (those
the SD above sums over), the prediction holds (the runway: errors 1.0-1.4x it per px of the
detector's error) and the event is timed, its SD carried into the values read at it
(event_timing.py); the limit applies to the others. A sample of the foot resting on the floor
carries no timing information (the model is flat there: moving the event does not change it),
only the contact level, so fewer views there do not call for the limit (with two of the runway's
four cameras removed there, the screen sets aside the events that are off as well as with the
views counted over the whole fit window: docs/metrics.md). Given no view counts, the limit
applies to every event.

Events aligned to the trial's mean event are screened with the same single-fit SD. The
alignment's own Cramer-Rao SD (every sample of the four foot cues over its 150 ms window) is
a tenth or less of it, but does not predict the error: screened by it, the synthetic
overground runner's aligned strikes (up to 6 frames off at the camera circle's edge) put 6
of the 24 overground conditions of tests/test_gait_events.py over the issue #6 target.
"""

from __future__ import annotations

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.gait.angles import UP
from pipeline.gait.corner_fit import LEVEL_WINDOW_S, STRIKE_FIT_CAP_M, TOE_OFF_FIT_CAP_M
from pipeline.gait.foot_contact import FOOT, TOE_TIP_AHEAD_M, foot_cues, lowpass

# the corner fit's caps above the contact level, and its ground-side samples (LEVEL_WINDOW_S)
CAP_M = {"foot_strike": STRIKE_FIT_CAP_M, "toe_off": TOE_OFF_FIT_CAP_M}
# the vertical speed is read from the low-passed height (events.EventOptions.cutoff_hz default)
CUTOFF_HZ = 12.0
LEVEL_QUANTILE = 0.1  # the contact level: a low quantile of the heights around the event
# At high frame rates the corner fit's own bias on noisy strikes grows before its scatter does
# (synthetic overground runner, 1 px, 240 fps: strikes at 2.5-3 ms/px were 1.0-1.3 frames
# late): the timing SD is also held to this share of a frame per px.
MAX_TIMING_SD_FRAMES = 0.6
# Views of the timing point that leave redundancy (one wrong view can be rejected): with them
# the timing SD limit is not applied (module docstring).
REDUNDANT_VIEWS = 3


def cue_heights(
    points: np.ndarray, fps: float, side: str, toe_tip_ahead_m: float = TOE_TIP_AHEAD_M
) -> np.ndarray:
    """(2, F) low-passed heights of one foot's heel and toe tip (events.py's two cues)."""
    return np.stack(
        [lowpass(c @ UP, fps, CUTOFF_HZ) for c in foot_cues(points, side, toe_tip_ahead_m)]
    )


def _timing_samples(
    points: np.ndarray,
    fps: float,
    height_sd: np.ndarray,
    side: str,
    name: str,
    t: float,
    cue: int,
    fit_window_s: float,
    toe_tip_ahead_m: float,
    heights: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(frames, vertical speeds, height SDs) of the samples that time the event (module
    docstring); None where the cue's height is unknown around it."""
    if heights is None:
        heights = cue_heights(points, fps, side, toe_tip_ahead_m)
    height = heights[cue]
    strike = name == "foot_strike"
    span = 2 * max(3, int(round(fit_window_s * fps)))
    ground = int(LEVEL_WINDOW_S * fps) + 1
    centre = int(round(t))
    # The samples around the event that move the right way (down into a strike, up out of a
    # toe-off) within the fit cap of the contact level, on either side of the detected time:
    # the screen asks what the cameras allow, not whether this detection hit the corner.
    window = np.arange(max(centre - span, 1), min(centre + span + 1, len(height) - 1))
    around = height[max(centre - span - ground, 0) : centre + span + ground + 1]
    if window.size == 0 or not np.isfinite(around).any():
        return None
    level = float(np.nanquantile(around, LEVEL_QUANTILE))
    speed = np.gradient(height)[window] * fps
    with np.errstate(invalid="ignore"):
        keep = (height[window] - level <= CAP_M[name]) & ((speed < 0) if strike else (speed > 0))
    sigma = np.max(height_sd[window][:, timing_keypoints(side, cue)], axis=1)
    keep &= np.isfinite(sigma) & np.isfinite(speed)
    return window[keep], speed[keep], sigma[keep]


def timing_keypoints(side: str, cue: int) -> list[int]:
    """The keypoints an event's cue is placed from: the heel; the toe tip lies ahead of the big
    toe along the heel -> toe line, so both count for it."""
    return [INDEX[f"{side}_{FOOT[cue]}"]] + ([INDEX[f"{side}_heel"]] if cue == 1 else [])


def timing_sd_per_px(
    points: np.ndarray,
    fps: float,
    height_sd: np.ndarray,
    side: str,
    name: str,
    t: float,
    cue: int,
    fit_window_s: float = 0.04,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
    heights: np.ndarray | None = None,
) -> float:
    """Predicted SD (seconds per px of 2D error) of the event `name` ("foot_strike" /
    "toe_off") of `side` at frame `t`, timed from cue `cue` (0 heel, 1 tip) of `points`
    (F, 26, 3). `height_sd` (F, 26): vertical SD per px of each keypoint. NaN where the cue's
    height or its SD is unknown around the event. `heights`: that side's `cue_heights`, when
    the caller screens many events."""
    return _sd_of(
        _timing_samples(
            points, fps, height_sd, side, name, t, cue, fit_window_s, toe_tip_ahead_m, heights
        )
    )


def _sd_of(samples: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> float:
    """The Cramer-Rao timing SD of `_timing_samples` (NaN without any)."""
    if samples is None or not samples[0].size:
        return np.nan
    _, speed, sigma = samples
    if np.any(sigma == 0):  # a point given as exact (imported 3D with SD 0)
        return 0.0
    information = np.sum(speed**2 / sigma**2)
    return float(1.0 / np.sqrt(information)) if information > 0 else np.inf


def well_timed(
    points: np.ndarray,
    fps: float,
    height_sd: np.ndarray,
    side: str,
    name: str,
    t: float,
    cue: int,
    aligned: bool,
    half: int,
    max_timing_sd_s: float,
    fit_window_s: float = 0.04,
    toe_tip_ahead_m: float = TOE_TIP_AHEAD_M,
    heights: np.ndarray | None = None,
    n_views: np.ndarray | None = None,
) -> bool:
    """The cameras time this event: its timing point was triangulated throughout `half`
    frames around it, or the event was aligned to the trial's mean event (event_template.py),
    which needs only most of its window; and that point was seen by REDUNDANT_VIEWS views at
    every sample that times the event (`n_views` (F, 26), None: unknown), or its timing SD
    per px is within `max_timing_sd_s`."""
    window = slice(max(0, int(t) - half), int(t) + half + 2)
    sd = height_sd[:, INDEX[f"{side}_{FOOT[cue]}"]]
    seen = np.isfinite(sd[window])
    if not seen.any() or not (aligned or seen.all()):
        return False
    samples = _timing_samples(
        points, fps, height_sd, side, name, t, cue, fit_window_s, toe_tip_ahead_m, heights
    )
    if n_views is not None and samples is not None and samples[0].size:
        views = np.asarray(n_views)[samples[0]][:, timing_keypoints(side, cue)]
        if (views >= REDUNDANT_VIEWS).all():
            return True
    return bool(_sd_of(samples) <= min(max_timing_sd_s, MAX_TIMING_SD_FRAMES / fps))
