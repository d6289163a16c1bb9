"""The worksheet vocabulary as data: quadrants, matrix zones and advice, indices, levels, profile fields.

Read once from ``data/worksheets.toml``; only the thresholds may be overridden,
by ``[worksheets.thresholds]`` in the user's settings or per command, because
they decide where an item lands and teams calibrate them differently.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from custarchive.config import load_settings, package_data
from custarchive.errors import ConfigError, ValidationError

QUADRANTS = ("S", "W", "O", "T")


@dataclass(frozen=True)
class Thresholds:
    """impact >= ``impact`` is strong; probability >= ``probability`` is likely."""

    impact: int = 3
    probability: int = 3


@dataclass(frozen=True)
class Zone:
    code: str
    strong: bool
    likely: bool
    label_zh: str
    label_en: str
    advice_zh: str
    advice_en: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def advice(self, lang: str) -> str:
        return self.advice_zh if lang == "zh" else self.advice_en

    def name(self, lang: str) -> str:
        """What ``--json`` shows as ``zone``: the code, or the Chinese zone name with --lang zh."""
        return self.label_zh if lang == "zh" else self.code


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    path = package_data("worksheets.toml")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def label(entry: dict, lang: str, key: str = "label") -> str:
    return entry.get(f"{key}_{lang}") or entry.get(f"{key}_en") or ""


def quadrant(code: str) -> dict:
    for entry in data()["quadrants"]:
        if entry["code"] == code:
            return entry
    raise KeyError(code)


def parse_quadrant(raw: str) -> str:
    """S/W/O/T, case-insensitive; also the Chinese and English quadrant names."""
    text = (raw or "").strip()
    if text.upper() in QUADRANTS:
        return text.upper()
    for entry in data()["quadrants"]:
        names = {entry["label_zh"], entry["label_en"].lower(), entry["label_en"].lower().rstrip("s")}
        if text in names or text.lower() in names:
            return entry["code"]
    raise ValidationError("quadrant", raw, "must be S, W, O or T (优势/劣势/机会/威胁)")


def zones(quadrant_code: str) -> list[Zone]:
    return [Zone(**{key: z[key] for key in Zone.__dataclass_fields__}) for z in data()["matrices"][quadrant_code]["zones"]]


def zone_for(quadrant_code: str, impact: int | None, probability: int | None, thresholds: Thresholds) -> Zone | None:
    """The matrix cell an opportunity or threat falls in; None for S/W or an unrated item."""
    if quadrant_code not in data()["matrices"] or impact is None or probability is None:
        return None
    strong, likely = impact >= thresholds.impact, probability >= thresholds.probability
    for zone in zones(quadrant_code):
        if zone.strong == strong and zone.likely == likely:
            return zone
    raise ConfigError(f"worksheets.toml: matrix {quadrant_code} has no zone for strong={strong}, likely={likely}")


def scale() -> tuple[int, int]:
    return data()["scale"]["min"], data()["scale"]["max"]


def parse_rating(raw: Any, field: str) -> int:
    low, high = scale()
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError(field, raw, f"must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise ValidationError(field, raw, f"must be from {low} to {high}")
    return value


def thresholds(impact: int | None = None, probability: int | None = None) -> Thresholds:
    """Defaults from the data file, then settings.toml, then the command's options."""
    base = dict(data()["thresholds"])
    override = (load_settings().get("worksheets") or {}).get("thresholds") or {}
    if not isinstance(override, dict):
        raise ConfigError("settings.toml: [worksheets.thresholds] must be a table")
    for key in ("impact", "probability"):
        if key in override:
            base[key] = parse_rating(override[key], f"settings worksheets.thresholds.{key}")
    if impact is not None:
        base["impact"] = parse_rating(impact, "--impact-threshold")
    if probability is not None:
        base["probability"] = parse_rating(probability, "--probability-threshold")
    return Thresholds(int(base["impact"]), int(base["probability"]))


def indices() -> list[dict]:
    return data()["indices"]


def parse_metric(raw: str) -> str:
    text = (raw or "").strip()
    for entry in indices():
        if text.lower() == entry["key"] or text in (entry["label_zh"], *entry.get("aliases", ())):
            return entry["key"]
    names = ", ".join(entry["key"] for entry in indices())
    raise ValidationError("metric", raw, f"unknown performance index (use one of: {names})")


def _parse_choice(table: str, raw: str, field: str) -> str:
    text = (raw or "").strip()
    for key, entry in data()[table].items():
        if text.lower() == key or text in (entry["short_zh"], entry["label_zh"]):
            return key
    raise ValidationError(field, raw, f"must be one of: {', '.join(data()[table])}")


def parse_standing(raw: str) -> str:
    return _parse_choice("standings", raw, "standing")


def parse_durability(raw: str) -> str:
    return _parse_choice("durabilities", raw, "durability")


def knowledge_levels() -> list[dict]:
    return data()["knowledge_levels"]


def parse_level(raw: Any) -> int:
    levels = [entry["level"] for entry in knowledge_levels()]
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or value not in levels:
        raise ValidationError("level", raw, f"must be from {min(levels)} to {max(levels)}")
    return value


def profile_sections() -> list[dict]:
    return data()["profile"]["sections"]


def profile_fields() -> dict[str, dict]:
    return {f["key"]: f for section in profile_sections() for f in section["fields"]}
