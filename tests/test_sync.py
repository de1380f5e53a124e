"""Camera synchronization (pipeline/sync/): offsets recovered from synthetic observations made
at shifted instants, timestamps files, the correction, and what the stage says on bad input.

Shifted cameras: the runner is simulated at 10x the camera rate and camera c's frame k takes
the 10x sample at 10 (k + d_c) (d_c in tenths of a frame): exact truth at the shifted instants,
no interpolation of the truth.
"""

from __future__ import annotations

import numpy as np
import pytest
from scenes import SHARED_DATA

from pipeline.config import RunnerConfig, SyntheticNoiseConfig
from pipeline.sync.estimate import MIN_FRAMES, SyncTooShort, estimate_offsets
from pipeline.sync.result import sync_result
from pipeline.sync.shift import shift_keypoints
from pipeline.sync.timestamps import TimestampError, offsets_from_timestamps, read_timestamps
from pipeline.synth.kinematics import simulate_run
from pipeline.synth.observe import observe

FPS = 120.0
UP = 10
SECONDS = 2.5
CAMS = ["cam_0", "cam_1", "cam_2", "cam_3"]


@pytest.fixture(scope="module")
def fine():
    """(F x 10, K, 3) truth at 1200 fps, 0.2 s longer than the trial (room for 15 frames)."""
    return simulate_run(RunnerConfig(duration_s=SECONDS + 0.2), fps=FPS * UP).points


def shifted(fine, rig, offsets, noise=SyntheticNoiseConfig(pixel_sigma=1.0), n=int(SECONDS * FPS)):
    """(C, n, K, 3) observations: camera c's frame k shows the instant k + offsets[c]."""
    views = []
    for c, d in enumerate(offsets):
        idx = np.arange(n) * UP + int(round(d * UP))
        views.append(observe(fine[idx], [rig[c]], noise, rng_seed_offset=c)[0])
    return np.stack(views)


@pytest.mark.parametrize("offsets", [[0, 0.3, 0.5, 15], [0, 7, 3.3, 12.5], [0, 1, 2, 0.5]])
def test_offsets_recovered_within_a_tenth_of_a_frame(fine, rig, offsets):
    est = estimate_offsets(shifted(fine, rig, offsets), rig, FPS, 0.5, 0.3)
    # measured: 0.3 -> 0.28, 0.5 -> 0.48, others within 0.02 frame
    np.testing.assert_allclose(est.offsets, offsets, atol=0.1)
    assert (est.sd[1:] < 0.1).all()


def test_no_offset_every_camera_within_a_tenth(fine, rig):
    est = estimate_offsets(shifted(fine, rig, [0, 0, 0, 0]), rig, FPS, 0.5, 0.3)
    assert np.abs(est.offsets).max() < 0.1
    result = sync_result(CAMS, FPS, "check", "keypoints", est.offsets, est.sd, est.notes)
    assert result.status == "ok" and min(result.confidence.values()) > 0.8


@pytest.mark.parametrize("offsets", [[0, 0.3, 0.5, 15], [0, 1, 2, 0.5]])
def test_realistic_detector_errors_within_a_quarter_frame(fine, rig, offsets):
    """3 px noise, far-side joints guessed (12 px, low score), 3 % left/right swaps, 2 % gross
    outliers, 5 % dropouts. Measured over runner seeds 0-2 and six offset sets (docs/sync.md):
    worst 0.252 frame (one case of 18 above 0.25); these two cases (seed 0): 0.241 and 0.217."""
    noise = SyntheticNoiseConfig(
        pixel_sigma=3.0,
        far_side_occlusion=True,
        swap_rate=0.03,
        outlier_rate=0.02,
        dropout_rate=0.05,
    )
    est = estimate_offsets(shifted(fine, rig, offsets, noise), rig, FPS, 0.5, 0.3)
    np.testing.assert_allclose(est.offsets, offsets, atol=0.25)


@pytest.mark.parametrize("offsets", [[0, 0.3, 0.5, 15], [0, 7, 3.3, 12.5]])
def test_the_real_detector_model_within_a_quarter_frame(fine, rig, offsets, repo_root):
    """The issue's target under the real-detector error model (conf/detector/synthetic_real.yaml:
    heavy-tailed 7.5 px noise, 15 px camera shifts, keypoint definition bias, swap bursts,
    hidden-limb dropouts, calibration error). Measured over runner seeds 0-2 and six offset sets
    (docs/sync.md): worst 0.161 frame; these two cases (seed 0): 0.07 and 0.12."""
    from pipeline.config import compose

    noise = compose(repo_root / "conf", ["detector=synthetic_real"]).detector.synthetic
    est = estimate_offsets(shifted(fine, rig, offsets, noise), rig, FPS, 0.5, 0.3)
    np.testing.assert_allclose(est.offsets, offsets, atol=0.25)


def test_check_mode_degrades_with_the_offsets_and_the_fix(fine, rig):
    est = estimate_offsets(shifted(fine, rig, [0, 0, 6, 0]), rig, FPS, 0.5, 0.3)
    result = sync_result(CAMS, FPS, "check", "keypoints", est.offsets, est.sd, est.notes)
    assert result.status == "degraded"
    text = " ".join(result.reasons)
    assert "cam_2 +6.0" in text and "sync.mode: correct" in text
    assert "drop the first 6 frames of cam_0" in text
    assert result.applied_frames["cam_2"] == 0.0
    corrected = sync_result(CAMS, FPS, "correct", "keypoints", est.offsets, est.sd, est.notes)
    assert corrected.status == "ok" and abs(corrected.applied_frames["cam_2"] - 6) < 0.1


def test_correction_reads_each_camera_at_the_reference_instants(fine, rig):
    """Shifted observations put back on the reference frames equal the in-step ones (to the
    linear interpolation of the 2D); instants a camera did not film are gaps."""
    clean = SyntheticNoiseConfig(pixel_sigma=0.0)
    offsets = np.array([0.0, 3.0, 2.5, -1.0])
    moved = shifted(fine, rig, offsets, clean)
    in_step = shifted(fine, rig, [0, 0, 0, 0], clean)
    back = shift_keypoints(moved, offsets)
    # cam_1 started 3 frames late: the reference's first 3 instants are not in its video
    assert np.isnan(back[1, :3, :, 0]).all() and np.isnan(back[3, -1:, :, 0]).all()
    assert np.isnan(back[2, :3, :, 0]).all() and np.isfinite(back[2, 3, 0, 0])
    assert (back[1, :3, :, 2] == 0).all()
    both = np.isfinite(back[..., 0]) & np.isfinite(in_step[..., 0])
    err = np.linalg.norm(back[..., :2] - in_step[..., :2], axis=-1)[both]
    # integer shifts are exact; the half-frame camera carries the chord error of a linear
    # interpolation (measured: median 0.00 px, 99th percentile 0.27 px, max 1.45 px: a foot at strike)
    xy = np.abs(back[1, 3:, :, :2] - in_step[1, 3:, :, :2])
    assert xy[np.isfinite(xy)].max() < 1e-9
    assert np.percentile(err, 99) < 1.0


def test_periodic_motion_beyond_a_stride_is_ambiguous(fine, rig):
    """Searching +-1 s on a treadmill runner (stride 0.71 s = 85 frames): a camera a stride
    off agrees equally well -> no measurement, degraded, never the guess."""
    long = simulate_run(RunnerConfig(duration_s=4.0), fps=FPS).points
    obs = np.stack(
        [observe(long, [cam], SyntheticNoiseConfig(), c)[0] for c, cam in enumerate(rig)]
    )
    est = estimate_offsets(obs, rig, FPS, 1.0, 0.3)
    assert any(p.ambiguous for p in est.pairs)
    result = sync_result(CAMS, FPS, "check", "keypoints", est.offsets, est.sd, est.notes)
    assert result.status == "degraded"
    unmeasured = [c for c in CAMS[1:] if not result.measured[c]]
    assert unmeasured and all(result.confidence[c] < 0.5 for c in unmeasured)
    assert "agree almost equally" in " ".join(result.reasons)
    assert result.reasons[-1] == (
        f"to time {', '.join(unmeasured)} exactly, give every camera's "
        "per-frame capture times in timestamps.csv beside the trial's videos"
    )


def test_a_still_person_is_not_timed(fine, rig):
    still = np.repeat(fine[:1], 200, axis=0)
    obs = np.stack(
        [observe(still, [cam], SyntheticNoiseConfig(), c)[0] for c, cam in enumerate(rig)]
    )
    est = estimate_offsets(obs, rig, FPS, 0.5, 0.3)
    result = sync_result(CAMS, FPS, "check", "keypoints", est.offsets, est.sd, est.notes)
    assert result.status == "degraded"
    assert not any(result.measured[c] for c in CAMS[1:])


def test_a_short_trial_says_the_minimum(fine, rig):
    obs = shifted(fine, rig, [0, 0, 0, 0], n=MIN_FRAMES)
    with pytest.raises(SyncTooShort, match=f"at least {MIN_FRAMES + 1} frames"):
        estimate_offsets(obs, rig, FPS, 0.5, 0.3)


# ---------------------------------------------------------------------------------- timestamps
def _write(path, rows, header="camera,frame,time_s"):
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_our_timestamps_give_the_offsets(tmp_path):
    t = np.arange(100) / FPS
    rows = [
        (c, k, f"{t[k] + d / FPS + 1e-4 * np.sin(k):.7f}")
        for c, d in (("cam_0", 0), ("cam_1", 2.4), ("cam_2", -1), ("cam_3", 0))
        for k in range(100)
    ]
    times = read_timestamps(_write(tmp_path / "timestamps.csv", rows), CAMS)
    offsets, _ = offsets_from_timestamps(times, CAMS, 100)
    np.testing.assert_allclose(offsets, [0, 2.4, -1, 0], atol=0.02)


def test_dropped_frame_is_a_named_error(tmp_path):
    t = np.arange(100) / FPS
    t_drop = np.concatenate([t[:40], t[41:]])  # frame 40 never delivered
    rows = [(c, k, f"{(t_drop if c == 'cam_2' else t)[k]:.7f}") for c in CAMS for k in range(99)]
    with pytest.raises(TimestampError, match=r"camera cam_2: 1 gap.*frames 39 and 40.*1 dropped"):
        read_timestamps(_write(tmp_path / "timestamps.csv", rows), CAMS)


def test_non_monotonic_times_are_a_named_error(tmp_path):
    t = np.arange(50) / FPS
    t[20] = t[18]
    rows = [(c, k, f"{t[k]:.7f}") for c in CAMS for k in range(50)]
    with pytest.raises(TimestampError, match="cam_0: times do not increase at frame 20"):
        read_timestamps(_write(tmp_path / "timestamps.csv", rows), CAMS)


@pytest.mark.skipif(
    not (SHARED_DATA / "caliscope-charuco").exists(), reason="shared data not present"
)
def test_caliscope_timestamps_are_read():
    """caliscope's layout: 4 webcams at ~6 fps whose frames were grabbed within 1-3 ms."""
    times = read_timestamps(SHARED_DATA / "caliscope-charuco" / "videos" / "timestamps.csv", CAMS)
    assert all(t.size == 111 for t in times.values())
    offsets, jitter = offsets_from_timestamps(times, CAMS, 111)
    assert np.abs(offsets).max() < 0.02 and jitter.max() < 0.05


# ------------------------------------------------------------------------ the stage and triangulation
def _study(tmp_path, rig, points, mode="check", stamps=None):
    from pipeline.config import validate
    from pipeline.io import formats
    from pipeline.study.paths import StudyPaths

    cfg = validate(
        {
            "study": {
                "data_dir": str(tmp_path / "data"),
                "results_dir": str(tmp_path / "results"),
                "sessions": {"s1": {"subject": "R01"}},
                "trials": {"t1": {"session": "s1"}},
            },
            "triangulation": {"refine": "none"},
            "sync": {"mode": mode},
        },
        "test",
    )
    paths = StudyPaths.from_config(cfg)
    formats.write_calibration(paths.calibration("s1"), formats.CameraSet(list(rig)))
    formats.write_keypoints2d(
        paths.keypoints2d("t1"), formats.Keypoints2D(points, CAMS, FPS, "synthetic", [""] * 4)
    )
    paths.trial_dir("t1").mkdir(parents=True, exist_ok=True)
    if stamps is not None:
        paths.trial_timestamps("t1").write_text(stamps)
    return cfg, paths


@pytest.mark.parametrize("mode", ["check", "correct"])
def test_stage_writes_sync_json_and_correct_mode_fixes_the_3d(tmp_path, fine, rig, mode):
    """cam_2 started 6 frames late. check: degraded, 3D as recorded; correct: the 3D error
    falls back to the in-step level (measured: 3D RMSE 1.4 mm corrected, 26.5 mm not)."""
    from pipeline.io import formats
    from pipeline.stages.sync import sync_trial
    from pipeline.stages.triangulate import triangulate_trial

    offsets = [0, 0, 6, 0]
    cfg, paths = _study(tmp_path, rig, shifted(fine, rig, offsets), mode)
    result = sync_trial(cfg, "t1")
    on_disk = formats.read_json(paths.sync("t1"))
    assert on_disk["offsets_frames"] == result.offsets_frames
    assert abs(on_disk["offsets_frames"]["cam_2"] - 6) < 0.1 and on_disk["method"] == "keypoints"
    assert on_disk["status"] == ("degraded" if mode == "check" else "ok")
    triangulate_trial(cfg, "t1")
    p3d = formats.read_points3d(paths.points3d("t1"))
    truth = fine[::UP][: p3d.points.shape[0]]
    err = np.linalg.norm(p3d.points - truth, axis=-1)
    rmse = float(np.sqrt(np.nanmean(err[10:-10] ** 2))) * 1000
    if mode == "correct":
        assert rmse < 3.0
        assert p3d.n_views[:6].max() <= 3  # cam_2 has no view of the first 6 instants
    else:
        assert rmse > 15.0


def test_stage_uses_timestamps_when_present(tmp_path, fine, rig):
    t = np.arange(300) / FPS
    stamps = "camera,frame,time_s\n" + "".join(
        f"{c},{k},{t[k] + (2.0 / FPS if c == 'cam_1' else 0):.7f}\n"
        for c in CAMS
        for k in range(300)
    )
    cfg, paths = _study(tmp_path, rig, shifted(fine, rig, [0, 0, 0, 0]), stamps=stamps)
    from pipeline.stages.sync import sync_trial

    result = sync_trial(cfg, "t1")
    assert result.method == "timestamps" and abs(result.offsets_frames["cam_1"] - 2) < 1e-3
    assert result.status == "degraded" and "cam_1 +2.00 frames" in result.reasons[0]


def test_stage_on_a_too_short_trial_says_so(tmp_path, fine, rig):
    from pipeline.stages.sync import sync_trial

    cfg, paths = _study(tmp_path, rig, shifted(fine, rig, [0, 0, 0, 0], n=20))
    result = sync_trial(cfg, "t1")
    assert result.status == "degraded" and result.offsets_frames["cam_1"] is None
    assert f"needs at least {MIN_FRAMES + 1} frames" in result.reasons[0]


def test_stage_on_a_still_person_says_what_timing_needs(tmp_path, fine, rig):
    from pipeline.stages.sync import sync_trial

    still = np.repeat(fine[:1], 200, axis=0)
    obs = np.stack(
        [observe(still, [cam], SyntheticNoiseConfig(), c)[0] for c, cam in enumerate(rig)]
    )
    cfg, paths = _study(tmp_path, rig, obs)
    reasons = sync_trial(cfg, "t1").reasons
    assert reasons[-2].startswith("no camera could be timed: the keypoints move ")
    assert "views whose keypoints agree to a fraction of that motion" in reasons[-2]
    assert reasons[-1].startswith("to time cam_1, cam_2, cam_3 exactly")


def test_stage_refuses_a_timestamp_file_with_a_dropped_frame(tmp_path, fine, rig):
    from pipeline.core.errors import RunlabError
    from pipeline.stages.sync import sync_trial

    t = np.arange(300) / FPS
    stamps = "camera,frame,time_s\n" + "".join(
        f"{c},{k},{t[k] + (1 / FPS if c == 'cam_3' and k >= 100 else 0):.7f}\n"
        for c in CAMS
        for k in range(300)
    )
    cfg, paths = _study(tmp_path, rig, shifted(fine, rig, [0, 0, 0, 0]), stamps=stamps)
    with pytest.raises(RunlabError, match="camera cam_3: 1 gap"):
        sync_trial(cfg, "t1")
    assert not paths.sync("t1").exists()


def test_report_block_shows_offsets_confidence_and_reasons():
    from pipeline.quality.detection import DetectionSummary
    from pipeline.report.quality_sections import detection_html, sync_html

    offsets = np.array([0.0, 6.02, np.nan, 0.04])
    sd = np.array([0.0, 0.03, np.inf, 0.05])
    result = sync_result(CAMS, FPS, "check", "keypoints", offsets, sd, {2: "0-2: <no pair>"})
    page = sync_html(result)
    assert "6.02" in page and "50.2" in page and "0.94" in page  # frames, ms, confidence
    assert "degraded" in page and "cam_2: offset not measured" in page
    assert "&lt;no pair&gt;" in page and "<no pair>" not in page
    stats = DetectionSummary(0.3, 10, {c: 1.0 for c in CAMS}, {})
    assert "Camera synchronization" in detection_html(stats, result)
    assert "Camera synchronization" not in detection_html(stats)


def test_sync_config_is_checked():
    from pipeline.config import ConfigError, SyncMode, validate

    study = {"sessions": {"s1": {"subject": "R01"}}, "trials": {"t1": {"session": "s1"}}}
    assert validate({"study": study}).sync.mode is SyncMode.check
    with pytest.raises(ConfigError, match="sync.mode"):
        validate({"study": study, "sync": {"mode": "fix"}})
    with pytest.raises(ConfigError, match=r"sync.max_offset_s=0.0 must be in \(0, 10\]"):
        validate({"study": study, "sync": {"max_offset_s": 0.0}})


def test_an_offset_beyond_the_search_is_not_guessed(fine, rig):
    """cam_3 is 15 frames late but only +-12 frames (0.1 s) are searched: its pairs' best lag
    is at the edge, so it is not measured (said so, with the fix), never reported as 12."""
    est = estimate_offsets(shifted(fine, rig, [0, 0, 0, 15]), rig, FPS, 0.1, 0.3)
    assert np.isnan(est.offsets[3]) and np.abs(est.offsets[1:3]).max() < 0.1
    assert "raise sync.max_offset_s" in est.notes[3]
