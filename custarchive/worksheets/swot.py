"""SWOT items of an archive and the worksheet built from them: quadrants, matrices, TOWS prompts.

Items are numbered per quadrant (``O1``, ``O2`` …) as on the seed's worksheet;
a number is never renumbered when another item is removed, so the change log
keeps meaning what it said. Zones are computed when the worksheet is read, so a
changed threshold re-places every item without touching the data.
"""
from __future__ import annotations

import datetime
import re
from typing import Any

from sqlalchemy import case, select, text

from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import NotFound, ValidationError
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_date
from custarchive.models import swot_items as _swot_items
from custarchive.worksheets import spec

_SELECT = select(*(column for column in _swot_items.c if column.name != "customer_id"))
_ID = re.compile(r"^\s*([SWOTswot])\s*-?\s*(\d{1,6})\s*$")
EDITABLE = ("text", "impact", "probability", "implication", "action", "date")
MAX_TEXT = 2000


def parse_item_id(raw: str) -> tuple[str, int]:
    match = _ID.match(raw or "")
    if not match:
        raise ValidationError("ID", raw, "not a SWOT item id (like S1, O2, T3)")
    return match.group(1).upper(), int(match.group(2))


def _text(raw: Any, field: str, required: bool = False) -> str | None:
    value = normalize_text(raw) if raw is not None else ""
    if not value:
        if required:
            raise ValidationError(field, raw, "must not be empty")
        return None
    if len(value) > MAX_TEXT:
        raise ValidationError(field, None, f"longer than {MAX_TEXT} characters")
    return value


def _rating(quadrant: str, raw: Any, field: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if quadrant in ("O", "T"):
            raise ValidationError(field, raw, f"is required for {'opportunities' if quadrant == 'O' else 'threats'} "
                                              "(it places the item in the matrix)")
        return None
    return spec.parse_rating(raw, field)


def validate_item(values: dict[str, Any]) -> dict[str, Any]:
    """A new item's values, checked and normalised; raises before anything is written."""
    quadrant = spec.parse_quadrant(values.get("quadrant"))
    return {
        "quadrant": quadrant,
        "text": _text(values.get("text"), "text", required=True),
        "impact": _rating(quadrant, values.get("impact"), "impact"),
        "probability": _rating(quadrant, values.get("probability"), "probability"),
        "implication": _text(values.get("implication"), "implication"),
        "action": _text(values.get("action"), "action"),
        "date": parse_date(values["date"], "date") if values.get("date") else datetime.date.today().isoformat(),
    }


def _to_item(row) -> dict[str, Any]:
    data = row._mapping
    return {"id": f"{data['quadrant']}{data['seq']}", "quadrant": data["quadrant"], "seq": data["seq"],
            "text": data["text"], "impact": data["impact"], "probability": data["probability"],
            "implication": data["implication"], "action": data["action_plan"], "date": data["item_date"],
            "created_at": data["created_at"], "updated_at": data["updated_at"], "created_by": data["created_by"],
            "_row": data["id"]}


def list_items(conn, customer_id: int) -> list[dict]:
    s = _swot_items.c
    quadrant_order = case({"S": 1, "W": 2, "O": 3}, value=s.quadrant, else_=4)
    rows = conn.execute(_SELECT.where(s.customer_id == customer_id).order_by(quadrant_order, s.seq))
    return [_to_item(row) for row in rows]


def get_item(conn, card: dict, item_id: str) -> dict:
    quadrant, seq = parse_item_id(item_id)
    s = _swot_items.c
    row = conn.execute(_SELECT.where(s.customer_id == card["id"], s.quadrant == quadrant, s.seq == seq)).first()
    if row is None:
        raise NotFound(f"{card['archive_no']} has no SWOT item {quadrant}{seq}")
    return _to_item(row)


def _logged(item: dict) -> dict:
    return {key: item[key] for key in ("quadrant", "text", "impact", "probability", "implication", "action", "date")
            if item.get(key) is not None}


def add_items(conn, card: dict, actor: Actor, items: list[dict[str, Any]]) -> list[dict]:
    """Add several items in the caller's transaction; all are checked before the first is written."""
    authz.require(conn, actor, "update")
    checked = [validate_item(values) for values in items]
    stamp, added, entries = now(), [], []
    for item in checked:
        seq = conn.execute(text("SELECT COALESCE(MAX(seq), 0) + 1 FROM swot_items WHERE customer_id = :c "
                                "AND quadrant = :q"), {"c": card["id"], "q": item["quadrant"]}).scalar_one()
        conn.execute(text("INSERT INTO swot_items (customer_id, quadrant, seq, text, impact, probability, implication, "
                          "action_plan, item_date, created_at, updated_at, created_by) VALUES (:c, :q, :s, :t, :i, "
                          ":p, :im, :a, :d, :at, :at, :by)"),
                     {"c": card["id"], "q": item["quadrant"], "s": seq, "t": item["text"], "i": item["impact"],
                      "p": item["probability"], "im": item["implication"], "a": item["action"], "d": item["date"],
                      "at": stamp, "by": actor.operator})
        label = f"{item['quadrant']}{seq}"
        entries.append(ChangeEntry(card["id"], card["archive_no"], "swot_add", label, None, _logged(item)))
        added.append({"id": label, **item})
    record(conn, entries, actor)
    return added


def add_item(conn, card: dict, actor: Actor, **values: Any) -> dict:
    return add_items(conn, card, actor, [values])[0]


def edit_item(conn, card: dict, actor: Actor, item_id: str, changes: dict[str, Any]) -> tuple[dict, dict]:
    """Change some fields of one item; returns the item before and the {field: (old, new)} changed."""
    authz.require(conn, actor, "update")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(sorted(unknown)[0], None, f"cannot be edited (editable: {', '.join(EDITABLE)})")
    item = get_item(conn, card, item_id)
    merged = {**{key: item[key] for key in ("quadrant", "text", "impact", "probability", "implication", "action",
                                            "date")}, **changes}
    checked = validate_item(merged)
    diff = {key: (item[key], checked[key]) for key in changes if item[key] != checked[key]}
    if not diff:
        return item, {}
    columns = {"text": "text", "impact": "impact", "probability": "probability", "implication": "implication",
               "action": "action_plan", "date": "item_date"}
    assignments = ", ".join(f"{columns[key]} = :{key}" for key in diff)
    conn.execute(text(f"UPDATE swot_items SET {assignments}, updated_at = :at WHERE id = :row"),
                 {**{key: new for key, (_old, new) in diff.items()}, "at": now(), "row": item["_row"]})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "swot_edit", f"{item['id']}.{key}", old, new)
                  for key, (old, new) in diff.items()], actor)
    return item, diff


def remove_item(conn, card: dict, actor: Actor, item_id: str) -> dict:
    authz.require(conn, actor, "update")
    item = get_item(conn, card, item_id)
    conn.execute(text("DELETE FROM swot_items WHERE id = :row"), {"row": item["_row"]})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "swot_remove", item["id"], _logged(item), None)], actor)
    return item


def public(item: dict, thresholds: spec.Thresholds, lang: str) -> dict:
    """An item as scripts see it, with its zone for O and T."""
    out = {key: value for key, value in item.items() if not key.startswith("_")}
    zone = spec.zone_for(item["quadrant"], item["impact"], item["probability"], thresholds)
    if item["quadrant"] in ("O", "T"):
        out["zone"] = zone.name(lang) if zone else None
        out["zone_label"] = zone.label(lang) if zone else None
        out["advice"] = zone.advice(lang) if zone else None
    return out


def _matrix(quadrant: str, items: list[dict], thresholds: spec.Thresholds, lang: str) -> dict:
    meta = spec.data()["matrices"][quadrant]
    cells = []
    for zone in spec.zones(quadrant):
        members = [item["id"] for item in items if item["quadrant"] == quadrant
                   and spec.zone_for(quadrant, item["impact"], item["probability"], thresholds) == zone]
        cells.append({"zone": zone.name(lang), "code": zone.code, "label": zone.label(lang),
                      "advice": zone.advice(lang), "strong": zone.strong, "likely": zone.likely, "items": members})
    return {"quadrant": quadrant, "title": spec.label(meta, lang), "impact_axis": spec.label(meta, lang, "impact"),
            "probability_axis": spec.label(meta, lang, "probability"), "cells": cells}


def _tows(items: list[dict], thresholds: spec.Thresholds, lang: str) -> list[dict]:
    def ranked(quadrant: str) -> list[dict]:
        chosen = [item for item in items if item["quadrant"] == quadrant]
        if quadrant in ("O", "T"):
            chosen = [item for item in chosen
                      if spec.zone_for(quadrant, item["impact"], item["probability"], thresholds).code != "ignore"]
        return sorted(chosen, key=lambda item: (-(item["impact"] or 0), -(item["probability"] or 0), item["seq"]))

    out = []
    for strategy in spec.data()["tows"]:
        internal, external = strategy["code"][0], strategy["code"][1]
        prompt = spec.label(strategy, lang, "prompt")
        pairs = [{"pair": [a["id"], b["id"]], "prompt": prompt.format(a=a["id"], b=b["id"]),
                  "context": f"{a['id']} {a['text']} / {b['id']} {b['text']}"}
                 for a in ranked(internal) for b in ranked(external)]
        out.append({"strategy": strategy["code"], "label": spec.label(strategy, lang), "pairs": pairs})
    return out


def worksheet(conn, card: dict, actor: Actor, thresholds: spec.Thresholds, lang: str) -> dict:
    """Everything ``swot show`` displays, as one JSON-ready document."""
    authz.require(conn, actor, "read")
    items = list_items(conn, card["id"])
    quadrants = [{"quadrant": q, "label": spec.label(spec.quadrant(q), lang),
                  "items": [item["id"] for item in items if item["quadrant"] == q]} for q in spec.QUADRANTS]
    return {"archive_no": card["archive_no"], "name": card["name"],
            "thresholds": {"impact": thresholds.impact, "probability": thresholds.probability},
            "items": [public(item, thresholds, lang) for item in items], "quadrants": quadrants,
            "matrices": [_matrix(q, items, thresholds, lang) for q in ("O", "T")],
            "tows": _tows(items, thresholds, lang)}
