"""`runlab standing [--session S]`: a session's static trial (study.static_trials) ->
sessions/<session>/standing.json, the standing foot pitch its running trials' foot-strike
angles are measured from (gait/standing.py).

The static trial goes through detect, sync and triangulate like any trial; analyze and
report give it a page of its own (the measurement and its verdict), not a running analysis,
and the study report leaves it out.
"""

from __future__ import annotations

from pipeline.config import Config, ConfigError
from pipeline.gait.standing import REASONS, StandingMeasurement, measure_standing
from pipeline.io import formats
from pipeline.io.atomic import staged
from pipeline.stages.common import log
from pipeline.study.paths import StudyPaths


def run(cfg: Config, session: str | None = None) -> None:
    if session is not None and session not in cfg.study.static_trials:
        raise ConfigError(
            f"session '{session}' names no static trial: add study.static_trials.{session}: "
            f"<trial> (sessions with one: {', '.join(cfg.study.static_trials) or 'none'})"
        )
    for name in [session] if session is not None else list(cfg.study.static_trials):
        measure_session(cfg, name)


def measure_static_trial(cfg: Config, trial: str) -> StandingMeasurement:
    paths = StudyPaths.from_config(cfg)
    p3d = formats.read_points3d(paths.points3d(trial))
    assert p3d.fps is not None  # read_points3d sets it (a file's)
    return measure_standing(p3d.points, float(p3d.fps), trial)


def measure_session(cfg: Config, session: str) -> StandingMeasurement:
    trial = cfg.study.static_trials[session]
    result = measure_static_trial(cfg, trial)
    out = StudyPaths.from_config(cfg).standing(session)
    with staged(out) as (stage_out,):
        formats.write_json(stage_out, {"session": session, **result.to_dict()})
    pitch = result.pitch_deg()
    if pitch is None:
        log.warning(
            "session %s: static trial %s gives no standing reference: %s; its running trials' "
            "foot-strike angles are upper bounds (the foot-flat angle)",
            session,
            trial,
            "; ".join(REASONS[r] for r in result.reasons()),
        )
    else:
        log.info(
            "session %s: standing foot pitch %s from static trial %s (%d still frames)",
            session,
            ", ".join(f"{side} {deg:+.1f} deg" for side, deg in pitch.items()),
            trial,
            result.n_still_frames,
        )
    return result


def session_standing_pitch(cfg: Config, session: str) -> dict[str, float] | None:
    """{side: deg} from the session's static trial, None when it gave no reference (logged
    by the standing stage); a clear error when the measurement was not made yet."""
    path = StudyPaths.from_config(cfg).standing(session)
    if not path.exists():
        raise formats.FormatError(
            f"{path} is missing: the session's static trial "
            f"({cfg.study.static_trials[session]}) is not measured yet; run `runlab standing "
            f"--session {session}` (dvc repro runs it before analyze)"
        )
    data = formats.read_json(path)
    data.pop("schema_version", None)
    if data.get("trial") != cfg.study.static_trials[session]:
        raise formats.FormatError(
            f"{path} was measured from trial {data.get('trial')!r}, but study.static_trials."
            f"{session} is {cfg.study.static_trials[session]!r}: rerun `runlab standing "
            f"--session {session}`"
        )
    measurement = StandingMeasurement.from_dict(data)
    if measurement.pitch_deg() is None:
        log.warning(
            "session %s: static trial %s gave no standing reference (%s, %s): the foot-strike "
            "angles are the foot-flat upper bound",
            session,
            measurement.trial,
            ", ".join(measurement.reasons()),
            path,
        )
    return measurement.pitch_deg()


def analyze_static(cfg: Config, trial: str) -> None:
    """analyze on a static trial: its standing measurement (no strides, no running verdict)."""
    paths = StudyPaths.from_config(cfg)
    result = measure_static_trial(cfg, trial)
    data = result.to_dict()
    session = cfg.study.trial(trial).session
    with staged(paths.analysis_dir(trial), paths.curves_dir(trial), paths.trial_metrics(trial)) as (
        analysis_dir,
        curves_dir,
        metrics,
    ):
        formats.write_json(
            analysis_dir / paths.analysis(trial).name,
            {"session": session, "static_trial": True, "standing": data},
        )
        formats.write_csv_dir(curves_dir, {})
        formats.write_json(
            metrics,
            {
                "verdict": data["verdict"],
                "verdict_reasons": [r["code"] for r in data["reasons"]],
                "standing_foot_pitch_deg": {s: v.pitch_deg for s, v in result.sides.items()},
                "standing_pitch_sd_deg": {s: v.sd_deg for s, v in result.sides.items()},
                "standing_frames": {s: v.n_frames for s, v in result.sides.items()},
            },
        )
    log.info("trial %s: static trial of session %s, standing measured", trial, session)
