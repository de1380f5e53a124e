"""Reading a config: conf/ composed with Hydra (as DVC does), params.yaml, and the
validation every runner applies (the schema in schema.py, the value checks in checks.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from pipeline.config.checks import value_problems
from pipeline.config.schema import GROUP_SCHEMAS, Config
from pipeline.core.config_text import yaml_typed_text_problems
from pipeline.core.errors import ConfigError


def register_schemas() -> None:
    """Register the schemas in Hydra's ConfigStore (`schema` and `schema/<group>`)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="schema", node=Config)
    for group, node in GROUP_SCHEMAS.items():
        cs.store(group=f"schema/{group}", name="schema", node=node)


def validate(raw: Any, source: str = "config") -> Config:
    """Merge `raw` (dict or DictConfig) onto the schema; any unknown key or bad type raises
    ConfigError naming the key and `source`."""
    typed_text = yaml_typed_text_problems(raw)
    if typed_text:
        raise ConfigError(f"{source}: " + "; ".join(typed_text))
    schema = OmegaConf.structured(Config)
    try:
        merged = OmegaConf.merge(schema, raw)
        cfg = OmegaConf.to_object(merged)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        msg = str(exc).splitlines()[0]
        raise ConfigError(f"{source}: invalid config key '{key}': {msg}") from None
    except ConfigError as exc:  # a group's own check (__post_init__): name the file too
        raise ConfigError(f"{source}: {exc}") from None
    problems = value_problems(cfg)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return cfg


def load_params(path: Path | str = "params.yaml", overrides: list[str] | None = None) -> Config:
    """Read a composed params.yaml (as DVC writes it) plus `key=value` overrides."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"{path} not found: run `runlab configure` (or `dvc exp run`) to compose it from conf/"
        )
    raw = OmegaConf.load(path)
    if overrides:
        raw = OmegaConf.merge(raw, OmegaConf.from_dotlist(list(overrides)))
    return validate(raw, source=str(path))


def compose_raw(config_dir: Path | str = "conf", overrides: list[str] | None = None):
    """conf/config.yaml composed with Hydra exactly as DVC's Hydra integration does it
    (dvc.utils.hydra.compose_and_dump), so `runlab configure` and `dvc exp run -S ...` write
    the same params.yaml and DVC sees no parameter change between them."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException

    config_dir = Path(config_dir).resolve()
    register_schemas()  # so a conf/ file may extend `schema/<group>` in its defaults list
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base=None):
            raw = hydra_compose(config_name="config", overrides=list(overrides or []))
    except HydraException as exc:
        raise ConfigError(f"{config_dir}: {exc}") from None
    OmegaConf.resolve(raw)
    return raw


def compose(config_dir: Path | str = "conf", overrides: list[str] | None = None) -> Config:
    """Compose conf/config.yaml with Hydra (group choices and overrides) and validate it."""
    return validate(
        compose_raw(config_dir, overrides), source=str(Path(config_dir).resolve() / "config.yaml")
    )
