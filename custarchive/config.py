"""Where things live: the default database, the user's config directory.

Resolved lazily and overridable by environment variables so tests and
scripts never touch a person's real files.
"""
from __future__ import annotations

import os
from pathlib import Path

from custarchive.errors import ConfigError


APP_NAME = "custarchive"


def data_dir() -> Path:
    override = os.environ.get("CUSTARCHIVE_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    override = os.environ.get("CUSTARCHIVE_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_db_target() -> str:
    return str(data_dir() / "custarchive.db")


def package_data(*parts: str) -> Path:
    return Path(__file__).parent.joinpath("data", *parts)


def load_settings() -> dict:
    """Optional ``settings.toml`` in the config directory (thresholds, modes)."""
    path = config_dir() / "settings.toml"
    if not path.exists():
        return {}
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
