"""`runlab`: the command line. Parses, reads config, calls one stage runner.

runlab configure [key=value ...]    compose conf/ with Hydra -> params.yaml (what DVC reads)
runlab <stage> [key=value ...]      run one stage on params.yaml (+ overrides), for every
                                    session (synth, calibrate, standing: a session's
                                    static trial -> its standing foot pitch) or trial;
                                    --session S / --trial T runs one (what DVC calls)
runlab report --study               only the study report (per-trial reports: --trial T)
runlab demo                         configure the demo study and `dvc repro` it
runlab study new NAME [key=value]   studies/NAME/: its own params.yaml, dvc.yaml, dvc.lock
runlab study configure NAME [...]   recompose studies/NAME/params.yaml + dvc.yaml; `study list`
runlab board-image [--dpi 150]      a printable PNG of the configured ChArUco board
runlab import-3d [FILE] --trial T   a TRC/C3D file (mocap, Pose2Sim, OpenCap) -> the trial's points3d
runlab import-calibration SRC ...   a Pose2Sim / aniposelib / caliscope (either file) calibration -> ours
runlab export-calibration OUT ...   ours -> Pose2Sim / aniposelib / caliscope
runlab export --trial T [--format trc|mot|c3d|bvh]   a trial for OpenSim / C3D / animation tools
runlab models                       the pose checkpoints fetch-model knows (URL, hash, config)
runlab fetch-model NAME [--mirror URL]  download one into the cache, verified; prints the config
runlab cluster repro [--address A] [targets]   the stale stages as Ray tasks (docs/cluster.md);
                                    without --address a local Ray, loopback only
"""

from __future__ import annotations

import argparse
import importlib
import logging
import subprocess
import sys
import time
from pathlib import Path

STAGES = (
    "synth",
    "calibrate",
    "detect",
    "sync",
    "triangulate",
    "standing",
    "analyze",
    "report",
)
SESSION_STAGES = ("synth", "calibrate", "standing")
log = logging.getLogger("runlab")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="runlab", description="Multi-camera 3D running analysis.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)
    conf = sub.add_parser("configure", help="compose conf/ into params.yaml")
    conf.add_argument("--config-dir", default="conf")
    conf.add_argument("--out", default="params.yaml")
    conf.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. study=demo rig.fps=240")
    for stage in STAGES:
        s = sub.add_parser(stage, help=f"run the {stage} stage")
        s.add_argument(
            "--params", default="params.yaml", help="composed config (default params.yaml)"
        )
        if stage in SESSION_STAGES:
            s.add_argument("--session", default=None, help="one session id (default: all)")
        else:
            s.add_argument("--trial", default=None, help="one trial id (default: all)")
        if stage == "report":
            s.add_argument("--study", action="store_true", help="only the study report")
        s.add_argument(
            "--dvc-stage",
            action="store_true",
            help="the session/trial is the item of the DVC stage running this (DVC_STAGE): "
            "how dvc.yaml calls runlab, so that no id is ever on a shell line",
        )
        s.add_argument(
            "overrides", nargs="*", help="key=value overrides, e.g. triangulation.min_views=3"
        )
    study = sub.add_parser("study", help="a study of its own in studies/<name>/ (docs/studies.md)")
    study.add_argument("action", choices=("new", "configure", "list"))
    study.add_argument("name", nargs="?", help="the study (conf/study/<name>.yaml)")
    study.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. detector=blazepose")
    demo = sub.add_parser("demo", help="run the built-in demo study end to end through DVC")
    demo.add_argument("overrides", nargs="*")
    board = sub.add_parser(
        "board-image", help="write a printable PNG of the configured ChArUco board"
    )
    board.add_argument("--dpi", type=float, default=150.0)
    board.add_argument(
        "--out", default=None, help="default: calibration/boards/<squares>_<size>.png"
    )
    board.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. board=charuco_7x5")
    i3d = sub.add_parser(
        "import-3d", help="a TRC/C3D file -> a trial's points3d (docs/import3d.md)"
    )
    i3d.add_argument(
        "file",
        nargs="?",
        default=None,
        help="the .trc/.c3d file (default: study.imports.<trial>.file)",
    )
    i3d.add_argument(
        "--trial", default=None, help="the trial id (default: every study.imports trial)"
    )
    i3d.add_argument(
        "--markerset",
        default=None,
        help="conf/markerset/<NAME>.yaml for a marker file (default: the trial's, "
        "else keypoint names)",
    )
    i3d.add_argument(
        "--params", default="params.yaml", help="composed config (default params.yaml)"
    )
    i3d.add_argument(
        "--dvc-stage",
        action="store_true",
        help="the trial is the item of the DVC "
        "stage running this (DVC_STAGE), as dvc.yaml calls it",
    )
    imp = sub.add_parser(
        "import-calibration", help="convert a Pose2Sim/aniposelib or caliscope calibration"
    )
    imp.add_argument("source", help="calibration file of the other tool")
    imp.add_argument(
        "--format",
        choices=("pose2sim", "aniposelib", "caliscope", "caliscope-config", "auto"),
        required=True,
        help="caliscope = camera_array.toml, caliscope-config = its "
        "older config.toml (2023); auto = tell by the file's layout",
    )
    imp.add_argument(
        "--names", default=None, help="comma-separated camera names, in file order (= rig.cameras)"
    )
    imp.add_argument(
        "--out",
        required=True,
        help="e.g. results/<study>/sessions/<session>/calibration/calibration.toml",
    )
    exp = sub.add_parser(
        "export-calibration", help="write a calibration for Pose2Sim/aniposelib or caliscope"
    )
    exp.add_argument("out", help="file to write")
    exp.add_argument("--format", choices=("pose2sim", "aniposelib", "caliscope"), required=True)
    exp.add_argument(
        "--calibration", default=None, help="default: the configured session's calibration.toml"
    )
    exp.add_argument(
        "--session", default=None, help="session id (needed when the study has several)"
    )
    exp.add_argument("--params", default="params.yaml")
    trial_exp = sub.add_parser(
        "export",
        help="a trial's 3D for other tools: TRC (OpenSim), .mot, "
        "C3D with gait events, BVH (docs/exports.md)",
    )
    trial_exp.add_argument("--trial", required=True, help="trial id")
    trial_exp.add_argument(
        "--format",
        choices=("trc", "mot", "c3d", "bvh"),
        default=None,
        help="one format (default: all four)",
    )
    trial_exp.add_argument(
        "--out", default=None, help="folder (default: results/trials/<trial>/exports)"
    )
    trial_exp.add_argument("--params", default="params.yaml")
    trial_exp.add_argument(
        "overrides", nargs="*", help="key=value overrides, e.g. report.export_max_gap_s=0.2"
    )
    sub.add_parser("models", help="list the pose checkpoints fetch-model can download")
    fetch = sub.add_parser(
        "fetch-model", help="download a pose checkpoint into the cache, hash-checked"
    )
    fetch.add_argument("name", help="a name from `runlab models`, e.g. rtmpose-m")
    fetch.add_argument(
        "--mirror", default=None, help="base URL of a copy (replaces the upstream base)"
    )
    fetch.add_argument(
        "--sha256", default=None, help="the file's full SHA-256, when the lab knows it"
    )
    fetch.add_argument(
        "--cache", default=None, help="default: $RUNLAB_CACHE/models, else the user cache folder"
    )
    cluster = sub.add_parser("cluster", help="run a study's stale DVC stages on a Ray cluster")
    cluster_sub = cluster.add_subparsers(dest="cluster_command", required=True)
    crepro = cluster_sub.add_parser(
        "repro", help="like `dvc repro`, each stale stage a Ray task (docs/cluster.md)"
    )
    crepro.add_argument(
        "--address",
        default=None,
        help="Ray cluster (e.g. auto, 10.0.0.1:6379); default: start a local Ray instance",
    )
    crepro.add_argument(
        "--retries", type=int, default=2, help="reruns of a stage whose Ray worker died"
    )
    crepro.add_argument(
        "--num-cpus",
        type=int,
        default=None,
        help="CPUs of the local Ray instance (without --address; default: all)",
    )
    crepro.add_argument(
        "--expose-local-ray",
        action="store_true",
        help="without --address: run the local Ray on this machine's network "
        "(it listens on every interface) instead of a private loopback-only "
        "network namespace (docs/security.md)",
    )
    crepro.add_argument(
        "targets", nargs="*", help="dvc.yaml files or stage names (default: dvc.yaml)"
    )
    return p


def list_models() -> int:
    """`runlab models` (its import kept out of `main`, so no stage's code deps include it)."""
    from pipeline.pose2d.model_zoo import table_text

    print(table_text())
    return 0


def fetch_model(name: str, mirror: str | None, sha256: str | None, cache: str | None) -> None:
    from pipeline.pose2d.model_zoo import config_lines, get
    from pipeline.pose2d.model_zoo import fetch_model as fetch

    path, digest = fetch(name, mirror, Path(cache) if cache else None, sha256)
    model = get(name)
    checked = (
        "its full sha256"
        if (sha256 or model.sha256)
        else f"the published 8-hex prefix {model.sha256_prefix} only (no full hash is published)"
    )
    print(
        f"{path}\nsha256 {digest} (checked against {checked})\nuse it with:\n"
        f"  runlab configure {config_lines(name, path, digest)}"
    )


def cluster_repro(args: argparse.Namespace) -> int:
    if args.address is None and not args.expose_local_ray:
        # before anything starts a thread or Ray: the local instance sees only loopback
        from pipeline.cluster.private_net import enter_private_network

        enter_private_network()
    from pipeline.cluster.dispatch import require_token_auth

    require_token_auth()
    from pipeline.cluster.repro import repro

    s = repro(
        args.targets or None, address=args.address, retries=args.retries, num_cpus=args.num_cpus
    )
    counts = ", ".join(
        f"{status} {len(s.by_status(status))}"
        for status in ("ran", "restored", "unchanged", "failed", "skipped")
    )
    print(f"runlab cluster repro: {counts} in {s.wall_seconds:.1f} s")
    return 0 if s.ok else 1


def export_calibration(
    out: str, fmt: str, calibration: str | None, params: str, session: str | None = None
) -> Path:
    from pipeline.config import ConfigError, load_params
    from pipeline.io.camera_files import dump_camera_set, load_camera_set
    from pipeline.study.paths import StudyPaths

    if calibration:
        source = Path(calibration)
    else:
        cfg = load_params(params)
        if session is None and len(cfg.study.sessions) != 1:
            raise ConfigError(
                f"the study has sessions {list(cfg.study.sessions)}: name one with --session"
            )
        session = session or next(iter(cfg.study.sessions))
        cfg.study.session(session)
        source = StudyPaths.from_config(cfg).calibration(session)
    dump_camera_set(out, load_camera_set(source, "runlab"), fmt)
    return Path(out)


def import_calibration(source: str, fmt: str, names: str | None, out: str) -> Path:
    from pipeline.io.camera_files import dump_camera_set, load_camera_set

    dump_camera_set(out, load_camera_set(source, fmt, names.split(",") if names else None))
    return Path(out)


def configure(config_dir: str, out: str, overrides: list[str]) -> Path:
    """Compose conf/ into params.yaml (what DVC reads), byte for byte as `dvc exp run` would,
    after checking it against the typed schema so a bad key fails here, not in a stage."""
    from omegaconf import OmegaConf

    from pipeline.config import compose_raw, validate
    from pipeline.io.atomic import write_text
    from pipeline.study.studies import check_no_overlap

    raw = compose_raw(config_dir, overrides)
    cfg = validate(raw, source=str(Path(config_dir) / "config.yaml"))
    out_path = Path(out)
    check_no_overlap(out_path.parent, cfg.study.data_dir, cfg.study.results_dir, out_path)
    text = OmegaConf.to_yaml(raw)
    if not out_path.exists() or out_path.read_text() != text:
        write_text(out_path, text)
    return out_path


def run_stage(stage: str, args: argparse.Namespace) -> None:
    from pipeline.config import load_params

    if args.dvc_stage:
        from pipeline.core.safety import dvc_stage_item

        option, item = dvc_stage_item(stage)
        setattr(args, option, item)
    cfg = load_params(args.params, getattr(args, "overrides", None))
    start = time.perf_counter()
    module = importlib.import_module(f"pipeline.stages.{stage.replace('-', '')}")
    if stage == "import-3d":
        module.run(cfg, args.trial, args.file, args.markerset)
    elif stage in SESSION_STAGES:
        module.run(cfg, args.session)
    elif stage == "report":
        if args.trial:
            module.run_trial(cfg, args.trial)  # names the known trials if the id is unknown
        elif args.study:
            module.run_study(cfg)
        else:
            module.run(cfg)
    else:
        module.run(cfg, args.trial)
    log.info("%s finished in %.1f s", stage, time.perf_counter() - start)


def demo(overrides: list[str]) -> int:
    from pipeline.config import load_params
    from pipeline.study.paths import StudyPaths

    params = configure("conf", "params.yaml", ["study=demo", *overrides])
    rc = subprocess.call(["dvc", "repro"])
    if rc == 0:
        report = StudyPaths.from_config(load_params(params)).study_report_dir / "index.html"
        print(f"\nReport: {report.resolve()}")
    return rc


def study_command(action: str, name: str | None, overrides: list[str]) -> int:
    from pipeline.config import ConfigError
    from pipeline.study.studies import configure_study, list_studies

    if action == "list":
        print("\n".join(list_studies(".")))
        return 0
    if not name:
        raise ConfigError(f"runlab study {action}: name the study (conf/study/<name>.yaml)")
    folder = configure_study(".", name, overrides, new=action == "new")
    print(
        f"wrote {folder}/params.yaml and {folder}/dvc.yaml: run it with `dvc repro {folder}/dvc.yaml`"
    )
    return 0


def write_board_image(dpi: float, out: str | None, overrides: list[str]) -> Path:
    from pipeline.calibration.board import board_image, make_board
    from pipeline.config import compose
    from pipeline.io.video import write_image

    b = compose("conf", overrides).board
    path = Path(
        out
        or f"calibration/boards/charuco_{b.squares_x}x{b.squares_y}_"
        f"{b.square_length_m * 1000:g}mm_{b.dictionary.value}.png"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image = board_image(make_board(b), dpi)
    if b.inverted:
        image = 255 - image
    write_image(path, image)
    return path


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Our own messages at INFO; third-party libraries (numba, jax, dvc) only when they warn.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    for name in ("runlab", "pipeline"):
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    from pipeline.core.errors import RunlabError

    try:
        if args.command == "configure":
            path = configure(args.config_dir, args.out, args.overrides)
            print(f"wrote {path}")
            return 0
        if args.command == "demo":
            return demo(args.overrides)
        if args.command == "study":
            return study_command(args.action, args.name, args.overrides)
        if args.command == "import-calibration":
            print(f"wrote {import_calibration(args.source, args.format, args.names, args.out)}")
            return 0
        if args.command == "export-calibration":
            print(
                f"wrote {export_calibration(args.out, args.format, args.calibration, args.params, args.session)}"
            )
            return 0
        if args.command == "export":
            from pipeline.config import load_params
            from pipeline.stages import export

            export.run(load_params(args.params, args.overrides), args.trial, args.format, args.out)
            return 0
        if args.command == "models":
            return list_models()
        if args.command == "fetch-model":
            fetch_model(args.name, args.mirror, args.sha256, args.cache)
            return 0
        if args.command == "cluster":
            return cluster_repro(args)
        if args.command == "board-image":
            path = write_board_image(args.dpi, args.out, args.overrides)
            print(
                f"wrote {path}: print it at {args.dpi:g} dpi without scaling, then measure a square"
            )
            return 0
        run_stage(args.command, args)  # a stage, or import-3d
        return 0
    except RunlabError as exc:
        if args.verbose:
            raise
        print(f"runlab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
