"""Defaults for the living archive as TOML data, overlaid by the user's settings.toml.

Each feature reads one table: the package's data file gives every key a
value, and the same-named table in ``<config dir>/settings.toml`` overrides
keys one by one, so a user writes only what differs.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any

from custarchive.config import load_settings, package_data
from custarchive.errors import ConfigError


@lru_cache(maxsize=None)
def packaged(filename: str) -> dict:
    path = package_data("living", filename)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _overlay(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def section(name: str, filename: str | None = None) -> dict:
    """``[name]`` of the packaged defaults (``settings.toml`` or ``filename``) overlaid by the user's settings."""
    defaults = packaged(filename) if filename else packaged("settings.toml").get(name, {})
    user = load_settings().get(name, {})
    if not isinstance(user, dict):
        raise ConfigError(f"settings.toml: [{name}] must be a table")
    return _overlay(defaults, user)


def number(settings: dict, key: str, where: str, minimum: float = 0) -> float:
    value: Any = settings.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigError(f"settings.toml [{where}] {key} must be a number >= {minimum:g}, not {value!r}")
    return value


def choice(settings: dict, key: str, where: str, allowed: tuple[str, ...]) -> str:
    value = settings.get(key)
    if value not in allowed:
        raise ConfigError(f"settings.toml [{where}] {key} must be one of {', '.join(allowed)}, not {value!r}")
    return value
