"""Competitors of an archive's company: the performance-index table, the competitive-advantage
table (better / equal / worse, temporary or durable) and how well each competitor is known (1-5).

The archive itself is the first column of the index table (the seed's "OK / X / Y"),
addressed as ``self`` or by its own name or number; on our own company's archive
the same worksheet describes our competitors.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import Duplicate, NotFound, ValidationError
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text
from custarchive.worksheets import spec

SELF = "self"


def _name(raw: str, field: str = "name") -> str:
    value = normalize_text(raw or "")
    if not value:
        raise ValidationError(field, raw, "must not be empty")
    if len(value) > 200:
        raise ValidationError(field, None, "longer than 200 characters")
    return value


def list_competitors(conn, customer_id: int) -> list[dict]:
    rows = conn.execute(text("SELECT id, name, knowledge_level, note, created_at FROM competitors "
                             "WHERE customer_id = :c ORDER BY id"), {"c": customer_id})
    return [dict(zip(("id", "name", "level", "note", "created_at"), row)) for row in rows]


def _is_self(card: dict, raw: str) -> bool:
    value = normalize_text(raw or "")
    return value.lower() == SELF or value == card["name"] or value.upper() == card["archive_no"]


def find_competitor(conn, card: dict, raw: str) -> dict:
    value = _name(raw, "competitor")
    for competitor in list_competitors(conn, card["id"]):
        if competitor["name"].casefold() == value.casefold():
            return competitor
    raise NotFound(f"{card['archive_no']} has no competitor {value!r} (add it: swot REF compete add NAME)")


def add_competitor(conn, card: dict, actor: Actor, name: str, note: str | None = None, level: Any = 1) -> dict:
    authz.require(conn, actor, "update")
    value = _name(name)
    if _is_self(card, value):
        raise ValidationError("name", name, "is the archive itself (its figures go under 'self')")
    level = spec.parse_level(level)
    note = normalize_text(note) if note else None
    if any(c["name"].casefold() == value.casefold() for c in list_competitors(conn, card["id"])):
        raise Duplicate(f"{card['archive_no']} already has competitor {value!r}")
    stamp = now()
    conn.execute(text("INSERT INTO competitors (customer_id, name, knowledge_level, note, created_at, updated_at, "
                      "created_by) VALUES (:c, :n, :l, :note, :at, :at, :by)"),
                 {"c": card["id"], "n": value, "l": level, "note": note, "at": stamp, "by": actor.operator})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "competitor_add", value[:60], None,
                              {"name": value, "level": level, **({"note": note} if note else {})})], actor)
    return {"name": value, "level": level, "note": note}


def remove_competitor(conn, card: dict, actor: Actor, name: str) -> dict:
    """Remove a competitor with its index figures and the advantage rows measured against it."""
    authz.require(conn, actor, "update")
    competitor = find_competitor(conn, card, name)
    entries = []
    for row in _index_rows(conn, card["id"]):
        if row["competitor_id"] == competitor["id"]:
            entries.append(ChangeEntry(card["id"], card["archive_no"], "index_set",
                                       _index_field(competitor["name"], row["metric"]), row["value"], None))
    for advantage in list_advantages(conn, card["id"]):
        if advantage["competitor_id"] == competitor["id"]:
            entries.append(ChangeEntry(card["id"], card["archive_no"], "advantage_remove", f"A{advantage['seq']}",
                                       _logged_advantage(advantage), None))
    for table in ("performance_indices", "competitive_advantages"):
        conn.execute(text(f"DELETE FROM {table} WHERE competitor_id = :k"), {"k": competitor["id"]})
    conn.execute(text("DELETE FROM competitors WHERE id = :k"), {"k": competitor["id"]})
    entries.append(ChangeEntry(card["id"], card["archive_no"], "competitor_remove", competitor["name"][:60],
                               {"name": competitor["name"], "level": competitor["level"]}, None))
    record(conn, entries, actor)
    return competitor


def set_level(conn, card: dict, actor: Actor, name: str, level: Any) -> tuple[int, int]:
    authz.require(conn, actor, "update")
    competitor = find_competitor(conn, card, name)
    new = spec.parse_level(level)
    if new != competitor["level"]:
        conn.execute(text("UPDATE competitors SET knowledge_level = :l, updated_at = :at WHERE id = :k"),
                     {"l": new, "at": now(), "k": competitor["id"]})
        record(conn, [ChangeEntry(card["id"], card["archive_no"], "competitor_level",
                                  f"{competitor['name'][:48]}.level", competitor["level"], new)], actor)
    return competitor["level"], new


def _index_rows(conn, customer_id: int) -> list[dict]:
    rows = conn.execute(text("SELECT id, competitor_id, metric, value FROM performance_indices "
                             "WHERE customer_id = :c ORDER BY id"), {"c": customer_id})
    return [dict(zip(("id", "competitor_id", "metric", "value"), row)) for row in rows]


def _index_field(subject: str, metric: str) -> str:
    return f"{subject[:40]}.{metric}"


def _figure(raw: str, field: str) -> float | None:
    value = normalize_text(raw or "").replace(" ", "").rstrip("%").replace(",", "")
    if not value:
        return None
    if not re.fullmatch(r"[+-]?\d{1,12}(\.\d{1,6})?", value):
        raise ValidationError(field, raw, "not a number (examples: 15, 12.5, -3, 15%)")
    return float(value)


def set_indices(conn, card: dict, actor: Actor, subject: str, figures: dict[str, str]) -> dict[str, tuple]:
    """Set (or, with an empty value, clear) index figures for ``self`` or one competitor."""
    authz.require(conn, actor, "update")
    if not figures:
        raise ValidationError("METRIC=VALUE", None, "give at least one figure")
    if _is_self(card, subject):
        competitor_id, label = None, card["name"]
    else:
        competitor = find_competitor(conn, card, subject)
        competitor_id, label = competitor["id"], competitor["name"]
    parsed = {}
    for raw_metric, raw_value in figures.items():
        metric = spec.parse_metric(raw_metric)
        parsed[metric] = _figure(raw_value, metric)
    current = {row["metric"]: row for row in _index_rows(conn, card["id"]) if row["competitor_id"] == competitor_id}
    changes, stamp = {}, now()
    for metric, value in parsed.items():
        old = current.get(metric)
        old_value = old["value"] if old else None
        if old_value == value:
            continue
        if old and value is None:
            conn.execute(text("DELETE FROM performance_indices WHERE id = :k"), {"k": old["id"]})
        elif old:
            conn.execute(text("UPDATE performance_indices SET value = :v, updated_at = :at WHERE id = :k"),
                         {"v": value, "at": stamp, "k": old["id"]})
        else:
            conn.execute(text("INSERT INTO performance_indices (customer_id, competitor_id, metric, value, updated_at) "
                              "VALUES (:c, :k, :m, :v, :at)"),
                         {"c": card["id"], "k": competitor_id, "m": metric, "v": value, "at": stamp})
        changes[metric] = (old_value, value)
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "index_set", _index_field(label, metric), old, new)
                  for metric, (old, new) in changes.items()], actor)
    return changes


def list_advantages(conn, customer_id: int) -> list[dict]:
    rows = conn.execute(text("SELECT a.seq, a.dimension, a.standing, a.durability, a.competitor_id, c.name, a.note, "
                             "a.created_at FROM competitive_advantages a LEFT JOIN competitors c "
                             "ON c.id = a.competitor_id WHERE a.customer_id = :c ORDER BY a.seq"), {"c": customer_id})
    keys = ("seq", "dimension", "standing", "durability", "competitor_id", "versus", "note", "created_at")
    return [dict(zip(keys, row)) for row in rows]


def _logged_advantage(advantage: dict) -> dict:
    return {key: advantage[key] for key in ("dimension", "standing", "durability", "versus", "note")
            if advantage.get(key) is not None}


def add_advantage(conn, card: dict, actor: Actor, dimension: str, standing: str, durability: str,
                  versus: str | None = None, note: str | None = None) -> dict:
    authz.require(conn, actor, "update")
    row = {"dimension": _name(dimension, "dimension"), "standing": spec.parse_standing(standing),
           "durability": spec.parse_durability(durability), "note": normalize_text(note) if note else None,
           "versus": None}
    competitor_id = None
    if versus:
        competitor = find_competitor(conn, card, versus)
        competitor_id, row["versus"] = competitor["id"], competitor["name"]
    seq = conn.execute(text("SELECT COALESCE(MAX(seq), 0) + 1 FROM competitive_advantages WHERE customer_id = :c"),
                       {"c": card["id"]}).scalar_one()
    conn.execute(text("INSERT INTO competitive_advantages (customer_id, seq, dimension, standing, durability, "
                      "competitor_id, note, created_at, created_by) VALUES (:c, :s, :d, :st, :du, :k, :n, :at, :by)"),
                 {"c": card["id"], "s": seq, "d": row["dimension"], "st": row["standing"], "du": row["durability"],
                  "k": competitor_id, "n": row["note"], "at": now(), "by": actor.operator})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "advantage_add", f"A{seq}", None,
                              _logged_advantage(row))], actor)
    return {"id": f"A{seq}", **row}


def remove_advantage(conn, card: dict, actor: Actor, advantage_id: str) -> dict:
    authz.require(conn, actor, "update")
    match = re.fullmatch(r"\s*[Aa]?(\d{1,6})\s*", advantage_id or "")
    if not match:
        raise ValidationError("ID", advantage_id, "not an advantage id (like A1)")
    seq = int(match.group(1))
    found = [a for a in list_advantages(conn, card["id"]) if a["seq"] == seq]
    if not found:
        raise NotFound(f"{card['archive_no']} has no advantage row A{seq}")
    conn.execute(text("DELETE FROM competitive_advantages WHERE customer_id = :c AND seq = :s"),
                 {"c": card["id"], "s": seq})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "advantage_remove", f"A{seq}",
                              _logged_advantage(found[0]), None)], actor)
    return found[0]


def _choice_label(table: str, key: str, lang: str, short: bool = False) -> str:
    return spec.label(spec.data()[table][key], lang, "short" if short else "label")


def sheet(conn, card: dict, actor: Actor, lang: str) -> dict:
    """Everything ``swot REF compete`` shows, as one JSON-ready document."""
    authz.require(conn, actor, "read")
    competitors = list_competitors(conn, card["id"])
    rows = _index_rows(conn, card["id"])
    subjects = [{"name": card["name"], "self": True, "id": None}] + \
               [{"name": c["name"], "self": False, "id": c["id"]} for c in competitors]
    table = []
    for entry in spec.indices():
        values = {}
        for subject in subjects:
            hit = [r["value"] for r in rows if r["competitor_id"] == subject["id"] and r["metric"] == entry["key"]]
            values[subject["name"]] = _plain(hit[0]) if hit else None
        table.append({"metric": entry["key"], "label": spec.label(entry, lang), "values": values})
    levels = {entry["level"]: spec.label(entry, lang) for entry in spec.knowledge_levels()}
    advantages = [{"id": f"A{a['seq']}", "dimension": a["dimension"], "standing": a["standing"],
                   "standing_label": _choice_label("standings", a["standing"], lang),
                   "durability": a["durability"], "durability_label": _choice_label("durabilities", a["durability"], lang),
                   "versus": a["versus"], "note": a["note"]} for a in list_advantages(conn, card["id"])]
    evolution = []
    for key, entry in spec.data()["evolution"].items():
        standing, durability = key.split("_")
        evolution.append({"cell": key, "label": spec.label(entry, lang),
                          "items": [a["id"] for a in advantages
                                    if a["standing"] == standing and a["durability"] == durability]})
    return {"archive_no": card["archive_no"], "name": card["name"],
            "competitors": [{"name": c["name"], "level": c["level"], "level_label": levels.get(c["level"]),
                             "note": c["note"]} for c in competitors],
            "subjects": [s["name"] for s in subjects], "indices": table, "advantages": advantages,
            "evolution": evolution,
            "knowledge_levels": [{"level": k, "label": v} for k, v in levels.items()]}


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
