"""The key-customer profile (大客户分析): the seed's sections 1.1-1.5 as named fields of an archive.

Stored one row per filled field, so a section added to ``worksheets.toml``
later needs no migration. 1.1.5 (performance indices) and 1.3 (SWOT) live in
their own worksheets and are joined in by the report and exports.
"""
from __future__ import annotations

from collections.abc import Sequence

from typing import Any

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import ValidationError
from custarchive.core.sqlutil import now
from custarchive.core.values import parse_amount
from custarchive.worksheets import spec

MAX_TEXT = 10_000


def resolve_key(raw: str) -> str:
    """A profile field by key, or by its Chinese/English label with or without the section number."""
    wanted = (raw or "").strip()
    fields = spec.profile_fields()
    if wanted.lower() in fields:
        return wanted.lower()
    for key, entry in fields.items():
        for label in (entry["label_zh"], entry["label_en"]):
            if wanted in (label, label.split(" ", 1)[-1]) or wanted.lower() == label.split(" ", 1)[-1].lower():
                return key
    raise ValidationError(wanted or "FIELD", None, f"not a profile field (use one of: {', '.join(fields)})")


def parse_value(key: str, raw: Any) -> Any:
    entry = spec.profile_fields()[key]
    if raw is None:
        return None
    if entry.get("type") == "amount":
        value = str(raw).strip()
        return parse_amount(value, key) if value else None
    value = "\n".join(line.strip() for line in str(raw).replace("\r\n", "\n").split("\n")).strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(key, None, f"longer than {MAX_TEXT} characters")
    return value or None


def _decode(key: str, stored: str) -> Any:
    if spec.profile_fields().get(key, {}).get("type") == "amount":
        number = float(stored)
        return int(number) if number.is_integer() else number
    return stored


def values(conn, customer_id: int) -> dict[str, Any]:
    rows = conn.execute(text("SELECT field, value FROM customer_profiles WHERE customer_id = :c"), {"c": customer_id})
    return {key: _decode(key, value) for key, value in rows}


def update(conn, card: dict, actor: Actor, sets: dict[str, Any], unsets: Sequence[str] = ()) -> dict[str, tuple]:
    """Set and clear profile fields in one go; every change is logged as profile_set."""
    authz.require(conn, actor, "update")
    planned: dict[str, Any] = {}
    for raw_key, raw in sets.items():
        key = resolve_key(raw_key)
        planned[key] = parse_value(key, raw)
    for raw_key in unsets:
        planned[resolve_key(raw_key)] = None
    current = values(conn, card["id"])
    changes = {key: (current.get(key), new) for key, new in planned.items() if current.get(key) != new}
    stamp = now()
    for key, (old, new) in changes.items():
        conn.execute(text("DELETE FROM customer_profiles WHERE customer_id = :c AND field = :f"),
                     {"c": card["id"], "f": key})
        if new is not None:
            conn.execute(text("INSERT INTO customer_profiles (customer_id, field, value, updated_at, updated_by) "
                              "VALUES (:c, :f, :v, :at, :by)"),
                         {"c": card["id"], "f": key, "v": repr(new) if isinstance(new, float) else str(new),
                          "at": stamp, "by": actor.operator})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "profile_set", key, old, new)
                  for key, (old, new) in changes.items()], actor)
    return changes


def sheet(conn, card: dict, actor: Actor, lang: str) -> dict:
    """The profile by section, as one JSON-ready document."""
    authz.require(conn, actor, "read")
    current = values(conn, card["id"])
    sections = [{"id": section["id"], "label": spec.label(section, lang),
                 "fields": [{"key": f["key"], "label": spec.label(f, lang), "type": f.get("type", "text"),
                             "value": current.get(f["key"])} for f in section["fields"]]}
                for section in spec.profile_sections()]
    return {"archive_no": card["archive_no"], "name": card["name"],
            "profile": {key: current.get(key) for key in spec.profile_fields()}, "sections": sections}
