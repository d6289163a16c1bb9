"""Card templates: TOML data naming the sections and fields of a customer card.

Built-in templates live in ``custarchive/data/templates``; a user adds or
overrides one by dropping ``NAME.toml`` into ``<config dir>/templates``.
Canonical fields are referenced by name (their type comes from ``fields``);
template-only fields declare their own type and are stored, validated, in the
archive's ``extra`` JSON.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custarchive import config
from custarchive.errors import ConfigError, ValidationError
from custarchive.core.fields import CANONICAL, FieldSpec
from custarchive.core.values import FIELD_TYPES, id_number_facts, parse_value, value_parser

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_OVERRIDABLE = {"required", "help_zh", "help_en", "label_zh", "label_en"}


@dataclass(frozen=True)
class Section:
    id: str
    label_zh: str
    label_en: str
    fields: tuple[FieldSpec, ...]

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Template:
    name: str
    kind: str
    label_zh: str
    label_en: str
    sections: tuple[Section, ...]
    path: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @functools.cached_property
    def fields(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for section in self.sections for spec in section.fields}

    def field(self, name: str) -> FieldSpec | None:
        """A field of this template, or any canonical field (every card may hold those)."""
        return self.fields.get(name) or CANONICAL.get(name)


def _template_dirs() -> list[Path]:
    return [config.package_data("templates"), config.config_dir() / "templates"]


def template_files() -> dict[str, Path]:
    """Template name → file; a user's file shadows the built-in of the same name."""
    found: dict[str, Path] = {}
    for directory in _template_dirs():
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found[path.stem] = path
    return found


_cache: dict[str, Template] = {}


def load_template(name: str) -> Template:
    if name in _cache:
        return _cache[name]
    files = template_files()
    path = files.get(name)
    if path is None and name.endswith(".toml") and Path(name).exists():
        path = Path(name)
    if path is None:
        raise ConfigError(f"unknown template {name!r} (known: {', '.join(sorted(files))})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    template = _cache[name] = _build(data, path)
    return template


def list_templates() -> list[Template]:
    return [load_template(name) for name in template_files()]


def _build(data: dict, path: Path) -> Template:
    where = str(path)
    kind = data.get("kind")
    if kind not in ("individual", "enterprise"):
        raise ConfigError(f"{where}: kind must be 'individual' or 'enterprise'")
    sections, seen = [], set()
    for index, raw_section in enumerate(data.get("sections", []), 1):
        sid = raw_section.get("id") or f"section{index}"
        specs = []
        for raw_field in raw_section.get("fields", []):
            spec = _build_field(raw_field, f"{where}: section {sid}")
            if spec.name in seen:
                raise ConfigError(f"{where}: field {spec.name!r} appears twice")
            seen.add(spec.name)
            specs.append(spec)
        sections.append(Section(sid, raw_section.get("label_zh", sid), raw_section.get("label_en", sid), tuple(specs)))
    if not sections:
        raise ConfigError(f"{where}: a template needs at least one section")
    return Template(data.get("name", path.stem), kind, data.get("label_zh", path.stem),
                    data.get("label_en", path.stem), tuple(sections), where)


def _build_field(raw: dict, where: str) -> FieldSpec:
    name = raw.get("name", "")
    if name in CANONICAL:
        overrides = {key: raw[key] for key in _OVERRIDABLE if key in raw}
        unknown = set(raw) - _OVERRIDABLE - {"name", "sensitive"}
        if unknown:
            raise ConfigError(f"{where}: canonical field {name!r} cannot redefine {', '.join(sorted(unknown))}")
        if raw.get("sensitive"):
            overrides["sensitive"] = True
        return dataclasses.replace(CANONICAL[name], **overrides)
    if not _NAME.match(name):
        raise ConfigError(f"{where}: field name {name!r} must be snake_case English")
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise ConfigError(f"{where}: field {name!r} has unknown type {kind!r}")
    choices = tuple(raw.get("choices", ()))
    if kind in ("choice", "multi-choice") and not choices:
        raise ConfigError(f"{where}: choice field {name!r} needs choices")
    choices = tuple(c if isinstance(c, dict) else {"value": str(c), "label_zh": str(c), "label_en": str(c)}
                    for c in choices)
    return FieldSpec(
        name=name, type=kind, label_zh=raw.get("label_zh", name), label_en=raw.get("label_en", name),
        choices=choices, required=bool(raw.get("required", False)), sensitive=bool(raw.get("sensitive", False)),
        minimum=raw.get("minimum"), latest=_latest(raw.get("latest"), kind, f"{where}: field {name!r}"),
        max_length=raw.get("max_length"), help_zh=raw.get("help_zh", ""), help_en=raw.get("help_en", ""), canonical=False,
    )


def _latest(latest: Any, kind: str, where: str) -> str | None:
    """A field's ``latest`` (plausibility bound), checked against its type when the template loads."""
    if latest is None:
        return None
    if kind == "date" and latest == "today" or kind == "integer" and isinstance(latest, str) and \
            re.fullmatch(r"year(\+\d{1,3})?", latest):
        return latest
    raise ConfigError(f"{where}: latest must be \"today\" for a date or \"year\"/\"year+N\" for a year, not {latest!r}")


def parse_field(spec: FieldSpec, raw: Any) -> Any:
    return parse_value(spec.type, raw, spec.name, choices=spec.choices, minimum=spec.minimum,
                       max_length=spec.max_length, latest=spec.latest)


def field_parser(spec: FieldSpec):
    """:func:`parse_field` bound to one field: the same rules, the type resolved once (bulk paths)."""
    return value_parser(spec.type, spec.name, choices=spec.choices, minimum=spec.minimum,
                        max_length=spec.max_length, latest=spec.latest)


def resolve_field(template: Template, name: str) -> FieldSpec:
    spec = template.field(name)
    if spec is None or name == "archive_no":
        raise ValidationError(name, None, f"unknown field for template {template.name!r}")
    return spec


def derive(values: dict[str, Any]) -> dict[str, Any]:
    """Fill what a resident ID tells (birth date, gender) when not given; refuse contradictions."""
    number = values.get("id_number")
    if not number:
        return values
    facts = id_number_facts(number)
    for key, fact in facts.items():
        given = values.get(key)
        if given is None:
            values[key] = fact
        elif given != fact:
            raise ValidationError(key, given, f"contradicts the resident ID ({fact})")
    return values


def missing_required(template: Template, values: dict[str, Any]) -> list[str]:
    return [name for name, spec in template.fields.items() if spec.required and values.get(name) in (None, "", [])]
