"""Typed config: composition from conf/, and failures that name the offending key."""
import pytest
from omegaconf import OmegaConf

from pipeline.cli import configure
from pipeline.config import (Config, ConfigError, DetectorBackend, compose, load_params,
                             register_schemas, validate)


def test_conf_composes_into_typed_config(repo_root):
    cfg = compose(repo_root / "conf")
    assert isinstance(cfg, Config)
    assert cfg.detector.backend is DetectorBackend.synthetic
    assert [t.name for t in cfg.study.trials] == ["typical", "crossover"]
    assert cfg.study.trials[1].runner.step_width_m == pytest.approx(-0.02)


def test_hydra_overrides_apply(repo_root):
    cfg = compose(repo_root / "conf", ["rig.fps=240", "triangulation.min_views=3"])
    assert cfg.rig.fps == 240
    assert cfg.triangulation.min_views == 3


def test_unknown_key_is_named(repo_root):
    with pytest.raises(ConfigError, match="triangulation.min_veiws"):
        compose(repo_root / "conf", ["+triangulation.min_veiws=3"])


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match="rig.fps"):
        validate({"rig": {"fps": "fast"}, "study": {"trials": [{"name": "t"}]}})


def test_bad_enum_value_is_named():
    with pytest.raises(ConfigError, match="detector.backend"):
        validate({"detector": {"backend": "openpose"}, "study": {"trials": [{"name": "t"}]}})


def test_inconsistent_values_are_explained():
    with pytest.raises(ConfigError, match="arc_deg needs one angle per camera"):
        validate({"rig": {"cameras": ["a", "b", "c"]}, "study": {"trials": [{"name": "t"}]}})


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
