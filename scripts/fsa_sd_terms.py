"""The foot-strike angle's SD split into its terms, each against the error part it stands for
(issue #29; docs/metrics.md, "The foot-strike angle's SD and the touchdown").

Per matched stride of a detected-event analysis given the points' SDs: the angle error split
into the noise part (the measured pitch at the TRUE strike less the truth) and the timing part
(the measured pitch at the detected strike less at the true one); the SD's noise term (line
residuals, strike_pitch.py), the timing SD used (the strike's Cramer-Rao SD or the strikes'
stride-time scatter) against the strike's actual error, and the timing term against the
timing part. Levels: hamner treadmill at the real-detector level (needs ../shared), the
synthetic runner at 1 px and at the real level.

    python scripts/fsa_sd_terms.py [--seeds 0,1,2] [--levels hamner,1px,real]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))

import pipeline.gait.landing as landing  # noqa: E402
from pipeline.config import SyntheticNoiseConfig, ThresholdsConfig  # noqa: E402
from pipeline.gait.metrics import TrialAnalysis, analyze_trial  # noqa: E402
from pipeline.gait.sampling import sample_at  # noqa: E402
from pipeline.gait.strike_pitch import strike_angle_sd, timing_read_sd  # noqa: E402

FORWARD = [1.0, 0.0, 0.0]
_CALLS: list[dict] = []
_LAST_PREDICTED: dict = {}


def _recorded_sd(pitch, strike, fps, timing_sd):
    if timing_sd is not None:
        _CALLS.append(
            dict(
                pitch=np.array(pitch),
                strike=float(strike),
                fps=fps,
                timing_sd=timing_sd,
                predicted=_LAST_PREDICTED.get("sd"),
            )
        )
    return strike_angle_sd(pitch, strike, fps, timing_sd)


def _recorded_timing(timing, side, name, frame):
    _LAST_PREDICTED["sd"] = _original_timing(timing, side, name, frame)
    return _LAST_PREDICTED["sd"]


_original_timing = landing.timing_sd_of
landing.strike_angle_sd = _recorded_sd  # type: ignore[assignment]
landing.timing_sd_of = _recorded_timing  # type: ignore[assignment]


def _rows(measured: TrialAnalysis, reference: TrialAnalysis) -> list[dict]:
    """Per matched stride: the error's parts and the SD's terms (deg, frames)."""
    out = []
    calls = {(round(c["strike"], 6)): c for c in _CALLS}
    name = "foot_strike_angle_deg"
    for got in measured.strides:
        call = calls.get(round(got.strike_frame, 6))
        match = [
            r
            for r in reference.strides
            if r.side == got.side and abs(r.strike_time_s - got.strike_time_s) < 0.1
        ]
        if call is None or not match or got.value(name) is None or match[0].value(name) is None:
            continue
        pitch, fps = call["pitch"], call["fps"]
        detected, true = (
            got.strike_frame,
            got.strike_frame + (match[0].strike_time_s - got.strike_time_s) * fps,
        )
        error = got.value(name) - match[0].value(name)
        timing_part = float(sample_at(pitch, detected) - sample_at(pitch, true))
        noise_term = strike_angle_sd(pitch, detected, fps, None)
        out.append(
            dict(
                error=error,
                sd=got.uncertainty.get(name),
                noise_term=noise_term,
                noise_part=error - timing_part,
                timing_sd=call["timing_sd"],
                predicted=call["predicted"],
                strike_error=detected - true,
                timing_term=timing_read_sd(pitch, detected, call["timing_sd"]),
                timing_part=timing_part,
            )
        )
    return out


def hamner(seeds) -> list[dict]:
    from running_mocap import TREADMILL_TRIALS, observed_trial, treadmill_trial

    from pipeline.gait.events import TOE_TIP_AHEAD_M

    out = []
    for name, speed in TREADMILL_TRIALS.items():
        points, fps, plates, _ = treadmill_trial(name)
        kw: dict = dict(belt_speed_mps=speed, toe_tip_ahead_m=TOE_TIP_AHEAD_M)
        flat = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), events=plates, **kw)
        kw["standing_pitch_deg"] = {
            s: flat.summary.sides[s].foot_strike.standing.pitch_deg for s in ("left", "right")
        }
        reference = analyze_trial(points, fps, FORWARD, ThresholdsConfig(), events=plates, **kw)
        for seed in seeds:
            seen, unfiltered, height_sd, point_sd = observed_trial(
                points, fps, seed, with_point_sd=True
            )
            _CALLS.clear()
            measured = analyze_trial(
                seen,
                fps,
                FORWARD,
                ThresholdsConfig(),
                height_sd=height_sd,
                max_event_timing_sd_s=0.003,
                event_points=unfiltered,
                point_sd=point_sd,
                **kw,
            )
            out += _rows(measured, reference)
    return out


def synthetic(level: str, seeds) -> list[dict]:
    from assessment_accuracy import load_level, trial_pair

    noise = SyntheticNoiseConfig(pixel_sigma=1.0) if level == "1px" else load_level()
    out = []
    for seed in seeds:
        _CALLS.clear()
        measured, true = trial_pair(noise, seed, with_point_sd=True)
        out += _rows(measured, true)
    return out


def _rms(values) -> float:
    return float(np.sqrt(np.nanmean(np.square(np.asarray(values, float)))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--levels", default="hamner,1px,real")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    for level in args.levels.split(","):
        rows = hamner(seeds) if level == "hamner" else synthetic(level, seeds)
        col = {k: np.array([r[k] for r in rows], float) for k in rows[0]}
        error, sd = col["error"], col["sd"]
        print(
            f"== {level}, seeds {args.seeds}: {len(rows)} strides; error RMS {_rms(error):.2f} "
            f"deg, SD RMS {_rms(sd):.2f} (median {np.median(sd):.2f}), RMS error / RMS SD "
            f"{_rms(error) / _rms(sd):.2f}; |error| within 1 SD {np.sum(np.abs(error) <= sd)}, "
            f"within 1.96 SD {np.sum(np.abs(error) <= 1.96 * sd)}"
        )
        print(
            f"   noise term RMS {_rms(col['noise_term']):.2f} against the noise part "
            f"{_rms(col['noise_part']):.2f}; timing SD used RMS {_rms(col['timing_sd']):.2f} "
            f"frames (Cramer-Rao {_rms(col['predicted']):.2f}) against the strikes' actual "
            f"error RMS {_rms(col['strike_error']):.2f} (mean {np.mean(col['strike_error']):+.2f}); "
            f"timing term RMS {_rms(col['timing_term']):.2f} against the timing part "
            f"{_rms(col['timing_part']):.2f}"
        )


if __name__ == "__main__":
    main()
