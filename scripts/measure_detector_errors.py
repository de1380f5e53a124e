"""Measure a real 2D detector's errors on the shared Pose2Sim recording, to size the synthetic
detector's real level (`conf/detector/synthetic_real.yaml`; numbers and mapping in
docs/synthetic.md, "A real detector").

Without ground truth, every error is measured against the other views:
- systematic per-camera offsets: points triangulated (DLT, score-weighted) from all views
  with a valid keypoint, reprojected; per camera the median of reprojected minus detected
  over the keypoints seen by all 4 cameras (first pass = what issue #13 reports). Then the
  offsets are removed from the detections and the solve repeated (ITERATIONS passes), so an
  offset is not smeared over the other views. Offsets are defined only up to what a 3D shift
  of the points explains: more passes move them along that direction without changing the
  residuals (OpenPose: MAD sigma 6.81 px after 3 passes, 6.79 after 30; rms 13.1 / 13.5 px);
- residual tails: offset-corrected residuals (x and y pooled, all 4 views, |r| < GROSS_PX),
  a Student-t fitted by maximum likelihood (location 0): dof and scale;
- left/right swap bursts: per frame, the left/right keypoints of the body (shoulders to toes,
  not the face) are triangulated from all views, then again with each view's labels
  exchanged in turn; the best exchange marks its view swapped when it lowers the frame's mean
  capped reprojection error by at least SWAP_GAIN and to below SWAP_RATIO x the unexchanged
  one (two views swapped on the same frame are not looked for). Runs of swapped frames per
  camera = burst lengths;
- dropouts: a keypoint missing or below the triangulation's min_score (0.3); runs per camera
  and keypoint, and the share on the far side (body side facing away, `far_side_mask` on the
  triangulated hips and shoulders) against the near side.
- the person's height in the image (`detector_errors.person_height_px`, neck to feet, keypoints
  at min_score or above): the pixel sizes above hold for a person this tall, the level's
  `reference_height_px`.

The same measurement on a synthetic trial observed at a given level (`--synthetic`) checks that
the level reproduces what the real detector shows. Residuals of an all-view fit are smaller
than the per-view noise that causes them (4 views: about 0.8x), which this comparison absorbs.

    python scripts/measure_detector_errors.py [--blazepose] [--synthetic conf/detector/synthetic_real.yaml]

BlazePose runs mediapipe on the 4 videos (about 15 s on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import DetectorBackend, DetectorConfig, SyntheticNoiseConfig  # noqa: E402
from pipeline.core.dlt import triangulate_dlt  # noqa: E402
from pipeline.core.geometry import project  # noqa: E402
from pipeline.core.skeleton import INDEX, KEYPOINTS, LEFT_RIGHT_SWAP  # noqa: E402
from pipeline.synth.detector_errors import person_height_px  # noqa: E402
from pipeline.synth.observe import far_side_mask  # noqa: E402

DEMO = REPO.parent / "shared" / "data" / "pose2sim-demo"
CAMERAS = ["cam01", "cam02", "cam03", "cam04"]
MIN_SCORE = 0.3  # TriangulationConfig.min_score
ITERATIONS = 3
GROSS_PX = 100.0  # residuals beyond this (swaps, wrong person) are left out of the tail fit
SWAP_CAP_PX = 100.0  # per-keypoint error cap in the swap cost
SWAP_GAIN = 10.0  # px: a swap must lower the frame's mean capped error by this much ...
SWAP_RATIO = 0.5  # ... and to below this share of the unswapped cost
LOWER_BODY = [
    INDEX[n]
    for n in KEYPOINTS
    if any(p in n for p in ("hip", "knee", "ankle", "heel", "toe")) and n != "hip"
]
KEYPOINT_GROUPS = {
    "face": ("nose", "eye", "ear", "head"),
    "arms": ("shoulder", "elbow", "wrist"),
    "hips": ("hip",),
    "knees": ("knee",),
    "ankles": ("ankle",),
    "feet": ("heel", "toe"),
}
BODY = [
    INDEX[n]
    for n in KEYPOINTS  # every left/right keypoint below the face
    if n.startswith(("left_", "right_")) and not n.endswith(("eye", "ear"))
]


def real_recording(backend: str):
    """(C, F, 26, 3) detections of the balancing trial and its cameras."""
    from pipeline.io.interop import read_pose2sim_calibration

    calib = read_pose2sim_calibration(DEMO / "calibration" / "Calib_qualisys.toml", CAMERAS)
    cfg = DetectorConfig(backend=DetectorBackend(backend))
    trial = DEMO / "balancing"  # OpenPose files in <trial>/openpose/<camera>_json, the default
    from pipeline.pose2d.run import detect_recording

    videos = [trial / "videos" / f"{c}.mp4" for c in CAMERAS]
    n_frames = len(list((trial / "openpose" / f"{CAMERAS[0]}_json").glob("*.json")))
    obs = detect_recording(videos, calib.cameras, cfg, n_frames, trial)
    return obs, calib.cameras


def valid(obs):
    return np.isfinite(obs[..., 0]) & (obs[..., 2] >= MIN_SCORE)


def offsets_and_residuals(obs, cameras):
    """First-pass and converged per-camera offsets (C, 2) px, offset-corrected residuals (C, F, K, 2)."""
    ok = valid(obs)
    total = np.zeros((len(cameras), 2))
    first = None
    for _ in range(ITERATIONS):
        corrected = obs.copy()
        corrected[..., :2] += total[:, None, None, :]
        tri = triangulate_dlt(corrected, cameras, MIN_SCORE, 2)
        res = np.stack([project(c, tri.points) for c in cameras]) - corrected[..., :2]
        full = ok & (tri.n_views == len(cameras))[None]
        step = np.array([np.median(res[c][full[c]], axis=0) for c in range(len(cameras))])
        if first is None:
            first = step.copy()
        total += step
    res = np.where(full[..., None], res - step[:, None, None, :], np.nan)
    return first, total, res, tri


def tail_fit(res):
    r = res[np.isfinite(res[..., 0])]
    r = r[np.linalg.norm(r, axis=1) < GROSS_PX].ravel()
    dof, _, scale = stats.t.fit(r, floc=0)
    mad = 1.4826 * np.median(np.abs(r))
    return {
        "n": r.size,
        "t_dof": dof,
        "t_scale_px": scale,
        "mad_sigma_px": mad,
        "share_beyond_4mad": float(np.mean(np.abs(r) > 4 * mad)),
        "gaussian_share_beyond_4sd": float(2 * stats.norm.sf(4)),
    }


def swapped_views(obs, cameras):
    """(C, F) bool: view-frames whose exchanged labels fit the other views decisively better.
    Cost of a frame = mean over views and body keypoints of the reprojection error of the
    all-view solve, each capped at SWAP_CAP_PX (a swapped view counts fully even when it barely
    pulls the solve, a gross error cannot decide)."""
    n_cams, n_frames = obs.shape[:2]
    body = obs[:, :, BODY]

    def frame_cost(o):
        tri = triangulate_dlt(o, cameras, MIN_SCORE, 3)
        rep = np.stack([project(c, tri.points) for c in cameras])
        err = np.where(
            valid(o), np.minimum(np.linalg.norm(rep - o[..., :2], axis=-1), SWAP_CAP_PX), np.nan
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a frame without keypoints
            return np.nanmean(err.transpose(1, 0, 2).reshape(n_frames, -1), axis=1)

    base = frame_cost(body)
    costs = np.full((n_cams, n_frames), np.inf)
    local = np.array([BODY.index(i) for i in LEFT_RIGHT_SWAP[BODY]])
    for c in range(n_cams):
        trial = body.copy()
        trial[c] = trial[c][:, local]
        costs[c] = np.nan_to_num(frame_cost(trial), nan=np.inf)
    best = np.argmin(costs, axis=0)
    lowest = costs[best, np.arange(n_frames)]
    decisive = (base - lowest > SWAP_GAIN) & (lowest < SWAP_RATIO * base)
    swapped = np.zeros((n_cams, n_frames), bool)
    swapped[best[decisive], np.flatnonzero(decisive)] = True
    return swapped


def runs(mask_1d):
    """Lengths of the True runs of a 1D bool array."""
    m = np.concatenate([[False], np.asarray(mask_1d, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(int)))
    return edges[1::2] - edges[::2]


def dropouts(obs, cameras, points3d, keypoints=None):
    """Missing keypoint-frames (absent or below MIN_SCORE) among the keypoints the backend
    reports at all (BlazePose has no small toes), or among `keypoints`."""
    reported = np.isfinite(obs[..., 0]).any(axis=(0, 1))
    if keypoints is not None:
        reported &= np.isin(np.arange(obs.shape[2]), keypoints)
    obs, points3d = obs[:, :, reported], points3d
    missing = ~valid(obs)
    lengths = [
        r for c in range(obs.shape[0]) for k in range(obs.shape[2]) for r in runs(missing[c, :, k])
    ]
    lengths = np.array(lengths) if lengths else np.zeros(0, int)
    filled = points3d.copy()
    for k in range(filled.shape[1]):  # far side needs hips and shoulders on every frame
        bad = ~np.isfinite(filled[:, k, 0])
        if bad.any() and (~bad).any():
            filled[bad, k] = np.nanmedian(filled[:, k], axis=0)
    far = np.stack([far_side_mask(filled, cam) for cam in cameras])[:, :, reported]
    scores = obs[..., 2]
    present = np.isfinite(obs[..., 0]) & (scores > 0)
    return {
        "share_missing": float(missing.mean()),
        "runs": lengths,
        "share_far_side": float(far.mean()),
        "missing_far": float(missing[far].mean()) if far.any() else np.nan,
        "missing_near": float(missing[~far].mean()),
        "score_near": float(scores[present & ~far].mean()),
        "score_far": float(scores[present & far].mean()) if (present & far).any() else np.nan,
    }


def measure(obs, cameras, label):
    sw = swapped_views(obs, cameras)
    unswapped = obs.copy()  # swaps are measured as swaps, not as tails or offsets
    for c, f in zip(*np.nonzero(sw)):
        unswapped[c, f] = obs[c, f][LEFT_RIGHT_SWAP]
    first, total, res, tri = offsets_and_residuals(unswapped, cameras)
    print(f"\n== {label}: {obs.shape[0]} cameras x {obs.shape[1]} frames")
    scale = 1080.0 / min(cameras[0].size)
    for c, cam in enumerate(cameras):
        print(
            f"  {cam.name}: median reprojected - detected, first pass ({first[c, 0]:+.1f}, "
            f"{first[c, 1]:+.1f}) px, converged ({total[c, 0]:+.1f}, {total[c, 1]:+.1f}) px"
        )
    lengths = np.linalg.norm(total, axis=1) * scale
    height = person_height_px(np.where(obs[..., 2:3] >= MIN_SCORE, obs[..., :2], np.nan))
    print(
        f"  person's height (neck to feet; the level's reference_height_px): median "
        f"{np.nanmedian(height):.0f} px, per camera "
        f"{', '.join(f'{v:.0f}' for v in np.nanmedian(height, axis=1))} px"
    )
    print(
        f"  offset length at 1080p: {', '.join(f'{v:.1f}' for v in lengths)} px, "
        f"rms {np.sqrt(np.mean(lengths**2)):.1f} px"
    )
    t = tail_fit(res)
    print(
        f"  residuals (offset-corrected, n={t['n']}): Student-t dof {t['t_dof']:.2f}, scale "
        f"{t['t_scale_px']:.2f} px; MAD sigma {t['mad_sigma_px']:.2f} px; beyond 4 MAD-sigma "
        f"{100 * t['share_beyond_4mad']:.2f} % (Gaussian {100 * t['gaussian_share_beyond_4sd']:.4f} %)"
    )
    parts = []
    for group, words in KEYPOINT_GROUPS.items():
        ks = [i for i, n in enumerate(KEYPOINTS) if any(w in n for w in words)]
        r = res[:, :, ks][np.isfinite(res[:, :, ks, 0])]
        r = r[np.linalg.norm(r, axis=1) < GROSS_PX].ravel()
        if r.size:
            parts.append(f"{group} {1.4826 * np.median(np.abs(r)):.1f}")
    print(f"  residual MAD sigma by keypoint group: {', '.join(parts)} px")
    for c, cam in enumerate(cameras):
        frames = np.flatnonzero(sw[c])
        if frames.size:
            print(
                f"  {cam.name}: {frames.size} swapped view-frames, runs {runs(sw[c]).tolist()} "
                f"(frames {frames.min()}-{frames.max()})"
            )
    print(f"  swapped view-frames: {int(sw.sum())} of {sw.size} ({100 * sw.mean():.1f} %)")
    for part, keypoints in (("all keypoints", None), ("lower body", LOWER_BODY)):
        d = dropouts(obs, cameras, tri.points, keypoints)
        r = d["runs"]
        print(
            f"  {part}: missing or score < {MIN_SCORE}: {100 * d['share_missing']:.1f} % of "
            f"keypoint-frames; runs: {r.size}, mean {r.mean() if r.size else 0:.1f}, median "
            f"{np.median(r) if r.size else 0:.0f}, 90th pct {np.quantile(r, 0.9) if r.size else 0:.0f}"
            f" frames, {int((r >= 5).sum())} runs >= 5 frames (i.i.d. at this share: mean "
            f"{1 / (1 - d['share_missing']):.2f}); far side {100 * d['share_far_side']:.0f} % of "
            f"keypoint-frames, missing there {100 * d['missing_far']:.1f} % vs near side "
            f"{100 * d['missing_near']:.1f} %; mean score far {d['score_far']:.2f} vs near "
            f"{d['score_near']:.2f}"
        )
    return {"offsets_first": first, "offsets": total, "tails": t, "swapped": sw, "dropouts": d}


def synthetic_recording(noise: SyntheticNoiseConfig, seed: int = 0, duration_s: float = 3.0):
    import dataclasses

    from pipeline.config import RigConfig, RunnerConfig
    from pipeline.synth.kinematics import simulate_run
    from pipeline.synth.observe import observe
    from pipeline.synth.rig import make_rig

    cameras = make_rig(RigConfig())
    truth = simulate_run(RunnerConfig(duration_s=duration_s, seed=seed), 120.0)
    # another study per seed: offsets, calibration error and definition bias are drawn anew
    noise = dataclasses.replace(noise, seed=noise.seed + seed)
    return observe(truth.points, cameras, noise), cameras


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blazepose", action="store_true", help="also run BlazePose on the videos")
    ap.add_argument(
        "--synthetic",
        type=Path,
        default=None,
        help="a conf/detector/*.yaml with a synthetic level to measure the same way",
    )
    ap.add_argument("--seeds", type=int, default=3, help="synthetic trials (3 s each)")
    args = ap.parse_args()
    if DEMO.exists():
        measure(*real_recording("openpose_json"), "pose2sim-demo balancing, OpenPose BODY_25B")
        if args.blazepose:
            measure(*real_recording("blazepose"), "pose2sim-demo balancing, BlazePose full")
    else:
        print(f"{DEMO} not found: no real measurement")
    if args.synthetic:
        from omegaconf import OmegaConf

        raw = OmegaConf.load(args.synthetic)
        noise = OmegaConf.to_object(
            OmegaConf.merge(OmegaConf.structured(SyntheticNoiseConfig), raw.get("synthetic", {}))
        )
        runs_ = [
            measure(
                *synthetic_recording(noise, seed),
                f"synthetic runner, {args.synthetic.name}, seed {seed}",
            )
            for seed in range(args.seeds)
        ]
        rms = [np.sqrt(np.mean(np.sum(r["offsets"] ** 2, axis=1))) for r in runs_]
        print(
            f"\n== synthetic, {args.seeds} seeds: offset rms {np.mean(rms):.1f} px (range "
            f"{min(rms):.1f}-{max(rms):.1f}); Student-t dof "
            f"{np.mean([r['tails']['t_dof'] for r in runs_]):.2f}, scale "
            f"{np.mean([r['tails']['t_scale_px'] for r in runs_]):.2f} px, MAD sigma "
            f"{np.mean([r['tails']['mad_sigma_px'] for r in runs_]):.2f} px, beyond 4 MAD "
            f"{100 * np.mean([r['tails']['share_beyond_4mad'] for r in runs_]):.2f} %; swapped "
            f"{100 * np.mean([r['swapped'].mean() for r in runs_]):.1f} % of view-frames"
        )


if __name__ == "__main__":
    main()
