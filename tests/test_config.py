"""Typed config: composition from conf/, and failures that name the offending key."""

import re

import pytest
from omegaconf import OmegaConf

from pipeline.cli import configure
from pipeline.config import (
    Config,
    ConfigError,
    DetectorBackend,
    compose,
    load_params,
    register_schemas,
    validate,
)

ONE_TRIAL = {"sessions": {"s": {"subject": "P"}}, "trials": {"t": {"session": "s"}}}


def test_conf_composes_into_typed_config(repo_root):
    cfg = compose(repo_root / "conf")
    assert isinstance(cfg, Config)
    assert cfg.detector.backend is DetectorBackend.synthetic
    assert list(cfg.study.trials) == ["crossover", "typical"]
    assert cfg.study.trials["crossover"].runner.step_width_m == pytest.approx(-0.02)
    assert cfg.study.trials["crossover"].session == "r01_before"
    assert cfg.study.sessions["r01_after"].subject == "R01"
    assert cfg.study.synthetic and cfg.study.trials_of("r01_after") == ["typical"]


def test_hydra_overrides_apply(repo_root):
    cfg = compose(repo_root / "conf", ["rig.fps=240", "triangulation.min_views=3"])
    assert cfg.rig.fps == 240
    assert cfg.triangulation.min_views == 3


def test_unknown_key_is_named(repo_root):
    with pytest.raises(ConfigError, match="triangulation.min_veiws"):
        compose(repo_root / "conf", ["+triangulation.min_veiws=3"])


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match="rig.fps"):
        validate({"rig": {"fps": "fast"}, "study": ONE_TRIAL})


def test_bad_enum_value_is_named():
    with pytest.raises(ConfigError, match="detector.backend"):
        validate({"detector": {"backend": "openpose"}, "study": ONE_TRIAL})


def test_inconsistent_values_are_explained():
    with pytest.raises(ConfigError, match="arc_deg needs one angle per camera"):
        validate({"rig": {"cameras": ["a", "b", "c"]}, "study": {**ONE_TRIAL, "synthesize": ["s"]}})


def test_synthetic_lens_videos_are_asked_for_when_the_lenses_come_from_videos():
    study = {**ONE_TRIAL, "synthesize": ["s"]}
    lenses = {"intrinsics": {"source": "videos"}}
    with pytest.raises(ConfigError, match="set synth.lens_frames"):
        validate({"calibration": lenses, "study": study})
    cfg = validate({"calibration": lenses, "synth": {"lens_frames": 40}, "study": study})
    assert cfg.synth.lens_frames == 40


def test_board_with_more_markers_than_its_dictionary_is_refused():
    with pytest.raises(ConfigError, match="12 x 9 board has 54 markers.*DICT_4X4_50 has only 50"):
        validate({"board": {"squares_x": 12, "squares_y": 9}, "study": ONE_TRIAL})
    cfg = validate(
        {
            "board": {"squares_x": 12, "squares_y": 9, "dictionary": "DICT_4X4_100"},
            "study": ONE_TRIAL,
        }
    )
    assert cfg.board.squares_x == 12


def test_lens_board_is_checked_and_only_used_with_lens_videos():
    lens_board = {
        "squares_x": 12,
        "squares_y": 9,
        "square_length_m": 0.06,
        "marker_length_m": 0.045,
    }
    with pytest.raises(ConfigError, match="intrinsics.board .*only used with .*source = videos"):
        validate({"calibration": {"intrinsics": {"board": lens_board}}, "study": ONE_TRIAL})
    lenses = {"source": "videos", "board": lens_board}
    with pytest.raises(ConfigError, match="calibration.intrinsics.board: a 12 x 9 board has 54"):
        validate({"calibration": {"intrinsics": lenses}, "study": ONE_TRIAL})
    lenses["board"] = {**lens_board, "dictionary": "DICT_4X4_100"}
    cfg = validate({"calibration": {"intrinsics": lenses}, "study": ONE_TRIAL})
    assert cfg.calibration.intrinsics.board.squares_x == 12
    assert cfg.board.squares_x == 7  # the rig's board is unchanged


def test_params_yaml_round_trip(tmp_path, repo_root):
    out = configure(str(repo_root / "conf"), str(tmp_path / "params.yaml"), ["rig.fps=60"])
    cfg = load_params(out, ["analysis.thresholds.min_strides=5"])
    assert cfg.rig.fps == 60 and cfg.analysis.thresholds.min_strides == 5
    with pytest.raises(ConfigError, match="params.yaml: invalid config key 'analysis.treshold'"):
        load_params(out, ["analysis.treshold=1"])


def test_missing_params_file_says_what_to_run(tmp_path):
    with pytest.raises(ConfigError, match="runlab configure"):
        load_params(tmp_path / "params.yaml")


def test_schemas_registered_in_config_store():
    from hydra.core.config_store import ConfigStore

    register_schemas()
    repo = ConfigStore.instance().repo
    assert "schema.yaml" in repo
    assert "schema.yaml" in repo["schema"]["board"]
    node = repo["schema"]["board"]["schema.yaml"].node
    assert OmegaConf.select(node, "squares_x") == 7


def test_params_yaml_is_what_dvc_composes(tmp_path, repo_root):
    """`dvc exp run` recomposes params.yaml with Hydra; if it wrote anything else than
    `runlab configure`, every experiment would rerun the whole study."""
    from dvc.utils.hydra import compose_and_dump

    ours = configure(
        str(repo_root / "conf"), str(tmp_path / "ours.yaml"), ["study=quick", "rig.fps=60"]
    )
    compose_and_dump(
        tmp_path / "dvc.yaml",
        str(repo_root / "conf"),
        None,
        "config",
        str(tmp_path),
        ["study=quick", "rig.fps=60"],
    )
    assert ours.read_text() == (tmp_path / "dvc.yaml").read_text()


@pytest.mark.parametrize(
    "study, message",
    [
        (
            {"sessions": {"s": {"subject": "P"}}, "trials": {"t": {"session": "x"}}},
            "study.trials.t.session='x' is not in study.sessions",
        ),
        (
            {
                "sessions": {"s": {"subject": "P"}},
                "trials": {"t": {"session": "s"}},
                "synthesize": ["q"],
            },
            "study.synthesize lists ['q']",
        ),
        (
            {
                "sessions": {"s": {"subject": "P"}, "e": {"subject": "P"}},
                "trials": {"t": {"session": "s"}},
            },
            "study.sessions ['e'] have no trials",
        ),
        (
            {"sessions": {"s": {"subject": "P"}}, "trials": {"bad name": {"session": "s"}}},
            "ids ['bad name'] must be letters",
        ),
        ({"sessions": {"s": {"subject": "P"}}, "trials": {}}, "study.trials is empty"),
    ],
)
def test_study_structure_errors_name_the_entry(study, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate({"study": study})


def test_session_needs_a_subject():
    with pytest.raises(ConfigError, match="subject"):
        validate({"study": {"sessions": {"s": {}}, "trials": {"t": {"session": "s"}}}})


@pytest.mark.parametrize(
    "key, value",
    [
        ("lowpass_hz", -5.0),
        ("min_views", 0),
        ("rejection_sigmas", 0.0),
        ("max_dropped_views", 4),
        ("despike_m", -0.1),
        ("rejection_max_px", 2.0),
    ],
)
def test_out_of_range_triangulation_values_are_named(key, value):
    with pytest.raises(ConfigError, match=rf"triangulation\.{key}={value} must be"):
        validate({"triangulation": {key: value}, "study": ONE_TRIAL})


@pytest.mark.parametrize("fps", [6.0, 30.0, 240.0])
def test_no_frame_rate_is_refused_for_the_low_pass(fps):
    """The cut-off is lowered to the trial's frame rate where the filter runs (issue #13), so a
    6 fps calibration-only study or a 30 fps webcam rig configures with the defaults."""
    cfg = validate({"rig": {"fps": fps}, "study": ONE_TRIAL})
    assert cfg.triangulation.lowpass_hz == 15.0


def test_ids_and_names_yaml_reads_as_numbers_are_refused_naming_the_keys():
    """Unquoted 010 is 8 in YAML, 1e3 is 1000.0, no is false: a subject renamed that way
    would be mislabelled or merged with another in before/after (issue #15)."""
    raw = OmegaConf.create(
        "study:\n  sessions:\n    010:\n      subject: 010\n    s2:\n"
        "      subject: no\n  trials:\n    1e3:\n      session: s2\n"
    )
    with pytest.raises(ConfigError) as err:
        validate(raw)
    msg = str(err.value)
    for where in (
        "the id in study.sessions (8)",
        "the id in study.trials (1000.0)",
        "study.sessions.8.subject (8)",
        "study.sessions.s2.subject (False)",
    ):
        assert where in msg
    assert 'quote them in the YAML file, e.g. subject: "010"' in msg
    quoted = OmegaConf.create(
        'study:\n  sessions:\n    "010":\n      subject: "010"\n'
        '  trials:\n    "t1":\n      session: "010"\n'
    )
    cfg = validate(quoted)
    assert cfg.study.sessions["010"].subject == "010"


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"calibration": {"max_frames": 0}}, "calibration.max_frames=0 must be >= 5"),
        (
            {"study": {**ONE_TRIAL, "trials": {"t": {"session": "s", "belt_speed_mps": -3.0}}}},
            "study.trials.t.belt_speed_mps=-3.0 must be a belt speed",
        ),
        (
            {
                "study": {
                    **ONE_TRIAL,
                    "trials": {"t": {"session": "s", "runner": {"speed_mps": -3.0}}},
                }
            },
            "study.trials.t.runner: speed_mps must be in (0, 15]",
        ),
    ],
)
def test_out_of_range_values_are_named_not_tracebacks(raw, key):
    """Issue #15: belt speed -3 gave a stride length of -2.11 m; calibration.max_frames=0 ended
    in a traceback."""
    with pytest.raises(ConfigError, match=re.escape(key)):
        validate({"study": ONE_TRIAL, **raw})
