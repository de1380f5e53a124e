"""SDs of the per-stride distances read from the 3D at events (issues #26 and #29):
overstride, vertical oscillation, step length, vertical ratio and the overground stride length.

Each is built as the other per-stride values are (stance_reader.at_timed): a position read at
an event has the SD its keypoints' per-point SDs give it (the SDs the analyze stage passes
in; each curve here is a linear combination of heel, big toe and hips, so its SD is exact:
var = sum_k w_k^2 sum_a d_a^2 sd_ka^2 over keypoints k with weight w_k along direction d,
what stance_fit.series_sd's Jacobian gives without its subsampling) and, for a detected event, the event's timing SD
(event_timing.py) times the curve's slope there. Reads at different events are taken as
independent (as temporal_sd.py does): a difference adds them in quadrature, a ratio by the
delta method. A distance between two footprints is read in the ground's frame, so on a
treadmill the slope at a strike is the foot's speed relative to the belt (a planted foot's is
zero). The vertical oscillation is a range of samples (highest minus lowest pelvis height):
its SD is that of the two samples, plus the timing term where one is the stride's first or
last. None, never 0, where an SD is unknown: no point SDs, a keypoint not measured there, a
detected event without a timing SD. Where a read carries the strikes' shared read, its part
goes apart in the stride's shared_uncertainty too (summary.sd_of_mean).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from pipeline.core.skeleton import INDEX
from pipeline.gait.angles import SIDES, body_axes, foot_point, hip_centre
from pipeline.gait.bounce import oscillation_extremes, step_start
from pipeline.gait.event_timing import read_with_shared_part
from pipeline.gait.landing import overstride_curve
from pipeline.gait.records import Events, StrideDraft
from pipeline.gait.sampling import sample_at
from pipeline.gait.strike_pitch import strike_scatter, strike_timing_sd

SPATIAL_SD_METRICS = (
    "overstride_m",
    "vertical_oscillation_m",
    "step_length_m",
    "vertical_ratio",
    "stride_length_m",  # overground only: on a treadmill it is belt x time (temporal_sd.py)
)


def axis_variance(point_sd: np.ndarray, terms: list[tuple[str, float]]) -> np.ndarray:
    """(F, 3) variance along X, Y, Z of sum_k w_k p_k over `terms` (keypoint name, w_k),
    from `point_sd` (F, 26, 3): each keypoint's axes independent; NaN where one is not
    measured."""
    variance = np.zeros(point_sd.shape[:1] + (3,))
    for name, w in terms:
        variance = variance + w**2 * point_sd[:, INDEX[name], :] ** 2
    return variance


class Curve:
    """A linear curve of the keypoints, values . direction, with its per-frame SD and slope."""

    def __init__(
        self,
        values: np.ndarray,
        variance: np.ndarray,
        direction: np.ndarray,
        drift_per_frame: float = 0.0,
    ):
        """`values` (F,); `variance` (F, 3) axis_variance of the points the curve combines;
        `drift_per_frame` added to the slope (a treadmill footprint's belt travel, so the
        slope is the foot's speed over the ground)."""
        self.values = values
        self.sd = np.sqrt(variance @ np.asarray(direction, float) ** 2)
        self.slope = (
            np.gradient(values) + drift_per_frame
            if len(values) > 1
            else np.full(len(values), np.nan)
        )

    def read_sd(self, frame: float, timing_sd: float) -> float:
        """SD of the curve read at `frame` whose timing SD is `timing_sd` (frames; 0 for a
        given event); NaN where unknown."""
        sd = float(sample_at(self.sd, frame))
        if timing_sd == 0.0:
            return sd
        return math.hypot(sd, float(sample_at(self.slope, frame)) * timing_sd)


def _side_curves(points: np.ndarray, point_sd: np.ndarray, side: str, forward, belt: float) -> dict:
    """One side's curves: overstride, the foot point along forward over the ground (`belt`:
    the belt's travel per frame); and the foot point (F, 3) with its axes' variance."""
    forward_axis, _ = body_axes(forward)
    foot = foot_point(points, side)
    foot_terms = [(f"{side}_heel", 0.5), (f"{side}_big_toe", 0.5)]
    foot_variance = axis_variance(point_sd, foot_terms)
    pelvis_terms = [("left_hip", -0.5), ("right_hip", -0.5)]
    return {
        "overstride": Curve(
            overstride_curve(points, side, forward),
            axis_variance(point_sd, [(f"{side}_heel", 1.0), *pelvis_terms]),
            forward_axis,
        ),
        "along": Curve(foot @ forward_axis, foot_variance, forward_axis, belt),
        "foot": foot,
        "foot_variance": foot_variance,
    }


def _known(sd: float) -> float | None:
    return float(sd) if np.isfinite(sd) else None


def _extremes_sd(
    curve: Curve, extremes: tuple[float, float], timing_sds: dict[float, float]
) -> float:
    """SD of the difference of `curve` at its two `extremes`, each read with its timing SD
    from `timing_sds` (frames, keyed by event frame; an extreme at no event: 0)."""
    return math.hypot(*[curve.read_sd(t, timing_sds.get(t, 0.0)) for t in extremes])


def _event_at(times: np.ndarray, frame: float) -> float:
    """The event among `times` a frame computed from a stride time lands on (rounding)."""
    if times.size == 0:
        return frame
    nearest = float(times[np.argmin(np.abs(times - frame))])
    return nearest if abs(nearest - frame) < 1e-6 else frame


def ratio_sd(
    numerator: float, numerator_sd: float | None, denominator: float, denominator_sd: float | None
) -> float | None:
    """SD of numerator / denominator, independent, by the delta method."""
    if numerator_sd is None or denominator_sd is None or not denominator > 0:
        return None
    return math.hypot(numerator_sd / denominator, numerator * denominator_sd / denominator**2)


def add_spatial_sds(
    strides: list[StrideDraft],
    points: np.ndarray,
    point_sd: np.ndarray | None,
    fps: float,
    forward,
    events: Events,
    timing: dict | None,
    belt_speed_mps: float | None,
    gap_runs: list[tuple[int, int]],
) -> None:
    """Puts the SPATIAL_SD_METRICS' SDs in each stride's uncertainty (in place), after
    landing and bounce have set the values; `timing`: event_timing.event_timing_sd of detected
    events (None: events given, no timing error). Without `point_sd` they stay unknown."""
    for stride in strides:
        for name in SPATIAL_SD_METRICS:
            if name != "stride_length_m" or belt_speed_mps is None:
                stride.uncertainty[name] = None
    if point_sd is None or not strides:
        return
    points = np.asarray(points, float)
    forward_axis, lateral_axis = body_axes(forward)
    belt = 0.0 if belt_speed_mps is None else belt_speed_mps / fps
    point_sd = np.asarray(point_sd, float)
    pelvis_height = Curve(
        hip_centre(points)[:, 2],
        axis_variance(point_sd, [("left_hip", 0.5), ("right_hip", 0.5)]),
        np.array([0.0, 0.0, 1.0]),
    )
    per_side = {side: _side_curves(points, point_sd, side, forward, belt) for side in SIDES}

    # a detected strike's timing SD: the larger of its predicted one and the strikes' scatter,
    # as the foot-strike angle's (landing.py, strike_pitch.py)
    scatter = None if timing is None else strike_scatter(strides, fps)

    def strike_sd(side: str, frame: float, shared: bool = True) -> float:
        # the strikes' shared read cancels between two strikes (step and stride length)
        return strike_timing_sd(timing, side, frame, scatter, shared)

    for stride in strides:
        side, strike, values = stride.side, stride.strike_frame, stride.values
        other = "right" if side == "left" else "left"
        curves = per_side[side]
        own_sd = strike_sd(side, strike)
        alone_sd = strike_sd(side, strike, False)
        if values.get("overstride_m") is not None:
            overstride_sd, overstride_shared = read_with_shared_part(
                partial(curves["overstride"].read_sd, strike), own_sd, alone_sd
            )
            stride.uncertainty["overstride_m"] = _known(overstride_sd)
            if timing is not None:
                stride.shared_uncertainty["overstride_m"] = overstride_shared

        stride_ms = values.get("stride_time_ms")
        end = None
        if stride_ms is not None:
            end = _event_at(events[side]["foot_strike"], strike + stride_ms * fps / 1000.0)
        oscillation = values.get("vertical_oscillation_m")
        oscillation_sd = oscillation_shared = None
        if oscillation is not None and end is not None:
            extremes = oscillation_extremes(pelvis_height.values, strike, end)
            span_sd, span_shared = read_with_shared_part(
                partial(_extremes_sd, pelvis_height, extremes),
                {strike: own_sd, end: strike_sd(side, end)},
                {strike: alone_sd, end: strike_sd(side, end, False)},
            )
            oscillation_sd = _known(span_sd)
            stride.uncertainty["vertical_oscillation_m"] = oscillation_sd
            if timing is not None and oscillation_sd is not None:
                oscillation_shared = span_shared
                stride.shared_uncertainty["vertical_oscillation_m"] = oscillation_shared

        step = values.get("step_length_m")
        step_sd = None
        previous = step_start(events, side, strike, gap_runs)
        if step is not None and previous is not None:
            step_sd = _known(
                math.hypot(
                    curves["along"].read_sd(strike, strike_sd(side, strike, False)),
                    per_side[other]["along"].read_sd(previous, strike_sd(other, previous, False)),
                )
            )
            stride.uncertainty["step_length_m"] = step_sd
        ratio = values.get("vertical_ratio")
        if ratio is not None and oscillation is not None and step is not None:
            sd = ratio_sd(oscillation, oscillation_sd, step, step_sd)
            stride.uncertainty["vertical_ratio"] = None if sd is None else 100.0 * sd
            if oscillation_shared is not None and step > 0:  # step length shares none
                stride.shared_uncertainty["vertical_ratio"] = 100.0 * oscillation_shared / step

        length = values.get("stride_length_m")
        if belt_speed_mps is None and length is not None and end is not None:
            stride.uncertainty["stride_length_m"] = _stride_length_sd(
                curves["foot"],
                curves["foot_variance"],
                strike,
                end,
                strike_sd(side, strike, False),
                strike_sd(side, end, False),
                forward_axis,
                lateral_axis,
            )


def _stride_length_sd(
    foot: np.ndarray,
    variance: np.ndarray,
    strike: float,
    end: float,
    strike_sd: float,
    end_sd: float,
    forward_axis: np.ndarray,
    lateral_axis: np.ndarray,
) -> float | None:
    """SD of the overground stride length |horizontal travel of the foot point| between two
    strikes: the travel's horizontal direction u weights each axis's variance (var = sum
    u_a^2 var_a) and, for a detected strike, the foot's speed along u its timing SD."""
    travel = sample_at(foot, end) - sample_at(foot, strike)
    horizontal = (travel @ forward_axis) * forward_axis + (travel @ lateral_axis) * lateral_axis
    norm = float(np.linalg.norm(horizontal))
    if not np.isfinite(norm) or norm <= 0:
        return None
    u = horizontal / norm
    velocity = np.gradient(foot, axis=0) if len(foot) > 1 else np.full(foot.shape, np.nan)
    total = 0.0
    for frame, timing_sd in ((strike, strike_sd), (end, end_sd)):
        total += float(sample_at(variance, frame) @ u**2)
        if timing_sd != 0.0:
            total += (float(sample_at(velocity, frame) @ u) * timing_sd) ** 2
    return _known(math.sqrt(total))
