"""Merging two archives of one customer: KEEP absorbs DROP, which stays as a tombstone.

Nothing of DROP is lost. KEEP's empty fields are filled from DROP; values
that differ (or that KEEP's template has no field for) are written into
KEEP's notes; DROP's whole card is kept in KEEP's change log; every row of
every per-archive table (listed as data in ``data/living/merge.toml``) moves
to KEEP, each move logged on both archives; and DROP's number keeps
resolving to KEEP through ``merged_into``.
"""
from __future__ import annotations

import datetime as _dt
import importlib
from typing import Any

from sqlalchemy import text

from custarchive.cards import archive, lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.crypto import INDEX_COLUMNS
from custarchive.core.fields import CANONICAL
from custarchive.core.settings import packaged
from custarchive.core.sqlutil import now
from custarchive.core.templates import load_template, parse_field
from custarchive.errors import ConfigError, CustarchiveError, ValidationError


IDENTITY = ("id_number", "credit_code")


def merge_tables() -> list[dict]:
    tables = packaged("merge.toml").get("tables", [])
    for spec in tables:
        if not spec.get("table", "").isidentifier() or not spec.get("column", "").isidentifier():
            raise ConfigError(f"merge.toml: bad table entry {spec!r}")
    return tables


def kept_tables() -> list[str]:
    return list(packaged("merge.toml").get("keep", {}).get("tables", []))


def _schema(conn) -> dict[str, set[str]]:
    from sqlalchemy import inspect

    inspector = inspect(conn)
    return {name: {col["name"] for col in inspector.get_columns(name)} for name in inspector.get_table_names()}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _value(card: dict, name: str) -> Any:
    return card.get(name) if name in CANONICAL or name in card else (card.get("extra") or {}).get(name)


def _label(template, name: str) -> str:
    spec = template.field(name)
    return spec.label_zh if spec else name


def _sensitive(template, name: str) -> bool:
    spec = template.field(name)
    return bool(spec and spec.sensitive)


def _fits(template, name: str, value: Any) -> bool:
    """Whether KEEP's template has this field and accepts DROP's value for it."""
    spec = template.field(name)
    if spec is None:
        return False
    try:
        parse_field(spec, value)
    except ValidationError:
        return False
    return True


def _plan_fields(keep: dict, drop: dict) -> dict:
    """Field by field: what KEEP ends up with, what is filled, what only goes into the notes."""
    keep_tpl, drop_tpl = load_template(keep["template"]), load_template(drop["template"])
    names = [n for n in lookup.DATA_COLUMNS if n != "notes"]
    names += sorted((set(keep["extra"]) | set(drop["extra"])) - set(names))
    fields, fills, noted = [], {}, []
    for name in names:
        kv, dv = _value(keep, name), _value(drop, name)
        if _empty(dv):
            continue
        if kv == dv:
            action = "same"
        elif _empty(kv) and _fits(keep_tpl, name, dv):
            action = "fill"
            fills[name] = dv
        elif name in IDENTITY:
            action = "kept on drop"
        elif _sensitive(drop_tpl, name) or _sensitive(keep_tpl, name):
            action = "history only"
        else:
            action = "note"
            noted.append(f"{_label(drop_tpl, name)}({name}): {dv if not isinstance(dv, list) else '、'.join(map(str, dv))}")
        fields.append({"field": name, "keep": kv, "drop": dv, "action": action,
                       "result": dv if action == "fill" else kv})
    if drop.get("grade") and drop.get("grade") != keep.get("grade"):
        noted.append(f"信用等级(grade): {drop['grade']}")
    kept_notes, drop_notes = keep.get("notes"), drop.get("notes")
    lines = list(noted)
    if kept_notes and drop_notes and drop_notes != kept_notes:
        lines.append(f"原备注: {drop_notes}")
    if lines:
        lines.insert(0, f"[{_dt.date.today().isoformat()} 合并自 {drop['archive_no']} {drop['name']}]")
    combined = "\n".join(part for part in [kept_notes or drop_notes, *lines] if part) or None
    if combined != kept_notes:
        fills["notes"] = combined
        fields.append({"field": "notes", "keep": kept_notes, "drop": drop_notes, "action": "fill", "result": combined})
    return {"fields": fields, "fills": fills}


def _counts(conn, drop: dict, schema: dict[str, set[str]]) -> dict[str, int]:
    counts = {}
    for spec in merge_tables():
        if spec["table"] in schema and spec["column"] in schema[spec["table"]]:
            counts[spec["table"]] = conn.execute(text(f"SELECT COUNT(*) FROM {spec['table']} WHERE {spec['column']} = :d"),
                                                 {"d": drop["id"]}).scalar()
    return counts


def _cards(conn, keep_ref: str, drop_ref: str) -> tuple[dict, dict]:
    keep, drop = lookup.resolve(conn, keep_ref), lookup.resolve(conn, drop_ref)
    if keep["id"] == drop["id"]:
        raise ValidationError("DROP", drop_ref, f"{keep_ref} and {drop_ref} are the same archive ({keep['archive_no']})")
    for card in (keep, drop):
        if card["status"] not in ("active", "closed"):
            raise ValidationError("REF", card["archive_no"], f"archive {card['archive_no']} is {card['status']}")
    return keep, drop


def _fingerprint(conn, keep: dict, drop: dict) -> list:
    counts = _counts(conn, drop, _schema(conn))
    return [keep["updated_at"], drop["updated_at"], sorted(counts.items())]


def preview(conn, keep_ref: str, drop_ref: str) -> dict:
    """What a merge would do, without doing it."""
    keep, drop = _cards(conn, keep_ref, drop_ref)
    plan = _plan_fields(keep, drop)
    return {"keep": keep["archive_no"], "keep_name": keep["name"], "drop": drop["archive_no"],
            "drop_name": drop["name"], "fields": plan["fields"], "moves": _counts(conn, drop, _schema(conn)),
            "fingerprint": _fingerprint(conn, keep, drop)}


def merge(conn, keep_ref: str, drop_ref: str, actor: Actor, expect: list | None = None) -> dict:
    """Merge DROP into KEEP in the caller's transaction; ``expect`` is a preview's fingerprint to hold it to."""
    authz.require(conn, actor, "merge")
    keep, drop = _cards(conn, keep_ref, drop_ref)
    if expect is not None and expect != _fingerprint(conn, keep, drop):
        raise CustarchiveError(f"{keep['archive_no']} or {drop['archive_no']} changed since the preview; nothing merged")
    plan = _plan_fields(keep, drop)
    schema = _schema(conn)
    stamp = now()
    keep_no, drop_no = keep["archive_no"], drop["archive_no"]
    snapshot = {k: v for k, v in drop.items() if not _empty(v) and k not in ("id", "extra")}
    snapshot.update({k: v for k, v in drop["extra"].items() if not _empty(v)})
    entries = [ChangeEntry(keep["id"], keep_no, "merge", "*", None, {"merged": drop_no, "card": snapshot})]

    cleared = {key: drop[key] for key in IDENTITY if key in plan["fills"]}
    if cleared:
        columns = [*cleared, *(INDEX_COLUMNS[k] for k in cleared if k in INDEX_COLUMNS)]
        conn.execute(text(f"UPDATE customers SET {', '.join(f'{k} = NULL' for k in columns)} WHERE id = :d"),
                     {"d": drop["id"]})
        entries += [ChangeEntry(drop["id"], drop_no, "merge", key, value, None) for key, value in cleared.items()]

    moved: dict[str, int] = {}
    for spec in merge_tables():
        table, column = spec["table"], spec["column"]
        if table not in schema or column not in schema[table]:
            continue
        if spec.get("mover"):
            module, _, func = spec["mover"].partition(":")
            rows = getattr(importlib.import_module(module), func)(conn, drop, keep)
        elif "id" in schema[table]:
            ids = [r[0] for r in conn.execute(text(f"SELECT id FROM {table} WHERE {column} = :d ORDER BY id"),
                                              {"d": drop["id"]})]
            conn.execute(text(f"UPDATE {table} SET {column} = :k WHERE {column} = :d"), {"k": keep["id"], "d": drop["id"]})
            rows = [(row_id, f"{table}#{row_id}", f"{table}#{row_id}") for row_id in ids]
        else:
            count = conn.execute(text(f"UPDATE {table} SET {column} = :k WHERE {column} = :d"),
                                 {"k": keep["id"], "d": drop["id"]}).rowcount
            rows = [(None, f"{count} row(s) of {drop_no}", keep_no)] if count else []
        moved[table] = len(rows)
        for row_id, old, new in rows:
            entries.append(ChangeEntry(keep["id"], keep_no, "merge-in", table, old, new))
            entries.append(ChangeEntry(drop["id"], drop_no, "merge-out", table, old, new))

    conn.execute(text("UPDATE customers SET status = 'merged', merged_into = :k, updated_at = :t WHERE id = :d"),
                 {"k": keep["id"], "t": stamp, "d": drop["id"]})
    entries += [ChangeEntry(drop["id"], drop_no, "merge", "status", drop["status"], "merged"),
                ChangeEntry(drop["id"], drop_no, "merge", "merged_into", None, keep_no)]
    record(conn, entries, actor)
    changes = archive.plan_update(conn, keep, {k: v for k, v in plan["fills"].items()})
    archive.apply_changes(conn, keep, changes, actor, action="merge")
    return {"keep": keep_no, "drop": drop_no, "fields": plan["fields"], "moved": moved,
            "filled": sorted(changes)}
