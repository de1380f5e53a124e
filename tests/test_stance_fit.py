"""Stance values from local fits (gait/stance_fit.py): a noise-free curve reads back its true
value, noise is not turned into bias, and the propagated SD matches the spread it predicts."""

import numpy as np
import pytest
from scenes.gait import FPS, running_trial

from pipeline.config import ThresholdsConfig
from pipeline.gait.metrics import analyze_trial
from pipeline.gait.stance_fit import (
    LocalRead,
    aligned_phase,
    curve_noise,
    local_extreme,
    local_extreme_read,
    local_value,
    series_sd,
)
from pipeline.gait.stance_pool import (
    own_vertices,
    pooled_peak,
    pooled_stance_peak,
    pooled_strike,
)
from pipeline.gait.stance_reader import timed_read

TIMES = np.arange(25, dtype=float)  # one stance, 25 samples
HUMP = 6.0 * np.sin(np.pi * (TIMES + 0.5) / 25.5)  # true maximum 6.0 at t = 12.25


def test_a_noise_free_quadratic_reads_back_exactly():
    curve = 6.0 - 0.05 * (TIMES - 10.3) ** 2
    value, _, at = local_extreme(TIMES, curve, None, 12.0, 6.0)
    assert value == pytest.approx(6.0, abs=1e-9) and at == pytest.approx(10.3, abs=1e-9)


def test_a_noise_free_sine_hump_reads_back_its_maximum():
    # over a quarter of the stance on each side of the centre: 0.008 deg low (a parabola over
    # the whole stance read 5.87)
    value, _, _ = local_extreme(TIMES, HUMP, None, 12.0, 0.25 * 25)
    assert value == pytest.approx(6.0, abs=0.01)


def test_noise_is_not_turned_into_bias():
    rng = np.random.default_rng(0)
    fitted, sample_max = [], []
    for _ in range(400):
        noisy = HUMP + rng.normal(0, 1.5, HUMP.shape)
        fitted.append(local_extreme(TIMES, noisy, np.full(25, 1.5), 12.0, 0.25 * 25)[0])
        sample_max.append(noisy.max())
    # measured (1.5 deg noise): fit bias +0.15 deg, sample maximum +2.07 deg
    assert abs(np.mean(fitted) - 6.0) < 0.2
    assert np.mean(sample_max) - 6.0 > 1.5


def test_the_propagated_sd_matches_the_spread():
    rng = np.random.default_rng(1)
    values, sds = [], []
    for _ in range(400):
        noisy = HUMP + rng.normal(0, 1.5, HUMP.shape)
        value, sd, _ = local_extreme(TIMES, noisy, np.full(25, 1.5), 12.0, 0.25 * 25)
        values.append(value)
        sds.append(sd)
    assert np.std(values) == pytest.approx(np.median(sds), rel=0.2)
    line = 0.01 * TIMES + rng.normal(0, 0.002, 25)
    value, sd = local_value(TIMES, line, np.full(25, 0.002), 0.0, 6.0, one_sided=1)
    assert abs(value) < 4 * sd and 0.0005 < sd < 0.003


def test_the_vertex_time_sd_matches_the_spread_of_the_peak_time():
    # knee over toe is read at the knee's peak time, so that time's error is part of its SD
    knee = 40.0 - 0.2 * (TIMES - 13.3) ** 2  # a loading peak, bent well beyond its noise
    rng = np.random.default_rng(3)
    times, sds = [], []
    for _ in range(400):
        read = local_extreme_read(
            TIMES, knee + rng.normal(0, 1.0, 25), np.full(25, 1.0), 12.0, 6.25
        )
        times.append(read.time)
        sds.append(read.time_sd)
        assert read.slope == 0.0  # at the vertex, the time's error does not move the value
    # measured: spread 0.252 frame, predicted 0.234
    assert np.isfinite(sds).all()
    assert np.std(times) == pytest.approx(np.median(sds), rel=0.2)


def test_values_read_at_detected_events_carry_the_events_timing_sd():
    points, events = running_trial(foot_y={"left": 0.04, "right": -0.03})
    sd = np.full(points.shape, 0.003)
    given = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, point_sd=sd)
    found = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), point_sd=sd)
    pairs = [
        (a, b)
        for a in found.strides
        for b in given.strides
        if a.side == b.side and abs(a.strike_frame - b.strike_frame) < 2
    ]
    assert len(pairs) >= 4
    for detected, exact in pairs:
        # the knee still bends at the strike: the strike's timing SD times that slope adds
        # (measured: 1.51-1.57 deg detected, 0.93 given; knee over toe 1.6 mm both)
        key = "knee_flexion_at_strike_deg"
        assert detected.uncertainty[key] > 1.05 * exact.uncertainty[key]
        # read at the loading peak's vertex: its own time SD, not the events', moves it
        key = "knee_over_toe_m"
        assert detected.uncertainty[key] == pytest.approx(exact.uncertainty[key], rel=0.3)


def test_a_swap_sample_is_left_out_of_the_fit():
    curve = HUMP.copy()
    curve[13] = 180.0 - curve[13]  # a left/right swap flips pelvic obliquity
    value, _, _ = local_extreme(TIMES, curve, None, 12.0, 0.25 * 25)
    assert value == pytest.approx(6.0, abs=0.05)


def test_series_sd_is_the_linear_propagation():
    points = np.zeros((10, 26, 3))
    points[:, 3, 0] = np.linspace(0, 1, 10)
    sd = np.zeros_like(points)
    sd[:, 3, 0], sd[:, 4, 0] = 0.003, 0.004

    def gap(p):
        return p[:, 3, 0] - p[:, 4, 0]

    assert series_sd(gap, points, sd) == pytest.approx(np.full(10, 0.005), rel=1e-6)
    assert series_sd(gap, points, sd, step=4) == pytest.approx(np.full(10, 0.005), rel=1e-6)
    assert series_sd(gap, points, None) is None


def test_a_sample_of_a_keypoint_not_measured_has_no_sd_and_is_not_fitted():
    # a keypoint no camera saw in a frame is gap-filled in 3D: not an observation there
    points = np.zeros((10, 26, 3))
    points[:, 3, 0] = np.linspace(0, 1, 10)
    sd = np.full_like(points, 0.003)
    sd[4, 3, :] = np.nan  # keypoint 3 not measured in frame 4

    def gap(p):
        return p[:, 3, 0] - p[:, 4, 0]

    got = series_sd(gap, points, sd, step=4)
    assert np.isnan(got[4])
    assert np.delete(got, 4) == pytest.approx(np.full(9, 0.003 * np.sqrt(2)), rel=1e-6)
    curve, sds = HUMP.copy(), np.full(25, 0.5)
    curve[12], sds[12] = 7.5, np.nan  # a gap-filled sample (3 SDs off, inside the outlier cut)
    value, sd, _ = local_extreme(TIMES, curve, sds, 12.0, 0.25 * 25)
    assert value == pytest.approx(6.0, abs=0.05) and np.isfinite(sd)


def test_curve_noise_tells_noise_from_a_smooth_hump():
    assert curve_noise([HUMP, HUMP]) < 0.01
    noisy = HUMP + np.random.default_rng(2).normal(0, 1.0, 25)
    assert curve_noise([noisy]) == pytest.approx(1.0, rel=0.5)


def test_analysis_reports_an_uncertainty_beside_each_metric():
    points, events = running_trial(foot_y={"left": 0.04, "right": -0.03})
    truth = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events)
    sd = np.full(points.shape, 0.003)
    result = analyze_trial(points, FPS, [1, 0, 0], ThresholdsConfig(), events=events, point_sd=sd)
    # with 3 mm per point the curves are read from the fits; on this noise-free runner they
    # read (measured, worst stride) knee flexion 0.033 deg, hip adduction 0.008 deg, knee over
    # toe and step width 0.0 mm off the samples (the quadratic over a quarter stance on each
    # side of the peak; the same with each stride's own quadratic and with the side's pooled
    # shape, stance_pool.pooled_peak), pelvic drop 0.026 deg low (0.008 before its read over
    # the whole stance, stance_reader.spanned_extreme, SD 0.24 deg): at most 0.13 of their
    # SDs, which pooling made 27 % smaller (knee flexion 0.349 -> 0.256 deg)
    for stride, ref in zip(result.strides, truth.strides):
        u = stride.uncertainty
        for name in (
            "peak_stance_knee_flexion_deg",
            "pelvic_drop_deg",
            "peak_stance_hip_adduction_deg",
            "knee_over_toe_m",
            "step_width_m",
        ):
            if ref.value(name) is not None:
                error = abs(stride.value(name) - ref.value(name))
                assert error <= 0.035 if name.endswith("_deg") else error <= 1e-9, name
                assert error <= 0.15 * u[name], name
        assert 0.2 < u["pelvic_drop_deg"] < 5.0  # 3 mm on each hip, 0.18 m apart
        assert 0.001 < u["knee_over_toe_m"] < 0.02
        # each foot's level from the strides' shared shape through the strike
        # (stance_pool.pooled_strike)
        assert u["step_width_m"] is None or 0.0005 < u["step_width_m"] < 0.02
    drop = result.summary.sides["left"].metrics["pelvic_drop_deg"]
    assert 0 < drop.sd_of_mean < max(s.uncertainty["pelvic_drop_deg"] for s in result.strides)
    assert truth.strides[0].uncertainty["pelvic_drop_deg"] is None


def test_a_swap_burst_of_the_hips_is_screened_not_read():
    from pipeline.gait.stance_reader import hips_in_order

    obliquity = HUMP.copy()
    obliquity[14:20] = 180.0 - obliquity[14:20]  # 6 frames of swapped hips
    screened = hips_in_order(obliquity)
    assert np.isnan(screened[14:20]).all() and np.isfinite(np.delete(screened, range(14, 20))).all()
    value, _, _ = local_extreme(TIMES, screened, np.full(25, 0.5), 12.0, 0.25 * 25)
    assert value == pytest.approx(6.0, abs=0.05)


def test_frames_with_the_whole_body_swapped_are_left_out():
    from pipeline.core.skeleton import KEYPOINTS
    from pipeline.gait.stance_reader import hips_swapped

    points, events = running_trial()
    strike, toe_off = events["left"]["foot_strike"][2], events["left"]["toe_off"][2]
    start = int(strike + 0.4 * (toe_off - strike))
    swapped = points.copy()
    for name in KEYPOINTS:  # the detector's left/right labels exchanged for 5 frames
        if name.startswith("left_"):
            i, j = KEYPOINTS.index(name), KEYPOINTS.index("right_" + name[5:])
            swapped[start : start + 5, [i, j]] = points[start : start + 5, [j, i]]
    assert np.flatnonzero(hips_swapped(swapped, [1, 0, 0])).tolist() == list(
        range(start, start + 5)
    )
    sd = np.full(points.shape, 0.003)
    result = analyze_trial(swapped, FPS, [1, 0, 0], ThresholdsConfig(), events=events, point_sd=sd)
    left = [s for s in result.strides if s.side == "left"]
    assert left[2].value("peak_stance_knee_flexion_deg") == pytest.approx(42.0, abs=0.5)
    assert left[2].value("pelvic_drop_deg") == pytest.approx(6.0, abs=0.5)


def _strides(curves, sds, phases=None):
    phases = np.linspace(0.0, 1.0, len(TIMES)) if phases is None else phases
    return [(phases, c, None if sds is None else np.full(len(c), sds)) for c in curves]


def test_identical_noise_free_strides_read_back_their_peak_pooled():
    phases = np.linspace(0.0, 1.0, 25)
    curves = [p - 30.0 * (phases - 0.45) ** 2 for p in (40.0, 42.0, 41.0)]  # levels differ
    pooled = pooled_peak(_strides(curves, 1.0), 0.5, 0.25)
    assert pooled is not None and pooled.phase == pytest.approx(0.45, abs=1e-9)
    assert [pooled.values[n][0] for n in range(3)] == pytest.approx([40.0, 42.0, 41.0])
    assert pooled.slope == pytest.approx(0.0, abs=1e-9)


def test_the_pooled_peak_is_less_noisy_than_each_stride_s_own_fit():
    # one parameter per stride over the window instead of three: at 1.5 deg of noise on a
    # 6 deg hump, three strides (measured: spread 0.51 vs 0.65 deg, propagated SD 0.50, bias
    # +0.006; 286 of 300 draws pooled: the same-shape test at 5 % set 14 apart by chance)
    rng = np.random.default_rng(4)
    pooled_values, own_values, sds = [], [], []
    for _ in range(300):
        curves = [HUMP + rng.normal(0, 1.5, 25) for _ in range(3)]
        pooled = pooled_peak(_strides(curves, 1.5), 12.0 / 24.0, 0.25)
        if pooled is None:
            continue
        pooled_values.append(pooled.values[0][0])
        sds.append(pooled.values[0][1])
        own_values.append(local_extreme(TIMES, curves[0], np.full(25, 1.5), 12.0, 6.25)[0])
    assert len(pooled_values) > 250
    assert np.std(pooled_values) < 0.8 * np.std(own_values)
    assert np.std(pooled_values) == pytest.approx(np.median(sds), rel=0.2)
    assert abs(np.mean(pooled_values) - 6.0) < 0.2


def test_strides_of_different_shapes_or_without_sds_are_read_on_their_own():
    phases = np.linspace(0.0, 1.0, 25)
    sharp, flat = 40.0 - 80.0 * (phases - 0.45) ** 2, 40.0 - 10.0 * (phases - 0.55) ** 2
    assert pooled_peak(_strides([sharp, flat, sharp], 0.05), 0.5, 0.25) is None
    assert pooled_peak(_strides([sharp, sharp], None), 0.5, 0.25) is None


def test_a_stance_maximum_is_read_over_the_whole_stance_wherever_it_peaks():
    # pelvic drop (stance_reader.spanned_extreme): one shape shared by the strides over the
    # whole stance and a quarter of it beyond each event, read at its maximum inside the stance
    phases = np.linspace(-0.25, 1.25, 37)
    hump = [level - 20.0 * (phases - 0.3) ** 2 for level in (5.0, 7.0, 6.0)]
    pooled = pooled_stance_peak(_strides(hump, 1.0, phases), 0.25)
    assert pooled is not None and pooled.phase == pytest.approx(0.3, abs=1e-6)
    assert [pooled.values[n][0] for n in range(3)] == pytest.approx([5.0, 7.0, 6.0])
    assert pooled.slope == pytest.approx(0.0, abs=1e-6)
    # a drop still falling from the flight when the foot lands peaks at the strike, where the
    # shape's slope carries the strike's timing error
    falling = [level - 4.0 * phases - 2.0 * phases**2 for level in (5.0, 7.0)]
    pooled = pooled_stance_peak(_strides(falling, 1.0, phases), 0.25)
    assert pooled is not None and pooled.phase == pytest.approx(0.0, abs=1e-9)
    assert [pooled.values[n][0] for n in range(2)] == pytest.approx([5.0, 7.0])
    assert pooled.slope == pytest.approx(-4.0)
    assert pooled_stance_peak(_strides(hump, None, phases), 0.25) is None


def test_the_whole_stance_read_is_less_noisy_than_a_window_around_the_peak():
    # two strides of a 6 deg hump with 1.5 deg of noise: the whole stance holds twice the
    # samples of a window a quarter stance either side of the peak (measured: spread 0.36 vs
    # 0.52 deg, propagated SD 0.37, bias -0.03, 271 of 300 draws pooled; noise-free 5.98)
    rng = np.random.default_rng(5)
    phases = (np.arange(-6, 31) + 0.5) / 25.5
    hump = 6.0 * np.sin(np.pi * phases)
    whole, window, sds = [], [], []
    for _ in range(300):
        curves = [hump + rng.normal(0, 1.5, len(phases)) for _ in range(2)]
        spanned = pooled_stance_peak(_strides(curves, 1.5, phases), 0.25)
        pooled = pooled_peak(_strides(curves, 1.5, phases), 0.5, 0.25)
        if spanned is None or pooled is None:
            continue
        whole.append(spanned.values[0][0])
        sds.append(spanned.values[0][1])
        window.append(pooled.values[0][0])
    assert len(whole) > 250
    assert np.std(whole) < 0.8 * np.std(window)
    assert np.std(whole) == pytest.approx(np.median(sds), rel=0.2)
    assert abs(np.mean(whole) - 6.0) < 0.2


def test_a_foot_is_read_at_its_strike_from_the_strides_shared_shape_through_it():
    # the swing brings the foot in, the planted foot settles: a bend just after the strike
    phases = np.linspace(-0.25, 1.0, 31)
    shape = 0.02 * (phases - 0.3) ** 2  # metres
    curves = [level + shape for level in (0.10, 0.13, 0.08)]  # levels differ
    fit = pooled_strike(_strides(curves, 0.002, phases), 0.25, 0.5)
    assert fit is not None
    at_strike = [level + 0.02 * 0.3**2 for level in (0.10, 0.13, 0.08)]
    assert [fit.read(0.0)[n][0] for n in range(3)] == pytest.approx(at_strike)
    assert fit.slope(0.0) == pytest.approx(-0.012)
    # shapes that differ beyond the samples' SDs: each foot is read on its own
    other = [0.10 + shape, 0.10 - shape]
    assert pooled_strike(_strides(other, 0.0002, phases), 0.25, 0.5) is None
    assert pooled_strike(_strides(curves, None, phases), 0.25, 0.5) is None


def test_the_strike_read_inside_its_window_is_closer_than_at_its_end():
    # two strides of a foot coming in and settling 16 mm inward over 0.3 of the stance, with
    # 4 mm of noise: read through the strike, the strike lies inside the quadratic's window; a
    # line over the stance's first half extrapolates to the strike across the bend (measured:
    # bias +0.7 vs -6.5 mm, spread 1.2 vs 1.8, 184 of 200 draws pooled)
    rng = np.random.default_rng(7)
    phases = (np.arange(-6, 26) + 0.5) / 25.0
    settle = 0.016 * np.clip(1.0 - phases / 0.3, 0.0, None) ** 2
    through, line = [], []
    for _ in range(200):
        curves = [settle + rng.normal(0, 0.004, len(phases)) for _ in range(2)]
        strike = pooled_strike(_strides(curves, 0.004, phases), 0.25, 0.5)
        start = _shared_line(_strides(curves, 0.004, phases), 0.5)
        if strike is None or start is None:
            continue
        through.append(strike.read(0.0)[0][0] - 0.016)
        line.append(start.read(0.0)[0][0] - 0.016)
    assert len(through) > 150
    assert abs(np.mean(through)) < 0.001 and abs(np.mean(line)) > 0.004
    assert np.std(through) < np.std(line)


def _shared_line(stances, reach):
    from pipeline.gait.stance_pool import _shared_fit

    return _shared_fit(stances, 0.0, 0.0, reach, 1)


def test_the_peak_time_of_an_uneven_hump_is_the_shared_cubic_s_maximum():
    # knee over toe is read at the knee's peak time: a quadratic's vertex sits off the peak of
    # an uneven hump (here 0.026 of the stance late), the shared cubic's maximum does not; the
    # cubic is used where its skew is shown (beyond 2 SDs), as here
    phases = np.linspace(0.0, 1.0, 25)
    u = phases - 0.45
    curves = [level - 60.0 * u**2 + 80.0 * u**3 for level in (40.0, 42.0, 41.0)]
    pooled = pooled_peak(_strides(curves, 0.5), 0.5, 0.25)
    assert pooled is not None and pooled.phase == pytest.approx(0.45, abs=1e-9)
    assert np.isfinite(pooled.phase_sd) and pooled.phase_sd > 0


def test_a_hidden_skew_times_the_peak_at_the_quadratic_s_vertex_from_both_legs():
    # where the noise hides the skew the cubic's extra parameter only adds noise: the peak time
    # is the shared quadratic's vertex, here of both legs' strides (`timing`) where their
    # shapes agree, and of the side's own strides where they do not
    phases = np.linspace(0.0, 1.0, 25)
    side = [level - 30.0 * (phases - 0.45) ** 2 for level in (40.0, 42.0)]
    other = [level - 30.0 * (phases - 0.45) ** 2 for level in (39.0, 41.0)]
    both = _strides(side, 1.0) + _strides(other, 1.0)
    pooled = pooled_peak(_strides(side, 1.0), 0.5, 0.25, timing=both)
    assert pooled is not None and pooled.phase == pytest.approx(0.45, abs=1e-9)
    alone = pooled_peak(_strides(side, 1.0), 0.5, 0.25)
    assert pooled.phase_sd < alone.phase_sd  # twice the strides
    sharp = [40.0 - 300.0 * (phases - 0.55) ** 2 for _ in range(2)]
    apart = _strides(side, 0.05) + _strides(sharp, 0.05)
    pooled = pooled_peak(_strides(side, 0.05), 0.5, 0.25, timing=apart)
    assert pooled is not None and pooled.phase == pytest.approx(0.45, abs=1e-9)


def test_the_loading_peak_is_sought_inside_the_stance_not_at_a_swing_bend():
    # an early strike pulls the swing's knee bend into the stance (on the real runner a strike
    # 2.6 frames early made it the stance's highest maximum, knee over toe 343 mm off): the
    # aligned phase of an interior extreme is the highest maximum a window's half-width
    # inside the stance; other extremes keep theirs, which may lie at an event
    phases = np.linspace(0.0, 1.0, 25)
    curve = 30.0 - 20.0 * (phases - 0.45) ** 2 + 6.0 * np.exp(-(((phases - 0.04) / 0.04) ** 2))
    stances = [curve, curve + 1.0]
    assert aligned_phase(stances, np.argmax) == pytest.approx(0.04, abs=0.02)
    assert aligned_phase(stances, np.argmax, 1.0, 0.25) == pytest.approx(0.45, abs=0.02)
    falling = [40.0 - 10.0 * phases]  # no maximum inside: the pick's, at the strike
    assert aligned_phase(falling, np.argmax, 1.0, 0.25) == 0.0


def test_each_stride_s_own_peak_time_from_a_shared_curvature():
    # noise-free: strides at their own levels and peak times, one curvature, read back exactly
    peaks, levels = [11.6, 12.9, 12.2], [40.0, 42.0, 41.0]
    stances = [
        (TIMES, level - 0.2 * (TIMES - peak) ** 2, np.full(25, 1.0))
        for peak, level in zip(peaks, levels)
    ]
    own = own_vertices(stances, [12.0, 12.0, 12.0], [6.25, 6.25, 6.25])
    assert [own[n][0] for n in range(3)] == pytest.approx(peaks, abs=1e-9)
    assert own_vertices([(TIMES, s[1], None) for s in stances], [12.0] * 3, [6.25] * 3) == {}
    # noisy: the SD the delta method gives matches the spread of a stride's peak time
    rng = np.random.default_rng(4)
    times, sds = [], []
    for _ in range(300):
        noisy = [(t, v + rng.normal(0, 1.0, 25), s) for t, v, s in stances]
        read = own_vertices(noisy, [12.0] * 3, [6.25] * 3)
        if 0 in read:
            times.append(read[0][0])
            sds.append(read[0][1])
    # measured: every draw read, mean 11.591, spread 0.190 frame, predicted 0.189
    assert len(times) > 280
    assert abs(np.mean(times) - peaks[0]) < 0.05
    assert np.std(times) == pytest.approx(np.median(sds), rel=0.2)


def test_a_stride_s_own_peak_time_is_weighed_against_the_events_time():
    # the events set 10.0 with SD 0.8 frame, the stride's own peak says 11.0 with SD 0.6
    read = LocalRead(40.0, 1.0, 10.0, np.nan, 0.0, np.nan)
    _, _, time, time_sd = timed_read(read, 0.0, 20.0, 1.6, 0.0, (11.0, 0.6))
    assert time == pytest.approx(10.0 + 0.64 / (0.64 + 0.36))  # strike SD x (1 - phase)
    assert time_sd == pytest.approx(0.8 * 0.6 / 1.0)
    assert timed_read(read, 0.0, 20.0, 1.6, 0.0)[2] == 10.0  # without it, the events' time
